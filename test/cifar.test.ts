// The CIFAR-10 reader: round trips through a folder and an archive, the record layout, each kind
// of damaged file with its own error, and (where the shared copy exists) the real training files.
import { execFileSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { Header } from 'tar';
import zlib from 'zlib';
import {
  CIFAR10_CLASS_NAMES,
  CifarDataset,
  DatasetError,
  SYNTHETIC_CLASS_NAMES,
  findCifar,
  generateSynthetic,
  labelHistogram,
  loadCifar,
  makeSplits,
  parseCifarBatch,
  readCifarArchive,
  readCifarFolder,
  writeSynthetic,
} from '../src/data';
import { asyncDatasetError, datasetError, makeArchive, removeTmpDirs, tmpDir } from './helpers/data';

const PER_FILE = 20;
const OPTIONS = { recordsPerFile: PER_FILE };
const RECORD = 3073;

/** The shared copy of the real training files, beside the repository. */
const REAL_DIR = path.join(__dirname, '..', '..', 'shared', 'data', 'cifar-10-batches-bin');

let good: string; // a valid synthetic folder: parent/cifar-10-batches-bin
let expected: CifarDataset;

beforeAll(() => {
  const parent = tmpDir();
  good = path.join(parent, 'cifar-10-batches-bin');
  writeSynthetic(good, { seed: 7, trainPerFile: PER_FILE, testCount: PER_FILE });
  expected = generateSynthetic({ seed: 7, trainPerFile: PER_FILE, testCount: PER_FILE });
});
afterAll(removeTmpDirs);

function expectSameData(actual: CifarDataset, wanted: CifarDataset): void {
  expect(actual.classNames).toEqual(wanted.classNames);
  expect(actual.train.map((f) => f.name)).toEqual(wanted.train.map((f) => f.name));
  actual.train.forEach((f, i) => {
    expect(f.count).toBe(wanted.train[i].count);
    expect(Buffer.compare(f.images, wanted.train[i].images)).toBe(0);
    expect(Buffer.compare(f.labels, wanted.train[i].labels)).toBe(0);
  });
  expect(actual.test?.name).toBe('test_batch.bin');
  expect(Buffer.compare(actual.test!.images, wanted.test!.images)).toBe(0);
  expect(Buffer.compare(actual.test!.labels, wanted.test!.labels)).toBe(0);
}

/** A copy of the good folder, with `change` applied; returns the copy. */
function corrupted(change: (dir: string) => void): string {
  const dir = path.join(tmpDir(), 'cifar-10-batches-bin');
  fs.cpSync(good, dir, { recursive: true });
  change(dir);
  return dir;
}


describe('record layout', () => {
  test('a record is a label byte and 3,072 pixel bytes kept in CHW order', () => {
    const bytes = new Uint8Array(2 * RECORD);
    bytes[0] = 3;
    bytes[RECORD] = 9;
    for (let i = 0; i < 3072; i++) {
      bytes[1 + i] = i % 251;
      bytes[RECORD + 1 + i] = 255 - (i % 256);
    }
    const file = parseCifarBatch(bytes, 'two.bin', { recordsPerFile: 2 });
    expect(file.count).toBe(2);
    expect(Array.from(file.labels)).toEqual([3, 9]);
    expect(file.images.length).toBe(2 * 3072);
    // Pixel (channel c, row y, column x) of image n sits at n·3072 + c·1024 + y·32 + x.
    const at = (n: number, c: number, y: number, x: number): number => file.images[n * 3072 + c * 1024 + y * 32 + x];
    expect(at(0, 0, 0, 0)).toBe(0);
    expect(at(0, 1, 0, 0)).toBe(1024 % 251); // first green byte
    expect(at(0, 2, 31, 31)).toBe(3071 % 251); // last blue byte
    expect(at(1, 0, 1, 0)).toBe(255 - 32);
  });
});

describe('reading a folder', () => {
  test('round-trips a synthetic folder', () => {
    const data = readCifarFolder(good, OPTIONS);
    expectSameData(data, expected);
    expect(data.classNames).toEqual([...SYNTHETIC_CLASS_NAMES]);
    expect(data.source).toBe(path.resolve(good));
  });

  test('expects 10,000 records per file by default', () => {
    const e = datasetError(() => readCifarFolder(good));
    expect(e.code).toBe('TRUNCATED');
    expect(e.message).toContain('data_batch_1.bin');
    expect(e.message).toContain('holds 20 records, expected 10,000 of an official CIFAR-10 file');
  });

  test('accepts any whole number of records with recordsPerFile: null', () => {
    const dir = corrupted((d) => fs.truncateSync(path.join(d, 'data_batch_2.bin'), 7 * RECORD));
    expect(readCifarFolder(dir, { recordsPerFile: null }).train[1].count).toBe(7);
  });

  test('without batches.meta.txt the official class names are used', () => {
    const dir = corrupted((d) => fs.rmSync(path.join(d, 'batches.meta.txt')));
    expect(readCifarFolder(dir, OPTIONS).classNames).toEqual([...CIFAR10_CLASS_NAMES]);
  });

  test('without test_batch.bin the test set is null, unless it is required', () => {
    const dir = corrupted((d) => fs.rmSync(path.join(d, 'test_batch.bin')));
    expect(readCifarFolder(dir, OPTIONS).test).toBeNull();
    const e = datasetError(() => readCifarFolder(dir, { ...OPTIONS, requireTest: true }));
    expect(e.code).toBe('MISSING');
    expect(e.message).toContain('missing test_batch.bin');
  });
});

describe('damaged files give errors that name the file and the problem', () => {
  test('truncated: not a whole number of records', () => {
    const dir = corrupted((d) => fs.truncateSync(path.join(d, 'data_batch_3.bin'), PER_FILE * RECORD - 1));
    const e = datasetError(() => readCifarFolder(dir, OPTIONS));
    expect(e.code).toBe('TRUNCATED');
    expect(e.file).toBe(path.join(dir, 'data_batch_3.bin'));
    expect(e.message).toBe(`${path.join(dir, 'data_batch_3.bin')}: 61,459 bytes is not a whole number of 3,073-byte records (truncated?)`);
  });

  test('truncated at a record boundary: fewer records than expected', () => {
    const dir = corrupted((d) => fs.truncateSync(path.join(d, 'data_batch_4.bin'), (PER_FILE - 1) * RECORD));
    const e = datasetError(() => readCifarFolder(dir, OPTIONS));
    expect(e.code).toBe('TRUNCATED');
    expect(e.message).toContain('data_batch_4.bin: 58,387 bytes holds 19 records, expected 20 (truncated?)');
  });

  test('oversized beyond whole records', () => {
    const dir = corrupted((d) => fs.appendFileSync(path.join(d, 'data_batch_2.bin'), Buffer.alloc(5)));
    const e = datasetError(() => readCifarFolder(dir, OPTIONS));
    expect(e.code).toBe('OVERSIZED');
    expect(e.message).toContain('data_batch_2.bin: 61,465 bytes is more than the 61,460 bytes (20 records of 3,073 bytes)');
    expect(e.message).toContain('not a whole number of records');
    // Without an expected count, the stray bytes still make it not a whole number of records.
    const any = datasetError(() => readCifarFolder(dir, { recordsPerFile: null }));
    expect(any.code).toBe('TRUNCATED');
    expect(any.message).toContain('data_batch_2.bin: 61,465 bytes is not a whole number of 3,073-byte records');
  });

  test('oversized by a whole record', () => {
    const dir = corrupted((d) => {
      const f = path.join(d, 'test_batch.bin');
      fs.appendFileSync(f, fs.readFileSync(f).subarray(0, RECORD));
    });
    const e = datasetError(() => readCifarFolder(dir, OPTIONS));
    expect(e.code).toBe('OVERSIZED');
    expect(e.message).toContain('test_batch.bin');
    expect(e.message).toContain('it holds 21 records');
  });

  test('an official-size check refuses a huge file without reading it all', () => {
    const dir = corrupted((d) => {
      const f = path.join(d, 'data_batch_1.bin');
      fs.truncateSync(f, 0);
      fs.writeFileSync(f, Buffer.alloc(RECORD)); // one record with label 0, then a sparse tail
      fs.truncateSync(f, 10_001 * RECORD);
    });
    const e = datasetError(() => readCifarFolder(dir));
    expect(e.code).toBe('OVERSIZED');
    expect(e.message).toContain('data_batch_1.bin: 30,733,073 bytes is more than the 30,730,000 bytes (10,000 records');
    expect(e.message).toContain('it holds 10,001 records');
  });

  test('label 10', () => {
    const dir = corrupted((d) => {
      const f = path.join(d, 'data_batch_5.bin');
      const bytes = fs.readFileSync(f);
      bytes[17 * RECORD] = 10;
      fs.writeFileSync(f, bytes);
    });
    const e = datasetError(() => readCifarFolder(dir, OPTIONS));
    expect(e.code).toBe('BAD_LABEL');
    expect(e.message).toContain('data_batch_5.bin: label 10 at record 17 (byte offset 52,241): labels must be 0–9');
  });

  test('several bad labels: the first is named and the rest counted', () => {
    const bytes = new Uint8Array(10 * RECORD);
    bytes[2 * RECORD] = 11;
    bytes[5 * RECORD] = 200;
    const e = datasetError(() => parseCifarBatch(bytes, 'x.bin', { recordsPerFile: 10 }));
    expect(e.message).toBe('x.bin: label 11 at record 2 (byte offset 6,146): labels must be 0–9 (and 1 more record(s) with a bad label)');
  });

  test('empty file', () => {
    const dir = corrupted((d) => fs.writeFileSync(path.join(d, 'data_batch_1.bin'), ''));
    const e = datasetError(() => readCifarFolder(dir, OPTIONS));
    expect(e.code).toBe('EMPTY');
    expect(e.message).toBe(`${path.join(dir, 'data_batch_1.bin')}: empty file (0 bytes)`);
  });

  test('random bytes are not a CIFAR-10 file', () => {
    const dir = corrupted((d) => {
      const noise = Buffer.alloc(PER_FILE * RECORD);
      for (let i = 0; i < noise.length; i++) noise[i] = 10 + ((i * 7919 + 13) % 246); // no byte 0–9
      fs.writeFileSync(path.join(d, 'data_batch_3.bin'), noise);
    });
    const e = datasetError(() => readCifarFolder(dir, OPTIONS));
    expect(e.code).toBe('NOT_CIFAR');
    expect(e.message).toContain('data_batch_3.bin: not a CIFAR-10 file');
  });

  test('a gzip file, a pickle and an HTML page are recognised', () => {
    const cases: [Buffer, string][] = [
      [zlib.gzipSync(Buffer.alloc(10_000, 200)), 'gzip'],
      [Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.alloc(4000, 0x7d)]), 'Python pickle'],
      [Buffer.from('<!DOCTYPE html><html><body>404 Not Found</body></html>'.padEnd(5000, ' ')), 'HTML'],
    ];
    for (const [bytes, hint] of cases) {
      const e = datasetError(() => parseCifarBatch(bytes, 'data_batch_1.bin'));
      expect(e.code).toBe('NOT_CIFAR');
      expect(e.message).toContain('not a CIFAR-10 file');
      expect(e.message).toContain(hint);
    }
  });

  test('a missing file is named, with what the folder holds', () => {
    const dir = corrupted((d) => fs.rmSync(path.join(d, 'data_batch_4.bin')));
    const e = datasetError(() => readCifarFolder(dir, OPTIONS));
    expect(e.code).toBe('MISSING');
    expect(e.message).toContain('missing data_batch_4.bin');
    expect(e.message).toContain(
      'found: batches.meta.txt, data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_5.bin, test_batch.bin',
    );
  });

  test('a folder that is not there', () => {
    const e = datasetError(() => readCifarFolder(path.join(tmpDir(), 'nope')));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain('nope: no such folder');
  });

  test('a bad class-name file', () => {
    const dir = corrupted((d) => fs.writeFileSync(path.join(d, 'batches.meta.txt'), 'cat\ndog\n'));
    const e = datasetError(() => readCifarFolder(dir, OPTIONS));
    expect(e.code).toBe('BAD_META');
    expect(e.message).toContain('batches.meta.txt: expected 10 class names, one a line, found 2 line(s)');
  });
});

