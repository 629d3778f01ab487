// The safetensors format (https://github.com/huggingface/safetensors), which PyTorch, NumPy, JAX and
// the Hugging Face tools load: weights in it need no wsr-native to be read.
//
// Layout: 8 bytes, a little-endian uint64 N; N bytes of UTF-8 JSON, padded with spaces,
//   { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, …,
//     "__metadata__": { "<key>": "<string>", … } }
// then the data: each tensor's bytes, little-endian and row-major, at [begin, end) from the start
// of the data, packed with no gap and no overlap. wsr-native writes and reads float32 (F32) only.
import { closeSync, fstatSync, openSync, readSync } from 'fs';
import os from 'os';
import { writeFileAtomic } from './util/atomic';

/** A named float32 tensor: row-major values and their shape. */
export interface NamedTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** A tensor as the header describes it (offsets are from the start of the data). */
export interface SafetensorsEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** What a safetensors header holds. */
export interface SafetensorsHeader {
  metadata: Record<string, string>;
  /** In the order of their data. */
  entries: SafetensorsEntry[];
  /** Byte position of the data in the file. */
  dataStart: number;
}

/**
 * A file that is not a valid safetensors file, or a tensor wsr-native cannot use. `kind`:
 * 'format' (not safetensors: bad length, header or JSON), 'truncated' (the file ends early),
 * 'tensor' (an entry is malformed, overlaps another, or is not float32).
 */
export class SafetensorsError extends Error {
  constructor(
    readonly file: string,
    readonly kind: 'format' | 'truncated' | 'tensor',
    readonly problem: string,
    readonly tensor: string | null = null,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'SafetensorsError';
  }
}

/** Bytes per element of every dtype of the format (the header may name any; only F32 is read). */
const DTYPE_BYTES: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
});

/** The reference implementation refuses larger headers; so does this one. */
const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';

function checkLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new Error('safetensors data is little-endian; this machine is big-endian');
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Writes tensors (in the given order) and string metadata to `file` atomically: a reader sees the
 * old file or the new one, never a torn one. The header is padded so the data starts at a multiple
 * of 8 bytes (aligned for readers that map the file).
 */
export function writeSafetensors(file: string, tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): void {
  checkLittleEndian();
  // No prototype: a tensor named '__proto__' is just a name.
  const header: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new TypeError(`${file}: metadata ${JSON.stringify(key)} must be a string, got ${typeof value}`);
  }
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (typeof t.name !== 'string' || t.name === '' || t.name === METADATA_KEY || Object.hasOwn(header, t.name)) {
      throw new RangeError(`${file}: bad or repeated tensor name ${JSON.stringify(t.name)}`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || elementCount(t.shape) !== t.data.length) {
      throw new RangeError(`${file}: tensor ${t.name} has ${t.data.length} values, which shape [${String(t.shape)}] does not hold`);
    }
    header[t.name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8 + Buffer.byteLength(json));
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)), 0);
  head.write(json, 8, 'utf8');
  writeFileAtomic(
    file,
    (function* (): Iterable<Uint8Array> {
      yield head;
      for (const t of tensors) yield new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    })(),
  );
}

/** Where the bytes come from: a file read piece by piece, or bytes already in memory. */
interface ByteSource {
  size: number;
  read(position: number, length: number): Buffer;
}

function fileSource(fd: number, file: string): ByteSource {
  return {
    size: fstatSync(fd).size,
    read(position, length) {
      const buffer = Buffer.allocUnsafe(length);
      for (let done = 0; done < length; ) {
        const n = readSync(fd, buffer, done, length - done, position + done);
        if (n === 0) throw new SafetensorsError(file, 'truncated', `the file ended while reading byte ${position + done}`);
        done += n;
      }
      return buffer;
    },
  };
}

