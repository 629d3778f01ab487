// Progress on stderr: on a terminal, a bar per epoch with ETA and running loss, redrawn in place;
// otherwise one plain line per epoch.

/** A writable stream that may be a terminal. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What the training loop tells about its progress. */
export interface Progress {
  /** A line of its own (phase changes, the conversion check, warnings). */
  line(text: string): void;
  /** An epoch of `label` (e.g. 'epoch 12/100 cnn') starts, with `batches` training batches. */
  epochStart(label: string, batches: number): void;
  /** `done` of `total` batches are done; `runningLoss` reads the running mean loss (a device read: call it sparingly). */
  batch(done: number, total: number, runningLoss: () => number): void;
  /** The evaluation passes of the epoch started. */
  evaluating(): void;
  /** The epoch ended; `summary` is its one-line result. */
  epochEnd(summary: string): void;
}

/** Seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Plain lines, one per epoch (a log file, a pipe, CI). */
export class LineProgress implements Progress {
  constructor(private readonly out: ProgressStream) {}
  line(text: string): void {
    this.out.write(`${text}\n`);
  }
  epochStart(): void {}
  batch(): void {}
  evaluating(): void {}
  epochEnd(summary: string): void {
    this.out.write(`${summary}\n`);
  }
}

/** A bar redrawn in place at most every `intervalMs`; the running loss is read at most every `lossIntervalMs`. */
export class BarProgress implements Progress {
  private label = '';
  private start = 0;
  private lastDraw = 0;
  private lastLossRead = 0;
  private loss = NaN;
  private drawn = false;

  constructor(
    private readonly out: ProgressStream,
    private readonly intervalMs = 100,
    private readonly lossIntervalMs = 1000,
  ) {}

  private clear(): void {
    if (this.drawn) this.out.write('\r\x1b[K');
    this.drawn = false;
  }

  line(text: string): void {
    this.clear();
    this.out.write(`${text}\n`);
  }

  epochStart(label: string, _batches: number): void {
    this.label = label;
    this.start = Date.now();
    this.lastDraw = 0;
    this.lastLossRead = this.start;
    this.loss = NaN;
  }

  batch(done: number, total: number, runningLoss: () => number): void {
    const now = Date.now();
    if (done < total && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    if (now - this.lastLossRead >= this.lossIntervalMs || done === total) {
      this.loss = runningLoss();
      this.lastLossRead = now;
    }
    const elapsed = (now - this.start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
    const width = Math.max(10, Math.min(30, (this.out.columns ?? 80) - 70));
    const filled = Math.round((width * done) / total);
    const bar = '='.repeat(filled) + (filled < width ? '>' + ' '.repeat(width - filled - 1) : '');
    const pct = String(Math.floor((100 * done) / total)).padStart(3);
    const loss = Number.isNaN(this.loss) ? '' : ` loss ${this.loss.toFixed(4)}`;
    this.out.write(`\r${this.label} [${bar}] ${pct}% ${done}/${total} ETA ${formatDuration(eta)}${loss}\x1b[K`);
    this.drawn = true;
  }

  evaluating(): void {
    this.out.write(`\r${this.label} evaluating (train ${formatDuration((Date.now() - this.start) / 1000)})\x1b[K`);
    this.drawn = true;
  }

  epochEnd(summary: string): void {
    this.clear();
    this.out.write(`${summary}\n`);
  }
}

/** A bar on a terminal, plain lines otherwise. */
export function progressFor(out: ProgressStream): Progress {
  return out.isTTY ? new BarProgress(out) : new LineProgress(out);
}
