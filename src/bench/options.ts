// The bench command's options, parsed and checked into one plain object.
import { OPS, OpName } from './types';
import { TfBackend } from './tfjs/load';

export interface BenchOptions {
  ops: OpName[];
  /** Shape filters: exact names ('cifar.conv2') or prefixes ('cifar', 'mnist.conv'); empty = all. */
  shapes: string[];
  batches: number[];
  repeats: number;
  warmup: number;
  /** 'cpu' or a CUDA device name. */
  device: string;
  /** CPU thread counts to time ours at (each in the same alternation). */
  threads: number[];
  /** tfjs backends to time against ([] = none). */
  baselines: TfBackend[];
  /** Run tfjs-cpu cases that would take longer than the per-run budget. */
  slowBaselines: boolean;
  /** Also time PyTorch on the CPU, at the same thread counts (src/bench/torch/). */
  torch: boolean;
  json: boolean;
}

/** Raw option values as commander hands them over. */
export interface RawBenchOptions {
  op?: string;
  shape?: string;
  batch?: string;
  repeats?: string;
  warmup?: string;
  device?: string;
  threads?: string;
  baselines?: boolean;
  tfjs?: string;
  slowBaselines?: boolean;
  torch?: boolean;
  json?: boolean;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function integers(value: string | undefined, what: string, min: number, max: number): number[] {
  return list(value).map((s) => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < min || n > max) throw new RangeError(`bench: ${what} must be integers in [${min}, ${max}], got '${s}'`);
    return n;
  });
}

function integer(value: string | undefined, fallback: number, what: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = integers(value, what, min, max);
  if (parsed.length !== 1) throw new RangeError(`bench: ${what} must be one integer, got '${value}'`);
  return parsed[0];
}

/** Ops named exactly, or by a prefix before '_' ('conv' → conv_forward, conv_backward_input, …). */
export function selectOps(filters: readonly string[]): OpName[] {
  if (filters.length === 0) return [...OPS];
  const chosen = new Set<OpName>();
  for (const f of filters) {
    const hits = OPS.filter((op) => op === f || op.startsWith(`${f}_`));
    if (hits.length === 0) throw new RangeError(`bench: unknown op '${f}'; ops are ${OPS.join(', ')}`);
    hits.forEach((op) => chosen.add(op));
  }
  return OPS.filter((op) => chosen.has(op));
}

/** Whether a shape name passes the filters (each an exact name or a prefix of names). */
export function shapeMatches(name: string, filters: readonly string[]): boolean {
  return filters.length === 0 || filters.some((f) => name === f || name.startsWith(f));
}

export function parseBenchOptions(raw: RawBenchOptions, defaultThreads: number): BenchOptions {
  const device = raw.device ?? 'cpu';
  if (!/^(cpu|cuda|cuda:\d{1,3})$/.test(device)) throw new RangeError(`bench: --device must be cpu, cuda or cuda:N, got '${device}'`);
  const batches = raw.batch === undefined ? [1, 32, 128] : integers(raw.batch, '--batch values', 1, 65536);
  if (batches.length === 0) throw new RangeError('bench: --batch needs at least one batch size');
  const threads = raw.threads === undefined ? [defaultThreads] : integers(raw.threads, '--threads values', 1, 1024);
  if (threads.length === 0) throw new RangeError('bench: --threads needs at least one thread count');
  const backends = list(raw.tfjs ?? 'wasm,cpu');
  for (const b of backends) {
    if (b !== 'cpu' && b !== 'wasm') throw new RangeError(`bench: --tfjs backends are cpu and wasm, got '${b}'`);
  }
  if (raw.torch && device !== 'cpu') {
    throw new RangeError(`bench: --torch times PyTorch on the CPU, not on ${device} (on a GPU, bench/gpu/run.sh runs bench/gpu/torch_bench.py)`);
  }
  return {
    ops: selectOps(list(raw.op)),
    shapes: list(raw.shape),
    batches: [...new Set(batches)],
    repeats: integer(raw.repeats, 10, '--repeats', 1, 100000),
    warmup: integer(raw.warmup, 2, '--warmup', 0, 1000),
    device,
    threads: [...new Set(threads)],
    baselines: raw.baselines === false ? [] : ([...new Set(backends)] as TfBackend[]),
    slowBaselines: raw.slowBaselines ?? false,
    torch: raw.torch ?? false,
    json: raw.json ?? false,
  };
}
