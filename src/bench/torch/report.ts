// What a `bench --torch` report says besides the rows: which torch and which BLAS ran (warning when
// it is the reference BLAS), the evidence that oneDNN ran the convolutions, the load average before
// and after, and the machine's sgemm ceiling measured in the same run (2048³ and each layer's own
// GEMM shape) next to ours and torch's rates.
import { BenchCase, OpName, ResultRow } from '../types';
import { SgemmRow, SgemmShape, TorchInfo } from './harness';

/** A GEMM shape to time, and the cases whose arithmetic it is. */
export interface GemmShape extends SgemmShape {
  cases: { op: OpName; shape: string; batch: number | null }[];
}

export interface TorchReport {
  info: TorchInfo;
  /** The thread counts torch ran at (those of --threads). */
  threads: number[];
  /** sgemm at each thread count: 2048³ first, then each layer's shapes. */
  sgemm: (SgemmRow & { threads: number; cases: GemmShape['cases'] })[];
  /** os.loadavg() (1, 5, 15 min) before the first case and after the last. */
  loadBefore: number[];
  loadAfter: number[] | null;
  cores: number;
  started: string;
  finished: string | null;
}

export const SGEMM_SIZE = 2048;

const WINDOW_PASSES = ['forward', 'backward_input', 'backward_weight'] as const;

/**
 * 2048³, then the GEMM of each selected layer pass, deduplicated: a conv pass as one GEMM
 * (P = OH·OW, CKK = C·KH·KW: forward [K × CKK]·[CKK × N·P], input gradient [CKK × K]·[K × N·P],
 * weight gradient [K × N·P]·[N·P × CKK]), which is also the arithmetic of its LC twin's pass; dense
 * forward [N × I]·[I × O], backward dx [N × O]·[O × I] and dw [O × N]·[N × I].
 */
export function gemmShapes(cases: readonly BenchCase[], windows: ReadonlyMap<string, { c: number; k: number; kh: number; kw: number; oh: number; ow: number }>, dense: ReadonlyMap<string, { inputs: number; outputs: number }>): GemmShape[] {
  const shapes: GemmShape[] = [{ label: `${SGEMM_SIZE}³`, m: SGEMM_SIZE, n: SGEMM_SIZE, k: SGEMM_SIZE, cases: [] }];
  const byLabel = new Map<string, GemmShape>();
  const add = (label: string, m: number, n: number, k: number, c: BenchCase) => {
    let g = byLabel.get(label);
    if (!g) {
      g = { label, m, n, k, cases: [] };
      byLabel.set(label, g);
      shapes.push(g);
    }
    g.cases.push({ op: c.op, shape: c.shape, batch: c.batch });
  };
  for (const c of cases) {
    if (c.batch === null) continue;
    const pass = WINDOW_PASSES.find((p) => c.op === `conv_${p}` || c.op === `lc_${p}`);
    const w = windows.get(c.shape);
    if (pass && w) {
      const np = c.batch * w.oh * w.ow;
      const ckk = w.c * w.kh * w.kw;
      const label = `${c.shape} ${pass} b${c.batch}`;
      if (pass === 'forward') add(label, w.k, np, ckk, c);
      else if (pass === 'backward_input') add(label, ckk, np, w.k, c);
      else add(label, w.k, ckk, np, c);
      continue;
    }
    const d = dense.get(c.shape);
    if (d && c.op === 'dense_forward') add(`${c.shape} forward b${c.batch}`, c.batch, d.outputs, d.inputs, c);
    if (d && c.op === 'dense_backward') {
      add(`${c.shape} backward dx b${c.batch}`, c.batch, d.inputs, d.outputs, c);
      add(`${c.shape} backward dw b${c.batch}`, d.outputs, d.inputs, c.batch, c);
    }
  }
  return shapes;
}

const loads = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');

/** The warnings of a report: the reference BLAS, no oneDNN convolution, a busy machine. */
export function torchWarnings(r: Pick<TorchReport, 'info' | 'loadBefore' | 'cores'>): string[] {
  const out: string[] = [];
  const blas = r.info.blas;
  if (blas?.reference) {
    out.push(
      `WARNING: torch runs on the reference BLAS (${blas.sgemm_from ?? blas.libraries.join(', ')}), many times slower than a ` +
        'tuned one (Debian\'s torch dense layer: about 260 ms instead of 7): its dense, LC and sgemm numbers are not a yardstick. ' +
        'Install libopenblas0-pthread (apt-get install libopenblas0-pthread), which takes over libblas.so.3.',
    );
  } else if (!blas || blas.kind.startsWith('unknown')) {
    out.push(`WARNING: which BLAS torch runs on is unknown (${blas ? `libraries: ${blas.libraries.join(', ') || 'none mapped'}` : 'not inspected'}).`);
  }
  const o = r.info.onednn;
  if (!r.info.mkldnn_enabled) out.push('WARNING: this torch has no oneDNN (torch.backends.mkldnn unavailable): its convolutions run on its slower fallbacks.');
  else if (o.traced && !o.convolution_line) out.push('WARNING: oneDNN ran no convolution in the traced conv2d: PyTorch\'s convolutions did not run on oneDNN here.');
  if (r.loadBefore[0] >= r.cores / 2) {
    out.push(
      `WARNING: the machine was busy before the run (1-minute load ${r.loadBefore[0].toFixed(2)} on ${r.cores} cores): ` +
        "PyTorch's OpenMP threads slow down far more than ours when the cores are shared, so the ratios against torch are not its best; measure on a quiet machine.",
    );
  }
  return out;
}

