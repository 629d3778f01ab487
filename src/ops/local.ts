// Locally connected 2-D layers ("untied convolutions") and conversion from convolutions.
//
// Layouts: input x [N, C, H, W]; weight w [OH, OW, K, C, KH, KW], one contiguous conv-shaped
// filter bank per output position; bias b [OH, OW, K]; output y [N, K, OH, OW]. Strides and zero
// padding work as in a convolution. The arithmetic runs natively, on the tensors' device.
import { NativeTensor, nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { Padding, Padding2d, Stride, WINDOW_OPTION_KEYS, outputSize, resolvePadding, resolveStride } from './geometry';
import { checkOptions } from '../util/options';

type Geometry6 = [number, number, number, number, number, number];

interface LocalExports {
  local2dForward(x: NativeTensor, w: NativeTensor, b: NativeTensor | null, y: NativeTensor, ...geometry: Geometry6): void;
  local2dBackwardInput(dy: NativeTensor, w: NativeTensor, dx: NativeTensor, ...geometry: Geometry6): void;
  local2dBackwardWeight(
    x: NativeTensor,
    dy: NativeTensor,
    dw: NativeTensor,
    db: NativeTensor | null,
    ...geometry: Geometry6
  ): void;
  convToLocal(convW: NativeTensor, convB: NativeTensor | null, localW: NativeTensor, localB: NativeTensor | null): void;
  localToConv(localW: NativeTensor, localB: NativeTensor | null, convW: NativeTensor, convB: NativeTensor | null): void;
}

const addon = (): LocalExports => nativeAddon<LocalExports>();

/** Outputs are float32 tensors. */
type F32 = Tensor<'float32'>;

/** Stride and padding of a locally connected layer. */
export interface Local2dOptions {
  /** Stride for both axes or `[strideH, strideW]`; default 1. */
  stride?: Stride;
  /** 'valid' (default), 'same', a number for every side, or `[top, bottom, left, right]`. */
  padding?: Padding;
}

/** The resolved geometry of a locally connected layer. */
export interface Local2dGeometry {
  stride: [number, number];
  padding: Padding2d;
  outputHeight: number;
  outputWidth: number;
}

function expectRank(t: Tensor, rank: number, name: string, dims: string, op: string): number[] {
  const shape = t.shape;
  if (shape.length !== rank) {
    throw new RangeError(`${op}: ${name} must have ${rank} dimensions (${dims}), got shape [${shape}]`);
  }
  return shape;
}

/**
 * Stride, padding and output size (OH, OW) of a layer over an `inputHeight × inputWidth` input with a
 * `kernelHeight × kernelWidth` kernel (TensorFlow's convention for `padding: 'same'`). Use it to size
 * the weight grid of a new layer or the `outputHeight`/`outputWidth` of {@link convToLocal}.
 */
export function local2dGeometry(
  inputHeight: number,
  inputWidth: number,
  kernelHeight: number,
  kernelWidth: number,
  options: Local2dOptions = {},
  op = 'local2dGeometry',
): Local2dGeometry {
  options = checkOptions(options, WINDOW_OPTION_KEYS, op);
  const stride = resolveStride(options.stride ?? 1, op);
  const input: [number, number] = [inputHeight, inputWidth];
  const kernel: [number, number] = [kernelHeight, kernelWidth];
  const padding = resolvePadding(options.padding ?? 'valid', input, kernel, stride, op);
  const [outputHeight, outputWidth] = outputSize(input, kernel, stride, padding, op);
  return { stride, padding, outputHeight, outputWidth };
}

function nativeGeometry(g: Local2dGeometry): Geometry6 {
  return [g.stride[0], g.stride[1], g.padding.top, g.padding.bottom, g.padding.left, g.padding.right];
}

/** Geometry of the layer whose input has `inputShape` and whose weight is `w` [OH, OW, K, C, KH, KW]. */
function layerGeometry(inputShape: number[], w: Tensor, options: Local2dOptions, op: string): Local2dGeometry {
  const ws = expectRank(w, 6, 'w', 'OH,OW,K,C,KH,KW', op);
  return local2dGeometry(inputShape[2], inputShape[3], ws[4], ws[5], options, op);
}

/**
 * Forward pass into a preallocated output: `y[n, k, i, j] = b[i, j, k] + Σ w[i, j, k, c, ki, kj] ·
 * x[n, c, i·strideH − padTop + ki, j·strideW − padLeft + kj]`. `y` [N, K, OH, OW] is overwritten.
 */
export function local2dForwardInto(x: Tensor, w: Tensor, b: Tensor | null, y: F32, options: Local2dOptions = {}): F32 {
  const xs = expectRank(x, 4, 'x', 'N,C,H,W', 'local2d');
  const g = layerGeometry(xs, w, options, 'local2d');
  addon().local2dForward(x.native, w.native, b ? b.native : null, y.native, ...nativeGeometry(g));
  return y;
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
export function local2d(x: Tensor, w: Tensor, b: Tensor | null, options: Local2dOptions = {}, out?: F32): F32 {
  const xs = expectRank(x, 4, 'x', 'N,C,H,W', 'local2d');
  const g = layerGeometry(xs, w, options, 'local2d');
  const y = out ?? Tensor.empty([xs[0], w.shape[2], g.outputHeight, g.outputWidth], { device: x.device });
  try {
    return local2dForwardInto(x, w, b, y, options);
  } catch (error) {
    if (!out) y.dispose();
    throw error;
  }
}

/** Input gradient into a preallocated `dx` [N, C, H, W] (its shape gives the input size): overwritten. */
export function local2dBackwardInputInto(dy: Tensor, w: Tensor, dx: F32, options: Local2dOptions = {}): F32 {
  const xs = expectRank(dx, 4, 'dx', 'N,C,H,W', 'local2dBackward');
  const g = layerGeometry(xs, w, options, 'local2dBackward');
  addon().local2dBackwardInput(dy.native, w.native, dx.native, ...nativeGeometry(g));
  return dx;
}

/** Weight (and bias, when `db` is given) gradients into preallocated `dw`, `db`: overwritten, not accumulated. */
export function local2dBackwardWeightInto(
  x: Tensor,
  dy: Tensor,
  dw: F32,
  db: F32 | null,
  options: Local2dOptions = {},
): { dw: F32; db: F32 | null } {
  const xs = expectRank(x, 4, 'x', 'N,C,H,W', 'local2dBackward');
  const g = layerGeometry(xs, dw, options, 'local2dBackward');
  addon().local2dBackwardWeight(x.native, dy.native, dw.native, db ? db.native : null, ...nativeGeometry(g));
  return { dw, db };
}

/** Which gradients {@link local2dBackward} computes, and optional buffers to overwrite with them. */
export interface Local2dBackwardOptions {
  /** Compute dx (default true); the first layer of a network does not need it. */
  needInput?: boolean;
  /** Preallocated gradients to overwrite instead of allocating new tensors. */
  out?: { dx?: F32; dw?: F32; db?: F32 };
}

/**
 * Gradients of a locally connected layer given `dy` = ∂loss/∂y [N, K, OH, OW].
 *
 * @returns dx [N, C, H, W] (unless `needInput` is false), dw [OH, OW, K, C, KH, KW] and db [OH, OW, K],
 *   on the input's device
 */
export function local2dBackward(
  x: Tensor,
  w: Tensor,
  dy: Tensor,
  options: Local2dOptions = {},
  backwardOptions: Local2dBackwardOptions = {},
): { dx?: F32; dw: F32; db: F32 } {
  const { needInput = true, out = {} } = checkOptions(backwardOptions, ['needInput', 'out'], 'local2dBackward');
  const xs = expectRank(x, 4, 'x', 'N,C,H,W', 'local2dBackward');
  const ws = expectRank(w, 6, 'w', 'OH,OW,K,C,KH,KW', 'local2dBackward');
  const device = x.device;
  const created: F32[] = [];
  const make = (given: F32 | undefined, shape: number[]): F32 => {
    if (given) return given;
    const t = Tensor.empty(shape, { device });
    created.push(t);
    return t;
  };
  try {
    const dw = make(out.dw, ws);
    const db = make(out.db, ws.slice(0, 3));
    local2dBackwardWeightInto(x, dy, dw, db, options);
    if (!needInput) return { dw, db };
    const dx = make(out.dx, xs);
    local2dBackwardInputInto(dy, w, dx, options);
    return { dx, dw, db };
  } catch (error) {
    created.forEach((t) => t.dispose());
    throw error;
  }
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
  const cs = expectRank(convW, 4, 'convW', 'K,C,KH,KW', 'convToLocal');
  for (const [name, value] of [['outputHeight', outputHeight], ['outputWidth', outputWidth]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`convToLocal: ${name} must be an integer >= 1, got ${value}`);
    }
  }
  const device = convW.device;
  const weight = Tensor.empty([outputHeight, outputWidth, ...cs], { device });
  const bias = convB ? Tensor.empty([outputHeight, outputWidth, cs[0]], { device }) : null;
  try {
    addon().convToLocal(convW.native, convB ? convB.native : null, weight.native, bias ? bias.native : null);
  } catch (error) {
    weight.dispose();
    bias?.dispose();
    throw error;
  }
  return { weight, bias };
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
  const ls = expectRank(localW, 6, 'localW', 'OH,OW,K,C,KH,KW', 'localToConv');
  const device = localW.device;
  const weight = Tensor.empty(ls.slice(2), { device });
  const bias = localB ? Tensor.empty([ls[2]], { device }) : null;
  try {
    addon().localToConv(localW.native, localB ? localB.native : null, weight.native, bias ? bias.native : null);
  } catch (error) {
    weight.dispose();
    bias?.dispose();
    throw error;
  }
  return { weight, bias };
}
