// The CIFAR-100 reader on generated files: the two-label record layout, fine and coarse labels with
// their class names (from the meta files, else the official lists), the folder and the archive,
// every kind of bad file (an error naming it), where the files are looked for and what the message
// says when they are not there, the dataset table's networks for both label sets, and leak-free splits.
import fs from 'fs';
import path from 'path';
import {
  CIFAR100_COARSE_CLASS_NAMES,
  CIFAR100_FINE_CLASS_NAMES,
  CIFAR100_FINE_TO_COARSE,
  CIFAR100_RELEASE,
  CifarDataset,
  DatasetError,
  ReadOptions,
  datasetInfo,
  datasetLabels,
  findCifar,
  generateSynthetic,
  loadCifar,
  makeSplits,
  parseCifarBatch,
  readCifarArchive,
  readCifarFolder,
  writeSynthetic,
} from '../src/data';
import { specParameterCount } from '../src/nn/plan';
import { MNIST_CNN, toLocalSpec } from '../src/nn/spec';
import { asyncDatasetError, datasetError, makeArchive, removeTmpDirs, tmpDir } from './helpers/data';

const RECORD = 3074;
const SMALL: ReadOptions = { release: CIFAR100_RELEASE, recordsPerFile: null };
const SYNTHETIC = { seed: 3, format: 'cifar100', trainPerFile: 20, testCount: 30 } as const;

let good: string; // parent/cifar-100-binary, written by the synthetic generator
let expected: CifarDataset;

beforeAll(() => {
  good = path.join(tmpDir(), 'cifar-100-binary');
  writeSynthetic(good, SYNTHETIC);
  expected = generateSynthetic(SYNTHETIC);
});
afterAll(removeTmpDirs);

/** A copy of the good folder with `change` applied. */
function corrupted(change: (dir: string) => void): string {
  const dir = path.join(tmpDir(), 'cifar-100-binary');
  fs.cpSync(good, dir, { recursive: true });
  change(dir);
  return dir;
}

/** Sets byte `at` of `file` to `value`. */
function poke(file: string, at: number, value: number): void {
  const bytes = fs.readFileSync(file);
  bytes[at] = value;
  fs.writeFileSync(file, bytes);
}

const coarseOf = (fine: Uint8Array): number[] => Array.from(fine, (l) => CIFAR100_FINE_TO_COARSE[l]);

describe('the CIFAR-100 release', () => {
  test('100 fine classes in 20 superclasses of five, as the CIFAR page lists them', () => {
    expect(CIFAR100_FINE_CLASS_NAMES).toHaveLength(100);
    expect(new Set(CIFAR100_FINE_CLASS_NAMES).size).toBe(100);
    expect([...CIFAR100_FINE_CLASS_NAMES]).toEqual([...CIFAR100_FINE_CLASS_NAMES].sort());
    expect(CIFAR100_COARSE_CLASS_NAMES).toHaveLength(20);
    const sizes = CIFAR100_COARSE_CLASS_NAMES.map((_, c) => CIFAR100_FINE_TO_COARSE.filter((x) => x === c).length);
    expect(sizes).toEqual(new Array(20).fill(5));
    expect(CIFAR100_COARSE_CLASS_NAMES[CIFAR100_FINE_TO_COARSE[CIFAR100_FINE_CLASS_NAMES.indexOf('maple_tree')]]).toBe('trees');
    expect(CIFAR100_COARSE_CLASS_NAMES[CIFAR100_FINE_TO_COARSE[0]]).toBe('fruit_and_vegetables'); // apple
    expect(CIFAR100_RELEASE).toMatchObject({
      url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
      md5: '03b5dce01913d631647c71ecec9e9cb8',
      folder: 'cifar-100-binary',
      records: { 'train.bin': 50_000, 'test.bin': 10_000 },
    });
  });

  test('a record is the coarse label, the fine label, then 3,072 pixel bytes', () => {
    const bytes = fs.readFileSync(path.join(good, 'train.bin'));
    expect(bytes.length).toBe(100 * RECORD);
    const fine = expected.train[0].labels;
    for (const r of [0, 1, 57, 99]) {
      expect(bytes[r * RECORD]).toBe(CIFAR100_FINE_TO_COARSE[fine[r]]);
      expect(bytes[r * RECORD + 1]).toBe(fine[r]);
      expect(Buffer.compare(bytes.subarray(r * RECORD + 2, (r + 1) * RECORD), expected.train[0].images.subarray(r * 3072, (r + 1) * 3072))).toBe(0);
    }
    expect(fs.readdirSync(good).sort()).toEqual(['coarse_label_names.txt', 'fine_label_names.txt', 'test.bin', 'train.bin']);
  });
});

