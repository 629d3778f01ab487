// The CPU targets of the bench, judged from result rows: markdown tables with met / missed, for
// bench/RESULTS.md (`wsr-native bench --from rows.json --targets`).
import { windowShapes } from './shapes';
import { ResultRow } from './types';

/** Training images of one CIFAR-10 epoch (50,000 less 5,000 held out for validation). */
export const EPOCH_TRAIN_IMAGES = 45000;
export const EPOCH_VALIDATION_IMAGES = 5000;
/** Validation plus the five robustness sets, each as large as the validation set. */
export const EVAL_SETS_WITH_ROBUSTNESS = 6;

export const TARGETS = {
  forwardVsWasmAllThreads: 3,
  forwardVsWasmOneThread: 1.5,
  stepVsTfjsCpu: 100,
  largeLayerGflops: 80,
  lcOverConv: 1.5,
};

type Key = { op: string; shape: string; batch: number | null; impl?: string; threads?: number | null };

function find(rows: readonly ResultRow[], k: Key): ResultRow | undefined {
  return rows.find(
    (r) =>
      r.op === k.op &&
      r.shape === k.shape &&
      r.batch === k.batch &&
      (k.impl === undefined || r.impl === k.impl) &&
      (k.threads === undefined || r.threads === k.threads) &&
      r.ms !== null,
  );
}

const ms = (r: ResultRow | undefined): string => (r?.ms != null ? r.ms.toFixed(r.ms < 10 ? 2 : 1) : '–');

/** A baseline's time, or why it has none ("skipped: …", "no … kernel"). */
function baselineCell(rows: readonly ResultRow[], k: Key): string {
  const timed = find(rows, k);
  if (timed) return ms(timed);
  const any = rows.find((r) => r.op === k.op && r.shape === k.shape && r.batch === k.batch && r.impl === k.impl);
  return any?.note ? `– (${any.note})` : '–';
}
const times = (x: number | null): string => (x === null ? '–' : `${x.toFixed(x < 10 ? 2 : 1)}×`);
const verdict = (ok: boolean | null): string => (ok === null ? 'not measured' : ok ? 'met' : '**missed**');

/** "3.20× met", "1.10× **missed**" or "not measured". */
function judged(x: number | null, ok: (x: number) => boolean): string {
  return x === null ? 'not measured' : `${times(x)} ${verdict(ok(x))}`;
}

function ratio(a: ResultRow | undefined, b: ResultRow | undefined): number | null {
  return a?.ms != null && b?.ms != null && b.ms > 0 ? a.ms / b.ms : null;
}

