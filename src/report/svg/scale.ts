// Axis domains, nice ticks and value -> pixel mappings (linear and log10).

/** A value interval with its tick positions. */
export interface Axis {
  min: number;
  max: number;
  ticks: number[];
  /** Whether the axis is log10. */
  log: boolean;
}

/** A step of 1, 2 or 5 times a power of ten near `span / count`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  const factor = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return factor * magnitude;
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/**
 * A linear axis covering [lo, hi], widened to multiples of a nice step, with about `count`
 * ticks. A degenerate interval is padded; non-finite bounds give [0, 1].
 *
 * @param minStep - the smallest step allowed (1 for epochs).
 */
export function linearAxis(lo: number, hi: number, count = 5, minStep = 0): Axis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.1 || 1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const step = Math.max(niceStep(hi - lo, count), minStep);
  const decimals = decimalsOf(step) + 1;
  const min = Number((Math.floor(lo / step + 1e-9) * step).toFixed(decimals));
  const max = Number((Math.ceil(hi / step - 1e-9) * step).toFixed(decimals));
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const t = Number((min + i * step).toFixed(decimals));
    if (t > max + step * 1e-6) break;
    ticks.push(t);
  }
  return { min, max, ticks, log: false };
}

/**
 * A log10 axis covering [lo, hi] (both > 0), widened to whole decades, ticks at each decade
 * and, over at most two decades, at 2× and 5× too.
 */
export function logAxis(lo: number, hi: number): Axis {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [1, 10];
  if (lo > hi) [lo, hi] = [hi, lo];
  const a = Math.floor(Math.log10(lo) + 1e-9);
  let b = Math.ceil(Math.log10(hi) - 1e-9);
  if (b <= a) b = a + 1;
  const ticks: number[] = [];
  for (let k = a; k <= b; k++) {
    const decade = Number((10 ** k).toPrecision(12));
    ticks.push(decade);
    if (b - a <= 2 && k < b) ticks.push(Number((2 * decade).toPrecision(12)), Number((5 * decade).toPrecision(12)));
  }
  return { min: 10 ** a, max: 10 ** b, ticks, log: true };
}

/** Maps values on `axis` to pixels between `from` (at axis.min) and `to` (at axis.max). */
export function axisScale(axis: Axis, from: number, to: number): (value: number) => number {
  if (axis.log) {
    const a = Math.log10(axis.min);
    const span = Math.log10(axis.max) - a;
    return (v) => from + ((Math.log10(v) - a) / span) * (to - from);
  }
  const span = axis.max - axis.min;
  return (v) => from + ((v - axis.min) / span) * (to - from);
}

/** A tick label: as many decimals as the tick spacing needs; exponent form for very large or small values. */
export function formatTick(value: number, axis: Axis): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (axis.log) return abs >= 1e-3 && abs < 1e5 ? String(Number(value.toPrecision(3))) : exponent(value);
  const step = axis.ticks.length > 1 ? axis.ticks[1] - axis.ticks[0] : abs;
  const largest = Math.max(...axis.ticks.map(Math.abs));
  if (largest >= 1e6 || step < 1e-4) return exponent(value);
  return value.toFixed(decimalsOf(step));
}

function exponent(value: number): string {
  const [mantissa, power] = Number(value.toPrecision(3)).toExponential().split('e');
  return `${mantissa}e${power.replace('+', '')}`;
}
