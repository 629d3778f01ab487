// Fashion-MNIST on generated IDX files (MNIST's format and file names, its own folders and class
// names): where the files are found, what the message says when they are not, every bad file an
// error naming it, and the download against a local server on 127.0.0.1 — MD5-checked files, a
// checksum mismatch that leaves the cache as it was, an interrupted transfer resumed — and the CLI.
import fs from 'fs';
import path from 'path';
import zlib from 'zlib';
import { cli } from './helpers/cli';
import { datasetError, md5, rejection, removeTmpDirs, snapshot, tmpDir } from './helpers/data';
import { FileServer, serveFiles } from './helpers/fileServer';
import {
  DatasetError,
  DownloadError,
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_DATASET,
  MNIST_FILES,
  MNIST_ROLES,
  MnistDownloadOptions,
  MnistRole,
  datasetInfo,
  downloadMnist,
  encodeIdxImages,
  encodeIdxLabels,
  findMnist,
  generateSynthetic,
  readMnistFiles,
  writeMnistFolder,
} from '../src/data';

// MNIST's format and the synthetic 28×28 scenes stand in for Fashion-MNIST's files.
const data = generateSynthetic({ seed: 9, trainPerFile: 16, testCount: 20, format: 'mnist' });
const GZ = MNIST_ROLES.map((r) => `${MNIST_FILES[r]}.gz`);
let files: Record<string, Buffer>;
let sums: Record<MnistRole, string>;
let server: FileServer;

beforeAll(async () => {
  const dir = tmpDir();
  writeMnistFolder(dir, data, { gzip: true });
  files = Object.fromEntries(GZ.map((n) => [n, fs.readFileSync(path.join(dir, n))]));
  sums = Object.fromEntries(MNIST_ROLES.map((r, i) => [r, md5(files[GZ[i]])])) as Record<MnistRole, string>;
  server = await serveFiles(files);
});
afterAll(async () => {
  await server.close();
  removeTmpDirs();
});
beforeEach(() => {
  server.requests.length = 0;
  for (const [name, bytes] of Object.entries(files)) server.files.set(name, bytes);
});

describe('finding and reading the files', () => {
  test('in fashion-mnist/ or FashionMNIST/raw/, with the ten Fashion-MNIST class names', async () => {
    const root = tmpDir();
    writeMnistFolder(path.join(root, 'fashion-mnist'), data, { gzip: true });
    const location = findMnist(root, {}, FASHION_MNIST_DATASET);
    expect(location).toMatchObject({ dir: path.join(root, 'fashion-mnist'), dataDir: root, dataset: FASHION_MNIST_DATASET });
    const read = readMnistFiles(location);
    expect(read.classNames).toEqual([...FASHION_MNIST_CLASS_NAMES]);
    expect(read.train[0].count).toBe(80);
    expect(Buffer.compare(read.test!.images, data.test!.images)).toBe(0);
    const viaTable = await datasetInfo('fashion-mnist').read(root);
    expect(viaTable.files).toEqual(GZ.map((n) => path.join(root, 'fashion-mnist', n)));
    expect(viaTable.dataset.imageShape).toEqual([1, 28, 28]);

    const torch = tmpDir();
    writeMnistFolder(path.join(torch, 'FashionMNIST', 'raw'), data);
    expect(findMnist(torch, {}, FASHION_MNIST_DATASET).files.trainLabels).toBe(path.join(torch, 'FashionMNIST', 'raw', 'train-labels-idx1-ubyte'));
  });

  test("MNIST's folders are not Fashion-MNIST's: the message names the download and the files", () => {
    const root = tmpDir();
    writeMnistFolder(path.join(root, 'mnist'), data);
    const e = datasetError(() => findMnist(root, {}, FASHION_MNIST_DATASET));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toContain(`Fashion-MNIST not found in ${root}, --data-dir: looked for train-images-idx3-ubyte(.gz) … in it and in its fashion-mnist/ and FashionMNIST/raw/ subfolders.`);
    expect(e.message).toContain(`download the four official files (about 30 MB, MD5-checked) into ${path.join(root, 'fashion-mnist')}:`);
    expect(e.message).toContain(`npx wsr-native download --dataset fashion-mnist --data-dir ${root}`);
    expect(e.message).toContain('a folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (gzipped or not)');
    const partial = path.join(tmpDir(), 'fashion-mnist');
    writeMnistFolder(partial, data);
    fs.rmSync(path.join(partial, 't10k-images-idx3-ubyte'));
    const m = datasetError(() => findMnist(path.dirname(partial), {}, FASHION_MNIST_DATASET));
    expect(m.message).toBe(`${partial}: missing t10k-images-idx3-ubyte(.gz) of the four Fashion-MNIST files; run npx wsr-native download --dataset fashion-mnist --data-dir ${path.dirname(partial)}`);
  });
});

