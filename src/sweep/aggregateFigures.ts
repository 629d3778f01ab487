// The sweep's figures as Vega-Lite specs with their data inlined: test accuracy against the
// grid's level (CNN vs FCN, mean and 95% CI band over seeds), and each locally connected layer's
// distances over the epochs after conversion (mean and band per setting).
import { FigureSpec } from '../report/vega';
import { MODEL_COLOR, MODEL_LABEL } from '../report/series';
import { SettingSummary } from './aggregate';
import { DISTANCE_KEYS } from './collect';
import type { FlagValue } from '../train/flags';
import { CONFIDENCE } from './stats';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';
const CI = `${Math.round(CONFIDENCE * 100)}% CI`;

/** A figure of the aggregate: its file name (without extension), title and spec. */
export interface AggregateFigure {
  name: string;
  title: string;
  spec: FigureSpec;
}

/** The grid key drawn on the x axis: the first whose values are all numbers, else null (settings as categories). */
export function levelKey(gridKeys: readonly string[], summaries: readonly SettingSummary[]): string | null {
  return gridKeys.find((k) => summaries.every((s) => typeof s.group.settings[k] === 'number')) ?? null;
}

/** The setting without the level key, to facet by (null when nothing else varies). */
function restLabel(settings: Record<string, FlagValue>, level: string | null): string | null {
  const rest = Object.entries(settings).filter(([k]) => k !== level);
  return rest.length === 0 ? null : rest.map(([k, v]) => `${k}=${String(v)}`).join(', ');
}

/** Mean line and CI band of pre-computed estimates (fields mean, low, high), coloured by `color`. */
function bandLayers(y: string, color: Record<string, unknown>): Record<string, unknown>[] {
  return [
    {
      transform: [{ filter: 'isValid(datum.low) && isValid(datum.high)' }],
      mark: { type: 'errorband', opacity: 0.22 },
      encoding: { y: { field: 'low', type: 'quantitative', title: y }, y2: { field: 'high' }, color },
    },
    {
      transform: [{ filter: 'isValid(datum.mean)' }],
      mark: { type: 'line', point: true },
      encoding: {
        y: { field: 'mean', type: 'quantitative', title: y },
        color,
        tooltip: [{ field: 'mean', format: '.4f' }, { field: 'low', format: '.4f' }, { field: 'high', format: '.4f' }, { field: 'n' }],
      },
    },
  ];
}

function faceted(data: Record<string, unknown>[], title: string, inner: Record<string, unknown>, facet: Record<string, unknown> | null): FigureSpec {
  if (!facet) return { $schema: SCHEMA, title, data: { values: data }, ...inner } as FigureSpec;
  return { $schema: SCHEMA, title, data: { values: data }, facet, spec: inner, resolve: { scale: { y: 'independent' } } } as unknown as FigureSpec;
}

/** Test accuracy of CNN and FCN against the level key (or per setting), mean ± CI over seeds. */
export function accuracyFigure(summaries: readonly SettingSummary[], gridKeys: readonly string[]): AggregateFigure {
  const level = levelKey(gridKeys, summaries);
  const data = summaries.flatMap((s) =>
    (['cnn', 'fcn'] as const).map((model) => {
      const e = s[model].test_accuracy;
      return {
        x: level ? (s.group.settings[level] as number) : s.group.label,
        facet: restLabel(s.group.settings, level),
        model: MODEL_LABEL[model],
        mean: e.mean, low: e.low, high: e.high, n: e.n,
      };
    }),
  );
  const color = {
    field: 'model', type: 'nominal', title: null,
    scale: { domain: [MODEL_LABEL.cnn, MODEL_LABEL.fcn], range: [MODEL_COLOR.cnn, MODEL_COLOR.fcn] },
  };
  const inner = {
    width: 360, height: 240,
    encoding: { x: level ? { field: 'x', type: 'quantitative', title: level } : { field: 'x', type: 'nominal', title: 'setting', sort: null } },
    layer: bandLayers('test accuracy', color),
  };
  const facets = data.some((d) => d.facet !== null) ? { column: { field: 'facet', type: 'nominal', title: null } } : null;
  const title = `Test accuracy${level ? ` vs ${level}` : ''}: mean and ${CI} over seeds`;
  return { name: 'accuracy', title, spec: faceted(data, title, inner, facets) };
}

/** Each locally connected layer's distances over the epochs after conversion: mean and CI band per setting. */
export function distancesFigure(summaries: readonly SettingSummary[]): AggregateFigure {
  const data: Record<string, unknown>[] = summaries.flatMap((s) =>
    s.curves.map((c) => ({
      setting: s.group.label, layer: c.layer, metric: c.metric, epoch: c.epochsAfter,
      mean: c.estimate.mean, low: c.estimate.low, high: c.estimate.high, n: c.estimate.n,
    })),
  );
  // Every layer × metric cell gets a (blank) datum, so that a layer too small for radius 4 shows
  // an empty cell where it belongs rather than shifting the grid.
  const layers = [...new Set(summaries.flatMap((s) => s.curves.map((c) => c.layer)))];
  for (const layer of layers) {
    for (const metric of DISTANCE_KEYS) data.push({ setting: summaries[0].group.label, layer, metric, epoch: 0, mean: null, low: null, high: null, n: 0 });
  }
  const color = { field: 'setting', type: 'nominal', title: 'setting', sort: summaries.map((s) => s.group.label) };
  const inner = {
    width: 220, height: 150,
    encoding: { x: { field: 'epoch', type: 'quantitative', title: 'epochs after conversion' } },
    layer: bandLayers('distance', color),
  };
  const facets = {
    row: { field: 'layer', type: 'nominal', title: null },
    column: { field: 'metric', type: 'nominal', title: null, sort: [...DISTANCE_KEYS] },
  };
  const title = `Neighbour distances of the freed filters: mean and ${CI} over seeds`;
  return { name: 'distances', title, spec: faceted(data, title, inner, facets) };
}
