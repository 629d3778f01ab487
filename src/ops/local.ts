// Locally connected 2-D layers ("untied convolutions"): the windowed op (./window.ts) with one filter
// bank per output position; and conversion from convolutions.
//
// Layouts: input x [N, C, H, W]; weight w [OH, OW, K, C, KH, KW], one contiguous conv-shaped
// filter bank per output position; bias b [OH, OW, K]; output y [N, K, OH, OW]. Strides and zero
// padding work as in a convolution. The arithmetic runs natively, on the tensors' device.
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { WindowGeometry, WindowOptions, resolveWindow } from './geometry';
import { F32, checkTensor, withOutputs } from './layer_op';
import * as window from './window';
import type { WindowBackwardOptions, WindowFamily, WindowGradients } from './window';

/** Stride (default 1) and padding (default `'valid'`): the {@link WindowOptions} of every windowed op. */
export type Local2dOptions = WindowOptions;

function expectRank(shape: readonly number[], rank: number, name: string, dims: string, op: string): void {
  if (shape.length !== rank) {
    throw new RangeError(`${op}: ${name} must have ${rank} dimensions (${dims}), got shape [${shape}]`);
  }
}

/**
 * The window geometry (kernel, stride, padding and output size OH × OW) of a layer over an
 * `inputHeight × inputWidth` input with a `kernelHeight × kernelWidth` kernel (TensorFlow's convention
 * for `padding: 'same'`). Use it to size the weight grid of a new layer or the
 * `outputHeight`/`outputWidth` of {@link convToLocal}.
 */
export function local2dGeometry(
  inputHeight: number,
  inputWidth: number,
  kernelHeight: number,
  kernelWidth: number,
  options: Local2dOptions = {},
  op = 'local2dGeometry',
): WindowGeometry {
  return resolveWindow([inputHeight, inputWidth], [kernelHeight, kernelWidth], options, op);
}

/** The locally connected layer as a windowed-op family. */
export const LOCAL2D: WindowFamily = {
  op: 'local2d',
  exports: {
    forward: (...args) => nativeAddon().local2dForward(...args),
    backwardInput: (...args) => nativeAddon().local2dBackwardInput(...args),
    backwardWeight: (...args) => nativeAddon().local2dBackwardWeight(...args),
  },
  geometry: (inputShape, weightShape, options, op, names) => {
    expectRank(inputShape, 4, names.input, 'N,C,H,W', op);
    expectRank(weightShape, 6, names.weight, 'OH,OW,K,C,KH,KW', op);
    return local2dGeometry(inputShape[2], inputShape[3], weightShape[4], weightShape[5], options, op);
  },
  filters: (weightShape) => weightShape[2],
  biasShape: (weightShape) => weightShape.slice(0, 3),
};

/**
 * Forward pass into a preallocated output: `y[n, k, i, j] = b[i, j, k] + Σ w[i, j, k, c, ki, kj] ·
 * x[n, c, i·strideH − padTop + ki, j·strideW − padLeft + kj]`. `y` [N, K, OH, OW] is overwritten.
 */
export function local2dForwardInto(x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, options: Local2dOptions = {}): F32 {
  checkTensor(y, 'y', LOCAL2D.op);
  return window.forward(LOCAL2D, x, w, b, options, y);
}

/**
 * Locally connected layer: a convolution whose filter bank `w[i, j]` [K, C, KH, KW] and bias
 * `b[i, j]` [K] belong to output position (i, j) alone.
 *
 * @param x input [N, C, H, W]
 * @param w weight [OH, OW, K, C, KH, KW]; OH × OW must be the output size the input, kernel,
 *   stride and padding give
 * @param b bias [OH, OW, K], or null for none
 * @param out optional preallocated output [N, K, OH, OW] to overwrite (reused across training steps)
 * @returns y [N, K, OH, OW] on the input's device
 */
