// Data augmentation on the device holding the batch: noise for training (PROTOCOL.md "noise
// augmentation p%") and the five robustness perturbations measured on the validation set.
//
// Every op takes a float32 batch x [N,C,H,W] of pixels in [0, 1] and a 32-bit (seed, stream) pair.
// Results are a pure function of (seed, stream, x): identical on the CPU and on a GPU, for any
// thread count. Per-element noise is drawn from (seed, stream, element index); per-image shifts
// and angles from (seed, stream, image index within the batch), so give each batch its own
// stream (a training loop: its run seed and a running batch counter; a robustness set: a fixed
// stream per batch so that every epoch sees the same perturbed images).
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';

export {
  RandomDomain,
  philox4x32_10,
  draw,
  uniformOpen0,
  uniformBelow,
  logUniform,
  sincosTurns,
  boxMuller,
  normal4,
  gaussianAt,
  maxShift,
  translationShift,
  rotationDegrees,
} from './augment_random';

// The caller's output, or a new one shaped like x on x's device (the native op checks both).
function outputFor(op: string, x: Tensor, out: Tensor | undefined): Tensor {
  if (out) return out;
  if (!(x instanceof Tensor) || x.disposed) throw new TypeError(`${op}: x must be a live Tensor`);
  return Tensor.empty(x.shape, { device: x.device });
}

/**
 * Adds Gaussian noise: out = x + sigma·N(0, 1), fresh for every element, no clipping.
 * @param x float32 [N,C,H,W]
 * @param sigma standard deviation, >= 0 (noise augmentation p% is sigma = p/100)
 * @param seed 32-bit unsigned integer
 * @param stream 32-bit unsigned integer; a different stream gives independent noise
 * @param out preallocated output of x's shape on x's device; may be x itself (in place)
 * @returns out (a new tensor when not given)
 */
export function gaussianNoise(x: Tensor, sigma: number, seed: number, stream: number, out?: Tensor): Tensor {
  const y = outputFor('gaussianNoise', x, out);
  nativeAddon().gaussianNoise(x.native, y.native, sigma, seed, stream);
  return y;
}

/**
 * Adds Gaussian noise to the pixels within `border` pixels of any image edge and leaves the centre
 * untouched (PROTOCOL.md edge noise: sigma 0.15, border 5). The noise on a border element is the
 * one gaussianNoise would add there with the same (seed, stream).
 * @param x float32 [N,C,H,W]
 * @param sigma standard deviation, >= 0
 * @param border width in pixels, an integer >= 0 (0: no noise)
 * @param seed 32-bit unsigned integer
 * @param stream 32-bit unsigned integer
 * @param out preallocated output of x's shape on x's device; may be x itself (in place)
 */
export function edgeNoise(
  x: Tensor,
  sigma: number,
  border: number,
  seed: number,
  stream: number,
  out?: Tensor,
): Tensor {
  const y = outputFor('edgeNoise', x, out);
  nativeAddon().edgeNoise(x.native, y.native, sigma, border, seed, stream);
  return y;
}

/**
 * Shifts every image by its own random integer offset: dy uniform in [−round(f·H), round(f·H)],
 * dx in [−round(f·W), round(f·W)] (see translationShift). Pixels moved in from outside repeat the
 * nearest edge pixel ("nearest" fill).
 * @param x float32 [N,C,H,W]
 * @param maxFraction f in [0, 1)
 * @param seed 32-bit unsigned integer
 * @param stream 32-bit unsigned integer
 * @param out preallocated output of x's shape on x's device, sharing no memory with x
 */
export function translate(x: Tensor, maxFraction: number, seed: number, stream: number, out?: Tensor): Tensor {
  const y = outputFor('translate', x, out);
  nativeAddon().translate(x.native, y.native, maxFraction, seed, stream);
  return y;
}

/**
 * Rotates every image about its centre by its own random angle, uniform in (−maxDegrees,
 * maxDegrees] (see rotationDegrees; positive is counter-clockwise as displayed, rows downward),
 * with bilinear sampling and nearest-edge fill.
 * @param x float32 [N,C,H,W]
 * @param maxDegrees in [0, 180]
 * @param seed 32-bit unsigned integer
 * @param stream 32-bit unsigned integer
 * @param out preallocated output of x's shape on x's device, sharing no memory with x
 */
export function rotate(x: Tensor, maxDegrees: number, seed: number, stream: number, out?: Tensor): Tensor {
  const y = outputFor('rotate', x, out);
  nativeAddon().rotate(x.native, y.native, maxDegrees, seed, stream);
  return y;
}

/**
 * Exchanges the top-right and bottom-left quarters of every image. The quarters are
 * floor(H/2)×floor(W/2), anchored at their corners; with an odd H or W the middle row or column
 * stays where it is. Applying it twice gives x back.
 * @param x float32 [N,C,H,W]
 * @param out preallocated output of x's shape on x's device, sharing no memory with x
 */
export function quadrantSwap(x: Tensor, out?: Tensor): Tensor {
  const y = outputFor('quadrantSwap', x, out);
  nativeAddon().quadrantSwap(x.native, y.native);
  return y;
}

/** One augmentation with its parameters. */
export type Augmentation =
  | { kind: 'noise'; sigma: number }
  | { kind: 'edge_noise'; sigma: number; border: number }
  | { kind: 'translation'; maxFraction: number }
  | { kind: 'rotation'; maxDegrees: number }
  | { kind: 'swap' };

/**
 * Applies `aug` to x with (seed, stream) (the swap ignores them).
 * @param out preallocated output; may be x only for 'noise' and 'edge_noise'
 * @returns out (a new tensor when not given)
 */
export function applyAugmentation(x: Tensor, aug: Augmentation, seed: number, stream: number, out?: Tensor): Tensor {
  switch (aug.kind) {
    case 'noise':
      return gaussianNoise(x, aug.sigma, seed, stream, out);
    case 'edge_noise':
      return edgeNoise(x, aug.sigma, aug.border, seed, stream, out);
    case 'translation':
      return translate(x, aug.maxFraction, seed, stream, out);
    case 'rotation':
      return rotate(x, aug.maxDegrees, seed, stream, out);
    case 'swap':
      return quadrantSwap(x, out);
    default: {
      const unknown: never = aug;
      throw new Error(`applyAugmentation: unknown augmentation kind ${JSON.stringify((unknown as { kind?: unknown }).kind)}`);
    }
  }
}

/** The robustness columns of the results CSV, in their published order. */
export type RobustnessColumn = 'translation' | 'noise' | 'edge_noise' | 'rotation' | 'swap';

/**
 * The five robustness perturbations of PROTOCOL.md (Ott et al.), keyed by their CSV column:
 * translation up to ±25% of height and width, Gaussian noise sigma 0.15, edge noise sigma 0.15 on
 * a 5-pixel border, rotation up to ±45°, quadrant swap.
 */
export const ROBUSTNESS_PERTURBATIONS: Readonly<Record<RobustnessColumn, Readonly<Augmentation>>> = Object.freeze({
  translation: Object.freeze({ kind: 'translation', maxFraction: 0.25 }),
  noise: Object.freeze({ kind: 'noise', sigma: 0.15 }),
  edge_noise: Object.freeze({ kind: 'edge_noise', sigma: 0.15, border: 5 }),
  rotation: Object.freeze({ kind: 'rotation', maxDegrees: 45 }),
  swap: Object.freeze({ kind: 'swap' }),
});
