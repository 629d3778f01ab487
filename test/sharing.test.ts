// Degrees of weight sharing (src/ops/sharing.ts): re-tying toward the mean bank, the soft-tying
// penalty, input masks and the VCP masks, against float64 definitions on fresh random inputs.
import { Tensor } from '../src/tensor';
import { localToConv } from '../src/ops/local';
import { VCP_DOMAIN, maskInputs, tieLocal, tiePenaltyBackward, vcpMask } from '../src/ops/sharing';
import { RandomDomain } from '../src/ops/augment_random';
import { INIT_DOMAIN } from '../src/nn/init';
import { untypedAddon } from './helpers/untypedAddon';
import { random } from './helpers/random';
import { expectClose } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// [OH, OW, K, C, KH, KW]: one position, one filter, odd sizes, a 1-wide kernel, a bank past one
// 128-column tile with the bias starting inside the next, and the paper's LC3 grid with small banks.
const SHAPES: number[][] = [
  [3, 5, 2, 3, 1, 3],
  [1, 1, 4, 3, 2, 2],
  [2, 3, 1, 1, 1, 1],
  [4, 3, 3, 7, 2, 3],
  [3, 3, 5, 4, 3, 3],
];

interface Layer {
  shape: number[];
  w: Float32Array;
  b: Float32Array;
  positions: number;
  bank: number;
  k: number;
}

function layer(rnd: ReturnType<typeof random>, shape: number[]): Layer {
  const positions = shape[0] * shape[1];
  const bank = size(shape.slice(2));
  return { shape, w: rnd.normal(positions * bank), b: rnd.normal(positions * shape[2]), positions, bank, k: shape[2] };
}

/** Column means of a [positions, cols] matrix in float64. */
function means(x: ArrayLike<number>, positions: number, cols: number): Float64Array {
  const m = new Float64Array(cols);
  for (let p = 0; p < positions; p++) for (let i = 0; i < cols; i++) m[i] += x[p * cols + i];
  return m.map((v) => v / positions);
}

/** (1 − α)·x + α·mean per element, in float64. */
function tiedReference(x: Float32Array, positions: number, cols: number, strength: number): Float64Array {
  const m = means(x, positions, cols);
  return Float64Array.from(x, (v, j) => (1 - strength) * v + strength * m[j % cols]);
}

/** λ/2·Σ‖x_p − x̄‖² and its gradient λ·(x − x̄), in float64. */
function penaltyReference(x: ArrayLike<number>, positions: number, cols: number, lambda: number): { value: number; grad: Float64Array } {
  const m = means(x, positions, cols);
  const grad = new Float64Array(x.length);
  let value = 0;
  for (let j = 0; j < x.length; j++) {
    const d = x[j] - m[j % cols];
    value += (lambda / 2) * d * d;
    grad[j] = lambda * d;
  }
  return { value, grad };
}

describe('tieLocal', () => {
  test.each(testDevices)('pulls every position toward the mean bank as the float64 definition does on %s', (device) => {
    const rnd = random();
    for (const shape of SHAPES) {
      const l = layer(rnd, shape);
      const strength = 0.05 + 0.9 * rnd.next();
      const w = Tensor.from(l.w, shape, { device });
      const b = Tensor.from(l.b, [shape[0], shape[1], l.k], { device });
      tieLocal(w, b, strength);
      const what = `[${shape}] strength ${strength} seed ${rnd.seed}`;
      expectClose(w.toArray() as Float32Array, tiedReference(l.w, l.positions, l.bank, strength), `${what} weight`, { rtol: 1e-6, atol: 1e-7 });
      expectClose(b.toArray() as Float32Array, tiedReference(l.b, l.positions, l.k, strength), `${what} bias`, { rtol: 1e-6, atol: 1e-7 });
      // Without a bias the weight is tied just the same.
      const alone = Tensor.from(l.w, shape, { device });
      tieLocal(alone, null, strength);
      expect(alone.toArray()).toEqual(w.toArray());
      for (const t of [w, b, alone]) t.dispose();
    }
  });

  test.each(testDevices)('strength 0 changes nothing; strength 1 makes every position exactly the mean on %s', (device) => {
    const rnd = random();
    for (const shape of SHAPES) {
      const l = layer(rnd, shape);
      const bShape = [shape[0], shape[1], l.k];
      const w = Tensor.from(l.w, shape, { device });
      const b = Tensor.from(l.b, bShape, { device });
      tieLocal(w, b, 0);
      expect(w.toArray()).toEqual(l.w);
      expect(b.toArray()).toEqual(l.b);

      tieLocal(w, b, 1);
      const tiedW = w.toArray() as Float32Array;
      const tiedB = b.toArray() as Float32Array;
      const meanW = Float32Array.from(means(l.w, l.positions, l.bank));
      const meanB = Float32Array.from(means(l.b, l.positions, l.k));
      for (let p = 0; p < l.positions; p++) {
        expect(tiedW.subarray(p * l.bank, (p + 1) * l.bank)).toEqual(meanW);
        expect(tiedB.subarray(p * l.k, (p + 1) * l.k)).toEqual(meanB);
      }
      // The very mean localToConv takes (summed in float64 in position order, rounded once).
      const original = Tensor.from(l.w, shape, { device });
      const originalB = Tensor.from(l.b, bShape, { device });
      const conv = localToConv(original, originalB);
      expect(conv.weight.toArray()).toEqual(tiedW.subarray(0, l.bank));
      expect(conv.bias!.toArray()).toEqual(tiedB.subarray(0, l.k));
      // Tying again is a fixed point.
      tieLocal(w, b, 0.7);
      expect(w.toArray()).toEqual(tiedW);
      for (const t of [w, b, original, originalB, conv.weight, conv.bias!]) t.dispose();
    }
  });
});

