// `aggregate`: one table over a sweep's grid. Per setting (grid values, seeds pooled): CNN and FCN
// test accuracy, robustness accuracies at the restored best epoch and the final distances of each
// locally connected layer, as mean ± 95% confidence interval over seeds, and the paired FCN − CNN
// difference (same seed: same weights at conversion, data order and noise).
import { ROBUSTNESS_KEYS } from '../report';
import type { FlagValue } from '../train/flags';
import { DISTANCE_KEYS, DistanceKey, PointResult } from './collect';
import { Estimate, estimate, pairedDifference } from './stats';

/** The per-model metrics: test accuracy, then the robustness accuracies. */
export const MODEL_METRICS = ['test_accuracy', ...ROBUSTNESS_KEYS] as const;
export type ModelMetric = (typeof MODEL_METRICS)[number];

/** The points of one setting (one combination of grid values) over its seeds. */
export interface SettingGroup {
  /** `noise=0.5` (the point name without the seed, values %-encoded as in folder names), or `all` for a sweep without a grid. */
  label: string;
  /** The setting for people: `noise=0.5; free=2,3` (values as given), or `all`. */
  title: string;
  settings: Record<string, FlagValue>;
  points: PointResult[];
}

/** A setting's estimates. */
export interface SettingSummary {
  group: SettingGroup;
  /** The seeds whose points finished. */
  seeds: number[];
  cnn: Record<ModelMetric, Estimate>;
  fcn: Record<ModelMetric, Estimate>;
  /** Paired FCN − CNN per metric. */
  difference: Record<ModelMetric, Estimate>;
  /** layer → distance → estimate of the final value. */
  distances: { layer: string; values: Record<DistanceKey, Estimate> }[];
  /** layer → metric → epochs after conversion → estimate, for the curves. */
  curves: { layer: string; metric: DistanceKey; epochsAfter: number; estimate: Estimate }[];
}

/** The label of a setting: its grid values as in the point names. */
export function settingLabel(pointName: string): string {
  const label = pointName.replace(/(^|,)seed=\d+$/, '');
  return label === '' ? 'all' : label;
}

/** A setting for people: its grid values as given, `key=value` joined by '; ' (a value may hold a comma), or `all`. */
export function settingTitle(settings: Record<string, FlagValue>): string {
  const parts = Object.entries(settings).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length === 0 ? 'all' : parts.join('; ');
}

/** Groups the points by setting, in the sweep's order. */
export function groupBySetting(results: readonly PointResult[]): SettingGroup[] {
  const groups = new Map<string, SettingGroup>();
  for (const r of results) {
    const label = settingLabel(r.point.name);
    const g = groups.get(label) ?? { label, title: settingTitle(r.point.settings), settings: r.point.settings, points: [] };
    g.points.push(r);
    groups.set(label, g);
  }
  return [...groups.values()];
}

function metricValue(r: PointResult, model: 'cnn' | 'fcn', metric: ModelMetric): number | null {
  const m = r.models[model];
  if (!m) return null;
  return metric === 'test_accuracy' ? m.test : m.robustness[metric];
}

