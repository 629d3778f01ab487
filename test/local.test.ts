import { Tensor } from '../src/tensor';
import { untypedAddon } from './helpers/untypedAddon';
import { outputSize, resolvePadding, resolveStride } from '../src/ops/geometry';
import {
  convToLocal,
  local2d,
  local2dBackward,
  local2dBackwardInputInto,
  local2dBackwardWeightInto,
  local2dForwardInto,
  localToConv,
} from '../src/ops/local';
import { Random, random } from './helpers/random';
import { dot, expectClose, finiteDifferences, sampleIndices } from './helpers/compare';
import {
  Case,
  Geom,
  geom,
  localIndex,
  outIndex,
  patchSize,
  positions,
  refConv,
  refLocal,
  refLocalBackward,
} from './helpers/local_reference';
import { atThreadCounts, describeCuda, testDevices } from './helpers/devices';

// ---------------------------------------------------------------------------------------------

const cases: Case[] = [
  { name: 'non-square 7x9, 3x3', n: 2, c: 3, h: 7, w: 9, k: 4, kh: 3, kw: 3, options: {}, out: [5, 7], bias: true },
  { name: 'batch 1, one channel, 1x1 kernel', n: 1, c: 1, h: 4, w: 5, k: 2, kh: 1, kw: 1, options: {}, out: [4, 5], bias: true },
  { name: '17 channels, stride 3 > kernel 2', n: 2, c: 17, h: 8, w: 11, k: 3, kh: 2, kw: 2, options: { stride: 3 }, out: [3, 4], bias: true },
  {
    name: 'padding [1,2,3,0], kernel 3x4, stride [2,1], no bias',
    n: 3, c: 3, h: 6, w: 5, k: 5, kh: 3, kw: 4, options: { stride: [2, 1], padding: [1, 2, 3, 0] }, out: [4, 5], bias: false,
  },
  { name: "'same' padding, stride 2", n: 2, c: 2, h: 7, w: 6, k: 3, kh: 3, kw: 3, options: { stride: 2, padding: 'same' }, out: [4, 3], bias: true },
  { name: 'paper LC1 in miniature (5x5 stride 2)', n: 4, c: 3, h: 12, w: 12, k: 8, kh: 5, kw: 5, options: { stride: 2 }, out: [4, 4], bias: true },
];

function randomInputs(rnd: Random, g: Geom, bias: boolean) {
  return {
    x: rnd.uniform(g.n * g.c * g.h * g.w),
    w: rnd.uniform(positions(g) * g.k * patchSize(g)),
    b: bias ? rnd.uniform(positions(g) * g.k) : null,
    dy: rnd.uniform(g.n * g.k * positions(g)),
  };
}

const shapes = (g: Geom) => ({
  x: [g.n, g.c, g.h, g.w],
  w: [g.oh, g.ow, g.k, g.c, g.kh, g.kw],
  b: [g.oh, g.ow, g.k],
  y: [g.n, g.k, g.oh, g.ow],
});

const float32Tol = { rtol: 1e-4, atol: 1e-4 };
const caseNames = cases.map((cs) => cs.name);

