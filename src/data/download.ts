// Downloads a CIFAR binary release (CIFAR-10's or CIFAR-100's) into the data folder: resumable (a
// .part file and HTTP Range requests), verified (MD5), and unpacked atomically (into a temporary
// folder, validated, then renamed into place), so a failed or corrupt download leaves the folder as it was.
import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import { CIFAR10_RELEASE, CIFAR_ARCHIVE, CifarRelease, DatasetError, ReadOptions, ReadPlan, parseCifarMeta, readPlan, recordBytes } from './cifar';
import { missingMembers, scanCifarArchive } from './cifarArchive';
import {
  DownloadError,
  TransferOptions,
  checkDownloadUrl,
  checkRetries,
  fetchToPart,
  md5File,
  removeCreatedFolders,
  writableFolder,
} from './fetch';
import { resolveDataDir } from './locate';
import { checkOptions } from '../util/options';
import { SingleBar } from 'cli-progress';
import { terminalBar } from '../util/terminalBar';
import type { TerminalStream } from '../util/terminalStream';

/** Where the official CIFAR-10 binary release is published. */
export const CIFAR_URL = CIFAR10_RELEASE.url;
/** MD5 of the official cifar-10-binary.tar.gz, as published on the CIFAR-10 page. */
export const CIFAR_MD5 = CIFAR10_RELEASE.md5;

export { DownloadError, md5File } from './fetch';
export type { DownloadErrorCode } from './fetch';

/** Options of {@link downloadCifar}. */
export interface DownloadOptions extends Pick<ReadOptions, 'recordsPerFile'>, TransferOptions {
  /** The data folder (default {@link resolveDataDir}(): $WSR_DATA_DIR, $XDG_CACHE_HOME/wsr-native or ~/.cache/wsr-native). */
  dataDir?: string | null;
  /** The release (default CIFAR-10's; CIFAR100_RELEASE for CIFAR-100). */
  release?: CifarRelease;
  /** Archive URL, http: or https: (default: the release's official one). */
  url?: string;
  /** Expected MD5 of the archive, hex (default: the release's published one). */
  md5?: string;
  /**
   * Called as bytes arrive: bytes of the archive on disk so far and its total size (null while
   * unknown). `received` never decreases within one call; it starts at the size of a resumed
   * .part file.
   */
  onProgress?: (received: number, total: number | null) => void;
  /** Download and unpack again even when the data folder already holds the files. */
  force?: boolean;
  /** Keep the archive in the data folder after unpacking it (default false). */
  keepArchive?: boolean;
}

