// Low-rank local connectivity (src/ops/lowrank.ts): the mixing, the layer and its gradients against float64
// references and finite differences on awkward shapes, rank 1 as a convolution, the conversion from a
// convolution (exact), determinism over thread counts, CPU/CUDA parity, bad inputs and cleanup.
import { memoryStats } from '../src/device';
import { conv2d } from '../src/ops/conv';
import { Local2dOptions, convToLocal, local2d, local2dBackward } from '../src/ops/local';
import {
  LOWRANK_DOMAIN,
  LOWRANK_LOGIT_SCALE,
  convToLowRank,
  lowRankLocal2d,
  lowRankLocal2dBackward,
  lowRankMaterialize,
  lowRankMaterializeBackward,
} from '../src/ops/lowrank';
import { draw } from '../src/ops/augment_random';
import { Tensor } from '../src/tensor';
import { dot, expectClose, finiteDifferences, sampleIndices } from './helpers/compare';
import { atThreadCounts, describeCuda, testDevices } from './helpers/devices';
import { Case, Geom, geom, patchSize, positions, refLocal, refLocalBackward } from './helpers/local_reference';
import { Random, random } from './helpers/random';
import { untypedAddon } from './helpers/untypedAddon';

// ---------------------------------------------------------------------------------------------
// Float64 references (the locally connected layer's: ./helpers/local_reference.ts). Layouts: x [N,C,H,W],
// bases [R,K,C,KH,KW], basisBias [R,K], logits [OH,OW,R], materialised w [OH,OW,K,C,KH,KW] and b [OH,OW,K],
// y [N,K,OH,OW].

interface LowRankCase extends Case {
  rank: number;
}

interface LowRankGeom extends Geom {
  rank: number;
  options: Local2dOptions;
  bias?: boolean;
  /** Positions OH·OW, and floats per bank K·C·KH·KW. */
  P: number;
  bank: number;
}

function lowRankGeom(cs: LowRankCase): LowRankGeom {
  const g = geom(cs);
  return { ...g, rank: cs.rank, options: cs.options, bias: cs.bias, P: positions(g), bank: g.k * patchSize(g) };
}

const shapes = (g: LowRankGeom) => ({
  x: [g.n, g.c, g.h, g.w],
  bases: [g.rank, g.k, g.c, g.kh, g.kw],
  basisBias: [g.rank, g.k],
  logits: [g.oh, g.ow, g.rank],
  w: [g.oh, g.ow, g.k, g.c, g.kh, g.kw],
  b: [g.oh, g.ow, g.k],
  y: [g.n, g.k, g.oh, g.ow],
});

/** a [P, R]: each position's softmax. */
function softmax(g: LowRankGeom, logits: ArrayLike<number>): Float64Array {
  const a = new Float64Array(g.P * g.rank);
  for (let p = 0; p < g.P; p++) {
    let top = -Infinity;
    for (let r = 0; r < g.rank; r++) top = Math.max(top, logits[p * g.rank + r]);
    let sum = 0;
    for (let r = 0; r < g.rank; r++) sum += Math.exp(logits[p * g.rank + r] - top);
    for (let r = 0; r < g.rank; r++) a[p * g.rank + r] = Math.exp(logits[p * g.rank + r] - top) / sum;
  }
  return a;
}

/** out [P, cols] = a · x [R, cols]. */
function mix(g: LowRankGeom, a: Float64Array, x: ArrayLike<number>, cols: number): Float64Array {
  const out = new Float64Array(g.P * cols);
  for (let p = 0; p < g.P; p++)
    for (let r = 0; r < g.rank; r++) {
      const ar = a[p * g.rank + r];
      for (let i = 0; i < cols; i++) out[p * cols + i] += ar * x[r * cols + i];
    }
  return out;
}

interface Data {
  x: Float32Array;
  bases: Float32Array;
  basisBias: Float32Array | null;
  logits: Float32Array;
  dy: Float32Array;
}

function refForward(g: LowRankGeom, d: { x: ArrayLike<number>; bases: ArrayLike<number>; basisBias: ArrayLike<number> | null; logits: ArrayLike<number> }) {
  const a = softmax(g, d.logits);
  const w = mix(g, a, d.bases, g.bank);
  const b = d.basisBias ? mix(g, a, d.basisBias, g.k) : null;
  return { a, w, b, y: refLocal(g, d.x, w, b) };
}

