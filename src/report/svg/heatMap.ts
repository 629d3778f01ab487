// Heat maps: a grid of cells coloured by value (viridis), with a colour bar and ticks.
import { colorScale } from './colormap';
import { SvgFragment, svgDocument } from './document';
import { axisScale, formatTick, linearAxis } from './scale';
import { FONT_SIZE, INK, textWidth } from './theme';
import { fmt, tag, textTag } from './xml';

/** What {@link heatMap} draws. */
export interface HeatMapOptions {
  title: string;
  /** Number of rows and columns of the grid. */
  rows: number;
  columns: number;
  /** rows × columns values, row-major, row 0 at the top. Non-finite values are drawn grey. */
  values: readonly number[];
  /** Label of the colour bar. */
  valueLabel?: string;
  xLabel?: string;
  yLabel?: string;
  /** Colour range; by default the finite values' min and max. */
  domain?: readonly [number, number];
  /** Total size in px (default 560 × 500). */
  width?: number;
  height?: number;
}

/** Index ticks along a side of `n` cells: about 6 of them, at multiples of a nice step. */
function indexTicks(n: number): number[] {
  const step = Math.max(1, Math.round(linearAxis(0, Math.max(1, n - 1), 6, 1).ticks[1] ?? 1));
  const ticks: number[] = [];
  for (let i = 0; i < n; i += step) ticks.push(i);
  return ticks;
}

function colourDomain(values: readonly number[], domain?: readonly [number, number]): [number, number] {
  let [lo, hi] = domain ?? [Infinity, -Infinity];
  if (!domain) for (const v of values) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) hi = lo + (Math.abs(lo) || 1);
  return [lo, hi];
}

