// The CNN-vs-FCN summary of a run, as an aligned text table or Markdown.
import { EpochRecord, ModelName, ROBUSTNESS_KEYS, RobustnessKey, firstLayer, recordsOf } from './records';
import { MODEL_LABEL } from './series';

/** One model's summary; null where the run has no such value (yet). */
export interface ModelSummary {
  model: ModelName;
  /** Epoch records of this model (the continued CNN counts its CNN phase too). */
  epochs: number;
  /** Of these, the epochs after conversion. */
  branchEpochs: number;
  /** The last epoch recorded. */
  finalEpoch: number | null;
  /** The highest validation accuracy (a fraction) and the first epoch that reached it. */
  bestValAccuracy: number | null;
  bestValEpoch: number | null;
  /** The last test accuracy measured, and its epoch. */
  testAccuracy: number | null;
  testEpoch: number | null;
  /** Validation accuracy clean and under each perturbation at the final epoch. */
  finalValAccuracy: number | null;
  robustness: Record<RobustnessKey, number | null>;
  /** The first LC layer's name and its final distances and divergence (FCN only). */
  layer: string | null;
  dist1: number | null;
  dist4: number | null;
  cos1: number | null;
  cos4: number | null;
  divergence: number | null;
}

function finite(value: number | null | undefined): number | null {
  return value === null || value === undefined || Number.isNaN(value) ? null : value;
}

function summarizeModel(model: ModelName, allRows: EpochRecord[]): ModelSummary {
  // The FCN's record at the conversion point (phase 'cnn') is the CNN it was converted from, not an
  // epoch of FCN training: it counts neither as an epoch nor as the FCN's best.
  const rows = model === 'fcn' ? allRows.filter((r) => r.phase !== 'cnn') : allRows;
  let bestValAccuracy: number | null = null;
  let bestValEpoch: number | null = null;
  let testAccuracy: number | null = null;
  let testEpoch: number | null = null;
  for (const r of rows) {
    const v = finite(r.val_accuracy);
    if (v !== null && (bestValAccuracy === null || v > bestValAccuracy)) [bestValAccuracy, bestValEpoch] = [v, r.epoch];
    const t = finite(r.test_accuracy);
    if (t !== null) [testAccuracy, testEpoch] = [t, r.epoch];
  }
  const last = rows[rows.length - 1];
  const robustness = Object.fromEntries(ROBUSTNESS_KEYS.map((k) => [k, last ? finite(last[k]) : null])) as Record<RobustnessKey, number | null>;
  let withLayer: EpochRecord | undefined;
  for (let i = rows.length - 1; i >= 0 && !withLayer; i--) if (firstLayer(rows[i])) withLayer = rows[i];
  const layer = withLayer ? firstLayer(withLayer) : undefined;
  return {
    model,
    epochs: rows.length,
    branchEpochs: rows.filter((r) => r.phase === 'branch').length,
    finalEpoch: last ? last.epoch : null,
    bestValAccuracy, bestValEpoch, testAccuracy, testEpoch,
    finalValAccuracy: last ? finite(last.val_accuracy) : null,
    robustness,
    layer: layer?.layer ?? null,
    dist1: finite(layer?.dist[1]), dist4: finite(layer?.dist[4]),
    cos1: finite(layer?.cos[1]), cos4: finite(layer?.cos[4]),
    divergence: finite(layer?.divergence),
  };
}

/** One summary per model present in `records`, the CNN first. */
export function summarize(records: readonly EpochRecord[]): ModelSummary[] {
  return (['cnn', 'fcn'] as const)
    .map((model) => recordsOf(records, model))
    .filter((rows) => rows.length > 0)
    .map((rows) => summarizeModel(rows[0].model, rows));
}

const MISSING = '-';

function pct(value: number | null, epoch?: number | null): string {
  if (value === null) return MISSING;
  return `${(value * 100).toFixed(2)}%` + (epoch !== undefined && epoch !== null ? ` (epoch ${epoch})` : '');
}

function num(value: number | null): string {
  return value === null ? MISSING : String(Number(value.toPrecision(4)));
}

/** The table as a header line and rows of cells: metric name, then one cell per model. */
export function summaryCells(rows: readonly ModelSummary[]): { header: string[]; body: string[][] } {
  const layer = rows.find((r) => r.layer !== null)?.layer;
  const suffix = layer ? ` (${layer})` : '';
  const line = (name: string, cell: (r: ModelSummary) => string): string[] => [name, ...rows.map(cell)];
  return {
    header: ['metric', ...rows.map((r) => MODEL_LABEL[r.model])],
    body: [
      line('epochs trained', (r) => String(r.epochs)),
      line('  of them after conversion', (r) => String(r.branchEpochs)),
      line('best validation accuracy', (r) => pct(r.bestValAccuracy, r.bestValEpoch)),
      line('test accuracy', (r) => pct(r.testAccuracy, r.testEpoch)),
      line('final validation accuracy', (r) => pct(r.finalValAccuracy)),
      line('  under translation', (r) => pct(r.robustness.translation)),
      line('  under noise', (r) => pct(r.robustness.noise)),
      line('  under edge noise', (r) => pct(r.robustness.edge_noise)),
      line('  under rotation', (r) => pct(r.robustness.rotation)),
      line('  under quadrant swap', (r) => pct(r.robustness.swap)),
      line(`final dist_1${suffix}`, (r) => num(r.dist1)),
      line(`final dist_4${suffix}`, (r) => num(r.dist4)),
      line(`final cos_1${suffix}`, (r) => num(r.cos1)),
      line(`final cos_4${suffix}`, (r) => num(r.cos4)),
      line(`final divergence${suffix}`, (r) => num(r.divergence)),
    ],
  };
}

/**
 * The summary as a table: 'text' aligns columns with spaces (for the terminal), 'markdown'
 * writes a GitHub table (for the README). Ends with a newline.
 */
export function formatSummaryTable(rows: readonly ModelSummary[], style: 'text' | 'markdown' = 'text'): string {
  const { header, body } = summaryCells(rows);
  if (style === 'markdown') {
    const md = (cells: string[]): string => `| ${cells.map((c) => c.trim().replace(/\|/g, '\\|')).join(' | ')} |`;
    return [md(header), `| --- |${' ---: |'.repeat(header.length - 1)}`, ...body.map(md)].join('\n') + '\n';
  }
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const text = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [text(header), ...body.map(text)].join('\n') + '\n';
}
