import { Tensor } from '../src/tensor';
import { untypedAddon } from './helpers/untypedAddon';
import { crossEntropyLoss, readLossStats, relu, reluBackward, softmaxCrossEntropy } from '../src/ops/activation';
import { random } from './helpers/random';
import { dot, expectClose, finiteDifferences, sampleIndices } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';

const rnd = random();
const seed = `seed ${rnd.seed}`;

const reluRef = (x: ArrayLike<number>) => Float64Array.from(x, (v) => (v > 0 ? v : 0));

// Float64 reference of the mean softmax cross-entropy: per-row losses, first-argmax hits and the
// gradient of the mean, (softmax - onehot) / N.
function xentRef(z: ArrayLike<number>, labels: ArrayLike<number>, n: number, classes: number) {
  const grad = new Float64Array(n * classes);
  let lossSum = 0;
  let correct = 0;
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    let argmax = 0;
    for (let c = 0; c < classes; c++) {
      if (z[r * classes + c] > max) {
        max = z[r * classes + c];
        argmax = c;
      }
    }
    let total = 0;
    for (let c = 0; c < classes; c++) total += Math.exp(z[r * classes + c] - max);
    const label = labels[r];
    lossSum += Math.log(total) - (z[r * classes + label] - max);
    if (argmax === label) correct++;
    for (let c = 0; c < classes; c++) grad[r * classes + c] = (Math.exp(z[r * classes + c] - max) / total - (c === label ? 1 : 0)) / n;
  }
  return { lossSum, correct, grad };
}

const randomLabels = (n: number, classes: number) => Uint8Array.from({ length: n }, () => rnd.int(0, classes - 1));

describe('relu', () => {
  describe.each(testDevices)('on %s', (device) => {
    test.each([[1], [7], [3 * 17 * 5], [0]])('forward of %d values (exact zeros included) matches, also in place', (n) => {
      const x = rnd.uniform(n);
      for (let i = 0; i < n; i += 3) x[i] = 0; // the kink itself
      const what = `relu forward n=${n} on ${device}, ${seed}`;
      const xt = Tensor.from(x, [n], { device });
      expectClose(relu(xt).toArray(), reluRef(x), what, { rtol: 0, atol: 0 });
      expect(relu(xt, xt)).toBe(xt); // in place
      expectClose(xt.toArray(), reluRef(x), `${what} (in place)`, { rtol: 0, atol: 0 });
    });

    test('forward keeps any shape and lets NaN through', () => {
      const y = relu(Tensor.from([NaN, -1, 2, -0.5, 0, 3], [2, 1, 3], { device }));
      expect(y.shape).toEqual([2, 1, 3]);
      expect(Array.from(y.toArray())).toEqual([NaN, 0, 2, 0, 0, 3]);
    });

    test.each([[1], [9], [4 * 13], [0]])('backward of %d values: gradient 0 at exactly 0, finite differences, in place', (n) => {
      const x = rnd.uniform(n);
      for (let i = 1; i < n; i += 4) x[i] = 0;
      const g = rnd.uniform(n);
      const what = `relu backward n=${n} on ${device}, ${seed}`;
      const y = reluRef(x);
      const expected = Float64Array.from(g, (v, i) => (y[i] > 0 ? v : 0));
      // Finite differences of sum(relu(x)·g) away from the kink (x == 0 has no derivative).
      const x64 = Float64Array.from(x);
      const smooth = sampleIndices(n, 10, rnd.next).filter((i) => Math.abs(x[i]) > 1e-3);
      const fd = finiteDifferences(() => dot(reluRef(x64), g), x64, smooth);
      expectClose(fd, smooth.map((i) => expected[i]), `${what}: finite differences`, { rtol: 1e-5, atol: 1e-6 });

      const yt = Tensor.from(Float32Array.from(y), [n], { device });
      const dy = Tensor.from(g, [n], { device });
      expectClose(reluBackward(yt, dy).toArray(), expected, what, { rtol: 0, atol: 0 });
      expect(reluBackward(yt, dy, dy)).toBe(dy); // in place
      expectClose(dy.toArray(), expected, `${what} (in place)`, { rtol: 0, atol: 0 });
    });
  });

  test('bad input is named', () => {
    const x = Tensor.from(rnd.uniform(6), [2, 3], { device: 'cpu' });
    expect(() => relu(x, Tensor.empty([3, 2], { device: 'cpu' }))).toThrow(/^reluForward: y must have the shape of x, \[2,3\], got \[3,2\]/);
    expect(() => relu(Tensor.from(new Uint8Array(4), [4], { device: 'cpu' }))).toThrow(/^reluForward: x must be float32, got uint8/);
    expect(() => reluBackward(x, x, x)).toThrow(/^reluBackward: dx and y must not share memory/);
    expect(() => reluBackward(x, Tensor.empty([6], { device: 'cpu' }))).toThrow(/^reluBackward: dy must have the shape of y, \[2,3\], got \[6\]/);
    const addon = untypedAddon();
    expect(() => addon.reluBackward(x.native, x.native)).toThrow(/^reluBackward: expected 3 arguments, got 2/);
  });
});

