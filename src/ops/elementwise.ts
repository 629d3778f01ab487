// Elementwise helpers over float32 tensors: fill, scale, axpy and reductions.
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';

/** Sets every element of `t` to `value` (finite) in place; returns `t`. */
export function fill<T extends Tensor>(t: T, value: number): T {
  nativeAddon().fill(t.native, value);
  return t;
}

/** Multiplies `t` by `alpha` in place; returns `t`. */
export function scale<T extends Tensor>(t: T, alpha: number): T {
  nativeAddon().scale(t.native, alpha);
  return t;
}

/** `y += alpha·x` in place (x of y's shape, not sharing its memory); returns `y`. */
export function axpy<T extends Tensor>(y: T, alpha: number, x: Tensor): T {
  nativeAddon().axpy(y.native, alpha, x.native);
  return y;
}

/**
 * Σ x into a float32 [1] tensor that stays on x's device (allocated when `out` is omitted).
 * The CPU sums in double, independent of the thread count; CUDA reduces blocks as trees and adds
 * the blocks' totals with float atomics (the last bits may vary between runs).
 */
export function sumInto(x: Tensor, out?: Tensor): Tensor<'float32'> {
  const result = out ?? Tensor.empty([1], { device: x.device });
  nativeAddon().sum(x.native, result.native);
  return result as Tensor<'float32'>;
}

/** Σ x² into a float32 [1] tensor on x's device, as {@link sumInto} (for norms). */
export function sumSquaresInto(x: Tensor, out?: Tensor): Tensor<'float32'> {
  const result = out ?? Tensor.empty([1], { device: x.device });
  nativeAddon().sumSquares(x.native, result.native);
  return result as Tensor<'float32'>;
}

function readScalar(t: Tensor<'float32'>): number {
  try {
    return t.toArray()[0];
  } finally {
    t.dispose();
  }
}

/** Σ x as a number (one device-to-host copy). */
export function sum(x: Tensor): number {
  return readScalar(sumInto(x));
}

/** Σ x² as a number (one device-to-host copy). */
export function sumSquares(x: Tensor): number {
  return readScalar(sumSquaresInto(x));
}
