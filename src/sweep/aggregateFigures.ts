// The sweep's figures as Vega-Lite specs with their data inlined:
// - `accuracy`: CNN and FCN test accuracy against a grid key, in percent on a 0–100 axis;
// - `final_distances`: each locally connected layer's final distances against the same key;
// - `distances`: each layer's distances over the epochs after conversion, one series per setting.
// With several varied grid keys, the first two are drawn against each key (`accuracy_<key>`,
// `final_distances_<key>`), the other keys as facets (accuracy) or colours (distances).
//
// Every estimate is a mean over the finished seeds with its 95% confidence interval: a band where a
// series has two or more values along an ordered axis, else an error bar. The x axis shows the
// grid's values (as categories when there are few, or when they are not numbers), including those
// of settings with no finished point; a setting with unfinished seeds is drawn hollow and labelled
// with its seeds finished (n/N), one with none is labelled at its place and named in the caption.
import { ROBUSTNESS_KEYS } from '../report/records';
import { FigureSpec } from '../report/vega';
import { MODEL_COLOR, MODEL_LABEL } from '../report/series';
import { MUTED, exprString, table } from '../report/specs/parts';
import type { FlagValue } from '../train/flags';
import { METRIC_LABEL, ModelMetric, SettingSummary } from './aggregate';
import { SettingStatus, numberCell, percentCell, seedsFraction, settingStatus } from './aggregateTables';
import { DISTANCE_KEYS, DistanceKey } from './collect';
import { CONFIDENCE, Estimate } from './stats';

type Json = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const CI = `${Math.round(CONFIDENCE * 100)}% CI`;

/** At most this many numeric values are drawn as categories (evenly spaced); more on a linear axis. */
export const MAX_CATEGORIES = 6;

/** A figure of the aggregate: its file name (without extension), title and spec. */
export interface AggregateFigure {
  name: string;
  title: string;
  spec: FigureSpec;
}

/** A figure not drawn, and why. */
export interface SkippedFigure {
  name: string;
  reason: string;
}

/** The grid's values per key, in the spec's order (sweep.json `spec.grid`). */
export type Grid = Record<string, readonly FlagValue[]>;

/** The keys the figures are drawn against: those with two or more values, else the first key; [] without a grid. */
export function plottedKeys(grid: Grid): string[] {
  const keys = Object.keys(grid);
  const varied = keys.filter((k) => new Set(grid[k].map(String)).size > 1);
  return varied.length > 0 ? varied : keys.slice(0, 1);
}

/** An x axis: a grid key (or the settings, without a grid), its values and how they are drawn. */
interface Axis {
  key: string | null;
  title: string;
  /** Categories (evenly spaced, in order) or a linear axis. */
  categorical: boolean;
  /** Numbers: the values are ordered, and a line or band may join them. */
  ordered: boolean;
  /** The values as drawn: labels for categories, numbers for a linear axis. */
  values: (string | number)[];
  of: (s: SettingSummary) => string | number;
}

function axisOf(key: string | null, grid: Grid, summaries: readonly SettingSummary[]): Axis {
  if (key === null) {
    return { key, title: 'setting', categorical: true, ordered: false, values: summaries.map((s) => s.group.title), of: (s) => s.group.title };
  }
  const distinct = [...new Map([...grid[key], ...summaries.map((s) => s.group.settings[key])].filter((v) => v !== undefined).map((v) => [String(v), v])).values()];
  const numeric = distinct.every((v) => typeof v === 'number');
  const values = numeric ? (distinct as number[]).sort((a, b) => a - b) : distinct;
  const categorical = !numeric || values.length <= MAX_CATEGORIES;
  return {
    key,
    title: key,
    categorical,
    ordered: numeric,
    values: categorical ? values.map(String) : (values as number[]),
    of: (s) => (categorical ? String(s.group.settings[key]) : (s.group.settings[key] as number)),
  };
}

/** The setting's values of `keys`, as a label ('tie-every=2; free=all'), or null for none. */
function keysLabel(s: SettingSummary, keys: readonly string[]): string | null {
  return keys.length === 0 ? null : keys.map((k) => `${k}=${String(s.group.settings[k])}`).join('; ');
}

/** One drawn estimate: a mean with its interval, at x in a series (colour), facet and panel. */
interface EstimateRow {
  x: string | number;
  series: string;
  facet: string | null;
  panel: string;
  setting: string;
  status: SettingStatus;
  /** Seeds finished of the setting's points. */
  seeds: string;
  mean: number | null;
  low: number | null;
  high: number | null;
  /** How the interval is drawn: a band, an error bar, or not at all (n < 2). */
  interval: 'band' | 'bar' | null;
  /** The estimate as the tables print it, and what the figure changed. */
  estimate: string;
}

