// Line charts: several series, nice axes, legend, title, vertical markers, log option, gaps.
import { SvgFragment, svgDocument } from './document';
import { Axis, axisScale, formatTick, linearAxis, logAxis } from './scale';
import { FONT_SIZE, INK, PALETTE, textWidth } from './theme';
import { fmt, tag, textTag } from './xml';

/** One line. Points whose y is null, NaN, infinite (or not > 0 on a log axis) leave a gap. */
export interface LineSeries {
  label: string;
  x: readonly number[];
  y: readonly (number | null)[];
  /** Stroke colour; the palette's next one by default. */
  color?: string;
  /** Dashed stroke (e.g. validation curves). */
  dashed?: boolean;
}

/** A labelled vertical line across the plot, such as the conversion epoch. */
export interface VerticalMarker {
  x: number;
  label: string;
}

/** What {@link lineChart} draws. */
export interface LineChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  series: readonly LineSeries[];
  markers?: readonly VerticalMarker[];
  /** Log10 y axis; values that are not > 0 are left out. */
  logY?: boolean;
  /** Values the y axis must cover besides the data (e.g. 0). Ignored for values not > 0 on a log axis. */
  yInclude?: readonly number[];
  /** Ticks on whole numbers only (epochs). */
  integerX?: boolean;
  /** Total size in px (default 760 × 420). */
  width?: number;
  height?: number;
}

type Point = [number, number];