describe('reading the archive', () => {
  let archive: string;
  beforeAll(async () => {
    archive = path.join(tmpDir(), 'cifar-10-binary.tar.gz');
    fs.writeFileSync(path.join(good, 'readme.html'), '<html>the official archive has one of these</html>');
    await makeArchive(path.dirname(good), archive);
    fs.rmSync(path.join(good, 'readme.html'));
  });

  test('round-trips a synthetic .tar.gz built with the tar package', async () => {
    const data = await readCifarArchive(archive, OPTIONS);
    expectSameData(data, expected);
    expect(data.source).toBe(archive);
  });

  test('reads an uncompressed .tar and a GNU-tar archive too', async () => {
    const plain = path.join(tmpDir(), 'cifar.tar');
    await makeArchive(path.dirname(good), plain);
    expectSameData(await readCifarArchive(plain, OPTIONS), expected);
    let gnu: string | null = path.join(tmpDir(), 'gnu.tar.gz');
    try {
      execFileSync('tar', ['-czf', gnu, '--format=gnu', '-C', path.dirname(good), 'cifar-10-batches-bin'], { stdio: 'ignore' });
    } catch {
      gnu = null; // no GNU tar on this machine
    }
    if (gnu) expectSameData(await readCifarArchive(gnu, OPTIONS), expected);
  });

  test('findCifar and loadCifar find an archive in the data folder, or given directly', async () => {
    const dataDir = path.dirname(archive);
    expect(findCifar(dataDir)).toEqual({ kind: 'archive', path: archive, dataDir });
    expectSameData(await loadCifar({ dataDir, ...OPTIONS }), expected);
    expectSameData(await loadCifar({ dataDir: archive, ...OPTIONS }), expected);
  });

  test('a truncated archive', async () => {
    const cut = path.join(tmpDir(), 'cut.tar.gz');
    const bytes = fs.readFileSync(archive);
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    const e = await asyncDatasetError(readCifarArchive(cut, OPTIONS));
    expect(e.code).toBe('BAD_ARCHIVE');
    expect(e.message).toContain(`${cut}: the gzip stream ends early`);
  });

  test('a file that is no archive at all', async () => {
    const junk = path.join(tmpDir(), 'junk.tar.gz');
    fs.writeFileSync(junk, Buffer.alloc(5000, 'x'));
    const e = await asyncDatasetError(readCifarArchive(junk, OPTIONS));
    expect(e.code).toBe('BAD_ARCHIVE');
    expect(e.message).toContain('junk.tar.gz: not a tar archive');
    const empty = path.join(tmpDir(), 'empty.tar.gz');
    fs.writeFileSync(empty, '');
    expect((await asyncDatasetError(readCifarArchive(empty, OPTIONS))).code).toBe('EMPTY');
  });

  test('a damaged member is named inside the archive', async () => {
    const dir = corrupted((d) => {
      const f = path.join(d, 'data_batch_2.bin');
      const bytes = fs.readFileSync(f);
      bytes[3 * RECORD] = 12;
      fs.writeFileSync(f, bytes);
    });
    const bad = path.join(tmpDir(), 'bad.tar.gz');
    await makeArchive(path.dirname(dir), bad);
    const e = await asyncDatasetError(readCifarArchive(bad, OPTIONS));
    expect(e.code).toBe('BAD_LABEL');
    expect(e.message).toContain(`${bad} (member cifar-10-batches-bin/data_batch_2.bin): label 12 at record 3`);
  });

  test('an oversized member is refused', async () => {
    const e = await asyncDatasetError(readCifarArchive(archive, { recordsPerFile: PER_FILE - 1 }));
    expect(e.code).toBe('OVERSIZED');
    expect(e.message).toContain('(member cifar-10-batches-bin/data_batch_1.bin): 61,460 bytes is more than the 58,387 bytes');
  });

  test('missing members are listed with what the archive holds', async () => {
    const dir = corrupted((d) => fs.rmSync(path.join(d, 'data_batch_5.bin')));
    const partial = path.join(tmpDir(), 'partial.tar.gz');
    await makeArchive(path.dirname(dir), partial);
    const e = await asyncDatasetError(readCifarArchive(partial, OPTIONS));
    expect(e.code).toBe('MISSING');
    expect(e.message).toContain('missing cifar-10-batches-bin/data_batch_5.bin');
    expect(e.message).toContain('the archive holds: cifar-10-batches-bin');
    expect(e.message).toContain('cifar-10-batches-bin/data_batch_4.bin');
  });

  /** A plain tar of `members` built header by header (names and types as given: no sanitising). */
  function rawTar(file: string, members: { name: string; type?: 'File' | 'SymbolicLink'; data?: Buffer; link?: string }[]): void {
    const blocks: Buffer[] = [];
    for (const m of members) {
      const data = m.data ?? Buffer.alloc(0);
      const header = Buffer.alloc(512);
      new Header({ path: m.name, type: m.type ?? 'File', size: data.length, mode: 0o644, mtime: new Date(0), linkpath: m.link ?? '' }).encode(header, 0);
      blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
    fs.writeFileSync(file, Buffer.concat([...blocks, Buffer.alloc(1024)]));
  }

  test('members that try to leave the folder, or links, are never taken for CIFAR files', async () => {
    const bytes = (name: string): Buffer => fs.readFileSync(path.join(good, name));
    const names = ['data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin', 'batches.meta.txt'];
    const evil = path.join(tmpDir(), 'evil.tar');
    rawTar(evil, [
      { name: '../cifar-10-batches-bin/data_batch_1.bin', data: bytes('data_batch_1.bin') },
      { name: '/cifar-10-batches-bin/data_batch_2.bin', data: bytes('data_batch_2.bin') },
      { name: 'cifar-10-batches-bin/data_batch_3.bin', type: 'SymbolicLink', link: '/etc/passwd' },
      ...names.map((n) => ({ name: `cifar-10-batches-bin/${n}`, data: bytes(n) })),
    ]);
    const e = await asyncDatasetError(readCifarArchive(evil, OPTIONS));
    expect(e.code).toBe('MISSING');
    expect(e.message).toContain('missing cifar-10-batches-bin/data_batch_1.bin, cifar-10-batches-bin/data_batch_2.bin, cifar-10-batches-bin/data_batch_3.bin;');
    expect(e.message).toContain('the archive holds: ../cifar-10-batches-bin/data_batch_1.bin, /cifar-10-batches-bin/data_batch_2.bin');
    expect(fs.existsSync(path.join(path.dirname(evil), '..', 'cifar-10-batches-bin'))).toBe(false);
  });

  test('a damaged header after the first, and a plain tar cut short', async () => {
    const plain = path.join(tmpDir(), 'plain.tar');
    await makeArchive(path.dirname(good), plain);
    const bytes = fs.readFileSync(plain);
    const damaged = Buffer.from(bytes);
    damaged[512 + 10] ^= 0xff; // inside the second header (the first is the folder, with no data)
    const bad = path.join(tmpDir(), 'damaged.tar');
    fs.writeFileSync(bad, damaged);
    let e = await asyncDatasetError(readCifarArchive(bad, OPTIONS));
    expect(e.code).toBe('BAD_ARCHIVE');
    expect(e.message).toContain(`${bad}: a tar header is damaged (bad checksum)`);
    const cut = path.join(tmpDir(), 'cut.tar');
    fs.writeFileSync(cut, bytes.subarray(0, 512 * 5 + 100));
    e = await asyncDatasetError(readCifarArchive(cut, OPTIONS));
    expect(e.code).toBe('BAD_ARCHIVE');
    expect(e.message).toMatch(/cut\.tar: the archive ends early, in or after member cifar-10-batches-bin\/\S+ \(truncated\?\)/);
  });

  test('an archive of something else', async () => {
    const other = tmpDir();
    fs.mkdirSync(path.join(other, 'photos'));
    fs.writeFileSync(path.join(other, 'photos', 'a.jpg'), 'jpeg');
    const foreign = path.join(tmpDir(), 'foreign.tar.gz');
    await makeArchive(other, foreign, ['photos']);
    const e = await asyncDatasetError(readCifarArchive(foreign, OPTIONS));
    expect(e.code).toBe('MISSING');
    expect(e.message).toContain('the archive holds: photos/, photos/a.jpg');
  });
});

const realAvailable = fs.existsSync(path.join(REAL_DIR, 'data_batch_1.bin'));
(realAvailable ? describe : describe.skip)(
  realAvailable ? 'the real CIFAR-10 training files' : `the real CIFAR-10 training files [skipped: ${REAL_DIR} is absent]`,
  () => {
    test('50,000 images, 5,000 a class, splits disjoint by content hash', () => {
      const data = readCifarFolder(REAL_DIR);
      expect(data.train.map((f) => f.count)).toEqual([10_000, 10_000, 10_000, 10_000, 10_000]);
      expect(data.classNames).toEqual([...CIFAR10_CLASS_NAMES]);
      const histogram = new Array<number>(10).fill(0);
      for (const f of data.train) labelHistogram(f.labels).forEach((n, c) => (histogram[c] += n));
      expect(histogram).toEqual(new Array(10).fill(5000));

      const splits = makeSplits(data, { seed: 1 });
      expect(splits.disjoint.disjoint).toBe(true);
      expect(splits.testSource).toBe(data.test ? 'official' : 'held-out-file');
      if (!data.test) {
        expect(splits.description).toContain('data_batch_5.bin, held out as the test set because test_batch.bin is absent');
      }
      const { dropped } = splits.duplicates;
      expect(splits.train.count).toBe((data.test ? 50_000 : 40_000) - 5000);
      expect(splits.validation.count).toBe(5000 - dropped.validation);
      expect(splits.test!.count).toBe(10_000 - dropped.test);
    }, 60_000);
  },
);
