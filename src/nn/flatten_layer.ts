// Flatten layer: [N, C, H, W] → [N, C·H·W] in C-major order, which is NCHW memory order, so both
// passes are reshape views of the incoming tensor (no copy, no arithmetic).
import { Tensor } from '../tensor';
import { Layer, Parameter, checkBatch, checkGradientBatch } from './layers';
import type { ParameterFreePlan } from './plan';

/**
 * A reshape view of one source tensor, kept while the source is the same tensor (the previous layer's
 * output buffer is reused across steps, so the view is made once per batch size).
 */
class CachedView {
  private source: Tensor | null = null;
  private view: Tensor | null = null;

  of(source: Tensor, shape: number[]): Tensor {
    if (this.view === null || this.source !== source || this.view.disposed) {
      this.dispose();
      this.view = source.reshape(shape);
      this.source = source;
    }
    return this.view;
  }

  dispose(): void {
    this.view?.dispose();
    this.view = null;
    this.source = null;
  }
}

/** Flattens each sample; the output and the input gradient are views sharing memory with their sources. */
export class FlattenLayer implements Layer {
  readonly name: string;
  readonly kind = 'flatten' as const;
  readonly inputShape: number[];
  readonly outputShape: number[];
  private readonly outputView = new CachedView();
  private readonly gradientView = new CachedView();
  private lastInput: Tensor | null = null;

  constructor(
    plan: ParameterFreePlan,
    readonly device: string,
  ) {
    this.name = plan.name;
    this.inputShape = [...plan.inputShape];
    this.outputShape = [...plan.outputShape];
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const n = checkBatch(x, this.inputShape, this.device, `${this.name}.forward: x`);
    this.lastInput = x;
    return this.outputView.of(x, [n, ...this.outputShape]);
  }

  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    const { n } = checkGradientBatch(dy, this.lastInput, this.outputShape, this.device, this.name);
    if (!needInputGradient) return null;
    return this.gradientView.of(dy, [n, ...this.inputShape]);
  }

  parameters(): Parameter[] {
    return [];
  }

  dispose(): void {
    this.outputView.dispose();
    this.gradientView.dispose();
    this.lastInput = null;
  }
}
