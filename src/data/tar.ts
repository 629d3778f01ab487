// A small streaming reader for (gzipped) tar archives: enough for the CIFAR-10 release, written
// here so reading and extracting the archive needs no dependency. It understands ustar/POSIX
// headers (with the name prefix), GNU long names ('L') and pax extended headers ('x': path and
// size), checks every header checksum, and hands the caller only the regular-file members it
// asks for, each as one Buffer. It never writes anything itself, so a member's name can never
// make it write outside a folder.
import fs from 'fs';
import zlib from 'zlib';

/** One member of a tar archive, as its header describes it. */
export interface TarEntry {
  /** Path inside the archive, with any leading './' removed. */
  name: string;
  /** Header type flag: '0' a regular file, '5' a folder, and so on. */
  type: string;
  /** Size of the member's data in bytes. */
  size: number;
}

/** What to do with a member: skip it, or collect it when it is no bigger than `maxBytes`. */
export type TarSelection = false | { maxBytes: number };

/** Thrown when the archive itself is unreadable; the caller adds the archive's name. */
export class TarFormatError extends Error {}

const BLOCK = 512;

/** The member being read: its data buffer (null when skipped), progress and what it is. */
interface Member {
  entry: TarEntry;
  data: Buffer | null;
  filled: number;
  remaining: number;
  padding: number;
  meta: 'pax' | 'longname' | null;
}

function cString(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end < 0 ? field.length : end).toString('utf8');
}