describe('tiePenaltyBackward', () => {
  test.each(testDevices)('adds λ(W_p − W̄) to the gradients and the penalty to stats on %s', (device) => {
    const rnd = random();
    for (const shape of SHAPES) {
      const l = layer(rnd, shape);
      const bShape = [shape[0], shape[1], l.k];
      const lambda = 0.01 + 2 * rnd.next();
      const dw0 = rnd.normal(l.w.length);
      const db0 = rnd.normal(l.b.length);
      const [w, b, dw, db] = [l.w, l.b, dw0, db0].map((v, i) => Tensor.from(v, i % 2 === 0 ? shape : bShape, { device }));
      const stats = Tensor.from([0.5], [1], { device });
      tiePenaltyBackward(w, b, dw, db, lambda, stats);
      const pw = penaltyReference(l.w, l.positions, l.bank, lambda);
      const pb = penaltyReference(l.b, l.positions, l.k, lambda);
      const what = `[${shape}] λ ${lambda} seed ${rnd.seed}`;
      expectClose(dw.toArray() as Float32Array, Float64Array.from(dw0, (g, j) => g + pw.grad[j]), `${what} dweight`, { rtol: 1e-6, atol: 1e-6 });
      expectClose(db.toArray() as Float32Array, Float64Array.from(db0, (g, j) => g + pb.grad[j]), `${what} dbias`, { rtol: 1e-6, atol: 1e-6 });
      const value = pw.value + pb.value;
      expectClose(stats.toArray() as Float32Array, [0.5 + value], `${what} stats`, { rtol: 1e-6, atol: 0 });
      // Stats accumulate across calls (the host reads them once an epoch); the inputs are unchanged.
      tiePenaltyBackward(w, b, dw, db, lambda, stats);
      expectClose(stats.toArray() as Float32Array, [0.5 + 2 * value], `${what} stats after two calls`, { rtol: 1e-6, atol: 0 });
      expect(w.toArray()).toEqual(l.w);
      expect(b.toArray()).toEqual(l.b);
      // Without a bias: the weight's share alone.
      const dwAlone = Tensor.zeros(shape, { device });
      const statsAlone = Tensor.zeros([1], { device });
      tiePenaltyBackward(w, null, dwAlone, null, lambda, statsAlone);
      expectClose(dwAlone.toArray() as Float32Array, pw.grad, `${what} dweight without bias`, { rtol: 1e-6, atol: 1e-6 });
      expectClose(statsAlone.toArray() as Float32Array, [pw.value], `${what} stats without bias`, { rtol: 1e-6, atol: 0 });
      for (const t of [w, b, dw, db, stats, dwAlone, statsAlone]) t.dispose();
    }
  });

  test.each(testDevices)('its gradient is the finite difference of the penalty value it accumulates on %s', (device) => {
    const rnd = random();
    for (const shape of [SHAPES[0], SHAPES[3]]) {
      const l = layer(rnd, shape);
      const bShape = [shape[0], shape[1], l.k];
      const lambda = 0.3 + rnd.next();
      const w = Tensor.from(l.w, shape, { device });
      const b = Tensor.from(l.b, bShape, { device });
      const dw = Tensor.zeros(shape, { device });
      const db = Tensor.zeros(bShape, { device });
      const stats = Tensor.zeros([1], { device });
      tiePenaltyBackward(w, b, dw, db, lambda, stats);
      const gradW = dw.toArray() as Float32Array;
      const gradB = db.toArray() as Float32Array;
      // The penalty as the op reports it, at the weights and biases in `wv` and `bv`.
      const penalty = (wv: Float32Array, bv: Float32Array): number => {
        w.write(wv);
        b.write(bv);
        stats.write(new Float32Array([0]));
        tiePenaltyBackward(w, b, dw, db, lambda, stats);
        return (stats.toArray() as Float32Array)[0];
      };
      // The penalty is quadratic in each coordinate, so central differences are exact for any step
      // up to rounding: a large step keeps the float32 value's rounding small against the difference.
      const eps = 0.5;
      const check = (which: 'weight' | 'bias', values: Float32Array, grad: Float32Array): void => {
        const indices = Array.from({ length: 12 }, () => rnd.int(0, values.length - 1));
        const fd = indices.map((i) => {
          const plus = Float32Array.from(values);
          const minus = Float32Array.from(values);
          plus[i] += eps;
          minus[i] -= eps;
          const [wp, bp] = which === 'weight' ? [plus, l.b] : [l.w, plus];
          const [wm, bm] = which === 'weight' ? [minus, l.b] : [l.w, minus];
          return (penalty(wp, bp) - penalty(wm, bm)) / (plus[i] - minus[i]);
        });
        expectClose(indices.map((i) => grad[i]), fd, `[${shape}] ${which} gradient vs finite differences seed ${rnd.seed}`, {
          rtol: 1e-3,
          atol: 2e-4,
        });
      };
      check('weight', l.w, gradW);
      check('bias', l.b, gradB);
      for (const t of [w, b, dw, db, stats]) t.dispose();
    }
  });

  test.each(testDevices)('λ = 0 and a single position change nothing on %s', (device) => {
    const rnd = random();
    for (const [shape, lambda] of [[SHAPES[0], 0], [SHAPES[1], 1.5]] as const) {
      const l = layer(rnd, shape);
      const bShape = [shape[0], shape[1], l.k];
      const dw0 = rnd.normal(l.w.length);
      const w = Tensor.from(l.w, shape, { device });
      const b = Tensor.from(l.b, bShape, { device });
      const dw = Tensor.from(dw0, shape, { device });
      const db = Tensor.zeros(bShape, { device });
      const stats = Tensor.from([3], [1], { device });
      tiePenaltyBackward(w, b, dw, db, lambda, stats);
      expect(dw.toArray()).toEqual(dw0);
      expect(Array.from(db.toArray())).toEqual(new Array(l.b.length).fill(0));
      expect(stats.toArray()[0]).toBe(3);
      for (const t of [w, b, dw, db, stats]) t.dispose();
    }
  });
});

