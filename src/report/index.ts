// `wsr-native/report`: run reports: metrics files, figures and the CNN-vs-FCN summary.
import path from 'path';
import { WriteFiguresOptions, writeFigures } from './figures';
import { readRunRecords, writeMetricsCsv } from './metricsFiles';
import { EpochRecord } from './records';
import type { SkippedFigure } from './specs';
import { ModelSummary, formatSummaryTable, summarize } from './summary';

/** Options of {@link writeReport}. */
export type ReportOptions = WriteFiguresOptions;

/** What {@link writeReport} wrote (absolute paths), the figures it skipped and why, and a figure error if one happened. */
export interface WrittenReport {
  files: string[];
  skipped: SkippedFigure[];
  figureError: Error | null;
}

/**
 * Rewrites `<runDir>/metrics.csv` atomically from `records` (before the returned promise first
 * waits), then renders the figures into `<runDir>/figures/`. Used by `wsr-native report`; a
 * training run writes the CSV each epoch and leaves the figures to {@link FigureUpdates}. A
 * failure while drawing is reported through `warn` and returned, never thrown, so that a plotting
 * problem cannot stop anything; a failure writing the CSV is thrown (the promise rejects).
 * metrics.jsonl is not written here: append each record with appendMetricsJsonl.
 */
export async function writeReport(runDir: string, records: readonly EpochRecord[], options: ReportOptions = {}): Promise<WrittenReport> {
  const csvPath = writeMetricsCsv(runDir, records);
  try {
    const figures = await writeFigures(path.resolve(runDir), records, options);
    return { files: [csvPath, ...figures.files], skipped: figures.skipped, figureError: null };
  } catch (error) {
    const warn = options.warn ?? ((m: string) => process.stderr.write(`wsr-native: ${m}\n`));
    warn(`figures not updated: ${(error as Error).message}`);
    return { files: [csvPath], skipped: [], figureError: error as Error };
  }
}

/** What {@link reportRun} did. */
export interface RunReport {
  source: string;
  records: number;
  written: WrittenReport;
  rows: ModelSummary[];
  /** The summary table in the style asked for. */
  table: string;
}

/**
 * `wsr-native report RUN`: reads the run's records, rewrites metrics.csv and the figures, and
 * returns the summary table (text or Markdown) for the command to print.
 */
export async function reportRun(runDir: string, options: ReportOptions & { style?: 'text' | 'markdown' } = {}): Promise<RunReport> {
  const { records, source } = readRunRecords(runDir, options.warn);
  const written = await writeReport(runDir, records, options);
  const rows = summarize(records);
  return { source, records: records.length, written, rows, table: formatSummaryTable(rows, options.style ?? 'text') };
}

export { RUN_FILES, readRunRecords, writeMetricsCsv } from './metricsFiles';
export { MetricsLog } from './metricsLog';
export type { EpochRecord, LayerDivergence, ModelName, PhaseName, RobustnessKey } from './records';
export { ROBUSTNESS_KEYS, PUBLISHED_RADII, sortRecords, recordsOf, conversionEpoch, firstLayer, publishedLayer } from './records';
export { metricsCsv, parseMetricsCsv, metricsCsvColumns, layerNames, PUBLISHED_COLUMNS, EXTRA_COLUMNS, LAYER_COLUMN_SUFFIXES } from './csv';
export { metricsJsonl, metricsJsonlLine, appendMetricsJsonl, parseMetricsJsonl, readMetricsJsonl, repairMetricsJsonl } from './jsonl';
export type { MetricsJsonl } from './jsonl';
export { buildFigures, writeFigures } from './figures';
export { markedConversion } from './series';
export type { Figure, BuiltFigures, WriteFiguresOptions, WrittenFigures } from './figures';
export { FigureUpdates } from './figureUpdates';
export { FIGURE_NAMES, MAP_EPOCH_PARAM, buildFigureSpecs, lossSpec, accuracySpec, distancesSpec, robustnessSpec, divergenceMapSpec } from './specs';
export type { FigureName, FigureSpecEntry, FigureSpecs, FigureSpecOptions, MapEpochs, SkippedFigure } from './specs';
export { FigureRenderer, renderSvg, withFigureConfig } from './vega';
export type { FigureSpec } from './vega';
export { summarize, formatSummaryTable, summaryCells } from './summary';
export type { ModelSummary } from './summary';
export { svgToPng, pngAvailable, pngUnavailableReason } from './png';
export type { PngOptions } from './png';
export { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
