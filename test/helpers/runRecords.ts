// A finished run folder's epoch records, for the end-to-end tests that compare runs.
import path from 'path';
import { EpochRecord, readMetricsJsonl } from '../../src/report';

/** The epoch records in `run`/metrics.jsonl. */
export const runRecords = (run: string): EpochRecord[] => readMetricsJsonl(path.join(run, 'metrics.jsonl')).records;

/** The records without their wall time, the one column in which two equal runs may differ. */
export const withoutSeconds = (rs: EpochRecord[]): Omit<EpochRecord, 'seconds'>[] =>
  rs.map(({ seconds: _seconds, ...rest }) => rest);
