// Numerical comparison and gradient checking for kernel tests.

export interface Tolerance {
  /** relative tolerance (default 1e-4) */
  rtol?: number;
  /** absolute tolerance (default 1e-5) */
  atol?: number;
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise; the error message names the
 * worst element, its values and `what` (include the seed there).
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  { rtol = 1e-4, atol = 1e-5 }: Tolerance = {},
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != expected ${expected.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const allowed = atol + rtol * Math.abs(expected[i]);
    const excess = Number.isNaN(diff) ? Infinity : diff - allowed;
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(|diff| ${Math.abs(actual[worst] - expected[worst]).toExponential(3)} > atol ${atol} + rtol ${rtol}·|expected|)`,
    );
  }
}

/**
 * Central finite differences of a scalar function of `x` (float64), at the given indices
 * (all when omitted). `f` must read `x` afresh each call; `x` is restored afterwards.
 */
export function finiteDifferences(
  f: () => number,
  x: Float64Array | Float32Array,
  indices?: number[],
  eps = 1e-6,
): Float64Array {
  const which = indices ?? Array.from({ length: x.length }, (_, i) => i);
  const grad = new Float64Array(which.length);
  which.forEach((i, k) => {
    const saved = x[i];
    x[i] = saved + eps;
    const plus = f();
    x[i] = saved - eps;
    const minus = f();
    x[i] = saved;
    grad[k] = (plus - minus) / (2 * eps);
  });
  return grad;
}

/** A few indices spread over [0, n), at most `count`, always including the first and last. */
export function sampleIndices(n: number, count: number, next: () => number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  const set = new Set<number>([0, n - 1]);
  while (set.size < count) set.add(Math.floor(next() * n));
  return [...set].sort((a, b) => a - b);
}

/** Σ a[i]·b[i] in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
