// The downloader against a local HTTP server (127.0.0.1, a random port) serving a generated
// archive: a full download with MD5 check and unpacking, resuming an interrupted download with
// Range, a server that ignores Range, redirects, a corrupt archive that must leave the data
// folder exactly as it was, and the data-folder helpers. No internet needed.
import fs from 'fs';
import http from 'http';
import { AddressInfo } from 'net';
import os from 'os';
import path from 'path';
import {
  CIFAR_URL,
  CifarDataset,
  DatasetError,
  DownloadError,
  downloadCifar,
  findCifar,
  generateSynthetic,
  progressPrinter,
  readCifarFolder,
  resolveDataDir,
  writeSynthetic,
} from '../src/data';
import { makeArchive, md5, rejection, removeTmpDirs, snapshot, tmpDir } from './helpers/data';

const PER_FILE = 30;

interface Behaviour {
  /**
   * Send only this many bytes of the body on the first request, then drop the connection once
   * the client has written them all to `partFile` (so the test knows what is on disk; node
   * discards data it has received but not yet handed to the reader when a connection drops).
   */
  cutFirstAt?: number;
  partFile?: string;
  /** Answer every request with the whole file (200), ignoring Range. */
  ignoreRange?: boolean;
  /** Serve these bytes instead of the archive. */
  body?: Buffer;
  /** Answer with this status and no body. */
  status?: number;
  /** Send this many bytes of the body, then nothing more (the connection stays open). */
  stallAt?: number;
}

interface Served {
  url: string;
  requests: { path: string; range: string | undefined }[];
  set(b: Behaviour): void;
  close(): Promise<void>;
}

let archiveBytes: Buffer;
let archiveMd5: string;
let badLabelArchive: Buffer;
let expected: CifarDataset;