describe('reading a folder', () => {
  test('fine labels by default, with the 100 fine class names', () => {
    const data = readCifarFolder(good, SMALL);
    expect(data.classNames).toEqual([...CIFAR100_FINE_CLASS_NAMES]);
    expect(data.train.map((f) => [f.name, f.count])).toEqual([['train.bin', 100]]);
    expect(data.test).toMatchObject({ name: 'test.bin', count: 30 });
    expect(Buffer.compare(data.train[0].images, expected.train[0].images)).toBe(0);
    expect(Buffer.compare(data.train[0].labels, expected.train[0].labels)).toBe(0);
    expect(Math.max(...data.train[0].labels)).toBeGreaterThan(19);
    expect(Math.max(...data.train[0].labels)).toBeLessThan(100);
  });

  test('coarse labels: the superclass byte, with the 20 coarse class names', () => {
    const data = readCifarFolder(good, { ...SMALL, labels: 'coarse' });
    expect(data.classNames).toEqual([...CIFAR100_COARSE_CLASS_NAMES]);
    expect(Array.from(data.train[0].labels)).toEqual(coarseOf(expected.train[0].labels));
    expect(Array.from(data.test!.labels)).toEqual(coarseOf(expected.test!.labels));
    expect(Buffer.compare(data.test!.images, expected.test!.images)).toBe(0);
  });

  test('class names come from the meta files when present, else the official lists; a bad one names itself', () => {
    const renamed = corrupted((d) => fs.writeFileSync(path.join(d, 'coarse_label_names.txt'), CIFAR100_COARSE_CLASS_NAMES.map((n) => n.toUpperCase()).join('\n')));
    expect(readCifarFolder(renamed, { ...SMALL, labels: 'coarse' }).classNames[0]).toBe('AQUATIC_MAMMALS');
    const bare = corrupted((d) => ['coarse_label_names.txt', 'fine_label_names.txt'].forEach((n) => fs.rmSync(path.join(d, n))));
    expect(readCifarFolder(bare, SMALL).classNames).toEqual([...CIFAR100_FINE_CLASS_NAMES]);
    const short = corrupted((d) => fs.writeFileSync(path.join(d, 'fine_label_names.txt'), 'apple\npear\n'));
    const e = datasetError(() => readCifarFolder(short, { ...SMALL, labels: 'coarse' }));
    expect(e.code).toBe('BAD_META');
    expect(e.message).toContain(`${path.join(short, 'fine_label_names.txt')}: expected 100 class names, one a line, found 2 line(s)`);
  });

  test('expects the official 50,000 and 10,000 records by default', () => {
    const e = datasetError(() => readCifarFolder(good, { release: CIFAR100_RELEASE }));
    expect(e.code).toBe('TRUNCATED');
    expect(e.message).toBe(`${path.join(good, 'train.bin')}: 307,400 bytes holds 100 records, expected 50,000 of an official CIFAR-100 file (truncated?)`);
    const e2 = datasetError(() => readCifarFolder(good, { release: CIFAR100_RELEASE, recordsPerFile: 100 }));
    expect(e2.message).toBe(`${path.join(good, 'test.bin')}: 92,220 bytes holds 30 records, expected 100 (truncated?)`);
  });

  test('CIFAR-10 has fine labels only', () => {
    expect(() => readCifarFolder(good, { labels: 'coarse', recordsPerFile: null })).toThrow(`labels must be 'fine' for CIFAR-10, got "coarse"`);
  });
});