function table(header: string[], body: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- |').join('')}`];
  for (const row of body) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** Markdown sections judging the CPU targets at `batch` (most threads present vs 1 thread). */
export function targetsMarkdown(rows: readonly ResultRow[], batch = 128): string {
  const ours = rows.filter((r) => r.impl === 'wsr-native' && r.device === 'cpu');
  const most = Math.max(1, ...ours.map((r) => r.threads ?? 1));
  const out: string[] = [];

  // 1. Forward of every conv and LC layer against tfjs-backend-wasm.
  const forward: string[][] = [];
  for (const op of ['conv_forward', 'lc_forward']) {
    for (const s of windowShapes()) {
      const k = { op, shape: s.name, batch };
      const wasm = find(rows, { ...k, impl: 'tfjs-wasm' });
      const all = find(ours, { ...k, threads: most });
      const one = find(ours, { ...k, threads: 1 });
      if (!wasm && !all && !one) continue;
      const rAll = ratio(wasm, all);
      const rOne = most === 1 ? null : ratio(wasm, one);
      forward.push([
        op, s.name, ms(all), ms(one), ms(wasm),
        judged(rAll, (x) => x >= TARGETS.forwardVsWasmAllThreads),
        judged(rOne, (x) => x >= TARGETS.forwardVsWasmOneThread),
      ]);
    }
  }
  out.push(
    `### Conv and LC forward vs tfjs-backend-wasm (batch ${batch}; target ≥ ${TARGETS.forwardVsWasmAllThreads}× at ${most} threads, ≥ ${TARGETS.forwardVsWasmOneThread}× at 1)`,
    '',
    table(['op', 'layer', `ours ${most} thr ms`, 'ours 1 thr ms', 'tfjs-wasm ms', `speed-up ${most} thr`, 'speed-up 1 thr'], forward),
  );

  // 2. Whole training step against tfjs-backend-cpu.
  const steps: string[][] = [];
  const batches = [...new Set(rows.filter((r) => r.op === 'train_step').map((r) => r.batch))].sort((a, b) => (a ?? 0) - (b ?? 0));
  for (const b of batches) {
    for (const shape of ['cifar.cnn', 'cifar.fcn']) {
      const k = { op: 'train_step', shape, batch: b };
      const mine = find(ours, { ...k, threads: most });
      const cpu = find(rows, { ...k, impl: 'tfjs-cpu' });
      const wasm = find(rows, { ...k, impl: 'tfjs-wasm' });
      if (!mine) continue;
      const r = ratio(cpu, mine);
      steps.push([
        shape,
        String(b),
        ms(mine),
        baselineCell(rows, { ...k, impl: 'tfjs-cpu' }),
        judged(r, (x) => x >= TARGETS.stepVsTfjsCpu),
        baselineCell(rows, { ...k, impl: 'tfjs-wasm' }),
        times(ratio(wasm, mine)),
      ]);
    }
  }
  out.push(
    '',
    `### Training step (forward, backward, Adam) vs tfjs-backend-cpu (target ≥ ${TARGETS.stepVsTfjsCpu}×)`,
    '',
    table(['network', 'batch', `ours ${most} thr ms`, 'tfjs-cpu ms', 'speed-up vs cpu', 'tfjs-wasm ms', 'speed-up vs wasm'], steps),
  );

  // 3. GFLOP/s of the large layers.
  const large: string[][] = [];
  const layers = [
    ['cifar.conv2', ['conv_forward', 'conv_backward_input', 'conv_backward_weight', 'lc_forward', 'lc_backward_input', 'lc_backward_weight']],
    ['cifar.conv3', ['conv_forward', 'conv_backward_input', 'conv_backward_weight', 'lc_forward', 'lc_backward_input', 'lc_backward_weight']],
    ['cifar.dense1', ['dense_forward', 'dense_backward']],
  ] as const;
  for (const [shape, ops] of layers) {
    for (const op of ops) {
      const r = find(ours, { op, shape, batch, threads: most });
      if (!r) continue;
      const g = r.gflops;
      large.push([shape, op, ms(r), g === null ? '–' : g.toFixed(1), verdict(g === null ? null : g >= TARGETS.largeLayerGflops)]);
    }
  }
  out.push(
    '',
    `### GFLOP/s of the large layers (batch ${batch}, ${most} threads; target ≥ ${TARGETS.largeLayerGflops})`,
    '',
    table(['layer', 'op', 'ms', 'GFLOP/s', 'target'], large),
  );

  // 4. LC forward + backward against its conv twin.
  const twins: string[][] = [];
  for (const s of windowShapes()) {
    const sum = (prefix: string): number | null => {
      let total = 0;
      for (const pass of ['forward', 'backward_input', 'backward_weight']) {
        const r = find(ours, { op: `${prefix}_${pass}`, shape: s.name, batch, threads: most });
        if (r?.ms == null) return null;
        total += r.ms;
      }
      return total;
    };
    const lc = sum('lc');
    const conv = sum('conv');
    if (lc === null || conv === null) continue;
    const r = lc / conv;
    twins.push([s.name, conv.toFixed(2), lc.toFixed(2), judged(r, (x) => x <= TARGETS.lcOverConv)]);
  }
  out.push(
    '',
    `### LC forward + both gradients vs its conv twin (batch ${batch}, ${most} threads; target ≤ ${TARGETS.lcOverConv}×)`,
    '',
    table(['layer', 'conv ms', 'LC ms', 'LC / conv'], twins),
  );

  // 5. Epoch time, computed from step times.
  const epochs: string[][] = [];
  for (const shape of ['cifar.cnn', 'cifar.fcn']) {
    const step = find(ours, { op: 'train_step', shape, batch: 128, threads: most });
    const evalStep = find(ours, { op: 'eval_step', shape, batch: 128, threads: most });
    if (!step?.ms) continue;
    const train = ((EPOCH_TRAIN_IMAGES / 128) * step.ms) / 1000;
    const val = evalStep?.ms ? ((EPOCH_VALIDATION_IMAGES / 128) * evalStep.ms) / 1000 : null;
    const fmt = (x: number | null) => (x === null ? '–' : `${x.toFixed(1)} s`);
    epochs.push([
      shape,
      fmt(train),
      fmt(val === null ? null : train + val),
      fmt(val === null ? null : train + EVAL_SETS_WITH_ROBUSTNESS * val),
    ]);
  }
  out.push(
    '',
    `### One CIFAR-10 epoch (${EPOCH_TRAIN_IMAGES.toLocaleString('en')} training images, batch 128, ${most} threads), computed`,
    '',
    `Computed as ${EPOCH_TRAIN_IMAGES}/128 × the measured training step, plus ${EPOCH_VALIDATION_IMAGES}/128 × the measured ` +
      `evaluation step for the validation set (× ${EVAL_SETS_WITH_ROBUSTNESS} with the five robustness sets); batch ` +
      'gathering, augmentation and the distance kernel are not included.',
    '',
    table(['network', 'training only', 'with validation', 'with validation and robustness'], epochs),
  );
  return `${out.join('\n')}\n`;
}
