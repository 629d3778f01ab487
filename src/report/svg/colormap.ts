// A viridis colour scale: perceptually uniform, lightness rising monotonically with the value.

/** Viridis sampled at 0, 0.1, ..., 1 (matplotlib's colormap). */
const VIRIDIS_STOPS: readonly [number, number, number][] = [
  [0x44, 0x01, 0x54], [0x48, 0x24, 0x75], [0x41, 0x44, 0x87], [0x35, 0x5f, 0x8d], [0x2a, 0x78, 0x8e],
  [0x21, 0x91, 0x8c], [0x22, 0xa8, 0x84], [0x44, 0xbf, 0x70], [0x7a, 0xd1, 0x51], [0xbd, 0xdf, 0x26],
  [0xfd, 0xe7, 0x25],
];

function hex(channel: number): string {
  return Math.round(Math.min(255, Math.max(0, channel))).toString(16).padStart(2, '0');
}

/**
 * The viridis colour at `t` in [0, 1] (clamped) as '#rrggbb', interpolated linearly between
 * the stops.
 *
 * @throws RangeError when `t` is NaN.
 */
export function viridis(t: number): string {
  if (Number.isNaN(t)) throw new RangeError('viridis: NaN');
  const x = Math.min(1, Math.max(0, t)) * (VIRIDIS_STOPS.length - 1);
  const i = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [VIRIDIS_STOPS[i], VIRIDIS_STOPS[i + 1]];
  return `#${hex(a[0] + (b[0] - a[0]) * f)}${hex(a[1] + (b[1] - a[1]) * f)}${hex(a[2] + (b[2] - a[2]) * f)}`;
}

/** Maps values in [min, max] to viridis colours (min darkest, max brightest). */
export function colorScale(min: number, max: number): (value: number) => string {
  const span = max - min || 1;
  return (v) => viridis((v - min) / span);
}

/** The WCAG relative luminance of a '#rrggbb' colour, in [0, 1]. */
export function relativeLuminance(color: string): number {
  const channel = (i: number): number => {
    const c = parseInt(color.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}