async function serve(): Promise<Served> {
  let behaviour: Behaviour = {};
  const requests: Served['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ path: req.url ?? '', range: req.headers.range });
    if (req.url === '/loop') {
      res.writeHead(302, { Location: '/loop' }).end();
      return;
    }
    if (req.url === '/moved') {
      res.writeHead(301, { Location: '/files/cifar-10-binary.tar.gz' }).end();
      return;
    }
    if (behaviour.status) {
      res.writeHead(behaviour.status).end();
      return;
    }
    const body = behaviour.body ?? archiveBytes;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !behaviour.ignoreRange) {
      const start = Number(range[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'Content-Length': body.length - start,
        'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { 'Content-Length': body.length, 'Accept-Ranges': behaviour.ignoreRange ? 'none' : 'bytes' });
    if (behaviour.stallAt !== undefined) {
      res.write(body.subarray(0, behaviour.stallAt));
      return;
    }
    if (behaviour.cutFirstAt !== undefined && requests.length === 1) {
      const { cutFirstAt, partFile } = behaviour;
      const deadline = Date.now() + 20_000;
      const dropWhenWritten = (): void => {
        let size = 0;
        try {
          size = partFile ? fs.statSync(partFile).size : cutFirstAt;
        } catch {
          size = 0;
        }
        if (size >= cutFirstAt || Date.now() > deadline) res.socket?.destroy();
        else setTimeout(dropWhenWritten, 5);
      };
      res.write(body.subarray(0, cutFirstAt), dropWhenWritten);
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/files/cifar-10-binary.tar.gz`,
    requests,
    set: (b) => (behaviour = b),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let server: Served;

beforeAll(async () => {
  const parent = tmpDir();
  writeSynthetic(path.join(parent, 'cifar-10-batches-bin'), { seed: 3, trainPerFile: PER_FILE, testCount: PER_FILE });
  const file = path.join(parent, 'cifar-10-binary.tar.gz');
  await makeArchive(parent, file);
  archiveBytes = fs.readFileSync(file);
  archiveMd5 = md5(archiveBytes);
  expected = generateSynthetic({ seed: 3, trainPerFile: PER_FILE, testCount: PER_FILE });

  const badParent = tmpDir();
  const badDir = path.join(badParent, 'cifar-10-batches-bin');
  writeSynthetic(badDir, { seed: 3, trainPerFile: PER_FILE, testCount: PER_FILE });
  const victim = path.join(badDir, 'data_batch_3.bin');
  const bytes = fs.readFileSync(victim);
  bytes[4 * 3073] = 11;
  fs.writeFileSync(victim, bytes);
  await makeArchive(badParent, path.join(badParent, 'bad.tar.gz'));
  badLabelArchive = fs.readFileSync(path.join(badParent, 'bad.tar.gz'));

  server = await serve();
});

afterAll(async () => {
  await server.close();
  removeTmpDirs();
});

beforeEach(() => {
  server.requests.length = 0;
  server.set({});
});

function options(dataDir: string, extra: Partial<Parameters<typeof downloadCifar>[0]> = {}): Parameters<typeof downloadCifar>[0] {
  return { dataDir, url: server.url, md5: archiveMd5, recordsPerFile: PER_FILE, retryDelayMs: 0, timeoutMs: 10_000, ...extra };
}

function expectUnpacked(dir: string): void {
  const data = readCifarFolder(dir, { recordsPerFile: PER_FILE, requireTest: true });
  data.train.forEach((f, i) => expect(Buffer.compare(f.images, expected.train[i].images)).toBe(0));
  expect(Buffer.compare(data.test!.labels, expected.test!.labels)).toBe(0);
  expect(data.classNames).toEqual(expected.classNames);
}

function expectMonotonic(calls: [number, number | null][], total: number): void {
  expect(calls.length).toBeGreaterThan(0);
  for (let i = 1; i < calls.length; i++) expect(calls[i][0]).toBeGreaterThanOrEqual(calls[i - 1][0]);
  expect(calls[calls.length - 1]).toEqual([total, total]);
}

describe('downloadCifar', () => {
  test('downloads, checks the MD5, unpacks, removes the archive, and reports monotonic progress', async () => {
    const dataDir = path.join(tmpDir(), 'cache');
    const calls: [number, number | null][] = [];
    const result = await downloadCifar(options(dataDir, { onProgress: (r, t) => calls.push([r, t]) }));
    expect(result).toEqual({
      dir: path.join(dataDir, 'cifar-10-batches-bin'),
      dataDir,
      downloaded: true,
      bytesFetched: archiveBytes.length,
      resumedFrom: 0,
      archive: null,
    });
    expectUnpacked(result.dir);
    expectMonotonic(calls, archiveBytes.length);
    expect(fs.readdirSync(dataDir)).toEqual(['cifar-10-batches-bin']); // no archive, .part or temporary folder left
    expect(findCifar(dataDir)).toEqual({ kind: 'folder', path: result.dir, dataDir });

    // A second call finds the files and fetches nothing.
    server.requests.length = 0;
    const again = await downloadCifar(options(dataDir));
    expect(again.downloaded).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  test('keepArchive keeps the verified archive beside the folder', async () => {
    const dataDir = tmpDir();
    const result = await downloadCifar(options(dataDir, { keepArchive: true }));
    expect(result.archive).toBe(path.join(dataDir, 'cifar-10-binary.tar.gz'));
    expect(md5(fs.readFileSync(result.archive!))).toBe(archiveMd5);
    expect(fs.readdirSync(dataDir).sort()).toEqual(['cifar-10-batches-bin', 'cifar-10-binary.tar.gz']);
  });

  test('an interrupted download keeps its .part file and the next call resumes it with Range', async () => {
    const dataDir = tmpDir();
    const half = archiveBytes.length >> 1;
    server.set({ cutFirstAt: half, partFile: path.join(dataDir, 'cifar-10-binary.tar.gz.part') });
    const error = await rejection(downloadCifar(options(dataDir, { retries: 0 })));
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).retryable).toBe(true);
    expect(error.message).toContain('run the download again to resume');
    const part = path.join(dataDir, 'cifar-10-binary.tar.gz.part');
    expect(fs.statSync(part).size).toBe(half);
    expect(fs.existsSync(path.join(dataDir, 'cifar-10-batches-bin'))).toBe(false);

    const calls: [number, number | null][] = [];
    const result = await downloadCifar(options(dataDir, { onProgress: (r, t) => calls.push([r, t]) }));
    expect(server.requests.map((r) => r.range)).toEqual([undefined, `bytes=${half}-`]);
    expect(result.resumedFrom).toBe(half);
    expect(result.bytesFetched).toBe(archiveBytes.length - half);
    expect(calls[0]).toEqual([half, archiveBytes.length]);
    expectMonotonic(calls, archiveBytes.length);
    expectUnpacked(result.dir);
    expect(fs.existsSync(part)).toBe(false);
  });

  test('within one call, a dropped connection is resumed automatically', async () => {
    const dataDir = tmpDir();
    const cut = Math.floor(archiveBytes.length / 3);
    server.set({ cutFirstAt: cut, partFile: path.join(dataDir, 'cifar-10-binary.tar.gz.part') });
    const calls: [number, number | null][] = [];
    const result = await downloadCifar(options(dataDir, { onProgress: (r, t) => calls.push([r, t]) }));
    expect(server.requests.map((r) => r.range)).toEqual([undefined, `bytes=${cut}-`]);
    expect(result.bytesFetched).toBe(archiveBytes.length);
    expectMonotonic(calls, archiveBytes.length);
    expectUnpacked(result.dir);
  });

  test('a server that ignores Range: the download starts over cleanly', async () => {
    const dataDir = tmpDir();
    const cut = archiveBytes.length >> 1;
    server.set({ cutFirstAt: cut, ignoreRange: true, partFile: path.join(dataDir, 'cifar-10-binary.tar.gz.part') });
    await rejection(downloadCifar(options(dataDir, { retries: 0 })));
    expect(fs.statSync(path.join(dataDir, 'cifar-10-binary.tar.gz.part')).size).toBe(cut);

    const calls: [number, number | null][] = [];
    const result = await downloadCifar(options(dataDir, { onProgress: (r, t) => calls.push([r, t]) }));
    expect(server.requests.map((r) => r.range)).toEqual([undefined, `bytes=${cut}-`]);
    expect(result.bytesFetched).toBe(archiveBytes.length); // the whole file again
    expectMonotonic(calls, archiveBytes.length);
    expectUnpacked(result.dir);
  });

  test('a stalled connection times out, keeping what arrived', async () => {
    const dataDir = tmpDir();
    server.set({ stallAt: 1000 });
    const error = await rejection(downloadCifar(options(dataDir, { retries: 0, timeoutMs: 300 })));
    expect((error as DownloadError).code).toBe('TIMEOUT');
    expect((error as DownloadError).retryable).toBe(true);
    expect(error.message).toContain('no data for 0.3 s');
    expect(fs.statSync(path.join(dataDir, 'cifar-10-binary.tar.gz.part')).size).toBeLessThanOrEqual(1000);
  });

  test('a complete .part file is finished with a 416 answer and no data', async () => {
    const dataDir = tmpDir();
    fs.writeFileSync(path.join(dataDir, 'cifar-10-binary.tar.gz.part'), archiveBytes);
    const result = await downloadCifar(options(dataDir));
    expect(result.bytesFetched).toBe(0);
    expect(server.requests.map((r) => r.range)).toEqual([`bytes=${archiveBytes.length}-`]);
    expectUnpacked(result.dir);
  });

  test('a corrupt archive is rejected and the data folder is left exactly as it was', async () => {
    const dataDir = tmpDir();
    fs.writeFileSync(path.join(dataDir, 'notes.txt'), 'mine');
    fs.mkdirSync(path.join(dataDir, 'other'));
    fs.writeFileSync(path.join(dataDir, 'other', 'x.bin'), Buffer.alloc(100, 1));
    const before = snapshot(dataDir);
    const corrupt = Buffer.from(archiveBytes);
    corrupt[corrupt.length >> 1] ^= 0xff;
    server.set({ body: corrupt });
    const error = await rejection(downloadCifar(options(dataDir)));
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).code).toBe('CHECKSUM');
    expect(error.message).toContain('cifar-10-binary.tar.gz');
    expect(error.message).toContain(`expected ${archiveMd5}, got ${md5(corrupt)}`);
    expect(snapshot(dataDir)).toEqual(before);
  });

  test('a corrupt archive on a forced download leaves the earlier files untouched', async () => {
    const dataDir = tmpDir();
    await downloadCifar(options(dataDir));
    const before = snapshot(dataDir);
    const corrupt = Buffer.from(archiveBytes);
    corrupt[100] ^= 0x01;
    server.set({ body: corrupt });
    const error = await rejection(downloadCifar(options(dataDir, { force: true })));
    expect((error as DownloadError).code).toBe('CHECKSUM');
    expect(snapshot(dataDir)).toEqual(before);
  });

  test('an archive with the right MD5 but a bad file inside is rejected, nothing changed', async () => {
    const dataDir = tmpDir();
    fs.writeFileSync(path.join(dataDir, 'keep.txt'), 'x');
    const before = snapshot(dataDir);
    server.set({ body: badLabelArchive });
    const error = await rejection(downloadCifar(options(dataDir, { md5: md5(badLabelArchive) })));
    expect(error).toBeInstanceOf(DatasetError);
    expect(error.message).toContain('(member cifar-10-batches-bin/data_batch_3.bin): label 11 at record 4');
    expect(snapshot(dataDir)).toEqual(before);
  });

  test('a data folder that did not exist is not left behind after a failure', async () => {
    const parent = tmpDir();
    const dataDir = path.join(parent, 'a', 'b');
    server.set({ status: 404 });
    const error = await rejection(downloadCifar(options(dataDir)));
    expect((error as DownloadError).code).toBe('HTTP');
    expect((error as DownloadError).retryable).toBe(false);
    expect(error.message).toContain('HTTP 404');
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  test('follows redirects, and gives up on a redirect loop', async () => {
    const dataDir = tmpDir();
    const moved = server.url.replace('/files/cifar-10-binary.tar.gz', '/moved');
    const result = await downloadCifar(options(dataDir, { url: moved }));
    expect(server.requests.map((r) => r.path)).toEqual(['/moved', '/files/cifar-10-binary.tar.gz']);
    expectUnpacked(result.dir);
    const loop = server.url.replace('/files/cifar-10-binary.tar.gz', '/loop');
    const error = await rejection(downloadCifar(options(tmpDir(), { url: loop, maxRedirects: 3 })));
    expect((error as DownloadError).code).toBe('REDIRECTS');
  });

  test('bad options are refused before anything is fetched', async () => {
    await expect(downloadCifar(options(tmpDir(), { url: 'ftp://example.com/x' }))).rejects.toThrow('expected an http: or https: URL');
    await expect(downloadCifar(options(tmpDir(), { md5: 'abc' }))).rejects.toThrow('md5 must be 32 hex digits');
    expect(server.requests).toHaveLength(0);
  });
});

describe('the data folder', () => {
  const home = os.homedir();

  test('resolveDataDir: --data-dir, then WSR_DATA_DIR, then XDG_CACHE_HOME, then ~/.cache', () => {
    expect(resolveDataDir('rel/dir', {})).toBe(path.resolve('rel/dir'));
    expect(resolveDataDir('~/x', {})).toBe(path.join(home, 'x'));
    expect(resolveDataDir(undefined, { WSR_DATA_DIR: '/data/c10', XDG_CACHE_HOME: '/xdg' })).toBe('/data/c10');
    expect(resolveDataDir('/explicit', { WSR_DATA_DIR: '/data/c10' })).toBe('/explicit');
    expect(resolveDataDir(undefined, { XDG_CACHE_HOME: '/xdg' })).toBe(path.join('/xdg', 'wsr-native'));
    expect(resolveDataDir(undefined, { XDG_CACHE_HOME: 'relative' })).toBe(path.join(home, '.cache', 'wsr-native'));
    expect(resolveDataDir(undefined, {})).toBe(path.join(home, '.cache', 'wsr-native'));
  });

  test('findCifar finds the binary files in the folder or its cifar-10-batches-bin/', () => {
    const dataDir = tmpDir();
    const sub = path.join(dataDir, 'cifar-10-batches-bin');
    writeSynthetic(sub, { trainPerFile: 10, testCount: 0 });
    expect(findCifar(dataDir)).toEqual({ kind: 'folder', path: sub, dataDir });
    expect(findCifar(sub)).toEqual({ kind: 'folder', path: sub, dataDir: sub });
  });

  test('when CIFAR-10 is missing the error says how to get it', () => {
    const dataDir = tmpDir();
    let error: DatasetError | null = null;
    try {
      findCifar(dataDir);
    } catch (e) {
      error = e as DatasetError;
    }
    expect(error).toBeInstanceOf(DatasetError);
    expect(error!.code).toBe('NOT_FOUND');
    expect(error!.message).toContain(`CIFAR-10 not found in ${dataDir}`);
    expect(error!.message).toContain(`npx wsr-native download --data-dir ${dataDir}`);
    expect(error!.message).toContain('--data-dir (or set WSR_DATA_DIR) to a folder holding the binary files data_batch_1.bin');
    // From the default location the command needs no --data-dir.
    expect(() => findCifar(undefined, { WSR_DATA_DIR: path.join(dataDir, 'none') })).toThrow(/npx wsr-native download\n/);
  });

  test('the official URL and checksum are the defaults', () => {
    expect(CIFAR_URL).toBe('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz');
  });

  test('progressPrinter draws a bar redrawn in place on a terminal and ends it with a newline', () => {
    let text = '';
    const print = progressPrinter({ isTTY: true, columns: 100, write: (s: string) => (text += s) }, 'dl');
    const total = 100 * 2 ** 20;
    print(0, total);
    print(total / 2, total); // within 200 ms of the last draw: skipped
    print(total, total);
    print(total, total); // finished: nothing more
    const frames = text.split('\x1b[1G').slice(1);
    expect(frames).toHaveLength(2);
    expect(frames[0]).toMatch(/^dl \[> +\] 0\.0 \/ 100\.0 MiB \(0%\)\x1b\[0K$/);
    expect(frames[1]).toMatch(/^dl \[=+>\] 100\.0 \/ 100\.0 MiB \(100%\)\x1b\[0K\x1b8\n$/);
  });

  test('progressPrinter draws lines on a non-terminal stream and finishes at 100%', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
    const print = progressPrinter(stream, 'dl');
    const total = 100 * 2 ** 20;
    for (let r = 0; r <= total; r += 2 ** 20) print(r, total);
    expect(lines).toHaveLength(11);
    expect(lines[lines.length - 1]).toBe('dl: 100.0 / 100.0 MiB (100%)\n');
  });
});