describe('maskInputs', () => {
  test.each(testDevices)('multiplies every sample by the mask, into a new tensor, a given one or in place, on %s', (device) => {
    const rnd = random();
    for (const shape of [[1, 3, 4, 4], [5, 7], [2, 3, 1, 5], [4, 1]]) {
      const sample = shape.slice(1);
      const xv = rnd.normal(size(shape));
      const mv = Float32Array.from(rnd.uniform(size(sample)), (u) => (u < -0.3 ? 0 : u < 0.6 ? 1 : u));
      const expected = Float32Array.from(xv, (v, i) => v * mv[i % size(sample)]);
      const x = Tensor.from(xv, shape, { device });
      const mask = Tensor.from(mv, sample, { device });
      const y = maskInputs(x, mask);
      expect(y.shape).toEqual(shape);
      expect(y.device).toBe(x.device);
      expect(y.toArray()).toEqual(expected);
      const out = Tensor.empty(shape, { device });
      expect(maskInputs(x, mask, out)).toBe(out);
      expect(out.toArray()).toEqual(expected);
      expect(maskInputs(x, mask, x)).toBe(x);
      expect(x.toArray()).toEqual(expected);
      for (const t of [x, mask, y, out]) t.dispose();
    }
  });
});

describe('vcpMask', () => {
  test('is reproducible, 0/1 valued, and drops each element with probability drop', () => {
    const rnd = random();
    const seed = rnd.int(0, 2 ** 32 - 1);
    const shape = [3, 32, 32];
    const a = vcpMask(shape, 0.3, seed, 'cpu');
    const b = vcpMask(shape, 0.3, seed, 'cpu');
    expect(a.shape).toEqual(shape);
    expect(a.dtype).toBe('float32');
    expect(a.toArray()).toEqual(b.toArray());
    const other = vcpMask(shape, 0.3, (seed + 1) >>> 0, 'cpu');
    expect(other.toArray()).not.toEqual(a.toArray());
    // A mask of more drop keeps a subset of the elements (the same draws, a higher threshold).
    const more = vcpMask(shape, 0.6, seed, 'cpu').toArray();
    const values = a.toArray();
    expect(values.every((v, i) => v === 0 || v === 1 || more[i] === 0)).toBe(true);
    expect(values.every((v, i) => more[i] <= v)).toBe(true);
    for (const t of [a, b, other]) t.dispose();

    // The drop rate within 5 binomial standard deviations, over 50,000 elements.
    const n = 50_000;
    for (const drop of [0.05, 0.5, 0.9]) {
      const m = vcpMask([n], drop, seed, 'cpu');
      const dropped = (m.toArray() as Float32Array).reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
      const sd = Math.sqrt(n * drop * (1 - drop));
      expect(Math.abs(dropped - n * drop)).toBeLessThan(5 * sd);
      m.dispose();
    }
    const none = vcpMask([7, 9], 0, seed, 'cpu');
    expect(Array.from(none.toArray()).every((v) => v === 1)).toBe(true);
    const empty = vcpMask([0, 5], 0.5, seed, 'cpu');
    expect(empty.size).toBe(0);
    const scalar = vcpMask([], 0.5, seed, 'cpu');
    expect(scalar.shape).toEqual([]);
    for (const t of [none, empty, scalar]) t.dispose();
  });

  test('uses a Philox domain of its own', () => {
    expect(Object.values(RandomDomain)).not.toContain(VCP_DOMAIN);
    expect([101, 102, 103, INIT_DOMAIN]).not.toContain(VCP_DOMAIN);
  });
});

