// Atomic file writes: readers see the old file or the new one, never a torn mix.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'fs';
import { randomBytes } from 'crypto';
import path from 'path';

/** What {@link writeFileAtomic} writes: the bytes or text at once, or a sequence of chunks (large files, streamed). */
export type AtomicData = string | Uint8Array | Iterable<string | Uint8Array>;

/** The temporary file name used next to `file` while it is written (hidden, unique per call). */
function tempPathFor(file: string): string {
  const dir = path.dirname(file);
  const base = path.basename(file);
  return path.join(dir, `.${base}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
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
  const temp = tempPathFor(file);
  const fd = openSync(temp, 'wx', 0o666);
  let renamed = false;
  try {
    try {
      if (typeof data === 'string' || data instanceof Uint8Array) writeAll(fd, data);
      else for (const chunk of data) writeAll(fd, chunk);
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