/** Analytic gradients of sum(dy · y) in float64: the locally connected layer's, projected onto the parameters. */
function refBackward(g: LowRankGeom, d: Data) {
  const { a, w } = refForward(g, d);
  const { dx, dw, db } = refLocalBackward(g, d.x, w, d.dy);
  const R = g.rank;
  const dBases = new Float64Array(R * g.bank);
  const dBasisBias = new Float64Array(R * g.k);
  const dLogits = new Float64Array(g.P * R);
  for (let p = 0; p < g.P; p++) {
    const dA = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      const ar = a[p * R + r];
      for (let i = 0; i < g.bank; i++) {
        dBases[r * g.bank + i] += ar * dw[p * g.bank + i];
        dA[r] += dw[p * g.bank + i] * d.bases[r * g.bank + i];
      }
      if (d.basisBias)
        for (let i = 0; i < g.k; i++) {
          dBasisBias[r * g.k + i] += ar * db[p * g.k + i];
          dA[r] += db[p * g.k + i] * d.basisBias[r * g.k + i];
        }
    }
    let mean = 0;
    for (let r = 0; r < R; r++) mean += a[p * R + r] * dA[r];
    for (let r = 0; r < R; r++) dLogits[p * R + r] = a[p * R + r] * (dA[r] - mean);
  }
  return { dx, dBases, dBasisBias, dLogits };
}

const cases: LowRankCase[] = [
  { name: 'rank 1 (a convolution), odd 3x5 output', n: 2, c: 3, h: 5, w: 9, k: 2, kh: 3, kw: 5, options: {}, rank: 1, out: [3, 5] },
  { name: 'rank = positions (2x3 = 6), one filter', n: 2, c: 2, h: 4, w: 5, k: 1, kh: 3, kw: 3, options: {}, rank: 6, out: [2, 3] },
  { name: 'three channels, stride 3 > kernel 2, rank 4', n: 2, c: 3, h: 8, w: 11, k: 3, kh: 2, kw: 2, options: { stride: 3 }, rank: 4, out: [3, 4] },
  {
    name: 'padding [1,2,0,1], stride [2,1], rank 3, no bias',
    n: 3, c: 2, h: 6, w: 5, k: 4, kh: 3, kw: 2, options: { stride: [2, 1], padding: [1, 2, 0, 1] }, rank: 3, out: [4, 5], bias: false,
  },
  { name: "'same' padding, stride 2, rank 2", n: 2, c: 2, h: 7, w: 6, k: 3, kh: 3, kw: 3, options: { stride: 2, padding: 'same' }, rank: 2, out: [4, 3] },
  { name: 'one position (rank 1 = positions)', n: 3, c: 2, h: 3, w: 3, k: 2, kh: 3, kw: 3, options: {}, rank: 1, out: [1, 1] },
  // Above the CPU's streaming ranks (R − 1 > 32): its GEMM path.
  { name: 'rank 40 of 42 positions', n: 1, c: 2, h: 8, w: 7, k: 2, kh: 2, kw: 2, options: {}, rank: 40, out: [7, 6] },
];
const caseNames = cases.map((c) => c.name);

function randomData(rnd: Random, g: LowRankGeom, bias: boolean): Data {
  return {
    x: rnd.uniform(g.n * g.c * g.h * g.w),
    bases: rnd.uniform(g.rank * g.bank),
    basisBias: bias ? rnd.uniform(g.rank * g.k) : null,
    logits: rnd.uniform(g.P * g.rank, -2, 2),
    dy: rnd.uniform(g.n * g.k * g.P),
  };
}

function tensors(g: LowRankGeom, d: Data, device: string) {
  const sh = shapes(g);
  return {
    x: Tensor.from(d.x, sh.x, { device }),
    bases: Tensor.from(d.bases, sh.bases, { device }),
    basisBias: d.basisBias ? Tensor.from(d.basisBias, sh.basisBias, { device }) : null,
    logits: Tensor.from(d.logits, sh.logits, { device }),
    dy: Tensor.from(d.dy, sh.y, { device }),
  };
}

const float32Tol = { rtol: 1e-4, atol: 1e-4 };

