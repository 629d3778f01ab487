// The aggregate's tables as text cells: test accuracy, robustness and final distances per setting,
// each estimate as mean ± half-width of its 95% confidence interval in the units a reader expects
// (percent for accuracies, percentage points for paired differences, four significant digits for
// distances), and each setting's seeds finished. One formatting for every reader: aggregate.md
// prints these tables, aggregate.json carries them, and the run browser shows them as they are.
import { ROBUSTNESS_KEYS } from '../report';
import { METRIC_LABEL, SettingSummary } from './aggregate';
import { DISTANCE_KEYS } from './collect';
import { Estimate } from './stats';

/** The cell of a value that is not there. */
export const NONE = '–';

/** An accuracy (a fraction) as percent, with its interval in percentage points ('pp' and a sign when `signed`, for differences). */
export function percentCell(e: Estimate, signed = false): string {
  if (e.mean === null) return NONE;
  const sign = signed && e.mean > 0 ? '+' : '';
  const mean = `${sign}${(e.mean * 100).toFixed(2)}`;
  return e.ci === null ? `${mean}${signed ? ' pp' : '%'} (n=1)` : `${mean} ± ${(e.ci * 100).toFixed(2)}${signed ? ' pp' : '%'}`;
}

/** A number with four significant digits (exponent form below 0.001). */
export function significant(v: number): string {
  return v !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

/** A distance with four significant digits, ± its interval. */
export function numberCell(e: Estimate): string {
  if (e.mean === null) return NONE;
  return e.ci === null ? `${significant(e.mean)} (n=1)` : `${significant(e.mean)} ± ${significant(e.ci)}`;
}

/** Where a setting stands: every seed finished, some, or none. */
export type SettingStatus = 'finished' | 'partial' | 'none';

export function settingStatus(s: SettingSummary): SettingStatus {
  if (s.seeds.length === 0) return 'none';
  return s.seeds.length === s.group.points.length ? 'finished' : 'partial';
}

/** Seeds finished of the setting's points ('1/3'). */
export function seedsFraction(s: SettingSummary): string {
  return `${s.seeds.length}/${s.group.points.length}`;
}

/** Seeds finished, and what the others are: '3/3', '1/3 (1 unfinished, 1 not started)'. */
export function seedsCell(s: SettingSummary): string {
  const unfinished = s.group.points.filter((p) => p.status === 'unfinished').length;
  const missing = s.group.points.filter((p) => p.status === 'missing').length;
  const rest = [unfinished ? `${unfinished} unfinished` : null, missing ? `${missing} not started` : null].filter(Boolean);
  return rest.length === 0 ? seedsFraction(s) : `${seedsFraction(s)} (${rest.join(', ')})`;
}

/** A table of formatted cells: its first column names the setting. */
export interface DisplayTable {
  name: 'test_accuracy' | 'robustness' | 'distances' | 'aggregate';
  title: string;
  columns: string[];
  /** Which columns hold numbers (right-aligned). */
  numeric: boolean[];
  rows: { setting: string; status: SettingStatus; cells: string[] }[];
  /** Said in place of the table when it has no rows. */
  empty: string | null;
}

/** What a row of a setting without a finished point says in its second column. */
const NO_POINT = 'no finished point';

/** The test accuracy, robustness and final-distance tables of `summaries`. */
export function aggregateTables(summaries: readonly SettingSummary[]): DisplayTable[] {
  type Row = DisplayTable['rows'][number];
  const none = (s: SettingSummary, width: number): Row => ({ setting: s.group.title, status: 'none', cells: [s.group.title, NO_POINT, ...Array<string>(width).fill(NONE)] });
  const accuracy: DisplayTable = {
    name: 'test_accuracy',
    title: 'Test accuracy',
    columns: ['setting', 'seeds finished', 'CNN', 'FCN', 'FCN − CNN (paired)'],
    numeric: [false, false, true, true, true],
    rows: summaries.map((s) => ({
      setting: s.group.title,
      status: settingStatus(s),
      cells: [s.group.title, seedsCell(s), percentCell(s.cnn.test_accuracy), percentCell(s.fcn.test_accuracy), percentCell(s.difference.test_accuracy, true)],
    })),
    empty: null,
  };
  // Robustness rows without any value (runs with --no-robustness) are left out.
  const measuredRows = (s: SettingSummary): Row[] => {
    const lines: [string, string[]][] = [
      ['CNN', ROBUSTNESS_KEYS.map((k) => percentCell(s.cnn[k]))],
      ['FCN', ROBUSTNESS_KEYS.map((k) => percentCell(s.fcn[k]))],
      ['FCN − CNN', ROBUSTNESS_KEYS.map((k) => percentCell(s.difference[k], true))],
    ];
    return lines
      .filter(([, cells]) => cells.some((c) => c !== NONE))
      .map(([model, cells]) => ({ setting: s.group.title, status: settingStatus(s), cells: [s.group.title, model, ...cells] }));
  };
  const measured = summaries.some((s) => measuredRows(s).length > 0);
  const finishedAny = summaries.some((s) => s.seeds.length > 0);
  const robustness: DisplayTable = {
    name: 'robustness',
    title: 'Robustness at the restored best epoch (validation accuracy)',
    columns: ['setting', 'model', ...ROBUSTNESS_KEYS.map((k) => METRIC_LABEL[k])],
    numeric: [false, false, ...ROBUSTNESS_KEYS.map(() => true)],
    rows: measured ? summaries.flatMap((s) => (s.seeds.length === 0 ? [none(s, ROBUSTNESS_KEYS.length)] : measuredRows(s))) : [],
    empty: finishedAny ? 'Not measured (the runs had --no-robustness).' : 'No point has finished yet.',
  };
  const distances: DisplayTable = {
    name: 'distances',
    title: 'Final distances of the freed filters (last FCN epoch)',
    columns: ['setting', 'layer', ...DISTANCE_KEYS],
    numeric: [false, false, ...DISTANCE_KEYS.map(() => true)],
    rows: summaries.flatMap((s): Row[] =>
      s.seeds.length === 0
        ? [none(s, DISTANCE_KEYS.length)]
        : s.distances.map((d) => ({ setting: s.group.title, status: settingStatus(s), cells: [s.group.title, d.layer, ...DISTANCE_KEYS.map((k) => numberCell(d.values[k]))] })),
    ),
    empty: finishedAny ? 'No locally connected layer was freed.' : 'No point has finished yet.',
  };
  if (!summaries.some((s) => s.distances.length > 0)) distances.rows = [];
  return [accuracy, robustness, distances];
}

/** A column of an aggregate.json table (see aggregate.ts). */
interface RawColumn {
  key: string;
  label: string;
}

/**
 * One display table from an aggregate.json that predates `tables` (columns and rows only): each
 * `<base>_mean` column and its `<base>_ci95` become one cell, formatted as above (the unit read from
 * the key: FCN − CNN in percentage points, other CNN and FCN metrics in percent, the rest as numbers).
 */
export function tableFromColumns(columns: readonly RawColumn[], rows: readonly Record<string, unknown>[]): DisplayTable {
  const keys = new Set(columns.map((c) => c.key));
  const shown = columns.filter((c) => !(c.key.endsWith('_ci95') && keys.has(`${c.key.slice(0, -5)}_mean`)));
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const cell = (c: RawColumn, row: Record<string, unknown>): string => {
    const value = row[c.key];
    if (!c.key.endsWith('_mean') || !keys.has(`${c.key.slice(0, -5)}_ci95`)) {
      return value === null || value === undefined ? NONE : typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
    const base = c.key.slice(0, -5);
    const mean = num(value);
    const ci = num(row[`${base}_ci95`]);
    const e: Estimate = { n: ci === null ? 1 : 2, mean, sd: null, ci, low: null, high: null };
    if (base.startsWith('fcn_minus_cnn_')) return percentCell(e, true);
    if (/^(cnn|fcn)_/.test(base)) return percentCell(e);
    return numberCell(e);
  };
  const statusOf = (row: Record<string, unknown>): SettingStatus => (num(row.n) === 0 ? 'none' : (num(row.missing) ?? 0) > 0 ? 'partial' : 'finished');
  return {
    name: 'aggregate',
    title: 'Aggregate',
    columns: shown.map((c) => c.label.replace(/ \(mean\)$/, '')),
    numeric: shown.map((c) => c.key.endsWith('_mean')),
    rows: rows.map((row) => ({ setting: String(row.setting ?? row[shown[0]?.key] ?? ''), status: statusOf(row), cells: shown.map((c) => cell(c, row)) })),
    empty: null,
  };
}