describe('sharing ops reject bad input, naming the op and the value', () => {
  const cpu = { device: 'cpu' };
  test('tieLocal', () => {
    const w = Tensor.zeros([2, 3, 4, 1, 1, 1], cpu);
    const b = Tensor.zeros([2, 3, 4], cpu);
    expect(() => tieLocal(w, b, 1.5)).toThrow(/^tieLocal: strength must be in \[0, 1\], got 1.5$/);
    expect(() => tieLocal(w, b, -0.25)).toThrow(/^tieLocal: strength must be in \[0, 1\], got -0.25$/);
    expect(() => tieLocal(w, b, NaN)).toThrow(/^tieLocal: strength must be finite, got NaN$/);
    expect(() => untypedAddon().tieLocal(w.native, b.native, '1')).toThrow(/^tieLocal: strength must be a number, got '1'$/);
    const flat = Tensor.zeros([2, 3, 4], cpu);
    expect(() => tieLocal(flat, null, 1)).toThrow(/^tieLocal: weight must have 6 dimensions \(OH,OW,K,C,KH,KW\), got shape \[2,3,4\]$/);
    const badBias = Tensor.zeros([3, 2, 4], cpu);
    expect(() => tieLocal(w, badBias, 1)).toThrow(/^tieLocal: bias must have shape \[2,3,4\], got \[3,2,4\]$/);
    const noPositions = Tensor.zeros([0, 3, 4, 1, 1, 1], cpu);
    expect(() => tieLocal(noPositions, null, 1)).toThrow(/^tieLocal: weight must have at least one output position, got shape \[0,3,4,1,1,1\]$/);
    // bias as a view of the weight: both are written.
    expect(() => tieLocal(w, w.reshape([2, 3, 4]), 1)).toThrow(/^tieLocal: bias and weight must not share memory$/);
    const bytes = Tensor.zeros([2, 3, 4, 1, 1, 1], { device: 'cpu', dtype: 'uint8' });
    expect(() => tieLocal(bytes, null, 1)).toThrow(/^tieLocal: weight must be float32, got uint8$/);
    const gone = Tensor.zeros([2, 3, 4], cpu);
    gone.dispose();
    expect(() => tieLocal(w, gone, 1)).toThrow(/^tieLocal: bias is a disposed tensor$/);
    expect(() => untypedAddon().tieLocal(w.native, gone.native, 1)).toThrow(/^tieLocal: bias is a disposed tensor$/);
    expect(() => untypedAddon().tieLocal(w.native, b.native)).toThrow(/^tieLocal: expected 3 arguments, got 2$/);
    for (const t of [w, b, flat, badBias, noPositions, bytes]) t.dispose();
  });

  test('tiePenaltyBackward', () => {
    const shape = [2, 2, 3, 2, 1, 1];
    const [w, dw] = [0, 0].map(() => Tensor.zeros(shape, cpu));
    const [b, db] = [0, 0].map(() => Tensor.zeros([2, 2, 3], cpu));
    const stats = Tensor.zeros([1], cpu);
    expect(() => tiePenaltyBackward(w, b, dw, db, -1, stats)).toThrow(/^tiePenaltyBackward: lambda must be in \[0, 3.4e38\] \(finite, >= 0\), got -1$/);
    expect(() => tiePenaltyBackward(w, b, dw, db, 1e39, stats)).toThrow(/^tiePenaltyBackward: lambda must be in \[0, 3.4e38\] \(finite, >= 0\), got 9\.9+\d*e\+38$/);
    expect(() => tiePenaltyBackward(w, b, dw, db, Infinity, stats)).toThrow(/^tiePenaltyBackward: lambda must be finite, got Infinity$/);
    const stats2 = Tensor.zeros([2], cpu);
    expect(() => tiePenaltyBackward(w, b, dw, db, 1, stats2)).toThrow(/^tiePenaltyBackward: stats must have shape \[1\], got \[2\]$/);
    const dwBad = Tensor.zeros([2, 2, 3, 1, 2, 1], cpu);
    expect(() => tiePenaltyBackward(w, b, dwBad, db, 1, stats)).toThrow(/^tiePenaltyBackward: dweight must have shape \[2,2,3,2,1,1\], got \[2,2,3,1,2,1\]$/);
    expect(() => tiePenaltyBackward(w, b, dw, null, 1, stats)).toThrow(/^tiePenaltyBackward: bias and dbias must both be tensors or both be null$/);
    expect(() => tiePenaltyBackward(w, b, w, db, 1, stats)).toThrow(/^tiePenaltyBackward: dweight and weight must not share memory$/);
    expect(() => tiePenaltyBackward(w, b, dw, db, 1, 'stats' as never)).toThrow(/^tiePenaltyBackward: stats must be a Tensor, got 'stats'$/);
    // stats accumulating into a view of the bias gradient (K = 1, one position).
    const [one, oneD] = [0, 0].map(() => Tensor.zeros([1, 1, 1, 1, 1, 1], cpu));
    const [oneB, oneDB] = [0, 0].map(() => Tensor.zeros([1, 1, 1], cpu));
    expect(() => tiePenaltyBackward(one, oneB, oneD, oneDB, 1, oneDB.reshape([1]))).toThrow(
      /^tiePenaltyBackward: stats and dbias must not share memory$/,
    );
    // Reading the same memory as weight and bias is fine: both are only read.
    expect(() => tiePenaltyBackward(one, one.reshape([1, 1, 1]), oneD, oneDB, 1, stats)).not.toThrow();
    const intStats = Tensor.zeros([1], { device: 'cpu', dtype: 'int32' });
    expect(() => tiePenaltyBackward(w, b, dw, db, 1, intStats)).toThrow(/^tiePenaltyBackward: stats must be float32, got int32$/);
    expect(() => untypedAddon().tiePenaltyBackward(w.native, b.native, dw.native, db.native, 1)).toThrow(
      /^tiePenaltyBackward: expected 6 arguments, got 5$/,
    );
    for (const t of [w, dw, b, db, stats, stats2, dwBad, one, oneD, oneB, oneDB, intStats]) t.dispose();
  });

  test('maskInputs', () => {
    const x = Tensor.zeros([2, 3, 4], cpu);
    const mask = Tensor.zeros([3, 4], cpu);
    const badMask = Tensor.zeros([4, 3], cpu);
    expect(() => maskInputs(x, badMask)).toThrow(/^maskInputs: mask must have shape \[3,4\], got \[4,3\]$/);
    const badOut = Tensor.zeros([2, 12], cpu);
    expect(() => maskInputs(x, mask, badOut)).toThrow(/^maskInputs: out must have shape \[2,3,4\], got \[2,12\]$/);
    const scalar = Tensor.zeros([], cpu);
    expect(() => maskInputs(scalar, scalar)).toThrow(/^maskInputs: x must have a batch dimension \(N,...\), got shape \[\]$/);
    // out may be x, but not the mask.
    const one = Tensor.zeros([1, 3, 4], cpu);
    expect(() => maskInputs(one, mask, mask.reshape([1, 3, 4]))).toThrow(/^maskInputs: out and mask must not share memory$/);
    expect(() => maskInputs(x, 'mask' as never)).toThrow(/^maskInputs: mask must be a Tensor, got 'mask'$/);
    expect(() => untypedAddon().maskInputs(x.native, mask.native, 3)).toThrow(/^maskInputs: out must be a tensor, got 3$/);
    for (const t of [x, mask, badMask, badOut, scalar, one]) t.dispose();
  });

  test('vcpMask', () => {
    expect(() => vcpMask([3], 1, 0, 'cpu')).toThrow(/^vcpMask: drop must be a number in \[0, 1\), got 1$/);
    expect(() => vcpMask([3], -0.1, 0, 'cpu')).toThrow(/^vcpMask: drop must be a number in \[0, 1\), got -0.1$/);
    expect(() => vcpMask([3], NaN, 0, 'cpu')).toThrow(/^vcpMask: drop must be a number in \[0, 1\), got NaN$/);
    expect(() => vcpMask([3], 0.5, -1, 'cpu')).toThrow(/^vcpMask: seed must be an integer in \[0, 2\^32\), got -1$/);
    expect(() => vcpMask([3], 0.5, 2 ** 32, 'cpu')).toThrow(/^vcpMask: seed must be an integer in \[0, 2\^32\), got 4294967296$/);
    expect(() => vcpMask([3], 0.5, 1.5, 'cpu')).toThrow(/^vcpMask: seed must be an integer in \[0, 2\^32\), got 1.5$/);
    expect(() => vcpMask([3, -1], 0.5, 0, 'cpu')).toThrow(/^vcpMask: shape\[1\] must be an integer >= 0, got -1$/);
    expect(() => vcpMask('3' as never, 0.5, 0, 'cpu')).toThrow(/^vcpMask: shape must be an array of sizes, got '3'$/);
    expect(() => vcpMask([2 ** 20, 2 ** 20], 0.5, 0, 'cpu')).toThrow(/^vcpMask: shape \[1048576,1048576\] has \d+ elements/);
    expect(() => vcpMask([3], 0.5, 0, 'tpu')).toThrow(/^vcpMask: bad device "tpu": expected 'cpu', 'cuda' or 'cuda:N'$/);
  });
});

