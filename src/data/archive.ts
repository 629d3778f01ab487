// Reading the members of a (gzipped) tar archive with node-tar's streaming parser, strictly: a
// damaged header, a damaged gzip stream or a truncated archive is an error, and the caller gets only
// the regular-file members it asks for, each as one Buffer. Nothing is ever written here, so a
// member's name (`../x`, `/x`) or a link can never make it write outside a folder.
import fs from 'fs';
import { Parser, ReadEntry } from 'tar';

/** One member of a tar archive, as its header describes it. */
export interface TarEntry {
  /** Path inside the archive, with any leading './' removed. */
  name: string;
  /** node-tar's type: 'File', 'Directory', 'SymbolicLink', … */
  type: string;
  /** Size of the member's data in bytes. */
  size: number;
}

/** What to do with a member: skip it, or collect it when it is no bigger than `maxBytes`. */
export type TarSelection = false | { maxBytes: number };

/** Thrown when the archive itself is unreadable; the caller adds the archive's name. */
export class TarFormatError extends Error {}

const REGULAR = new Set(['File', 'OldFile', 'ContiguousFile']);

function normaliseName(name: string): string {
  let n = name.replace(/\\/g, '/');
  while (n.startsWith('./')) n = n.slice(2);
  return n;
}

/** node-tar's and zlib's errors in words that say what is wrong with the archive. */
function describe(error: NodeJS.ErrnoException, sawEntry: boolean, last: string | null): Error {
  const message = error.message ?? String(error);
  const code = String(error.code ?? '');
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return new TarFormatError('the gzip stream ends early (a truncated or interrupted download?)');
  }
  if (code.startsWith('Z_') || /zlib/i.test(message)) return new TarFormatError(`the gzip stream is damaged (${message})`);
  if (code === 'TAR_ENTRY_INVALID' && /checksum/i.test(message)) {
    return new TarFormatError(sawEntry ? 'a tar header is damaged (bad checksum)' : 'not a tar archive (the first header has a bad checksum)');
  }
  if (code === 'TAR_BAD_ARCHIVE' && /truncated/i.test(message)) {
    return new TarFormatError(`the archive ends early${last ? `, in or after member ${last}` : ''} (truncated?)`);
  }
  if (code === 'TAR_BAD_ARCHIVE' && !sawEntry) return new TarFormatError(`not a tar archive (${message.replace(/^TAR_BAD_ARCHIVE: /, '')})`);
  if (code.startsWith('TAR_')) return new TarFormatError(`the tar archive is damaged (${message.replace(/^TAR_\w+: /, '')})`);
  return error;
}

/**
 * Reads a tar archive (gzipped or not), calling `select` for every regular-file member and `onFile`
 * with the data of each member it selects, in archive order. Resolves to the list of all members
 * seen (folders and links included). Members bigger than their `maxBytes` go to `onTooBig` (which
 * may throw) rather than being buffered. Throws TarFormatError for a damaged archive, and the first
 * error any callback throws.
 */
export async function readTar(
  file: string,
  select: (entry: TarEntry) => TarSelection,
  onFile: (entry: TarEntry, data: Buffer) => void | Promise<void>,
  onTooBig: (entry: TarEntry, maxBytes: number) => void = () => undefined,
): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  let failure: unknown = null;
  let delivered: Promise<void> = Promise.resolve();
  await new Promise<void>((resolve) => {
    const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
    const parser = new Parser({ strict: true });
    const fail = (error: unknown): void => {
      failure ??= error;
      input.destroy();
      resolve();
    };
    parser.on('entry', (entry: ReadEntry) => {
      const e: TarEntry = { name: normaliseName(entry.path), type: entry.type, size: entry.size ?? 0 };
      entries.push(e);
      const choice = REGULAR.has(entry.type) && failure === null ? select(e) : false;
      if (choice && e.size > choice.maxBytes) {
        try {
          onTooBig(e, choice.maxBytes);
        } catch (error) {
          fail(error);
        }
      }
      if (!choice || e.size > choice.maxBytes) {
        entry.resume();
        return;
      }
      const data = Buffer.alloc(e.size);
      let filled = 0;
      entry.on('data', (chunk: Buffer) => {
        chunk.copy(data, filled);
        filled += chunk.length;
      });
      entry.on('end', () => {
        delivered = delivered.then(async () => {
          if (failure === null) await onFile(e, data);
        });
        delivered.catch(fail);
      });
    });
    parser.on('error', (error: NodeJS.ErrnoException) => fail(describe(error, entries.length > 0, entries.at(-1)?.name ?? null)));
    parser.on('end', () => resolve());
    parser.on('close', () => resolve());
    input.on('error', fail);
    input.pipe(parser);
  });
  await delivered.catch(() => undefined);
  if (failure !== null) throw failure;
  if (entries.length === 0) throw new TarFormatError('the archive is empty');
  return entries;
}
