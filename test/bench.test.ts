// The bench: a tiny filtered run end to end, the FLOP formulas against hand counts, option
// parsing, and the tfjs LC baseline computing what our local2d computes (so the baseline is real).
import { benchMain } from '../src/bench/main';
import { parseBenchOptions, selectOps } from '../src/bench/options';
import {
  denseBackwardFlops,
  denseForwardFlops,
  networkForwardFlops,
  windowFlops,
} from '../src/bench/flops';
import { CIFAR_NET, MNIST_NET, WindowShape, parameterCount } from '../src/bench/shapes';
import { loadTfjs, useBackend, Tfjs, TfBackend } from '../src/bench/tfjs/load';
import { bankFromTfjs, bankToTfjs, nchwToNhwc, nhwcToNchw } from '../src/bench/tfjs/layout';
import { lcBackwardInput, lcBackwardWeight, lcForward } from '../src/bench/tfjs/local';
import { uniformArray } from '../src/bench/random';
import { Tensor } from '../src/tensor';
import { local2d, local2dBackward } from '../src/ops/local';
import type { Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { captureOutput } from './helpers/capture';
import { expectClose } from './helpers/compare';
import { targetsMarkdown } from '../src/bench/targets';
import { networkByName } from '../src/nn/spec';
import { specParameterCount } from '../src/nn/plan';
import type { ResultRow } from '../src/bench/types';

describe('bench end to end', () => {
  test('a filtered dense_forward case prints JSON rows with the documented fields', async () => {
    const { code, out, err } = await captureOutput(() =>
      benchMain(['--op', 'dense_forward', '--shape', 'mnist.dense2', '--batch', '4', '--repeats', '2', '--warmup', '1', '--json']),
    );
    expect(code).toBe(0);
    const rows = JSON.parse(out) as Record<string, unknown>[];
    expect(Array.isArray(rows)).toBe(true);
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const row of rows) {
      for (const field of ['op', 'shape', 'impl', 'device', 'threads', 'ms', 'gflops']) expect(row).toHaveProperty(field);
      expect(row.op).toBe('dense_forward');
      expect(row.shape).toBe('mnist.dense2');
      expect(row.batch).toBe(4);
      expect(row.device).toBe('cpu');
    }
    const ours = rows.find((r) => r.impl === 'wsr-native') as Record<string, number>;
    expect(ours.ms).toBeGreaterThan(0);
    expect(ours.repeats).toBe(2);
    // 2·N·I·O FLOPs over the median time.
    expect(ours.gflops).toBeCloseTo((2 * 4 * 1024 * 10) / (ours.ms * 1e6), 6);
    const impls = rows.map((r) => r.impl);
    expect(impls).toContain('wsr-native');
    // The baselines are devDependencies, installed here: both backends are timed.
    expect(impls).toEqual(expect.arrayContaining(['tfjs-wasm', 'tfjs-cpu']));
    expect(err).toContain('[1/1] dense_forward mnist.dense2 batch 4');
  });

  test('the table shows our speed-up over each baseline', async () => {
    const { code, out } = await captureOutput(() =>
      benchMain(['--op', 'dense_backward', '--shape', 'mnist.dense2', '--batch', '2', '--repeats', '1', '--warmup', '0']),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/dense_backward\s+mnist\.dense2\s+2\s+wsr-native/);
    expect(out).toContain('vs wasm');
    expect(out).toMatch(/\d×/);
  });

  test('bad options fail with a message naming them', async () => {
    const { code, err } = await captureOutput(() => benchMain(['--op', 'nope']));
    expect(code).toBe(1);
    expect(err).toContain("unknown op 'nope'");
    const none = await captureOutput(() => benchMain(['--shape', 'imagenet', '--no-baselines']));
    expect(none.code).toBe(1);
    expect(none.err).toContain('no case matches');
  });
});

describe('bench options', () => {
  test('ops by name or prefix, defaults', () => {
    expect(selectOps(['conv'])).toEqual(['conv_forward', 'conv_backward_input', 'conv_backward_weight']);
    expect(selectOps(['lc_forward', 'adam_update'])).toEqual(['lc_forward', 'adam_update']);
    const o = parseBenchOptions({}, 2);
    expect(o.batches).toEqual([1, 32, 128]);
    expect(o.threads).toEqual([2]);
    expect(o.baselines).toEqual(['wasm', 'cpu']);
    expect(o.device).toBe('cpu');
    expect(parseBenchOptions({ baselines: false }, 2).baselines).toEqual([]);
    expect(parseBenchOptions({ threads: '1,2', batch: '128' }, 2)).toMatchObject({ threads: [1, 2], batches: [128] });
    expect(() => parseBenchOptions({ batch: '0' }, 2)).toThrow(/--batch/);
    expect(() => parseBenchOptions({ device: 'tpu' }, 2)).toThrow(/--device/);
    expect(() => parseBenchOptions({ tfjs: 'webgl' }, 2)).toThrow(/--tfjs/);
  });
});