describeCuda('sharing: CPU/CUDA parity', () => {
  test('every op gives the same result bit for bit on both devices', () => {
    const rnd = random();
    for (const shape of [...SHAPES, [14, 14, 8, 3, 5, 5]]) {
      const l = layer(rnd, shape);
      const bShape = [shape[0], shape[1], l.k];
      const dw0 = rnd.normal(l.w.length);
      const db0 = rnd.normal(l.b.length);
      const strength = rnd.next();
      const lambda = 2 * rnd.next();
      const [cpu, cuda] = ['cpu', 'cuda:0'].map((device) => {
        const w = Tensor.from(l.w, shape, { device });
        const b = Tensor.from(l.b, bShape, { device });
        const dw = Tensor.from(dw0, shape, { device });
        const db = Tensor.from(db0, bShape, { device });
        const stats = Tensor.from([0.25], [1], { device });
        tiePenaltyBackward(w, b, dw, db, lambda, stats);
        tieLocal(w, b, strength);
        const tiedW = Tensor.from(l.w, shape, { device });
        tieLocal(tiedW, null, 1);
        const result = [w, b, dw, db, stats, tiedW].map((t) => Array.from(t.toArray()));
        for (const t of [w, b, dw, db, stats, tiedW]) t.dispose();
        return result;
      });
      expect(cuda).toEqual(cpu);
    }
    const xv = rnd.normal(3 * 64 * 7 * 7);
    const [cpu, cuda] = ['cpu', 'cuda:0'].map((device) => {
      const x = Tensor.from(xv, [3, 64, 7, 7], { device });
      const mask = vcpMask([64, 7, 7], 0.4, 12345, device);
      expect(mask.device).toBe(x.device);
      const y = maskInputs(x, mask);
      const result = [Array.from(mask.toArray()), Array.from(y.toArray())];
      for (const t of [x, mask, y]) t.dispose();
      return result;
    });
    expect(cuda).toEqual(cpu);
  });
});
