// Fetching one file over HTTP(S) into a .part file: resumable (HTTP Range requests continue an
// interrupted transfer, within a call and across calls), retried on network trouble, with
// redirects and an idle timeout, and the MD5 of a finished file. The dataset downloaders use it.
import { createHash } from 'crypto';
import fs from 'fs';
import http from 'http';
import https from 'https';
import path from 'path';

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

/** The MD5 of a file, hex. */
export async function md5File(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
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

/** How hard a transfer tries. */
export interface TransferOptions {
  /** Further attempts after a network failure, each resuming where the last stopped (default 3). */
  retries?: number;
  /** Wait before each further attempt, in ms (default 2000). */
  retryDelayMs?: number;
  /** Give up on a connection idle this long, in ms (default 60,000). */
  timeoutMs?: number;
  /** Redirects to follow (default 5). */
  maxRedirects?: number;
}

/** What {@link fetchToPart} needs. */
export interface FetchRequest extends TransferOptions {
  /** http: or https: URL. */
  url: string;
  /** The .part file: continued when it exists, else created. */
  part: string;
  /** Bytes on disk so far and the total (null while unknown); never decreases within a call. */
  onProgress?: (received: number, total: number | null) => void;
}

/** Throws a RangeError unless `retries` (default 3) is a non-negative integer. */
export function checkRetries(retries = 3): void {
  if (!Number.isInteger(retries) || retries < 0) throw new RangeError(`retries must be a non-negative integer, got ${retries}`);
}

/**
 * Creates `dir` (and its parents) and checks it is writable; returns the first folder it created
 * (undefined when it existed), for {@link removeCreatedFolders}.
 */
export function writableFolder(dir: string): string | undefined {
  const created = fs.mkdirSync(dir, { recursive: true });
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new Error(`${dir}: the data folder is not writable; choose another with --data-dir or WSR_DATA_DIR`);
  }
  return created;
}

/** After a failure: removes the folders {@link writableFolder} created for `dir`, if nothing was left in them. */
export function removeCreatedFolders(dir: string, created: string | undefined): void {
  if (!created) return;
  for (let d = dir; d.length >= created.length; d = path.dirname(d)) {
    try {
      fs.rmdirSync(d);
    } catch {
      break;
    }
  }
}

/** Throws DownloadError BAD_URL unless `url` is an http: or https: URL. */
export function checkDownloadUrl(url: string): void {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new DownloadError('BAD_URL', url, `bad download URL ${JSON.stringify(url)}: expected an http: or https: URL`);
  }
}

/**
 * Fetches `request.url` into `request.part`, resuming a partial file, retrying retryable failures
 * up to `retries` times. A failure that retrying may fix (network trouble) keeps the .part file
 * and says so in its message: a later call resumes it. Resolves to the bytes fetched over the
 * network by this call and the size of the .part file it started from.
 */
export async function fetchToPart(request: FetchRequest): Promise<{ bytesFetched: number; resumedFrom: number }> {
  let lastReported = -1;
  const fetch: Fetch = {
    url: request.url,
    part: request.part,
    timeoutMs: request.timeoutMs ?? 60_000,
    maxRedirects: request.maxRedirects ?? 5,
    fetched: 0,
    report: (received, total) => {
      if (received < lastReported) return; // a restart: stay quiet until the new transfer catches up
      lastReported = received;
      request.onProgress?.(received, total);
    },
  };
  const resumedFrom = fs.existsSync(request.part) ? fs.statSync(request.part).size : 0;
  for (let attempt = 0; ; attempt++) {
    try {
      await fetchOnce(fetch);
      return { bytesFetched: fetch.fetched, resumedFrom };
    } catch (error) {
      const e = error as DownloadError;
      if (!(e instanceof DownloadError) || !e.retryable || attempt >= (request.retries ?? 3)) {
        if (e instanceof DownloadError && e.retryable) {
          const kept = fs.existsSync(request.part) ? fs.statSync(request.part).size : 0;
          e.message +=
            kept > 0
              ? `; kept ${kept.toLocaleString('en-US')} bytes in ${request.part}: run the download again to resume`
              : '; run the download again';
        }
        throw e;
      }
      await sleep(request.retryDelayMs ?? 2000);
    }
  }
}
