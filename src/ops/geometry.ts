// Geometry of 2-D windowed layers (convolution, locally connected): strides, zero padding and
// output sizes, with TensorFlow's 'valid' / 'same' conventions. The one resolver of the conv and LC
// ops and of the network plan, and the one that explains options that do not fit. The native exports
// take what it resolves as plain integers and only check that it fits their tensors
// (binding/window_args.h), so that no call, from here or not, reaches memory outside them.
import { describeValue as describe } from '../util/describe';
import { checkOptions } from '../util/options';

/**
 * Zero padding of a 2-D layer: 'valid' (none), 'same' (TensorFlow's rule: the output has
 * ceil(size / stride) rows and columns; odd totals put the extra row or column at the bottom or right),
 * one number for all four sides, or explicit `[top, bottom, left, right]`.
 */
export type Padding = 'valid' | 'same' | number | readonly [number, number, number, number];

/** Explicit padding in rows (top, bottom) and columns (left, right). */
export interface Padding2d {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** A stride for both axes, or `[strideH, strideW]`. */
export type Stride = number | readonly [number, number];

/** Stride and padding of a windowed op (conv2d, local2d). */
export interface WindowOptions {
  /** Default 1. */
  stride?: Stride;
  /** Default `'valid'`. */
  padding?: Padding;
}

/**
 * A windowed layer's geometry, resolved once (by {@link resolveWindow}: the network plan, or an op's
 * first call) and passed unchanged to its forward pass and both gradients.
 */
export interface WindowGeometry {
  /** `[kernelH, kernelW]`. */
  kernel: [number, number];
  /** `[strideH, strideW]`. */
  stride: [number, number];
  /** Explicit zero padding. */
  padding: Padding2d;
  outputHeight: number;
  outputWidth: number;
}

const WINDOW_OPTION_KEYS = ['stride', 'padding'] as const;

/** The native kernels take sizes, strides and padding as 32-bit integers. */
const MAX_INT32 = 2 ** 31 - 1;

function checkCount(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new RangeError(`${what} must be an integer >= ${min}, got ${describe(value)}`);
  }
  if (value > MAX_INT32) throw new RangeError(`${what} must be at most 2^31-1, got ${value}`);
  return value;
}

/**
 * `[strideH, strideW]` from a stride option (default 1); each must be an integer >= 1.
 * `op` names the caller in error messages (as in every helper here).
 */
export function resolveStride(stride: Stride = 1, op = 'resolveStride'): [number, number] {
  if (typeof stride === 'number') {
    checkCount(stride, `${op}: stride`, 1);
    return [stride, stride];
  }
  if (!Array.isArray(stride) || stride.length !== 2) {
    throw new TypeError(`${op}: stride must be a number or [strideH, strideW], got ${describe(stride)}`);
  }
  return [checkCount(stride[0], `${op}: stride[0]`, 1), checkCount(stride[1], `${op}: stride[1]`, 1)];
}

/**
 * The explicit padding of a layer with input `[height, width]`, kernel `[kernelH, kernelW]` and
 * stride `[strideH, strideW]`. 'same' pads `total = max((ceil(size / stride) - 1) · stride + kernel - size, 0)`
 * per axis, `floor(total / 2)` at the top (left) and the rest at the bottom (right), as TensorFlow does.
 * Each side must be smaller than the kernel along its axis (a window of padding alone reads nothing;
 * the native kernels reject it); 'same' always is.
 */
export function resolvePadding(
  padding: Padding,
  input: readonly [number, number],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  op = 'resolvePadding',
): Padding2d {
  const explicit = explicitPadding(padding, input, kernel, stride, op);
  const sides = [
    ['top', explicit.top, 0],
    ['bottom', explicit.bottom, 0],
    ['left', explicit.left, 1],
    ['right', explicit.right, 1],
  ] as const;
  for (const [side, pad, axis] of sides) {
    if (pad >= kernel[axis]) {
      const dimension = axis === 0 ? 'height' : 'width';
      throw new RangeError(`${op}: padding ${side} must be less than the kernel ${dimension} ${kernel[axis]}, got ${pad}`);
    }
  }
  return explicit;
}

function explicitPadding(
  padding: Padding,
  input: readonly [number, number],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  op: string,
): Padding2d {
  if (padding === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (padding === 'same') {
    const [top, bottom] = samePadding(input[0], kernel[0], stride[0]);
    const [left, right] = samePadding(input[1], kernel[1], stride[1]);
    return { top, bottom, left, right };
  }
  if (typeof padding === 'number') {
    checkCount(padding, `${op}: padding`, 0);
    return { top: padding, bottom: padding, left: padding, right: padding };
  }
  if (!Array.isArray(padding) || padding.length !== 4) {
    throw new TypeError(
      `${op}: padding must be 'valid', 'same', a number or [top, bottom, left, right], got ${describe(padding)}`,
    );
  }
  const names = ['top', 'bottom', 'left', 'right'];
  padding.forEach((p, i) => checkCount(p, `${op}: padding ${names[i]}`, 0));
  const [top, bottom, left, right] = padding;
  return { top, bottom, left, right };
}

function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * `[outputH, outputW]` of a layer: `floor((size + padBefore + padAfter - kernel) / stride) + 1` per axis.
 * Throws when the padded input is smaller than the kernel.
 */
export function outputSize(
  input: readonly [number, number],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  padding: Padding2d,
  op = 'outputSize',
): [number, number] {
  const paddedH = input[0] + padding.top + padding.bottom;
  const paddedW = input[1] + padding.left + padding.right;
  if (paddedH < kernel[0] || paddedW < kernel[1]) {
    throw new RangeError(
      `${op}: the padded input ${paddedH}x${paddedW} is smaller than the kernel ${kernel[0]}x${kernel[1]}`,
    );
  }
  return [Math.floor((paddedH - kernel[0]) / stride[0]) + 1, Math.floor((paddedW - kernel[1]) / stride[1]) + 1];
}

/**
 * The geometry of a layer over an `input` `[height, width]` with a `kernel` `[kernelH, kernelW]`
 * and the given stride and padding (checked: unknown keys, strides, padding sides, an input
 * smaller than the kernel); errors name `op`.
 */
export function resolveWindow(
  input: readonly [number, number],
  kernel: readonly [number, number],
  options: WindowOptions = {},
  op = 'resolveWindow',
): WindowGeometry {
  options = checkOptions(options, WINDOW_OPTION_KEYS, op);
  const stride = resolveStride(options.stride ?? 1, op);
  const padding = resolvePadding(options.padding ?? 'valid', input, kernel, stride, op);
  const [outputHeight, outputWidth] = outputSize(input, kernel, stride, padding, op);
  return { kernel: [kernel[0], kernel[1]], stride, padding, outputHeight, outputWidth };
}
