// Downloads the official CIFAR-10 binary release into the data folder: resumable (a .part file
// and HTTP Range requests), verified (MD5), and unpacked atomically (into a temporary folder,
// validated, then renamed into place), so a failed or corrupt download leaves the folder as it was.
import { createHash, randomBytes } from 'crypto';
import fs from 'fs';
import http from 'http';
import https from 'https';
import path from 'path';
import {
  CIFAR_ARCHIVE,
  CIFAR_FOLDER,
  CIFAR_RECORD_BYTES,
  CIFAR_RECORDS_PER_FILE,
  CIFAR_TEST_FILE,
  CIFAR_TRAIN_FILES,
  DatasetError,
  ReadOptions,
  missingMembers,
  scanCifarArchive,
} from './cifar';
import { resolveDataDir } from './locate';
import { checkOptions } from '../util/options';
import { SingleBar } from 'cli-progress';
import { TerminalStream, terminalBar } from '../util/terminalBar';

/** Where the official binary release is published. */
export const CIFAR_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';
/** MD5 of the official cifar-10-binary.tar.gz, as published on the CIFAR-10 page. */
export const CIFAR_MD5 = 'c32a1d4ab5d03f1284b67883e8d87530';

/** What went wrong with a download. */
export type DownloadErrorCode = 'HTTP' | 'INTERRUPTED' | 'TIMEOUT' | 'NETWORK' | 'REDIRECTS' | 'CHECKSUM' | 'BAD_URL';

/** A download that failed; `retryable` ones keep the .part file, and running again resumes. */
export class DownloadError extends Error {
  /** The kind of failure. */
  readonly code: DownloadErrorCode;
  /** The URL being fetched. */
  readonly url: string;
  /** Whether trying again may help (network trouble), as opposed to a definite refusal. */
  readonly retryable: boolean;

  constructor(code: DownloadErrorCode, url: string, message: string, retryable = false) {
    super(message);
    this.name = 'DownloadError';
    this.code = code;
    this.url = url;
    this.retryable = retryable;
  }
}

/** Options of {@link downloadCifar}. */
export interface DownloadOptions extends Pick<ReadOptions, 'recordsPerFile'> {
  /** The data folder (default {@link resolveDataDir}(): $WSR_DATA_DIR, $XDG_CACHE_HOME/wsr-native or ~/.cache/wsr-native). */
  dataDir?: string | null;
  /** Archive URL, http: or https: (default {@link CIFAR_URL}). */
  url?: string;
  /** Expected MD5 of the archive, hex (default {@link CIFAR_MD5}). */
  md5?: string;
  /**
   * Called as bytes arrive: bytes of the archive on disk so far and its total size (null while
   * unknown). `received` never decreases within one call; it starts at the size of a resumed
   * .part file.
   */
  onProgress?: (received: number, total: number | null) => void;
  /** Download and unpack again even when the data folder already holds the files. */
  force?: boolean;
  /** Keep cifar-10-binary.tar.gz in the data folder after unpacking it (default false). */
  keepArchive?: boolean;
  /** Further attempts, each resuming where the last stopped, after a network failure (default 3). */
  retries?: number;
  /** Wait before each further attempt, in ms (default 2000). */
  retryDelayMs?: number;
  /** Give up on a connection idle this long, in ms (default 60,000). */
  timeoutMs?: number;
  /** Redirects to follow (default 5). */
  maxRedirects?: number;
}

/** What {@link downloadCifar} did. */
export interface DownloadResult {
  /** The folder holding the binary files (dataDir/cifar-10-batches-bin). */
  dir: string;
  /** The data folder. */
  dataDir: string;
  /** False when the files were already there and nothing was fetched. */
  downloaded: boolean;
  /** Bytes fetched over the network by this call. */
  bytesFetched: number;
  /** Size of the .part file this call resumed from (0 for a fresh download). */
  resumedFrom: number;
  /** The kept archive (with keepArchive), else null. */
  archive: string | null;
}

