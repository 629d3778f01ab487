// A windowed layer: a convolution (weight [K, C, KH, KW], bias [K]) or a locally connected layer
// (one filter bank per output position: weight [OH, OW, K, C, KH, KW], bias [OH, OW, K]). The plan's
// window geometry, resolved once, goes unchanged to the forward pass and both gradients.
import { CONV2D } from '../ops/conv';
import { LOCAL2D } from '../ops/local';
import { WindowFamily, backwardInputInto, backwardWeightInto, forwardInto } from '../ops/window';
import { Tensor } from '../tensor';
import type { ConvPlan, LocalPlan } from './plan';
import { InitialParameters, WeightedLayer } from './weighted_layer';

/** A conv or locally connected layer over inputs [N, C, H, W] giving [N, K, OH, OW]. */
export class WindowLayer extends WeightedLayer<ConvPlan | LocalPlan> {
  private readonly family: WindowFamily;

  constructor(plan: ConvPlan | LocalPlan, device: string, initial: InitialParameters) {
    super(plan, device, initial);
    this.family = plan.kind === 'conv' ? CONV2D : LOCAL2D;
  }

  protected computeOutput(x: Tensor, y: Tensor<'float32'>): void {
    forwardInto(this.family, x, this.weight.value, this.bias.value, y, this.plan.geometry);
  }

  protected computeGradients(x: Tensor, dy: Tensor, dx: Tensor<'float32'> | null): void {
    backwardWeightInto(this.family, x, dy, this.weight.grad, this.bias.grad, this.plan.geometry);
    if (dx) backwardInputInto(this.family, dy, this.weight.value, dx, this.plan.geometry);
  }
}
