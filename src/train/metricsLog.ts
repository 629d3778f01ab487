// The run's metrics: records appended to metrics.jsonl as epochs complete, and metrics.csv and
// the figures rebuilt from all records after each epoch (src/report).
import fs from 'fs';
import { EpochRecord, appendMetricsJsonl, metricsJsonl, repairMetricsJsonl, writeFileAtomic, writeReport } from '../report';
import { RunPaths } from './runFolder';

/** The records of a run and the files they live in. */
export class MetricsLog {
  private readonly list: EpochRecord[] = [];

  constructor(
    private readonly paths: RunPaths,
    private readonly options: { png?: boolean; warn: (message: string) => void },
  ) {}

  /** Every record so far. */
  get records(): readonly EpochRecord[] {
    return this.list;
  }

  /**
   * For a resumed run: reads metrics.jsonl (dropping a torn last line), keeps the records that
   * `keep` accepts (those of the completed epochs), and rewrites the file with just those.
   * Returns how many records were dropped.
   */
  load(keep: (record: EpochRecord) => boolean): number {
    if (!fs.existsSync(this.paths.jsonl)) return 0;
    const { records } = repairMetricsJsonl(this.paths.jsonl, this.options.warn);
    const kept = records.filter(keep);
    if (kept.length !== records.length) writeFileAtomic(this.paths.jsonl, metricsJsonl(kept));
    this.list.push(...kept);
    return records.length - kept.length;
  }

  /** Appends records to metrics.jsonl (fsynced), then rewrites metrics.csv and the figures. */
  append(records: readonly EpochRecord[]): void {
    for (const r of records) {
      appendMetricsJsonl(this.paths.jsonl, r);
      this.list.push(r);
    }
    this.rebuild();
  }

  /** Rewrites metrics.csv and the figures from all records (a drawing failure only warns). */
  rebuild(): void {
    writeReport(this.paths.dir, this.list, { png: this.options.png, warn: this.options.warn });
  }
}