/** The MD5 of a file, hex. */
export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Whether `dir` holds every file of the official layout with plausible sizes (no reading). */
function isComplete(dir: string, recordsPerFile: number | null): boolean {
  const expected = recordsPerFile === null ? null : recordsPerFile * CIFAR_RECORD_BYTES;
  return [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE].every((name) => {
    try {
      const size = fs.statSync(path.join(dir, name)).size;
      return size > 0 && size % CIFAR_RECORD_BYTES === 0 && (expected === null || size === expected);
    } catch {
      return false;
    }
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Fetch {
  url: string;
  part: string;
  timeoutMs: number;
  maxRedirects: number;
  report: (received: number, total: number | null) => void;
  fetched: number;
}

/** Set when a connection was closed for being idle too long (the error then seen is a reset). */
interface Idle {
  timedOut: boolean;
  timeoutMs: number;
}

function request(url: URL, headers: Record<string, string>, idle: Idle): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = url.protocol === 'https:' ? https.get : http.get;
    const req = get(url, { headers }, resolve);
    req.setTimeout(idle.timeoutMs, () => {
      idle.timedOut = true;
      req.destroy();
    });
    req.on('error', reject);
  });
}

function networkError(error: unknown, url: string, received: number, total: number | null, idle: Idle): DownloadError {
  if (error instanceof DownloadError) return error;
  const e = error as NodeJS.ErrnoException;
  const at = total !== null ? ` after ${received.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} bytes` : '';
  if (idle.timedOut) return new DownloadError('TIMEOUT', url, `${url}: no data for ${idle.timeoutMs / 1000} s${at}`, true);
  return new DownloadError('NETWORK', url, `${url}: ${e.code ?? e.message}${at}`, true);
}

/** One attempt: continues the .part file (Range) or restarts it; resolves when the body is complete. */
async function fetchOnce(f: Fetch): Promise<{ total: number; resumedFrom: number }> {
  let offset = fs.existsSync(f.part) ? fs.statSync(f.part).size : 0;
  const resumedFrom = offset;
  let url = new URL(f.url);
  let res: http.IncomingMessage;
  const idle: Idle = { timedOut: false, timeoutMs: f.timeoutMs };
  for (let redirects = 0; ; redirects++) {
    const headers: Record<string, string> = { 'User-Agent': 'wsr-native', 'Accept-Encoding': 'identity' };
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    try {
      res = await request(url, headers, idle);
    } catch (error) {
      throw networkError(error, url.href, offset, null, idle);
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      if (redirects >= f.maxRedirects) {
        throw new DownloadError('REDIRECTS', f.url, `${f.url}: more than ${f.maxRedirects} redirects`);
      }
      url = new URL(res.headers.location, url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new DownloadError('BAD_URL', f.url, `${f.url}: redirected to an unsupported URL ${url.href}`);
      }
      continue;
    }
    break;
  }
  const status = res.statusCode ?? 0;
  let total: number | null = null;
  let start = 0;
  if (status === 416 && offset > 0) {
    // The .part file already reaches (or passes) the end: complete when its size is the total.
    res.resume();
    const m = /\/(\d+)\s*$/.exec(String(res.headers['content-range'] ?? ''));
    if (m && Number(m[1]) === offset) {
      f.report(offset, offset);
      return { total: offset, resumedFrom };
    }
    fs.truncateSync(f.part, 0);
    throw new DownloadError('INTERRUPTED', url.href, `${url.href}: the partial download did not match the server's file; restarting`, true);
  } else if (status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? '').trim());
    if (!m || Number(m[1]) !== offset) {
      res.resume();
      fs.truncateSync(f.part, 0);
      throw new DownloadError('INTERRUPTED', url.href, `${url.href}: unusable partial response (Content-Range ${res.headers['content-range']}); restarting`, true);
    }
    start = offset;
    total = m[3] === '*' ? null : Number(m[3]);
  } else if (status === 200) {
    start = 0; // a fresh download, or a server that ignores Range: start the file again
    const length = res.headers['content-length'];
    total = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
  } else {
    res.resume();
    const retryable = status >= 500 || status === 408 || status === 429;
    throw new DownloadError('HTTP', url.href, `${url.href}: HTTP ${status} ${res.statusMessage ?? ''}`.trim(), retryable);
  }

  const handle = await fs.promises.open(f.part, start === 0 ? 'w' : 'r+');
  let position = start;
  try {
    f.report(position, total);
    for await (const chunk of res) {
      const buf = chunk as Buffer;
      let written = 0;
      while (written < buf.length) {
        const { bytesWritten } = await handle.write(buf, written, buf.length - written, position);
        written += bytesWritten;
        position += bytesWritten;
      }
      f.fetched += buf.length;
      f.report(position, total);
    }
  } catch (error) {
    throw networkError(error, url.href, position, total, idle);
  } finally {
    await handle.close();
  }
  if (total === null) f.report(position, position); // the size is known now that the transfer is over
  if (total !== null && position !== total) {
    const verb = position < total ? 'stopped' : 'overran';
    throw new DownloadError(
      'INTERRUPTED',
      url.href,
      `${url.href}: the transfer ${verb} at ${position.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} bytes`,
      position < total,
    );
  }
  return { total: position, resumedFrom };
}