describe('FLOP formulas (2·MACs per pass), checked by hand', () => {
  const conv2 = CIFAR_NET.windows[1];
  test('conv / LC: cifar.conv2 at batch 128', () => {
    expect([conv2.oh, conv2.ow]).toEqual([5, 5]);
    // 128 filters · 5·5 outputs · 64 channels · 5·5 taps = 5,120,000 MACs a sample; ×2 ×128.
    expect(windowFlops(conv2, 128)).toBe(1_310_720_000);
    // MNIST conv1: 32 · 13·13 · 1 · 3·3 = 48,672 MACs; one sample.
    expect(windowFlops(MNIST_NET.windows[0], 1)).toBe(97_344);
  });
  test('dense: cifar.dense1 at batch 128', () => {
    const d = CIFAR_NET.dense[0];
    expect(denseForwardFlops(d, 128)).toBe(2 * 128 * 2304 * 1024); // 603,979,776
    expect(denseForwardFlops(d, 128)).toBe(603_979_776);
    expect(denseBackwardFlops(d, 128)).toBe(1_207_959_552);
  });
  test('the whole CIFAR net: about 22 MFLOP an image forward; the paper parameter counts', () => {
    expect(networkForwardFlops(CIFAR_NET, 1)).toBe(2 * (940_800 + 5_120_000 + 2_654_208 + 2_359_296 + 10_240));
    expect(parameterCount(CIFAR_NET, false)).toBe(2_875_530);
    expect(parameterCount(CIFAR_NET, true)).toBe(11_103_626);
  });
  test("the bench's layer table agrees with the model specs it times through Sequential", () => {
    for (const [net, name] of [[CIFAR_NET, 'cifar10'], [MNIST_NET, 'mnist']] as const) {
      expect(parameterCount(net, false)).toBe(specParameterCount(networkByName(name, 'cnn')));
      expect(parameterCount(net, true)).toBe(specParameterCount(networkByName(name, 'fcn')));
    }
  });
});

describe('the tfjs LC baseline computes what local2d computes', () => {
  let t: Tfjs;
  beforeAll(async () => {
    const loaded = await loadTfjs();
    if (loaded instanceof Error) throw loaded;
    t = loaded;
  });

  // x [N=2, C=3, 7×7], 4 filters of 3×3, stride 2 → 3×3 outputs.
  const s: WindowShape = { kind: 'window', name: 'small', c: 3, h: 7, w: 7, k: 4, kh: 3, kw: 3, stride: 2, oh: 3, ow: 3 };
  const n = 2;
  const g = { kh: s.kh, kw: s.kw, stride: s.stride, oh: s.oh, ow: s.ow };
  const banks = { banks: s.oh * s.ow, k: s.k, c: s.c, kh: s.kh, kw: s.kw };

  test.each<TfBackend>(['cpu', 'wasm'])('forward and both gradients on tfjs-backend-%s', async (backend) => {
    await useBackend(t, backend);
    const tf = t.tf;
    const xData = uniformArray(n * s.c * s.h * s.w, 11);
    const wData = uniformArray(s.oh * s.ow * s.k * s.c * s.kh * s.kw, 12);
    const bData = uniformArray(s.oh * s.ow * s.k, 13);
    const dyData = uniformArray(n * s.k * s.oh * s.ow, 14);

    const x = Tensor.from(xData, [n, s.c, s.h, s.w]);
    const w = Tensor.from(wData, [s.oh, s.ow, s.k, s.c, s.kh, s.kw]);
    const b = Tensor.from(bData, [s.oh, s.ow, s.k]);
    const dy = Tensor.from(dyData, [n, s.k, s.oh, s.ow]);
    const y = local2d(x, w, b, { stride: s.stride });
    const grads = local2dBackward(x, w, dy, { stride: s.stride });

    const tx = tf.tensor4d(nchwToNhwc(xData, n, s.c, s.h, s.w), [n, s.h, s.w, s.c]);
    const tw = tf.tensor3d(bankToTfjs(wData, banks), [s.oh * s.ow, s.kh * s.kw * s.c, s.k]);
    // Ours [OH, OW, K] is already Keras' bias layout.
    const tb = tf.tensor3d(bData, [s.oh, s.ow, s.k]);
    const tdy = tf.tensor4d(nchwToNhwc(dyData, n, s.k, s.oh, s.ow), [n, s.oh, s.ow, s.k]);
    const ty = lcForward(tf, tx as Tensor4D, tw as Tensor3D, tb, g);
    const tdx = lcBackwardInput(tf, backend, tdy as Tensor4D, tw as Tensor3D, [n, s.h, s.w, s.c], g);
    const { dw: tdw, db: tdb } = lcBackwardWeight(tf, backend, tx as Tensor4D, tdy as Tensor4D, g);

    const read = (a: { dataSync(): ArrayLike<number> }) => Float32Array.from(a.dataSync());
    expectClose(nhwcToNchw(read(ty), n, s.k, s.oh, s.ow), y.toArray(), `${backend} forward`);
    expectClose(nhwcToNchw(read(tdx), n, s.c, s.h, s.w), (grads.dx as Tensor).toArray(), `${backend} dx`);
    expectClose(bankFromTfjs(read(tdw), banks), grads.dw.toArray(), `${backend} dw`);
    expectClose(read(tdb), grads.db.toArray(), `${backend} db`);

    for (const a of [tx, tw, tb, tdy, ty, tdx, tdw, tdb]) a.dispose();
    for (const a of [x, w, b, dy, y, grads.dx as Tensor, grads.dw, grads.db]) a.dispose();
  });
});