describe('geometry', () => {
  test("'same' follows TensorFlow: total = max((ceil(H/s)-1)*s + K - H, 0), extra row at the bottom", () => {
    expect(resolvePadding('same', [32, 32], [5, 5], [2, 2])).toEqual({ top: 1, bottom: 2, left: 1, right: 2 });
    expect(resolvePadding('same', [7, 6], [3, 3], [2, 2])).toEqual({ top: 1, bottom: 1, left: 0, right: 1 });
    expect(resolvePadding('same', [5, 5], [1, 1], [3, 3])).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    expect(resolvePadding('same', [8, 9], [4, 2], [1, 1])).toEqual({ top: 1, bottom: 2, left: 0, right: 1 });
    expect(resolvePadding('valid', [8, 9], [4, 2], [1, 1])).toEqual({ top: 0, bottom: 0, left: 0, right: 0 });
    expect(resolvePadding(2, [8, 9], [4, 3], [1, 1])).toEqual({ top: 2, bottom: 2, left: 2, right: 2 });
    expect(resolvePadding([0, 1, 2, 3], [8, 9], [4, 4], [1, 1])).toEqual({ top: 0, bottom: 1, left: 2, right: 3 });
  });

  test("output sizes of the paper's CIFAR and MNIST layers, and 'same' gives ceil(H/s)", () => {
    const none = { top: 0, bottom: 0, left: 0, right: 0 };
    expect(outputSize([32, 32], [5, 5], [2, 2], none)).toEqual([14, 14]);
    expect(outputSize([14, 14], [5, 5], [2, 2], none)).toEqual([5, 5]);
    expect(outputSize([5, 5], [3, 3], [1, 1], none)).toEqual([3, 3]);
    expect(outputSize([28, 28], [3, 3], [2, 2], none)).toEqual([13, 13]);
    expect(outputSize([13, 13], [3, 3], [2, 2], none)).toEqual([6, 6]);
    for (const [h, k, s] of [[32, 5, 2], [7, 3, 2], [14, 5, 2], [5, 3, 1], [9, 2, 4], [1, 3, 1]]) {
      const pad = resolvePadding('same', [h, h], [k, k], [s, s]);
      expect(outputSize([h, h], [k, k], [s, s], pad)).toEqual([Math.ceil(h / s), Math.ceil(h / s)]);
    }
  });

  test('bad strides and paddings are rejected with the option named', () => {
    expect(() => resolveStride(0, 'local2d')).toThrow(/local2d: stride must be an integer >= 1, got 0/);
    expect(() => resolveStride([1, 1.5], 'local2d')).toThrow(/stride\[1\] must be an integer >= 1, got 1.5/);
    expect(() => resolvePadding(-1, [4, 4], [3, 3], [1, 1], 'local2d')).toThrow(/local2d: padding must be an integer >= 0, got -1/);
    expect(() => resolvePadding([1, 1, 1] as unknown as [number, number, number, number], [4, 4], [3, 3], [1, 1], 'local2d')).toThrow(
      /padding must be 'valid', 'same', a number or \[top, bottom, left, right\]/,
    );
    expect(() => resolvePadding('full' as 'same', [4, 4], [3, 3], [1, 1], 'local2d')).toThrow(/padding must be/);
    expect(() => outputSize([4, 4], [5, 5], [1, 1], { top: 0, bottom: 0, left: 0, right: 0 }, 'local2d')).toThrow(
      /local2d: the padded input 4x4 is smaller than the kernel 5x5/,
    );
  });
});

