// Where the data lives: the data folder, and finding a CIFAR release's binary files (or its
// archive) in it, with an error that says how to get them when they are not there.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { CIFAR10_RELEASE, CifarDataset, CifarRelease, DatasetError, READ_OPTION_KEYS, ReadOptions, readCifarFolder, releaseFilesInWords } from './cifar';
import { readCifarArchive } from './cifarArchive';
import { checkOptions } from '../util/options';

/** The folder under the user cache folder that holds wsr-native's data. */
export const CACHE_SUBFOLDER = 'wsr-native';

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/**
 * The data folder: `dataDir` when given (the CLI's --data-dir), else $WSR_DATA_DIR, else
 * $XDG_CACHE_HOME/wsr-native (when XDG_CACHE_HOME is an absolute path), else
 * ~/.cache/wsr-native. Always an absolute path; the folder need not exist.
 */
export function resolveDataDir(dataDir?: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (dataDir) return path.resolve(expandHome(dataDir));
  if (env.WSR_DATA_DIR) return path.resolve(expandHome(env.WSR_DATA_DIR));
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, CACHE_SUBFOLDER);
  return path.join(os.homedir(), '.cache', CACHE_SUBFOLDER);
}

/** Where a CIFAR release was found. */
export interface CifarLocation {
  /** A folder of binary files, or the release archive. */
  kind: 'folder' | 'archive';
  /** The folder holding the binary files, or the archive file. */
  path: string;
  /** The data folder that was searched. */
  dataDir: string;
}

const ARCHIVE_NAME = /\.(tar\.gz|tgz|tar)$/i;

function holdsBinaryFiles(dir: string, release: CifarRelease): boolean {
  try {
    return fs.readdirSync(dir).some((n) => release.trainFiles.includes(n) || n === release.testFile);
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** `p` quoted for a shell where it needs quoting. */
export function shellQuoted(p: string): string {
  return /[^\w@%+=:,./-]/.test(p) ? `'${p.replace(/'/g, `'\\''`)}'` : p;
}

/**
 * Finds a CIFAR release (default CIFAR-10) for a data folder (default: {@link resolveDataDir}()).
 * Looks, in order, for: `dataDir` itself being an archive file; binary files directly in
 * `dataDir`; the release's folder (cifar-10-batches-bin/, cifar-100-binary/) in it; the release
 * archive (cifar-10-binary.tar.gz, cifar-100-binary.tar.gz) in it. Only checks that files are
 * there: reading validates them. Throws a {@link DatasetError} (NOT_FOUND) that says how to get
 * the data: `npx wsr-native download`, or --data-dir pointing at the files, naming them.
 */
export function findCifar(dataDir?: string | null, env: NodeJS.ProcessEnv = process.env, release: CifarRelease = CIFAR10_RELEASE): CifarLocation {
  const dir = resolveDataDir(dataDir, env);
  if (isFile(dir) && ARCHIVE_NAME.test(dir)) return { kind: 'archive', path: dir, dataDir: path.dirname(dir) };
  if (holdsBinaryFiles(dir, release)) return { kind: 'folder', path: dir, dataDir: dir };
  const sub = path.join(dir, release.folder);
  if (isDir(sub)) return { kind: 'folder', path: sub, dataDir: dir };
  const archive = path.join(dir, release.archive);
  if (isFile(archive)) return { kind: 'archive', path: archive, dataDir: dir };

  const explicit = Boolean(dataDir);
  const where = explicit ? '--data-dir' : env.WSR_DATA_DIR ? 'WSR_DATA_DIR' : 'the default data folder';
  const state = !fs.existsSync(dir) ? ' (it does not exist)' : isDir(dir) ? '' : ' (it is not a folder)';
  const command = `npx wsr-native download${release === CIFAR10_RELEASE ? '' : ` --dataset ${release.dataset}`}`;
  throw new DatasetError(
    'NOT_FOUND',
    null,
    `${release.title} not found in ${dir}${state}, ${where}: looked for ${release.trainFiles[0]} … in it and in its ` +
      `${release.folder}/ subfolder, and for ${release.archive}.\n` +
      `To get it, either\n` +
      `  - download the official binary release (${release.size}) into ${dir}:\n` +
      `      ${command}${explicit ? ` --data-dir ${shellQuoted(dir)}` : ''}\n` +
      `  - or pass --data-dir (or set WSR_DATA_DIR) to a folder holding the binary files ` +
      `${releaseFilesInWords(release)} (or the ${release.archive} archive).`,
  );
}

/** Options of {@link loadCifar}. */
export interface LoadOptions extends ReadOptions {
  /** The data folder (see {@link resolveDataDir}); a folder of binary files or an archive also work. */
  dataDir?: string | null;
}

/** Finds a CIFAR release ({@link findCifar}; `release`, default CIFAR-10) and reads it, from the folder or straight from the archive. */
export async function loadCifar(options: LoadOptions = {}): Promise<CifarDataset> {
  const { dataDir, ...read } = checkOptions(options, [...READ_OPTION_KEYS, 'dataDir'], 'loadCifar');
  const location = findCifar(dataDir, process.env, read.release);
  return location.kind === 'folder' ? readCifarFolder(location.path, read) : readCifarArchive(location.path, read);
}
