// The figure worker: a thread that renders a run's figures (Vega → SVG → PNG, about a second of CPU
// an epoch at 100 epochs) so that the thread driving the training loop never does. figureUpdates.ts
// starts it and sends it jobs; it renders them one at a time, in the order they came, through one
// FigureRenderer (compiled views kept from one epoch to the next), and answers each when its files
// are on disk.
import { parentPort } from 'worker_threads';
import { writeFigures } from './figures';
import { EpochRecord } from './records';
import { FigureRenderer } from './vega';

/** A rebuild: every figure of `records`, into `<runDir>/figures/`. */
export interface FigureJob {
  id: number;
  runDir: string;
  records: EpochRecord[];
  png: boolean;
}

/** A rebuild done: what it warned about, and why it failed (null: the figures are written). */
export interface FigureJobDone {
  id: number;
  warnings: string[];
  error: string | null;
}

async function render(job: FigureJob, renderer: FigureRenderer): Promise<FigureJobDone> {
  const warnings: string[] = [];
  try {
    await writeFigures(job.runDir, job.records, { png: job.png, renderer, warn: (m) => warnings.push(m) });
    return { id: job.id, warnings, error: null };
  } catch (error) {
    return { id: job.id, warnings, error: (error as Error).message };
  }
}

// Only as a worker (a plain require, for the types, does nothing).
const port = parentPort;
if (port) {
  const renderer = new FigureRenderer();
  let queue = Promise.resolve();
  port.on('message', (job: FigureJob) => {
    queue = queue.then(async () => port.postMessage(await render(job, renderer)));
  });
}
