import { Tensor } from '../src/tensor';
import { untypedAddon } from './helpers/untypedAddon';
import { dense, denseBackward } from '../src/ops/dense';
import { random } from './helpers/random';
import { expectClose, finiteDifferences, sampleIndices, dot } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';

const rnd = random();
const seed = `seed ${rnd.seed}`;

// Float64 reference: y[n,o] = Σ_i x[n,i]·w[o,i] + b[o].
function denseRef(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null, n: number, inputs: number, outputs: number): Float64Array {
  const y = new Float64Array(n * outputs);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < outputs; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inputs; i++) s += x[r * inputs + i] * w[o * inputs + i];
      y[r * outputs + o] = s;
    }
  return y;
}

// Analytic float64 gradients of sum(y·g): dx = g·w, dw = gᵀ·x, db = Σ_rows g.
function denseGradRef(x: ArrayLike<number>, w: ArrayLike<number>, g: ArrayLike<number>, n: number, inputs: number, outputs: number) {
  const dx = new Float64Array(n * inputs);
  const dw = new Float64Array(outputs * inputs);
  const db = new Float64Array(outputs);
  for (let r = 0; r < n; r++)
    for (let o = 0; o < outputs; o++) {
      const go = g[r * outputs + o];
      db[o] += go;
      for (let i = 0; i < inputs; i++) {
        dx[r * inputs + i] += go * w[o * inputs + i];
        dw[o * inputs + i] += go * x[r * inputs + i];
      }
    }
  return { dx, dw, db };
}

// [N, I, O]: batch 1, single units, odd sizes, channel counts 1, 3, 17, empty batch and empty input.
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [2, 17, 3],
  [5, 3, 17],
  [1, 33, 10],
  [0, 4, 3],
  [4, 0, 3],
];

