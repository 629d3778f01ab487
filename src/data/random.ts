// Seeded pseudo-random numbers for the data module: shuffles, splits and the synthetic dataset.
// Not cryptographic; reproducible on every platform (integer arithmetic only, then one division).

// Module-level aliases: a global lookup of Math costs ~5x more per call inside jest's vm sandbox.
const { imul, floor, sqrt, log, sin, cos, PI } = Math;

/**
 * Checks a seed (a safe integer, which may be negative) and folds it into 32 bits, mixing the
 * high bits in so that seeds differing only above bit 31 still give different streams.
 */
export function seed32(seed: number, what = 'seed'): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`${what} must be a safe integer, got ${seed}`);
  const lo = seed >>> 0;
  const hi = floor(seed / 2 ** 32) >>> 0;
  return (lo ^ imul(hi, 0x9e3779b1)) >>> 0;
}

/** Mixes several 32-bit words into one (a murmur3-style finaliser over each word in turn). */
export function mix32(...words: number[]): number {
  let h = 0x811c9dc5;
  for (const w of words) {
    h = imul(h ^ (w >>> 0), 0x01000193) >>> 0;
    h ^= h >>> 16;
    h = imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A seeded generator (mulberry32). */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  below(n: number): number;
  /** A float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** A standard normal value (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number;
}

/** A generator for a 32-bit state (use {@link seed32} or {@link mix32} to make one). */
export function makeRng(state: number): Rng {
  let a = state >>> 0;
  let spare: number | null = null;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    below: (n) => floor(next() * n),
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    normal() {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      const u = 1 - next(); // (0, 1]
      const v = next();
      const r = sqrt(-2 * log(u));
      spare = r * sin(2 * PI * v);
      return r * cos(2 * PI * v);
    },
  };
}

/** Fisher–Yates shuffle of `array` in place, driven by `rng`; returns the array. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(array: T, rng: Rng): T {
  for (let i = array.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const tmp = array[i];
    array[i] = array[j];
    array[j] = tmp;
  }
  return array;
}

/** The integers 0 … n−1 in an order shuffled by `seed` (a safe integer). */
export function seededPermutation(n: number, seed: number, stream = 0): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return shuffleInPlace(order, makeRng(mix32(seed32(seed), stream)));
}
