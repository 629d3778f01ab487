// Times one case: every contender set up, warmed up, then timed in alternation (one untimed and
// one timed run of each per round) so that drifting machine load hits them alike; the median of
// each one's timed runs. The capped slow baselines (tfjs-cpu) alternate among themselves after the
// others are done.
import { performance } from 'perf_hooks';
import { BenchCase, Contender, ResultRow, Unsupported, Workload } from './types';

export interface TimingOptions {
  /** Timed runs per contender (before its own caps). */
  repeats: number;
  /** Untimed runs per contender first. */
  warmup: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Entry {
  contender: Contender;
  workload: Workload | null;
  times: number[];
  spent: number;
  note?: string;
}

function row(c: BenchCase, e: Entry): ResultRow {
  const ms = e.times.length > 0 ? median(e.times) : null;
  const gflops = ms !== null && ms > 0 ? c.flops / (ms * 1e6) : null;
  const k = e.contender;
  const result: ResultRow = {
    op: c.op,
    shape: c.shape,
    batch: c.batch,
    impl: k.impl,
    device: k.device,
    threads: k.threads,
    layout: k.layout,
    ms,
    gflops,
    repeats: e.times.length,
  };
  if (e.note) result.note = e.note;
  return result;
}

function wants(e: Entry, repeats: number): boolean {
  if (!e.workload) return false;
  const cap = Math.min(repeats, e.contender.maxRepeats ?? Infinity);
  if (e.times.length >= cap) return false;
  return e.times.length === 0 || e.spent < (e.contender.maxTotalMs ?? Infinity);
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

/** One timed run; a failure retires the contender with a note instead of ending the whole bench. */
async function runOnce(e: Entry): Promise<number | null> {
  try {
    await e.contender.activate();
    const start = performance.now();
    const own = (e.workload as Workload).run();
    const wall = performance.now() - start;
    // A workload in another process timed itself (the pipe to it is not part of the run).
    return own === undefined ? wall : await own;
  } catch (error) {
    e.note = `failed: ${message(error)}`;
    e.times = [];
    e.workload?.dispose();
    e.workload = null;
    return null;
  }
}

/**
 * Untimed runs after a switch of contender, for at least this long (and at least one). Long enough
 * for another process's idle threads to stop spinning: OpenBLAS's pool (under PyTorch's dense layers
 * and einsum) spins about 2^28 cycles, 80–100 ms here, after each call; timed inside that window our
 * cifar.dense1 forward took 6.8 ms instead of 3.3, and the cifar.cnn evaluation step 32 ms instead of 18.
 */
const REWARM_MS = 150;

/** Untimed runs of e for REWARM_MS; false when a run failed. */
async function rewarm(e: Entry): Promise<boolean> {
  const start = performance.now();
  do {
    if ((await runOnce(e)) === null) return false;
  } while (performance.now() - start < REWARM_MS);
  return true;
}

/**
 * Warm-up of each, then rounds of one timed run each (after untimed runs to re-warm) until
 * every one has its runs.
 */
async function alternate(group: Entry[], options: TimingOptions): Promise<void> {
  for (const e of group) {
    const warmup = Math.min(options.warmup, e.contender.maxWarmup ?? Infinity);
    for (let i = 0; i < warmup && e.workload; i++) await runOnce(e);
  }
  let last: Entry | null = null;
  while (group.some((e) => wants(e, options.repeats))) {
    for (const e of group) {
      if (!wants(e, options.repeats)) continue;
      // The first runs after another contender's are slow for everyone (measured: our cifar.fcn
      // step at batch 128 took 85–115 ms right after a tfjs-wasm step, 70 ms on the next run; our
      // cifar.conv1 forward, after 25 ms idle, 3.3 ms following one untimed run and 1.66 ms following
      // 30 ms of them; and other processes' threads may still be spinning): they run untimed, for at
      // least REWARM_MS.
      if (last !== e && group.length > 1 && !(await rewarm(e))) continue;
      last = e;
      const ms = await runOnce(e);
      if (ms === null) continue;
      e.times.push(ms);
      e.spent += ms;
    }
  }
}

/** Times every contender of `c`; returns one row per contender (unsupported or skipped ones with a note). */
export async function timeCase(c: BenchCase, options: TimingOptions): Promise<ResultRow[]> {
  const entries: Entry[] = c.contenders.map((contender) => ({ contender, workload: null, times: [], spent: 0 }));
  try {
    for (const e of entries) {
      if (e.contender.skip) {
        e.note = e.contender.skip;
        continue;
      }
      try {
        await e.contender.activate();
        e.workload = await e.contender.create();
        if (e.workload.note) e.note = e.workload.note;
      } catch (error) {
        e.note = error instanceof Unsupported ? error.message : `failed: ${message(error)}`;
      }
    }
    // Capped (slow) contenders go after the others have finished: a multi-second JavaScript run
    // leaves garbage whose collection, on background threads, would land in the fast ones' timings.
    const slow = entries.filter((e) => e.contender.maxRepeats !== undefined);
    await alternate(entries.filter((e) => !slow.includes(e)), options);
    await alternate(slow, options);
    // And a moment for their garbage before the next case.
    if (slow.some((e) => e.times.length > 0)) await new Promise((resolve) => setTimeout(resolve, 500));
    for (const e of entries) {
      const cap = e.contender.maxRepeats;
      if (e.workload && e.times.length > 0 && e.times.length < options.repeats) {
        const why = cap !== undefined && e.times.length >= cap ? `capped at ${cap} runs` : 'time cap reached';
        e.note = e.note ? `${e.note}; ${why}` : why;
      }
    }
  } finally {
    for (const e of entries) e.workload?.dispose();
  }
  return entries.map((e) => row(c, e));
}
