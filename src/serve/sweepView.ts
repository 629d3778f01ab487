// What the page shows of one sweep (the folder layout of /work/notes/sweep_contract.md): its
// points, each a run folder inside it, and its aggregate — the tables of aggregate.md, cell by cell
// as `aggregate` formatted them (src/sweep/aggregateTables.ts), and figures from Vega-Lite spec
// files with their data inlined.
import fs from 'fs';
import path from 'path';
import { FigureSpec, withFigureConfig } from '../report';
import { DisplayTable, tableFromColumns } from '../sweep/aggregateTables';
import { RootFolder } from './root';
import { RunStatus, runProgress } from './scan';

/** A sweep point as the page lists it. */
export interface SweepPoint {
  name: string;
  settings: Record<string, unknown>;
  seed: number | null;
  /** Its run folder under the served folder, or null when it has none yet. */
  path: string | null;
  status: RunStatus | null;
  epochs: number | null;
}

/** A sweep as the page shows it. */
export interface SweepView {
  kind: 'sweep';
  path: string;
  name: string;
  stamp: string;
  created: string | null;
  points: SweepPoint[];
  aggregate: {
    created: string | null;
    /** The tables as aggregate.md prints them (an aggregate.json without them: its columns and rows, formatted alike). */
    tables: DisplayTable[];
    figures: { name: string; title: string; spec: FigureSpec | null; problem: string | null }[];
    /** Figures `aggregate` did not draw, and why. */
    skipped: { name: string; reason: string }[];
    /** The aggregate's own files, relative to the sweep folder, that exist. */
    files: string[];
  } | null;
  /** What is wrong with sweep.json or aggregate.json, or why the aggregate is missing. */
  problems: string[];
}

function readJson(file: string): { value: unknown; problem: string | null } {
  try {
    return { value: JSON.parse(fs.readFileSync(file, 'utf8')), problem: null };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { value: null, problem: e.code === 'ENOENT' ? `${path.basename(file)} not written yet` : `${path.basename(file)}: ${e.message}` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : String(x ?? ''))) : []);

/** A table of aggregate.json's `tables`, read defensively (what the page renders is only ever text). */
function displayTable(t: Record<string, unknown>): DisplayTable {
  const columns = strings(t.columns);
  const numeric = Array.isArray(t.numeric) ? columns.map((_, i) => (t.numeric as unknown[])[i] === true) : columns.map(() => false);
  const rows = (Array.isArray(t.rows) ? t.rows : []).filter(isObject).map((r): DisplayTable['rows'][number] => ({
    setting: text(r.setting) ?? '',
    status: r.status === 'partial' || r.status === 'none' ? r.status : 'finished',
    cells: strings(r.cells),
  }));
  const name = t.name === 'robustness' || t.name === 'distances' || t.name === 'aggregate' ? t.name : 'test_accuracy';
  return { name, title: text(t.title) ?? name, columns, numeric, rows, empty: text(t.empty) };
}

/** A stamp of the sweep's files (sweep.json, the aggregate and its points' progress). */
export function sweepStamp(dir: string): string {
  const parts: string[] = [];
  for (const f of ['sweep.json', path.join('aggregate', 'aggregate.json')]) {
    try {
      const s = fs.statSync(path.join(dir, f));
      parts.push(`${s.size}@${s.mtimeMs}`);
    } catch {
      parts.push('-');
    }
  }
  return parts.join('|');
}

function points(root: RootFolder, dir: string, sweep: Record<string, unknown>): SweepPoint[] {
  const list = Array.isArray(sweep.points) ? sweep.points : [];
  return list.filter(isObject).map((p) => {
    const name = text(p.name) ?? '?';
    let runPath: string | null = null;
    let progress: ReturnType<typeof runProgress> | null = null;
    try {
      const runDir = root.resolve(`${root.relative(dir)}/${name}`);
      if (fs.existsSync(path.join(runDir, 'config.json'))) {
        runPath = root.relative(runDir);
        progress = runProgress(runDir);
      }
    } catch {
      // No folder for this point yet (or a name that leaves the sweep): listed without a link.
    }
    return {
      name,
      settings: isObject(p.settings) ? p.settings : {},
      seed: typeof p.seed === 'number' ? p.seed : null,
      path: runPath,
      status: progress?.status ?? null,
      epochs: progress?.epochs ?? null,
    };
  });
}

function aggregate(root: RootFolder, dir: string, problems: string[]): SweepView['aggregate'] {
  const { value, problem } = readJson(path.join(dir, 'aggregate', 'aggregate.json'));
  if (problem) {
    problems.push(problem);
    return null;
  }
  if (!isObject(value) || value.format !== 'wsr-native-aggregate') {
    problems.push("aggregate.json: not a wsr-native aggregate (format 'wsr-native-aggregate')");
    return null;
  }
  let tables: DisplayTable[];
  if (Array.isArray(value.tables)) {
    tables = value.tables.filter(isObject).map(displayTable);
  } else {
    const columns = (Array.isArray(value.columns) ? value.columns : []).filter(isObject).map((c) => ({ key: String(c.key), label: text(c.label) ?? String(c.key) }));
    tables = [tableFromColumns(columns, (Array.isArray(value.rows) ? value.rows : []).filter(isObject))];
  }
  const skipped = (Array.isArray(value.skipped) ? value.skipped : []).filter(isObject).map((f) => ({ name: text(f.name) ?? '?', reason: text(f.reason) ?? '' }));
  const files = ['aggregate.md', 'aggregate.csv', 'aggregate.json'].filter((f) => fs.existsSync(path.join(dir, 'aggregate', f))).map((f) => `aggregate/${f}`);
  const figures = (Array.isArray(value.figures) ? value.figures : []).filter(isObject).map((f) => {
    const name = text(f.name) ?? '?';
    const title = text(f.title) ?? name;
    const file = text(f.spec);
    if (file === null) return { name, title, spec: null, problem: 'no spec file named' };
    try {
      const resolved = root.resolve(`${root.relative(dir)}/aggregate/${file}`);
      const spec = JSON.parse(fs.readFileSync(resolved, 'utf8')) as FigureSpec;
      return { name, title, spec: withFigureConfig(spec), problem: null };
    } catch (error) {
      return { name, title, spec: null, problem: `${file}: ${(error as Error).message}` };
    }
  });
  return { created: text(value.created), tables, figures, skipped, files };
}

/** The view of the sweep in `dir`. */
export function sweepView(root: RootFolder, dir: string): SweepView {
  const rel = root.relative(dir);
  const problems: string[] = [];
  const { value, problem } = readJson(path.join(dir, 'sweep.json'));
  if (problem) problems.push(problem);
  const sweep = isObject(value) ? value : {};
  if (!problem && sweep.format !== 'wsr-native-sweep') problems.push("sweep.json: not a wsr-native sweep (format 'wsr-native-sweep')");
  return {
    kind: 'sweep',
    path: rel,
    name: rel === '' ? path.basename(dir) : rel.split('/').pop()!,
    stamp: sweepStamp(dir),
    created: text(sweep.created),
    points: points(root, dir, sweep),
    aggregate: aggregate(root, dir, problems),
    problems,
  };
}