/** The heat map as a fragment, to compose with others. */
export function heatMapFragment(options: HeatMapOptions): SvgFragment {
  const { rows, columns, values } = options;
  if (!(rows > 0 && columns > 0) || values.length !== rows * columns) {
    throw new RangeError(`heatMap: ${values.length} values do not fill ${rows} × ${columns} cells`);
  }
  const width = options.width ?? 560;
  const height = options.height ?? 500;
  const [lo, hi] = colourDomain(values, options.domain);
  const colour = colorScale(lo, hi);
  const barAxis = linearAxis(lo, hi, 5);
  const barTicks = barAxis.ticks.filter((t) => t >= lo - 1e-12 * Math.abs(hi - lo) && t <= hi + 1e-12 * Math.abs(hi - lo));
  const barLabels = barTicks.map((t) => formatTick(t, barAxis));
  const barLabelWidth = Math.max(0, ...barLabels.map((l) => textWidth(l, FONT_SIZE.tick)));

  const top = 16 + FONT_SIZE.title + 14;
  const left = 14 + (options.yLabel ? FONT_SIZE.label + 8 : 0) + textWidth(String(rows - 1), FONT_SIZE.tick) + 10;
  const bottom = 12 + FONT_SIZE.tick + 8 + (options.xLabel ? FONT_SIZE.label + 10 : 0);
  const barWidth = 16;
  const right = 24 + barWidth + 6 + barLabelWidth + (options.valueLabel ? FONT_SIZE.label + 12 : 0) + 10;
  const cell = Math.max(1, Math.min((width - left - right) / columns, (height - top - bottom) / rows));
  const gx0 = left;
  const gy0 = top;
  const gx1 = gx0 + cell * columns;
  const gy1 = gy0 + cell * rows;

  const parts: string[] = [];
  parts.push(textTag(options.title, {
    x: width / 2, y: 16 + FONT_SIZE.title, 'text-anchor': 'middle', 'font-size': FONT_SIZE.title, 'font-weight': 'bold', fill: INK.text,
  }));
  const gridStroke = cell >= 6 ? { stroke: '#ffffff', 'stroke-width': Math.min(1, cell / 20) } : {};
  let missing = false;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const v = values[r * columns + c];
      const finite = Number.isFinite(v);
      missing ||= !finite;
      parts.push(tag('rect', {
        x: gx0 + c * cell, y: gy0 + r * cell, width: cell, height: cell, fill: finite ? colour(v) : INK.missing, ...gridStroke,
      }));
    }
  }
  parts.push(tag('rect', { x: gx0, y: gy0, width: gx1 - gx0, height: gy1 - gy0, fill: 'none', stroke: INK.axis, 'stroke-width': 1 }));
  for (const c of indexTicks(columns)) {
    parts.push(textTag(String(c), {
      x: gx0 + (c + 0.5) * cell, y: gy1 + 6 + FONT_SIZE.tick, 'text-anchor': 'middle', 'font-size': FONT_SIZE.tick, fill: INK.text,
    }));
  }
  for (const r of indexTicks(rows)) {
    parts.push(textTag(String(r), {
      x: gx0 - 6, y: gy0 + (r + 0.5) * cell + FONT_SIZE.tick * 0.35, 'text-anchor': 'end', 'font-size': FONT_SIZE.tick, fill: INK.text,
    }));
  }
  if (options.xLabel) {
    parts.push(textTag(options.xLabel, {
      x: (gx0 + gx1) / 2, y: gy1 + 6 + FONT_SIZE.tick + 10 + FONT_SIZE.label, 'text-anchor': 'middle', 'font-size': FONT_SIZE.label, fill: INK.text,
    }));
  }
  if (options.yLabel) {
    const x = 14 + FONT_SIZE.label;
    const y = (gy0 + gy1) / 2;
    parts.push(textTag(options.yLabel, {
      x, y, transform: `rotate(-90 ${fmt(x)} ${fmt(y)})`, 'text-anchor': 'middle', 'font-size': FONT_SIZE.label, fill: INK.text,
    }));
  }

  // Colour bar: 64 bands from the bottom (lo) to the top (hi), ticks on its right.
  const bx = gx1 + 24;
  const bands = 64;
  const bandHeight = (gy1 - gy0) / bands;
  for (let i = 0; i < bands; i++) {
    const v = lo + ((i + 0.5) / bands) * (hi - lo);
    parts.push(tag('rect', { x: bx, y: gy1 - (i + 1) * bandHeight, width: barWidth, height: bandHeight + 0.5, fill: colour(v) }));
  }
  parts.push(tag('rect', { x: bx, y: gy0, width: barWidth, height: gy1 - gy0, fill: 'none', stroke: INK.axis, 'stroke-width': 1 }));
  const sy = axisScale({ min: lo, max: hi, ticks: [], log: false }, gy1, gy0);
  barTicks.forEach((t, i) => {
    const y = sy(t);
    parts.push(tag('line', { x1: bx + barWidth, y1: y, x2: bx + barWidth + 4, y2: y, stroke: INK.axis, 'stroke-width': 1 }));
    parts.push(textTag(barLabels[i], { x: bx + barWidth + 6, y: y + FONT_SIZE.tick * 0.35, 'font-size': FONT_SIZE.tick, fill: INK.text }));
  });
  if (options.valueLabel) {
    const x = bx + barWidth + 6 + barLabelWidth + 10 + FONT_SIZE.label;
    const y = (gy0 + gy1) / 2;
    parts.push(textTag(options.valueLabel, {
      x, y, transform: `rotate(-90 ${fmt(x)} ${fmt(y)})`, 'text-anchor': 'middle', 'font-size': FONT_SIZE.label, fill: INK.text,
    }));
  }
  if (missing) {
    parts.push(textTag('grey: no value', { x: gx0, y: gy0 - 6, 'font-size': FONT_SIZE.note, fill: INK.muted }));
  }
  return { width, height, body: parts.join('\n') };
}

/** The heat map as a standalone SVG document. */
export function heatMap(options: HeatMapOptions): string {
  return svgDocument(heatMapFragment(options), options.title);
}
