// The checkpoint file format: named float32 arrays and a JSON header, written atomically.
//
// Layout (little-endian):
//   bytes 0–7   magic "WSRNCKPT"
//   bytes 8–11  uint32: byte length H of the header
//   bytes 12…   the header, UTF-8 JSON: { format, version, meta, tensors: [{ name, length, offset }] },
//               padded with spaces so that the data starts at a multiple of 8
//   then        each tensor's float32 values, at `offset` bytes from the start of the data
// `meta` is free-form JSON (the training loop stores the model, epoch, optimizer kind and counters).
import { openSync, readSync, closeSync, fstatSync } from 'fs';
import os from 'os';
import { writeFileAtomic } from '../util/atomic';

const MAGIC = Buffer.from('WSRNCKPT', 'latin1');
const FORMAT = 'wsr-native-checkpoint';
const VERSION = 1;

/** What a checkpoint holds. */
export interface Checkpoint<Meta = Record<string, unknown>> {
  meta: Meta;
  tensors: Map<string, Float32Array>;
}

interface TensorEntry {
  name: string;
  length: number;
  offset: number;
}

interface Header {
  format: string;
  version: number;
  meta: unknown;
  tensors: TensorEntry[];
}

function checkEndianness(): void {
  if (os.endianness() !== 'LE') throw new Error('checkpoints are little-endian; this machine is big-endian');
}

/** Writes a checkpoint atomically (a reader sees the old file or the new one, never a torn one). */
export function writeCheckpoint(file: string, checkpoint: Checkpoint<unknown>): void {
  checkEndianness();
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const [name, values] of checkpoint.tensors) {
    tensors.push({ name, length: values.length, offset });
    offset += values.length * 4;
  }
  const header: Header = { format: FORMAT, version: VERSION, meta: checkpoint.meta, tensors };
  let json = JSON.stringify(header);
  const pad = (8 - ((12 + Buffer.byteLength(json)) % 8)) % 8;
  json += ' '.repeat(pad);
  const head = Buffer.alloc(12 + Buffer.byteLength(json));
  MAGIC.copy(head, 0);
  head.writeUInt32LE(Buffer.byteLength(json), 8);
  head.write(json, 12, 'utf8');
  const chunks = function* (): Iterable<Uint8Array> {
    yield head;
    for (const values of checkpoint.tensors.values()) yield new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  };
  writeFileAtomic(file, chunks());
}

function readExactly(fd: number, length: number, position: number, file: string): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) throw new Error(`${file}: checkpoint is truncated (${position + done} bytes)`);
    done += n;
  }
  return buffer;
}

/**
 * Reads a checkpoint written by {@link writeCheckpoint}; throws an error naming the file when it is
 * not one. With `select`, only the tensors it accepts are read (the others are skipped on disk).
 */
export function readCheckpoint<Meta = Record<string, unknown>>(file: string, select?: (name: string) => boolean): Checkpoint<Meta> {
  checkEndianness();
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 12) throw new Error(`${file}: not a wsr-native checkpoint (${size} bytes)`);
    const start = readExactly(fd, 12, 0, file);
    if (!start.subarray(0, 8).equals(MAGIC)) throw new Error(`${file}: not a wsr-native checkpoint (bad magic)`);
    const headerLength = start.readUInt32LE(8);
    if (12 + headerLength > size) throw new Error(`${file}: checkpoint is truncated (header)`);
    let header: Header;
    try {
      header = JSON.parse(readExactly(fd, headerLength, 12, file).toString('utf8')) as Header;
    } catch (error) {
      throw new Error(`${file}: unreadable checkpoint header (${(error as Error).message})`);
    }
    if (header.format !== FORMAT || header.version !== VERSION || !Array.isArray(header.tensors)) {
      throw new Error(`${file}: unsupported checkpoint (format ${String(header.format)} version ${String(header.version)})`);
    }
    const dataStart = 12 + headerLength;
    const tensors = new Map<string, Float32Array>();
    for (const t of header.tensors) {
      if (select && !select(t.name)) continue;
      if (dataStart + t.offset + t.length * 4 > size) throw new Error(`${file}: checkpoint is truncated (tensor ${t.name})`);
      const bytes = readExactly(fd, t.length * 4, dataStart + t.offset, file);
      const values = new Float32Array(t.length);
      new Uint8Array(values.buffer).set(bytes);
      tensors.set(t.name, values);
    }
    return { meta: header.meta as Meta, tensors };
  } finally {
    closeSync(fd);
  }
}