/** A row of `e` scaled by `scale`, its interval clipped to [lo, hi]; `clipped` is set when that cut it. */
function estimateRow(base: Omit<EstimateRow, 'mean' | 'low' | 'high' | 'interval' | 'estimate'>, e: Estimate, cell: string, scale: number, lo: number, hi: number, clipped: { any: boolean }): EstimateRow {
  const v = (x: number | null): number | null => (x === null ? null : x * scale);
  let low = v(e.low);
  let high = v(e.high);
  let estimate = cell;
  if (low !== null && high !== null && (low < lo || high > hi)) {
    low = Math.max(low, lo);
    high = Math.min(high, hi);
    const unit = scale === 100 ? '%' : '';
    estimate = `${cell} (interval ${Number.isFinite(hi) ? `clipped to ${lo}–${hi}${unit}` : `cut at ${lo}${unit}`} in the figure)`;
    clipped.any = true;
  }
  return { ...base, mean: v(e.mean), low, high, interval: null, estimate };
}

/** Marks each row's interval: a band where its series (panel, facet, colour) has two or more intervals along an ordered axis, else an error bar. */
function assignIntervals(rows: EstimateRow[], ordered: boolean): void {
  const counts = new Map<string, number>();
  const key = (r: EstimateRow): string => `${r.panel}\u0000${r.facet}\u0000${r.series}`;
  for (const r of rows) if (r.low !== null) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  for (const r of rows) if (r.low !== null) r.interval = ordered && (counts.get(key(r)) ?? 0) >= 2 ? 'band' : 'bar';
}

const and = (...tests: (string | null)[]): string => tests.filter(Boolean).map((t) => `(${t})`).join(' && ');

/** The x encoding of `axis`. */
function xEncoding(axis: Axis): Json {
  if (axis.categorical) {
    return {
      field: 'x', type: 'ordinal', title: axis.title, sort: axis.values,
      scale: { type: 'band', domain: axis.values, paddingInner: 0.25, paddingOuter: 0.15 },
      axis: { labelAngle: 0, labelLimit: 120 },
    };
  }
  const numbers = axis.values as number[];
  return {
    field: 'x', type: 'quantitative', title: axis.title,
    scale: { domain: [numbers[0], numbers[numbers.length - 1]], nice: false, zero: false, padding: 14 },
    axis: { values: numbers, labelExpr: 'toString(datum.value)', labelFlush: false },
  };
}

/** Colour and, on categories (`offsets`), side-by-side offsets of the series. */
function seriesEncoding(domain: readonly string[], colors: readonly string[] | null, title: string | null, options: { offsets: boolean; legend?: boolean }): Json {
  const legend = options.legend ?? true;
  const encoding: Json = {
    color: {
      field: 'series', type: 'nominal', title, sort: domain, scale: colors ? { domain, range: colors } : { domain },
      legend: legend ? { symbolOpacity: 1, symbolType: 'circle', labelLimit: 260 } : null,
    },
  };
  if (options.offsets && domain.length > 1) {
    // The series spread over about a third of each category's width, centred on it.
    const paddingOuter = Math.max(0, ((domain.length - 1) / 0.34 - domain.length) / 2);
    encoding.xOffset = { field: 'series', type: 'nominal', sort: domain, scale: { domain, paddingInner: 0, paddingOuter } };
  }
  return encoding;
}

const TOOLTIP = [
  { field: 'setting', title: 'setting' },
  { field: 'series', title: 'series' },
  { field: 'estimate', title: `mean ± ${CI}` },
  { field: 'seeds', title: 'seeds finished' },
];

/**
 * The layers that draw estimate rows: a band or an error bar for the interval, a line joining the
 * means along an ordered axis, and a point per mean (hollow where not every seed finished).
 */
function estimateLayers(options: { y: Json; ordered: boolean; filter: string | null; series: Json }): Json[] {
  const { y, ordered, filter, series } = options;
  const at = (test: string): Json[] => [{ filter: and(filter, test) }];
  const interval = { ...series, y: { ...y, field: 'low' }, y2: { field: 'high' }, tooltip: TOOLTIP };
  const mean = { ...series, y: { ...y, field: 'mean' }, tooltip: TOOLTIP };
  const layers: Json[] = [
    { transform: at("datum.interval === 'band'"), mark: { type: 'area', opacity: 0.2 }, encoding: interval },
    { transform: at("datum.interval === 'bar'"), mark: { type: 'rule', strokeWidth: 1.8 }, encoding: interval },
  ];
  if (ordered) layers.push({ transform: at('isValid(datum.mean)'), mark: { type: 'line', strokeWidth: 1.6 }, encoding: { ...mean, tooltip: null } });
  layers.push(
    { transform: at("isValid(datum.mean) && datum.status === 'finished'"), mark: { type: 'point', filled: true, size: 45, opacity: 1 }, encoding: mean },
    { transform: at("isValid(datum.mean) && datum.status !== 'finished'"), mark: { type: 'point', filled: false, fill: '#ffffff', size: 45, strokeWidth: 1.8, opacity: 1 }, encoding: mean },
  );
  return layers;
}

