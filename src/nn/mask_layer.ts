// A fixed input mask (Ott et al.'s variable connection probability): y = x · mask, the same 0/1
// mask [per-sample shape] for every image, drawn once from its seed, not rescaled; dx = dy · mask.
import { maskInputs, vcpMask } from '../ops/sharing';
import { Tensor } from '../tensor';
import { BatchBuffer, Layer, Parameter, checkBatch, checkGradientBatch } from './layers';
import type { MaskPlan } from './plan';

/** Multiplies every sample by a fixed binary mask; its backward pass masks the gradient the same way. */
export class MaskLayer implements Layer {
  readonly name: string;
  readonly kind = 'mask' as const;
  readonly inputShape: number[];
  readonly outputShape: number[];
  /** The mask [per-sample shape]: 1 keeps an input unit, 0 drops it. */
  readonly mask: Tensor<'float32'>;
  private readonly output: BatchBuffer;
  private readonly inputGradient: BatchBuffer;
  private lastInput: Tensor | null = null;

  constructor(
    plan: MaskPlan,
    readonly device: string,
  ) {
    this.name = plan.name;
    this.inputShape = [...plan.inputShape];
    this.outputShape = [...plan.outputShape];
    this.mask = vcpMask(plan.inputShape, plan.drop, plan.seed, device) as Tensor<'float32'>;
    this.output = new BatchBuffer(plan.outputShape, device);
    this.inputGradient = new BatchBuffer(plan.inputShape, device);
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const n = checkBatch(x, this.inputShape, this.device, `${this.name}.forward: x`);
    this.lastInput = x;
    return maskInputs(x, this.mask, this.output.get(n));
  }

  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    const { n } = checkGradientBatch(dy, this.lastInput, this.outputShape, this.device, this.name);
    if (!needInputGradient) return null;
    return maskInputs(dy, this.mask, this.inputGradient.get(n));
  }

  parameters(): Parameter[] {
    return [];
  }

  dispose(): void {
    this.mask.dispose();
    this.output.dispose();
    this.inputGradient.dispose();
    this.lastInput = null;
  }
}
