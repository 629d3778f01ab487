// What a local sweep shows while it runs: on a terminal, one line per running point (its latest
// progress) under a status line, redrawn in place; otherwise plain lines (each point's start, its
// epoch summaries prefixed by its name, its end, and its waits for another process holding its folder).
import type { ProgressStream } from '../train/progress';
import { formatDuration } from '../train/progress';

/** How a point's run ended. */
export type PointEnd = 'finished' | 'unfinished' | 'interrupted' | 'failed';

const EPOCH_LINE = /^(cnn|fcn) epoch \d+/;

/** The progress display of a pool of running points. */
export class PoolDisplay {
  private readonly running = new Map<number, { name: string; text: string; started: number }>();
  private drawn = 0;
  private lastDraw = 0;
  private done = 0;
  private failed = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly out: ProgressStream,
    private readonly total: number,
    private readonly alreadyDone: number,
    private readonly intervalMs = 200,
  ) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** A message that stays (above the live lines on a terminal). */
  message(text: string): void {
    if (!this.tty) {
      this.out.write(`${text}\n`);
      return;
    }
    this.clear();
    this.out.write(`${text}\n`);
    this.draw(true);
  }

  started(slot: number, name: string, how: string): void {
    this.running.set(slot, { name, text: how, started: Date.now() });
    this.message(`start ${name}: ${how}`);
    if (this.tty && !this.timer) {
      // The elapsed times tick even while the points print nothing (evaluation, conversion).
      this.timer = setInterval(() => this.draw(true), 1000);
      this.timer.unref();
    }
  }

  /** The point in `slot` waits for another process to let go of its folder (`why`). */
  waiting(slot: number, name: string, why: string): void {
    this.running.set(slot, { name, text: `waiting: ${why}`, started: Date.now() });
    this.message(`wait ${name}: ${why}`);
  }

  /** A line of the point's output. */
  output(slot: number, line: string): void {
    const r = this.running.get(slot);
    if (!r) return;
    r.text = line;
    if (this.tty) this.draw(false);
    else if (EPOCH_LINE.test(line)) this.out.write(`[${r.name}] ${line}\n`);
  }

  ended(slot: number, end: PointEnd, detail: string): void {
    const r = this.running.get(slot);
    this.running.delete(slot);
    if (end === 'finished') this.done++;
    if (end === 'failed') this.failed++;
    const took = r ? ` after ${formatDuration((Date.now() - r.started) / 1000)}` : '';
    this.message(`${end} ${r?.name ?? '?'}${took}${detail ? `: ${detail}` : ''}`);
  }

  /** Removes the live lines (before the final report). */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.tty) this.clear();
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private draw(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    this.clear();
    const width = Math.max(40, (this.out.columns ?? 100) - 1);
    const fit = (s: string): string => (s.length > width ? `${s.slice(0, width - 1)}…` : s);
    const finished = this.alreadyDone + this.done;
    const lines = [
      `sweep: ${finished}/${this.total} finished, ${this.running.size} running${this.failed ? `, ${this.failed} failed` : ''}`,
      ...[...this.running.values()].map((r) => `  ${r.name}  ${formatDuration((now - r.started) / 1000)}  ${r.text}`),
    ];
    this.out.write(lines.map(fit).join('\n') + '\n');
    this.drawn = lines.length;
  }
}
