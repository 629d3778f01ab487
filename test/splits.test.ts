// Splits: sizes, disjointness by content hash, determinism for a seed, injected duplicates
// reported and removed from validation/test, the paper's pooled split without duplicated rows,
// the held-out test file when test_batch.bin is absent, and `limit`.
import { createHash } from 'crypto';
import path from 'path';
import { CifarDataset, DatasetError } from '../src/data/cifar';
import { prepareData } from '../src/data/prepare';
import { DataSplits, SplitPart, checkDisjoint, makeSplits } from '../src/data/splits';
import { seededPermutation } from '../src/data/random';
import { generateSynthetic, writeSynthetic } from '../src/data/synthetic';
import { removeTmpDirs, tmpDir } from './helpers/data';

afterAll(removeTmpDirs);

const PER_FILE = 100;

function copyData(d: CifarDataset): CifarDataset {
  const copy = (f: CifarDataset['train'][number]): CifarDataset['train'][number] => ({
    ...f,
    images: Uint8Array.from(f.images),
    labels: Uint8Array.from(f.labels),
  });
  return { ...d, train: d.train.map(copy), test: d.test ? copy(d.test) : null };
}

const withTest = generateSynthetic({ seed: 11, trainPerFile: PER_FILE, testCount: PER_FILE });
const withoutTest = { ...withTest, test: null };

function hashes(part: SplitPart): string[] {
  return Array.from({ length: part.count }, (_, k) =>
    createHash('sha1')
      .update(part.images.subarray(k * 3072, (k + 1) * 3072))
      .digest('hex'),
  );
}

/** Checks with hashes of our own that no image content is in two splits. */
function expectDisjoint(s: DataSplits): void {
  const parts = [s.train, s.validation, ...(s.test ? [s.test] : [])];
  const sets = parts.map((p) => new Set(hashes(p)));
  for (let a = 0; a < parts.length; a++) {
    for (let b = a + 1; b < parts.length; b++) {
      const shared = [...sets[b]].filter((h) => sets[a].has(h));
      expect(`${parts[a].name}/${parts[b].name}: ${shared.length}`).toBe(`${parts[a].name}/${parts[b].name}: 0`);
    }
  }
  expect(s.disjoint.disjoint).toBe(true);
}

/** Checks each part's images and labels are those of the pool positions in `indices`. */
function expectGathered(data: CifarDataset, s: DataSplits): void {
  const files = [...data.train, ...(data.test ? [data.test] : [])];
  for (const part of [s.train, s.validation, ...(s.test ? [s.test] : [])]) {
    part.indices.forEach((i, k) => {
      const file = s.pool.findIndex((p) => i >= p.start && i < p.start + p.count);
      const r = i - s.pool[file].start;
      expect(part.labels[k]).toBe(files[file].labels[r]);
      expect(Buffer.compare(part.images.subarray(k * 3072, (k + 1) * 3072), files[file].images.subarray(r * 3072, (r + 1) * 3072))).toBe(0);
    });
  }
}

