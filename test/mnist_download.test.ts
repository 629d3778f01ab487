// `download --dataset mnist` against a local HTTP server (127.0.0.1, a random port) serving four
// generated .gz files: a full download with MD5 checks that the reader then reads, nothing fetched
// when the files are there, a dead source skipped for the next, an interrupted transfer resumed
// with Range, a wrong checksum and a bad file with the right checksum that leave nothing behind,
// and the CLI. No internet needed.
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import path from 'path';
import { cli } from './helpers/cli';
import { md5, rejection, removeTmpDirs, snapshot, tmpDir } from './helpers/data';
import {
  DatasetError,
  DownloadError,
  MNIST_FILES,
  MNIST_MD5,
  MNIST_SOURCES,
  MnistRole,
  downloadMnist,
  findMnist,
  generateSynthetic,
  readMnistFiles,
  writeMnistFolder,
} from '../src/data';

const ROLES: MnistRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];
const data = generateSynthetic({ seed: 8, trainPerFile: 20, testCount: 25, format: 'mnist' });
let files: Record<string, Buffer>;
let sums: Record<MnistRole, string>;

interface Served {
  base: string;
  requests: { path: string; range: string | undefined }[];
  /** Send only this many bytes of `cutFile`'s first request, then drop the connection. */
  cut: { file: string; at: number } | null;
  /** Serve these bytes for a file instead of the real ones. */
  replace: Record<string, Buffer>;
  close(): Promise<void>;
}

let server: Served;

