// Figures rebuilt in the background while a run trains. Rendering takes about a second of CPU an
// epoch, so it runs on a worker thread (figureWorker.ts), never on the thread that drives the
// training loop; the training loop neither waits for it nor can be stopped by it. One rebuild of a
// run is under way at a time (so an older render never overwrites a newer one); updates that arrive
// meanwhile collapse into one, from the latest records.
import path from 'path';
import { Worker } from 'worker_threads';
import { testKillPoint, waitForWrite } from '../util/testHooks';
import { TS_REQUIRE_HOOK } from '../util/tsRequireHook';
import type { FigureJob, FigureJobDone } from './figureWorker';
import { EpochRecord } from './records';

/** How long an idle worker is kept (its compiled figures with it) before it is ended. */
const IDLE_MS = 60_000;

/**
 * The worker thread, started on the first rebuild. It is unref'd whenever no rebuild is pending,
 * so it never keeps a finished process alive, and ended after a minute without work.
 */
class FigureWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, (done: FigureJobDone) => void>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;

  /** Renders a job; resolves when its files are written or it failed (never rejects). */
  render(job: Omit<FigureJob, 'id'>): Promise<FigureJobDone> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      try {
        const worker = this.running();
        this.pending.set(id, resolve);
        worker.ref();
        worker.postMessage({ ...job, id } satisfies FigureJob);
        // The chaos test's kill during rendering: once the worker wrote a file of this rebuild.
        testKillPoint('figure-render', () => waitForWrite(path.join(job.runDir, 'figures'), Date.now() - 1));
      } catch (error) {
        this.settle(id);
        resolve({ id, warnings: [], error: `the figure worker failed: ${(error as Error).message}` });
      }
    });
  }

  private running(): Worker {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.worker) return this.worker;
    const worker = startWorker();
    worker.on('message', (done: FigureJobDone) => this.settle(done.id)?.(done));
    worker.on('error', (error) => this.lost(worker, `the figure worker failed: ${error.message}`));
    worker.on('exit', (code) => this.lost(worker, `the figure worker exited (code ${code})`));
    worker.unref(); // after the listeners: adding a 'message' listener refs the worker again
    this.worker = worker;
    return worker;
  }

  /** Forgets job `id` and returns its resolver; with nothing left pending, lets the process exit and ends the worker later. */
  private settle(id: number): ((done: FigureJobDone) => void) | undefined {
    const resolve = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0 && this.worker) {
      this.worker.unref();
      const worker = this.worker;
      this.idleTimer ??= setTimeout(() => this.end(worker), IDLE_MS).unref();
    }
    return resolve;
  }

  private end(worker: Worker): void {
    if (this.worker !== worker || this.pending.size > 0) return;
    this.worker = null;
    this.idleTimer = null;
    void worker.terminate();
  }

  /** The worker died: every job it had fails, and the next rebuild starts a new one. */
  private lost(worker: Worker, reason: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    const jobs = [...this.pending];
    this.pending.clear();
    for (const [id, resolve] of jobs) resolve({ id, warnings: [], error: reason });
  }
}

/**
 * Starts the worker from the compiled package (dist/report/figureWorker.js) or, where this module
 * runs from the TypeScript sources (jest, the tests' child processes, bench scripts), from
 * figureWorker.ts: a worker thread shares no require hook with its parent, so it installs the same
 * transpiling hook first.
 */
function startWorker(): Worker {
  if (path.extname(__filename) !== '.ts') return new Worker(path.join(__dirname, 'figureWorker.js'));
  const entry = path.join(__dirname, 'figureWorker.ts');
  const boot = `((require) => {${TS_REQUIRE_HOOK}})(require('module').createRequire(${JSON.stringify(entry)}));
require(${JSON.stringify(entry)});`;
  return new Worker(boot, { eval: true });
}

let shared: FigureWorker | null = null;

/** Rebuilds a run's figures from the records it is given, one rebuild at a time, on the process's figure worker. */
export class FigureUpdates {
  private waiting: EpochRecord[] | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly runDir: string,
    private readonly options: { png?: boolean; warn: (message: string) => void },
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
    shared ??= new FigureWorker();
    while (this.waiting !== null) {
      const records = this.waiting;
      this.waiting = null;
      const done = await shared.render({ runDir: path.resolve(this.runDir), records, png: this.options.png !== false });
      for (const warning of done.warnings) this.options.warn(warning);
      if (done.error !== null) this.options.warn(`figures not updated: ${done.error}`);
    }
    this.running = null;
  }
}