/** Bitwise: the index of the first differing word, -1 when none. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const [u, v] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  return u.length !== v.length ? 0 : u.findIndex((word, i) => word !== v[i]);
}

describe.each(testDevices)('low-rank locally connected layer on %s', (device) => {
  test.each(caseNames)('materialised weight and bias match the float64 mixture: %s', (name) => {
    const g = lowRankGeom(cases.find((c) => c.name === name)!);
    const rnd = random();
    const d = randomData(rnd, g, g.bias ?? true);
    const t = tensors(g, d, device);
    const { weight, bias } = lowRankMaterialize(t.bases, t.basisBias, t.logits);
    expect(weight.shape).toEqual(shapes(g).w);
    expect(weight.device).toBe(t.bases.device);
    const ref = refForward(g, d);
    const what = `lowRankMaterialize ${name} on ${device}, seed ${rnd.seed}`;
    expectClose(weight.toArray(), ref.w, `${what}: weight`, { rtol: 1e-5, atol: 1e-6 });
    if (g.bias ?? true) expectClose(bias!.toArray(), ref.b!, `${what}: bias`, { rtol: 1e-5, atol: 1e-6 });
    else expect(bias).toBeNull();
    // Into given buffers, overwritten.
    const out = { weight: Tensor.from(rnd.uniform(weight.size), shapes(g).w, { device }), bias: Tensor.from(rnd.uniform(g.P * g.k), shapes(g).b, { device }) };
    const again = lowRankMaterialize(t.bases, t.basisBias, t.logits, t.basisBias ? out : { weight: out.weight });
    expect(again.weight).toBe(out.weight);
    expect(firstDifference(out.weight.toArray(), weight.toArray())).toBe(-1);
    if (t.basisBias) expect(again.bias).toBe(out.bias);
  });

  test.each(caseNames)('forward matches the float64 reference: %s', (name) => {
    const g = lowRankGeom(cases.find((c) => c.name === name)!);
    const rnd = random();
    const d = randomData(rnd, g, g.bias ?? true);
    const t = tensors(g, d, device);
    const y = lowRankLocal2d(t.x, t.bases, t.basisBias, t.logits, g.options);
    expect(y.shape).toEqual(shapes(g).y);
    expectClose(y.toArray(), refForward(g, d).y, `lowRankLocal2d ${name} on ${device}, seed ${rnd.seed}`, float32Tol);
    // Into a preallocated output: overwritten.
    const out = Tensor.from(rnd.uniform(y.size), shapes(g).y, { device });
    expect(lowRankLocal2d(t.x, t.bases, t.basisBias, t.logits, g.options, out)).toBe(out);
    expect(firstDifference(out.toArray(), y.toArray())).toBe(-1);
  });

  test.each(caseNames)('every gradient matches the float64 reference and finite differences: %s', (name) => {
    const g = lowRankGeom(cases.find((c) => c.name === name)!);
    const rnd = random();
    const d = randomData(rnd, g, g.bias ?? true);
    const t = tensors(g, d, device);
    const grads = lowRankLocal2dBackward(t.x, t.bases, t.basisBias, t.logits, t.dy, g.options);
    const ref = refBackward(g, d);
    const what = `lowRankLocal2dBackward ${name} on ${device}, seed ${rnd.seed}`;
    expectClose(grads.dx!.toArray(), ref.dx, `${what}: dx`, float32Tol);
    expectClose(grads.dBases.toArray(), ref.dBases, `${what}: dBases`, float32Tol);
    expectClose(grads.dLogits.toArray(), ref.dLogits, `${what}: dLogits`, float32Tol);
    if (d.basisBias) expectClose(grads.dBasisBias!.toArray(), ref.dBasisBias, `${what}: dBasisBias`, float32Tol);
    else expect(grads.dBasisBias).toBeNull();
    if (g.rank === 1) expect(grads.dLogits.toArray().every((v) => v === 0)).toBe(true); // one basis: no logit matters

    // Finite differences of the float64 forward's projection sum(y · dy), at sampled entries.
    const f64 = {
      x: Float64Array.from(d.x),
      bases: Float64Array.from(d.bases),
      basisBias: d.basisBias ? Float64Array.from(d.basisBias) : null,
      logits: Float64Array.from(d.logits),
    };
    const loss = () => dot(refForward(g, f64).y, d.dy);
    const checks: [string, Float64Array, Float64Array, Float32Array][] = [
      ['dx', f64.x, ref.dx, grads.dx!.toArray()],
      ['dBases', f64.bases, ref.dBases, grads.dBases.toArray()],
      ['dLogits', f64.logits, ref.dLogits, grads.dLogits.toArray()],
    ];
    if (f64.basisBias) checks.push(['dBasisBias', f64.basisBias, ref.dBasisBias, grads.dBasisBias!.toArray()]);
    for (const [label, values, analytic, native] of checks) {
      const at = sampleIndices(values.length, 10, rnd.next);
      const numeric = finiteDifferences(loss, values, at);
      expectClose(at.map((i) => analytic[i]), numeric, `${what}: analytic ${label} vs finite differences`, { rtol: 1e-6, atol: 1e-6 });
      expectClose(at.map((i) => native[i]), numeric, `${what}: native ${label} vs finite differences`, float32Tol);
    }
  });

  test('backward without dx, into preallocated buffers that are overwritten, not accumulated', () => {
    const g = lowRankGeom(cases[2]);
    const rnd = random();
    const d = randomData(rnd, g, true);
    const t = tensors(g, d, device);
    const sh = shapes(g);
    const noInput = lowRankLocal2dBackward(t.x, t.bases, t.basisBias, t.logits, t.dy, g.options, { needInput: false });
    expect(noInput.dx).toBeUndefined();
    const out = {
      dx: Tensor.from(rnd.uniform(t.x.size), sh.x, { device }),
      dBases: Tensor.from(rnd.uniform(t.bases.size), sh.bases, { device }),
      dBasisBias: Tensor.from(rnd.uniform(g.rank * g.k), sh.basisBias, { device }),
      dLogits: Tensor.from(rnd.uniform(t.logits.size), sh.logits, { device }),
    };
    for (let repeat = 0; repeat < 2; repeat++) {
      const grads = lowRankLocal2dBackward(t.x, t.bases, t.basisBias, t.logits, t.dy, g.options, { out });
      expect(grads.dx).toBe(out.dx);
      expect(grads.dBases).toBe(out.dBases);
      expect(grads.dBasisBias).toBe(out.dBasisBias);
      expect(grads.dLogits).toBe(out.dLogits);
    }
    const ref = refBackward(g, d);
    const what = `preallocated backward on ${device}, seed ${rnd.seed}`;
    expectClose(out.dx.toArray(), ref.dx, `${what}: dx`, float32Tol);
    expectClose(out.dBases.toArray(), ref.dBases, `${what}: dBases`, float32Tol);
    expectClose(out.dLogits.toArray(), ref.dLogits, `${what}: dLogits`, float32Tol);
    for (const key of ['dBases', 'dBasisBias', 'dLogits'] as const) {
      expect(firstDifference(noInput[key]!.toArray(), out[key].toArray())).toBe(-1);
    }
    // The projection alone, from the materialised bank's gradients.
    const lc = local2dBackward(t.x, lowRankMaterialize(t.bases, t.basisBias, t.logits).weight, t.dy, g.options);
    const alone = lowRankMaterializeBackward(t.bases, t.basisBias, t.logits, lc.dw, lc.db);
    expect(firstDifference(alone.dBases.toArray(), out.dBases.toArray())).toBe(-1);
    expect(firstDifference(alone.dLogits.toArray(), out.dLogits.toArray())).toBe(-1);
  });

  test('rank 1 is the convolution of its basis: the bank at every position exactly, the output within rounding', () => {
    const g = lowRankGeom(cases[0]);
    const rnd = random();
    const d = randomData(rnd, g, true);
    const t = tensors(g, d, device);
    const { weight, bias } = lowRankMaterialize(t.bases, t.basisBias, t.logits);
    const w = weight.toArray();
    const b = bias!.toArray();
    for (let p = 0; p < g.P; p++) {
      expect(firstDifference(w.subarray(p * g.bank, (p + 1) * g.bank), d.bases)).toBe(-1);
      expect(firstDifference(b.subarray(p * g.k, (p + 1) * g.k), d.basisBias!)).toBe(-1);
    }
    const convW = Tensor.from(d.bases, [g.k, g.c, g.kh, g.kw], { device });
    const convB = Tensor.from(d.basisBias!, [g.k], { device });
    expectClose(
      lowRankLocal2d(t.x, t.bases, t.basisBias, t.logits, g.options).toArray(),
      conv2d(t.x, convW, convB, g.options).toArray(),
      `rank 1 vs conv2d on ${device}, seed ${rnd.seed}`,
      float32Tol,
    );
  });

  test.each(caseNames)('convToLowRank reproduces the convolution exactly: %s', (name) => {
    const g = lowRankGeom(cases.find((c) => c.name === name)!);
    const rnd = random();
    const bias = g.bias ?? true;
    const convW = Tensor.from(rnd.uniform(g.bank), [g.k, g.c, g.kh, g.kw], { device });
    const convB = bias ? Tensor.from(rnd.uniform(g.k), [g.k], { device }) : null;
    const x = Tensor.from(rnd.uniform(g.n * g.c * g.h * g.w), shapes(g).x, { device });
    const seed = rnd.int(0, 2 ** 32 - 1);
    const lr = convToLowRank(convW, convB, g.oh, g.ow, g.rank, seed);
    expect(lr.bases.shape).toEqual(shapes(g).bases);
    expect(lr.logits.shape).toEqual(shapes(g).logits);
    expect(lr.basisBias === null).toBe(!bias);
    const kernel = convW.toArray();
    for (let r = 0; r < g.rank; r++) expect(firstDifference(lr.bases.toArray().subarray(r * g.bank, (r + 1) * g.bank), kernel)).toBe(-1);
    // The materialised layer is convToLocal's bit for bit, so the outputs are identical too.
    const local = convToLocal(convW, convB, g.oh, g.ow);
    const mixed = lowRankMaterialize(lr.bases, lr.basisBias, lr.logits);
    expect(firstDifference(mixed.weight.toArray(), local.weight.toArray())).toBe(-1);
    if (bias) expect(firstDifference(mixed.bias!.toArray(), local.bias!.toArray())).toBe(-1);
    const y = lowRankLocal2d(x, lr.bases, lr.basisBias, lr.logits, g.options);
    expect(firstDifference(y.toArray(), local2d(x, local.weight, local.bias, g.options).toArray())).toBe(-1);
    expectClose(y.toArray(), conv2d(x, convW, convB, g.options).toArray(), `converted ${name} vs conv2d on ${device}, seed ${rnd.seed}`, float32Tol);
    // Equal bases: the logits get exactly 0, the bases different gradients (rank > 1, more than one position).
    const dy = Tensor.from(rnd.uniform(y.size), y.shape, { device });
    const grads = lowRankLocal2dBackward(x, lr.bases, lr.basisBias, lr.logits, dy, g.options);
    expect(grads.dLogits.toArray().every((v) => v === 0)).toBe(true);
    if (g.rank > 1 && g.P > 1) {
      const db = grads.dBases.toArray();
      expect(firstDifference(db.subarray(0, g.bank), db.subarray(g.bank, 2 * g.bank))).not.toBe(-1);
    }
  });

  test('convToLowRank: logits uniform in (-scale, scale) from Philox in LOWRANK_DOMAIN, reproducible, per seed', () => {
    const convW = Tensor.from(random(3).uniform(2 * 3 * 2 * 2), [2, 3, 2, 2], { device });
    const a = convToLowRank(convW, null, 3, 5, 3, 7).logits.toArray();
    const expected = new Float32Array(45);
    for (let i = 0; i < 45; i++) {
      const word = draw(7, 0, LOWRANK_DOMAIN, Math.floor(i / 4))[i % 4];
      expected[i] = LOWRANK_LOGIT_SCALE * (2 * ((word + 0.5) / 2 ** 32) - 1);
    }
    expect(a).toEqual(expected);
    expect(a.every((v) => Math.abs(v) < LOWRANK_LOGIT_SCALE)).toBe(true);
    expect(new Set(a).size).toBe(45);
    expect(convToLowRank(convW, null, 3, 5, 3, 7).logits.toArray()).toEqual(a);
    expect(convToLowRank(convW, null, 3, 5, 3, 8).logits.toArray()).not.toEqual(a);
    const wide = convToLowRank(convW, null, 3, 5, 3, 7, 2).logits.toArray();
    expectClose(wide, Float32Array.from(a, (v) => (v * 2) / LOWRANK_LOGIT_SCALE), 'scale 2', { rtol: 1e-6, atol: 0 });
    expect(convToLowRank(convW, null, 3, 5, 3, 7, 0).logits.toArray().every((v) => v === 0)).toBe(true);
  });
});

describe('determinism', () => {
  test('the mixing and its gradients give one result on 1, 2 and 3 threads (above the serial threshold)', () => {
    // The CIFAR net's LC1 at rank 9: 2·196·9·4800 ≈ 1.7e7 flops per product, the threaded paths.
    const rnd = random();
    const [P, R, K, bank] = [196, 9, 64, 4800];
    const bases = Tensor.from(rnd.uniform(R * bank), [R, K, 3, 5, 5]);
    const basisBias = Tensor.from(rnd.uniform(R * K), [R, K]);
    const logits = Tensor.from(rnd.uniform(P * R, -2, 2), [14, 14, R]);
    const dw = Tensor.from(rnd.uniform(P * bank), [14, 14, K, 3, 5, 5]);
    const db = Tensor.from(rnd.uniform(P * K), [14, 14, K]);
    const run = () => {
      const m = lowRankMaterialize(bases, basisBias, logits);
      const g = lowRankMaterializeBackward(bases, basisBias, logits, dw, db);
      return [m.weight, m.bias!, g.dBases, g.dBasisBias!, g.dLogits].map((t) => t.toArray());
    };
    const results = atThreadCounts([1, 2, 3], run);
    for (const r of results.slice(1)) expect(r.map((a, i) => firstDifference(a, results[0][i]))).toEqual([-1, -1, -1, -1, -1]);
    // And it is right, at sampled entries.
    const [w] = results[0];
    const a = logits.toArray();
    const B = bases.toArray();
    for (const i of sampleIndices(P * bank, 30, rnd.next)) {
      const p = Math.floor(i / bank);
      let top = -Infinity;
      for (let r = 0; r < R; r++) top = Math.max(top, a[p * R + r]);
      let sum = 0;
      let mixed = 0;
      for (let r = 0; r < R; r++) sum += Math.exp(a[p * R + r] - top);
      for (let r = 0; r < R; r++) mixed += (Math.exp(a[p * R + r] - top) / sum) * B[r * bank + (i % bank)];
      expectClose([w[i]], [mixed], `weight[${i}], seed ${rnd.seed}`, { rtol: 1e-5, atol: 1e-6 });
    }
  });
});

describe('bad inputs', () => {
  const t = (shape: number[]) => Tensor.zeros(shape, { device: 'cpu' });
  const addon = untypedAddon;
  // x [2,3,8,8] with 3x3 kernels: a 6x6 output grid.
  const [x, bases, bb, logits, dy] = [t([2, 3, 8, 8]), t([2, 4, 3, 3, 3]), t([2, 4]), t([6, 6, 2]), t([2, 4, 6, 6])];

  test('shapes that do not fit name the op and the value', () => {
    expect(() => lowRankLocal2d(x, bases, bb, t([6, 6, 3]))).toThrow(
      /^lowRankLocal2d: logits must have shape \[6,6,2\] \(the 6x6 output grid, and one logit per basis: bases has 2\), got \[6,6,3\]$/,
    );
    expect(() => lowRankLocal2d(x, bases, bb, t([5, 6, 2]))).toThrow(/^lowRankLocal2d: logits must have shape \[6,6,2\].*got \[5,6,2\]$/);
    expect(() => lowRankLocal2d(x, bases, bb, logits, { stride: 2 })).toThrow(/^lowRankLocal2d: logits must have shape \[3,3,2\]/);
    expect(() => lowRankLocal2d(x, t([2, 4, 2, 3, 3]), null, logits)).toThrow(/^lowRankLocal2d: bases have 2 input channels \(dimension 2\) but x has 3 channels$/);
    expect(() => lowRankLocal2d(x, t([4, 3, 3, 3]), null, logits)).toThrow(/^lowRankLocal2d: bases must have 5 dimensions \(R,K,C,KH,KW\), got shape \[4,3,3,3\]$/);
    expect(() => lowRankLocal2d(x, bases, t([3, 4]), logits)).toThrow(/^lowRankMix: basisBias must have shape \[2,4\], got \[3,4\]$/);
    expect(() => lowRankLocal2d(x, bases, bb, logits, { padding: 3 })).toThrow(/^lowRankLocal2d: padding top must be less than the kernel height 3, got 3$/);
    expect(() => lowRankLocal2d(x, bases, bb, logits, { stirde: 2 } as Local2dOptions)).toThrow(/^lowRankLocal2d: unknown option 'stirde'/);
    expect(() => lowRankLocal2dBackward(x, bases, bb, logits, t([2, 4, 6, 5]))).toThrow(
      /^lowRankLocal2dBackward: dy must have shape \[2,4,6,6\] \(N,K,OH,OW\), got \[2,4,6,5\]$/,
    );
    expect(() => lowRankLocal2dBackward(x, bases, bb, logits, dy, {}, { needInpt: false } as never)).toThrow(
      /^lowRankLocal2dBackward: unknown option 'needInpt'/,
    );
    expect(() => lowRankLocal2d(x, 'bases' as unknown as Tensor, bb, logits)).toThrow(/^lowRankLocal2d: bases must be a Tensor, got 'bases'$/);
  });

  test('the native exports check everything again, for direct callers', () => {
    const w = t([6, 6, 4, 3, 3, 3]);
    const b = t([6, 6, 4]);
    expect(() => addon().lowRankMix(bases.native, bb.native, t([6, 6, 3]).native, w.native, b.native)).toThrow(
      /^lowRankMix: logits has 3 combining weights per position \(dimension 2\) but bases has 2 bases \(dimension 0\)$/,
    );
    expect(() => addon().lowRankMix(bases.native, bb.native, logits.native, t([6, 5, 4, 3, 3, 3]).native, b.native)).toThrow(
      /^lowRankMix: weight must have shape \[6,6,4,3,3,3\], got \[6,5,4,3,3,3\]$/,
    );
    expect(() => addon().lowRankMix(bases.native, bb.native, logits.native, w.native, null)).toThrow(
      /^lowRankMix: basisBias and bias must both be tensors or both be null$/,
    );
    expect(() => addon().lowRankMix(t([0, 4, 3, 3, 3]).native, null, t([6, 6, 0]).native, w.native, null)).toThrow(
      /^lowRankMix: bases must not be empty, got shape \[0,4,3,3,3\]$/,
    );
    expect(() => addon().lowRankMix(bases.native, null, t([0, 6, 2]).native, t([0, 6, 4, 3, 3, 3]).native, null)).toThrow(
      /^lowRankMix: logits must have at least one output position, got shape \[0,6,2\]$/,
    );
    expect(() => addon().lowRankMix(bases.native, null, logits.native)).toThrow(/^lowRankMix: expected 5 arguments, got 3$/);
    expect(() => addon().lowRankMix(bases.native, null, logits.native, w.native, null, 1)).not.toThrow();
    const dl = t([6, 6, 2]);
    expect(() =>
      addon().lowRankMixBackward(bases.native, bb.native, logits.native, w.native, b.native, t([2, 4, 3, 3, 2]).native, t([2, 4]).native, dl.native),
    ).toThrow(/^lowRankMixBackward: dBases must have shape \[2,4,3,3,3\], got \[2,4,3,3,2\]$/);
    expect(() =>
      addon().lowRankMixBackward(bases.native, bb.native, logits.native, w.native, b.native, t([2, 4, 3, 3, 3]).native, null, dl.native),
    ).toThrow(/^lowRankMixBackward: basisBias and dBasisBias must both be tensors or both be null$/);
    expect(() =>
      addon().lowRankMixBackward(bases.native, bb.native, logits.native, w.native, b.native, t([2, 4, 3, 3, 3]).native, t([2, 4]).native, logits.native),
    ).toThrow(/^lowRankMixBackward: dLogits and logits must not share memory$/);
    const bytes = Tensor.zeros([6, 6, 2], { device: 'cpu', dtype: 'uint8' });
    expect(() => addon().lowRankMix(bases.native, null, bytes.native, w.native, null)).toThrow(/^lowRankMix: logits must be float32, got uint8$/);
  });

  test('convToLowRank: rank, sizes, seed and scale', () => {
    const convW = t([4, 3, 3, 3]);
    expect(() => convToLowRank(convW, null, 6, 6, 0, 1)).toThrow(/^convToLowRank: rank must be an integer in \[1, 2\^31-1\], got 0$/);
    expect(() => convToLowRank(convW, null, 6, 6, 1.5, 1)).toThrow(/^convToLowRank: rank must be an integer in \[1, 2\^31-1\], got 1.5$/);
    expect(() => convToLowRank(convW, null, 0, 6, 2, 1)).toThrow(/^convToLowRank: outputHeight must be an integer in \[1, 2\^31-1\], got 0$/);
    expect(() => convToLowRank(convW, null, 6, 6, 2, -1)).toThrow(/^convToLowRank: seed must be an integer in \[0, 2\^32\), got -1$/);
    expect(() => convToLowRank(convW, null, 6, 6, 2, 1, NaN)).toThrow(/^convToLowRank: scale must be a finite number >= 0, got NaN$/);
    expect(() => convToLowRank(t([4, 3, 3]), null, 6, 6, 2, 1)).toThrow(/^convToLowRank: convW must have 4 dimensions \(K,C,KH,KW\), got shape \[4,3,3\]$/);
    expect(() => convToLowRank(convW, t([5]), 6, 6, 2, 1)).toThrow(/^convToLocal: convB must have shape \[4\], got \[5\]$/);
  });

  test('a throwing call leaks no tensor, and buffers passed in stay alive', () => {
    const leakless = (call: () => unknown, message: RegExp) => {
      const before = memoryStats();
      expect(call).toThrow(message);
      const after = memoryStats();
      expect([after.cpuAllocations, after.cpuBytes]).toEqual([before.cpuAllocations, before.cpuBytes]);
    };
    // Fails in local2dForward, after the weight was materialised.
    const bytes = Tensor.zeros([2, 3, 8, 8], { device: 'cpu', dtype: 'uint8' });
    leakless(() => lowRankLocal2d(bytes, bases, bb, logits), /^local2dForward: x must be float32, got uint8$/);
    // Fails in lowRankMixBackward, after the locally connected gradients and dx were computed.
    const out = { dBases: t([2, 4, 3, 3, 2]) as Tensor<'float32'> };
    leakless(() => lowRankLocal2dBackward(x, bases, bb, logits, dy, {}, { out }), /^lowRankMixBackward: dBases must have shape/);
    expect(out.dBases.disposed).toBe(false);
    const [convW, convB] = [t([4, 3, 3, 3]), t([5])];
    leakless(() => convToLowRank(convW, convB, 6, 6, 2, 1), /^convToLocal: convB must have shape/);
  });
});

// ---------------------------------------------------------------------------------------------

describeCuda('CPU and CUDA agree', () => {
  const parityCases: LowRankCase[] = [
    ...cases,
    // Past the engine's 128 tiles and long enough reductions to split.
    { name: 'LC2-like: 5x5 grid, 64 filters of 32x3x3, rank 9', n: 8, c: 32, h: 7, w: 7, k: 64, kh: 3, kw: 3, options: {}, rank: 9, out: [5, 5] },
  ];
  test.each(parityCases.map((c) => c.name))('the layer and every gradient on the same inputs: %s', (name) => {
    const g = lowRankGeom(parityCases.find((c) => c.name === name)!);
    const rnd = random();
    const d = randomData(rnd, g, g.bias ?? true);
    const cpu = tensors(g, d, 'cpu');
    const gpu = tensors(g, d, 'cuda:0');
    const what = `${name}, seed ${rnd.seed}`;
    const mc = lowRankMaterialize(cpu.bases, cpu.basisBias, cpu.logits);
    const mg = lowRankMaterialize(gpu.bases, gpu.basisBias, gpu.logits);
    expectClose(mg.weight.toArray(), mc.weight.toArray(), `weight ${what}`, { rtol: 1e-5, atol: 1e-6 });
    const yc = lowRankLocal2d(cpu.x, cpu.bases, cpu.basisBias, cpu.logits, g.options);
    const yg = lowRankLocal2d(gpu.x, gpu.bases, gpu.basisBias, gpu.logits, g.options);
    expectClose(yg.toArray(), yc.toArray(), `forward ${what}`, float32Tol);
    const gc = lowRankLocal2dBackward(cpu.x, cpu.bases, cpu.basisBias, cpu.logits, cpu.dy, g.options);
    const gg = lowRankLocal2dBackward(gpu.x, gpu.bases, gpu.basisBias, gpu.logits, gpu.dy, g.options);
    expectClose(gg.dx!.toArray(), gc.dx!.toArray(), `dx ${what}`, float32Tol);
    expectClose(gg.dBases.toArray(), gc.dBases.toArray(), `dBases ${what}`, float32Tol);
    expectClose(gg.dLogits.toArray(), gc.dLogits.toArray(), `dLogits ${what}`, float32Tol);
    if (gc.dBasisBias) expectClose(gg.dBasisBias!.toArray(), gc.dBasisBias.toArray(), `dBasisBias ${what}`, float32Tol);
    // The conversion is exact on both devices alike.
    const convW = rnd.uniform(g.bank);
    const on = (device: string) => convToLowRank(Tensor.from(convW, [g.k, g.c, g.kh, g.kw], { device }), null, g.oh, g.ow, g.rank, 11);
    const [lc, lg] = [on('cpu'), on('cuda:0')];
    expect(lg.logits.toArray()).toEqual(lc.logits.toArray());
    expect(lowRankMaterialize(lg.bases, null, lg.logits).weight.toArray()).toEqual(lowRankMaterialize(lc.bases, null, lc.logits).weight.toArray());
  });

  test('mixing devices is rejected', () => {
    const x = Tensor.zeros([1, 1, 3, 3], { device: 'cpu' });
    const bases = Tensor.zeros([1, 1, 1, 1, 1], { device: 'cuda:0' });
    const logits = Tensor.zeros([3, 3, 1], { device: 'cpu' });
    expect(() => lowRankLocal2d(x, bases, null, logits)).toThrow(/^lowRankLocal2d: bases is on cuda:0 but x is on cpu$/);
  });
});