describe('standard split', () => {
  test('validation is held out from the training files and the test set is test_batch.bin', () => {
    const s = makeSplits(withTest, { seed: 1, validation: 80 });
    expect(s.testSource).toBe('official');
    expect([s.train.count, s.validation.count, s.test!.count]).toEqual([420, 80, 100]);
    expect(s.pool.map((p) => [p.name, p.start, p.count])).toEqual([
      ['data_batch_1.bin', 0, 100],
      ['data_batch_2.bin', 100, 100],
      ['data_batch_3.bin', 200, 100],
      ['data_batch_4.bin', 300, 100],
      ['data_batch_5.bin', 400, 100],
      ['test_batch.bin', 500, 100],
    ]);
    expect(Array.from(s.test!.indices)).toEqual(Array.from({ length: 100 }, (_, i) => 500 + i));
    const trainAndVal = [...s.train.indices, ...s.validation.indices].sort((a, b) => a - b);
    expect(trainAndVal).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expectGathered(withTest, s);
    expectDisjoint(s);
    expect(s.description).toContain('test: the 100 images of the official test_batch.bin');
    expect(s.description).toContain('validation: 80 images held out at random from data_batch_1.bin … data_batch_5.bin');
    expect(s.description).toContain('disjoint: checked by the SHA-1 of every image');
  });

  test('the default validation size is 5,000', () => {
    // 5,000 distinct images a file, cheap to make: each image carries its number in its first bytes.
    const file = (name: string, first: number, count: number): CifarDataset['train'][number] => {
      const images = new Uint8Array(count * 3072);
      for (let k = 0; k < count; k++) new DataView(images.buffer).setUint32(k * 3072, first + k);
      return { name, images, labels: new Uint8Array(count).map((_, k) => k % 10), count };
    };
    const big: CifarDataset = {
      source: 'test',
      classNames: withTest.classNames,
      train: withTest.train.map((f, i) => file(f.name, i * 5000, 5000)),
      test: file('test_batch.bin', 25_000, 10),
    };
    const s = makeSplits(big);
    expect([s.train.count, s.validation.count, s.test!.count]).toEqual([20_000, 5000, 10]);
    expectDisjoint(s);
    // With fewer than 25,000 training images, a fifth of them.
    expect(makeSplits(withTest).validation.count).toBe(100);
    expect(makeSplits(withoutTest).validation.count).toBe(80);
  });

  test('the same seed gives the same splits; another seed others', () => {
    const a = makeSplits(withTest, { seed: 5, validation: 50 });
    const b = makeSplits(withTest, { seed: 5, validation: 50 });
    const c = makeSplits(withTest, { seed: 6, validation: 50 });
    expect(Array.from(a.validation.indices)).toEqual(Array.from(b.validation.indices));
    expect(Array.from(a.train.indices)).toEqual(Array.from(b.train.indices));
    expect(Buffer.compare(a.train.images, b.train.images)).toBe(0);
    expect(a.description).toBe(b.description);
    expect(Array.from(a.validation.indices)).not.toEqual(Array.from(c.validation.indices));
  });

  test('without test_batch.bin the last training file is held out as the test set, and says so', () => {
    const s = makeSplits(withoutTest, { seed: 1, validation: 40 });
    expect(s.testSource).toBe('held-out-file');
    expect([s.train.count, s.validation.count, s.test!.count]).toEqual([360, 40, 100]);
    expect(Array.from(s.test!.indices)).toEqual(Array.from({ length: 100 }, (_, i) => 400 + i));
    expect(Math.max(...s.train.indices, ...s.validation.indices)).toBeLessThan(400);
    expectGathered(withoutTest, s);
    expectDisjoint(s);
    expect(s.description).toContain(
      'test: the 100 images of data_batch_5.bin, held out as the test set because test_batch.bin is absent',
    );
    expect(s.description).toContain('train and validation use data_batch_1.bin … data_batch_4.bin only');
  });

  test('limit trains on the first N training images and leaves validation and test alone', () => {
    const all = makeSplits(withTest, { seed: 3, validation: 50 });
    const limited = makeSplits(withTest, { seed: 3, validation: 50, limit: 25 });
    expect(limited.train.count).toBe(25);
    expect(Array.from(limited.train.indices)).toEqual(Array.from(all.train.indices.subarray(0, 25)));
    expect(Array.from(limited.validation.indices)).toEqual(Array.from(all.validation.indices));
    expect(Array.from(limited.test!.indices)).toEqual(Array.from(all.test!.indices));
    expect(limited.description).toContain('train: the first 25 of 450 training images (limit 25)');
    expect(makeSplits(withTest, { seed: 3, validation: 50, limit: 10_000 }).train.count).toBe(450);
  });

  test('bad options are refused', () => {
    expect(() => makeSplits(withTest, { validation: 500 })).toThrow('validation (500) must be smaller than the 500 training images');
    expect(() => makeSplits(withTest, { limit: 0 })).toThrow(RangeError);
    expect(() => makeSplits(withTest, { seed: 0.5 })).toThrow(RangeError);
    expect(() => makeSplits(withTest, { mode: 'random' as never })).toThrow(RangeError);
    expect(() => makeSplits(withTest, { mode: 'paper', validationFraction: 1 })).toThrow(RangeError);
  });
});

