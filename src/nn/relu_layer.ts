// ReLU layer: y = max(x, 0), with its own output and input-gradient buffers.
import { relu, reluBackward } from '../ops/activation';
import { Tensor } from '../tensor';
import { BatchBuffer, Layer, Parameter, checkBatch, checkGradientBatch } from './layers';
import type { ParameterFreePlan } from './plan';

/** max(x, 0) elementwise; the backward pass reads the forward output (gradient 0 where y = 0). */
export class ReluLayer implements Layer {
  readonly name: string;
  readonly kind = 'relu' as const;
  readonly inputShape: number[];
  readonly outputShape: number[];
  private readonly output: BatchBuffer;
  private readonly inputGradient: BatchBuffer;
  private lastOutput: Tensor | null = null;

  constructor(
    plan: ParameterFreePlan,
    readonly device: string,
  ) {
    this.name = plan.name;
    this.inputShape = [...plan.inputShape];
    this.outputShape = [...plan.outputShape];
    this.output = new BatchBuffer(plan.outputShape, device);
    this.inputGradient = new BatchBuffer(plan.inputShape, device);
  }

  forward(x: Tensor, _training: boolean): Tensor {
    const n = checkBatch(x, this.inputShape, this.device, `${this.name}.forward: x`);
    this.lastOutput = null;
    const y = relu(x, this.output.get(n));
    this.lastOutput = y;
    return y;
  }

  backward(dy: Tensor, needInputGradient: boolean): Tensor | null {
    const { x: y, n } = checkGradientBatch(dy, this.lastOutput, this.outputShape, this.device, this.name);
    if (!needInputGradient) return null;
    return reluBackward(y, dy, this.inputGradient.get(n));
  }

  parameters(): Parameter[] {
    return [];
  }

  dispose(): void {
    this.output.dispose();
    this.inputGradient.dispose();
    this.lastOutput = null;
  }
}