describe.each(testDevices)('locally connected layer on %s', (device) => {
  test.each(caseNames)('forward matches the float64 reference: %s', (name) => {
    const cs = cases.find((c) => c.name === name)!;
    const rnd = random();
    const g = geom(cs);
    const data = randomInputs(rnd, g, cs.bias ?? true);
    const sh = shapes(g);
    const x = Tensor.from(data.x, sh.x, { device });
    const w = Tensor.from(data.w, sh.w, { device });
    const b = data.b ? Tensor.from(data.b, sh.b, { device }) : null;
    const y = local2d(x, w, b, cs.options);
    expect(y.shape).toEqual(sh.y);
    expect(y.device).toBe(x.device);
    expectClose(y.toArray(), refLocal(g, data.x, data.w, data.b), `local2d ${name} on ${device}, seed ${rnd.seed}`, float32Tol);
  });

  test.each(caseNames)('backward matches finite differences and the analytic reference: %s', (name) => {
    const cs = cases.find((c) => c.name === name)!;
    const rnd = random();
    const g = geom(cs);
    const data = randomInputs(rnd, g, true);
    const sh = shapes(g);
    const x = Tensor.from(data.x, sh.x, { device });
    const w = Tensor.from(data.w, sh.w, { device });
    const dy = Tensor.from(data.dy, sh.y, { device });
    const grads = local2dBackward(x, w, dy, cs.options);
    const ref = refLocalBackward(g, data.x, data.w, data.dy);
    const what = `local2dBackward ${name} on ${device}, seed ${rnd.seed}`;
    expectClose(grads.dx!.toArray(), ref.dx, `${what}: dx`, float32Tol);
    expectClose(grads.dw.toArray(), ref.dw, `${what}: dw`, float32Tol);
    expectClose(grads.db.toArray(), ref.db, `${what}: db`, float32Tol);

    // Finite differences of the float64 forward's projection sum(y · dy), at sampled entries.
    const x64 = Float64Array.from(data.x);
    const w64 = Float64Array.from(data.w);
    const b64 = Float64Array.from(rnd.uniform(positions(g) * g.k));
    const loss = () => dot(refLocal(g, x64, w64, b64), data.dy);
    for (const [label, values, analytic, native] of [
      ['dx', x64, ref.dx, grads.dx!.toArray()],
      ['dw', w64, ref.dw, grads.dw.toArray()],
      ['db', b64, ref.db, grads.db.toArray()],
    ] as const) {
      const at = sampleIndices(values.length, 12, rnd.next);
      const numeric = finiteDifferences(loss, values, at);
      expectClose(at.map((i) => analytic[i]), numeric, `${what}: analytic ${label} vs finite differences`, { rtol: 1e-6, atol: 1e-6 });
      expectClose(at.map((i) => native[i]), numeric, `${what}: native ${label} vs finite differences`, float32Tol);
    }
  });

  test('above the serial threshold (cpu/parallel.h): 1, 2 and 3 threads give one result, and it is right', () => {
    if (device !== 'cpu') return;
    // 2·N·K·OH·OW·C·KH·KW = 2·8·32·14·14·16·9 ≈ 1.4e7 flops: the threaded paths. The full float64
    // reference is slow at this size, so sampled entries are checked against direct sums.
    const cs: Case = { name: 'threaded', n: 8, c: 16, h: 16, w: 16, k: 32, kh: 3, kw: 3, options: {}, out: [14, 14], bias: true };
    const g = geom(cs);
    const rnd = random();
    const data = randomInputs(rnd, g, true);
    const sh = shapes(g);
    const run = () => {
      const x = Tensor.from(data.x, sh.x, { device });
      const w = Tensor.from(data.w, sh.w, { device });
      const b = Tensor.from(data.b!, sh.b, { device });
      const dy = Tensor.from(data.dy, sh.y, { device });
      const y = local2d(x, w, b, cs.options);
      const grads = local2dBackward(x, w, dy, cs.options);
      const out = { y: y.toArray(), dx: grads.dx!.toArray(), dw: grads.dw.toArray(), db: grads.db.toArray() };
      for (const t of [x, w, b, dy, y, grads.dx!, grads.dw, grads.db]) t.dispose();
      return out;
    };
    const results = atThreadCounts([1, 2, 3], run);
    // Bitwise: the first differing word of each output, -1 when none (toEqual takes seconds here).
    const firstDifference = (a: Float32Array, b: Float32Array) => {
      const [u, v] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
      return u.length !== v.length ? 0 : u.findIndex((word, i) => word !== v[i]);
    };
    for (const r of results.slice(1)) {
      const keys = ['y', 'dx', 'dw', 'db'] as const;
      expect(keys.map((key) => firstDifference(r[key] as Float32Array, results[0][key] as Float32Array))).toEqual([-1, -1, -1, -1]);
    }

    // Direct sums at sampled entries (valid padding: every tap reads the input).
    const { y, dx, dw, db } = results[0];
    const xAt = (n: number, c: number, ih: number, iw: number) => data.x[((n * g.c + c) * g.h + ih) * g.w + iw];
    const P = positions(g);
    const what = `seed ${rnd.seed}`;
    for (const i of sampleIndices(y.length, 40, rnd.next)) {
      const n = Math.floor(i / (g.k * P)), k = Math.floor(i / P) % g.k, p = i % P;
      const [oi, oj] = [Math.floor(p / g.ow), p % g.ow];
      let sum = data.b![p * g.k + k];
      for (let c = 0; c < g.c; c++)
        for (let ki = 0; ki < g.kh; ki++)
          for (let kj = 0; kj < g.kw; kj++) sum += data.w[localIndex(g, p, k, c, ki, kj)] * xAt(n, c, oi + ki, oj + kj);
      expectClose([y[i]], [sum], `y[${i}], ${what}`, float32Tol);
    }
    for (const i of sampleIndices(dw.length, 40, rnd.next)) {
      const kj = i % g.kw, ki = Math.floor(i / g.kw) % g.kh, c = Math.floor(i / (g.kw * g.kh)) % g.c;
      const k = Math.floor(i / patchSize(g)) % g.k, p = Math.floor(i / (patchSize(g) * g.k));
      const [oi, oj] = [Math.floor(p / g.ow), p % g.ow];
      let sum = 0;
      for (let n = 0; n < g.n; n++) sum += data.dy[outIndex(g, n, k, p)] * xAt(n, c, oi + ki, oj + kj);
      expectClose([dw[i]], [sum], `dw[${i}], ${what}`, float32Tol);
    }
    for (const i of sampleIndices(db.length, 20, rnd.next)) {
      const k = i % g.k, p = Math.floor(i / g.k);
      let sum = 0;
      for (let n = 0; n < g.n; n++) sum += data.dy[outIndex(g, n, k, p)];
      expectClose([db[i]], [sum], `db[${i}], ${what}`, float32Tol);
    }
    for (const i of sampleIndices(dx.length, 40, rnd.next)) {
      const iw = i % g.w, ih = Math.floor(i / g.w) % g.h, c = Math.floor(i / (g.w * g.h)) % g.c, n = Math.floor(i / (g.w * g.h * g.c));
      let sum = 0;
      for (let ki = 0; ki < g.kh; ki++)
        for (let kj = 0; kj < g.kw; kj++) {
          const [oi, oj] = [ih - ki, iw - kj];
          if (oi < 0 || oi >= g.oh || oj < 0 || oj >= g.ow) continue;
          const p = oi * g.ow + oj;
          for (let k = 0; k < g.k; k++) sum += data.dy[outIndex(g, n, k, p)] * data.w[localIndex(g, p, k, c, ki, kj)];
        }
      expectClose([dx[i]], [sum], `dx[${i}], ${what}`, float32Tol);
    }
  });

  test('backward without dx, into preallocated buffers that are overwritten, not accumulated', () => {
    const cs = cases[2];
    const rnd = random();
    const g = geom(cs);
    const data = randomInputs(rnd, g, true);
    const sh = shapes(g);
    const x = Tensor.from(data.x, sh.x, { device });
    const w = Tensor.from(data.w, sh.w, { device });
    const dy = Tensor.from(data.dy, sh.y, { device });
    const noInput = local2dBackward(x, w, dy, cs.options, { needInput: false });
    expect(noInput.dx).toBeUndefined();
    const out = {
      dx: Tensor.from(rnd.uniform(x.size), sh.x, { device }),
      dw: Tensor.from(rnd.uniform(w.size), sh.w, { device }),
      db: Tensor.from(rnd.uniform(g.oh * g.ow * g.k), sh.b, { device }),
    };
    for (let repeat = 0; repeat < 2; repeat++) {
      const grads = local2dBackward(x, w, dy, cs.options, { out });
      expect(grads.dx).toBe(out.dx);
      expect(grads.dw).toBe(out.dw);
      expect(grads.db).toBe(out.db);
    }
    const ref = refLocalBackward(g, data.x, data.w, data.dy);
    const what = `preallocated backward on ${device}, seed ${rnd.seed}`;
    expectClose(out.dx.toArray(), ref.dx, `${what}: dx`, float32Tol);
    expectClose(out.dw.toArray(), ref.dw, `${what}: dw`, float32Tol);
    expectClose(out.db.toArray(), ref.db, `${what}: db`, float32Tol);
    expect(noInput.dw.toArray()).toEqual(out.dw.toArray());
    // The lower-level calls: the weight gradient without a bias gradient, and the input gradient alone.
    const dw2 = Tensor.empty(sh.w, { device });
    expect(local2dBackwardWeightInto(x, dy, dw2, null, cs.options).db).toBeNull();
    expect(dw2.toArray()).toEqual(out.dw.toArray());
    const dx2 = Tensor.empty(sh.x, { device });
    local2dBackwardInputInto(dy, w, dx2, cs.options);
    expect(dx2.toArray()).toEqual(out.dx.toArray());
  });

  test('forward into a preallocated output overwrites it', () => {
    const cs = cases[4];
    const rnd = random();
    const g = geom(cs);
    const data = randomInputs(rnd, g, true);
    const sh = shapes(g);
    const x = Tensor.from(data.x, sh.x, { device });
    const w = Tensor.from(data.w, sh.w, { device });
    const b = Tensor.from(data.b!, sh.b, { device });
    const out = Tensor.from(rnd.uniform(g.n * g.k * g.oh * g.ow), sh.y, { device });
    expect(local2d(x, w, b, cs.options, out)).toBe(out);
    expect(local2dForwardInto(x, w, b, out, cs.options)).toBe(out);
    expectClose(out.toArray(), refLocal(g, data.x, data.w, data.b), `forward into out on ${device}, seed ${rnd.seed}`, float32Tol);
  });

  test.each(caseNames)('a converted conv layer reproduces the float64 convolution: %s', (name) => {
    const cs = cases.find((c) => c.name === name)!;
    const rnd = random();
    const g = geom(cs);
    const convW = rnd.uniform(g.k * patchSize(g));
    const convB = cs.bias ? rnd.uniform(g.k) : null;
    const xData = rnd.uniform(g.n * g.c * g.h * g.w);
    const local = convToLocal(
      Tensor.from(convW, [g.k, g.c, g.kh, g.kw], { device }),
      convB ? Tensor.from(convB, [g.k], { device }) : null,
      g.oh,
      g.ow,
    );
    expect(local.weight.shape).toEqual(shapes(g).w);
    expect(local.bias === null).toBe(convB === null);
    if (local.bias) expect(local.bias.shape).toEqual(shapes(g).b);
    const y = local2d(Tensor.from(xData, shapes(g).x, { device }), local.weight, local.bias, cs.options);
    expectClose(y.toArray(), refConv(g, xData, convW, convB), `converted ${name} on ${device}, seed ${rnd.seed}`, float32Tol);
  });

  test('localToConv(convToLocal(w)) gives w back exactly; localToConv averages over positions', () => {
    const rnd = random();
    const convW = rnd.uniform(6 * 5 * 3 * 2);
    const convB = rnd.uniform(6);
    const wT = Tensor.from(convW, [6, 5, 3, 2], { device });
    const bT = Tensor.from(convB, [6], { device });
    const local = convToLocal(wT, bT, 7, 3);
    const back = localToConv(local.weight, local.bias);
    expect(back.weight.shape).toEqual([6, 5, 3, 2]);
    expect(back.weight.toArray()).toEqual(convW);
    expect(back.bias!.toArray()).toEqual(convB);
    expect(localToConv(local.weight, null).bias).toBeNull();

    const P = 4 * 5, bank = 3 * 2 * 2 * 2;
    const lw = rnd.uniform(P * bank);
    const lb = rnd.uniform(P * 3);
    const mean = (values: Float32Array, size: number) =>
      Float64Array.from({ length: size }, (_, i) => {
        let s = 0;
        for (let p = 0; p < P; p++) s += values[p * size + i];
        return s / P;
      });
    const avg = localToConv(Tensor.from(lw, [4, 5, 3, 2, 2, 2], { device }), Tensor.from(lb, [4, 5, 3], { device }));
    expectClose(avg.weight.toArray(), mean(lw, bank), `localToConv mean on ${device}, seed ${rnd.seed}`, { rtol: 1e-6, atol: 1e-7 });
    expectClose(avg.bias!.toArray(), mean(lb, 3), `localToConv bias mean on ${device}, seed ${rnd.seed}`, { rtol: 1e-6, atol: 1e-7 });
  });

  test('positions are independent: changing one bank or bias changes only that position', () => {
    const cs = cases[5];
    const rnd = random();
    const g = geom(cs);
    const data = randomInputs(rnd, g, true);
    const sh = shapes(g);
    const x = Tensor.from(data.x, sh.x, { device });
    const base = local2d(x, Tensor.from(data.w, sh.w, { device }), Tensor.from(data.b!, sh.b, { device }), cs.options).toArray();
    const P = positions(g);
    const bank = g.k * patchSize(g);
    const changedPositions = (y: Float32Array): number[] => {
      const changed = new Set<number>();
      y.forEach((v, i) => {
        if (v !== base[i]) changed.add(i % P);
      });
      return [...changed].sort((a, b) => a - b);
    };
    const p0 = rnd.int(0, P - 1);
    const w2 = Float32Array.from(data.w);
    for (let i = 0; i < bank; i++) w2[p0 * bank + i] += 0.5;
    const y2 = local2d(x, Tensor.from(w2, sh.w, { device }), Tensor.from(data.b!, sh.b, { device }), cs.options).toArray();
    expect(changedPositions(y2)).toEqual([p0]);
    const p1 = rnd.int(0, P - 1);
    const b2 = Float32Array.from(data.b!);
    for (let k = 0; k < g.k; k++) b2[p1 * g.k + k] -= 1;
    const y3 = local2d(x, Tensor.from(data.w, sh.w, { device }), Tensor.from(b2, sh.b, { device }), cs.options).toArray();
    expect(changedPositions(y3)).toEqual([p1]);
  });
});