describe('bad files give an error naming the file', () => {
  test('a truncated file', () => {
    const dir = corrupted((d) => fs.truncateSync(path.join(d, 'train.bin'), 100 * RECORD - 10));
    const e = datasetError(() => readCifarFolder(dir, SMALL));
    expect(e.code).toBe('TRUNCATED');
    expect(e.message).toBe(`${path.join(dir, 'train.bin')}: 307,390 bytes is not a whole number of 3,074-byte records (truncated?)`);
  });

  test('a file of the wrong size', () => {
    const file = path.join(good, 'test.bin');
    const bytes = fs.readFileSync(file);
    const e = datasetError(() => parseCifarBatch(Buffer.concat([bytes, bytes.subarray(0, RECORD)]), file, { ...SMALL, recordsPerFile: 30 }));
    expect(e.code).toBe('OVERSIZED');
    expect(e.message).toBe(`${file}: 95,294 bytes is more than the 92,220 bytes (30 records of 3,074 bytes): it holds 31 records`);
    const official = datasetError(() => parseCifarBatch(bytes.subarray(0, 29 * RECORD), file, { release: CIFAR100_RELEASE }));
    expect(official.message).toBe(`${file}: 89,146 bytes holds 29 records, expected 10,000 of an official CIFAR-100 file (truncated?)`);
  });

  test('a fine label of 100 or more', () => {
    const dir = corrupted((d) => poke(path.join(d, 'train.bin'), 5 * RECORD + 1, 100));
    const e = datasetError(() => readCifarFolder(dir, { ...SMALL, labels: 'coarse' }));
    expect(e.code).toBe('BAD_LABEL');
    expect(e.message).toBe(`${path.join(dir, 'train.bin')}: fine label 100 at record 5 (byte offset 15,371): fine labels must be 0–99`);
  });

  test('a coarse label of 20 or more', () => {
    const dir = corrupted((d) => {
      poke(path.join(d, 'test.bin'), 7 * RECORD, 20);
      poke(path.join(d, 'test.bin'), 9 * RECORD, 255);
    });
    const e = datasetError(() => readCifarFolder(dir, SMALL));
    expect(e.code).toBe('BAD_LABEL');
    expect(e.message).toBe(
      `${path.join(dir, 'test.bin')}: coarse label 20 at record 7 (byte offset 21,518): coarse labels must be 0–19 (and 1 more record(s) with a bad label)`,
    );
  });

  test('an empty file, a missing file, and a file that is not CIFAR-100', () => {
    const empty = corrupted((d) => fs.writeFileSync(path.join(d, 'test.bin'), ''));
    expect(datasetError(() => readCifarFolder(empty, SMALL)).message).toBe(`${path.join(empty, 'test.bin')}: empty file (0 bytes)`);
    const missing = corrupted((d) => fs.rmSync(path.join(d, 'train.bin')));
    const e = datasetError(() => readCifarFolder(missing, SMALL));
    expect(e.code).toBe('MISSING');
    expect(e.message).toContain(`${missing}: missing train.bin (the official binary layout has train.bin, test.bin, coarse_label_names.txt and fine_label_names.txt); found:`);
    const foreign = corrupted((d) => fs.writeFileSync(path.join(d, 'train.bin'), Buffer.alloc(40 * RECORD, 0xc8)));
    const f = datasetError(() => readCifarFolder(foreign, SMALL));
    expect(f.code).toBe('NOT_CIFAR');
    expect(f.message).toContain(`${path.join(foreign, 'train.bin')}: not a CIFAR-100 file: `);
    expect(f.message).toContain('start with label bytes out of range (expected coarse 0–19, then fine 0–99)');
  });
});

