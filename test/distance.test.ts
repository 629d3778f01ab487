import { Tensor } from '../src/tensor';
import {
  localDistances,
  localDistancesTensor,
  referenceDistanceArrays,
  referenceDistances,
} from '../src/ops/distance';
import { untypedAddon } from './helpers/untypedAddon';
import { random } from './helpers/random';
import { expectClose } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * PROTOCOL.md "Divergence metric", written plainly in float64: divide the whole kernel by its
 * Frobenius norm; for every centre (i, j) with r <= i < OH-r, r <= j < OW-r and every (a, b) with
 * max(|a|, |b|) = r, average ||W_ij - W_(i+a)(j+b)|| and 1 - cos(W_ij, W_(i+a)(j+b)).
 */
function referenceLocal(w: Float32Array, shape: number[], radii: number[]): { dist: number; cos: number }[] {
  const [oh, ow] = shape;
  const bank = size(shape.slice(2));
  let frobenius = 0;
  for (const x of w) frobenius += x * x;
  const W = Float64Array.from(w, (x) => x / Math.sqrt(frobenius));
  const at = (i: number, j: number, k: number): number => W[(i * ow + j) * bank + k];
  return radii.map((r) => {
    let dist = 0;
    let cos = 0;
    let pairs = 0;
    for (let i = r; i < oh - r; i++) {
      for (let j = r; j < ow - r; j++) {
        for (let a = -r; a <= r; a++) {
          for (let b = -r; b <= r; b++) {
            if (Math.max(Math.abs(a), Math.abs(b)) !== r) continue;
            let diff2 = 0;
            let dot = 0;
            let na = 0;
            let nb = 0;
            for (let k = 0; k < bank; k++) {
              const x = at(i, j, k);
              const y = at(i + a, j + b, k);
              diff2 += (x - y) ** 2;
              dot += x * y;
              na += x * x;
              nb += y * y;
            }
            dist += Math.sqrt(diff2);
            cos += 1 - dot / Math.sqrt(na * nb);
            pairs++;
          }
        }
      }
    }
    return pairs === 0 ? { dist: NaN, cos: NaN } : { dist: dist / pairs, cos: cos / pairs };
  });
}

/** Per position: ||W_ij - ref|| / ||ref|| and 1 - cos(W_ij, ref), in float64. */
function referenceToRef(w: Float32Array, ref: Float32Array, positions: number): { dist: number[]; cos: number[] } {
  const bank = ref.length;
  let refNorm2 = 0;
  for (const y of ref) refNorm2 += y * y;
  const dist: number[] = [];
  const cos: number[] = [];
  for (let p = 0; p < positions; p++) {
    let diff2 = 0;
    let dot = 0;
    let norm2 = 0;
    for (let k = 0; k < bank; k++) {
      const x = w[p * bank + k];
      diff2 += (x - ref[k]) ** 2;
      dot += x * ref[k];
      norm2 += x * x;
    }
    dist.push(Math.sqrt(diff2) / Math.sqrt(refNorm2));
    cos.push(1 - dot / Math.sqrt(norm2 * refNorm2));
  }
  return { dist, cos };
}

