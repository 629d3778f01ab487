// Means with Student-t confidence intervals over seeds, and paired differences. The t quantiles
// come from jstat (its inverse of the regularised incomplete beta function).
import { jStat } from 'jstat';

/** A mean over n values with its confidence interval; the interval is null when n < 2. */
export interface Estimate {
  n: number;
  mean: number | null;
  /** Sample standard deviation (n − 1 in the denominator); null when n < 2. */
  sd: number | null;
  /** Half-width of the interval: mean ± ci; null when n < 2. */
  ci: number | null;
  low: number | null;
  high: number | null;
}

/** The confidence level of every interval. */
export const CONFIDENCE = 0.95;

/** The quantile of Student's t distribution: t such that P(T ≤ t) = p with `dof` degrees of freedom. */
export function tQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  if (!(Number.isInteger(dof) && dof >= 1)) throw new RangeError(`degrees of freedom must be a whole number >= 1, got ${dof}`);
  return jStat.studentt.inv(p, dof);
}

/** Mean ± t(1 − α/2, n − 1)·s/√n of the finite values (NaN and null are left out). */
export function estimate(values: readonly (number | null)[], level = CONFIDENCE): Estimate {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { n, mean: null, sd: null, ci: null, low: null, high: null };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, sd: null, ci: null, low: null, high: null };
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  const ci = tQuantile(1 - (1 - level) / 2, n - 1) * (sd / Math.sqrt(n));
  return { n, mean, sd, ci, low: mean - ci, high: mean + ci };
}

/** The paired difference b − a over the pairs where both are finite (same seed: same data and order). */
export function pairedDifference(pairs: readonly [number | null, number | null][], level = CONFIDENCE): Estimate {
  return estimate(
    pairs.filter(([a, b]) => a !== null && b !== null && Number.isFinite(a) && Number.isFinite(b)).map(([a, b]) => b! - a!),
    level,
  );
}
