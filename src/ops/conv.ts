// 2-D convolution (NCHW): shape helpers, and forward and backward passes on the tensor's device.
// Layouts: input x [N, C, H, W], weight w [K, C, KH, KW], bias b [K], output y [N, K, OH, OW].
import { NativeTensor, nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { Padding, Stride, WINDOW_OPTION_KEYS, outputSize, resolvePadding, resolveStride } from './geometry';
import { checkOptions } from '../util/options';
import { describeValue as describe } from '../util/describe';

interface ConvExports {
  conv2dForward(
    x: NativeTensor,
    w: NativeTensor,
    b: NativeTensor | null,
    y: NativeTensor,
    strideH: number,
    strideW: number,
    padTop: number,
    padBottom: number,
    padLeft: number,
    padRight: number,
  ): void;
  conv2dBackwardInput(
    dy: NativeTensor,
    w: NativeTensor,
    dx: NativeTensor,
    strideH: number,
    strideW: number,
    padTop: number,
    padBottom: number,
    padLeft: number,
    padRight: number,
  ): void;
  conv2dBackwardWeight(
    x: NativeTensor,
    dy: NativeTensor,
    dw: NativeTensor,
    db: NativeTensor | null,
    strideH: number,
    strideW: number,
    padTop: number,
    padBottom: number,
    padLeft: number,
    padRight: number,
  ): void;
}

/** A stride for both axes, or `[strideH, strideW]` (the {@link Stride} of every windowed op). */
export type Conv2dStride = Stride;

/**
 * Zero padding, as for every windowed op ({@link Padding}): `'valid'`, `'same'` (TensorFlow's rule), one
 * number for all four sides, or `[top, bottom, left, right]`; each side smaller than the kernel on its axis.
 */
export type Conv2dPadding = Padding;

export interface Conv2dOptions {
  /** Default 1. */
  stride?: Conv2dStride;
  /** Default `'valid'`. */
  padding?: Conv2dPadding;
}

/** Strides and explicit padding of one convolution, resolved for given input and weight shapes. */
export interface Conv2dGeometry {
  strideH: number;
  strideW: number;
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
  /** `[N, K, OH, OW]`. */
  outputShape: [number, number, number, number];
}

/** Gradients returned by {@link conv2dBackward}. */
export interface Conv2dGradients {
  /** dL/dx `[N, C, H, W]`; absent when `needInput` is false. */
  dx?: Tensor;
  /** dL/dw `[K, C, KH, KW]`. */
  dw: Tensor;
  /** dL/db `[K]`. */
  db: Tensor;
}

function checkShape4(shape: readonly number[], name: string, dims: string, op: string): void {
  const isDim = (d: unknown) => typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= 2 ** 31 - 1;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every(isDim)) {
    throw new RangeError(`${op}: ${name} must have shape [${dims}], got ${describe(shape)}`);
  }
}

/**
 * Strides, explicit padding and output shape `[N, K, OH, OW]` of convolving an input of `inputShape`
 * `[N, C, H, W]` with a weight of `weightShape` `[K, C, KH, KW]`. Throws a RangeError naming `op` when the
 * shapes or options do not fit together.
 */
export function conv2dGeometry(
  inputShape: readonly number[],
  weightShape: readonly number[],
  options: Conv2dOptions = {},
  op = 'conv2d',
): Conv2dGeometry {
  options = checkOptions(options, WINDOW_OPTION_KEYS, op);
  checkShape4(inputShape, 'the input', 'N, C, H, W', op);
  checkShape4(weightShape, 'the weight', 'K, C, KH, KW', op);
  const [n, c, h, w] = inputShape;
  const [k, wc, kh, kw] = weightShape;
  if (c < 1 || h < 1 || w < 1) throw new RangeError(`${op}: the input must not be empty, got shape ${describe(inputShape)}`);
  if (k < 1 || kh < 1 || kw < 1) throw new RangeError(`${op}: the weight must not be empty, got shape ${describe(weightShape)}`);
  if (wc !== c) {
    throw new RangeError(
      `${op}: the weight has ${wc} input channels but the input has ${c} (weight ${describe(weightShape)}, input ${describe(inputShape)})`,
    );
  }
  const stride = resolveStride(options.stride ?? 1, op);
  const padding = resolvePadding(options.padding ?? 'valid', [h, w], [kh, kw], stride, op);
  const [oh, ow] = outputSize([h, w], [kh, kw], stride, padding, op);
  const [strideH, strideW] = stride;
  const { top: padTop, bottom: padBottom, left: padLeft, right: padRight } = padding;
  return { strideH, strideW, padTop, padBottom, padLeft, padRight, outputShape: [n, k, oh, ow] };
}

/** Output shape `[N, K, OH, OW]` of convolving `inputShape` `[N, C, H, W]` with `weightShape` `[K, C, KH, KW]`. */
export function conv2dOutputShape(
  inputShape: readonly number[],
  weightShape: readonly number[],
  options: Conv2dOptions = {},
): [number, number, number, number] {
  return conv2dGeometry(inputShape, weightShape, options).outputShape;
}