/** Settings without a finished point, for a caption (the first four named). */
function unfinishedNote(summaries: readonly SettingSummary[]): string | null {
  const none = summaries.filter((s) => settingStatus(s) === 'none');
  if (none.length === 0) return null;
  const named = none.slice(0, 4).map((s) => `${s.group.title} (${seedsFraction(s)} seeds)`);
  if (none.length > 4) named.push(`${none.length - 4} more`);
  return `No finished point yet: ${named.join(', ')}.`;
}

/** The caption lines every figure of estimates starts with: how its intervals are drawn, and what hollow means (where it applies). */
function about(summaries: readonly SettingSummary[], rows: readonly EstimateRow[]): string[] {
  const band = rows.some((r) => r.interval === 'band');
  const bar = rows.some((r) => r.interval === 'bar');
  const how = band && bar ? `bands (error bars at a lone value): ${CI}` : band ? `bands: ${CI}` : bar ? `error bars: ${CI}` : 'no interval (one seed each)';
  const lines = [`Points: means over the finished seeds; ${how}.`];
  if (summaries.some((s) => settingStatus(s) !== 'finished')) lines.push('Hollow points, and n/N seeds: not every seed of that setting finished.');
  return lines;
}

function title(text: string, subtitle: (string | null)[]): Json {
  return { text, subtitle: subtitle.filter((s): s is string => s !== null), subtitleFontSize: 12, subtitleColor: MUTED };
}

function spec(json: Json): FigureSpec {
  return { $schema: SCHEMA, ...json } as unknown as FigureSpec;
}

/** Test accuracy of CNN and FCN against `key`, in percent; the other varied keys as facets. */
/**
 * Test accuracy (or, with `metrics`, each of these accuracies: the robustness ones, in panels) of
 * the CNN and the FCN against `key`, the other varied keys as facets.
 */
export function accuracyFigure(summaries: readonly SettingSummary[], grid: Grid, key: string | null, name = 'accuracy', metrics: readonly ModelMetric[] = ['test_accuracy']): AggregateFigure {
  const axis = axisOf(key, grid, summaries);
  const others = plottedKeys(grid).filter((k) => k !== key);
  const clipped = { any: false };
  const models = ['cnn', 'fcn'] as const;
  const facetOf = (s: SettingSummary, metric: ModelMetric): string | null =>
    [metrics.length > 1 ? METRIC_LABEL[metric] : null, keysLabel(s, others)].filter((p): p is string => p !== null).join('; ') || null;
  const rows = summaries.flatMap((s) =>
    metrics.flatMap((metric) =>
      models.map((m) =>
        estimateRow(
          { x: axis.of(s), series: MODEL_LABEL[m], facet: facetOf(s, metric), panel: '', setting: s.group.title, status: settingStatus(s), seeds: seedsFraction(s) },
          s[m][metric], percentCell(s[m][metric]), 100, 0, 100, clipped,
        ),
      ),
    ),
  );
  assignIntervals(rows, axis.ordered);
  const domain = models.map((m) => MODEL_LABEL[m]);
  const y = { type: 'quantitative', title: metrics.length > 1 ? 'validation accuracy (%)' : 'test accuracy (%)', scale: { domain: [0, 100], nice: false }, axis: { values: [0, 20, 40, 60, 80, 100] } };
  const width = axis.categorical ? Math.min(520, Math.max(200, 80 * axis.values.length)) : 380;
  const inner: Json = {
    width,
    height: 240,
    encoding: { x: xEncoding(axis) },
    layer: [
      ...estimateLayers({ y, ordered: axis.ordered, filter: null, series: seriesEncoding(domain, models.map((m) => MODEL_COLOR[m]), null, { offsets: axis.categorical }) }),
      // n/N at the top of a setting whose seeds have not all finished (one label per setting: the CNN row's).
      {
        transform: [{ filter: `datum.series === ${exprString(MODEL_LABEL.cnn)} && datum.status !== 'finished'` }, { calculate: "datum.seeds + ' seeds'", as: 'label' }],
        mark: { type: 'text', baseline: 'top', dy: 3, color: MUTED, fontSize: 11 },
        encoding: { y: { value: 0 }, text: { field: 'label' }, tooltip: TOOLTIP.filter((t) => t.field !== 'series' && t.field !== 'estimate') },
      },
    ],
  };
  const what = metrics.length > 1 ? 'Robustness (validation accuracy under each perturbation, at the restored best epoch)' : 'Test accuracy';
  const text = `${what}${key ? ` vs ${key}` : ''}: mean and ${CI} over seeds`;
  const subtitle = title(text, [...about(summaries, rows), clipped.any ? 'Intervals clipped to 0–100% (the tooltip has the whole interval).' : null, unfinishedNote(summaries)]);
  if (others.length === 0 && metrics.length === 1) return { name, title: text, spec: spec({ title: subtitle, data: table(rows), ...inner }) };
  const order = [...new Set(rows.map((r) => r.facet))];
  return {
    name,
    title: text,
    spec: spec({ title: subtitle, data: table(rows), facet: { field: 'facet', type: 'nominal', title: null, sort: order, header: { labelFontSize: 12 } }, columns: 3, spec: inner }),
  };
}