// NaN where NaN is expected, close elsewhere.
function expectCloseOrNaN(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void {
  const nanAt = (a: ArrayLike<number>): number[] => Array.from(a).flatMap((x, i) => (Number.isNaN(x) ? [i] : []));
  expect(`${what}: NaN at [${nanAt(actual)}]`).toBe(`${what}: NaN at [${nanAt(expected)}]`);
  const keep = (a: ArrayLike<number>): number[] => Array.from(a).filter((_, i) => !Number.isNaN(expected[i]));
  expectClose(keep(actual), keep(expected), what, { rtol, atol });
}

const flatten = (rows: { dist: number; cos: number }[]): number[] => rows.flatMap((r) => [r.dist, r.cos]);

// Grids: non-square, 1×1, radii without centres, ranks 3 to 6, duplicated radii.
const localCases: { shape: number[]; radii: number[] }[] = [
  { shape: [5, 7, 3, 2, 2], radii: [1, 2, 3] }, // r = 3: 2r >= 5, no centre
  { shape: [6, 4, 10], radii: [1, 2] }, // r = 2: 2r >= OW
  { shape: [1, 1, 4], radii: [1] },
  { shape: [3, 3, 1], radii: [1] }, // one centre, bank of one float
  { shape: [9, 8, 17], radii: [4, 1, 3, 1] },
  { shape: [14, 14, 4, 3, 1, 1], radii: [1, 4] }, // the paper's LC1 grid, small banks
  { shape: [5, 5, 2, 3, 3, 3], radii: [1, 2, 4] }, // the paper's LC2 grid
];

describe('localDistances', () => {
  test.each(testDevices)('matches the PROTOCOL definition on odd grids on %s', (device) => {
    const rnd = random();
    for (const { shape, radii } of localCases) {
      const values = rnd.normal(size(shape));
      const w = Tensor.from(values, shape, { device });
      const result = localDistances(w, radii);
      expect(result.map((r) => r.radius)).toEqual(radii);
      expectCloseOrNaN(flatten(result), flatten(referenceLocal(values, shape, radii)), `[${shape}] r=${radii} seed ${rnd.seed}`);
      w.dispose();
    }
  });

  test.each(testDevices)('the tensor variant keeps [R, 2] on the device and reuses out on %s', (device) => {
    const rnd = random();
    const shape = [7, 6, 5];
    const values = rnd.uniform(size(shape));
    const w = Tensor.from(values, shape, { device });
    const out = Tensor.empty([2, 2], { device });
    const t = localDistancesTensor(w, [2, 1], out);
    expect(t).toBe(out);
    expect(t.device).toBe(w.device);
    expectCloseOrNaN(t.toArray() as Float32Array, flatten(referenceLocal(values, shape, [2, 1])), `out seed ${rnd.seed}`);
    const fresh = localDistancesTensor(w);
    expect(fresh.shape).toEqual([2, 2]); // the papers' radii 1 and 4 by default
    for (const x of [w, out, fresh]) x.dispose();
  });

  test.each(testDevices)('is zero right after tiling one bank to every position, and invariant to scale, on %s', (device) => {
    const rnd = random();
    const shape = [9, 10, 4, 3, 2, 2];
    const bank = size(shape.slice(2));
    const one = rnd.normal(bank);
    const tiled = new Float32Array(size(shape));
    for (let p = 0; p < 90; p++) tiled.set(one, p * bank);
    const w = Tensor.from(tiled, shape, { device });
    for (const r of localDistances(w, [1, 2, 4])) {
      expect(Math.abs(r.dist)).toBeLessThan(1e-6);
      expect(Math.abs(r.cos)).toBeLessThan(1e-6);
    }
    w.dispose();

    // A scaled weight gives the same dist and cos (Frobenius normalisation); scaling each bank by
    // its own positive factor leaves cos unchanged.
    const values = rnd.uniform(size(shape));
    // Neighbouring banks (consecutive positions) alternate between a large and a small factor, so the
    // per-bank scaling always changes dist by far more than rounding (a random factor each could by
    // chance leave it almost where it was).
    const factors = Array.from({ length: 90 }, (_, i) => (i % 2 === 0 ? 4 : 0.25) * (1 + 0.1 * rnd.next()));
    const scaled = Float32Array.from(values, (x) => x * 3.7);
    const perBank = Float32Array.from(values, (x, i) => x * factors[Math.floor(i / bank)]);
    const [base, uniform, each] = [values, scaled, perBank].map((v) => {
      const t = Tensor.from(v, shape, { device });
      const result = localDistances(t, [1, 3]);
      t.dispose();
      return result;
    });
    expectClose(flatten(uniform), flatten(base), `scaled seed ${rnd.seed}`, { rtol: 1e-5, atol: 1e-7 });
    expectClose(each.map((r) => r.cos), base.map((r) => r.cos), `per-bank scaled cos seed ${rnd.seed}`, { rtol: 1e-5, atol: 1e-7 });
    expect(Math.abs(each[0].dist - base[0].dist)).toBeGreaterThan(1e-3); // dist does depend on per-bank scale
  });

  test.each(testDevices)('gives NaN for a zero weight and a NaN cosine for a zero bank on a ring on %s', (device) => {
    const zero = Tensor.zeros([5, 5, 3], { device });
    for (const r of localDistances(zero, [1, 2])) {
      expect(r.dist).toBeNaN();
      expect(r.cos).toBeNaN();
    }
    zero.dispose();
    const rnd = random();
    const shape = [7, 7, 6];
    const values = rnd.uniform(size(shape));
    values.fill(0, 8 * 6, 9 * 6); // position (1, 1): an r = 1 centre, on no r = 3 ring (the border)
    const w = Tensor.from(values, shape, { device });
    const [r1, r3] = localDistances(w, [1, 3]);
    const [e1, e3] = referenceLocal(values, shape, [1, 3]);
    expect(r1.cos).toBeNaN();
    expectClose([r1.dist, r3.dist, r3.cos], [e1.dist, e3.dist, e3.cos], `zero bank seed ${rnd.seed}`);
    w.dispose();
  });
});

describe('referenceDistances', () => {
  test.each(testDevices)('matches a direct float64 loop on %s', (device) => {
    const rnd = random();
    const cases = [
      { shape: [4, 5, 3, 3, 3], refShape: [3, 3, 3] },
      { shape: [1, 1, 7], refShape: [7] },
      { shape: [3, 2, 10], refShape: [2, 5] }, // any shape with one bank's element count
      { shape: [14, 14, 2, 3, 5, 5], refShape: [2, 3, 5, 5] },
    ];
    for (const { shape, refShape } of cases) {
      const refValues = rnd.normal(size(refShape));
      const values = rnd.normal(size(shape));
      const w = Tensor.from(values, shape, { device });
      const ref = Tensor.from(refValues, refShape, { device });
      const out = referenceDistances(w, ref);
      expect(out.shape).toEqual([2, shape[0], shape[1]]);
      expect(out.device).toBe(w.device);
      const expected = referenceToRef(values, refValues, shape[0] * shape[1]);
      expectClose(out.toArray() as Float32Array, [...expected.dist, ...expected.cos], `[${shape}] seed ${rnd.seed}`);
      const arrays = referenceDistanceArrays(w, ref);
      expect(arrays.shape).toEqual([shape[0], shape[1]]);
      expectClose(arrays.dist, expected.dist, `arrays dist seed ${rnd.seed}`);
      expectClose(arrays.cos, expected.cos, `arrays cos seed ${rnd.seed}`);
      for (const t of [w, ref, out]) t.dispose();
    }
  });

  test.each(testDevices)('is zero for tiled banks, NaN for a zero ref, NaN cosine for a zero bank on %s', (device) => {
    const rnd = random();
    const bank = rnd.uniform(12);
    const tiled = new Float32Array(6 * 12);
    for (let p = 0; p < 6; p++) tiled.set(bank, p * 12);
    tiled.fill(0, 5 * 12); // last position all zeros
    const w = Tensor.from(tiled, [2, 3, 12], { device });
    const ref = Tensor.from(bank, [12], { device });
    const { dist, cos } = referenceDistanceArrays(w, ref);
    expectClose(dist, [0, 0, 0, 0, 0, 1], `tiled dist seed ${rnd.seed}`, { rtol: 0, atol: 1e-6 });
    expectCloseOrNaN(cos, [0, 0, 0, 0, 0, NaN], `tiled cos seed ${rnd.seed}`);
    const zero = Tensor.zeros([12], { device });
    const z = referenceDistanceArrays(w, zero);
    expect([...z.dist, ...z.cos].every(Number.isNaN)).toBe(true);
    for (const t of [w, ref, zero]) t.dispose();
  });
});

describe('distance exports reject bad input', () => {
  const cpu = { device: 'cpu' };
  test('shapes, radii, dtypes and aliasing', () => {
    const w = Tensor.zeros([3, 4, 5], cpu);
    const flat = Tensor.zeros([3, 4], cpu);
    expect(() => localDistances(flat, [1])).toThrow(/^localDistances: w must have at least 3 dimensions \(OH,OW,...bank\), got shape \[3,4\]/);
    expect(() => localDistances(w, [])).toThrow(/^localDistances: radii must hold 1 to 16 radii, got 0/);
    expect(() => localDistances(w, [1, 0])).toThrow(/^localDistances: radii\[1\] must be an integer in \[1, \d+\], got 0/);
    expect(() => localDistances(w, [1.5])).toThrow(/radii\[0\] must be an integer in \[1, \d+\], got 1.5/);
    expect(() => localDistances(w, Array(17).fill(1))).toThrow(/radii must hold 1 to 16 radii, got 17/);
    expect(() => localDistances(w, 'big' as unknown as number[])).toThrow(/^localDistances: radii must be an array/);
    const badOut = Tensor.empty([3, 2], cpu);
    expect(() => localDistancesTensor(w, [1, 2], badOut)).toThrow(/^localDistances: out must have shape \[2,2\], got \[3,2\]/);
    const small = Tensor.zeros([2, 1, 2], cpu);
    expect(() => localDistancesTensor(small, [1, 2], small.reshape([2, 2]))).toThrow(/^localDistances: out and w must not share memory/);
    const bytes = Tensor.zeros([3, 4, 5], { device: 'cpu', dtype: 'uint8' });
    expect(() => localDistances(bytes as unknown as Tensor, [1])).toThrow(/^localDistances: w must be float32, got uint8/);
    const empty = Tensor.zeros([3, 0, 5], cpu);
    expect(() => localDistances(empty, [1])).toThrow(/^localDistances: w must not be empty, got shape \[3,0,5\]/);
    const ref = Tensor.zeros([6], cpu);
    expect(() => referenceDistances(w, ref)).toThrow(/^referenceDistances: ref must have 5 elements \(one bank of w \[3,4,5\]\), got shape \[6\]/);
    const ref5 = Tensor.zeros([5], cpu);
    expect(() => referenceDistances(w, ref5, Tensor.empty([2, 4, 3], cpu))).toThrow(/^referenceDistances: out must have shape \[2,3,4\], got \[2,4,3\]/);
    expect(() => referenceDistances(flat, ref5)).toThrow(/^referenceDistances: w must have at least 3 dimensions/);
    expect(() => untypedAddon().referenceDistances(w.native, 5, w.native)).toThrow(
      /^referenceDistances: ref must be a tensor, got 5/,
    );
    for (const t of [w, flat, badOut, small, bytes, empty, ref, ref5]) t.dispose();
  });
});

describeCuda('distances: CPU/CUDA parity', () => {
  test('localDistances and referenceDistances agree on both devices', () => {
    const rnd = random();
    for (const { shape, radii } of [...localCases, { shape: [14, 14, 64, 3, 5, 5], radii: [1, 4] }]) {
      const values = rnd.normal(size(shape));
      const refValues = rnd.normal(size(shape.slice(2)));
      const [cpu, cuda] = ['cpu', 'cuda:0'].map((device) => {
        const w = Tensor.from(values, shape, { device });
        const ref = Tensor.from(refValues, shape.slice(2), { device });
        const local = localDistancesTensor(w, radii);
        expect(local.device).toBe(w.device);
        const toRef = referenceDistances(w, ref);
        const result = { local: local.toArray() as Float32Array, toRef: toRef.toArray() as Float32Array };
        for (const t of [w, ref, local, toRef]) t.dispose();
        return result;
      });
      expectCloseOrNaN(cuda.local, cpu.local, `local parity [${shape}] seed ${rnd.seed}`, 1e-5, 1e-7);
      expectClose(cuda.toRef, cpu.toRef, `reference parity [${shape}] seed ${rnd.seed}`, { rtol: 1e-5, atol: 1e-7 });
    }
    // Tiled and zero weights: exactly the same conventions on both devices.
    const bank = rnd.normal(24);
    const tiled = new Float32Array(6 * 5 * 24);
    for (let p = 0; p < 30; p++) tiled.set(bank, p * 24);
    for (const values of [tiled, new Float32Array(tiled.length)]) {
      const [cpu, cuda] = ['cpu', 'cuda:0'].map((device) => {
        const w = Tensor.from(values, [6, 5, 24], { device });
        const r = localDistances(w, [1, 2, 3]);
        w.dispose();
        return flatten(r);
      });
      expectCloseOrNaN(cuda, cpu, `tiled/zero parity seed ${rnd.seed}`, 0, 1e-6);
    }
  });
});