/** Unpacks the archive's binary files into a temporary folder, validates them, then renames it to `target`. */
async function unpackInto(archive: string, dataDir: string, target: string, options: ReadOptions): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(dataDir, `.${CIFAR_FOLDER}.unpacking-`));
  let old: string | null = null;
  try {
    const seen = new Set<string>();
    const entries = await scanCifarArchive(archive, options, (_member, data, _parsed, base) => {
      fs.writeFileSync(path.join(tmp, base), data);
      seen.add(base);
    });
    const missing = [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE].filter((n) => !seen.has(n));
    if (missing.length) throw missingMembers(archive, missing, entries);
    if (fs.existsSync(target)) {
      old = path.join(dataDir, `.${CIFAR_FOLDER}.old-${randomBytes(4).toString('hex')}`);
      fs.renameSync(target, old);
    }
    fs.renameSync(tmp, target);
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (old && !fs.existsSync(target)) fs.renameSync(old, target);
    old = null;
    throw error;
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Downloads the official CIFAR-10 binary release into the data folder and unpacks it to
 * dataDir/cifar-10-batches-bin; does nothing when that folder is already complete (unless
 * `force`). The archive is fetched into cifar-10-binary.tar.gz.part, which survives an
 * interruption: the next attempt (within this call, up to `retries`, or a later call) resumes
 * it with an HTTP Range request, and starts over when the server ignores Range. The finished
 * file's MD5 must match, else it is deleted and a {@link DownloadError} (CHECKSUM) names the
 * archive and both checksums. The archive is unpacked into a temporary folder, every file is
 * validated, and the folder is renamed into place, so a failure leaves the data folder as it was.
 */
export async function downloadCifar(options: DownloadOptions = {}): Promise<DownloadResult> {
  options = checkOptions(
    options,
    ['dataDir', 'url', 'md5', 'onProgress', 'force', 'keepArchive', 'retries', 'retryDelayMs', 'timeoutMs', 'maxRedirects', 'recordsPerFile'],
    'downloadCifar',
  );
  const dataDir = resolveDataDir(options.dataDir);
  const url = options.url ?? CIFAR_URL;
  const md5 = (options.md5 ?? CIFAR_MD5).toLowerCase();
  const recordsPerFile = options.recordsPerFile === undefined ? CIFAR_RECORDS_PER_FILE : options.recordsPerFile;
  const retries = options.retries ?? 3;
  const target = path.join(dataDir, CIFAR_FOLDER);
  const archive = path.join(dataDir, CIFAR_ARCHIVE);
  const part = `${archive}.part`;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new DownloadError('BAD_URL', url, `bad download URL ${JSON.stringify(url)}: expected an http: or https: URL`);
  }
  if (!/^[0-9a-f]{32}$/.test(md5)) throw new RangeError(`md5 must be 32 hex digits, got ${JSON.stringify(options.md5)}`);
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`retries must be a non-negative integer, got ${retries}`);

  if (!options.force && isComplete(target, recordsPerFile)) {
    return { dir: target, dataDir, downloaded: false, bytesFetched: 0, resumedFrom: 0, archive: null };
  }
  const created = fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.accessSync(dataDir, fs.constants.W_OK);
  } catch {
    throw new Error(`${dataDir}: the data folder is not writable; choose another with --data-dir or WSR_DATA_DIR`);
  }
  let lastReported = -1;
  const fetch: Fetch = {
    url,
    part,
    timeoutMs: options.timeoutMs ?? 60_000,
    maxRedirects: options.maxRedirects ?? 5,
    fetched: 0,
    report: (received, total) => {
      if (received < lastReported) return; // a restart: stay quiet until the new transfer catches up
      lastReported = received;
      options.onProgress?.(received, total);
    },
  };
  let resumedFrom = 0;
  try {
    // A finished archive from an earlier run (keepArchive, or a crash before unpacking) is reused when it checks out.
    let haveArchive = false;
    if (fs.existsSync(archive)) {
      if ((await md5File(archive)) === md5) haveArchive = true;
      else fs.unlinkSync(archive);
    }
    if (!haveArchive) {
      resumedFrom = fs.existsSync(part) ? fs.statSync(part).size : 0;
      for (let attempt = 0; ; attempt++) {
        try {
          await fetchOnce(fetch);
          break;
        } catch (error) {
          const e = error as DownloadError;
          if (!(e instanceof DownloadError) || !e.retryable || attempt >= retries) {
            if (e instanceof DownloadError && e.retryable) {
              const kept = fs.existsSync(part) ? fs.statSync(part).size : 0;
              e.message +=
                kept > 0
                  ? `; kept ${kept.toLocaleString('en-US')} bytes in ${part}: run the download again to resume`
                  : '; run the download again';
            }
            throw e;
          }
          await sleep(options.retryDelayMs ?? 2000);
        }
      }
      const actual = await md5File(part);
      if (actual !== md5) {
        fs.unlinkSync(part);
        throw new DownloadError(
          'CHECKSUM',
          url,
          `${CIFAR_ARCHIVE} (from ${url}): MD5 checksum mismatch: expected ${md5}, got ${actual}. ` +
            `The download was deleted and ${dataDir} is as it was; run the download again to fetch it afresh.`,
        );
      }
      fs.renameSync(part, archive);
    }
    try {
      await unpackInto(archive, dataDir, target, { recordsPerFile, requireTest: true });
    } catch (error) {
      fs.rmSync(archive, { force: true });
      throw error;
    }
    if (!options.keepArchive) fs.rmSync(archive, { force: true });
    return {
      dir: target,
      dataDir,
      downloaded: true,
      bytesFetched: fetch.fetched,
      resumedFrom,
      archive: options.keepArchive ? archive : null,
    };
  } catch (error) {
    // Remove folders this call created, if nothing was left in them.
    if (created) {
      for (let dir = dataDir; dir.length >= created.length; dir = path.dirname(dir)) {
        try {
          fs.rmdirSync(dir);
        } catch {
          break;
        }
      }
    }
    if (error instanceof DatasetError) {
      throw new DatasetError(
        error.code,
        error.file,
        `${error.problem} (in the archive from ${url}; the archive was deleted and ${target} left as it was)`,
      );
    }
    throw error;
  }
}