describe('CPU targets from rows', () => {
  const base = { device: 'cpu', layout: 'NCHW' as const, repeats: 3, gflops: null };
  const r = (op: ResultRow['op'], shape: string, batch: number, impl: ResultRow['impl'], threads: number, ms: number, gflops: number | null = null): ResultRow => ({
    ...base, op, shape, batch, impl, threads, ms, gflops,
  });
  test('speed-ups, GFLOP/s and the LC/conv ratio are judged against the targets', () => {
    const rows: ResultRow[] = [
      r('conv_forward', 'cifar.conv2', 128, 'wsr-native', 2, 10),
      r('conv_forward', 'cifar.conv2', 128, 'wsr-native', 1, 20),
      r('conv_forward', 'cifar.conv2', 128, 'tfjs-wasm', 1, 40),
      r('conv_backward_input', 'cifar.conv2', 128, 'wsr-native', 2, 10, 131),
      r('conv_backward_weight', 'cifar.conv2', 128, 'wsr-native', 2, 10, 79.9),
      r('lc_forward', 'cifar.conv2', 128, 'wsr-native', 2, 15),
      r('lc_backward_input', 'cifar.conv2', 128, 'wsr-native', 2, 15),
      r('lc_backward_weight', 'cifar.conv2', 128, 'wsr-native', 2, 15),
      r('train_step', 'cifar.cnn', 128, 'wsr-native', 2, 100),
      r('train_step', 'cifar.cnn', 128, 'tfjs-cpu', 1, 20000),
      r('eval_step', 'cifar.cnn', 128, 'wsr-native', 2, 32),
    ];
    const md = targetsMarkdown(rows, 128);
    // 40 / 10 = 4× at 2 threads (≥ 3: met); 40 / 20 = 2× at 1 thread (≥ 1.5: met).
    expect(md).toContain('| conv_forward | cifar.conv2 | 10.0 | 20.0 | 40.0 | 4.00× met | 2.00× met |');
    expect(md).toContain('| cifar.conv2 | conv_backward_input | 10.0 | 131.0 | met |');
    expect(md).toContain('| cifar.conv2 | conv_backward_weight | 10.0 | 79.9 | **missed** |');
    // LC 45 ms against conv 30 ms: exactly 1.5×, met.
    expect(md).toContain('| cifar.conv2 | 30.00 | 45.00 | 1.50× met |');
    expect(md).toContain('| cifar.cnn | 128 | 100.0 | 20000.0 | 200.0× met |');
    // 45000/128 × 0.1 s = 35.2 s; + 5000/128 × 0.032 s = 1.25 s; × 6 with robustness.
    expect(md).toContain('| cifar.cnn | 35.2 s | 36.4 s | 42.7 s |');
  });
});
