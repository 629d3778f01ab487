// A training run's metrics: records appended to metrics.jsonl as epochs complete, and metrics.csv
// and the figures rebuilt from all records after each epoch (the figures in the background).
import fs from 'fs';
import path from 'path';
import { writeError, writeFileAtomic } from '../util/atomic';
import { testKillPoint } from '../util/testHooks';
import { FigureUpdates } from './figureUpdates';
import { appendMetricsJsonl, metricsJsonl, metricsJsonlLine, repairMetricsJsonl } from './jsonl';
import { RUN_FILES, writeMetricsCsv } from './metricsFiles';
import { EpochRecord } from './records';

/** The records of a run and the files they live in. */
export class MetricsLog {
  private readonly list: EpochRecord[] = [];
  private readonly figures: FigureUpdates;
  private readonly jsonl: string;

  /** The metrics of the run folder `dir`. */
  constructor(
    private readonly dir: string,
    private readonly options: { png?: boolean; warn: (message: string) => void },
  ) {
    this.jsonl = path.join(dir, RUN_FILES.jsonl);
    this.figures = new FigureUpdates(dir, { png: options.png, warn: options.warn });
  }

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
    if (!fs.existsSync(this.jsonl)) return 0;
    const { records } = repairMetricsJsonl(this.jsonl, this.options.warn);
    const kept = records.filter(keep);
    if (kept.length !== records.length) writeFileAtomic(this.jsonl, metricsJsonl(kept));
    this.list.push(...kept);
    return records.length - kept.length;
  }

  /** Changes the records `which` picks by `change`, and rewrites metrics.jsonl (atomically), metrics.csv and the figures. */
  amend(which: (record: EpochRecord) => boolean, change: Partial<EpochRecord>): void {
    for (let i = 0; i < this.list.length; i++) if (which(this.list[i])) this.list[i] = { ...this.list[i], ...change };
    try {
      writeFileAtomic(this.jsonl, metricsJsonl(this.list));
    } catch (error) {
      throw writeError(error, this.jsonl);
    }
    this.rebuild();
  }

  /** Appends records to metrics.jsonl (fsynced), then rewrites metrics.csv and the figures. */
  append(records: readonly EpochRecord[]): void {
    for (const r of records) {
      // The chaos test's kill inside an append: half of the record's line written (a torn row).
      testKillPoint('metrics-append', () => fs.appendFileSync(this.jsonl, metricsJsonlLine(r).slice(0, 40)));
      try {
        appendMetricsJsonl(this.jsonl, r);
      } catch (error) {
        throw writeError(error, this.jsonl);
      }
      this.list.push(r);
    }
    this.rebuild();
  }

  /**
   * Rewrites metrics.csv from all records, and schedules the figures' rebuild in the background
   * (a drawing failure only warns; a pending rebuild keeps the process alive until it is written).
   */
  rebuild(): void {
    writeMetricsCsv(this.dir, this.list);
    this.figures.update(this.list);
  }

  /** Resolves when the figures of the last rebuild are written. */
  figuresWritten(): Promise<void> {
    return this.figures.idle();
  }
}
