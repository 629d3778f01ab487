// The vocabulary of the benchmark: ops, implementations, workloads and result rows.

export const OPS = [
  'conv_forward',
  'conv_backward_input',
  'conv_backward_weight',
  'lc_forward',
  'lc_backward_input',
  'lc_backward_weight',
  'dense_forward',
  'dense_backward',
  'adam_update',
  'sgd_update',
  'distances',
  'train_step',
  'eval_step',
] as const;

export type OpName = (typeof OPS)[number];

/** Ours, the TensorFlow.js backends, and PyTorch on the CPU (`--torch`, src/bench/torch/). */
export type ImplName = 'wsr-native' | 'tfjs-cpu' | 'tfjs-wasm' | 'torch';

/**
 * One piece of work set up and ready: `run()` does it once and has finished when it returns. A
 * workload in another process (PyTorch) times its run there and resolves with the ms it took,
 * which then stands for the run instead of the wall time around the call.
 */
export interface Workload {
  run(): void | Promise<number>;
  dispose(): void;
  /** A remark for the row (which library ran it, say). */
  note?: string;
}

/** Thrown by a contender that cannot do a case (a kernel missing from a backend, say). */
export class Unsupported extends Error {}

/** One implementation of a case. */
export interface Contender {
  impl: ImplName;
  /** Where it runs: 'cpu' or 'cuda:N' (the tfjs backends and PyTorch run on the CPU). */
  device: string;
  /** CPU threads it uses; null on a GPU. */
  threads: number | null;
  /** Activation layout it is timed in. */
  layout: 'NCHW' | 'NHWC' | null;
  /** Makes this contender current (thread count, tfjs backend) before each timed run; not timed. */
  activate(): Promise<void>;
  /** Allocates inputs and outputs on the contender's side; throws {@link Unsupported} when it cannot. */
  create(): Workload | Promise<Workload>;
  /** At most this many timed runs, and stop once this many ms have been spent (slow baselines). */
  maxRepeats?: number;
  maxTotalMs?: number;
  /** At most this many warm-up runs (a run of seconds needs none). */
  maxWarmup?: number;
  /** Not run at all, and why (shown in the output). */
  skip?: string;
}

/** One op on one shape at one batch size, with every implementation to time against each other. */
export interface BenchCase {
  op: OpName;
  /** e.g. 'cifar.conv2', 'cifar.cnn'. */
  shape: string;
  /** null for batch-independent ops (optimizer updates, distances). */
  batch: number | null;
  /** See flops.ts. */
  flops: number;
  contenders: Contender[];
}

/** One line of output (`--json` prints an array of these). */
export interface ResultRow {
  op: OpName;
  shape: string;
  batch: number | null;
  impl: ImplName;
  device: string;
  threads: number | null;
  layout: 'NCHW' | 'NHWC' | null;
  /** Median wall time of one run, ms; null when it was not run (see note). */
  ms: number | null;
  gflops: number | null;
  /** Timed runs behind the median. */
  repeats: number;
  note?: string;
}
