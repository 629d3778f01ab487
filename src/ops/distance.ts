// Filter divergence of a locally connected weight (PROTOCOL.md, "Divergence metric"): distances
// between neighbouring per-position filter banks, and from the tied filter they started as.
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';

/** The papers' two windows. */
export const PAPER_RADII: readonly number[] = [1, 4];

/** Neighbour distances of one radius. */
export interface LocalDistance {
  radius: number;
  /** Mean Euclidean distance between a centre's bank and its ring neighbours', weight scaled to Frobenius norm 1. */
  dist: number;
  /** Mean cosine distance 1 - cos between a centre's bank and its ring neighbours'. */
  cos: number;
}

function checkGrid(op: string, w: Tensor): [number, number] {
  if (!(w instanceof Tensor)) throw new TypeError(`${op}: w must be a tensor`);
  const shape = w.shape;
  if (shape.length < 3) {
    throw new RangeError(`${op}: w must have at least 3 dimensions (OH,OW,...bank), got shape [${shape}]`);
  }
  return [shape[0], shape[1]];
}

// Runs `fill` on `out`, or on a fresh tensor that is freed again when `fill` throws.
function into(out: Tensor | undefined, make: () => Tensor, fill: (t: Tensor) => void): Tensor {
  const target = out ?? make();
  try {
    fill(target);
  } catch (error) {
    if (!out) target.dispose();
    throw error;
  }
  return target;
}

/**
 * The neighbour distances of a locally connected weight `w` ([OH, OW, ...bank]: any rank >= 3,
 * each position's bank contiguous, e.g. [OH, OW, K, C, KH, KW]) for each radius, as a float32
 * tensor [radii.length, 2] of (dist_r, cos_r) rows on w's device (the result stays there).
 *
 * For radius r the pairs are every centre (i, j) with r <= i < OH-r and r <= j < OW-r and every
 * neighbour on the ring max(|a|, |b|) = r around it (8r of them); dist_r is the mean Euclidean
 * distance after dividing the whole weight by its Frobenius norm, cos_r the mean cosine distance.
 * Undefined values are NaN: a radius with no centre (2r >= OH or OW), an all-zero weight (both
 * entries), and cos_r when a bank on the ring is all zeros.
 *
 * @param radii 1 to 16 integers >= 1.
 * @param out optional preallocated float32 [radii.length, 2] tensor on w's device, overwritten.
 */
export function localDistancesTensor(w: Tensor, radii: readonly number[] = PAPER_RADII, out?: Tensor): Tensor {
  checkGrid('localDistances', w);
  if (!Array.isArray(radii)) throw new TypeError('localDistances: radii must be an array of integers >= 1');
  return into(
    out,
    () => Tensor.empty([radii.length, 2], { device: w.device }),
    (t) => nativeAddon().localDistances(w.native, [...radii], t.native),
  );
}

/**
 * The neighbour distances of `w` per radius, read back to the host (see
 * {@link localDistancesTensor} for the definition and the NaN cases).
 */
export function localDistances(w: Tensor, radii: readonly number[] = PAPER_RADII): LocalDistance[] {
  const t = localDistancesTensor(w, radii);
  try {
    const values = t.toArray() as Float32Array;
    return radii.map((radius, k) => ({ radius, dist: values[2 * k], cos: values[2 * k + 1] }));
  } finally {
    t.dispose();
  }
}

/**
 * Per-position divergence of `w` ([OH, OW, ...bank]) from a reference filter `ref` (typically the
 * tied conv filter every bank started as; one bank's element count, in the bank's element order):
 * a float32 tensor [2, OH, OW] on w's device with
 * out[0][i][j] = ||W_ij - ref|| / ||ref|| and out[1][i][j] = 1 - cos(W_ij, ref).
 * No Frobenius normalisation. A zero `ref` gives NaN everywhere; a zero bank a NaN cosine.
 *
 * @param out optional preallocated float32 [2, OH, OW] tensor on w's device, overwritten.
 */
export function referenceDistances(w: Tensor, ref: Tensor, out?: Tensor): Tensor {
  const [oh, ow] = checkGrid('referenceDistances', w);
  if (!(ref instanceof Tensor)) throw new TypeError('referenceDistances: ref must be a tensor');
  return into(
    out,
    () => Tensor.empty([2, oh, ow], { device: w.device }),
    (t) => nativeAddon().referenceDistances(w.native, ref.native, t.native),
  );
}

/** {@link referenceDistances} read back to the host: row-major [OH, OW] arrays. */
export function referenceDistanceArrays(
  w: Tensor,
  ref: Tensor,
): { shape: [number, number]; dist: Float32Array; cos: Float32Array } {
  const [oh, ow] = checkGrid('referenceDistances', w);
  const t = referenceDistances(w, ref);
  try {
    const values = t.toArray() as Float32Array;
    const n = oh * ow;
    return { shape: [oh, ow], dist: values.slice(0, n), cos: values.slice(n, 2 * n) };
  } finally {
    t.dispose();
  }
}