describe('duplicates', () => {
  test('a clean dataset has none', () => {
    const s = makeSplits(withTest, { seed: 1, validation: 50 });
    expect(s.duplicates).toMatchObject({ groups: 0, extraCopies: 0, labelConflicts: 0, dropped: { validation: 0, test: 0 } });
    expect(s.description).toContain('duplicates: none');
  });

  test('injected duplicates are reported and removed from validation and test', () => {
    const seed = 4;
    const base = makeSplits(withTest, { seed, validation: 60 });
    // The split's positions do not depend on the pixels, so the same seed puts the same
    // positions in the same splits once we overwrite some images with copies of others.
    const data = copyData(withTest);
    const files = [...data.train, data.test!];
    const at = (i: number): { f: number; r: number } => ({ f: Math.floor(i / PER_FILE), r: i % PER_FILE });
    const copyImage = (from: number, to: number, label?: number): void => {
      const s = at(from);
      const d = at(to);
      files[d.f].images.set(files[s.f].images.subarray(s.r * 3072, (s.r + 1) * 3072), d.r * 3072);
      files[d.f].labels[d.r] = label ?? files[s.f].labels[s.r];
    };
    const [t0, t1, t2] = Array.from(base.train.indices.subarray(0, 3));
    const [v0, v1, v2] = Array.from(base.validation.indices.subarray(0, 3));
    copyImage(t0, v0); // validation image also in train → dropped
    copyImage(t1, v1, (files[at(t1).f].labels[at(t1).r] + 1) % 10); // ... with another label (a conflict)
    copyImage(t2, 500); // test image also in train → dropped
    copyImage(v2, 501); // test image also in validation → dropped
    copyImage(base.train.indices[5], base.train.indices[6]); // a duplicate inside train: reported, kept
    copyImage(502, 503); // a duplicate inside test: reported, kept

    const s = makeSplits(data, { seed, validation: 60 });
    expect(s.duplicates.groups).toBe(6);
    expect(s.duplicates.extraCopies).toBe(6);
    expect(s.duplicates.labelConflicts).toBe(1);
    expect(s.duplicates.crossSplit).toEqual({ validationInTrain: 2, testInTrain: 1, testInValidation: 1 });
    expect(s.duplicates.dropped).toEqual({ validation: 2, test: 2 });
    expect(s.train.count).toBe(base.train.count);
    expect(s.validation.count).toBe(58);
    expect(s.test!.count).toBe(98);
    expect(Array.from(s.validation.indices)).not.toContain(v0);
    expect(Array.from(s.validation.indices)).not.toContain(v1);
    expect(Array.from(s.test!.indices)).not.toContain(500);
    expect(Array.from(s.test!.indices)).not.toContain(501);
    expect(Array.from(s.test!.indices)).toEqual(expect.arrayContaining([502, 503]));
    expectDisjoint(s);
    const example = s.duplicates.examples.find((g) => g.some((x) => x.file === 'test_batch.bin' && x.record === 0));
    expect(example).toBeDefined();
    expect(s.description).toContain('duplicates: 6 exact-duplicate image(s) in the data (6 group(s) of identical images, 1 with conflicting labels)');
    expect(s.description).toContain('dropped 2 validation image(s) also in train and 2 test image(s) also in train or validation');
  });
});

