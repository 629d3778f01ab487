// metrics.csv: the published columns first, then ours, then one group per locally connected layer.
// RFC 4180 quoting and splitting come from csv-stringify and csv-parse.
import { CsvError, InfoRecord, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { formatNumberCell, parseNumberCell } from './numbers';
import { EpochRecord, LayerDivergence, ModelName, PhaseName, publishedLayer, sortRecords } from './records';

/** The columns of the published CSV, in their order (dist_ and cos_ describe the first LC layer). */
export const PUBLISHED_COLUMNS = [
  'epoch', 'model', 'aug_type', 'aug', 'vcp', 'loss', 'val_loss', 'accuracy', 'val_accuracy',
  'translation', 'noise', 'edge_noise', 'rotation', 'swap', 'dist_1', 'dist_4', 'cos_1', 'cos_4',
] as const;

/** The columns wsr-native adds after the published ones (divergence: layer 1's, as dist_ and cos_). */
export const EXTRA_COLUMNS = ['phase', 'test_accuracy', 'divergence', 'seconds', 'learning_rate', 'tie_penalty', 'lc_rank'] as const;

/** The per-layer column suffixes, in their order; each column is named `<layer>_<suffix>`. */
export const LAYER_COLUMN_SUFFIXES = ['dist_1', 'dist_4', 'cos_1', 'cos_4', 'divergence'] as const;

/** The layer names present in `records`, in order of first appearance. */
export function layerNames(records: readonly EpochRecord[]): string[] {
  const names: string[] = [];
  for (const r of records) for (const l of r.layers) if (!names.includes(l.layer)) names.push(l.layer);
  return names;
}

/** The header cells for a file whose records hold the given LC layers. */
export function metricsCsvColumns(layers: readonly string[]): string[] {
  return [
    ...PUBLISHED_COLUMNS,
    ...EXTRA_COLUMNS,
    ...layers.flatMap((layer) => LAYER_COLUMN_SUFFIXES.map((s) => `${layer}_${s}`)),
  ];
}

function layerCells(layer: LayerDivergence | undefined): string[] {
  if (!layer) return ['', '', '', '', ''];
  return [layer.dist[1], layer.dist[4], layer.cos[1], layer.cos[4], layer.divergence].map(formatNumberCell);
}

function rowCells(r: EpochRecord, layers: readonly string[]): string[] {
  const first = publishedLayer(r);
  const n = formatNumberCell;
  return [
    n(r.epoch), r.model, r.aug_type, n(r.aug), n(r.vcp), n(r.loss), n(r.val_loss), n(r.accuracy), n(r.val_accuracy),
    n(r.translation), n(r.noise), n(r.edge_noise), n(r.rotation), n(r.swap),
    ...layerCells(first).slice(0, 4),
    r.phase, n(r.test_accuracy), first ? n(first.divergence) : '', n(r.seconds), n(r.learning_rate), n(r.tie_penalty), n(r.lc_rank),
    ...layers.flatMap((name) => layerCells(r.layers.find((l) => l.layer === name))),
  ];
}

/**
 * The whole metrics.csv for `records` (ordered by epoch, CNN before FCN), with a trailing newline.
 * Null values and absent layers are empty cells; numbers keep 6 significant digits. Radii other
 * than 1 and 4 and the divergence maps are left out (metrics.jsonl keeps them).
 */
export function metricsCsv(records: readonly EpochRecord[]): string {
  const sorted = sortRecords(records);
  const layers = layerNames(sorted);
  return stringify([metricsCsvColumns(layers), ...sorted.map((r) => rowCells(r, layers))], { record_delimiter: '\n' });
}

/**
 * Splits CSV text into rows of cells (quoted cells may hold commas, doubled quotes and line breaks;
 * LF or CRLF line ends; a missing final line end is fine; blank lines are dropped). Each row
 * carries the 1-based line it starts on, for error messages.
 *
 * @throws Error on an unterminated quoted cell, or text that is not CSV.
 */
export function parseCsvRows(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  // context.lines is the line a record ends on: step back over the line breaks inside its cells.
  const onRecord = (cells: string[], context: InfoRecord): null => {
    const inside = cells.reduce((n, cell) => n + (cell.match(/\n/g) ?? []).length, 0);
    rows.push({ line: context.lines - inside, cells });
    return null;
  };
  try {
    parse(text, { relax_column_count: true, skip_empty_lines: true, on_record: onRecord });
  } catch (error) {
    if (error instanceof CsvError && error.code === 'CSV_QUOTE_NOT_CLOSED') {
      throw new Error(`CSV line ${(error as CsvError & { lines?: number }).lines}: unterminated quoted cell`);
    }
    throw new Error(`CSV: ${(error as Error).message}`);
  }
  return rows;
}

type Row = { line: number; get: (column: string) => string | undefined };

function num(row: Row, column: string): number | null {
  const cell = row.get(column);
  if (cell === undefined) return null;
  try {
    return parseNumberCell(cell);
  } catch (error) {
    throw new Error(`metrics CSV line ${row.line}, column ${column}: ${(error as Error).message}`);
  }
}

/** A number column that has no null: an empty or missing cell reads as NaN. */
function value(row: Row, column: string): number {
  return num(row, column) ?? NaN;
}

function parseLayer(row: Row, layer: string, prefix: string, divergenceColumn: string): LayerDivergence | undefined {
  const cells = [`${prefix}dist_1`, `${prefix}dist_4`, `${prefix}cos_1`, `${prefix}cos_4`].map((c) => num(row, c));
  const divergence = num(row, divergenceColumn);
  if (cells.every((c) => c === null) && divergence === null) return undefined;
  return { layer, dist: { 1: cells[0], 4: cells[1] }, cos: { 1: cells[2], 4: cells[3] }, divergence: divergence ?? NaN };
}

/** The per-layer groups named in a header, in order. */
function headerLayers(header: readonly string[]): string[] {
  const fixed = new Set<string>([...PUBLISHED_COLUMNS, ...EXTRA_COLUMNS]);
  const layers: string[] = [];
  for (const column of header) {
    if (fixed.has(column) || !column.endsWith('_divergence')) continue;
    const layer = column.slice(0, -'_divergence'.length);
    if (layer && !layers.includes(layer)) layers.push(layer);
  }
  return layers;
}

/**
 * Reads metrics.csv text back into records (the inverse of {@link metricsCsv} up to the 6
 * significant digits; divergence maps and radii other than 1 and 4 are not in the file).
 * Also reads the published CSV: missing wsr-native columns default to phase 'branch',
 * test_accuracy null, seconds and learning_rate NaN, and the published dist_/cos_ cells become
 * a layer named 'layer1'. Empty cells in columns that have no null read as NaN.
 *
 * @throws Error when a published column is missing, a model or phase is unknown, or a cell is not a number.
 */
export function parseMetricsCsv(text: string): EpochRecord[] {
  const rows = parseCsvRows(text.replace(/^\uFEFF/, ''));
  if (rows.length === 0) return [];
  const header = rows[0].cells.map((c) => c.trim());
  for (const column of PUBLISHED_COLUMNS) {
    if (!header.includes(column)) throw new Error(`metrics CSV: the header has no column '${column}'`);
  }
  const index = new Map(header.map((c, i) => [c, i] as [string, number]));
  const layers = headerLayers(header);
  return rows.slice(1).map(({ line, cells }) => {
    const row: Row = { line, get: (column) => (index.has(column) ? (cells[index.get(column)!] ?? '') : undefined) };
    const model = (row.get('model') ?? '').trim();
    if (model !== 'cnn' && model !== 'fcn') throw new Error(`metrics CSV line ${line}: unknown model '${model}'`);
    const phase = (row.get('phase') ?? 'branch').trim() || 'branch';
    if (phase !== 'cnn' && phase !== 'branch') throw new Error(`metrics CSV line ${line}: unknown phase '${phase}'`);
    const parsedLayers: LayerDivergence[] = [];
    for (const layer of layers) {
      const l = parseLayer(row, layer, `${layer}_`, `${layer}_divergence`);
      if (l) parsedLayers.push(l);
    }
    if (layers.length === 0) {
      const l = parseLayer(row, 'layer1', '', 'divergence');
      if (l) parsedLayers.push(l);
    }
    return {
      epoch: value(row, 'epoch'),
      model: model as ModelName,
      phase: phase as PhaseName,
      aug_type: row.get('aug_type') ?? '',
      aug: value(row, 'aug'),
      vcp: value(row, 'vcp'),
      loss: value(row, 'loss'),
      val_loss: value(row, 'val_loss'),
      accuracy: value(row, 'accuracy'),
      val_accuracy: value(row, 'val_accuracy'),
      translation: value(row, 'translation'),
      noise: value(row, 'noise'),
      edge_noise: value(row, 'edge_noise'),
      rotation: value(row, 'rotation'),
      swap: value(row, 'swap'),
      test_accuracy: num(row, 'test_accuracy'),
      layers: parsedLayers,
      seconds: value(row, 'seconds'),
      learning_rate: value(row, 'learning_rate'),
      tie_penalty: num(row, 'tie_penalty'),
      lc_rank: num(row, 'lc_rank'),
    };
  });
}