describe('the archive', () => {
  let archive: string;
  beforeAll(async () => {
    archive = path.join(tmpDir(), 'cifar-100-binary.tar.gz');
    await makeArchive(path.dirname(good), archive, ['cifar-100-binary']);
  });

  test('read straight from cifar-100-binary.tar.gz, either label set', async () => {
    const fine = await readCifarArchive(archive, SMALL);
    expect(fine.source).toBe(archive);
    expect(fine.classNames).toEqual([...CIFAR100_FINE_CLASS_NAMES]);
    expect(Buffer.compare(fine.train[0].labels, expected.train[0].labels)).toBe(0);
    const coarse = await readCifarArchive(archive, { ...SMALL, labels: 'coarse' });
    expect(coarse.classNames).toEqual([...CIFAR100_COARSE_CLASS_NAMES]);
    expect(Array.from(coarse.test!.labels)).toEqual(coarseOf(expected.test!.labels));
  });

  test('a bad member is named inside the archive; a missing one lists what the archive holds', async () => {
    const parent = path.dirname(corrupted((d) => poke(path.join(d, 'test.bin'), 2 * RECORD + 1, 140)));
    const bad = path.join(tmpDir(), 'bad.tar.gz');
    await makeArchive(parent, bad, ['cifar-100-binary']);
    const e = await asyncDatasetError(readCifarArchive(bad, SMALL));
    expect(e.message).toBe(`${bad} (member cifar-100-binary/test.bin): fine label 140 at record 2 (byte offset 6,149): fine labels must be 0–99`);
    const partialParent = path.dirname(corrupted((d) => fs.rmSync(path.join(d, 'train.bin'))));
    const partial = path.join(tmpDir(), 'partial.tar');
    await makeArchive(partialParent, partial, ['cifar-100-binary']);
    const m = await asyncDatasetError(readCifarArchive(partial, SMALL));
    expect(m.message).toContain(`${partial}: missing cifar-100-binary/train.bin; the archive holds: cifar-100-binary/`);
    const junk = path.join(tmpDir(), 'junk.tar.gz');
    fs.writeFileSync(junk, 'not an archive at all, just text');
    expect((await asyncDatasetError(readCifarArchive(junk, SMALL))).message).toContain('expected the CIFAR-100 binary release (cifar-100-binary.tar.gz)');
  });

  test('findCifar finds cifar-100-binary/ or the archive in the data folder; loadCifar reads them', async () => {
    const dataDir = path.dirname(archive);
    expect(findCifar(dataDir, {}, CIFAR100_RELEASE)).toEqual({ kind: 'archive', path: archive, dataDir });
    expect(findCifar(path.dirname(good), {}, CIFAR100_RELEASE)).toEqual({ kind: 'folder', path: good, dataDir: path.dirname(good) });
    expect(findCifar(good, {}, CIFAR100_RELEASE)).toMatchObject({ kind: 'folder', path: good });
    const loaded = await loadCifar({ dataDir, ...SMALL, labels: 'coarse' });
    expect(loaded.classNames).toHaveLength(20);
  });
});

describe('when CIFAR-100 is not there', () => {
  test('the message says how to download it and which files to place in --data-dir', () => {
    const empty = tmpDir();
    const e = datasetError(() => findCifar(empty, {}, CIFAR100_RELEASE));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain(`CIFAR-100 not found in ${empty}, --data-dir: looked for train.bin … in it and in its cifar-100-binary/ subfolder, and for cifar-100-binary.tar.gz.`);
    expect(e.message).toContain(`npx wsr-native download --dataset cifar100 --data-dir ${empty}`);
    expect(e.message).toContain('a folder holding the binary files train.bin, test.bin, coarse_label_names.txt and fine_label_names.txt (or the cifar-100-binary.tar.gz archive)');
    // CIFAR-10's files do not count as CIFAR-100's.
    const other = tmpDir();
    writeSynthetic(path.join(other, 'cifar-10-batches-bin'), { seed: 1, trainPerFile: 2, testCount: 2 });
    expect(datasetError(() => findCifar(other, {}, CIFAR100_RELEASE)).code).toBe('NOT_FOUND');
  });

  test('training on it names the files too', async () => {
    const empty = tmpDir();
    await expect(datasetInfo('cifar100').read(empty, { labels: 'coarse' })).rejects.toThrow(/CIFAR-100 not found in [\s\S]*download --dataset cifar100/);
  });
});

