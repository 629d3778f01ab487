// The MNIST reader on generated IDX files, plain and gzipped: where it finds them, what it reads,
// every kind of bad file (an error naming the file), leak-free splits, and the robustness
// perturbations on 1×28×28 images (the edge-noise border and the translation range on 28 pixels).
import fs from 'fs';
import path from 'path';
import zlib from 'zlib';
import {
  DatasetError,
  MNIST_FILES,
  encodeIdxImages,
  encodeIdxLabels,
  findMnist,
  generateSynthetic,
  loadMnist,
  makeSplits,
  parseIdxImages,
  parseIdxLabels,
  readMnistFiles,
  writeMnistFolder,
  writeSynthetic,
} from '../src/data';
import { edgeNoise, gaussianAt, maxShift, translate, translationShift } from '../src/ops/augment';
import { ROBUSTNESS_PERTURBATIONS } from '../src/ops/augment';
import { Tensor } from '../src/tensor';
import { datasetError, removeTmpDirs, tmpDir } from './helpers/data';

afterAll(removeTmpDirs);

const PIXELS = 28 * 28;
const data = generateSynthetic({ seed: 5, trainPerFile: 40, testCount: 30, format: 'mnist' });

describe('reading the four IDX files', () => {
  test.each([false, true])('gzip %s: the training images and labels, and t10k as the test set', (gzip) => {
    const dir = tmpDir();
    const written = writeMnistFolder(dir, data, { gzip });
    const names = [MNIST_FILES.trainImages, MNIST_FILES.trainLabels, MNIST_FILES.testImages, MNIST_FILES.testLabels];
    expect(written.map((f) => path.basename(f))).toEqual(names.map((n) => n + (gzip ? '.gz' : '')));
    const read = loadMnist(dir);
    expect(read.imageShape).toEqual([1, 28, 28]);
    expect(read.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(read.train).toHaveLength(1);
    expect(read.train[0]).toMatchObject({ name: 'train-images-idx3-ubyte', count: 200 });
    expect(Buffer.compare(read.train[0].images, Buffer.concat(data.train.map((f) => f.images)))).toBe(0);
    expect(Buffer.compare(read.train[0].labels, Buffer.concat(data.train.map((f) => f.labels)))).toBe(0);
    expect(read.test).toMatchObject({ name: 't10k-images-idx3-ubyte', count: 30 });
    expect(Buffer.compare(read.test!.images, data.test!.images)).toBe(0);
  });

  test('the synthetic MNIST format: grey centre crops of the CIFAR-format scenes', () => {
    const cifar = generateSynthetic({ seed: 5, trainPerFile: 40, testCount: 30 });
    const img = cifar.train[2].images.subarray(7 * 3072, 8 * 3072);
    const grey = data.train[2].images.subarray(7 * PIXELS, 8 * PIXELS);
    for (const [row, col] of [[0, 0], [13, 20], [27, 27]]) {
      const p = (row + 2) * 32 + col + 2;
      expect(grey[row * 28 + col]).toBe(Math.round((img[p] + img[p + 1024] + img[p + 2048]) / 3));
    }
    expect(data.train[2].labels).toEqual(cifar.train[2].labels);
  });

  test('found in the data folder, its mnist/ subfolder or MNIST/raw/; a partial set names what is missing', () => {
    const root = tmpDir();
    writeSynthetic(path.join(root, 'mnist'), { seed: 1, trainPerFile: 4, testCount: 4, format: 'mnist' });
    expect(findMnist(root)).toMatchObject({ dir: path.join(root, 'mnist'), dataDir: root });
    expect(findMnist(root).files.trainImages).toBe(path.join(root, 'mnist', 'train-images-idx3-ubyte'));

    const torch = tmpDir();
    writeMnistFolder(path.join(torch, 'MNIST', 'raw'), data, { gzip: true });
    expect(findMnist(torch).files.testLabels).toBe(path.join(torch, 'MNIST', 'raw', 't10k-labels-idx1-ubyte.gz'));

    const partial = tmpDir();
    writeMnistFolder(partial, data);
    fs.rmSync(path.join(partial, 't10k-labels-idx1-ubyte'));
    const e = datasetError(() => findMnist(partial));
    expect(e.code).toBe('MISSING');
    expect(e.message).toContain(`${partial}: missing t10k-labels-idx1-ubyte(.gz) of the four MNIST files`);
  });

  test('when MNIST is missing the error says how to get it', () => {
    const empty = tmpDir();
    const e = datasetError(() => findMnist(empty));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain(`MNIST not found in ${empty}, --data-dir`);
    expect(e.message).toContain(`npx wsr-native download --dataset mnist --data-dir ${empty}`);
  });
});

describe('bad files give an error naming the file', () => {
  const images = encodeIdxImages(data.test!.images, 30);
  const labels = encodeIdxLabels(data.test!.labels, 30);

  test.each<[string, () => Buffer, RegExp, string]>([
    ['empty', () => Buffer.alloc(0), /: empty file \(0 bytes\)/, 'EMPTY'],
    ['truncated data', () => images.subarray(0, images.length - 100), /announces 30 × 28 × 28 \(23,520 bytes\) but the file holds 23,420 \(truncated\?\)/, 'TRUNCATED'],
    ['truncated header', () => images.subarray(0, 10), /10 bytes is too short for the 16-byte IDX header/, 'TRUNCATED'],
    ['extra bytes', () => Buffer.concat([images, Buffer.alloc(5)]), /5 bytes beyond the 30 × 28 × 28 the header announces/, 'OVERSIZED'],
    ['a labels file', () => labels, /magic number 0x00000801, expected 0x00000803 .*: it looks like a labels file/, 'BAD_MAGIC'],
    ['an HTML page', () => Buffer.from('<!DOCTYPE html><html>not found</html>'), /not an IDX file: magic number 0x3c21444f.*an HTML or XML page/, 'BAD_MAGIC'],
    ['float data', () => Buffer.from([0, 0, 0x0d, 3, ...images.subarray(4)]), /magic number 0x00000d03, expected 0x00000803/, 'BAD_MAGIC'],
    ['32×32 images', () => Buffer.concat([Buffer.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 32, 0, 0, 0, 32]), Buffer.alloc(1024)]), /images of 32 × 32 pixels, expected MNIST's 28 × 28/, 'BAD_SHAPE'],
    ['no images', () => Buffer.from([0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28]), /the header announces 0 items/, 'BAD_COUNT'],
    ['corrupt gzip', () => { const z = zlib.gzipSync(images); z[z.length >> 1] ^= 0xff; return z; }, /not a valid gzip file|gzip stream ends early/, ''],
    ['truncated gzip', () => { const z = zlib.gzipSync(images); return z.subarray(0, z.length >> 1); }, /the gzip stream ends early \(truncated\?\)/, 'TRUNCATED'],
  ])('%s', (_what, bytes, message, code) => {
    const dir = tmpDir();
    writeMnistFolder(dir, data, { gzip: false });
    const victim = path.join(dir, 't10k-images-idx3-ubyte');
    fs.writeFileSync(victim, bytes());
    const e = datasetError(() => readMnistFiles(findMnist(dir)));
    expect(e.file).toBe(victim);
    expect(e.message.startsWith(`${victim}: `)).toBe(true);
    expect(e.message).toMatch(message);
    if (code) expect(e.code).toBe(code);
  });

  test('a label outside 0–9, and labels that do not match the images in number', () => {
    const bad = Buffer.from(labels);
    bad[8 + 4] = 12;
    const e = datasetError(() => parseIdxLabels(bad, 'x-labels'));
    expect(e.message).toBe('x-labels: label 12 at item 4: labels must be 0–9');
    const dir = tmpDir();
    writeMnistFolder(dir, data);
    const victim = path.join(dir, 't10k-labels-idx1-ubyte');
    fs.writeFileSync(victim, encodeIdxLabels(data.test!.labels, 29));
    const m = datasetError(() => loadMnist(dir));
    expect(m.code).toBe('BAD_COUNT');
    expect(m.message).toBe(`${victim}: 29 labels for the 30 images of ${path.join(dir, 't10k-images-idx3-ubyte')}`);
  });

  test('a gzipped file read under its plain name, and a plain one under .gz, are both read by content', () => {
    expect(parseIdxImages(images, 'a').count).toBe(30);
    const dir = tmpDir();
    writeMnistFolder(dir, data, { gzip: true });
    fs.renameSync(path.join(dir, 'train-images-idx3-ubyte.gz'), path.join(dir, 'train-images-idx3-ubyte'));
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), images);
    const read = loadMnist(dir);
    expect(read.train[0].count).toBe(200);
    expect(Buffer.compare(read.test!.images, data.test!.images)).toBe(0);
  });
});

