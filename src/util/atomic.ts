// Atomic file writes: readers see the old file or the new one, never a torn mix. A write that the
// file system refuses (full, read-only, not permitted) is an error naming the file, not just the
// system call; the temporary files a killed writer leaves behind are removed by the next one.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'fs';
import { randomBytes } from 'crypto';
import path from 'path';
import { testKillPoint } from './testHooks';

/** The errno codes of a file system that refuses a write: full, over quota, read-only, not permitted, failing. */
const STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EFBIG']);

/** A system error while writing `file`: its message names the file; `code` and `syscall` are the system error's. */
export class FileWriteError extends Error {
  readonly code: string;
  readonly syscall: string | undefined;
  constructor(
    readonly file: string,
    cause: NodeJS.ErrnoException,
  ) {
    super(`could not write ${file}: ${cause.message}`);
    this.name = 'FileWriteError';
    this.code = cause.code ?? 'EUNKNOWN';
    this.syscall = cause.syscall;
  }
}

/**
 * `error` as an error that names `file`: a system error (one with an errno code) becomes a
 * {@link FileWriteError}; anything else (a {@link FileWriteError} already, a failing data source)
 * is returned as it is.
 */
export function writeError(error: unknown, file: string): unknown {
  const e = error as NodeJS.ErrnoException;
  if (error instanceof FileWriteError || !(error instanceof Error) || typeof e.code !== 'string' || !/^E[A-Z]+$/.test(e.code)) return error;
  return new FileWriteError(file, e);
}

/** Whether `error` is a file system refusing a write (full, read-only, not permitted): fixed outside the program, after which the work can go on. */
export function isStorageError(error: unknown): error is Error & { code: string } {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return error instanceof Error && typeof code === 'string' && STORAGE_CODES.has(code);
}

/** What to do about a storage error, in words ('free some space on …'). */
export function storageAdvice(error: { code: string }): string {
  if (error.code === 'ENOSPC' || error.code === 'EDQUOT' || error.code === 'EFBIG') return 'free some space on its file system (or raise the quota)';
  if (error.code === 'EROFS') return 'make its file system writable again (it is mounted read-only)';
  if (error.code === 'EIO') return 'check the disk (an input/output error)';
  return 'make the folder writable for this user';
}

/** What {@link writeFileAtomic} writes: the bytes or text at once, or a sequence of chunks (large files, streamed). */
export type AtomicData = string | Uint8Array | Iterable<string | Uint8Array>;

/** The temporary file name used next to `file` while it is written (hidden, unique per call). */
function tempPathFor(file: string): string {
  const dir = path.dirname(file);
  const base = path.basename(file);
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** A temporary file of {@link writeFileAtomic} (or of the run lock, named alike): `.<name>.<pid>.<12 hex>.tmp`. */
const TEMP_FILE = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/** Whether a process `pid` exists on this host (one of another user counts; a zombie too). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that writers killed mid-write left in `dirs` (a killed checkpoint
 * write can leave hundreds of megabytes): those whose writer's pid no longer runs. Meant for a
 * folder whose lock this process holds. Returns how many were removed.
 */
export function removeStaleTempFiles(dirs: readonly string[]): number {
  let removed = 0;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // not made yet
    }
    for (const name of names) {
      const match = TEMP_FILE.exec(name);
      if (!match || processExists(Number(match[1]))) continue;
      try {
        unlinkSync(path.join(dir, name));
        removed++;
      } catch {
        // Gone already, or not ours to remove: harmless either way.
      }
    }
  }
  return removed;
}

function writeAll(fd: number, chunk: string | Uint8Array): void {
  const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
  let offset = 0;
  while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
}

/** Flushes the directory entry of a rename to disk; a no-op where directories cannot be opened (Windows). */
function fsyncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `file` atomically: writes `data` to a new temporary file in the same directory,
 * fsyncs it, renames it over `file` and fsyncs the directory. If anything fails (including a
 * chunk iterator that throws), the temporary file is removed, `file` keeps its old content and
 * the error is rethrown.
 *
 * @param file - the destination path; its directory must exist.
 * @param data - text (written as UTF-8), bytes, or an iterable of chunks written in order.
 */
export function writeFileAtomic(file: string, data: AtomicData): void {
  try {
    writeAtomically(file, data);
  } catch (error) {
    throw writeError(error, file);
  }
}

function writeAtomically(file: string, data: AtomicData): void {
  const temp = tempPathFor(file);
  const fd = openSync(temp, 'wx', 0o666);
  let renamed = false;
  try {
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) writeAll(fd, data);
      else {
        let chunks = 0;
        for (const chunk of data) {
          writeAll(fd, chunk);
          // The chaos test's kill inside a checkpoint write: the temporary file half written.
          if (chunks++ === 1 && path.extname(file) === '.safetensors') testKillPoint('checkpoint-write');
        }
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    renamed = true;
  } finally {
    if (!renamed) {
      try {
        unlinkSync(temp);
      } catch {
        // Already gone; nothing to clean.
      }
    }
  }
  fsyncDirectory(path.dirname(file));
}

/**
 * Writes `value` as JSON (2-space indent, trailing newline) with {@link writeFileAtomic}.
 *
 * @param file - the destination path.
 * @param value - any JSON-serialisable value.
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new TypeError(`writeJsonAtomic: ${file}: value is not JSON-serialisable`);
  writeFileAtomic(file, text + '\n');
}