/** What {@link downloadCifar} did. */
export interface DownloadResult {
  /** The folder holding the binary files (dataDir/cifar-10-batches-bin, dataDir/cifar-100-binary). */
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

/** Whether `dir` holds every data file of the release with plausible sizes (no reading). */
function isComplete(dir: string, plan: ReadPlan): boolean {
  const rb = recordBytes(plan.release);
  return [...plan.release.trainFiles, plan.release.testFile].every((name) => {
    const expected = plan.records(name);
    try {
      const size = fs.statSync(path.join(dir, name)).size;
      return size > 0 && size % rb === 0 && (expected === null || size === expected * rb);
    } catch {
      return false;
    }
  });
}

/** Unpacks the archive's files into a temporary folder, validates them, then renames it to `target`. */
async function unpackInto(archive: string, dataDir: string, target: string, plan: ReadPlan): Promise<void> {
  const { release } = plan;
  const tmp = fs.mkdtempSync(path.join(dataDir, `.${release.folder}.unpacking-`));
  let old: string | null = null;
  try {
    const seen = new Set<string>();
    const entries = await scanCifarArchive(archive, plan, (member, data, parsed, base) => {
      const meta = release.labelBytes.find((b) => b.metaFile === base);
      if (!parsed && meta) parseCifarMeta(data.toString('utf8'), member, meta.classes);
      fs.writeFileSync(path.join(tmp, base), data);
      seen.add(base);
    });
    const missing = [...release.trainFiles, release.testFile].filter((n) => !seen.has(n));
    if (missing.length) throw missingMembers(archive, missing, entries, release);
    if (fs.existsSync(target)) {
      old = path.join(dataDir, `.${release.folder}.old-${randomBytes(4).toString('hex')}`);
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
 * Downloads a CIFAR binary release (default CIFAR-10's) into the data folder and unpacks it to
 * its folder (dataDir/cifar-10-batches-bin, dataDir/cifar-100-binary); does nothing when that
 * folder is already complete (unless `force`). The archive is fetched into `<archive>.part`; an
 * interrupted transfer resumes (within this call, up to `retries` times, or in a later call).
 * Its MD5 must match, else it is deleted and a {@link DownloadError} (CHECKSUM) names the
 * archive and both checksums. The archive is unpacked into a temporary folder, every file is
 * validated, and the folder is renamed into place, so a failure leaves the data folder as it was.
 */
export async function downloadCifar(options: DownloadOptions = {}): Promise<DownloadResult> {
  options = checkOptions(
    options,
    ['dataDir', 'release', 'url', 'md5', 'onProgress', 'force', 'keepArchive', 'retries', 'retryDelayMs', 'timeoutMs', 'maxRedirects', 'recordsPerFile'],
    'downloadCifar',
  );
  const release = options.release ?? CIFAR10_RELEASE;
  const dataDir = resolveDataDir(options.dataDir);
  const url = options.url ?? release.url;
  const md5 = (options.md5 ?? release.md5).toLowerCase();
  const plan = readPlan({ release, recordsPerFile: options.recordsPerFile, requireTest: true });
  const target = path.join(dataDir, release.folder);
  const archive = path.join(dataDir, release.archive);
  const part = `${archive}.part`;
  checkDownloadUrl(url);
  if (!/^[0-9a-f]{32}$/.test(md5)) throw new RangeError(`md5 must be 32 hex digits, got ${JSON.stringify(options.md5)}`);
  checkRetries(options.retries);

  if (!options.force && isComplete(target, plan)) {
    return { dir: target, dataDir, downloaded: false, bytesFetched: 0, resumedFrom: 0, archive: null };
  }
  const created = writableFolder(dataDir);
  let resumedFrom = 0;
  let bytesFetched = 0;
  try {
    // A finished archive from an earlier run (keepArchive, or a crash before unpacking) is reused when it checks out.
    let haveArchive = false;
    if (fs.existsSync(archive)) {
      if ((await md5File(archive)) === md5) haveArchive = true;
      else fs.unlinkSync(archive);
    }
    if (!haveArchive) {
      const { retries, retryDelayMs, timeoutMs, maxRedirects, onProgress } = options;
      const fetched = await fetchToPart({ url, part, retries, retryDelayMs, timeoutMs, maxRedirects, onProgress });
      resumedFrom = fetched.resumedFrom;
      bytesFetched = fetched.bytesFetched;
      const actual = await md5File(part);
      if (actual !== md5) {
        fs.unlinkSync(part);
        throw new DownloadError(
          'CHECKSUM',
          url,
          `${release.archive} (from ${url}): MD5 checksum mismatch: expected ${md5}, got ${actual}. ` +
            `The download was deleted and ${dataDir} is as it was; run the download again to fetch it afresh.`,
        );
      }
      fs.renameSync(part, archive);
    }
    try {
      await unpackInto(archive, dataDir, target, plan);
    } catch (error) {
      fs.rmSync(archive, { force: true });
      throw error;
    }
    if (!options.keepArchive) fs.rmSync(archive, { force: true });
    return {
      dir: target,
      dataDir,
      downloaded: true,
      bytesFetched,
      resumedFrom,
      archive: options.keepArchive ? archive : null,
    };
  } catch (error) {
    removeCreatedFolders(dataDir, created);
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
