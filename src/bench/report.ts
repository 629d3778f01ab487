// Output of the bench: a table for people (ms, GFLOP/s, our speed-up over each baseline) or the
// rows as JSON.
import { TFJS_CPU_MAX_REPEATS, TFJS_CPU_MAX_TOTAL_MS, TFJS_CPU_RUN_BUDGET_MS } from './contenders';
import { ImplName, ResultRow } from './types';

const TFJS_BASELINES: ImplName[] = ['tfjs-wasm', 'tfjs-cpu'];

/** The columns' names: 'vs wasm', 'vs cpu', 'vs torch'. */
const label = (b: ImplName): string => b.replace(/^tfjs-/, '');

function fixed(value: number | null, digits: number): string {
  if (value === null || !Number.isFinite(value)) return '-';
  if (value >= 1000) return value.toFixed(0);
  if (value >= 100) return value.toFixed(Math.min(digits, 1));
  return value.toFixed(digits);
}

function caseKey(r: ResultRow): string {
  return `${r.op}|${r.shape}|${r.batch}`;
}

/** Baseline time over ours (how many times faster ours is), or null. */
export function speedup(ours: ResultRow, baseline: ResultRow | undefined): number | null {
  if (!baseline || ours.ms === null || baseline.ms === null || ours.ms <= 0) return null;
  return baseline.ms / ours.ms;
}

/** The tfjs columns always; 'vs torch' when there are torch rows (compared at the same thread count). */
export function formatTable(rows: readonly ResultRow[]): string {
  const BASELINES: ImplName[] = rows.some((r) => r.impl === 'torch') ? [...TFJS_BASELINES, 'torch'] : TFJS_BASELINES;
  const header = ['op', 'shape', 'batch', 'impl', 'thr', 'layout', 'ms', 'GFLOP/s', ...BASELINES.map((b) => `vs ${label(b)}`), 'note'];
  const lines: string[][] = [header];
  const byCase = new Map<string, ResultRow[]>();
  for (const r of rows) byCase.set(caseKey(r), [...(byCase.get(caseKey(r)) ?? []), r]);
  for (const group of byCase.values()) {
    group.forEach((r, i) => {
      const ratios = BASELINES.map((b) => {
        if (r.impl !== 'wsr-native') return '';
        const s = speedup(r, group.find((g) => g.impl === b && (b !== 'torch' || g.threads === r.threads)));
        return s === null ? '' : `${fixed(s, 2)}×`;
      });
      lines.push([
        i === 0 ? r.op : '',
        i === 0 ? r.shape : '',
        i === 0 ? (r.batch === null ? '-' : String(r.batch)) : '',
        r.impl,
        r.threads === null ? '-' : String(r.threads),
        r.layout ?? '-',
        fixed(r.ms, 3),
        fixed(r.gflops, 2),
        ...ratios,
        r.note ?? '',
      ]);
    });
  }
  const widths = header.map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  const right = new Set([2, 4, 6, 7, ...BASELINES.map((_, i) => 8 + i)]);
  const text = lines.map((l) =>
    l
      .map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd(),
  );
  return `${text.join('\n')}\n`;
}

export function tableFooter(rows: readonly ResultRow[] = []): string {
  const lines = [
    'ms: median wall time of one run after warm-up, contenders alternating (each timed run after an untimed one); ' +
      'vs X: X\'s time over ours.',
    'Layouts: wsr-native NCHW, TensorFlow.js NHWC, each timed in its own. FLOPs: 2·MACs per pass (src/bench/flops.ts).',
    `tfjs-cpu: timed after the others, at most ${TFJS_CPU_MAX_REPEATS} runs or ${TFJS_CPU_MAX_TOTAL_MS / 1000} s per case; ` +
      `cases predicted over ${TFJS_CPU_RUN_BUDGET_MS / 1000} s a run are skipped unless --slow-baselines.`,
  ];
  if (rows.some((r) => r.impl === 'torch')) {
    lines.push(
      'torch: PyTorch on the CPU in its own process (bench/gpu/torch_bench.py --serve), NCHW, each run timed there and ' +
        'alternated with ours; conv through F.conv2d and aten.convolution_backward (oneDNN), LC as F.unfold + einsum, ' +
        'gradients by autograd; vs torch compares at the same thread count.',
    );
  }
  return `${lines.join('\n')}\n`;
}

export function formatJson(rows: readonly ResultRow[]): string {
  return `${JSON.stringify(rows, null, 2)}\n`;
}