function octalField(block: Buffer, start: number, length: number, what: string): number {
  const field = block.subarray(start, start + length);
  if (field[0] & 0x80) {
    // GNU base-256: big-endian binary in the remaining bytes (positive values only).
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i];
    if (!Number.isSafeInteger(value)) throw new TarFormatError(`tar header: ${what} is too large`);
    return value;
  }
  const text = field.toString('latin1').replace(/[\0 ]+$/, '').replace(/^[ ]+/, '').replace(/\0.*$/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`tar header: bad ${what} field ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function checksumMatches(block: Buffer): boolean {
  let stored: number;
  try {
    stored = octalField(block, 148, 8, 'checksum');
  } catch {
    return false;
  }
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const length = parseInt(data.subarray(pos, space).toString('latin1'), 10);
    if (!(length > 0) || pos + length > data.length) throw new TarFormatError('tar: bad pax extended header');
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += length;
  }
  return out;
}

function normaliseName(name: string): string {
  let n = name.replace(/\\/g, '/');
  while (n.startsWith('./')) n = n.slice(2);
  return n;
}

/** Whether the first bytes are the gzip magic number. */
function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

async function* archiveChunks(file: string): AsyncGenerator<Buffer> {
  const fd = fs.openSync(file, 'r');
  const head = Buffer.alloc(2);
  let headBytes = 0;
  try {
    headBytes = fs.readSync(fd, head, 0, 2, 0);
  } finally {
    fs.closeSync(fd);
  }
  const raw = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (!isGzip(head.subarray(0, headBytes))) {
    try {
      for await (const chunk of raw) yield chunk as Buffer;
    } finally {
      raw.destroy();
    }
    return;
  }
  const gunzip = zlib.createGunzip({ chunkSize: 1 << 20 });
  raw.on('error', (error) => gunzip.destroy(error));
  raw.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    const message = (error as Error).message;
    throw new TarFormatError(
      /unexpected end of file/i.test(message)
        ? 'the gzip stream ends early (a truncated or interrupted download?)'
        : `the gzip stream is damaged (${message})`,
    );
  } finally {
    raw.unpipe(gunzip);
    raw.destroy();
    gunzip.destroy();
  }
}

/**
 * Reads a tar archive (gzipped or not), calling `select` for every regular-file member and
 * `onFile` with the data of each member it selects. Resolves to the list of all members seen.
 * Members bigger than their `maxBytes` are reported through `onTooBig` (and skipped) rather than
 * buffered. Throws TarFormatError for a damaged archive.
 */
export async function readTar(
  file: string,
  select: (entry: TarEntry) => TarSelection,
  onFile: (entry: TarEntry, data: Buffer) => void | Promise<void>,
  onTooBig: (entry: TarEntry, maxBytes: number) => void = () => undefined,
): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  let pending: Buffer = Buffer.alloc(0); // unparsed bytes while waiting for a whole header
  // (Initialised through a cast so the compiler does not narrow it to null: closures assign it.)
  let current = null as Member | null;
  let nextName: string | null = null;
  let nextSize: number | null = null;
  let ended = false;
  let sawHeader = false;

  const finishMember = async (): Promise<void> => {
    const c = current!;
    current = null;
    if (c.meta === 'pax' && c.data) {
      const pax = parsePax(c.data);
      if (pax.has('path')) nextName = pax.get('path')!;
      if (pax.has('size')) nextSize = Number(pax.get('size'));
    } else if (c.meta === 'longname' && c.data) {
      nextName = cString(c.data, 0, c.data.length);
    } else if (c.data) {
      await onFile(c.entry, c.data);
    }
  };

  const startMember = (header: Buffer): void => {
    if (!checksumMatches(header)) {
      throw new TarFormatError(sawHeader ? 'a tar header is damaged (bad checksum)' : 'not a tar archive (the first header has a bad checksum)');
    }
    sawHeader = true;
    const magic = header.subarray(257, 263).toString('latin1');
    let name = cString(header, 0, 100);
    if (magic === 'ustar\0') {
      const prefix = cString(header, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    const typeByte = header[156];
    const type = typeByte === 0 ? '0' : String.fromCharCode(typeByte);
    let size = octalField(header, 124, 12, 'size');
    if (nextSize !== null && type !== 'x' && type !== 'g' && type !== 'L') size = nextSize;
    if (nextName !== null && type !== 'x' && type !== 'g' && type !== 'L') name = nextName;
    if (type !== 'x' && type !== 'g' && type !== 'L' && type !== 'K') {
      nextName = null;
      nextSize = null;
    }
    const entry: TarEntry = { name: normaliseName(name), type, size };
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    let data: Buffer | null = null;
    let meta: 'pax' | 'longname' | null = null;
    if (type === 'x' || type === 'L') {
      if (size > 1 << 20) throw new TarFormatError('tar: extended header too large');
      meta = type === 'x' ? 'pax' : 'longname';
      data = Buffer.alloc(size);
    } else if (type === '0' || type === '7') {
      entries.push(entry);
      const choice = select(entry);
      if (choice) {
        if (size > choice.maxBytes) onTooBig(entry, choice.maxBytes);
        else data = Buffer.alloc(size);
      }
    } else if (type !== 'g' && type !== 'K') {
      entries.push(entry);
    }
    current = { entry, data, filled: 0, remaining: size, padding, meta };
  };

  for await (const chunk of archiveChunks(file)) {
    const buf: Buffer = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    pending = Buffer.alloc(0);
    let pos = 0;
    while (pos < buf.length && !ended) {
      if (current) {
        const c = current;
        if (c.remaining > 0) {
          const take = Math.min(c.remaining, buf.length - pos);
          if (c.data) buf.copy(c.data, c.filled, pos, pos + take);
          c.filled += take;
          c.remaining -= take;
          pos += take;
        }
        if (c.remaining === 0) {
          const skip = Math.min(c.padding, buf.length - pos);
          c.padding -= skip;
          pos += skip;
          if (c.padding === 0) await finishMember();
        }
        continue;
      }
      if (buf.length - pos < BLOCK) {
        pending = Buffer.from(buf.subarray(pos));
        pos = buf.length;
        break;
      }
      const header = buf.subarray(pos, pos + BLOCK);
      pos += BLOCK;
      if (header.every((b) => b === 0)) {
        ended = true; // end-of-archive marker; anything after it is padding
        break;
      }
      startMember(header);
    }
    if (ended) break;
  }
  if (current) {
    const c = current;
    if (c.remaining === 0) {
      // The data is complete and only the block padding is missing: accept the member.
      await finishMember();
    } else {
      throw new TarFormatError(`the archive ends inside member ${c.entry.name} (truncated?)`);
    }
  }
  if (!sawHeader) throw new TarFormatError(pending.length ? 'not a tar archive (too short)' : 'the archive is empty');
  if (!ended && pending.some((b) => b !== 0)) throw new TarFormatError('the archive ends inside a header (truncated?)');
  return entries;
}
