// Figures rebuilt in the background while a run trains: rendering is asynchronous, and the
// training loop must neither wait for it nor be stopped by it. One rebuild runs at a time (so an
// older render never overwrites a newer one); updates that arrive meanwhile collapse into one,
// from the latest records.
import { EpochRecord } from './records';
import { WriteFiguresOptions, writeFigures } from './figures';
import { FigureRenderer } from './vega';

/** Rebuilds a run's figures from the records it is given, one rebuild at a time. */
export class FigureUpdates {
  private waiting: readonly EpochRecord[] | null = null;
  private running: Promise<void> | null = null;
  private readonly renderer = new FigureRenderer();

  constructor(
    private readonly runDir: string,
    private readonly options: Omit<WriteFiguresOptions, 'renderer'> & { warn: (message: string) => void },
  ) {}

  /** Schedules a rebuild from `records` (copied); a rebuild still waiting is replaced by this one. Never throws. */
  update(records: readonly EpochRecord[]): void {
    this.waiting = records.slice();
    this.running ??= this.drain();
  }

  /** Resolves when no rebuild is running or waiting. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    while (this.waiting !== null) {
      const records = this.waiting;
      this.waiting = null;
      try {
        await writeFigures(this.runDir, records, { ...this.options, renderer: this.renderer });
      } catch (error) {
        this.options.warn(`figures not updated: ${(error as Error).message}`);
      }
    }
    this.running = null;
  }
}