/** Layers and the distances they have: a layer's panels leave out what no setting recorded (dist_4 of a layer too small for radius 4). */
function layerPanels(summaries: readonly SettingSummary[]): { layer: string; metrics: DistanceKey[] }[] {
  const layers = [...new Set(summaries.flatMap((s) => s.distances.map((d) => d.layer)))];
  // Radius 1 first, so that the panels every layer has line up in columns.
  const order: DistanceKey[] = ['dist_1', 'cos_1', 'dist_4', 'cos_4'];
  return layers.map((layer) => ({
    layer,
    metrics: order.filter((k) => summaries.some((s) => {
      const d = s.distances.find((x) => x.layer === layer);
      return d !== undefined && d.values[k].mean !== null;
    })),
  }));
}

/** The caption line that says which panels are left out, and why. */
function leftOutNote(panels: readonly { layer: string; metrics: DistanceKey[] }[]): string | null {
  const groups = new Map<string, string[]>();
  for (const p of panels) {
    const missing = DISTANCE_KEYS.filter((k) => !p.metrics.includes(k));
    if (missing.length > 0) groups.set(missing.join(' or '), [...(groups.get(missing.join(' or ')) ?? []), p.layer]);
  }
  if (groups.size === 0) return null;
  const parts = [...groups].map(([metrics, layers]) => {
    const why = metrics.split(' or ').every((m) => m.endsWith('_4'))
      ? `${layers.length === 1 ? 'its output is' : 'their outputs are'} too small to have neighbours four positions apart`
      : 'no value was recorded';
    return `${layers.join(', ')}: no ${metrics} panel (${why})`;
  });
  return `${parts.join('; ')}.`;
}

/** Rows of `panels` (one per layer), each a row of panels (one per distance). */
function panelGrid(panels: readonly { layer: string; metrics: DistanceKey[] }[], panel: (layer: string, metric: DistanceKey) => Json): Json {
  return { vconcat: panels.map((p) => ({ hconcat: p.metrics.map((m) => panel(p.layer, m)) })) };
}

/** The colour of each setting in the distance figures: its label, with its seeds finished when not all did. */
function settingSeries(s: SettingSummary): string {
  return settingStatus(s) === 'finished' ? s.group.title : `${s.group.title} (${seedsFraction(s)} seeds)`;
}

/** Each locally connected layer's distances over the epochs after conversion: mean and CI per setting. */
export function distancesFigure(summaries: readonly SettingSummary[]): AggregateFigure | SkippedFigure {
  const name = 'distances';
  const panels = layerPanels(summaries);
  if (panels.length === 0) return { name, reason: summaries.some((s) => s.seeds.length > 0) ? 'no locally connected layer was freed' : 'no point has finished yet' };
  const clipped = { any: false };
  const rows = summaries.flatMap((s) =>
    s.curves.map((c) =>
      estimateRow(
        { x: c.epochsAfter, series: settingSeries(s), facet: null, panel: `${c.layer}|${c.metric}`, setting: s.group.title, status: settingStatus(s), seeds: seedsFraction(s) },
        c.estimate, numberCell(c.estimate), 1, 0, Infinity, clipped,
      ),
    ),
  );
  assignIntervals(rows, true);
  const drawn = summaries.filter((s) => s.seeds.length > 0);
  const color = seriesEncoding(drawn.map(settingSeries), null, 'setting', { offsets: false });
  const text = `Neighbour distances of the freed filters: mean and ${CI} over seeds`;
  return {
    name,
    title: text,
    spec: spec({
      title: title(text, [...about(summaries, rows), clipped.any ? 'Intervals stop at 0.' : null, leftOutNote(panels), unfinishedNote(summaries)]),
      data: table(rows),
      ...panelGrid(panels, (layer, metric) => ({
        title: { text: `${layer} ${metric}`, fontSize: 13 },
        width: 190,
        height: 150,
        encoding: { x: { field: 'x', type: 'quantitative', title: 'epochs after conversion', axis: { tickMinStep: 1, format: 'd' } } },
        layer: estimateLayers({ y: { type: 'quantitative', title: metric, scale: { zero: true } }, ordered: true, filter: `datum.panel === ${exprString(`${layer}|${metric}`)}`, series: color }),
      })),
    }),
  };
}

