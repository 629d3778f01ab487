// PyTorch as a contender: one per thread count, like ours, each case set up in the harness process
// and each run timed there (so the pipe between the processes is not counted), alternated with ours
// by the same rounds as the tfjs contenders (timing.ts).
import { BenchOptions } from '../options';
import { DenseShape, NetworkShape, WindowShape } from '../shapes';
import { Contender, OpName, Unsupported, Workload } from '../types';
import { HarnessError, OnednnTrace, TorchHarness } from './harness';

/** A case as the harness builds it (torch_bench.py's case_work): the shapes in full. */
export type TorchCaseSpec =
  | { op: OpName; batch: number; shape: WindowShape | DenseShape }
  | { op: OpName; sizes: number[] }
  | { op: OpName; shape: WindowShape; radii: number[] }
  | { op: OpName; batch: number; net: NetworkShape; local: boolean };

const PROP_KIND: Record<string, string> = {
  forward_training: 'fwd',
  forward_inference: 'fwd',
  backward_data: 'bwd data',
  backward_weights: 'bwd weights',
  backward: 'bwd',
};

/**
 * What ran in a traced run, for the row's note: "oneDNN convolution fwd (jit:avx512_core)",
 * "oneDNN convolution 3 fwd, 2 bwd data, 3 bwd weights (jit:avx512_core)"; the ATen convolution
 * kernels that are not oneDNN's ("no oneDNN: aten::_slow_conv2d_forward", PyTorch's im2col + BLAS,
 * which it picks for small inputs). Empty when no convolution and no oneDNN primitive ran.
 */
export function traceNote(op: string, trace: OnednnTrace | null, conv: boolean): string {
  if (!trace) return conv ? 'oneDNN not traced' : '';
  const others = (trace.aten ?? []).filter((k) => !k.includes('mkldnn'));
  const byPrimitive = new Map<string, { kinds: Map<string, number>; impls: Set<string> }>();
  for (const p of trace.primitives) {
    const entry = byPrimitive.get(p.primitive) ?? { kinds: new Map<string, number>(), impls: new Set<string>() };
    const kind = PROP_KIND[p.prop_kind] ?? p.prop_kind;
    entry.kinds.set(kind, (entry.kinds.get(kind) ?? 0) + p.count);
    entry.impls.add(p.impl);
    byPrimitive.set(p.primitive, entry);
  }
  const parts = [...byPrimitive.entries()].map(([primitive, { kinds, impls }]) => {
    const counts = [...kinds.entries()].map(([k, n]) => (n > 1 ? `${n} ${k}` : k)).join(', ');
    return `${primitive} ${counts} (${[...impls].join(', ')})`;
  });
  if (parts.length > 0) return `oneDNN ${parts.join('; ')}${others.length > 0 ? `; not oneDNN: ${others.join(', ')}` : ''}`;
  if (others.length > 0) return `no oneDNN: ${others.join(', ')}`;
  return conv ? `no oneDNN convolution ran (${op})` : '';
}

let nextKey = 1;

async function torchWorkload(harness: TorchHarness, spec: TorchCaseSpec, threads: number): Promise<Workload> {
  const key = `c${nextKey++}`;
  let trace: OnednnTrace | null;
  try {
    const reply = await harness.request({ cmd: 'create', key, threads, case: spec });
    trace = (reply.trace as OnednnTrace | null) ?? null;
  } catch (error) {
    if (error instanceof HarnessError && error.unsupported) throw new Unsupported(error.message);
    throw error;
  }
  const conv = spec.op.startsWith('conv_') || ('net' in spec && !spec.local);
  return {
    note: traceNote(spec.op, trace, conv) || undefined,
    run: async () => (await harness.request({ cmd: 'run', key, threads })).ms as number,
    dispose: () => harness.send({ cmd: 'free', key }),
  };
}

export function torchContenders(options: BenchOptions, harness: TorchHarness | null, spec: TorchCaseSpec): Contender[] {
  if (!harness) return [];
  return options.threads.map((threads) => ({
    impl: 'torch' as const,
    device: 'cpu',
    threads,
    layout: 'NCHW' as const,
    activate: async () => undefined,
    create: () => torchWorkload(harness, spec, threads),
  }));
}