describe('softmaxCrossEntropy', () => {
  describe.each(testDevices)('on %s', (device) => {
    // [N, C]: a single row, a single class, odd sizes, the CIFAR head, more classes than a warp, no rows.
    test.each([
      [1, 1],
      [1, 10],
      [5, 1],
      [7, 3],
      [16, 10],
      [3, 40],
      [130, 10],
      [0, 4],
    ])('[N=%d, C=%d] loss, correct count and gradient match float64 and finite differences', (n, classes) => {
      const z = rnd.uniform(n * classes, -4, 4);
      const labels = randomLabels(n, classes);
      // Make about half of the rows predicted correctly, so the count is not trivially 0.
      for (let r = 0; r < n; r += 2) z[r * classes + labels[r]] = 5;
      const what = `softmaxCrossEntropy [${n},${classes}] on ${device}, ${seed}`;
      const ref = xentRef(z, labels, n, classes);
      const { dlogits, stats } = softmaxCrossEntropy(Tensor.from(z, [n, classes], { device }), Tensor.from(labels, [n], { device }));
      const [lossSum, correct] = stats.toArray();
      expectClose([lossSum], [ref.lossSum], `${what}: loss sum`);
      expect(correct).toBe(ref.correct);
      expectClose(dlogits!.toArray(), ref.grad, `${what}: dlogits`);
      // The reference gradient against finite differences of the float64 mean loss.
      if (n > 0) {
        const z64 = Float64Array.from(z);
        const idx = sampleIndices(z64.length, 12, rnd.next);
        const fd = finiteDifferences(() => xentRef(z64, labels, n, classes).lossSum / n, z64, idx);
        expectClose(fd, idx.map((i) => ref.grad[i]), `${what}: finite differences`, { rtol: 1e-5, atol: 1e-7 });
      }
    });

    test('huge logits (±1e4) stay finite and exact', () => {
      const [n, classes] = [4, 5];
      const z = Float32Array.from([1e4, -1e4, 0, 1e4 - 1, -5, -1e4, -1e4, -1e4, -1e4, 1e4, 3, 1e4, -1e4, 2, 1, -1e4, 1e4, 1e4, 1e4, 0]);
      const labels = Uint8Array.from([1, 4, 1, 2]);
      const ref = xentRef(z, labels, n, classes);
      const { dlogits, stats } = softmaxCrossEntropy(Tensor.from(z, [n, classes], { device }), Tensor.from(labels, [n], { device }));
      const [lossSum, correct] = stats.toArray();
      expect(Number.isFinite(lossSum)).toBe(true);
      expectClose([lossSum], [ref.lossSum], `huge logits loss on ${device}`);
      expect(ref.lossSum).toBeGreaterThan(2e4); // row 0's label sits 2e4 below the max
      expect(correct).toBe(ref.correct);
      const grad = dlogits!.toArray();
      expect(grad.every(Number.isFinite)).toBe(true);
      expectClose(grad, ref.grad, `huge logits gradient on ${device}`);
    });

    test('ties go to the first maximum', () => {
      // Rows: all equal (argmax 0), a tie between columns 1 and 3, a tie of column 0 with 2.
      const z = Float32Array.from([2, 2, 2, 2, 0, 5, 1, 5, 7, 0, 7, 7]);
      const n = 3, classes = 4;
      const hit = softmaxCrossEntropy(Tensor.from(z, [n, classes], { device }), Tensor.from(Uint8Array.from([0, 1, 0]), [n], { device }), { gradient: false });
      expect(hit.dlogits).toBeNull();
      expect(hit.stats.toArray()[1]).toBe(3);
      const miss = softmaxCrossEntropy(Tensor.from(z, [n, classes], { device }), Tensor.from(Uint8Array.from([3, 3, 2]), [n], { device }));
      expect(miss.stats.toArray()[1]).toBe(0);
      expectClose([miss.stats.toArray()[0]], [xentRef(z, [3, 3, 2], n, classes).lossSum], `ties loss on ${device}`);
    });

    test('stats accumulate across calls and are overwritten without accumulate', () => {
      const [n, classes] = [9, 6];
      const z1 = rnd.uniform(n * classes, -3, 3), z2 = rnd.uniform(n * classes, -3, 3);
      const l1 = randomLabels(n, classes), l2 = randomLabels(n, classes);
      const r1 = xentRef(z1, l1, n, classes), r2 = xentRef(z2, l2, n, classes);
      const stats = Tensor.from([1e3, 1e3], [2], { device }); // garbage: overwritten by the first call
      softmaxCrossEntropy(Tensor.from(z1, [n, classes], { device }), Tensor.from(l1, [n], { device }), { stats, gradient: false });
      softmaxCrossEntropy(Tensor.from(z2, [n, classes], { device }), Tensor.from(l2, [n], { device }), { stats, accumulate: true });
      const [lossSum, correct] = stats.toArray();
      expectClose([lossSum], [r1.lossSum + r2.lossSum], `accumulated loss on ${device}, ${seed}`);
      expect(correct).toBe(r1.correct + r2.correct);
      const read = readLossStats(stats, 2 * n);
      expect(read.correct).toBe(r1.correct + r2.correct);
      expectClose([read.loss, read.accuracy], [(r1.lossSum + r2.lossSum) / (2 * n), (r1.correct + r2.correct) / (2 * n)], `readLossStats, ${seed}`);
      const mean = crossEntropyLoss(Tensor.from(z1, [n, classes], { device }), Tensor.from(l1, [n], { device }));
      expectClose([mean.loss], [r1.lossSum / n], `crossEntropyLoss, ${seed}`);
      expect(mean.correct).toBe(r1.correct);
    });
  });

  test('a label out of range throws naming the row, leaving the outputs untouched', () => {
    const z = Tensor.from(rnd.uniform(12), [4, 3], { device: 'cpu' });
    const stats = Tensor.from([7, 8], [2], { device: 'cpu' });
    const dlogits = Tensor.from(new Float32Array(12).fill(9), [4, 3], { device: 'cpu' });
    expect(() => softmaxCrossEntropy(z, Tensor.from(Uint8Array.from([0, 2, 3, 1]), [4], { device: 'cpu' }), { stats, dlogits })).toThrow(
      /^softmaxCrossEntropy: labels\[2\] is 3, not a class index below 3/,
    );
    expect(Array.from(stats.toArray())).toEqual([7, 8]);
    expect(dlogits.toArray().every((v) => v === 9)).toBe(true);
  });

  test('bad input is named', () => {
    const z = Tensor.from(rnd.uniform(12), [4, 3], { device: 'cpu' });
    const labels = Tensor.from(new Uint8Array(4), [4], { device: 'cpu' });
    expect(() => softmaxCrossEntropy(z, Tensor.from(new Float32Array(4), [4], { device: 'cpu' }))).toThrow(
      /^softmaxCrossEntropy: labels must be uint8, got float32/,
    );
    expect(() => softmaxCrossEntropy(z, Tensor.from(new Uint8Array(3), [3], { device: 'cpu' }))).toThrow(
      /^softmaxCrossEntropy: labels must have shape \[4\], got \[3\]/,
    );
    expect(() => softmaxCrossEntropy(Tensor.empty([4, 0], { device: 'cpu' }), labels)).toThrow(
      /^softmaxCrossEntropy: logits must have at least one class, got shape \[4,0\]/,
    );
    expect(() => softmaxCrossEntropy(z, labels, { stats: Tensor.empty([3], { device: 'cpu' }) })).toThrow(
      /^softmaxCrossEntropy: stats must have shape \[2\], got \[3\]/,
    );
    expect(() => softmaxCrossEntropy(z, labels, { dlogits: z })).toThrow(/^softmaxCrossEntropy: dlogits and logits must not share memory/);
    const addon = untypedAddon();
    const stats = Tensor.empty([2], { device: 'cpu' });
    expect(() => addon.softmaxCrossEntropy(z.native, labels.native, null, stats.native, 1)).toThrow(
      /^softmaxCrossEntropy: accumulate must be a boolean, got 1/,
    );
    expect(() => readLossStats(stats, -1)).toThrow(/rows must be a non-negative integer, got -1/);
  });
});

