// FLOP counts of every benchmarked op: the one place the formulas live. GFLOP/s in the bench's
// output is these counts over the measured time, for every implementation alike.
//
// Windowed layers (conv and its locally connected twin), one sample, valid padding:
//   MACs = K · OH · OW · C · KH · KW            (the LC layer does the same arithmetic, each
//                                                output position with its own filter bank)
//   forward, input gradient, weight gradient:  2 · N · MACs each (bias terms are not counted)
// Dense [N, I] · [O, I]ᵀ:
//   forward 2·N·I·O;  backward (dx and dw) 4·N·I·O (the bias gradient is not counted)
// Optimizer updates, per parameter element (arithmetic in the update formulas, src/ops/optim.ts):
//   Adam 16 (g += wd·p: 2; m: 3; v: 4; two bias corrections: 2; sqrt, +ε, ÷, ×lr, −=: 5)
//   SGD with momentum 6 (g += wd·p: 2; v = μ·v + g: 2; p −= lr·v: 2)
// Neighbour distances (radius r, positions OH × OW, bank size B = K·C·KH·KW):
//   pairs(r) = (OH − 2r) · (OW − 2r) · 8r; each pair 7·B (‖a − b‖²: 3·B; a·b: 2·B; ‖b‖²: 2·B),
//   plus 2·OH·OW·B for the Frobenius norm. A nominal count: a kernel may reuse per-bank norms.
// Training step (forward, backward, Adam): the sum of each layer's forward, weight gradient and
//   input gradient (every layer but the first needs its input gradient) plus the Adam update over
//   every parameter; ReLU, softmax and the loss are not counted (they are O(activations)).
// Evaluation step (forward and loss, no gradients): the sum of the layers' forwards.
import { DenseShape, NetworkShape, WindowShape, parameterCount } from './shapes';

export function windowMacs(s: WindowShape): number {
  return s.k * s.oh * s.ow * s.c * s.kh * s.kw;
}

/** Conv or LC forward, input gradient or weight gradient (each the same count). */
export function windowFlops(s: WindowShape, batch: number): number {
  return 2 * batch * windowMacs(s);
}

export function denseForwardFlops(s: DenseShape, batch: number): number {
  return 2 * batch * s.inputs * s.outputs;
}

/** dx and dw together. */
export function denseBackwardFlops(s: DenseShape, batch: number): number {
  return 4 * batch * s.inputs * s.outputs;
}

export const ADAM_FLOPS_PER_ELEMENT = 16;
export const SGD_FLOPS_PER_ELEMENT = 6;

export function adamFlops(elements: number): number {
  return ADAM_FLOPS_PER_ELEMENT * elements;
}

export function sgdFlops(elements: number): number {
  return SGD_FLOPS_PER_ELEMENT * elements;
}

/** Pairs of neighbouring positions on the ring of radius r (0 when no centre fits). */
export function distancePairs(oh: number, ow: number, r: number): number {
  const rows = oh - 2 * r;
  const cols = ow - 2 * r;
  return rows > 0 && cols > 0 ? rows * cols * 8 * r : 0;
}

export function distanceFlops(s: WindowShape, radii: readonly number[]): number {
  const bank = s.k * s.c * s.kh * s.kw;
  const pairs = radii.reduce((sum, r) => sum + distancePairs(s.oh, s.ow, r), 0);
  return 7 * bank * pairs + 2 * s.oh * s.ow * bank;
}

/** Forward FLOPs of a whole network (conv or LC form: the same count). */
export function networkForwardFlops(net: NetworkShape, batch: number): number {
  const windows = net.windows.reduce((sum, s) => sum + windowFlops(s, batch), 0);
  return windows + net.dense.reduce((sum, s) => sum + denseForwardFlops(s, batch), 0);
}

/** One training step: forward, both gradients of every layer (no input gradient for the first), Adam. */
export function trainStepFlops(net: NetworkShape, batch: number, local: boolean): number {
  let backward = 0;
  net.windows.forEach((s, i) => {
    backward += windowFlops(s, batch) * (i === 0 ? 1 : 2);
  });
  for (const d of net.dense) backward += denseBackwardFlops(d, batch);
  return networkForwardFlops(net, batch) + backward + adamFlops(parameterCount(net, local));
}
