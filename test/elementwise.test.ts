import { Tensor } from '../src/tensor';
import { nativeAddon } from '../src/native';
import { untypedAddon } from './helpers/untypedAddon';
import { axpy, fill, scale, sum, sumInto, sumSquares, sumSquaresInto } from '../src/ops/elementwise';
import { random } from './helpers/random';
import { expectClose } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';

const rnd = random();
const seed = `seed ${rnd.seed}`;
const sizes = [0, 1, 7, 1e5 + 3];

describe('elementwise', () => {
  describe.each(testDevices)('on %s', (device) => {
    test.each(sizes)('fill, scale and axpy on %d values match float64', (n) => {
      const what = `n=${n} on ${device}, ${seed}`;
      const t = Tensor.from(rnd.uniform(n), [n], { device });
      expect(fill(t, -2.5)).toBe(t);
      expect(t.toArray().every((v) => v === -2.5)).toBe(true);

      const x = rnd.uniform(n);
      const xt = Tensor.from(x, [n], { device });
      expect(scale(xt, -0.75)).toBe(xt);
      expectClose(xt.toArray(), Float64Array.from(x, (v) => v * -0.75), `scale ${what}`, { rtol: 1e-7, atol: 0 });

      const y = rnd.uniform(n);
      const yt = Tensor.from(y, [n], { device });
      const src = rnd.uniform(n);
      expect(axpy(yt, 1.5, Tensor.from(src, [n], { device }))).toBe(yt);
      expectClose(yt.toArray(), Float64Array.from(y, (v, i) => v + 1.5 * src[i]), `axpy ${what}`, { rtol: 1e-6, atol: 1e-7 });
    });

    test.each(sizes)('sum and sumSquares of %d values match float64', (n) => {
      const x = rnd.uniform(n, -1, 3);
      const xt = Tensor.from(x, [n], { device });
      let s = 0, s2 = 0;
      for (const v of x) {
        s += v;
        s2 += v * v;
      }
      const what = `n=${n} on ${device}, ${seed}`;
      // CUDA adds up to 1,024 float block totals with atomics, each rounded at the running total's
      // size: a CPU simulation of the kernel over 2,000 seeds reached 1.08x an rtol of 1e-6.
      const tol = { rtol: device === 'cpu' ? 1e-6 : 5e-6, atol: 1e-6 };
      expectClose([sum(xt)], [s], `sum ${what}`, tol);
      expectClose([sumSquares(xt)], [s2], `sumSquares ${what}`, tol);
      // Into a preallocated device scalar holding garbage (overwritten, not accumulated).
      const out = Tensor.from([123], [1], { device });
      expect(sumInto(xt, out)).toBe(out);
      expectClose(out.toArray(), [s], `sumInto ${what}`, tol);
      expectClose(sumSquaresInto(xt, out).toArray(), [s2], `sumSquaresInto ${what}`, tol);
    });

    test('works on any shape', () => {
      const x = rnd.uniform(2 * 3 * 5);
      const t = Tensor.from(x, [2, 3, 5], { device });
      scale(t, 2);
      expectClose([sum(t)], [2 * x.reduce((a, b) => a + b, 0)], `sum of a [2,3,5] tensor on ${device}, ${seed}`, { rtol: 1e-6, atol: 1e-6 });
    });

    test('the CPU sum does not depend on the thread count', () => {
      if (device !== 'cpu') return;
      const addon = nativeAddon();
      const threads = addon.numThreads();
      const t = Tensor.from(rnd.normal(3e5 + 11), [3e5 + 11], { device });
      const reference = sum(t);
      try {
        addon.setNumThreads(1);
        expect(sum(t)).toBe(reference);
        addon.setNumThreads(3);
        expect(sum(t)).toBe(reference);
      } finally {
        addon.setNumThreads(threads);
      }
    });
  });

  test('bad input is named', () => {
    const x = Tensor.from(rnd.uniform(6), [2, 3], { device: 'cpu' });
    expect(() => fill(x, NaN)).toThrow(/^fill: value must be finite, got NaN/);
    expect(() => scale(x, Infinity)).toThrow(/^scale: alpha must be finite, got Infinity/);
    expect(() => fill(Tensor.empty([2], { device: 'cpu', dtype: 'int32' }), 1)).toThrow(/^fill: t must be float32, got int32/);
    expect(() => axpy(x, 1, Tensor.empty([3, 2], { device: 'cpu' }))).toThrow(/^axpy: x must have shape \[2,3\], got \[3,2\]/);
    expect(() => axpy(x, 1, x)).toThrow(/^axpy: y and x must not share memory/);
    expect(() => sumInto(x, Tensor.empty([2], { device: 'cpu' }))).toThrow(/^sum: out must have shape \[1\], got \[2\]/);
    expect(() => sumSquaresInto(x, x.reshape([6]))).toThrow(/^sumSquares: out must have shape \[1\], got \[6\]/);
    const one = Tensor.from([1], [1], { device: 'cpu' });
    expect(() => sumInto(one, one)).toThrow(/^sum: out and x must not share memory/);
    const addon = untypedAddon();
    expect(() => addon.axpy(x.native, '2', x.native)).toThrow(/^axpy: alpha must be a number, got '2'/);
    expect(() => addon.fill(x.native)).toThrow(/^fill: expected 2 arguments, got 1/);
  });
});

describeCuda('elementwise CPU/CUDA parity', () => {
  test('fill, scale, axpy, sum and sumSquares agree', () => {
    for (const n of [1, 1e5 + 3, (1 << 20) + 7]) {
      const x = rnd.normal(n), y = rnd.normal(n);
      const run = (device: string) => {
        const xt = Tensor.from(x, [n], { device }), yt = Tensor.from(y, [n], { device });
        scale(xt, 0.3);
        axpy(yt, -2, xt);
        const filled = fill(Tensor.empty([n], { device }), 0.125).toArray();
        return { x: xt.toArray(), y: yt.toArray(), filled, sum: sum(yt), sumSquares: sumSquares(yt) };
      };
      const cpu = run('cpu'), gpu = run('cuda:0');
      const what = `elementwise parity n=${n}, ${seed}`;
      expectClose(gpu.x, cpu.x, `${what}: scale`, { rtol: 1e-7, atol: 0 });
      expectClose(gpu.y, cpu.y, `${what}: axpy`, { rtol: 1e-6, atol: 1e-7 });
      expectClose(gpu.filled, cpu.filled, `${what}: fill`, { rtol: 0, atol: 0 });
      // Mean-zero data sums to near 0, so the bound is on Σ|y|: float atomics over 1,024 block
      // totals erred by up to 0.0046 here (0.5e-8·Σ|y|) in a CPU simulation over 2,000 seeds.
      const absSum = cpu.y.reduce((acc, v) => acc + Math.abs(v), 0);
      expectClose([gpu.sum, gpu.sumSquares], [cpu.sum, cpu.sumSquares], `${what}: sums`, { rtol: 1e-5, atol: 2e-8 * absSum });
    }
  });
});
