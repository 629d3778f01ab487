// Locally connected 2-D layer: one filter bank per output position, weight [OH, OW, K, C, KH, KW],
// bias [OH, OW, K].
import { Local2dOptions, local2dBackwardInputInto, local2dBackwardWeightInto, local2dForwardInto } from '../ops/local';
import { Tensor } from '../tensor';
import type { LocalPlan } from './plan';
import { InitialParameters, WeightedLayer } from './weighted_layer';

/** A locally connected layer over inputs [N, C, H, W] giving [N, K, OH, OW]. */
export class LocalLayer extends WeightedLayer<LocalPlan> {
  private readonly options: Local2dOptions;

  constructor(plan: LocalPlan, device: string, initial: InitialParameters) {
    super(plan, device, initial);
    const { stride, padding } = plan.geometry;
    this.options = { stride, padding: [padding.top, padding.bottom, padding.left, padding.right] };
  }

  protected computeOutput(x: Tensor, y: Tensor<'float32'>): void {
    local2dForwardInto(x, this.weight.value, this.bias.value, y, this.options);
  }

  protected computeGradients(x: Tensor, dy: Tensor, dx: Tensor<'float32'> | null): void {
    local2dBackwardWeightInto(x, dy, this.weight.grad, this.bias.grad, this.options);
    if (dx) local2dBackwardInputInto(dy, this.weight.value, dx, this.options);
  }
}
