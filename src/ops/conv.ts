// 2-D convolution (NCHW): the windowed op (./window.ts) with one filter bank shared by every output
// position. Layouts: input x [N, C, H, W], weight w [K, C, KH, KW], bias b [K], output y [N, K, OH, OW].
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { describeValue as describe } from '../util/describe';
import { Padding, Stride, WindowGeometry, WindowOptions, resolveWindow } from './geometry';
import { F32, checkTensor } from './layer_op';
import * as window from './window';
import type { WindowBackwardOptions, WindowFamily, WindowGradients } from './window';

/** A stride for both axes, or `[strideH, strideW]` (the {@link Stride} of every windowed op). */
export type Conv2dStride = Stride;

/**
 * Zero padding, as for every windowed op ({@link Padding}): `'valid'`, `'same'` (TensorFlow's rule), one
 * number for all four sides, or `[top, bottom, left, right]`; each side smaller than the kernel on its axis.
 */
export type Conv2dPadding = Padding;

/** Stride (default 1) and padding (default `'valid'`): the {@link WindowOptions} of every windowed op. */
export type Conv2dOptions = WindowOptions;

function checkShape4(shape: readonly number[], name: string, dims: string, op: string): void {
  const isDim = (d: unknown) => typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= 2 ** 31 - 1;
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every(isDim)) {
    throw new RangeError(`${op}: ${name} must have shape [${dims}], got ${describe(shape)}`);
  }
}

/**
 * The window geometry (kernel, strides, explicit padding, OH and OW) of convolving an input of
 * `inputShape` `[N, C, H, W]` with a weight of `weightShape` `[K, C, KH, KW]`. Throws a RangeError
 * naming `op` when the shapes or options do not fit together.
 */
export function conv2dGeometry(
  inputShape: readonly number[],
  weightShape: readonly number[],
  options: Conv2dOptions = {},
  op = 'conv2d',
): WindowGeometry {
  checkShape4(inputShape, 'the input', 'N, C, H, W', op);
  checkShape4(weightShape, 'the weight', 'K, C, KH, KW', op);
  const [, c, h, w] = inputShape;
  const [k, wc, kh, kw] = weightShape;
  if (c < 1 || h < 1 || w < 1) throw new RangeError(`${op}: the input must not be empty, got shape ${describe(inputShape)}`);
  if (k < 1 || kh < 1 || kw < 1) throw new RangeError(`${op}: the weight must not be empty, got shape ${describe(weightShape)}`);
  if (wc !== c) {
    throw new RangeError(
      `${op}: the weight has ${wc} input channels but the input has ${c} (weight ${describe(weightShape)}, input ${describe(inputShape)})`,
    );
  }
  return resolveWindow([h, w], [kh, kw], options, op);
}

/** Output shape `[N, K, OH, OW]` of convolving `inputShape` `[N, C, H, W]` with `weightShape` `[K, C, KH, KW]`. */
export function conv2dOutputShape(
  inputShape: readonly number[],
  weightShape: readonly number[],
  options: Conv2dOptions = {},
): [number, number, number, number] {
  const g = conv2dGeometry(inputShape, weightShape, options);
  return [inputShape[0], weightShape[0], g.outputHeight, g.outputWidth];
}

/** The convolution as a windowed-op family. */
export const CONV2D: WindowFamily = {
  op: 'conv2d',
  exports: {
    forward: (...args) => nativeAddon().conv2dForward(...args),
    backwardInput: (...args) => nativeAddon().conv2dBackwardInput(...args),
    backwardWeight: (...args) => nativeAddon().conv2dBackwardWeight(...args),
  },
  geometry: (inputShape, weightShape, options, op) => conv2dGeometry(inputShape, weightShape, options, op),
  filters: (weightShape) => weightShape[0],
  biasShape: (weightShape) => [weightShape[0]],
};

/**
 * Convolution of `x` `[N, C, H, W]` with `w` `[K, C, KH, KW]` plus the bias `b` `[K]` (or null): returns
 * y `[N, K, OH, OW]` on x's device, written into `out` when given (it must have that shape).
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | null, options: Conv2dOptions = {}, out?: Tensor): F32 {
  return window.forward(CONV2D, x, w, b, options, out);
}

/**
 * Writes conv(x, w) + b into `y` (`[N, K, OH, OW]`, same device, overwritten) and returns `y`. `b` may be
 * null. The lower-level form of {@link conv2d} for callers that reuse outputs.
 */
export function conv2dForwardInto(x: Tensor, w: Tensor, b: Tensor | null, y: Tensor, options: Conv2dOptions = {}): F32 {
  checkTensor(y, 'y', CONV2D.op);
  return window.forward(CONV2D, x, w, b, options, y);
}

/**
 * Writes dL/dx into `dx` (`[N, C, H, W]`, the forward input's shape, overwritten) given dL/dy `dy` and the
 * weight `w`; returns `dx`.
 */
export function conv2dBackwardInputInto(dy: Tensor, w: Tensor, dx: Tensor, options: Conv2dOptions = {}): F32 {
  return window.backwardInput(CONV2D, dy, w, dx, options);
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
): { dw: F32; db: F32 | null } {
  return window.backwardWeight(CONV2D, x, dy, dw, db, options);
}

/**
 * Gradients of a convolution given its input `x`, weight `w` and dL/dy `dy`, with the options of the
 * forward pass: dw `[K, C, KH, KW]` and db `[K]` always, dx `[N, C, H, W]` unless `needInput` is false (a
 * first layer needs none). New tensors on x's device, or the buffers given in `out` (overwritten).
 */
export function conv2dBackward(
  x: Tensor,
  w: Tensor,
  dy: Tensor,
  options: Conv2dOptions = {},
  backwardOptions: WindowBackwardOptions = {},
): WindowGradients {
  return window.backward(CONV2D, x, w, dy, options, backwardOptions);
}
