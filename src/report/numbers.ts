// Number <-> text for the metrics files.

/** Significant digits written for non-integer numbers. */
export const SIGNIFICANT_DIGITS = 6;

/**
 * A number as a metrics-file cell: '' for null, 'NaN' / 'Infinity' / '-Infinity' for the
 * non-finite values, integers in full, anything else to {@link SIGNIFICANT_DIGITS} significant
 * digits in the shortest form (e.g. 0.000123457, 1.5e-7).
 */
export function formatNumberCell(value: number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value === 0 ? 0 : value);
  return String(Number(value.toPrecision(SIGNIFICANT_DIGITS)));
}

/**
 * Reads a cell written by {@link formatNumberCell}: '' is null; 'NaN', 'Infinity', '-Infinity'
 * (also 'nan', 'inf', '-inf' as other tools write them) are the non-finite values.
 *
 * @throws Error when the cell is not a number.
 */
export function parseNumberCell(cell: string): number | null {
  const text = cell.trim();
  if (text === '') return null;
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === 'infinity' || lower === '+inf' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  const value = Number(text);
  if (Number.isNaN(value)) throw new Error(`not a number: '${cell}'`);
  return value;
}
