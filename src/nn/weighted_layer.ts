// What the conv, locally connected and dense layers share: a weight and a bias with their gradients,
// the output and input-gradient buffers, and the forward/backward bookkeeping around the native ops.
import { Tensor } from '../tensor';
import { BatchBuffer, Layer, Parameter, checkBatch, checkGradientBatch } from './layers';
import type { ConvPlan, DensePlan, LocalPlan } from './plan';

/** The initial values of a layer's parameters; the layer takes ownership of both tensors. */
export interface InitialParameters {
  weight: Tensor<'float32'>;
  bias: Tensor<'float32'>;
}

/** Throws unless `t` is a live float32 tensor of `shape` on `device`; `what` names it ('conv1.weight'). */
export function checkParameter(t: Tensor, shape: readonly number[], device: string, what: string): void {
  if (!(t instanceof Tensor) || t.disposed) throw new TypeError(`${what} must be a live Tensor`);
  if (t.dtype !== 'float32') throw new TypeError(`${what} must be float32, got ${t.dtype}`);
  const actual = t.shape;
  if (actual.length !== shape.length || actual.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${what} must have shape [${shape}], got [${actual}]`);
  }
  if (t.device !== device) throw new Error(`${what} is on ${t.device}, expected ${device}`);
}

/** Base of the layers with parameters: subclasses supply the arithmetic. */
export abstract class WeightedLayer<P extends ConvPlan | LocalPlan | DensePlan> implements Layer {
  readonly name: string;
  readonly kind: P['kind'];
  readonly inputShape: number[];
  readonly outputShape: number[];
  /** The weight and its gradient ('<name>.weight'). */
  readonly weight: Parameter;
  /** The bias and its gradient ('<name>.bias'). */
  readonly bias: Parameter;
  private readonly output: BatchBuffer;
  private readonly inputGradient: BatchBuffer;
  private lastInput: Tensor | null = null;

  /**
   * @param plan the layer's resolved shapes (see planNetwork)
   * @param device the device every tensor of the layer lives on (canonical name, e.g. 'cuda:0')
   * @param initial weight and bias of the plan's shapes on `device`; the layer owns them from now on.
   *   Gradients start as zeros.
   */
  constructor(
    readonly plan: P,
    readonly device: string,
    initial: InitialParameters,
  ) {
    this.name = plan.name;
    this.kind = plan.kind;
    this.inputShape = [...plan.inputShape];
    this.outputShape = [...plan.outputShape];
    checkParameter(initial.weight, plan.weightShape, device, `${plan.name}.weight`);
    checkParameter(initial.bias, plan.biasShape, device, `${plan.name}.bias`);
    this.weight = {
      name: `${plan.name}.weight`,
      value: initial.weight,
      grad: Tensor.zeros(plan.weightShape, { device }),
    };
    this.bias = { name: `${plan.name}.bias`, value: initial.bias, grad: Tensor.zeros(plan.biasShape, { device }) };
    this.output = new BatchBuffer(plan.outputShape, device);
    this.inputGradient = new BatchBuffer(plan.inputShape, device);
  }

  /** y = layer(x) into the output buffer of x's batch. */
  forward(x: Tensor, _training: boolean): Tensor {
    const n = checkBatch(x, this.inputShape, this.device, `${this.name}.forward: x`);
    const y = this.output.get(n);
    this.lastInput = null;
    this.computeOutput(x, y);
    this.lastInput = x;
    return y;
  }

  /** Overwrites the weight and bias gradients; returns dx (owned by the layer) when asked for. */
  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    const { x, n } = checkGradientBatch(dy, this.lastInput, this.outputShape, this.device, this.name);
    const dx = needInputGradient ? this.inputGradient.get(n) : null;
    this.computeGradients(x, dy, dx);
    return dx;
  }

  parameters(): Parameter[] {
    return [this.weight, this.bias];
  }

  dispose(): void {
    for (const t of [this.weight.value, this.weight.grad, this.bias.value, this.bias.grad]) t.dispose();
    this.output.dispose();
    this.inputGradient.dispose();
    this.lastInput = null;
  }

  /** Writes the layer's output for input x into y (both checked). */
  protected abstract computeOutput(x: Tensor, y: Tensor<'float32'>): void;

  /** Overwrites this.weight.grad and this.bias.grad, and dx when it is not null. */
  protected abstract computeGradients(x: Tensor, dy: Tensor, dx: Tensor<'float32'> | null): void;
}