function checkTensor(t: unknown, name: string, op: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describe(t)}`);
  if (t.disposed) throw new TypeError(`${op}: ${name} is a disposed tensor`);
}

function geometryArgs(g: Conv2dGeometry): [number, number, number, number, number, number] {
  return [g.strideH, g.strideW, g.padTop, g.padBottom, g.padLeft, g.padRight];
}

/**
 * Writes conv(x, w) + b into `y` (`[N, K, OH, OW]`, same device, overwritten) and returns `y`. `b` may be
 * null. The lower-level form of {@link conv2d} for callers that reuse outputs.
 */
export function conv2dForwardInto(x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, options: Conv2dOptions = {}): Tensor {
  checkTensor(x, 'x', 'conv2d');
  checkTensor(w, 'w', 'conv2d');
  if (b !== null) checkTensor(b, 'b', 'conv2d');
  checkTensor(y, 'y', 'conv2d');
  const g = conv2dGeometry(x.shape, w.shape, options, 'conv2d');
  nativeAddon<ConvExports>().conv2dForward(x.native, w.native, b ? b.native : null, y.native, ...geometryArgs(g));
  return y;
}

/**
 * Convolution of `x` `[N, C, H, W]` with `w` `[K, C, KH, KW]` plus the bias `b` `[K]` (or null): returns
 * y `[N, K, OH, OW]` on x's device, written into `out` when given (it must have that shape).
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, options: Conv2dOptions = {}, out?: Tensor): Tensor {
  checkTensor(x, 'x', 'conv2d');
  checkTensor(w, 'w', 'conv2d');
  const y = out ?? Tensor.empty(conv2dGeometry(x.shape, w.shape, options, 'conv2d').outputShape, { device: x.device });
  return conv2dForwardInto(x, w, b, y, options);
}

/**
 * Writes dL/dx into `dx` (`[N, C, H, W]`, the forward input's shape, overwritten) given dL/dy `dy` and the
 * weight `w`; returns `dx`.
 */
export function conv2dBackwardInputInto(dy: Tensor, w: Tensor, dx: Tensor, options: Conv2dOptions = {}): Tensor {
  checkTensor(dy, 'dy', 'conv2dBackward');
  checkTensor(w, 'w', 'conv2dBackward');
  checkTensor(dx, 'dx', 'conv2dBackward');
  const g = conv2dGeometry(dx.shape, w.shape, options, 'conv2dBackward');
  nativeAddon<ConvExports>().conv2dBackwardInput(dy.native, w.native, dx.native, ...geometryArgs(g));
  return dx;
}

/**
 * Writes dL/dw into `dw` (`[K, C, KH, KW]`, overwritten) and, when `db` is given, dL/db into `db` (`[K]`),
 * given the forward input `x` and dL/dy `dy`.
 */
export function conv2dBackwardWeightInto(
  x: Tensor,
  dy: Tensor,
  dw: Tensor,
  db: Tensor | null,
  options: Conv2dOptions = {},
): void {
  checkTensor(x, 'x', 'conv2dBackward');
  checkTensor(dy, 'dy', 'conv2dBackward');
  checkTensor(dw, 'dw', 'conv2dBackward');
  if (db !== null) checkTensor(db, 'db', 'conv2dBackward');
  const g = conv2dGeometry(x.shape, dw.shape, options, 'conv2dBackward');
  nativeAddon<ConvExports>().conv2dBackwardWeight(x.native, dy.native, dw.native, db ? db.native : null, ...geometryArgs(g));
}

/**
 * Gradients of a convolution given its input `x`, weight `w` and dL/dy `dy`, with the options of the
 * forward pass: dw and db always, dx unless `needInput` is false (a first layer needs none). New tensors
 * on x's device.
 */
export function conv2dBackward(
  x: Tensor,
  w: Tensor,
  dy: Tensor,
  options: Conv2dOptions = {},
  backwardOptions: { needInput?: boolean } = {},
): Conv2dGradients {
  const { needInput = true } = checkOptions(backwardOptions, ['needInput'], 'conv2dBackward');
  checkTensor(x, 'x', 'conv2dBackward');
  checkTensor(w, 'w', 'conv2dBackward');
  checkTensor(dy, 'dy', 'conv2dBackward');
  conv2dGeometry(x.shape, w.shape, options, 'conv2dBackward');
  const device = x.device;
  const dw = Tensor.empty(w.shape, { device });
  const db = Tensor.empty([w.shape[0]], { device });
  try {
    conv2dBackwardWeightInto(x, dy, dw, db, options);
    if (!needInput) return { dw, db };
    const dx = Tensor.empty(x.shape, { device });
    try {
      conv2dBackwardInputInto(dy, w, dx, options);
    } catch (error) {
      dx.dispose();
      throw error;
    }
    return { dx, dw, db };
  } catch (error) {
    dw.dispose();
    db.dispose();
    throw error;
  }
}