/** Each layer's final distances against `key`: mean and CI per setting of the other varied keys (the colours). */
export function finalDistancesFigure(summaries: readonly SettingSummary[], grid: Grid, key: string | null, name = 'final_distances'): AggregateFigure | SkippedFigure {
  const panels = layerPanels(summaries);
  if (panels.length === 0) return { name, reason: summaries.some((s) => s.seeds.length > 0) ? 'no locally connected layer was freed' : 'no point has finished yet' };
  const axis = axisOf(key, grid, summaries);
  const others = plottedKeys(grid).filter((k) => k !== key);
  const clipped = { any: false };
  const rows = summaries.flatMap((s) =>
    s.distances.flatMap((d) =>
      DISTANCE_KEYS.map((k) =>
        estimateRow(
          { x: axis.of(s), series: keysLabel(s, others) ?? 'all', facet: null, panel: `${d.layer}|${k}`, setting: s.group.title, status: settingStatus(s), seeds: seedsFraction(s) },
          d.values[k], numberCell(d.values[k]), 1, 0, Infinity, clipped,
        ),
      ),
    ),
  ).filter((r) => r.mean !== null);
  assignIntervals(rows, axis.ordered);
  const series = [...new Set(summaries.map((s) => keysLabel(s, others) ?? 'all'))];
  const alone = others.length === 0;
  const colors = seriesEncoding(series, alone ? [MODEL_COLOR.fcn] : null, alone ? null : others.join('; '), { offsets: axis.categorical, legend: !alone });
  const text = `Final distances of the freed filters${key ? ` vs ${key}` : ''}: mean and ${CI} over seeds`;
  return {
    name,
    title: text,
    spec: spec({
      title: title(text, [...about(summaries, rows), `Distances at the last FCN epoch${clipped.any ? '; intervals stop at 0' : ''}.`, leftOutNote(panels), unfinishedNote(summaries)]),
      data: table(rows),
      ...panelGrid(panels, (layer, metric) => ({
        title: { text: `${layer} ${metric}`, fontSize: 13 },
        width: axis.categorical ? Math.min(360, Math.max(160, 60 * axis.values.length)) : 240,
        height: 150,
        encoding: { x: xEncoding(axis) },
        layer: estimateLayers({ y: { type: 'quantitative', title: metric, scale: { zero: true } }, ordered: axis.ordered, filter: `datum.panel === ${exprString(`${layer}|${metric}`)}`, series: colors }),
      })),
    }),
  };
}

/** A grid key as part of a file name. */
function fileSafe(key: string): string {
  return key.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Every figure of the aggregate, and those not drawn (with why). */
export function aggregateFigures(summaries: readonly SettingSummary[], grid: Grid): { figures: AggregateFigure[]; skipped: SkippedFigure[] } {
  const keys = plottedKeys(grid);
  const against: (string | null)[] = keys.length > 0 ? keys : [null];
  const suffix = (k: string | null): string => (against.length > 1 && k !== null ? `_${fileSafe(k)}` : '');
  const all: (AggregateFigure | SkippedFigure)[] = [
    ...against.map((k) => accuracyFigure(summaries, grid, k, `accuracy${suffix(k)}`)),
    ...against.map((k) => accuracyFigure(summaries, grid, k, `robustness${suffix(k)}`, ROBUSTNESS_KEYS)),
    ...against.map((k) => finalDistancesFigure(summaries, grid, k, `final_distances${suffix(k)}`)),
    distancesFigure(summaries),
  ];
  return {
    figures: all.filter((f): f is AggregateFigure => 'spec' in f),
    skipped: all.filter((f): f is SkippedFigure => 'reason' in f),
  };
}