async function serve(): Promise<Served> {
  const state: Served = { base: '', requests: [], cut: null, replace: {}, close: async () => undefined };
  const http404 = /^\/dead\//;
  const srv = http.createServer((req, res) => {
    const url = req.url ?? '';
    state.requests.push({ path: url, range: req.headers.range });
    const name = path.basename(url);
    const body = state.replace[name] ?? files[name];
    if (http404.test(url) || !body) {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'Content-Length': body.length });
    if (state.cut && state.cut.file === name) {
      const { at } = state.cut;
      state.cut = null;
      res.write(body.subarray(0, at), () => setTimeout(() => res.socket?.destroy(), 50));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  state.base = `http://127.0.0.1:${port}/mnist/`;
  state.close = () =>
    new Promise<void>((resolve) => {
      srv.closeAllConnections();
      srv.close(() => resolve());
    });
  return state;
}

beforeAll(async () => {
  const dir = tmpDir();
  writeMnistFolder(dir, data, { gzip: true });
  files = Object.fromEntries(fs.readdirSync(dir).map((n) => [n, fs.readFileSync(path.join(dir, n))]));
  sums = Object.fromEntries(ROLES.map((r) => [r, md5(files[`${MNIST_FILES[r]}.gz`])])) as Record<MnistRole, string>;
  server = await serve();
});

afterAll(async () => {
  await server.close();
  removeTmpDirs();
});

beforeEach(() => {
  server.requests.length = 0;
  server.cut = null;
  server.replace = {};
});

const options = (dataDir: string, extra: Parameters<typeof downloadMnist>[0] = {}): Parameters<typeof downloadMnist>[0] => ({
  dataDir,
  sources: [server.base],
  md5: sums,
  retryDelayMs: 0,
  timeoutMs: 10_000,
  ...extra,
});

describe('downloadMnist', () => {
  test('fetches the four files, checks them, and the reader reads them; a second call fetches nothing', async () => {
    const dataDir = tmpDir();
    const progress: string[] = [];
    const result = await downloadMnist(options(dataDir, { onProgress: (file, received, total) => received === total && progress.push(file) }));
    expect(result.dir).toBe(path.join(dataDir, 'mnist'));
    expect(result.downloaded).toBe(true);
    expect(result.bytesFetched).toBe(Object.values(files).reduce((n, b) => n + b.length, 0));
    expect(fs.readdirSync(result.dir).sort()).toEqual(Object.keys(files).sort()); // no .part left
    expect(new Set(progress)).toEqual(new Set(Object.keys(files)));
    const read = readMnistFiles(findMnist(dataDir));
    expect(read.train[0].count).toBe(100);
    expect(Buffer.compare(read.test!.labels, data.test!.labels)).toBe(0);

    server.requests.length = 0;
    const again = await downloadMnist(options(dataDir));
    expect(again.downloaded).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  test('a source that fails is skipped for the next', async () => {
    const dataDir = tmpDir();
    const dead = server.base.replace('/mnist/', '/dead/');
    const result = await downloadMnist(options(dataDir, { sources: [dead, server.base] }));
    expect(result.downloaded).toBe(true);
    expect(server.requests.filter((r) => r.path.startsWith('/dead/'))).toHaveLength(4);
    expect(readMnistFiles(findMnist(dataDir)).test!.count).toBe(25);
  });

  test('an interrupted transfer keeps its .part file and resumes it with Range', async () => {
    const dataDir = tmpDir();
    const name = 'train-images-idx3-ubyte.gz';
    const half = files[name].length >> 1;
    server.cut = { file: name, at: half };
    const error = await rejection(downloadMnist(options(dataDir, { retries: 0 })));
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toContain('run the download again to resume');
    const part = path.join(dataDir, 'mnist', `${name}.part`);
    expect(fs.statSync(part).size).toBe(half);
    const result = await downloadMnist(options(dataDir));
    expect(result.downloaded).toBe(true);
    expect(server.requests.filter((r) => r.path.endsWith(name)).map((r) => r.range)).toEqual([undefined, `bytes=${half}-`]);
    expect(fs.existsSync(part)).toBe(false);
    expect(md5(fs.readFileSync(path.join(dataDir, 'mnist', name)))).toBe(sums.trainImages);
  });

  test('a file with the wrong checksum is deleted; the checked files stay and nothing else changes', async () => {
    const dataDir = tmpDir();
    fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
    const before = snapshot(dataDir);
    const corrupt = Buffer.from(files['t10k-labels-idx1-ubyte.gz']);
    corrupt[10] ^= 0x40;
    server.replace = { 't10k-labels-idx1-ubyte.gz': corrupt };
    const error = await rejection(downloadMnist(options(dataDir)));
    expect((error as DownloadError).code).toBe('CHECKSUM');
    expect(error.message).toContain(`t10k-labels-idx1-ubyte.gz (from ${server.base}t10k-labels-idx1-ubyte.gz): MD5 checksum mismatch: expected ${sums.testLabels}, got ${md5(corrupt)}`);
    // The three good files stay, checked, for the next attempt; nothing unchecked is there.
    expect(fs.readdirSync(path.join(dataDir, 'mnist')).sort()).toEqual(['t10k-images-idx3-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz']);
    fs.rmSync(path.join(dataDir, 'mnist'), { recursive: true });
    expect(snapshot(dataDir)).toEqual(before);
  });

  test('a bad file with the right checksum is refused with its name, and nothing is left', async () => {
    const dataDir = tmpDir();
    const before = snapshot(dataDir);
    const bad = Buffer.from('<html>moved</html>');
    server.replace = { 'train-images-idx3-ubyte.gz': bad };
    const error = await rejection(downloadMnist(options(dataDir, { md5: { ...sums, trainImages: md5(bad) } })));
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toMatch(/^train-images-idx3-ubyte\.gz: not an IDX file: .*HTML/);
    expect(snapshot(dataDir)).toEqual(before);
  });

  test('bad options are refused before anything is fetched; the official sources and checksums are the defaults', async () => {
    await expect(downloadMnist(options(tmpDir(), { sources: ['ftp://example.com/'] }))).rejects.toThrow('expected an http: or https: URL');
    await expect(downloadMnist(options(tmpDir(), { md5: { trainImages: 'xyz' } }))).rejects.toThrow('md5.trainImages must be 32 hex digits');
    expect(server.requests).toHaveLength(0);
    expect(MNIST_SOURCES[0]).toBe('https://ossci-datasets.s3.amazonaws.com/mnist/');
    expect(MNIST_MD5.trainImages).toBe('f68b3c2dcbeaaa9fbdd348bbdeb94873');
  });
});

describe('wsr-native download --dataset mnist', () => {
  test('fetches from --url and checks each file against the official MD5: generated files are refused, naming the file', async () => {
    const dataDir = tmpDir();
    fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
    const before = snapshot(dataDir);
    const r = await cli('download', '--dataset', 'mnist', '--data-dir', dataDir, '--url', server.base);
    expect(r.code).toBe(1);
    expect(server.requests.map((q) => q.path)).toEqual(['/mnist/train-images-idx3-ubyte.gz']);
    expect(r.stderr).toMatch(/train-images-idx3-ubyte\.gz \(from http:\/\/127\.0\.0\.1:\d+\/mnist\/train-images-idx3-ubyte\.gz\): MD5 checksum mismatch: expected f68b3c2dcbeaaa9fbdd348bbdeb94873/);
    expect(snapshot(dataDir)).toEqual(before);
    const bad = await cli('download', '--dataset', 'imagenet');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/option '--dataset <name>' argument 'imagenet' is invalid\. expected one of cifar10, cifar100, mnist, fashion-mnist/);
  });
});
