// Downloading CIFAR-100's binary release against a local server on 127.0.0.1 serving a generated
// cifar-100-binary.tar.gz: MD5-checked and unpacked into cifar-100-binary/ only once every file
// checks out, installed once, an MD5 mismatch or a bad member leaving the data folder as it was, an
// interrupted transfer resumed with Range, and the CLI refusing generated files against the official
// checksum. No internet needed.
import fs from 'fs';
import path from 'path';
import { cli } from './helpers/cli';
import { makeArchive, md5, rejection, removeTmpDirs, snapshot, tmpDir } from './helpers/data';
import { FileServer, serveFiles } from './helpers/fileServer';
import { CIFAR100_RELEASE, DatasetError, DownloadError, DownloadOptions, downloadCifar, readCifarFolder, writeSynthetic } from '../src/data';

const ARCHIVE = 'cifar-100-binary.tar.gz';
const RECORD = 3074;
let good: Buffer;
let badLabel: Buffer;
let server: FileServer;

/** A gzipped archive of a generated cifar-100-binary/ folder, changed by `change` first. */
async function archiveOf(change: (dir: string) => void = () => undefined): Promise<Buffer> {
  const parent = tmpDir();
  const dir = path.join(parent, 'cifar-100-binary');
  writeSynthetic(dir, { seed: 6, format: 'cifar100', trainPerFile: 8, testCount: 12 });
  change(dir);
  const out = path.join(tmpDir(), ARCHIVE);
  await makeArchive(parent, out, ['cifar-100-binary']);
  return fs.readFileSync(out);
}

beforeAll(async () => {
  good = await archiveOf();
  badLabel = await archiveOf((dir) => {
    const file = path.join(dir, 'test.bin');
    const bytes = fs.readFileSync(file);
    bytes[3 * RECORD] = 25; // a coarse label of 25
    fs.writeFileSync(file, bytes);
  });
  server = await serveFiles({ [ARCHIVE]: good });
});
afterAll(async () => {
  await server.close();
  removeTmpDirs();
});
beforeEach(() => {
  server.requests.length = 0;
  server.files.set(ARCHIVE, good);
});

const options = (dataDir: string, extra: DownloadOptions = {}): DownloadOptions => ({
  dataDir,
  release: CIFAR100_RELEASE,
  url: `${server.base}${ARCHIVE}`,
  md5: md5(good),
  recordsPerFile: null,
  retryDelayMs: 0,
  timeoutMs: 10_000,
  ...extra,
});

describe('downloadCifar with the CIFAR-100 release', () => {
  test('fetches the archive, checks it, unpacks cifar-100-binary/ and removes the archive; a second call fetches nothing', async () => {
    const dataDir = tmpDir();
    const result = await downloadCifar(options(dataDir));
    expect(result).toMatchObject({ dir: path.join(dataDir, 'cifar-100-binary'), downloaded: true, bytesFetched: good.length, archive: null });
    expect(fs.readdirSync(dataDir)).toEqual(['cifar-100-binary']);
    expect(fs.readdirSync(result.dir).sort()).toEqual(['coarse_label_names.txt', 'fine_label_names.txt', 'test.bin', 'train.bin']);
    const read = readCifarFolder(result.dir, { release: CIFAR100_RELEASE, recordsPerFile: null, labels: 'coarse' });
    expect(read.train[0].count).toBe(40);
    expect(read.classNames).toHaveLength(20);
    server.requests.length = 0;
    expect((await downloadCifar(options(dataDir))).downloaded).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  test('an MD5 mismatch deletes the download and leaves the data folder as it was', async () => {
    const dataDir = tmpDir();
    await downloadCifar(options(dataDir));
    fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
    const before = snapshot(dataDir);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length >> 1] ^= 0x20;
    server.files.set(ARCHIVE, corrupt);
    const error = await rejection(downloadCifar(options(dataDir, { force: true })));
    expect((error as DownloadError).code).toBe('CHECKSUM');
    expect(error.message).toContain(`${ARCHIVE} (from ${server.base}${ARCHIVE}): MD5 checksum mismatch: expected ${md5(good)}, got ${md5(corrupt)}.`);
    expect(snapshot(dataDir)).toEqual(before);
  });

  test('an archive with the right MD5 but a bad label is refused, naming the member; nothing is installed', async () => {
    const dataDir = tmpDir();
    const before = snapshot(dataDir);
    server.files.set(ARCHIVE, badLabel);
    const error = await rejection(downloadCifar(options(dataDir, { md5: md5(badLabel) })));
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toContain(`(member cifar-100-binary/test.bin): coarse label 25 at record 3 (byte offset 9,222): coarse labels must be 0–19`);
    expect(snapshot(dataDir)).toEqual(before);
  });

  test('an interrupted download keeps its .part file and resumes it with Range', async () => {
    const dataDir = tmpDir();
    const part = path.join(dataDir, `${ARCHIVE}.part`);
    const cut = Math.floor(good.length / 3);
    server.cut(ARCHIVE, cut, part);
    const error = await rejection(downloadCifar(options(dataDir, { retries: 0 })));
    expect(error).toBeInstanceOf(DownloadError);
    expect(fs.statSync(part).size).toBe(cut);
    const result = await downloadCifar(options(dataDir));
    expect(result).toMatchObject({ downloaded: true, resumedFrom: cut, bytesFetched: good.length - cut });
    expect(server.requests.map((r) => r.range)).toEqual([undefined, `bytes=${cut}-`]);
    expect(fs.existsSync(part)).toBe(false);
  });
});

describe('wsr-native download --dataset cifar100', () => {
  test("checks the archive against the CIFAR page's MD5: a generated one is refused, naming it, and the data folder is as it was", async () => {
    const dataDir = tmpDir();
    fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
    const before = snapshot(dataDir);
    const r = await cli('download', '--dataset', 'cifar100', '--data-dir', dataDir, '--url', `${server.base}${ARCHIVE}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${ARCHIVE} (from ${server.base}${ARCHIVE}): MD5 checksum mismatch: expected 03b5dce01913d631647c71ecec9e9cb8, got ${md5(good)}`);
    expect(snapshot(dataDir)).toEqual(before);
  });
});