export function local2d(x: Tensor, w: Tensor, b: Tensor | null, options: Local2dOptions = {}, out?: Tensor): F32 {
  return window.forward(LOCAL2D, x, w, b, options, out);
}

/** Input gradient into a preallocated `dx` [N, C, H, W] (its shape gives the input size): overwritten. */
export function local2dBackwardInputInto(dy: Tensor, w: Tensor, dx: Tensor, options: Local2dOptions = {}): F32 {
  return window.backwardInput(LOCAL2D, dy, w, dx, options);
}

/** Weight (and bias, when `db` is given) gradients into preallocated `dw`, `db`: overwritten, not accumulated. */
export function local2dBackwardWeightInto(
  x: Tensor,
  dy: Tensor,
  dw: Tensor,
  db: Tensor | null,
  options: Local2dOptions = {},
): { dw: F32; db: F32 | null } {
  return window.backwardWeight(LOCAL2D, x, dy, dw, db, options);
}

/**
 * Gradients of a locally connected layer given `dy` = ∂loss/∂y [N, K, OH, OW].
 *
 * @returns dx [N, C, H, W] (unless `needInput` is false), dw [OH, OW, K, C, KH, KW] and db [OH, OW, K],
 *   on the input's device, or the buffers given in `out` (overwritten)
 */
export function local2dBackward(
  x: Tensor,
  w: Tensor,
  dy: Tensor,
  options: Local2dOptions = {},
  backwardOptions: WindowBackwardOptions = {},
): WindowGradients {
  return window.backward(LOCAL2D, x, w, dy, options, backwardOptions);
}

/**
 * The conversion of a convolution into a locally connected layer: every output position gets a copy
 * of the shared kernel and bias, so the new layer computes exactly what the convolution did.
 *
 * @param convW conv weight [K, C, KH, KW]
 * @param convB conv bias [K], or null
 * @param outputHeight OH, the conv layer's output height (see {@link local2dGeometry})
 * @param outputWidth OW, its output width
 * @returns weight [OH, OW, K, C, KH, KW] and bias [OH, OW, K] (null when convB is), on convW's device
 */
export function convToLocal(
  convW: Tensor,
  convB: Tensor | null,
  outputHeight: number,
  outputWidth: number,
): { weight: F32; bias: F32 | null } {
  checkTensor(convW, 'convW', 'convToLocal');
  const cs = convW.shape;
  expectRank(cs, 4, 'convW', 'K,C,KH,KW', 'convToLocal');
  for (const [name, value] of [['outputHeight', outputHeight], ['outputWidth', outputWidth]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`convToLocal: ${name} must be an integer >= 1, got ${value}`);
    }
  }
  return withOutputs(convW, (take) => {
    const weight = take([outputHeight, outputWidth, ...cs]);
    const bias = convB ? take([outputHeight, outputWidth, cs[0]]) : null;
    nativeAddon().convToLocal(convW.native, convB ? convB.native : null, weight.native, bias ? bias.native : null);
    return { weight, bias };
  });
}

/**
 * The shared kernel closest to a locally connected layer: the mean over output positions of its
 * filter banks and biases (for analysis; `localToConv(convToLocal(w, ...))` gives back `w`).
 *
 * @param localW weight [OH, OW, K, C, KH, KW]
 * @param localB bias [OH, OW, K], or null
 * @returns weight [K, C, KH, KW] and bias [K] (null when localB is), on localW's device
 */
export function localToConv(localW: Tensor, localB: Tensor | null): { weight: F32; bias: F32 | null } {
  checkTensor(localW, 'localW', 'localToConv');
  const ls = localW.shape;
  expectRank(ls, 6, 'localW', 'OH,OW,K,C,KH,KW', 'localToConv');
  return withOutputs(localW, (take) => {
    const weight = take(ls.slice(2));
    const bias = localB ? take([ls[2]]) : null;
    nativeAddon().localToConv(localW.native, localB ? localB.native : null, weight.native, bias ? bias.native : null);
    return { weight, bias };
  });
}
