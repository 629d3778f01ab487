// Writes SWEEP/aggregate/: aggregate.json (the contract the browser reads: the raw table, the
// formatted tables and the figures' spec files), aggregate.csv, aggregate.md, and
// figures/<name>.{vl.json,svg,png}. Every file is written atomically;
// aggregate.json last, so a reader that finds it finds the files it names.
import fs from 'fs';
import path from 'path';
import { stringify } from 'csv-stringify/sync';
import { svgToPng } from '../report/png';
import { renderSvg } from '../report/vega';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import { AggregateTable, aggregateTable, groupBySetting, summarizeSetting } from './aggregate';
import { SkippedFigure, aggregateFigures } from './aggregateFigures';
import { aggregateMarkdown } from './aggregateMarkdown';
import { DisplayTable, aggregateTables } from './aggregateTables';
import { PointResult, collectPoint } from './collect';
import { readSweepFile } from './folder';
import { CONFIDENCE } from './stats';

/** aggregate.json. */
export interface AggregateFile extends AggregateTable {
  format: 'wsr-native-aggregate';
  version: 1;
  created: string;
  /** How the numbers were made, in words. */
  method: string;
  confidence: number;
  /** Points without results, and why. */
  missing: { name: string; status: string; note: string | null }[];
  /** The tables of aggregate.md, cell by cell as printed there (what the run browser shows). */
  tables: DisplayTable[];
  figures: { name: string; title: string; spec: string }[];
  /** Figures not drawn, and why. */
  skipped: SkippedFigure[];
}

/** What {@link writeAggregate} made. */
export interface WrittenAggregate {
  dir: string;
  file: AggregateFile;
  markdown: string;
  results: PointResult[];
  files: string[];
}

export const AGGREGATE_DIR = 'aggregate';

const METHOD =
  'Per setting (the grid values; seeds pooled): mean over the finished seeds and the half-width of the 95% confidence interval ' +
  '(Student t, n − 1 degrees of freedom; null when n = 1). FCN − CNN: paired difference per seed. Accuracies are fractions; ' +
  "test accuracy is of the restored best weights of each branch, robustness is the validation accuracy under each perturbation at that " +
  'restored best epoch, distances are at the last FCN epoch.';

function csvText(table: AggregateTable): string {
  const cell = (v: string | number | null): string => (v === null ? '' : String(v));
  const rows = table.rows.map((r) => table.columns.map((c) => cell(r[c.key] ?? null)));
  return stringify([table.columns.map((c) => c.key), ...rows], { record_delimiter: '\n' });
}

/** Aggregates sweep `sweepDir` into `<sweepDir>/aggregate/`. Throws when it is not a sweep folder. */
export async function writeAggregate(sweepDir: string, options: { png?: boolean; warn?: (m: string) => void } = {}): Promise<WrittenAggregate> {
  const sweep = readSweepFile(sweepDir);
  if (!sweep) throw new Error(`${sweepDir}: no sweep.json (is it a sweep folder? run wsr-native sweep --out ${sweepDir} first)`);
  const results = sweep.points.map((p) => collectPoint(sweepDir, p));
  const summaries = groupBySetting(results).map(summarizeSetting);
  const gridKeys = Object.keys(sweep.spec.grid);
  const table = aggregateTable(summaries, gridKeys);
  const dir = path.join(path.resolve(sweepDir), AGGREGATE_DIR);
  const figuresDir = path.join(dir, 'figures');
  fs.mkdirSync(figuresDir, { recursive: true });
  const files: string[] = [];
  const write = (file: string, data: string | Buffer): void => {
    writeFileAtomic(file, data);
    files.push(file);
  };
  const tables = aggregateTables(summaries);
  const markdown = aggregateMarkdown(sweepDir, summaries, results, tables);
  write(path.join(dir, 'aggregate.csv'), csvText(table));
  write(path.join(dir, 'aggregate.md'), markdown);
  const figures: AggregateFile['figures'] = [];
  const drawn = aggregateFigures(summaries, sweep.spec.grid);
  for (const figure of drawn.figures) {
    const spec = path.join(figuresDir, `${figure.name}.vl.json`);
    write(spec, `${JSON.stringify(figure.spec, null, 1)}\n`);
    figures.push({ name: figure.name, title: figure.title, spec: path.relative(dir, spec).split(path.sep).join('/') });
    const svg = await renderSvg(figure.spec);
    write(path.join(figuresDir, `${figure.name}.svg`), svg);
    const png = options.png === false ? null : svgToPng(svg, { warn: options.warn });
    if (png) write(path.join(figuresDir, `${figure.name}.png`), png);
  }
  const file: AggregateFile = {
    format: 'wsr-native-aggregate',
    version: 1,
    created: new Date().toISOString(),
    method: METHOD,
    confidence: CONFIDENCE,
    columns: table.columns,
    rows: table.rows,
    missing: results.filter((r) => r.status !== 'finished').map((r) => ({ name: r.point.name, status: r.status, note: r.note })),
    tables,
    figures,
    skipped: drawn.skipped,
  };
  const json = path.join(dir, 'aggregate.json');
  writeJsonAtomic(json, file);
  files.push(json);
  // Figures of an earlier aggregate that this one did not draw (a figure now skipped, or named
  // after grid keys that have changed) go, once aggregate.json no longer names them.
  for (const name of fs.readdirSync(figuresDir)) {
    if (/\.(vl\.json|svg|png)$/.test(name) && !files.includes(path.join(figuresDir, name))) fs.rmSync(path.join(figuresDir, name), { force: true });
  }
  return { dir, file, markdown, results, files };
}
