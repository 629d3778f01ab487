// CIFAR-10 in its official binary layout: validated reading from a folder or straight from the
// release archive, and writing (used by the synthetic dataset and by tests).
//
// A file is a sequence of 3,073-byte records: one label byte (0–9), then the 32×32 image as 1,024
// red, 1,024 green and 1,024 blue bytes, each plane row-major (CHW). Images are kept exactly in
// that layout, all of a file's images in one Uint8Array [count·3072], labels in a Uint8Array
// [count]: the shape that goes to the device as one uint8 tensor.
import fs from 'fs';
import path from 'path';
import { DatasetError, ImageDataset, ImageFile, LabelledImages, sniffFormat } from './images';
import { readTar, TarEntry, TarFormatError } from './archive';
import { checkOptions } from '../util/options';

export { DatasetError } from './images';
export type { DatasetErrorCode, LabelledImages } from './images';

/** Side of a CIFAR-10 image in pixels. */
export const CIFAR_SIDE = 32;
/** Colour channels of a CIFAR-10 image. */
export const CIFAR_CHANNELS = 3;
/** Bytes of one image: 3 × 32 × 32, channel planes one after another (CHW). */
export const CIFAR_IMAGE_BYTES = CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE;
/** Bytes of one record in a binary file: the label byte, then the image. */
export const CIFAR_RECORD_BYTES = 1 + CIFAR_IMAGE_BYTES;
/** Records in each official file (data_batch_1.bin … data_batch_5.bin, test_batch.bin). */
export const CIFAR_RECORDS_PER_FILE = 10_000;
/** Number of classes; labels are 0 … 9. */
export const CIFAR_CLASSES = 10;
/** The official class names, in label order (the contents of batches.meta.txt). */
export const CIFAR10_CLASS_NAMES: readonly string[] = Object.freeze([
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
]);
/** The five training files, in order. */
export const CIFAR_TRAIN_FILES: readonly string[] = Object.freeze([1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`));
/** The official test file. */
export const CIFAR_TEST_FILE = 'test_batch.bin';
/** The class-name file. */
export const CIFAR_META_FILE = 'batches.meta.txt';
/** The folder the release archive unpacks to. */
export const CIFAR_FOLDER = 'cifar-10-batches-bin';
/** File name of the official release archive. */
export const CIFAR_ARCHIVE = 'cifar-10-binary.tar.gz';

/** The contents of one binary file. */
export type CifarFile = ImageFile;
/** A CIFAR-10 dataset as read from a folder, an archive or the synthetic generator (imageShape absent: 3×32×32). */
export type CifarDataset = ImageDataset;

/** Options of the readers. */
export interface ReadOptions {
  /**
   * Records each file must hold: 10,000 (the default, as in the official release), another
   * positive count, or null to accept any positive whole number of records (for small
   * synthetic or test files).
   */
  recordsPerFile?: number | null;
  /** Throw when test_batch.bin is absent instead of returning test: null (default false). */
  requireTest?: boolean;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Records expected in `size` bytes, or an error describing why the size is wrong. */
function checkSize(size: number, file: string, recordsPerFile: number | null): void {
  const expectedBytes = recordsPerFile === null ? null : recordsPerFile * CIFAR_RECORD_BYTES;
  const official = recordsPerFile === CIFAR_RECORDS_PER_FILE ? ' of an official CIFAR-10 file' : '';
  if (size === 0) throw new DatasetError('EMPTY', file, 'empty file (0 bytes)');
  if (expectedBytes !== null && size > expectedBytes) {
    const whole = size % CIFAR_RECORD_BYTES === 0;
    throw new DatasetError(
      'OVERSIZED',
      file,
      `${fmt(size)} bytes is more than the ${fmt(expectedBytes)} bytes (${fmt(recordsPerFile!)} records of ` +
        `${fmt(CIFAR_RECORD_BYTES)} bytes)${official}` +
        (whole ? `: it holds ${fmt(size / CIFAR_RECORD_BYTES)} records` : ', and is not a whole number of records'),
    );
  }
  if (size % CIFAR_RECORD_BYTES !== 0) {
    throw new DatasetError(
      'TRUNCATED',
      file,
      `${fmt(size)} bytes is not a whole number of ${fmt(CIFAR_RECORD_BYTES)}-byte records (truncated?)`,
    );
  }
  if (expectedBytes !== null && size < expectedBytes) {
    throw new DatasetError(
      'TRUNCATED',
      file,
      `${fmt(size)} bytes holds ${fmt(size / CIFAR_RECORD_BYTES)} records, expected ${fmt(recordsPerFile!)}${official} (truncated?)`,
    );
  }
}

/** Throws NOT_CIFAR when most label positions hold bytes outside 0–9 (random or foreign data). */
function checkLooksLikeCifar(bytes: Uint8Array, file: string): void {
  const records = Math.floor(bytes.length / CIFAR_RECORD_BYTES);
  const probe = Math.max(1, Math.min(records, 1000));
  let bad = 0;
  for (let r = 0; r < probe; r++) {
    const offset = r * CIFAR_RECORD_BYTES;
    if (offset < bytes.length && bytes[offset] > 9) bad++;
  }
  if (bad * 2 > probe) {
    throw new DatasetError(
      'NOT_CIFAR',
      file,
      `not a CIFAR-10 file: ${fmt(bad)} of the first ${fmt(probe)} record(s) start with a byte outside 0–9 where the label belongs${sniffFormat(bytes)}`,
    );
  }
}

/** The first bad label met while decoding, and how many there were. */
interface BadLabels {
  record: number;
  label: number;
  count: number;
}

/** Copies the whole records of `chunk` (record `first` onward) into `images` and `labels`. */
function decodeRecords(chunk: Uint8Array, first: number, images: Uint8Array, labels: Uint8Array, bad: BadLabels): void {
  const records = Math.floor(chunk.length / CIFAR_RECORD_BYTES);
  for (let k = 0; k < records; k++) {
    const offset = k * CIFAR_RECORD_BYTES;
    const r = first + k;
    const label = chunk[offset];
    if (label >= CIFAR_CLASSES) {
      if (bad.count === 0) {
        bad.record = r;
        bad.label = label;
      }
      bad.count++;
    }
    labels[r] = label;
    images.set(chunk.subarray(offset + 1, offset + CIFAR_RECORD_BYTES), r * CIFAR_IMAGE_BYTES);
  }
}

function checkLabels(bad: BadLabels, file: string): void {
  if (bad.count === 0) return;
  const more = bad.count > 1 ? ` (and ${fmt(bad.count - 1)} more record(s) with a bad label)` : '';
  throw new DatasetError(
    'BAD_LABEL',
    file,
    `label ${bad.label} at record ${fmt(bad.record)} (byte offset ${fmt(bad.record * CIFAR_RECORD_BYTES)}): labels must be 0–9${more}`,
  );
}

/** The keys of {@link ReadOptions}. */
export const READ_OPTION_KEYS = ['recordsPerFile', 'requireTest'] as const;

function recordsOption(options: ReadOptions): number | null {
  const recordsPerFile = options.recordsPerFile === undefined ? CIFAR_RECORDS_PER_FILE : options.recordsPerFile;
  if (recordsPerFile !== null && !(Number.isInteger(recordsPerFile) && recordsPerFile > 0)) {
    throw new RangeError(`recordsPerFile must be a positive integer or null, got ${recordsPerFile}`);
  }
  return recordsPerFile;
}

/**
 * Parses and validates the bytes of one binary file. `file` names it in errors. Throws
 * {@link DatasetError}: EMPTY, TRUNCATED (not whole records, or fewer than expected), OVERSIZED,
 * NOT_CIFAR (mostly invalid label bytes) or BAD_LABEL (the first label outside 0–9, with its
 * record index).
 */
export function parseCifarBatch(bytes: Uint8Array, file: string, options: ReadOptions = {}): CifarFile {
  options = checkOptions(options, READ_OPTION_KEYS, 'parseCifarBatch');
  const recordsPerFile = recordsOption(options);
  if (bytes.length === 0) checkSize(0, file, recordsPerFile);
  checkLooksLikeCifar(bytes, file);
  checkSize(bytes.length, file, recordsPerFile);
  const count = bytes.length / CIFAR_RECORD_BYTES;
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * CIFAR_IMAGE_BYTES);
  const bad: BadLabels = { record: -1, label: 0, count: 0 };
  decodeRecords(bytes, 0, images, labels, bad);
  checkLabels(bad, file);
  return { name: path.basename(file), images, labels, count };
}

/** Parses batches.meta.txt: ten non-empty class names, one a line. */
export function parseCifarMeta(text: string, file: string): string[] {
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== CIFAR_CLASSES || names.some((n) => n.length > 100 || /[\0-\x08\x0e-\x1f]/.test(n))) {
    throw new DatasetError(
      'BAD_META',
      file,
      `expected ${CIFAR_CLASSES} class names, one a line, found ${names.length} line(s)` +
        (names.length ? ` starting ${JSON.stringify(names.slice(0, 3).map((n) => n.slice(0, 40)))}` : ''),
    );
  }
  return names;
}

/** The binary-layout files present in a folder (for "missing … found …" messages). */
function listing(dir: string): string {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return 'the folder cannot be listed';
  }
  if (names.length === 0) return 'the folder is empty';
  const shown = names.slice(0, 12).join(', ');
  return `found: ${shown}${names.length > 12 ? `, … (${names.length} entries)` : ''}`;
}

// Records read from a file at a time; the buffer is reused, so reading a file touches little
// memory beyond the images themselves.
const CHUNK_RECORDS = 1024;
let scratch: Buffer | null = null;

function readFully(fd: number, buffer: Buffer, length: number, position: number, file: string): void {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buffer, done, length - done, position + done);
    if (n === 0) throw new DatasetError('TRUNCATED', file, `the file got shorter while being read (at byte ${fmt(position + done)})`);
    done += n;
  }
}

/** Reads and validates one binary file, in chunks (see parseCifarBatch for the errors). */
function readOneFile(file: string, options: ReadOptions): CifarFile {
  const recordsPerFile = recordsOption(options);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new DatasetError('MISSING', file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!stat.isFile()) throw new DatasetError('NOT_CIFAR', file, 'not a regular file');
  const size = stat.size;
  if (size === 0) checkSize(0, file, recordsPerFile);
  scratch ??= Buffer.allocUnsafe(CHUNK_RECORDS * CIFAR_RECORD_BYTES);
  const fd = fs.openSync(file, 'r');
  try {
    const head = Math.min(size, scratch.length);
    readFully(fd, scratch, head, 0, file);
    checkLooksLikeCifar(scratch.subarray(0, head), file);
    checkSize(size, file, recordsPerFile);
    if (size > 2 ** 31 - 1) throw new DatasetError('OVERSIZED', file, `${fmt(size)} bytes is too large`);
    const count = size / CIFAR_RECORD_BYTES;
    const labels = new Uint8Array(count);
    const images = new Uint8Array(count * CIFAR_IMAGE_BYTES);
    const bad: BadLabels = { record: -1, label: 0, count: 0 };
    for (let first = 0; first < count; first += CHUNK_RECORDS) {
      const records = Math.min(CHUNK_RECORDS, count - first);
      if (first > 0) readFully(fd, scratch, records * CIFAR_RECORD_BYTES, first * CIFAR_RECORD_BYTES, file);
      decodeRecords(scratch.subarray(0, records * CIFAR_RECORD_BYTES), first, images, labels, bad);
    }
    checkLabels(bad, file);
    return { name: path.basename(file), images, labels, count };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads a folder in the official binary layout: data_batch_1.bin … data_batch_5.bin (all
 * required), test_batch.bin (optional unless `requireTest`) and batches.meta.txt (optional; the
 * official names are used without it). Throws {@link DatasetError} naming the file at fault; a
 * missing file's error lists what the folder holds.
 */
export function readCifarFolder(dir: string, options: ReadOptions = {}): CifarDataset {
  options = checkOptions(options, READ_OPTION_KEYS, 'readCifarFolder');
  const folder = path.resolve(dir);
  if (!fs.existsSync(folder)) throw new DatasetError('NOT_FOUND', folder, 'no such folder');
  if (!fs.statSync(folder).isDirectory()) throw new DatasetError('NOT_FOUND', folder, 'not a folder');
  const wanted = [...CIFAR_TRAIN_FILES, ...(options.requireTest ? [CIFAR_TEST_FILE] : [])];
  const missing = wanted.filter((name) => !fs.existsSync(path.join(folder, name)));
  if (missing.length) {
    throw new DatasetError(
      'MISSING',
      folder,
      `missing ${missing.join(', ')} (the official binary layout has ${CIFAR_TRAIN_FILES[0]} … ` +
        `${CIFAR_TRAIN_FILES[CIFAR_TRAIN_FILES.length - 1]}, ${CIFAR_TEST_FILE} and ${CIFAR_META_FILE}); ${listing(folder)}`,
    );
  }
  const train = CIFAR_TRAIN_FILES.map((name) => readOneFile(path.join(folder, name), options));
  const testPath = path.join(folder, CIFAR_TEST_FILE);
  const test = fs.existsSync(testPath) ? readOneFile(testPath, options) : null;
  const metaPath = path.join(folder, CIFAR_META_FILE);
  let classNames = [...CIFAR10_CLASS_NAMES];
  if (fs.existsSync(metaPath)) {
    const size = fs.statSync(metaPath).size;
    if (size > 65536) throw new DatasetError('BAD_META', metaPath, `${fmt(size)} bytes is too large for a class-name list`);
    classNames = parseCifarMeta(fs.readFileSync(metaPath, 'utf8'), metaPath);
  }
  return { source: folder, classNames, train, test };
}

/**
 * Reads the release archive (cifar-10-binary.tar.gz, or an uncompressed .tar) without unpacking
 * it to disk: its members under cifar-10-batches-bin/ are validated as {@link readCifarFolder}
 * would. Throws {@link DatasetError} (BAD_ARCHIVE for a damaged or foreign archive, MISSING with
 * the members present, or the member's own problem).
 */
export async function readCifarArchive(archive: string, options: ReadOptions = {}): Promise<CifarDataset> {
  options = checkOptions(options, READ_OPTION_KEYS, 'readCifarArchive');
  const file = path.resolve(archive);
  const files = new Map<string, CifarFile>();
  let meta: string[] | null = null;
  const entries = await scanCifarArchive(file, options, (member, data, parsed) => {
    if (parsed) files.set(parsed.name, parsed);
    else meta = parseCifarMeta(data.toString('utf8'), member);
  });
  const missing = [...CIFAR_TRAIN_FILES, ...(options.requireTest ? [CIFAR_TEST_FILE] : [])].filter((n) => !files.has(n));
  if (missing.length) throw missingMembers(file, missing, entries);
  return {
    source: file,
    classNames: meta ?? [...CIFAR10_CLASS_NAMES],
    train: CIFAR_TRAIN_FILES.map((n) => files.get(n)!),
    test: files.get(CIFAR_TEST_FILE) ?? null,
  };
}

/** The error for members missing from an archive, listing what it holds. @internal */
export function missingMembers(archive: string, missing: string[], entries: TarEntry[]): DatasetError {
  const names = entries.map((e) => e.name);
  const shown = names.slice(0, 12).join(', ');
  return new DatasetError(
    'MISSING',
    archive,
    `missing ${missing.map((m) => `${CIFAR_FOLDER}/${m}`).join(', ')}; ` +
      (names.length ? `the archive holds: ${shown}${names.length > 12 ? `, … (${names.length} members)` : ''}` : 'the archive holds no files'),
  );
}

const MEMBER = new RegExp(`^${CIFAR_FOLDER}/(data_batch_[1-5]\\.bin|test_batch\\.bin|batches\\.meta\\.txt)$`);

/**
 * Streams through a CIFAR-10 archive, validating each wanted member and handing it to `onMember`
 * (`parsed` is null for batches.meta.txt). Resolves to every member seen. Internal to the
 * reader and the downloader.
 * @internal
 */
export async function scanCifarArchive(
  file: string,
  options: ReadOptions,
  onMember: (member: string, data: Buffer, parsed: CifarFile | null, base: string) => void | Promise<void>,
): Promise<TarEntry[]> {
  const recordsPerFile = options.recordsPerFile === undefined ? CIFAR_RECORDS_PER_FILE : options.recordsPerFile;
  const maxData = recordsPerFile === null ? 2 ** 31 - 1 : recordsPerFile * CIFAR_RECORD_BYTES;
  const label = (name: string): string => `${file} (member ${name})`;
  if (!fs.existsSync(file)) throw new DatasetError('NOT_FOUND', file, 'no such file');
  if (fs.statSync(file).size === 0) throw new DatasetError('EMPTY', file, 'empty file (0 bytes)');
  try {
    return await readTar(
      file,
      (entry) => (MEMBER.test(entry.name) ? { maxBytes: entry.name.endsWith('.txt') ? 65536 : maxData } : false),
      async (entry, data) => {
        const base = entry.name.slice(CIFAR_FOLDER.length + 1);
        const parsed = base.endsWith('.bin') ? parseCifarBatch(data, label(entry.name), options) : null;
        if (parsed) parsed.name = base;
        await onMember(label(entry.name), data, parsed, base);
      },
      (entry) => {
        if (entry.name.endsWith('.txt')) throw new DatasetError('BAD_META', label(entry.name), `${fmt(entry.size)} bytes is too large for a class-name list`);
        checkSize(entry.size, label(entry.name), recordsPerFile);
        throw new DatasetError('OVERSIZED', label(entry.name), `${fmt(entry.size)} bytes is too large`);
      },
    );
  } catch (error) {
    if (error instanceof TarFormatError) {
      throw new DatasetError('BAD_ARCHIVE', file, `${error.message}; expected the CIFAR-10 binary release (${CIFAR_ARCHIVE})`);
    }
    if (error instanceof DatasetError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new DatasetError('BAD_ARCHIVE', file, `cannot be read (${code})`);
    throw error;
  }
}

/**
 * Writes images and labels as one official-layout binary file (3,073-byte records). Overwrites
 * `file`.
 */
export function writeCifarBatch(file: string, data: LabelledImages): void {
  checkLabelled(data, file);
  const out = Buffer.alloc(data.count * CIFAR_RECORD_BYTES);
  for (let r = 0; r < data.count; r++) {
    const offset = r * CIFAR_RECORD_BYTES;
    out[offset] = data.labels[r];
    out.set(data.images.subarray(r * CIFAR_IMAGE_BYTES, (r + 1) * CIFAR_IMAGE_BYTES), offset + 1);
  }
  fs.writeFileSync(file, out);
}

/**
 * Writes a dataset as an official-layout folder: its training files, test_batch.bin when it has
 * a test set, and batches.meta.txt. Creates the folder; returns the paths written.
 */
export function writeCifarFolder(dir: string, dataset: CifarDataset): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  if (dataset.train.length !== CIFAR_TRAIN_FILES.length) {
    throw new RangeError(`writeCifarFolder: expected ${CIFAR_TRAIN_FILES.length} training files, got ${dataset.train.length}`);
  }
  dataset.train.forEach((part, i) => {
    const file = path.join(dir, CIFAR_TRAIN_FILES[i]);
    writeCifarBatch(file, part);
    written.push(file);
  });
  if (dataset.test) {
    const file = path.join(dir, CIFAR_TEST_FILE);
    writeCifarBatch(file, dataset.test);
    written.push(file);
  }
  const meta = path.join(dir, CIFAR_META_FILE);
  parseCifarMeta(dataset.classNames.join('\n'), 'classNames');
  fs.writeFileSync(meta, dataset.classNames.join('\n') + '\n\n');
  written.push(meta);
  return written;
}

/** Checks that images, labels and count agree and labels are 0–9; throws RangeError otherwise. */
export function checkLabelled(data: LabelledImages, what: string): void {
  if (!(data.images instanceof Uint8Array) || !(data.labels instanceof Uint8Array)) {
    throw new TypeError(`${what}: images and labels must be Uint8Arrays`);
  }
  if (data.labels.length !== data.count || data.images.length !== data.count * CIFAR_IMAGE_BYTES) {
    throw new RangeError(
      `${what}: ${data.count} images need ${data.count * CIFAR_IMAGE_BYTES} image bytes and ${data.count} labels, ` +
        `got ${data.images.length} and ${data.labels.length}`,
    );
  }
  const bad = data.labels.findIndex((l) => l >= CIFAR_CLASSES);
  if (bad >= 0) throw new RangeError(`${what}: label ${data.labels[bad]} at index ${bad} is outside 0–9`);
}

/** Joins several image sets into one (images and labels concatenated in order); `bytes` per image (default 3,072). */
export function concatLabelled(parts: readonly LabelledImages[], bytes = CIFAR_IMAGE_BYTES): LabelledImages {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const images = new Uint8Array(count * bytes);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images.subarray(0, p.count * bytes), at * bytes);
    labels.set(p.labels.subarray(0, p.count), at);
    at += p.count;
  }
  return { images, labels, count };
}

/** Images per class: an array of 10 counts. */
export function labelHistogram(labels: Uint8Array): number[] {
  const counts = new Array<number>(CIFAR_CLASSES).fill(0);
  for (const l of labels) if (l < CIFAR_CLASSES) counts[l]++;
  return counts;
}