describe('bad inputs', () => {
  const device = 'cpu';
  const geometryArgs = [1, 1, 0, 0, 0, 0] as const;
  const addon = untypedAddon;
  const t = (shape: number[]) => Tensor.zeros(shape, { device });

  test('a weight grid that does not match the output size', () => {
    expect(() => local2d(t([2, 3, 8, 8]), t([5, 5, 4, 3, 3, 3]), null)).toThrow(
      /local2dForward: w must have shape \[6,6,4,3,3,3\], got \[5,5,4,3,3,3\]/,
    );
    expect(() => local2d(t([2, 3, 8, 8]), t([6, 6, 4, 3, 3, 3]), null, { stride: 2 })).toThrow(
      /local2dForward: w must have shape \[3,3,4,3,3,3\], got \[6,6,4,3,3,3\]/,
    );
    expect(() => local2dBackward(t([2, 3, 8, 8]), t([6, 6, 4, 3, 3, 3]), t([2, 4, 5, 6]))).toThrow(
      /local2dBackwardWeight: dy must have shape \[2,4,6,6\], got \[2,4,5,6\]/,
    );
  });

  test('mismatched channels, bias and output shapes', () => {
    expect(() => local2d(t([2, 3, 8, 8]), t([6, 6, 4, 2, 3, 3]), null)).toThrow(
      /local2dForward: w has 2 input channels \(dimension 3\) but x has 3 channels/,
    );
    expect(() => local2d(t([2, 3, 8, 8]), t([6, 6, 4, 3, 3, 3]), t([6, 6, 5]))).toThrow(
      /local2dForward: b must have shape \[6,6,4\], got \[6,6,5\]/,
    );
    expect(() => local2d(t([2, 3, 8, 8]), t([6, 6, 4, 3, 3, 3]), null, {}, t([2, 4, 6, 5]))).toThrow(
      /local2dForward: y must have shape \[2,4,6,6\], got \[2,4,6,5\]/,
    );
    expect(() => local2dBackwardInputInto(t([2, 4, 6, 6]), t([6, 6, 4, 3, 3, 3]), t([2, 5, 8, 8]))).toThrow(
      /local2dBackwardInput: w has 3 input channels \(dimension 3\) but dx has 5 channels/,
    );
    expect(() => local2d(t([2, 3, 8]), t([6, 6, 4, 3, 3, 3]), null)).toThrow(/local2d: x must have 4 dimensions \(N,C,H,W\), got shape \[2,3,8\]/);
  });

  test('padding, stride and kernel size out of range', () => {
    // The TypeScript layer says it first; the native export checks again for direct callers.
    expect(() => local2d(t([1, 1, 8, 8]), t([8, 8, 1, 1, 3, 3]), null, { padding: 3 })).toThrow(
      /^local2d: padding top must be less than the kernel height 3, got 3/,
    );
    expect(() => local2d(t([1, 1, 8, 8]), t([8, 6, 1, 1, 3, 3]), null, { padding: [1, 1, 0, 3] })).toThrow(
      /^local2d: padding right must be less than the kernel width 3, got 3/,
    );
    const [x8, w8, y8] = [t([1, 1, 8, 8]), t([8, 8, 1, 1, 3, 3]), t([1, 1, 8, 8])];
    expect(() => addon().local2dForward(x8.native, w8.native, null, y8.native, 1, 1, 3, 3, 3, 3)).toThrow(
      /^local2dForward: padTop must be less than the kernel height 3, got 3/,
    );
    // Leading padding of a whole kernel width would make the CPU kernel zero-fill past a patch row.
    expect(() => addon().local2dForward(x8.native, w8.native, null, y8.native, 1, 1, 0, 0, 3, 0)).toThrow(
      /^local2dForward: padLeft must be less than the kernel width 3, got 3/,
    );
    expect(() => addon().local2dBackwardInput(y8.native, w8.native, x8.native, 1, 1, 1, 1, 0, 3)).toThrow(
      /^local2dBackwardInput: padRight must be less than the kernel width 3, got 3/,
    );
    expect(() => local2d(t([1, 1, 8, 8]), t([6, 6, 1, 1, 3, 3]), null, { stride: 0 })).toThrow(/local2d: stride must be an integer >= 1, got 0/);
    expect(() => local2d(t([1, 1, 4, 4]), t([1, 1, 1, 1, 5, 5]), null)).toThrow(/local2d: the padded input 4x4 is smaller than the kernel 5x5/);
    const x = t([1, 1, 4, 4]);
    const w = t([1, 1, 1, 1, 5, 5]);
    const y = t([1, 1, 1, 1]);
    expect(() => addon().local2dForward(x.native, w.native, null, y.native, 1, 1, 0, 0, 0, 0)).toThrow(
      /local2dForward: the padded x height 4\+0\+0 = 4 is smaller than the kernel height 5/,
    );
    expect(() => addon().local2dForward(x.native, w.native, null, y.native, 0, 1, 0, 0, 0, 0)).toThrow(
      /local2dForward: strideH must be in \[1, 2147483647\], got 0/,
    );
    expect(() => addon().local2dForward(x.native, w.native, null, y.native, 1, 1.5, 0, 0, 0, 0)).toThrow(
      /local2dForward: strideW must be an integer, got 1.5/,
    );
    expect(() => addon().local2dBackwardWeight(x.native, y.native, w.native, null, 1, 1, -1, 0, 0, 0)).toThrow(
      /local2dBackwardWeight: padTop must be in \[0, 2147483647\], got -1/,
    );
  });

  test('wrong types, dtypes, empty and disposed tensors, aliasing, argument count', () => {
    const x = t([1, 2, 3, 3]);
    const w = t([3, 3, 2, 2, 1, 1]);
    expect(() => addon().local2dForward(x.native, 'w', null, x.native, ...geometryArgs)).toThrow(/local2dForward: w must be a tensor, got 'w'/);
    expect(() => addon().local2dForward(x.native, w.native, null, x.native)).toThrow(/local2dForward: expected 10 arguments, got 4/);
    // y has x's shape here (1x1 kernel, K == C), so only the aliasing check can catch it.
    expect(() => local2dForwardInto(x, w, null, x)).toThrow(/local2dForward: y and x must not share memory/);
    expect(() => local2dForwardInto(x, w, null, x.reshape([1, 2, 3, 3]))).toThrow(/y and x must not share memory/);
    const bytes = Tensor.zeros([1, 2, 3, 3], { device, dtype: 'uint8' });
    expect(() => local2d(bytes, w, null)).toThrow(/local2dForward: x must be float32, got uint8/);
    expect(() => local2d(t([0, 2, 3, 3]), w, null)).toThrow(/local2dForward: x must not be empty, got shape \[0,2,3,3\]/);
    const gone = t([1, 2, 3, 3]);
    gone.dispose();
    expect(() => addon().local2dForward(gone.native, w.native, null, t([1, 2, 3, 3]).native, ...geometryArgs)).toThrow(
      /local2dForward: x is a disposed tensor/,
    );
    const dw = t([3, 3, 2, 2, 1, 1]);
    expect(() => local2dBackwardWeightInto(x, t([1, 2, 3, 3]), dw, t([3, 3, 3]))).toThrow(
      /local2dBackwardWeight: db must have shape \[3,3,2\], got \[3,3,3\]/,
    );
    expect(() => local2dBackwardWeightInto(x, t([1, 2, 3, 3]), dw, dw.reshape([3, 3, 4]))).toThrow(
      /local2dBackwardWeight: db must have shape \[3,3,2\], got \[3,3,4\]/,
    );
    const db = t([3, 3, 2]);
    expect(() => local2dBackwardWeightInto(x, db.reshape([1, 2, 3, 3]), dw, db)).toThrow(
      /local2dBackwardWeight: db and dy must not share memory/,
    );
  });

  test('conversions check both sides', () => {
    const convW = t([4, 3, 3, 3]);
    expect(() => convToLocal(convW, t([5]), 2, 2)).toThrow(/convToLocal: convB must have shape \[4\], got \[5\]/);
    expect(() => convToLocal(convW, null, 0, 2)).toThrow(/convToLocal: outputHeight must be an integer >= 1, got 0/);
    expect(() => convToLocal(t([4, 3, 3]), null, 2, 2)).toThrow(/convToLocal: convW must have 4 dimensions/);
    expect(() => addon().convToLocal(convW.native, null, t([2, 2, 4, 3, 3, 2]).native, null)).toThrow(
      /convToLocal: localW must have shape \[2,2,4,3,3,3\], got \[2,2,4,3,3,2\]/,
    );
    expect(() => addon().convToLocal(convW.native, t([4]).native, t([2, 2, 4, 3, 3, 3]).native, null)).toThrow(
      /convToLocal: convB and localB must both be tensors or both be null/,
    );
    expect(() => addon().localToConv(t([0, 2, 4, 3, 3, 3]).native, null, convW.native, null)).toThrow(
      /localToConv: localW must have at least one output position/,
    );
    expect(() => addon().localToConv(t([2, 2, 4, 3, 3, 3]).native, t([2, 2, 3]).native, convW.native, t([4]).native)).toThrow(
      /localToConv: localB must have shape \[2,2,4\], got \[2,2,3\]/,
    );
    expect(() => localToConv(t([2, 2, 4, 3, 3]), null)).toThrow(/localToConv: localW must have 6 dimensions/);
  });

  test('the two outputs of a conversion must not share memory (found by the N-API fuzzer)', () => {
    // With C·KH·KW = 1 the weight and the bias have equal sizes, so one can be a view of the other;
    // both are written, so no result could be right. Both calls used to succeed.
    const localW = t([2, 2, 3, 1, 1, 1]);
    expect(() => addon().convToLocal(t([3, 1, 1, 1]).native, t([3]).native, localW.native, localW.reshape([2, 2, 3]).native)).toThrow(
      /^convToLocal: localB and localW must not share memory/,
    );
    const convW = t([3, 1, 1, 1]);
    expect(() => addon().localToConv(localW.native, t([2, 2, 3]).native, convW.native, convW.reshape([3]).native)).toThrow(
      /^localToConv: convB and convW must not share memory/,
    );
  });
});

