// Dense (fully connected) layer: y = x·wᵀ + b, weight [O, I], bias [O].
import { dense, denseBackward } from '../ops/dense';
import { Tensor } from '../tensor';
import type { DensePlan } from './plan';
import { WeightedLayer } from './weighted_layer';

/** A dense layer over flat inputs [N, I] giving [N, O]. */
export class DenseLayer extends WeightedLayer<DensePlan> {
  protected computeOutput(x: Tensor, y: Tensor<'float32'>): void {
    dense(x, this.weight.value, this.bias.value, y);
  }

  protected computeGradients(x: Tensor, dy: Tensor, dx: Tensor<'float32'> | null): void {
    denseBackward(x, this.weight.value, dy, {
      inputGradient: dx !== null,
      dx: dx ?? undefined,
      dw: this.weight.grad,
      db: this.bias.grad,
    });
  }
}