describe('dense', () => {
  describe.each(testDevices)('on %s', (device) => {
    test.each(shapes)('forward [N=%d, I=%d, O=%d] with and without bias matches float64', (n, inputs, outputs) => {
      const x = rnd.uniform(n * inputs);
      const w = rnd.uniform(outputs * inputs);
      const b = rnd.uniform(outputs);
      const xt = Tensor.from(x, [n, inputs], { device });
      const wt = Tensor.from(w, [outputs, inputs], { device });
      const bt = Tensor.from(b, [outputs], { device });
      const what = `dense forward [${n},${inputs}]x[${outputs},${inputs}] on ${device}, ${seed}`;
      const y = dense(xt, wt, bt);
      expect(y.shape).toEqual([n, outputs]);
      expectClose(y.toArray(), denseRef(x, w, b, n, inputs, outputs), `${what} (bias)`);
      // Without bias, into a preallocated output holding garbage that must be overwritten.
      const out = Tensor.from(new Float32Array(n * outputs).fill(NaN), [n, outputs], { device });
      expect(dense(xt, wt, null, out)).toBe(out);
      expectClose(out.toArray(), denseRef(x, w, null, n, inputs, outputs), `${what} (no bias)`);
    });

    test.each(shapes)('backward [N=%d, I=%d, O=%d] matches the analytic float64 gradients and finite differences', (n, inputs, outputs) => {
      const x = rnd.uniform(n * inputs);
      const w = rnd.uniform(outputs * inputs);
      const b = rnd.uniform(outputs);
      const g = rnd.uniform(n * outputs);
      const what = `dense backward [${n},${inputs}]x[${outputs},${inputs}] on ${device}, ${seed}`;
      const ref = denseGradRef(x, w, g, n, inputs, outputs);
      // Finite differences of the float64 forward's projection sum(y·g) check the analytic reference.
      const x64 = Float64Array.from(x), w64 = Float64Array.from(w), b64 = Float64Array.from(b);
      const f = () => dot(denseRef(x64, w64, b64, n, inputs, outputs), g);
      const pick = (len: number) => sampleIndices(len, 12, rnd.next);
      for (const [name, arr, grad] of [['dx', x64, ref.dx], ['dw', w64, ref.dw], ['db', b64, ref.db]] as const) {
        const idx = pick(arr.length);
        expectClose(finiteDifferences(f, arr, idx), idx.map((i) => grad[i]), `${what}: finite differences of ${name}`, { rtol: 1e-5, atol: 1e-6 });
      }
      const grads = denseBackward(
        Tensor.from(x, [n, inputs], { device }),
        Tensor.from(w, [outputs, inputs], { device }),
        Tensor.from(g, [n, outputs], { device }),
      );
      expect(grads.dx!.shape).toEqual([n, inputs]);
      expect(grads.dw.shape).toEqual([outputs, inputs]);
      expect(grads.db!.shape).toEqual([outputs]);
      expectClose(grads.dx!.toArray(), ref.dx, `${what}: dx`);
      expectClose(grads.dw.toArray(), ref.dw, `${what}: dw`);
      expectClose(grads.db!.toArray(), ref.db, `${what}: db`);
    });

    test('backward can skip dx and db, and overwrites preallocated outputs', () => {
      const [n, inputs, outputs] = [6, 4, 5];
      const x = rnd.uniform(n * inputs), w = rnd.uniform(outputs * inputs), g = rnd.uniform(n * outputs);
      const ref = denseGradRef(x, w, g, n, inputs, outputs);
      const dw = Tensor.from(new Float32Array(outputs * inputs).fill(1e6), [outputs, inputs], { device });
      const grads = denseBackward(
        Tensor.from(x, [n, inputs], { device }),
        Tensor.from(w, [outputs, inputs], { device }),
        Tensor.from(g, [n, outputs], { device }),
        { inputGradient: false, biasGradient: false, dw },
      );
      expect(grads.dx).toBeNull();
      expect(grads.db).toBeNull();
      expect(grads.dw).toBe(dw);
      expectClose(dw.toArray(), ref.dw, `dense backward dw only on ${device}, ${seed}`);
    });
  });

  describe('bad input', () => {
    const x = Tensor.from(rnd.uniform(6), [2, 3], { device: 'cpu' });
    const w = Tensor.from(rnd.uniform(12), [4, 3], { device: 'cpu' });
    const y = Tensor.empty([2, 4], { device: 'cpu' });

    test('mismatched shapes are named', () => {
      expect(() => dense(x, Tensor.empty([4, 2], { device: 'cpu' }), null, y)).toThrow(
        /^denseForward: w must have shape \[O,3\] to match x \[2,3\], got \[4,2\]/,
      );
      expect(() => dense(x, w, Tensor.empty([3], { device: 'cpu' }), y)).toThrow(/^denseForward: b must have shape \[4\], got \[3\]/);
      expect(() => dense(x, w, null, Tensor.empty([2, 5], { device: 'cpu' }))).toThrow(/^denseForward: y must have shape \[2,4\], got \[2,5\]/);
      expect(() => dense(Tensor.empty([2, 3, 1], { device: 'cpu' }), w, null)).toThrow(/^denseForward: x must have 2 dimensions \(N,I\), got shape \[2,3,1\]/);
      expect(() => denseBackward(x, w, Tensor.empty([2, 3], { device: 'cpu' }))).toThrow(/^denseBackward: dy must have shape \[2,4\], got \[2,3\]/);
      expect(() => denseBackward(x, w, y, { dw: Tensor.empty([3, 4], { device: 'cpu' }) })).toThrow(
        /^denseBackward: dw must have shape \[4,3\], got \[3,4\]/,
      );
    });

    test('wrong types, dtypes and argument counts are named', () => {
      const bytes = Tensor.from(new Uint8Array(6), [2, 3], { device: 'cpu' });
      expect(() => dense(bytes, w, null, y)).toThrow(/^denseForward: x must be float32, got uint8/);
      const addon = untypedAddon();
      expect(() => addon.denseForward(x.native, w.native, null)).toThrow(/^denseForward: expected 4 arguments, got 3/);
      expect(() => addon.denseForward(x.native, 'w', null, y.native)).toThrow(/^denseForward: w must be a tensor, got 'w'/);
      expect(() => addon.denseBackward(x.native, w.native, y.native, null, 42, null)).toThrow(/^denseBackward: dw must be a tensor, got 42/);
    });

    test('outputs sharing memory with inputs are rejected', () => {
      const square = Tensor.from(rnd.uniform(9), [3, 3], { device: 'cpu' });
      const sq = Tensor.from(rnd.uniform(9), [3, 3], { device: 'cpu' });
      expect(() => dense(square, sq, null, square)).toThrow(/^denseForward: y and x must not share memory/);
      expect(() => dense(square, sq, null, sq.reshape([3, 3]))).toThrow(/^denseForward: y and w must not share memory/);
      const dy = Tensor.from(rnd.uniform(9), [3, 3], { device: 'cpu' });
      expect(() => denseBackward(square, sq, dy, { dx: dy })).toThrow(/^denseBackward: dx and dy must not share memory/);
      const out = Tensor.empty([3, 3], { device: 'cpu' });
      expect(() => denseBackward(square, sq, dy, { dx: out, dw: out })).toThrow(/^denseBackward: dx and dw must not share memory/);
    });

    test('a disposed tensor is named', () => {
      const gone = Tensor.from(rnd.uniform(12), [4, 3], { device: 'cpu' });
      gone.dispose();
      expect(() => denseBackward(x, w, y, { dw: gone })).toThrow(/^denseBackward: dw is a disposed tensor/);
    });
  });
});

describeCuda('dense CPU/CUDA parity', () => {
  test.each([
    [7, 19, 5],
    [128, 2304 / 16, 1024 / 16],
    [33, 64, 10],
  ])('forward and backward agree [N=%d, I=%d, O=%d]', (n, inputs, outputs) => {
    const x = rnd.uniform(n * inputs), w = rnd.uniform(outputs * inputs, -0.1, 0.1), b = rnd.uniform(outputs), g = rnd.uniform(n * outputs);
    const run = (device: string) => {
      const xt = Tensor.from(x, [n, inputs], { device });
      const wt = Tensor.from(w, [outputs, inputs], { device });
      const y = dense(xt, wt, Tensor.from(b, [outputs], { device }));
      const grads = denseBackward(xt, wt, Tensor.from(g, [n, outputs], { device }));
      return { y: y.toArray(), dx: grads.dx!.toArray(), dw: grads.dw.toArray(), db: grads.db!.toArray() };
    };
    const cpu = run('cpu'), gpu = run('cuda:0');
    for (const key of ['y', 'dx', 'dw', 'db'] as const) expectClose(gpu[key], cpu[key], `dense parity ${key} [${n},${inputs},${outputs}], ${seed}`);
  });
});
