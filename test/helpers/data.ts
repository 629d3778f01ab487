// Helpers for the data tests: temporary folders, archives in the official layout, folder
// snapshots, the error a download rejects with, and the DatasetError a reader throws.
import { createHash } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import * as tar from 'tar';
import { DatasetError } from '../../src/data';

/** A fresh temporary folder, removed by {@link removeTmpDirs}. */
const made: string[] = [];
export function tmpDir(prefix = 'wsr-data-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder made by {@link tmpDir}. */
export function removeTmpDirs(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Builds `out` (a .tar.gz, or a plain .tar) from the folder `parent/cifar-10-batches-bin` with the
 * `tar` package, as the official archive is laid out (members under cifar-10-batches-bin/).
 */
export async function makeArchive(parent: string, out: string, members = ['cifar-10-batches-bin']): Promise<void> {
  await tar.create({ gzip: out.endsWith('.gz'), file: out, cwd: parent, portable: true }, members);
}

/** Every file and folder under `dir` (hidden ones too), with each file's size and SHA-1. */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of fs.readdirSync(d).sort()) {
      const full = path.join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.statSync(full);
      if (st.isDirectory()) {
        out.push(`${r}/`);
        walk(full, r);
      } else {
        out.push(`${r} ${st.size} ${createHash('sha1').update(fs.readFileSync(full)).digest('hex')}`);
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir, '');
  return out;
}

/** The MD5 of a buffer, hex. */
export function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** The error `promise` rejects with (a test failure when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the download to fail');
}

/** The DatasetError `fn` throws (fails the test when it throws something else or nothing). */
export function datasetError(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error('expected a DatasetError, nothing was thrown');
}

/** The DatasetError `promise` rejects with (fails the test when it rejects with something else or resolves). */
export async function asyncDatasetError(promise: Promise<unknown>): Promise<DatasetError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error('expected a DatasetError, nothing was thrown');
}