/** The estimates of one setting over its finished points. */
export function summarizeSetting(group: SettingGroup): SettingSummary {
  const done = group.points.filter((p) => p.status === 'finished');
  const per = (model: 'cnn' | 'fcn') =>
    Object.fromEntries(MODEL_METRICS.map((m) => [m, estimate(done.map((p) => metricValue(p, model, m)))])) as Record<ModelMetric, Estimate>;
  const difference = Object.fromEntries(
    MODEL_METRICS.map((m) => [m, pairedDifference(done.map((p) => [metricValue(p, 'cnn', m), metricValue(p, 'fcn', m)]))]),
  ) as Record<ModelMetric, Estimate>;
  const layers = [...new Set(done.flatMap((p) => p.distances.map((d) => d.layer)))];
  const distances = layers.map((layer) => ({
    layer,
    values: Object.fromEntries(
      DISTANCE_KEYS.map((k) => [k, estimate(done.map((p) => p.distances.find((d) => d.layer === layer)?.values[k] ?? null))]),
    ) as Record<DistanceKey, Estimate>,
  }));
  const series = new Map<string, { layer: string; metric: DistanceKey; epochsAfter: number; values: number[] }>();
  for (const p of done) {
    for (const c of p.curves) {
      const key = `${c.layer}|${c.metric}|${c.epochsAfter}`;
      const s = series.get(key) ?? { layer: c.layer, metric: c.metric, epochsAfter: c.epochsAfter, values: [] };
      s.values.push(c.value);
      series.set(key, s);
    }
  }
  const curves = [...series.values()]
    .sort((a, b) => layers.indexOf(a.layer) - layers.indexOf(b.layer) || DISTANCE_KEYS.indexOf(a.metric) - DISTANCE_KEYS.indexOf(b.metric) || a.epochsAfter - b.epochsAfter)
    .map((s) => ({ layer: s.layer, metric: s.metric, epochsAfter: s.epochsAfter, estimate: estimate(s.values) }));
  return { group, seeds: done.map((p) => p.point.seed), cnn: per('cnn'), fcn: per('fcn'), difference, distances, curves };
}

/** A column of the table: its key in the rows and its label. */
export interface Column {
  key: string;
  label: string;
}

/** The table: columns, and one row per setting (numbers as fractions, null where there is no value). */
export interface AggregateTable {
  columns: Column[];
  rows: Record<string, string | number | null>[];
}

/** Labels of the metrics in tables. */
export const METRIC_LABEL: Record<ModelMetric, string> = {
  test_accuracy: 'test accuracy',
  translation: 'translation acc.',
  noise: 'noise acc.',
  edge_noise: 'edge-noise acc.',
  rotation: 'rotation acc.',
  swap: 'swap acc.',
};

/** The table of `summaries` over `gridKeys`. */
export function aggregateTable(summaries: readonly SettingSummary[], gridKeys: readonly string[]): AggregateTable {
  const columns: Column[] = [
    { key: 'setting', label: 'setting' },
    ...gridKeys.map((k) => ({ key: k, label: k })),
    { key: 'n', label: 'seeds finished' },
    { key: 'seeds', label: 'seeds' },
    { key: 'missing', label: 'points missing or unfinished' },
  ];
  const pair = (key: string, label: string): void => {
    columns.push({ key: `${key}_mean`, label: `${label} (mean)` }, { key: `${key}_ci95`, label: `${label} (± 95% CI)` });
  };
  for (const m of MODEL_METRICS) {
    pair(`cnn_${m}`, `CNN ${METRIC_LABEL[m]}`);
    pair(`fcn_${m}`, `FCN ${METRIC_LABEL[m]}`);
    pair(`fcn_minus_cnn_${m}`, `FCN − CNN ${METRIC_LABEL[m]} (paired)`);
  }
  const layers = [...new Set(summaries.flatMap((s) => s.distances.map((d) => d.layer)))];
  for (const layer of layers) for (const k of DISTANCE_KEYS) pair(`${layer}_${k}`, `${layer} final ${k}`);

  const rows = summaries.map((s) => {
    const row: Record<string, string | number | null> = {
      setting: s.group.label,
      ...Object.fromEntries(gridKeys.map((k) => [k, typeof s.group.settings[k] === 'boolean' ? String(s.group.settings[k]) : (s.group.settings[k] as string | number) ?? null])),
      n: s.seeds.length,
      seeds: s.seeds.join(' '),
      missing: s.group.points.length - s.seeds.length,
    };
    const put = (key: string, e: Estimate | undefined): void => {
      row[`${key}_mean`] = e?.mean ?? null;
      row[`${key}_ci95`] = e?.ci ?? null;
    };
    for (const m of MODEL_METRICS) {
      put(`cnn_${m}`, s.cnn[m]);
      put(`fcn_${m}`, s.fcn[m]);
      put(`fcn_minus_cnn_${m}`, s.difference[m]);
    }
    for (const layer of layers) for (const k of DISTANCE_KEYS) put(`${layer}_${k}`, s.distances.find((d) => d.layer === layer)?.values[k]);
    return row;
  });
  return { columns, rows };
}
