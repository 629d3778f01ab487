// The metrics files of a run folder: metrics.csv (the published columns and more) and
// metrics.jsonl (full records, divergence maps included), where they live and how they are read.
import { existsSync, mkdirSync, readFileSync } from 'fs';
import path from 'path';
import { writeFileAtomic } from '../util/atomic';
import { metricsCsv, parseMetricsCsv } from './csv';
import { readMetricsJsonl } from './jsonl';
import { EpochRecord } from './records';

/** File names inside a run folder. */
export const RUN_FILES = { csv: 'metrics.csv', jsonl: 'metrics.jsonl', figures: 'figures' } as const;

/** Rewrites `<runDir>/metrics.csv` atomically from `records`; returns its path. */
export function writeMetricsCsv(runDir: string, records: readonly EpochRecord[]): string {
  const dir = path.resolve(runDir);
  mkdirSync(dir, { recursive: true });
  const csvPath = path.join(dir, RUN_FILES.csv);
  writeFileAtomic(csvPath, metricsCsv(records));
  return csvPath;
}

/**
 * The records of a run folder: from metrics.jsonl when it exists (full records, divergence maps
 * included; a torn last line is skipped with a warning), otherwise from metrics.csv.
 *
 * @throws Error when the folder has neither file.
 */
export function readRunRecords(runDir: string, warn?: (message: string) => void): { records: EpochRecord[]; source: string } {
  const jsonl = path.join(runDir, RUN_FILES.jsonl);
  if (existsSync(jsonl)) return { records: readMetricsJsonl(jsonl, warn).records, source: jsonl };
  const csv = path.join(runDir, RUN_FILES.csv);
  if (existsSync(csv)) return { records: parseMetricsCsv(readFileSync(csv, 'utf8')), source: csv };
  throw new Error(`${runDir}: no ${RUN_FILES.jsonl} or ${RUN_FILES.csv} (is it a run folder?)`);
}