describe('splits and perturbations on MNIST', () => {
  test('validation is held out from the training images, t10k is the test set, all disjoint by hash', () => {
    const dir = tmpDir();
    writeMnistFolder(dir, data, { gzip: true });
    const s = makeSplits(loadMnist(dir), { seed: 3 });
    expect([s.train.count, s.validation.count, s.test!.count]).toEqual([160, 40, 30]);
    expect(s.testSource).toBe('official');
    expect(s.train.images.length).toBe(160 * PIXELS);
    expect(s.disjoint.disjoint).toBe(true);
    expect(s.description).toContain('test: the 30 images of the official t10k-images-idx3-ubyte');
    expect(s.description).toContain('validation: 40 images held out at random from train-images-idx3-ubyte');
    // A training image planted into the test set is found by its hash and dropped from test.
    const leaky = loadMnist(dir);
    leaky.test!.images.set(leaky.train[0].images.subarray(5 * PIXELS, 6 * PIXELS), 0);
    const t = makeSplits(leaky, { seed: 3 });
    expect(t.test!.count).toBe(29);
    expect(t.duplicates.crossSplit.testInTrain + t.duplicates.crossSplit.testInValidation).toBe(1);
    expect(t.disjoint.disjoint).toBe(true);
  });

  test('edge noise on 28×28 touches the 5-pixel border only; translation moves up to round(0.25·28) = 7 pixels', () => {
    const image = (n: number): Tensor =>
      Tensor.from(Float32Array.from({ length: n * PIXELS }, (_, i) => (i % 251) / 251), [n, 1, 28, 28], { device: 'cpu' });
    const few = image(3);
    const { sigma, border } = ROBUSTNESS_PERTURBATIONS.edge_noise as { sigma: number; border: number };
    const y = edgeNoise(few, sigma, border, 9, 4).toArray();
    const clean = few.toArray();
    for (let i = 0; i < 3 * PIXELS; i++) {
      const row = Math.floor((i % PIXELS) / 28);
      const col = i % 28;
      const inBorder = row < 5 || row >= 23 || col < 5 || col >= 23;
      expect(y[i]).toBe(inBorder ? Math.fround(clean[i] + sigma * gaussianAt(9, 4, i)) : clean[i]);
    }
    few.dispose();

    const n = 64;
    const x = image(n);
    const before = x.toArray();
    const f = (ROBUSTNESS_PERTURBATIONS.translation as { maxFraction: number }).maxFraction;
    expect(maxShift(f, 28)).toBe(7);
    const moved = translate(x, f, 2, 8).toArray();
    const shifts = Array.from({ length: n }, (_, k) => translationShift(2, 8, k, 28, 28, f));
    expect(Math.max(...shifts.map((s) => Math.abs(s.dy)))).toBe(7);
    expect(Math.max(...shifts.map((s) => Math.abs(s.dx)))).toBe(7);
    shifts.forEach(({ dy, dx }, k) => {
      for (const [row, col] of [[0, 0], [14, 9], [27, 27], [3, 25]]) {
        const r = Math.min(27, Math.max(0, row - dy));
        const c = Math.min(27, Math.max(0, col - dx));
        expect(moved[k * PIXELS + row * 28 + col]).toBe(before[k * PIXELS + r * 28 + c]);
      }
    });
    x.dispose();
  });
});
