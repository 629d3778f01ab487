// metrics.jsonl: one full record (divergence maps included) per line, appended each epoch.
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync } from 'fs';
import { writeFileAtomic } from '../util/atomic';
import { EpochRecord } from './records';

/** Strings that stand for the non-finite numbers JSON cannot hold. */
const NON_FINITE: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

/** Keys whose values are real strings, never encoded numbers. */
const STRING_KEYS = new Set(['model', 'phase', 'aug_type', 'layer']);

function encodeNonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function decodeNonFinite(key: string, value: unknown): unknown {
  return typeof value === 'string' && !STRING_KEYS.has(key) && value in NON_FINITE ? NON_FINITE[value] : value;
}

/** One metrics.jsonl line for `record`, newline included. NaN and ±Infinity are kept as the strings 'NaN', 'Infinity', '-Infinity'. */
export function metricsJsonlLine(record: EpochRecord): string {
  return JSON.stringify(record, encodeNonFinite) + '\n';
}

/** The whole metrics.jsonl text for `records`, in the given order. */
export function metricsJsonl(records: readonly EpochRecord[]): string {
  return records.map(metricsJsonlLine).join('');
}

/**
 * Appends one record to metrics.jsonl and fsyncs it. A crash mid-append can leave a torn last
 * line, which {@link readMetricsJsonl} skips and reports.
 */
export function appendMetricsJsonl(file: string, record: EpochRecord): void {
  appendFileSync(file, metricsJsonlLine(record));
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** What {@link parseMetricsJsonl} read: the records, and the torn last line it skipped, if any. */
export interface MetricsJsonl {
  records: EpochRecord[];
  /** The unreadable last line (1-based number and text) that was skipped, or null when the file was whole. */
  torn: { line: number; text: string } | null;
}

function checkRecord(value: unknown, line: number): EpochRecord {
  const r = value as Partial<EpochRecord> | null;
  if (
    r === null || typeof r !== 'object' || typeof r.epoch !== 'number' || (r.model !== 'cnn' && r.model !== 'fcn') ||
    (r.phase !== 'cnn' && r.phase !== 'branch') || !Array.isArray(r.layers)
  ) {
    throw new Error(`metrics JSONL line ${line}: not an epoch record`);
  }
  return r as EpochRecord;
}

/**
 * Parses metrics.jsonl text. Blank lines are ignored. A last line that is not valid JSON or not
 * an epoch record is a torn write: it is skipped and returned in `torn`.
 *
 * @throws Error when a line other than the last is not valid JSON, or a line is not an epoch record.
 */
export function parseMetricsJsonl(text: string): MetricsJsonl {
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && lines[last].trim() === '') last--;
  const records: EpochRecord[] = [];
  let torn: MetricsJsonl['torn'] = null;
  for (let i = 0; i <= last; i++) {
    const text = lines[i].replace(/\r$/, '');
    if (text.trim() === '') continue;
    try {
      records.push(checkRecord(JSON.parse(text, decodeNonFinite), i + 1));
    } catch (error) {
      if (i === last) {
        torn = { line: i + 1, text };
        break;
      }
      const message = (error as Error).message;
      throw new Error(message.startsWith('metrics JSONL') ? message : `metrics JSONL line ${i + 1}: ${message}`);
    }
  }
  return { records, torn };
}

/**
 * Reads metrics.jsonl, skipping a torn last line; `warn` (default: standard error) is told
 * about it once.
 */
export function readMetricsJsonl(file: string, warn: (message: string) => void = defaultWarn): MetricsJsonl {
  const result = parseMetricsJsonl(readFileSync(file, 'utf8'));
  if (result.torn) warn(`${file}: skipped a torn last line (line ${result.torn.line}, ${result.torn.text.length} characters)`);
  return result;
}

/**
 * Reads metrics.jsonl like {@link readMetricsJsonl} and, when its last line was torn, rewrites
 * the file atomically without it, so that the next {@link appendMetricsJsonl} starts on a fresh
 * line (call it before resuming a run).
 */
export function repairMetricsJsonl(file: string, warn: (message: string) => void = defaultWarn): MetricsJsonl {
  const result = readMetricsJsonl(file, warn);
  if (result.torn) writeFileAtomic(file, metricsJsonl(result.records));
  return result;
}

function defaultWarn(message: string): void {
  process.stderr.write(`wsr-native: ${message}\n`);
}