/** The runs of consecutive drawable points of a series. */
function segments(series: LineSeries, logY: boolean): Point[][] {
  const runs: Point[][] = [];
  let run: Point[] = [];
  const n = Math.min(series.x.length, series.y.length);
  for (let i = 0; i < n; i++) {
    const x = series.x[i];
    const y = series.y[i];
    const ok = y !== null && Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0);
    if (ok) run.push([x, y]);
    else if (run.length > 0) {
      runs.push(run);
      run = [];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function dataAxes(options: LineChartOptions, runs: Point[][][]): { x: Axis; y: Axis; empty: boolean } {
  const logY = options.logY ?? false;
  const xs = runs.flat(2).map((p) => p[0]);
  const ys = runs.flat(2).map((p) => p[1]);
  const empty = xs.length === 0;
  for (const m of options.markers ?? []) if (Number.isFinite(m.x)) xs.push(m.x);
  for (const v of options.yInclude ?? []) if (Number.isFinite(v) && (!logY || v > 0)) ys.push(v);
  const x = linearAxis(Math.min(...xs), Math.max(...xs), 6, options.integerX ? 1 : 0);
  let [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  if (!logY && hi > lo) {
    // A 3% margin keeps curves off the frame; it never pushes a non-negative range below 0.
    const margin = 0.03 * (hi - lo);
    [lo, hi] = [lo >= 0 ? Math.max(0, lo - margin) : lo - margin, hi + margin];
  }
  const y = logY ? logAxis(lo, hi) : linearAxis(lo, hi, 5);
  return { x, y, empty };
}

function legend(series: readonly LineSeries[], colors: string[], x: number, y: number): string {
  return series
    .map((s, i) => {
      const cy = y + i * 20;
      const sample = tag('line', {
        x1: x, y1: cy, x2: x + 26, y2: cy, stroke: colors[i], 'stroke-width': 2.2,
        'stroke-dasharray': s.dashed ? '6 3' : undefined,
      });
      const label = textTag(s.label, { x: x + 32, y: cy + 4, 'font-size': FONT_SIZE.legend, fill: INK.text });
      return sample + label;
    })
    .join('');
}

function seriesMarkup(run: Point[], color: string, dashed: boolean, sx: (v: number) => number, sy: (v: number) => number): string {
  if (run.length === 1) return tag('circle', { cx: sx(run[0][0]), cy: sy(run[0][1]), r: 3, fill: color });
  const d = run.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${fmt(sx(x))} ${fmt(sy(y))}`).join(' ');
  return tag('path', {
    d, fill: 'none', stroke: color, 'stroke-width': 1.8, 'stroke-linejoin': 'round', 'stroke-linecap': 'round',
    'stroke-dasharray': dashed ? '6 3' : undefined,
  });
}

/** The chart as a fragment, to compose with others (see gridLayout). */
export function lineChartFragment(options: LineChartOptions): SvgFragment {
  const width = options.width ?? 760;
  const height = options.height ?? 420;
  const logY = options.logY ?? false;
  const colors = options.series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);
  const runs = options.series.map((s) => segments(s, logY));
  const { x: xAxis, y: yAxis, empty } = dataAxes(options, runs);

  const yTickLabels = yAxis.ticks.map((t) => formatTick(t, yAxis));
  const yTickWidth = Math.max(...yTickLabels.map((l) => textWidth(l, FONT_SIZE.tick)));
  const legendWidth = options.series.length === 0 ? 0 :
    44 + Math.max(...options.series.map((s) => textWidth(s.label, FONT_SIZE.legend)));
  const left = 14 + (options.yLabel ? FONT_SIZE.label + 8 : 0) + yTickWidth + 8;
  const right = 16 + legendWidth;
  const top = 16 + FONT_SIZE.title + 14;
  const bottom = 10 + FONT_SIZE.tick + 8 + (options.xLabel ? FONT_SIZE.label + 10 : 0);
  const px0 = left;
  const px1 = Math.max(left + 40, width - right);
  const py0 = top;
  const py1 = Math.max(top + 40, height - bottom);
  const sx = axisScale(xAxis, px0, px1);
  const sy = axisScale(yAxis, py1, py0);

  const parts: string[] = [];
  parts.push(textTag(options.title, {
    x: (px0 + px1) / 2, y: 16 + FONT_SIZE.title, 'text-anchor': 'middle', 'font-size': FONT_SIZE.title,
    'font-weight': 'bold', fill: INK.text,
  }));
  for (const t of xAxis.ticks) {
    const x = sx(t);
    parts.push(tag('line', { x1: x, y1: py0, x2: x, y2: py1, stroke: INK.grid, 'stroke-width': 1 }));
    parts.push(tag('line', { x1: x, y1: py1, x2: x, y2: py1 + 5, stroke: INK.axis, 'stroke-width': 1 }));
    parts.push(textTag(formatTick(t, xAxis), {
      x, y: py1 + 8 + FONT_SIZE.tick, 'text-anchor': 'middle', 'font-size': FONT_SIZE.tick, fill: INK.text,
    }));
  }
  yAxis.ticks.forEach((t, i) => {
    const y = sy(t);
    parts.push(tag('line', { x1: px0, y1: y, x2: px1, y2: y, stroke: INK.grid, 'stroke-width': 1 }));
    parts.push(tag('line', { x1: px0 - 5, y1: y, x2: px0, y2: y, stroke: INK.axis, 'stroke-width': 1 }));
    parts.push(textTag(yTickLabels[i], {
      x: px0 - 8, y: y + FONT_SIZE.tick * 0.35, 'text-anchor': 'end', 'font-size': FONT_SIZE.tick, fill: INK.text,
    }));
  });
  if (options.xLabel) {
    parts.push(textTag(options.xLabel, {
      x: (px0 + px1) / 2, y: py1 + 8 + FONT_SIZE.tick + 10 + FONT_SIZE.label, 'text-anchor': 'middle',
      'font-size': FONT_SIZE.label, fill: INK.text,
    }));
  }
  if (options.yLabel) {
    const x = 14 + FONT_SIZE.label;
    const y = (py0 + py1) / 2;
    parts.push(textTag(options.yLabel, {
      x, y, transform: `rotate(-90 ${fmt(x)} ${fmt(y)})`, 'text-anchor': 'middle', 'font-size': FONT_SIZE.label, fill: INK.text,
    }));
  }
  const shownMarkers = (options.markers ?? []).filter((m) => Number.isFinite(m.x));
  for (const m of shownMarkers) {
    const x = sx(m.x);
    parts.push(tag('line', { x1: x, y1: py0, x2: x, y2: py1, stroke: INK.muted, 'stroke-width': 1.2, 'stroke-dasharray': '4 4' }));
  }
  runs.forEach((seriesRuns, i) => {
    for (const run of seriesRuns) parts.push(seriesMarkup(run, colors[i], options.series[i].dashed ?? false, sx, sy));
  });
  for (const m of shownMarkers) {
    // Drawn over the curves, with a white halo that keeps the label readable where it crosses one.
    parts.push(textTag(m.label, {
      x: sx(m.x) + 4, y: py0 + 4 + FONT_SIZE.note, 'font-size': FONT_SIZE.note, fill: INK.muted,
      stroke: '#ffffff', 'stroke-width': 3, 'stroke-linejoin': 'round', 'paint-order': 'stroke',
    }));
  }
  if (empty) {
    parts.push(textTag('no data', {
      x: (px0 + px1) / 2, y: (py0 + py1) / 2, 'text-anchor': 'middle', 'font-size': FONT_SIZE.label, fill: INK.muted,
    }));
  }
  parts.push(tag('rect', { x: px0, y: py0, width: px1 - px0, height: py1 - py0, fill: 'none', stroke: INK.axis, 'stroke-width': 1 }));
  parts.push(legend(options.series, colors, px1 + 16, py0 + 10));
  return { width, height, body: parts.join('\n') };
}

/** The chart as a standalone SVG document. */
export function lineChart(options: LineChartOptions): string {
  return svgDocument(lineChartFragment(options), options.title);
}
