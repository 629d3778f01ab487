// Shared look of the charts: font, sizes, colours, text width estimate.

/** The font stack: DejaVu Sans is installed on the machines; sans-serif is the fallback. */
export const FONT_FAMILY = "'DejaVu Sans', sans-serif";

/** Font sizes in px. */
export const FONT_SIZE = { title: 15, label: 12, tick: 11, legend: 12, note: 11 } as const;

/** Series colours (Tableau 10), used in order when a series names none. */
export const PALETTE = [
  '#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd',
  '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
] as const;

/** Axis, grid and note colours. */
export const INK = { axis: '#333333', grid: '#e3e3e3', text: '#222222', muted: '#666666', missing: '#bdbdbd' } as const;

/**
 * Approximate rendered width of `text` in DejaVu Sans at `fontSize` px (per-character classes
 * measured from the font's advance widths, within a few percent), for layout.
 */
export function textWidth(text: string, fontSize: number): number {
  let em = 0;
  for (const c of text) {
    if ('ijl.,:;|!\'`'.includes(c)) em += 0.3;
    else if (' ()[]{}ftr-'.includes(c)) em += 0.4;
    else if ('mwMW%'.includes(c)) em += 0.95;
    else if (c >= 'A' && c <= 'Z') em += 0.72;
    else em += 0.62;
  }
  return em * fontSize;
}
