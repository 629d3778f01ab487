// A run and its terminal: progress on stderr (on a terminal, a bar per epoch with ETA and running
// loss, redrawn in place by cli-progress; otherwise one plain line per epoch), and the stop it
// listens for (a long synchronous epoch of native calls gives the event loop a turn now and then,
// so that a SIGINT handler can run, and stops there when asked to).
import { SingleBar } from 'cli-progress';
import type { ModelName } from '../report';
import { terminalBar } from '../util/terminalBar';
import type { TerminalStream } from '../util/terminalStream';

/** A writable stream that may be a terminal. */
export type ProgressStream = TerminalStream;

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

const FORMATS = {
  default: '{label} [{bar}] {percentage}% {value}/{total} ETA {remaining}{loss}',
  evaluating: '{label} evaluating (train {trained})',
};

/**
 * A bar (cli-progress) redrawn in place at most every `intervalMs`, with ETA and running loss; the
 * running loss is read at most every `lossIntervalMs`.
 */
export class BarProgress implements Progress {
  private bar: SingleBar | null = null;
  /** What the bar shows now, to draw it again after a line of text. */
  private shown: { value: number; payload: Record<string, string> } | null = null;
  private label = '';
  private total = 0;
  private start = 0;
  private lastDraw = 0;
  private lastLossRead = 0;
  private loss = NaN;

  constructor(
    private readonly out: ProgressStream,
    private readonly intervalMs = 100,
    private readonly lossIntervalMs = 1000,
  ) {}

  /** Stops the bar, clearing its line. */
  private clear(): void {
    this.bar?.stop();
    this.bar = null;
  }

  /** Draws the bar at `value` with `payload` over what it showed (starting it when it is not on screen). */
  private draw(value: number, payload: Record<string, string>): void {
    const base = this.shown?.payload ?? { label: this.label, remaining: '--:--', loss: '', trained: '', format: 'default' };
    this.shown = { value, payload: { ...base, ...payload } };
    if (this.bar) {
      this.bar.update(value, payload);
      this.bar.render();
      return;
    }
    const barsize = Math.max(10, Math.min(30, (this.out.columns ?? 80) - 70));
    this.bar = terminalBar(this.out, { formats: FORMATS, barsize, clearOnComplete: true });
    this.bar.start(this.total, value, this.shown.payload); // draws it
  }

  line(text: string): void {
    const wasDrawn = this.bar !== null;
    this.clear();
    this.out.write(`${text}\n`);
    if (wasDrawn && this.shown) this.draw(this.shown.value, this.shown.payload);
  }

  epochStart(label: string, batches: number): void {
    this.clear();
    this.shown = null;
    this.label = label;
    this.total = batches;
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
    const remaining = formatDuration(done > 0 ? (elapsed / done) * (total - done) : NaN);
    const loss = Number.isNaN(this.loss) ? '' : ` loss ${this.loss.toFixed(4)}`;
    this.total = total;
    this.draw(done, { remaining, loss, format: 'default' });
  }

  evaluating(): void {
    this.draw(this.total, { trained: formatDuration((Date.now() - this.start) / 1000), format: 'evaluating' });
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

/** The line a run that stopped before its end leaves: where its last checkpoint is, and how to resume it. */
export function stoppedLine(status: 'interrupted' | 'stopped', epoch: number, checkpoints: string, dir: string): string {
  const where = epoch > 0 ? `the checkpoint of epoch ${epoch} is in ${checkpoints}` : 'no epoch was completed yet';
  return `${status}: ${where}. Resume with: npx wsr-native train --resume ${dir}`;
}

/** A model's loss became NaN or infinite: the run stops and keeps the last good checkpoint. */
export class NonFiniteLossError extends Error {
  /** The last completed epoch, whose checkpoint is kept (0: none); set by the run. */
  lastGoodEpoch = 0;

  constructor(
    readonly model: ModelName,
    readonly epoch: number,
    readonly what: string,
    readonly value: number,
  ) {
    super(`${model} epoch ${epoch}: ${what} is ${value}; training diverged`);
    this.name = 'NonFiniteLossError';
  }
}

// ---- stopping a run between batches -------------------------------------------------------------

/** Thrown at a yield point after a stop was requested (SIGINT): the epoch in progress is abandoned. */
export class RunInterrupted extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'RunInterrupted';
  }
}

/** A stop request shared by the run and its signal handler. */
export class StopRequest {
  private why: string | null = null;
  /** Asks the run to stop at its next yield point. */
  request(reason: string): void {
    this.why ??= reason;
  }
  /** Whether a stop was requested. */
  get requested(): boolean {
    return this.why !== null;
  }
  /** Why, or null. */
  get reason(): string | null {
    return this.why;
  }
}

/** Yields to the event loop at most every `intervalMs`, then throws {@link RunInterrupted} if a stop was requested. */
export class YieldPoint {
  private last = Date.now();

  constructor(
    private readonly stop: StopRequest,
    private readonly intervalMs = 50,
  ) {}

  /** Yields when the interval has passed; throws RunInterrupted when a stop is pending. */
  async maybeYield(): Promise<void> {
    const now = Date.now();
    if (now - this.last >= this.intervalMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.last = Date.now();
    }
    if (this.stop.requested) throw new RunInterrupted(this.stop.reason ?? 'interrupted');
  }
}
