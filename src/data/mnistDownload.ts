// Downloads the four official files (gzipped IDX) of an MNIST-format dataset — MNIST into
// dataDir/mnist, Fashion-MNIST into dataDir/fashion-mnist — each from the first source that serves
// it, resumable (a .part file and HTTP Range requests), MD5-checked and validated before it takes
// its name, so the folder only ever holds whole, checked files.
import fs from 'fs';
import path from 'path';
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
import { DatasetError } from './images';
import { resolveDataDir } from './locate';
import { IdxDataset, MNIST_DATASET, MNIST_FILES, MNIST_ROLES, MnistRole, checkMnistFile } from './mnist';
import { checkOptions } from '../util/options';

/** Where MNIST's files are published, tried in order: torchvision's mirror, then Yann LeCun's page. */
export const MNIST_SOURCES: readonly string[] = MNIST_DATASET.sources;

/** MD5 of each official MNIST .gz file (as torchvision and the mirrors publish them). */
export const MNIST_MD5: Readonly<Record<MnistRole, string>> = MNIST_DATASET.md5;

/** Options of {@link downloadMnist}. */
export interface MnistDownloadOptions extends TransferOptions {
  /** The data folder (default resolveDataDir()); the files go to the dataset's subfolder (mnist/, fashion-mnist/). */
  dataDir?: string | null;
  /** The dataset (default MNIST; FASHION_MNIST_DATASET for Fashion-MNIST). */
  dataset?: IdxDataset;
  /** Base URLs tried in order for each file, http: or https:; a file's URL is the base + its name + '.gz' (default: the dataset's sources). */
  sources?: readonly string[];
  /** Expected MD5 of the .gz files, by role (default: the dataset's published ones). */
  md5?: Partial<Record<MnistRole, string>>;
  /** Called as bytes arrive: the file's name, its bytes on disk so far and its size (null while unknown). */
  onProgress?: (file: string, received: number, total: number | null) => void;
  /** Download again even when the files are there and check out. */
  force?: boolean;
}

/** What {@link downloadMnist} did. */
export interface MnistDownloadResult {
  /** The folder holding the four .gz files (dataDir/mnist, dataDir/fashion-mnist). */
  dir: string;
  dataDir: string;
  /** False when every file was already there and checked out. */
  downloaded: boolean;
  /** Bytes fetched over the network by this call. */
  bytesFetched: number;
  /** The four files, in reading order. */
  files: string[];
}

/**
 * Downloads the four official files of an MNIST-format dataset (default MNIST) into its subfolder
 * of the data folder (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
 * t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz), skipping those already there whose MD5
 * matches (unless `force`). Each is fetched into `<name>.part`, tried from each source in turn; an
 * interrupted transfer resumes (within this call, up to `retries` per source, or in a later call).
 * A file whose MD5 does not match is deleted, and the next source tried; one whose content is not
 * a valid IDX file of its kind is deleted with a {@link DatasetError} naming it. Only a checked
 * file is renamed into place.
 */
export async function downloadMnist(options: MnistDownloadOptions = {}): Promise<MnistDownloadResult> {
  options = checkOptions(
    options,
    ['dataDir', 'dataset', 'sources', 'md5', 'onProgress', 'force', 'retries', 'retryDelayMs', 'timeoutMs', 'maxRedirects'],
    'downloadMnist',
  );
  const dataset = options.dataset ?? MNIST_DATASET;
  const dataDir = resolveDataDir(options.dataDir);
  const dir = path.join(dataDir, dataset.folder);
  const sources = options.sources ?? dataset.sources;
  if (!Array.isArray(sources) || sources.length === 0) throw new RangeError('sources must be a non-empty list of URLs');
  for (const source of sources) checkDownloadUrl(source);
  const md5 = { ...dataset.md5, ...(options.md5 ?? {}) };
  for (const role of MNIST_ROLES) {
    if (!/^[0-9a-f]{32}$/.test(md5[role])) throw new RangeError(`md5.${role} must be 32 hex digits, got ${JSON.stringify(md5[role])}`);
  }
  checkRetries(options.retries);
  const names = MNIST_ROLES.map((role) => `${MNIST_FILES[role]}.gz`);
  const targets = names.map((name) => path.join(dir, name));

  const checked = async (file: string, role: MnistRole): Promise<boolean> => fs.existsSync(file) && (await md5File(file)) === md5[role];
  const done = await Promise.all(MNIST_ROLES.map((role, i) => (options.force ? false : checked(targets[i], role))));
  if (done.every(Boolean)) return { dir, dataDir, downloaded: false, bytesFetched: 0, files: targets };

  const created = writableFolder(dir);
  let bytesFetched = 0;
  try {
    for (let i = 0; i < MNIST_ROLES.length; i++) {
      if (done[i]) continue;
      const role = MNIST_ROLES[i];
      const part = `${targets[i]}.part`;
      const failures: string[] = [];
      let last: DownloadError | null = null;
      for (const source of sources) {
        const url = new URL(names[i], source.endsWith('/') ? source : `${source}/`).href;
        try {
          const { retries, retryDelayMs, timeoutMs, maxRedirects, onProgress } = options;
          const fetched = await fetchToPart({
            url,
            part,
            retries,
            retryDelayMs,
            timeoutMs,
            maxRedirects,
            onProgress: onProgress && ((received, total) => onProgress(names[i], received, total)),
          });
          bytesFetched += fetched.bytesFetched;
        } catch (error) {
          if (!(error instanceof DownloadError)) throw error;
          last = error;
          failures.push(error.message);
          continue;
        }
        const actual = await md5File(part);
        if (actual === md5[role]) {
          last = null;
          break;
        }
        fs.unlinkSync(part);
        last = new DownloadError('CHECKSUM', url, `${names[i]} (from ${url}): MD5 checksum mismatch: expected ${md5[role]}, got ${actual}; the download was deleted`);
        failures.push(last.message);
      }
      if (last) {
        const message = failures.length > 1 ? `${names[i]}: every source failed: ${failures.join('; ')}` : last.message;
        throw new DownloadError(last.code, last.url, message, last.retryable);
      }
      try {
        checkMnistFile(part, role, names[i], dataset.classNames.length);
      } catch (error) {
        fs.rmSync(part, { force: true });
        if (error instanceof DatasetError) {
          throw new DatasetError(error.code, error.file, `${error.problem} (the download was deleted; ${dir} holds only checked files)`);
        }
        throw error;
      }
      fs.renameSync(part, targets[i]);
    }
  } catch (error) {
    removeCreatedFolders(dir, created);
    throw error;
  }
  return { dir, dataDir, downloaded: true, bytesFetched, files: targets };
}
