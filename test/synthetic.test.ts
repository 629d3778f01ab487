// The synthetic dataset: the official format, balanced classes, determinism for a seed, the
// written folder read back unchanged, and that its classes are told apart by shape (a
// translation-invariant texture feature classifies them) but not by mean colour.
import fs from 'fs';
import path from 'path';
import { CifarFile, readCifarFolder } from '../src/data/cifar';
import { SYNTHETIC_CLASS_NAMES, generateSynthetic, writeSynthetic } from '../src/data/synthetic';
import { removeTmpDirs, tmpDir } from './helpers/data';

afterAll(removeTmpDirs);

describe('synthetic dataset', () => {
  test('has the official layout: five training files, a test file, 3,072 bytes an image, balanced labels', () => {
    const data = generateSynthetic({ seed: 1, trainPerFile: 50, testCount: 30 });
    expect(data.classNames).toEqual([...SYNTHETIC_CLASS_NAMES]);
    expect(data.train.map((f) => f.name)).toEqual(['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin']);
    expect(data.test!.name).toBe('test_batch.bin');
    for (const f of [...data.train, data.test!]) {
      expect(f.images).toBeInstanceOf(Uint8Array);
      expect(f.images.length).toBe(f.count * 3072);
      expect(f.labels.length).toBe(f.count);
      const histogram = new Array<number>(10).fill(0);
      f.labels.forEach((l) => histogram[l]++);
      expect(histogram).toEqual(new Array(10).fill(f.count / 10));
    }
    expect(generateSynthetic({ trainPerFile: 10, testCount: 0 }).test).toBeNull();
  });

  test('is deterministic for a seed and differs between seeds', () => {
    const a = generateSynthetic({ seed: 42, trainPerFile: 20, testCount: 20 });
    const b = generateSynthetic({ seed: 42, trainPerFile: 20, testCount: 20 });
    const c = generateSynthetic({ seed: 43, trainPerFile: 20, testCount: 20 });
    a.train.forEach((f, i) => {
      expect(Buffer.compare(f.images, b.train[i].images)).toBe(0);
      expect(Buffer.compare(f.labels, b.train[i].labels)).toBe(0);
      expect(Buffer.compare(f.images, c.train[i].images)).not.toBe(0);
    });
    expect(Buffer.compare(a.test!.images, b.test!.images)).toBe(0);
    // Files differ from one another, and no two images are identical.
    const seen = new Set<string>();
    for (const f of [...a.train, a.test!]) {
      for (let k = 0; k < f.count; k++) seen.add(Buffer.from(f.images.subarray(k * 3072, (k + 1) * 3072)).toString('base64'));
    }
    expect(seen.size).toBe(120);
  });

  test('writes the official layout and reads back byte for byte', () => {
    const dir = path.join(tmpDir(), 'synthetic');
    const written = writeSynthetic(dir, { seed: 9, trainPerFile: 20, testCount: 10 });
    expect(written.map((f) => path.basename(f))).toEqual([
      'data_batch_1.bin',
      'data_batch_2.bin',
      'data_batch_3.bin',
      'data_batch_4.bin',
      'data_batch_5.bin',
      'test_batch.bin',
      'batches.meta.txt',
    ]);
    expect(fs.statSync(path.join(dir, 'data_batch_1.bin')).size).toBe(20 * 3073);
    const read = readCifarFolder(dir, { recordsPerFile: null });
    const made = generateSynthetic({ seed: 9, trainPerFile: 20, testCount: 10 });
    read.train.forEach((f, i) => {
      expect(Buffer.compare(f.images, made.train[i].images)).toBe(0);
      expect(Buffer.compare(f.labels, made.train[i].labels)).toBe(0);
    });
    expect(read.test!.count).toBe(10);
    expect(read.classNames).toEqual([...SYNTHETIC_CLASS_NAMES]);
    // Writing again without a test set removes the stale test file.
    writeSynthetic(dir, { seed: 9, trainPerFile: 20, testCount: 0 });
    expect(fs.existsSync(path.join(dir, 'test_batch.bin'))).toBe(false);
  });

  test('refuses bad options', () => {
    expect(() => generateSynthetic({ trainPerFile: 0 })).toThrow(RangeError);
    expect(() => generateSynthetic({ testCount: -1 })).toThrow(RangeError);
    expect(() => generateSynthetic({ noise: 2 })).toThrow(RangeError);
    expect(() => generateSynthetic({ seed: 1.5 })).toThrow(RangeError);
  });

  describe('classes are told apart by shape, not by colour', () => {
    const data = generateSynthetic({ seed: 5, trainPerFile: 60, testCount: 200 });

    /** Accuracy on the test file of nearest-class-mean on the training files' features. */
    function nearestCentroidAccuracy(feature: (f: CifarFile, k: number) => Float64Array): number {
      const dim = feature(data.train[0], 0).length;
      const centroids = Array.from({ length: 10 }, () => new Float64Array(dim));
      const counts = new Array<number>(10).fill(0);
      for (const f of data.train) {
        for (let k = 0; k < f.count; k++) {
          const x = feature(f, k);
          counts[f.labels[k]]++;
          x.forEach((v, j) => (centroids[f.labels[k]][j] += v));
        }
      }
      centroids.forEach((c, l) => c.forEach((_, j) => (c[j] /= counts[l])));
      const test = data.test!;
      let correct = 0;
      for (let k = 0; k < test.count; k++) {
        const x = feature(test, k);
        let best = -1;
        let bestDistance = Infinity;
        centroids.forEach((c, l) => {
          let d = 0;
          for (let j = 0; j < dim; j++) d += (x[j] - c[j]) ** 2;
          if (d < bestDistance) {
            bestDistance = d;
            best = l;
          }
        });
        if (best === test.labels[k]) correct++;
      }
      return correct / test.count;
    }

    const meanColour = (f: CifarFile, k: number): Float64Array => {
      const out = new Float64Array(3);
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let p = 0; p < 1024; p++) s += f.images[k * 3072 + c * 1024 + p];
        out[c] = s / 1024;
      }
      return out;
    };

    // |2-D DFT| summed over the channels, without the DC term, normalised: invariant to where
    // the pattern sits and to its colours, sensitive to orientation, frequency and shape.
    const N = 32;
    const cos = new Float64Array(N * N);
    const sin = new Float64Array(N * N);
    for (let k = 0; k < N; k++) {
      for (let n = 0; n < N; n++) {
        cos[k * N + n] = Math.cos((2 * Math.PI * k * n) / N);
        sin[k * N + n] = Math.sin((2 * Math.PI * k * n) / N);
      }
    }
    const half = N / 2 + 1; // a real image's spectrum is symmetric: half the column frequencies suffice
    const spectrum = (f: CifarFile, k: number): Float64Array => {
      const out = new Float64Array(N * half);
      const re = new Float64Array(N * half);
      const im = new Float64Array(N * half);
      for (let c = 0; c < 3; c++) {
        const base = k * 3072 + c * 1024;
        for (let y = 0; y < N; y++) {
          for (let u = 0; u < half; u++) {
            let r = 0;
            let i = 0;
            for (let x = 0; x < N; x++) {
              const v = f.images[base + y * N + x];
              r += v * cos[u * N + x];
              i -= v * sin[u * N + x];
            }
            re[y * half + u] = r;
            im[y * half + u] = i;
          }
        }
        for (let u = 0; u < half; u++) {
          for (let w = 0; w < N; w++) {
            let r = 0;
            let i = 0;
            for (let y = 0; y < N; y++) {
              const a = re[y * half + u];
              const b = im[y * half + u];
              r += a * cos[w * N + y] + b * sin[w * N + y];
              i += b * cos[w * N + y] - a * sin[w * N + y];
            }
            out[w * half + u] += Math.hypot(r, i);
          }
        }
      }
      out[0] = 0;
      const norm = Math.hypot(...out) || 1;
      return out.map((v) => v / norm);
    };

    test('mean colour is close to chance (10%)', () => {
      expect(nearestCentroidAccuracy(meanColour)).toBeLessThan(0.25);
    });

    test('a translation-invariant texture feature separates the classes', () => {
      expect(nearestCentroidAccuracy(spectrum)).toBeGreaterThan(0.7);
    });
  });
});
