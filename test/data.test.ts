import { Tensor } from '../src/tensor';
import { untypedAddon } from './helpers/untypedAddon';
import { gatherBatch } from '../src/ops/data';
import { random } from './helpers/random';
import { expectClose } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';

const rnd = random();
const seed = `seed ${rnd.seed}`;

// A random uint8 dataset [M, ...rest] with labels, and a random permutation of its rows.
function dataset(samples: number, rest: number[]) {
  const size = rest.reduce((a, b) => a * b, 1);
  const images = Uint8Array.from({ length: samples * size }, () => rnd.int(0, 255));
  const labels = Uint8Array.from({ length: samples }, () => rnd.int(0, 9));
  const order = Int32Array.from({ length: samples }, (_, i) => i);
  for (let i = samples - 1; i > 0; i--) {
    const j = rnd.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return { images, labels, order, size };
}

function gatherRef(images: Uint8Array, labels: Uint8Array, order: Int32Array, size: number, offset: number, count: number, scale: number) {
  const x = new Float64Array(count * size);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const j = order[offset + i];
    for (let k = 0; k < size; k++) x[i * size + k] = images[j * size + k] * scale;
    y[i] = labels[j];
  }
  return { x, y };
}

describe('gatherBatch', () => {
  describe.each(testDevices)('on %s', (device) => {
    test.each([
      [50, [3, 4, 5], 0, 16],
      [50, [3, 4, 5], 37, 13], // the last, short batch of the epoch
      [9, [1, 7, 3], 4, 1],
      [20, [17], 0, 20],
      [5, [], 1, 3], // scalar samples
      [6, [2, 2], 6, 0], // empty batch at the end
    ] as [number, number[], number, number][])('M=%d rest=%j offset=%d count=%d matches the reference', (samples, rest, offset, count) => {
      const { images, labels, order, size } = dataset(samples, rest);
      const what = `gatherBatch M=${samples} rest=[${rest}] offset=${offset} count=${count} on ${device}, ${seed}`;
      const ref = gatherRef(images, labels, order, size, offset, count, 1 / 255);
      const { x, y } = gatherBatch(
        Tensor.from(images, [samples, ...rest], { device }),
        Tensor.from(labels, [samples], { device }),
        Tensor.from(order, [samples], { device }),
        offset,
        count,
      );
      expect(x.shape).toEqual([count, ...rest]);
      expect(x.dtype).toBe('float32');
      expect(y.dtype).toBe('uint8');
      expectClose(x.toArray(), ref.x, what, { rtol: 1e-7, atol: 0 });
      expect(Array.from(y.toArray())).toEqual(Array.from(ref.y));
    });

    test('an index list with repeats and a custom scale, into preallocated outputs', () => {
      const { images, labels, size } = dataset(8, [2, 3]);
      const order = Int32Array.from([7, 7, 0, 3, 0]);
      const x = Tensor.from(new Float32Array(3 * size).fill(NaN), [3, 2, 3], { device });
      const y = Tensor.empty([3], { device, dtype: 'uint8' });
      const out = gatherBatch(Tensor.from(images, [8, 2, 3], { device }), Tensor.from(labels, [8], { device }), Tensor.from(order, [5], { device }), 1, 3, { scale: 2, x, y });
      expect(out.x).toBe(x);
      expect(out.y).toBe(y);
      const ref = gatherRef(images, labels, order, size, 1, 3, 2);
      expectClose(x.toArray(), ref.x, `gatherBatch repeats on ${device}, ${seed}`, { rtol: 0, atol: 0 });
      expect(Array.from(y.toArray())).toEqual(Array.from(ref.y));
    });
  });

  describe('bad input', () => {
    const { images, labels, order } = dataset(10, [2, 2]);
    const imagesT = Tensor.from(images, [10, 2, 2], { device: 'cpu' });
    const labelsT = Tensor.from(labels, [10], { device: 'cpu' });
    const orderT = Tensor.from(order, [10], { device: 'cpu' });

    test('indices outside the dataset throw naming the index, on the CPU', () => {
      const bad = Int32Array.from(order);
      bad[6] = 10;
      const x = Tensor.from(new Float32Array(5 * 4).fill(3), [5, 2, 2], { device: 'cpu' });
      expect(() => gatherBatch(imagesT, labelsT, Tensor.from(bad, [10], { device: 'cpu' }), 4, 5, { x })).toThrow(
        /^gatherBatch: order\[6\] is 10, outside the dataset's 10 rows/,
      );
      expect(x.toArray().every((v) => v === 3)).toBe(true); // nothing written
      bad[6] = -1;
      expect(() => gatherBatch(imagesT, labelsT, Tensor.from(bad, [10], { device: 'cpu' }), 0, 10)).toThrow(/^gatherBatch: order\[6\] is -1/);
      // The bad entry outside the gathered range is not read.
      expect(gatherBatch(imagesT, labelsT, Tensor.from(bad, [10], { device: 'cpu' }), 7, 3).y.shape).toEqual([3]);
    });

    test('offset + count beyond the order is rejected', () => {
      expect(() => gatherBatch(imagesT, labelsT, orderT, 8, 3)).toThrow(/^gatherBatch: offset \+ count must be at most the order's length 10, got 8 \+ 3/);
      expect(() => gatherBatch(imagesT, labelsT, orderT, -1, 3)).toThrow(/^gatherBatch: offset must be in \[0, 2147483647\], got -1/);
      expect(() => gatherBatch(imagesT, labelsT, orderT, 0.5, 3)).toThrow(/^gatherBatch: offset must be an integer, got 0.5/);
      expect(() => gatherBatch(imagesT, labelsT, orderT, 0, -2)).toThrow(/count must be a non-negative integer, got -2/);
    });

    test('wrong dtypes and shapes are named', () => {
      expect(() => gatherBatch(Tensor.from(new Float32Array(40), [10, 2, 2], { device: 'cpu' }), labelsT, orderT, 0, 2)).toThrow(
        /^gatherBatch: images must be uint8, got float32/,
      );
      expect(() => gatherBatch(imagesT, Tensor.from(new Uint8Array(9), [9], { device: 'cpu' }), orderT, 0, 2)).toThrow(
        /^gatherBatch: labels must have shape \[10\], got \[9\]/,
      );
      expect(() => gatherBatch(imagesT, labelsT, Tensor.from(new Uint8Array(10), [10], { device: 'cpu' }), 0, 2)).toThrow(
        /^gatherBatch: order must be int32, got uint8/,
      );
      expect(() => gatherBatch(imagesT, labelsT, orderT, 0, 2, { x: Tensor.empty([2, 4], { device: 'cpu' }) })).toThrow(
        /^gatherBatch: x must have shape \[2,2,2\], got \[2,4\]/,
      );
      expect(() => gatherBatch(imagesT, labelsT, orderT, 0, 2, { y: Tensor.empty([2], { device: 'cpu' }) })).toThrow(/^gatherBatch: y must be uint8, got float32/);
      expect(() => gatherBatch(imagesT, labelsT, orderT, 0, 2, { scale: NaN })).toThrow(/^gatherBatch: scale must be finite, got NaN/);
      const addon = untypedAddon();
      expect(() => addon.gatherBatch(imagesT.native, labelsT.native, orderT.native, 0, 2)).toThrow(/^gatherBatch: expected 8 arguments, got 5/);
    });
  });
});

describeCuda('gatherBatch CPU/CUDA parity', () => {
  test('a CIFAR-shaped batch from a shuffled epoch order agrees', () => {
    const { images, labels, order } = dataset(300, [3, 32, 32]);
    const run = (device: string) => {
      const batch = gatherBatch(Tensor.from(images, [300, 3, 32, 32], { device }), Tensor.from(labels, [300], { device }), Tensor.from(order, [300], { device }), 256, 44);
      return { x: batch.x.toArray(), y: batch.y.toArray() };
    };
    const cpu = run('cpu'), gpu = run('cuda:0');
    expectClose(gpu.x, cpu.x, `gather parity, ${seed}`, { rtol: 0, atol: 0 });
    expect(Array.from(gpu.y)).toEqual(Array.from(cpu.y));
  });

  test('an index outside the dataset on CUDA gives a NaN row and label 255, nothing else', () => {
    const { images, labels } = dataset(4, [5]);
    const order = Int32Array.from([1, 4, -7, 0]);
    const { x, y } = gatherBatch(Tensor.from(images, [4, 5], { device: 'cuda:0' }), Tensor.from(labels, [4], { device: 'cuda:0' }), Tensor.from(order, [4], { device: 'cuda:0' }), 0, 4);
    const xs = x.toArray();
    expect(xs.slice(5, 15).every(Number.isNaN)).toBe(true);
    expect([...xs.slice(0, 5), ...xs.slice(15)].every(Number.isFinite)).toBe(true);
    expect(Array.from(y.toArray())).toEqual([labels[1], 255, 255, labels[0]]);
  });
});
