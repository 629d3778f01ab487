// 2-D convolution layer: weight [K, C, KH, KW], bias [K].
import { Conv2dOptions, conv2dBackwardInputInto, conv2dBackwardWeightInto, conv2dForwardInto } from '../ops/conv';
import { Tensor } from '../tensor';
import type { ConvPlan } from './plan';
import { InitialParameters, WeightedLayer } from './weighted_layer';

/** A convolution over inputs [N, C, H, W] giving [N, K, OH, OW]. */
export class ConvLayer extends WeightedLayer<ConvPlan> {
  private readonly options: Conv2dOptions;

  constructor(plan: ConvPlan, device: string, initial: InitialParameters) {
    super(plan, device, initial);
    const { stride, padding } = plan.geometry;
    this.options = { stride, padding: [padding.top, padding.bottom, padding.left, padding.right] };
  }

  protected computeOutput(x: Tensor, y: Tensor<'float32'>): void {
    conv2dForwardInto(x, this.weight.value, this.bias.value, y, this.options);
  }

  protected computeGradients(x: Tensor, dy: Tensor, dx: Tensor<'float32'> | null): void {
    conv2dBackwardWeightInto(x, dy, this.weight.grad, this.bias.grad, this.options);
    if (dx) conv2dBackwardInputInto(dy, this.weight.value, dx, this.options);
  }
}