function bufferSource(bytes: Uint8Array): ByteSource {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { size: buffer.length, read: (position, length) => buffer.subarray(position, position + length) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseEntry(file: string, name: string, info: unknown): SafetensorsEntry {
  const bad = (problem: string): SafetensorsError => new SafetensorsError(file, 'tensor', `tensor ${name}: ${problem}`, name);
  if (!isPlainObject(info)) throw bad('the header entry is not an object');
  const { dtype, shape, data_offsets: offsets } = info;
  if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) throw bad(`unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isIndex)) throw bad(`shape ${JSON.stringify(shape)} is not a list of sizes`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex) || offsets[0] > offsets[1]) {
    throw bad(`data_offsets ${JSON.stringify(offsets)} is not [begin, end] with begin <= end`);
  }
  const bytes = elementCount(shape) * DTYPE_BYTES[dtype];
  if (!Number.isSafeInteger(bytes) || bytes !== offsets[1] - offsets[0]) {
    throw bad(`shape [${shape}] of ${dtype} needs ${bytes} bytes, data_offsets [${offsets}] hold ${offsets[1] - offsets[0]}`);
  }
  return { name, dtype, shape: [...shape], begin: offsets[0], end: offsets[1] };
}

function parseHeader(source: ByteSource, file: string): SafetensorsHeader {
  if (source.size < 8) throw new SafetensorsError(file, 'format', `${source.size} bytes is too short for a safetensors file`);
  const length = source.read(0, 8).readBigUInt64LE(0);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file, 'format', `the header length ${length} is implausible: not a safetensors file`);
  }
  const headerLength = Number(length);
  const dataStart = 8 + headerLength;
  if (dataStart > source.size) {
    throw new SafetensorsError(file, 'truncated', `the ${headerLength}-byte header runs past the end of the file (${source.size} bytes)`);
  }
  const bytes = source.read(8, headerLength);
  let header: unknown;
  try {
    if (bytes[0] !== 0x7b) throw new Error('it does not start with {');
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new SafetensorsError(file, 'format', `the header is not a JSON object (${(error as Error).message}): not a safetensors file`);
  }
  if (!isPlainObject(header)) throw new SafetensorsError(file, 'format', 'the header is not a JSON object: not a safetensors file');
  const metadata = header[METADATA_KEY] ?? {};
  if (!isPlainObject(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) {
    throw new SafetensorsError(file, 'format', `${METADATA_KEY} must map names to strings`);
  }
  const entries = Object.entries(header)
    .filter(([name]) => name !== METADATA_KEY)
    .map(([name, info]) => parseEntry(file, name, info))
    .sort((a, b) => a.begin - b.begin || a.end - b.end);
  // As the reference reader: the tensors tile the data exactly, with no gap, overlap or excess.
  let at = 0;
  entries.forEach((e, i) => {
    if (e.begin !== at) {
      const problem =
        e.begin < at
          ? `tensor ${e.name}: its data [${e.begin}, ${e.end}) overlaps that of ${entries[i - 1].name}`
          : `tensor ${e.name}: its data starts at ${e.begin}, leaving bytes [${at}, ${e.begin}) that belong to no tensor`;
      throw new SafetensorsError(file, 'tensor', problem, e.name);
    }
    at = e.end;
  });
  const last = entries[entries.length - 1]?.name ?? null;
  if (dataStart + at > source.size) {
    throw new SafetensorsError(file, 'truncated', `tensor ${last}: its data runs to byte ${dataStart + at}, the file has ${source.size}`, last);
  }
  if (dataStart + at < source.size) {
    throw new SafetensorsError(file, 'format', `${source.size - dataStart - at} bytes after the last tensor belong to no tensor`);
  }
  return { metadata: metadata as Record<string, string>, entries, dataStart };
}

/** The float32 values of one entry (copied, so aligned whatever the file's layout). */
function readValues(source: ByteSource, header: SafetensorsHeader, e: SafetensorsEntry, file: string): Float32Array {
  if (e.dtype !== 'F32') {
    throw new SafetensorsError(
      file,
      'tensor',
      `tensor ${e.name} is ${e.dtype}; wsr-native reads float32 (F32) tensors only (in PyTorch: tensor.float() before saving)`,
      e.name,
    );
  }
  const values = new Float32Array((e.end - e.begin) / 4);
  new Uint8Array(values.buffer).set(source.read(header.dataStart + e.begin, e.end - e.begin));
  return values;
}

/** What {@link readSafetensors} returns: the metadata, and each tensor read with its shape, in data order. */
export interface SafetensorsContents {
  metadata: Record<string, string>;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

function readFrom(source: ByteSource, file: string, select?: (name: string) => boolean): SafetensorsContents {
  const header = parseHeader(source, file);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const e of header.entries) {
    if (select && !select(e.name)) continue;
    tensors.set(e.name, { shape: e.shape, data: readValues(source, header, e, file) });
  }
  return { metadata: header.metadata, tensors };
}

function withFile<T>(file: string, use: (source: ByteSource) => T): T {
  checkLittleEndian();
  const fd = openSync(file, 'r');
  try {
    return use(fileSource(fd, file));
  } finally {
    closeSync(fd);
  }
}

/** The header of a safetensors file, checked as {@link readSafetensors} checks it, without reading the data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  return withFile(file, (source) => parseHeader(source, file));
}

/**
 * Reads a safetensors file strictly: the header must be well formed, the tensors must tile the data
 * exactly (no gap, overlap, out-of-range offset or trailing byte), each shape must match its byte
 * count, and the tensors read must be float32. Any fault is a {@link SafetensorsError} naming the
 * file (and the tensor). With `select`, only the tensors it accepts are read (the others are
 * checked in the header and skipped on disk).
 */
export function readSafetensors(file: string, select?: (name: string) => boolean): SafetensorsContents {
  return withFile(file, (source) => readFrom(source, file, select));
}

/** {@link readSafetensors} over bytes in memory; `file` names them in errors. */
export function parseSafetensors(bytes: Uint8Array, file: string): SafetensorsContents {
  checkLittleEndian();
  return readFrom(bufferSource(bytes), file);
}
