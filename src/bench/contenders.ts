// The contenders of a case: ours at each thread count (or on the GPU), and the tfjs backends,
// with the caps that keep tfjs-backend-cpu's multi-second runs bearable.
import { setNumThreads, numThreads } from '../device';
import { BenchOptions } from './options';
import { Tfjs, TfBackend, useBackend } from './tfjs/load';
import { Contender, OpName, Workload } from './types';

/**
 * Rough tfjs-backend-cpu 4.22 throughput on the 2-core development machine (GFLOP/s by the
 * counts of flops.ts), per op, measured at batch 1 and 32: only to predict which cases would take
 * too long.
 */
const TFJS_CPU_GFLOPS: Record<OpName, number> = {
  conv_forward: 0.7,
  conv_backward_input: 0.3,
  conv_backward_weight: 0.006,
  lc_forward: 0.08,
  lc_backward_input: 0.1,
  lc_backward_weight: 0.03,
  dense_forward: 0.3,
  dense_backward: 0.24,
  adam_update: 0.02,
  sgd_update: 0.015,
  distances: 0.0035,
  train_step: 0.01,
  eval_step: 0.1,
};

/** tfjs-cpu cases predicted to take longer than this per run are skipped unless --slow-baselines. */
export const TFJS_CPU_RUN_BUDGET_MS = 3000;
/** tfjs-cpu: at most this many timed runs, and no new run after this much time. */
export const TFJS_CPU_MAX_REPEATS = 3;
export const TFJS_CPU_MAX_TOTAL_MS = 10000;

export function estimateTfjsCpuMs(op: OpName, flops: number): number {
  return flops / (TFJS_CPU_GFLOPS[op] * 1e6);
}

/** Factory of one side's workload for a case; throws Unsupported when that side cannot do it. */
export type OursFactory = (device: string) => Workload;
export type TfjsFactory = (t: Tfjs, backend: TfBackend) => Workload;

export function oursContenders(options: BenchOptions, make: OursFactory): Contender[] {
  if (options.device !== 'cpu') {
    return [
      {
        impl: 'wsr-native',
        device: options.device,
        threads: null,
        layout: 'NCHW',
        activate: async () => undefined,
        create: () => make(options.device),
      },
    ];
  }
  return options.threads.map((threads) => ({
    impl: 'wsr-native' as const,
    device: 'cpu',
    threads,
    layout: 'NCHW' as const,
    activate: async () => {
      if (numThreads() !== threads) setNumThreads(threads);
    },
    create: () => make('cpu'),
  }));
}

export function tfjsContenders(
  options: BenchOptions,
  t: Tfjs | null,
  op: OpName,
  flops: number,
  make: TfjsFactory,
): Contender[] {
  if (!t) return [];
  return options.baselines
    .filter((b) => t.backends.includes(b))
    .map((backend) => {
      const c: Contender = {
        impl: backend === 'cpu' ? 'tfjs-cpu' : 'tfjs-wasm',
        device: 'cpu',
        threads: backend === 'cpu' ? 1 : t.wasmThreads,
        layout: 'NHWC',
        activate: () => useBackend(t, backend),
        create: () => make(t, backend),
      };
      if (backend === 'cpu') {
        const estimate = estimateTfjsCpuMs(op, flops);
        c.maxRepeats = TFJS_CPU_MAX_REPEATS;
        c.maxTotalMs = TFJS_CPU_MAX_TOTAL_MS;
        if (estimate > 1000) c.maxWarmup = 0;
        if (estimate > TFJS_CPU_RUN_BUDGET_MS && !options.slowBaselines) {
          c.skip = `skipped: about ${(estimate / 1000).toFixed(0)} s a run (--slow-baselines runs it)`;
        }
      }
      return c;
    });
}
