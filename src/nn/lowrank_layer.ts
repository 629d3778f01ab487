// A low-rank locally connected layer (Elsayed et al. 2020; src/ops/lowrank.ts): parameters bases
// [R, K, C, KH, KW], basisBias [R, K] and logits [OH, OW, R]; it computes the locally connected layer whose
// weight [OH, OW, K, C, KH, KW] and bias [OH, OW, K] it materialises from them. The materialised weight
// and bias are buffers of the layer, recomputed at every forward pass (so they always match the
// parameters an optimizer has just updated) and by refresh(); the backward pass writes the gradients
// with respect to them (weightGrad, biasGrad), then projects those onto the three parameters.
import { LOCAL2D } from '../ops/local';
import { lowRankMaterialize, lowRankMaterializeBackward } from '../ops/lowrank';
import { backwardInputInto, backwardWeightInto, forwardInto } from '../ops/window';
import { Tensor } from '../tensor';
import { BatchBuffer, Layer, Parameter, checkBatch, checkGradientBatch } from './layers';
import type { LowRankPlan } from './plan';
import { checkParameter } from './weighted_layer';

type F32 = Tensor<'float32'>;

/** The initial values of a low-rank layer's parameters; the layer takes ownership of all three. */
export interface LowRankInitialParameters {
  bases: F32;
  basisBias: F32;
  logits: F32;
}

/** A low-rank locally connected layer over inputs [N, C, H, W] giving [N, K, OH, OW]. */
export class LowRankLayer implements Layer {
  readonly name: string;
  readonly kind = 'lowrank' as const;
  readonly inputShape: number[];
  readonly outputShape: number[];
  /** '<name>.bases' [R, K, C, KH, KW]. */
  readonly bases: Parameter;
  /** '<name>.basisBias' [R, K]. */
  readonly basisBias: Parameter;
  /** '<name>.logits' [OH, OW, R]. */
  readonly logits: Parameter;
  /** The materialised weight [OH, OW, K, C, KH, KW]: as of the last forward pass or refresh(). */
  readonly weight: F32;
  /** The materialised bias [OH, OW, K]: as of the last forward pass or refresh(). */
  readonly bias: F32;
  /** The loss's gradient with respect to the materialised weight, from the last backward pass. */
  readonly weightGrad: F32;
  /** The loss's gradient with respect to the materialised bias, from the last backward pass. */
  readonly biasGrad: F32;
  private readonly output: BatchBuffer;
  private readonly inputGradient: BatchBuffer;
  private lastInput: Tensor | null = null;

  /**
   * @param plan the layer's resolved shapes (see planNetwork)
   * @param device the device every tensor of the layer lives on (canonical name)
   * @param initial bases, basisBias and logits of the plan's shapes on `device`; the layer owns them from
   *   now on (also when the constructor throws). Gradients start as zeros.
   */
  constructor(
    readonly plan: LowRankPlan,
    readonly device: string,
    initial: LowRankInitialParameters,
  ) {
    this.name = plan.name;
    this.inputShape = [...plan.inputShape];
    this.outputShape = [...plan.outputShape];
    const owned: Tensor[] = [initial.bases, initial.basisBias, initial.logits];
    const make = (shape: readonly number[]): F32 => {
      const t = Tensor.zeros(shape, { device }) as F32;
      owned.push(t);
      return t;
    };
    try {
      checkParameter(initial.bases, plan.basesShape, device, `${plan.name}.bases`);
      checkParameter(initial.basisBias, plan.basisBiasShape, device, `${plan.name}.basisBias`);
      checkParameter(initial.logits, plan.logitsShape, device, `${plan.name}.logits`);
      this.bases = { name: `${plan.name}.bases`, value: initial.bases, grad: make(plan.basesShape) };
      this.basisBias = { name: `${plan.name}.basisBias`, value: initial.basisBias, grad: make(plan.basisBiasShape) };
      this.logits = { name: `${plan.name}.logits`, value: initial.logits, grad: make(plan.logitsShape) };
      this.weight = make(plan.weightShape);
      this.bias = make(plan.biasShape);
      this.weightGrad = make(plan.weightShape);
      this.biasGrad = make(plan.biasShape);
      this.refresh();
    } catch (error) {
      owned.forEach((t) => t.disposed || t.dispose());
      throw error;
    }
    this.output = new BatchBuffer(plan.outputShape, device);
    this.inputGradient = new BatchBuffer(plan.inputShape, device);
  }

  /** Recomputes the materialised weight and bias from the current parameters. */
  refresh(): void {
    lowRankMaterialize(this.bases.value, this.basisBias.value, this.logits.value, { weight: this.weight, bias: this.bias });
  }

  /** y = the locally connected layer of the parameters' materialised weight and bias, applied to x. */
  forward(x: Tensor, _training: boolean): Tensor {
    const n = checkBatch(x, this.inputShape, this.device, `${this.name}.forward: x`);
    const y = this.output.get(n);
    this.lastInput = null;
    this.refresh();
    forwardInto(LOCAL2D, x, this.weight, this.bias, y, this.plan.geometry);
    this.lastInput = x;
    return y;
  }

  /**
   * Overwrites the gradients of the materialised weight and bias (weightGrad, biasGrad) and those of the
   * three parameters; returns dx (owned by the layer) when asked for.
   */
  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    const { x, n } = checkGradientBatch(dy, this.lastInput, this.outputShape, this.device, this.name);
    const g = this.plan.geometry;
    backwardWeightInto(LOCAL2D, x, dy, this.weightGrad, this.biasGrad, g);
    const dx = needInputGradient ? backwardInputInto(LOCAL2D, dy, this.weight, this.inputGradient.get(n), g) : null;
    lowRankMaterializeBackward(this.bases.value, this.basisBias.value, this.logits.value, this.weightGrad, this.biasGrad, {
      dBases: this.bases.grad,
      dBasisBias: this.basisBias.grad,
      dLogits: this.logits.grad,
    });
    return dx;
  }

  /** bases, basisBias, logits. */
  parameters(): Parameter[] {
    return [this.bases, this.basisBias, this.logits];
  }

  dispose(): void {
    for (const p of [this.bases, this.basisBias, this.logits]) {
      p.value.dispose();
      p.grad.dispose();
    }
    for (const t of [this.weight, this.bias, this.weightGrad, this.biasGrad]) t.dispose();
    this.output.dispose();
    this.inputGradient.dispose();
    this.lastInput = null;
  }
}