describe('paper split', () => {
  test('pools every image, 80/20, each image exactly once, disjoint', () => {
    const s = makeSplits(withTest, { mode: 'paper', seed: 7 });
    expect(s.test).toBeNull();
    expect(s.testSource).toBe('none');
    expect([s.train.count, s.validation.count]).toEqual([480, 120]);
    const all = [...s.train.indices, ...s.validation.indices];
    expect(new Set(all).size).toBe(600); // no duplicated rows
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    // Test images are pooled too: some land in train, some in validation.
    expect([...s.train.indices].some((i) => i >= 500)).toBe(true);
    expect([...s.validation.indices].some((i) => i >= 500)).toBe(true);
    expectGathered(withTest, s);
    expectDisjoint(s);
    expect(s.description).toContain('split: paper, seed 7: the 600 images of data_batch_1.bin … test_batch.bin pooled and shuffled, 80% train / 20% validation, no test set');
    expect(makeSplits(withTest, { mode: 'paper', seed: 7 }).validation.indices).toEqual(s.validation.indices);
  });

  test('the published zip-and-assign shuffle would be caught by the disjointness check', () => {
    // Replays `data[:], targets[:] = zip(*combined)` where `combined` holds views of the rows
    // being overwritten: row k receives the current content of row order[k], which may already
    // have been overwritten, so rows get duplicated and validation rows reappear in train.
    const n = 200;
    const rows = new Uint8Array(n * 3072);
    for (let i = 0; i < n; i++) {
      const f = withTest.train[Math.floor(i / PER_FILE)];
      rows.set(f.images.subarray((i % PER_FILE) * 3072, ((i % PER_FILE) + 1) * 3072), i * 3072);
    }
    const order = seededPermutation(n, 1);
    for (let k = 0; k < n; k++) rows.copyWithin(k * 3072, order[k] * 3072, (order[k] + 1) * 3072);
    const train = { name: 'train', images: rows.subarray(0, 160 * 3072), count: 160 };
    const validation = { name: 'validation', images: rows.subarray(160 * 3072), count: 40 };
    const check = checkDisjoint([train, validation]);
    expect(check.disjoint).toBe(false);
    expect(check.overlaps).toEqual([{ a: 'train', b: 'validation', count: expect.any(Number) }]);
    expect(check.overlaps[0].count).toBeGreaterThan(0);
  });
});

describe('prepareData', () => {
  test('synthetic: generated in memory and split with the same seed', async () => {
    const p = await prepareData({ dataset: 'synthetic', seed: 3, synthetic: { trainPerFile: 50, testCount: 20 }, validation: 30 });
    expect([p.train.count, p.validation.count, p.test!.count]).toEqual([220, 30, 20]);
    expect(p.classNames[0]).toBe('vertical-stripes');
    expect(p.description.split('\n')[0]).toBe('data: synthetic(seed=3, trainPerFile=50, testCount=20, noise=0.08)');
    const again = await prepareData({ dataset: 'synthetic', seed: 3, synthetic: { trainPerFile: 50, testCount: 20 }, validation: 30 });
    expect(Buffer.compare(again.validation.images, p.validation.images)).toBe(0);
  });

  test('cifar10: read from the data folder, or the error that says how to get it', async () => {
    const dataDir = tmpDir();
    writeSynthetic(path.join(dataDir, 'cifar-10-batches-bin'), { trainPerFile: 30, testCount: 0 });
    const p = await prepareData({ dataDir, recordsPerFile: null, mode: 'paper', seed: 1 });
    expect([p.train.count, p.validation.count, p.test]).toEqual([120, 30, null]);
    expect(p.description).toContain(`data: ${path.join(dataDir, 'cifar-10-batches-bin')}`);
    await expect(prepareData({ dataDir: path.join(dataDir, 'empty') })).rejects.toThrow(DatasetError);
    await expect(prepareData({ dataDir: path.join(dataDir, 'empty') })).rejects.toThrow('npx wsr-native download');
    await expect(prepareData({ dataset: 'imagenet' as never })).rejects.toThrow(RangeError);
    await expect(prepareData({ dataset: 'mnist', dataDir: path.join(dataDir, 'empty') })).rejects.toThrow('npx wsr-native download --dataset mnist');
  });
});
