// Runs the bench: loads the baselines if it can, times every selected case with progress on
// stderr, and returns the rows.
import { numThreads, resolveDevice, setNumThreads } from '../device';
import { buildCases } from './cases';
import { BenchOptions } from './options';
import { timeCase } from './timing';
import { registerTfjsGradients } from './tfjs/gradients';
import { TFJS_HINT, Tfjs, loadTfjs } from './tfjs/load';
import { ResultRow } from './types';

export interface BenchIo {
  /** Progress and notices (stderr in the CLI). */
  log(line: string): void;
}

async function baselines(options: BenchOptions, io: BenchIo): Promise<Tfjs | null> {
  if (options.baselines.length === 0) return null;
  if (options.device !== 'cpu') {
    io.log(`bench: baselines skipped: the TensorFlow.js backends run on the CPU, not on ${options.device}`);
    return null;
  }
  const t = await loadTfjs();
  if (t instanceof Error) {
    io.log(`bench: baselines skipped: TensorFlow.js is not installed (${t.message.split('\n')[0]}); to get them: ${TFJS_HINT}`);
    return null;
  }
  const missing = options.baselines.filter((b) => !t.backends.includes(b));
  if (missing.length > 0) io.log(`bench: tfjs backend(s) ${missing.join(', ')} did not initialise: skipped`);
  if (options.ops.includes('train_step') && t.gradients !== true) {
    io.log('bench: loading tfjs gradients for the training-step baselines');
    try {
      await registerTfjsGradients();
      t.gradients = true;
    } catch (error) {
      t.gradients = (error as Error).message.split('\n')[0];
      io.log(`bench: tfjs gradients unavailable (${t.gradients}): no tfjs training-step baselines`);
    }
  }
  return t;
}

export async function runBench(options: BenchOptions, io: BenchIo): Promise<ResultRow[]> {
  const device = options.device === 'cpu' ? 'cpu' : resolveDevice(options.device);
  const resolved = { ...options, device };
  const t = await baselines(resolved, io);
  const cases = buildCases(resolved, t);
  if (cases.length === 0) throw new Error('bench: no case matches the --op and --shape filters');
  const threadsBefore = numThreads();
  const rows: ResultRow[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      const label = `${c.op} ${c.shape}${c.batch === null ? '' : ` batch ${c.batch}`}`;
      io.log(`bench: [${i + 1}/${cases.length}] ${label}`);
      const result = await timeCase(c, { repeats: options.repeats, warmup: options.warmup });
      const summary = result.map((r) => `${r.impl}${r.threads === null ? '' : `@${r.threads}`} ${r.ms === null ? 'n/a' : `${r.ms.toFixed(2)} ms`}`);
      io.log(`bench:   ${summary.join(', ')}`);
      rows.push(...result);
    }
  } finally {
    if (numThreads() !== threadsBefore) setNumThreads(threadsBefore);
  }
  return rows;
}