describeCuda('activation and loss CPU/CUDA parity', () => {
  test('relu forward/backward and softmaxCrossEntropy agree', () => {
    const x = rnd.normal(64 * 14 * 14 + 5);
    const g = rnd.uniform(x.length);
    const run = (device: string) => {
      const y = relu(Tensor.from(x, [x.length], { device }));
      const dx = reluBackward(y, Tensor.from(g, [x.length], { device }));
      return { y: y.toArray(), dx: dx.toArray() };
    };
    const cpu = run('cpu'), gpu = run('cuda:0');
    expectClose(gpu.y, cpu.y, `relu parity, ${seed}`, { rtol: 0, atol: 0 });
    expectClose(gpu.dx, cpu.dx, `relu backward parity, ${seed}`, { rtol: 0, atol: 0 });
    for (const [n, classes] of [[128, 10], [37, 65], [1, 1]]) {
      const z = rnd.uniform(n * classes, -6, 6);
      const labels = randomLabels(n, classes);
      const xent = (device: string) => {
        const stats = Tensor.from([0.5, 2], [2], { device });
        const { dlogits } = softmaxCrossEntropy(Tensor.from(z, [n, classes], { device }), Tensor.from(labels, [n], { device }), { stats, accumulate: true });
        return { grad: dlogits!.toArray(), stats: stats.toArray() };
      };
      const a = xent('cpu'), b = xent('cuda:0');
      expectClose(b.grad, a.grad, `xent parity grad [${n},${classes}], ${seed}`);
      expectClose(b.stats, a.stats, `xent parity stats [${n},${classes}], ${seed}`);
    }
  });

  test('an out-of-range label on CUDA gives a NaN loss and a NaN gradient row, nothing else', () => {
    const z = Tensor.from(rnd.uniform(12), [4, 3], { device: 'cuda:0' });
    const { dlogits, stats } = softmaxCrossEntropy(z, Tensor.from(Uint8Array.from([0, 2, 200, 1]), [4], { device: 'cuda:0' }));
    expect(Number.isNaN(stats.toArray()[0])).toBe(true);
    const grad = dlogits!.toArray();
    expect(grad.slice(6, 9).every(Number.isNaN)).toBe(true);
    expect([...grad.slice(0, 6), ...grad.slice(9)].every(Number.isFinite)).toBe(true);
  });
});