const DOWNLOAD_FORMATS = { default: '{label} [{bar}] {amount}', unknown: '{label}: {amount}' };

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}

/**
 * An `onProgress` callback that draws the download's progress on `stream` (default stderr): on a
 * terminal a bar (cli-progress) redrawn in place at most every 200 ms, ending with a newline;
 * otherwise a plain line every 10%.
 */
export function progressPrinter(stream: TerminalStream = process.stderr, label = `downloading ${CIFAR_ARCHIVE}`): (received: number, total: number | null) => void {
  let bar: SingleBar | null = null;
  let lastTime = 0;
  let lastTenth = -1;
  let done = false;
  return (received, total) => {
    if (done) return;
    const finished = total !== null && received >= total;
    done = finished;
    const pct = total ? Math.floor((100 * received) / total) : null;
    const amount = `${mib(received)}${total !== null ? ` / ${mib(total)}` : ''} MiB${pct !== null ? ` (${pct}%)` : ''}`;
    if (stream.isTTY) {
      const now = Date.now();
      if (!finished && now - lastTime < 200) return;
      lastTime = now;
      const payload = { label, amount, format: total ? 'default' : 'unknown' };
      if (!bar) {
        bar = terminalBar(stream, { formats: DOWNLOAD_FORMATS, barsize: 30, clearOnComplete: false });
        bar.start(total ?? 0, received, payload);
      } else {
        if (total !== null) bar.setTotal(total);
        bar.update(received, payload);
        bar.render();
      }
      if (finished) bar.stop();
      return;
    }
    const tenth = pct === null ? Math.floor(received / (10 * 2 ** 20)) : Math.floor(pct / 10);
    if (!finished && tenth === lastTenth) return;
    lastTenth = tenth;
    stream.write(`${label}: ${amount}\n`);
  };
}