// ---------------------------------------------------------------------------------------------

const parityCases: Case[] = [
  ...cases,
  // More than one 64-wide tile along the batch, the filters and the taps of the CUDA kernels.
  { name: 'tiles: batch 70, 70 filters, 3x3x9 taps', n: 70, c: 9, h: 9, w: 8, k: 70, kh: 3, kw: 3, options: { stride: 2, padding: 'same' }, out: [5, 4], bias: true },
];

describeCuda('CPU and CUDA agree', () => {
  test.each(parityCases.map((c) => c.name))('every local op on the same inputs: %s', (name) => {
    const cs = parityCases.find((c) => c.name === name)!;
    const rnd = random();
    const g = geom(cs);
    const data = randomInputs(rnd, g, cs.bias ?? true);
    const sh = shapes(g);
    const on = (dev: string) => ({
      x: Tensor.from(data.x, sh.x, { device: dev }),
      w: Tensor.from(data.w, sh.w, { device: dev }),
      b: data.b ? Tensor.from(data.b, sh.b, { device: dev }) : null,
      dy: Tensor.from(data.dy, sh.y, { device: dev }),
    });
    const cpu = on('cpu');
    const gpu = on('cuda:0');
    const what = `${name}, seed ${rnd.seed}`;
    expectClose(local2d(gpu.x, gpu.w, gpu.b, cs.options).toArray(), local2d(cpu.x, cpu.w, cpu.b, cs.options).toArray(), `forward ${what}`, float32Tol);
    const gc = local2dBackward(cpu.x, cpu.w, cpu.dy, cs.options);
    const gg = local2dBackward(gpu.x, gpu.w, gpu.dy, cs.options);
    expectClose(gg.dx!.toArray(), gc.dx!.toArray(), `dx ${what}`, float32Tol);
    expectClose(gg.dw.toArray(), gc.dw.toArray(), `dw ${what}`, float32Tol);
    expectClose(gg.db.toArray(), gc.db.toArray(), `db ${what}`, float32Tol);
    const convW = rnd.uniform(g.k * patchSize(g));
    const convB = rnd.uniform(g.k);
    const lc = convToLocal(Tensor.from(convW, [g.k, g.c, g.kh, g.kw], { device: 'cpu' }), Tensor.from(convB, [g.k], { device: 'cpu' }), g.oh, g.ow);
    const lg = convToLocal(Tensor.from(convW, [g.k, g.c, g.kh, g.kw], { device: 'cuda:0' }), Tensor.from(convB, [g.k], { device: 'cuda:0' }), g.oh, g.ow);
    expect(lg.weight.toArray()).toEqual(lc.weight.toArray());
    expect(lg.bias!.toArray()).toEqual(lc.bias!.toArray());
    const mc = localToConv(cpu.w, cpu.b);
    const mg = localToConv(gpu.w, gpu.b);
    expect(mg.weight.toArray()).toEqual(mc.weight.toArray()); // both sum in double in position order
    if (mc.bias) expect(mg.bias!.toArray()).toEqual(mc.bias.toArray());
  });

  test('mixing devices is rejected', () => {
    const x = Tensor.zeros([1, 1, 3, 3], { device: 'cpu' });
    const w = Tensor.zeros([3, 3, 1, 1, 1, 1], { device: 'cuda:0' });
    const y = Tensor.zeros([1, 1, 3, 3], { device: 'cpu' });
    expect(() => local2dForwardInto(x, w, null, y)).toThrow(/local2dForward: w is on cuda:0 but x is on cpu/);
  });
});