/** The lines before the table: torch, BLAS, oneDNN, threads, the LC construction, the load average. */
export function torchHeader(r: TorchReport): string {
  const i = r.info;
  const lines: string[] = [];
  lines.push(
    `PyTorch contender (--torch): torch ${i.torch} in ${i.python} (Python ${i.python_version}); CPU capability ${i.cpu_capability ?? '?'}, ` +
      `ATen parallel backend ${i.parallel_backend ?? '?'}.`,
  );
  const blas = i.blas;
  const build = /BLAS_INFO=(\w+)/.exec(i.config)?.[1];
  if (blas) {
    const what = blas.reference ? 'the reference (netlib) BLAS' : blas.kind;
    const detail = blas.config ? ` (${blas.config})` : '';
    const from = blas.sgemm_from
      ? `torch's sgemm_ is ${blas.sgemm_from}`
      : `torch's sgemm_ not found by name; BLAS libraries mapped: ${blas.libraries.join(', ') || 'none'}`;
    lines.push(`BLAS: ${what}${detail}: ${from}${build ? ` (torch built with BLAS_INFO=${build})` : ''}.`);
  }
  const o = i.onednn;
  const about = [o.version ? `v${o.version}` : o.banner, o.runtime ? `${o.runtime} runtime` : null, o.isa ? `ISA ${o.isa}` : null]
    .filter(Boolean)
    .join(', ');
  if (!i.mkldnn_enabled) lines.push('oneDNN: not available in this torch.');
  else if (!o.traced) lines.push(`oneDNN: ${about || 'present'}; not traced (this torch has no torch.backends.mkldnn.verbose).`);
  else {
    lines.push(
      `oneDNN: ${about}; its own trace (verbose mode, as ONEDNN_VERBOSE=1 prints it) of a conv2d: ${o.convolution_line ?? 'no convolution executed'}. ` +
        "Each torch row's note says which oneDNN primitives ran in a traced run of that case.",
    );
  }
  const openblas = i.blas?.kind.startsWith('OpenBLAS') ? " and OpenBLAS's own thread pool (which torch's setting does not reach)" : '';
  lines.push(
    `Threads: torch.set_num_threads${openblas} set to each --threads count (${r.threads.join(', ')}); ` +
      `torch's default here would be ${i.default_threads}.`,
  );
  lines.push(`LC in PyTorch: ${i.lc}; checked against conv2d with every position's kernel equal: max |difference| ${i.lc_check_max_abs_error.toExponential(1)}.`);
  lines.push(
    `Load average (1, 5, 15 min) on ${r.cores} cores: before ${loads(r.loadBefore)} (${r.started}), ` +
      `after ${r.loadAfter ? loads(r.loadAfter) : '–'} (${r.finished ?? '–'}). ` +
      "PyTorch's OpenMP threads slow down far more than ours when other work shares the cores: compare on a quiet machine.",
  );
  lines.push(...torchWarnings(r));
  return `${lines.join('\n')}\n`;
}

function align(rows: string[][], right: ReadonlySet<number>): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((l) => l[c].length)));
  return rows
    .map((l) => l.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd())
    .join('\n');
}

const rate = (x: number | null | undefined): string => (x == null ? '-' : x >= 100 ? x.toFixed(0) : x.toFixed(1));

/** The sgemm ceiling at each thread count, with ours and torch's GFLOP/s on the same arithmetic. */
export function sgemmSection(r: TorchReport, rows: readonly ResultRow[]): string {
  if (r.sgemm.length === 0) return '';
  const blas = r.info.blas?.reference ? 'the REFERENCE BLAS' : (r.info.blas?.kind ?? 'its BLAS');
  const header = ['thr', 'GEMM', 'M', 'N', 'K', 'ms', 'GFLOP/s', 'ours GFLOP/s', 'torch GFLOP/s'];
  const table: string[][] = [header];
  for (const s of r.sgemm) {
    const pick = (impl: string) =>
      s.cases
        .map((c) => {
          const hit = rows.find((x) => x.impl === impl && x.op === c.op && x.shape === c.shape && x.batch === c.batch && x.threads === s.threads);
          return hit?.gflops == null ? null : `${c.op.split('_')[0]} ${rate(hit.gflops)}`;
        })
        .filter((x): x is string => x !== null)
        .join(', ') || '-';
    table.push([String(s.threads), s.label, String(s.m), String(s.n), String(s.k), s.ms.toFixed(3), rate(s.gflops), pick('wsr-native'), pick('torch')]);
  }
  return (
    `sgemm ceiling, measured in this run: torch.mm (float32, into a preallocated output) on ${blas}, median of up to ` +
    `${Math.max(...r.sgemm.map((s) => s.repeats))} runs; each layer pass as one GEMM (conv-as-GEMM, the same arithmetic as its LC twin's pass).\n` +
    `${align(table, new Set([0, 2, 3, 4, 5, 6]))}\n`
  );
}