describe('bad files give an error naming the file', () => {
  const images = encodeIdxImages(data.test!.images, 20);
  const labels = encodeIdxLabels(data.test!.labels, 20);

  /** A Fashion-MNIST folder whose file of `role` holds `bytes`; resolves to the error reading it gives. */
  async function readWith(role: MnistRole, bytes: Uint8Array): Promise<{ file: string; error: DatasetError }> {
    const root = tmpDir();
    const dir = path.join(root, 'fashion-mnist');
    writeMnistFolder(dir, data);
    const file = path.join(dir, MNIST_FILES[role]);
    fs.writeFileSync(file, bytes);
    const error = (await rejection(datasetInfo('fashion-mnist').read(root))) as DatasetError;
    expect(error).toBeInstanceOf(DatasetError);
    return { file, error };
  }

  test('the wrong magic number: a labels file in place of the images', async () => {
    const { file, error } = await readWith('testImages', labels);
    expect(error.code).toBe('BAD_MAGIC');
    expect(error.message).toBe(`${file}: magic number 0x00000801, expected 0x00000803 (MNIST images: unsigned bytes, 3 dimensions): it looks like a labels file`);
  });

  test('a truncated file, gzipped', async () => {
    const { file, error } = await readWith('trainImages', zlib.gzipSync(images).subarray(0, 200));
    expect(error.code).toBe('TRUNCATED');
    expect(error.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the gzip stream ends early`));
  });

  test('a label of 10 or more', async () => {
    const bad = Buffer.from(labels);
    bad[8 + 4] = 10;
    const { file, error } = await readWith('testLabels', bad);
    expect(error.code).toBe('BAD_LABEL');
    expect(error.message).toBe(`${file}: label 10 at item 4: labels must be 0–9`);
  });
});

const options = (dataDir: string, extra: MnistDownloadOptions = {}): MnistDownloadOptions => ({
  dataDir,
  dataset: FASHION_MNIST_DATASET,
  sources: [server.base],
  md5: sums,
  retryDelayMs: 0,
  timeoutMs: 10_000,
  ...extra,
});

describe('download', () => {
  test("fetches Zalando's four files into fashion-mnist/, checks them, and installs them once", async () => {
    const dataDir = tmpDir();
    const result = await downloadMnist(options(dataDir));
    expect(result).toMatchObject({ dir: path.join(dataDir, 'fashion-mnist'), downloaded: true });
    expect(fs.readdirSync(result.dir).sort()).toEqual([...GZ].sort());
    expect(readMnistFiles(findMnist(dataDir, {}, FASHION_MNIST_DATASET)).classNames[9]).toBe('Ankle boot');
    server.requests.length = 0;
    expect((await downloadMnist(options(dataDir))).downloaded).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  test('an MD5 mismatch leaves the cache as it was', async () => {
    const dataDir = tmpDir();
    await downloadMnist(options(dataDir));
    fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
    const before = snapshot(dataDir);
    const corrupt = Buffer.from(files['train-labels-idx1-ubyte.gz']);
    corrupt[20] ^= 0x10;
    server.files.set('train-labels-idx1-ubyte.gz', corrupt);
    const error = await rejection(downloadMnist(options(dataDir, { force: true })));
    expect((error as DownloadError).code).toBe('CHECKSUM');
    expect(error.message).toContain(`train-labels-idx1-ubyte.gz (from ${server.base}train-labels-idx1-ubyte.gz): MD5 checksum mismatch: expected ${sums.trainLabels}, got ${md5(corrupt)}`);
    expect(snapshot(dataDir)).toEqual(before);
  });

  test('an interrupted transfer is resumed with a Range request', async () => {
    const dataDir = tmpDir();
    const name = 'train-images-idx3-ubyte.gz';
    const part = path.join(dataDir, 'fashion-mnist', `${name}.part`);
    const half = files[name].length >> 1;
    server.cut(name, half, part);
    const error = await rejection(downloadMnist(options(dataDir, { retries: 0 })));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toContain('run the download again to resume');
    expect(fs.statSync(part).size).toBe(half);
    expect((await downloadMnist(options(dataDir))).downloaded).toBe(true);
    expect(server.requests.filter((r) => r.path.endsWith(name)).map((r) => r.range)).toEqual([undefined, `bytes=${half}-`]);
    expect(fs.existsSync(part)).toBe(false);
    expect(md5(fs.readFileSync(path.join(dataDir, 'fashion-mnist', name)))).toBe(sums.trainImages);
  });

  test("the defaults are Zalando's files and the MD5s its README publishes", () => {
    expect(FASHION_MNIST_DATASET.sources[0]).toBe('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/');
    expect(FASHION_MNIST_DATASET.md5).toEqual({
      trainImages: '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
      trainLabels: '25c81989df183df01b3e8a0aad5dffbe',
      testImages: 'bef4ecab320f06d8554ea6380940ec79',
      testLabels: 'bb300cfdad3c16e7a12a480ee83cd310',
    });
    expect(datasetInfo('fashion-mnist').download!.sources).toBe(FASHION_MNIST_DATASET.sources);
  });

  test('wsr-native download --dataset fashion-mnist checks the official MD5: generated files are refused, naming the file', async () => {
    const dataDir = tmpDir();
    fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
    const before = snapshot(dataDir);
    const r = await cli('download', '--dataset', 'fashion-mnist', '--data-dir', dataDir, '--url', server.base);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/train-images-idx3-ubyte\.gz \(from http:\/\/127\.0\.0\.1:\d+\/files\/train-images-idx3-ubyte\.gz\): MD5 checksum mismatch: expected 8d4fb7e6c68d591d4c3dfef9ec88bf0d/);
    expect(snapshot(dataDir)).toEqual(before);
  });
});