describe('the dataset table', () => {
  test('cifar100: the CIFAR network ending in 100 (fine) or 20 (coarse) outputs', () => {
    const info = datasetInfo('cifar100');
    const fine = datasetLabels('cifar100', 'fine');
    const coarse = datasetLabels('cifar100', 'coarse');
    expect(info).toMatchObject({ title: 'CIFAR-100', imageShape: [3, 32, 32], classes: 100, training: { lr: 1e-4, batchSize: 128 } });
    expect(info.network).toBe(fine.network);
    expect(fine).toMatchObject({ set: 'fine', classes: 100, network: { name: 'cifar100-cnn', classes: 100 } });
    expect(coarse).toMatchObject({ set: 'coarse', classes: 20, network: { name: 'cifar100-coarse-cnn', classes: 20 } });
    expect(fine.network.layers.at(-1)).toEqual({ type: 'dense', units: 100 });
    expect(coarse.network.layers.at(-1)).toEqual({ type: 'dense', units: 20 });
    expect(coarse.classNames).toEqual(CIFAR100_COARSE_CLASS_NAMES);
    // The CIFAR-10 network's 2,875,530 parameters with the last layer resized: 1024·100 + 100 or 1024·20 + 20.
    expect(specParameterCount(fine.network)).toBe(2_875_530 - 10_250 + 102_500);
    expect(specParameterCount(coarse.network)).toBe(2_875_530 - 10_250 + 20_500);
    expect(specParameterCount(toLocalSpec(coarse.network))).toBe(11_103_626 - 10_250 + 20_500);
    expect(datasetLabels('cifar10', 'fine').network.name).toBe('cifar10-cnn');
  });

  test('fashion-mnist: the MNIST network and defaults, ten named classes', () => {
    const info = datasetInfo('fashion-mnist');
    expect(info).toMatchObject({ title: 'Fashion-MNIST', imageShape: [1, 28, 28], classes: 10, training: { lr: 1e-3, batchSize: 256, patience: 50, epochs: 250 } });
    expect(info.network).toBe(MNIST_CNN);
    expect(info.classNames[0]).toBe('T-shirt/top');
  });

  test('only cifar100 has coarse labels', () => {
    expect(() => datasetLabels('mnist', 'coarse')).toThrow("labels coarse: mnist has fine labels only; coarse labels are cifar100's");
    expect(Object.keys(datasetInfo('cifar10').labelSets)).toEqual(['fine']);
  });
});

describe('splits', () => {
  test('leak-free splits of CIFAR-100 images, hash-proved disjoint, either label set', async () => {
    const { dataset } = await datasetInfo('cifar100').read(path.dirname(good), { labels: 'coarse', recordsPerFile: null });
    const splits = makeSplits(dataset, { seed: 4, validation: 20 });
    expect(splits.testSource).toBe('official');
    expect(splits.disjoint.disjoint).toBe(true);
    expect([splits.train.count, splits.validation.count, splits.test!.count]).toEqual([80, 20, 30]);
    expect(Math.max(...splits.train.labels)).toBeLessThan(20);
    const fine = makeSplits((await datasetInfo('cifar100').read(path.dirname(good), { recordsPerFile: null })).dataset, { seed: 4, validation: 20 });
    expect(Array.from(splits.train.labels)).toEqual(coarseOf(fine.train.labels));
    expect(Buffer.compare(splits.train.images, fine.train.images)).toBe(0);
  });
});
