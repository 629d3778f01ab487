// CIFAR-10 and CIFAR-100 in their official binary layout: validated reading from a folder, and
// writing (used by the synthetic dataset and by tests); cifarArchive.ts reads the release archive.
//
// A file is a sequence of records: the label bytes — CIFAR-10 has one (0–9), CIFAR-100 two (the
// coarse label 0–19, then the fine label 0–99) — then the 32×32 image as 1,024 red, 1,024 green
// and 1,024 blue bytes, each plane row-major (CHW). A release ({@link CifarRelease}) says what its
// files are called, how many records each holds and what its label bytes are; the readers take one
// (CIFAR-10's by default) and return the label set asked for. Images are kept exactly as stored,
// all of a file's images in one Uint8Array [count·3072], labels in a Uint8Array [count]: the shape
// that goes to the device as one uint8 tensor.
import fs from 'fs';
import path from 'path';
import { DatasetError, ImageDataset, ImageFile, LabelSet, LabelledImages, sniffFormat } from './images';
import { checkOptions } from '../util/options';

export { DatasetError } from './images';
export type { DatasetErrorCode, LabelledImages } from './images';

/** Side of a CIFAR image in pixels. */
export const CIFAR_SIDE = 32;
/** Colour channels of a CIFAR image. */
export const CIFAR_CHANNELS = 3;
/** Bytes of one image: 3 × 32 × 32, channel planes one after another (CHW). */
export const CIFAR_IMAGE_BYTES = CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE;
/** Bytes of one record in a CIFAR-10 file: the label byte, then the image. */
export const CIFAR_RECORD_BYTES = 1 + CIFAR_IMAGE_BYTES;
/** Records in each official CIFAR-10 file (data_batch_1.bin … data_batch_5.bin, test_batch.bin). */
export const CIFAR_RECORDS_PER_FILE = 10_000;
/** Number of CIFAR-10 classes; labels are 0 … 9. */
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

/** One label byte of a record. */
export interface CifarLabelByte {
  /** The label set it holds. */
  set: LabelSet;
  classes: number;
  /** The file naming its classes, one a line, in label order. */
  metaFile: string;
  /** The official class names (used where the meta file is absent). */
  names: readonly string[];
  /** For superclasses (CIFAR-100's coarse labels): each fine class's superclass, for writing files. */
  ofFine?: readonly number[];
}

/** A release in the CIFAR binary layout: its files, records and label bytes, and where it is published. */
export interface CifarRelease {
  /** Its --dataset name. */
  dataset: string;
  /** Its name in prose ('CIFAR-10'). */
  title: string;
  /** The label bytes that start each record, in order. */
  labelBytes: readonly CifarLabelByte[];
  /** The training files, in order. */
  trainFiles: readonly string[];
  testFile: string;
  /** Records in each official file, by name. */
  records: Readonly<Record<string, number>>;
  /** The folder the archive unpacks to. */
  folder: string;
  /** The archive's file name. */
  archive: string;
  /** Where the archive is published. */
  url: string;
  /** Its MD5, as the publisher gives it. */
  md5: string;
  /** Its size, in words. */
  size: string;
}

/** CIFAR-10's binary release (https://www.cs.toronto.edu/~kriz/cifar.html). */
export const CIFAR10_RELEASE: CifarRelease = Object.freeze({
  dataset: 'cifar10',
  title: 'CIFAR-10',
  labelBytes: Object.freeze([Object.freeze({ set: 'fine' as const, classes: CIFAR_CLASSES, metaFile: CIFAR_META_FILE, names: CIFAR10_CLASS_NAMES })]),
  trainFiles: CIFAR_TRAIN_FILES,
  testFile: CIFAR_TEST_FILE,
  records: Object.freeze(Object.fromEntries([...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE].map((n) => [n, CIFAR_RECORDS_PER_FILE]))),
  folder: CIFAR_FOLDER,
  archive: CIFAR_ARCHIVE,
  url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
  // The "CIFAR-10 binary version" row of https://www.cs.toronto.edu/~kriz/cifar.html.
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  size: 'about 170 MB',
});

/** Bytes of one record of `release`: its label bytes, then the image. */
export function recordBytes(release: CifarRelease): number {
  return release.labelBytes.length + CIFAR_IMAGE_BYTES;
}

/** The files of `release` in words: 'data_batch_1.bin … data_batch_5.bin, test_batch.bin and batches.meta.txt'. */
export function releaseFilesInWords(release: CifarRelease): string {
  const train = release.trainFiles;
  const names = [train.length > 1 ? `${train[0]} … ${train[train.length - 1]}` : train[0], release.testFile, ...release.labelBytes.map((b) => b.metaFile)];
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The contents of one binary file. */
export type CifarFile = ImageFile;
/** A CIFAR dataset as read from a folder, an archive or the synthetic generator (imageShape absent: 3×32×32). */
export type CifarDataset = ImageDataset;

/** Options of the readers. */
export interface ReadOptions {
  /**
   * Records each file must hold: the official count (the default: 10,000 for CIFAR-10's files,
   * 50,000 and 10,000 for CIFAR-100's), another positive count for every file, or null to accept
   * any positive whole number of records (for small synthetic or test files).
   */
  recordsPerFile?: number | null;
  /** Throw when the test file is absent instead of returning test: null (default false). */
  requireTest?: boolean;
  /** The release read (default CIFAR-10's). */
  release?: CifarRelease;
  /** The labels returned: 'fine' (the default: every release's classes) or 'coarse' (CIFAR-100's superclasses). */
  labels?: LabelSet;
}

/** The keys of {@link ReadOptions}. */
export const READ_OPTION_KEYS = ['recordsPerFile', 'requireTest', 'release', 'labels'] as const;

/** Read options resolved: the release, the records each file must hold, and which label byte is returned. @internal */
export interface ReadPlan {
  release: CifarRelease;
  /** Records the file called `name` must hold (null: any). */
  records(name: string): number | null;
  /** The index of the label byte returned. */
  pick: number;
  requireTest: boolean;
}

/** Checks and resolves read options. @internal */
export function readPlan(options: ReadOptions): ReadPlan {
  const release = options.release ?? CIFAR10_RELEASE;
  const given = options.recordsPerFile;
  if (given !== undefined && given !== null && !(Number.isInteger(given) && given > 0)) {
    throw new RangeError(`recordsPerFile must be a positive integer or null, got ${given}`);
  }
  const labels = options.labels ?? 'fine';
  const pick = release.labelBytes.findIndex((b) => b.set === labels);
  if (pick < 0) {
    const sets = release.labelBytes.map((b) => b.set).join(' and ');
    throw new RangeError(`labels must be ${sets === 'fine' ? "'fine'" : `one of ${sets}`} for ${release.title}, got ${JSON.stringify(labels)}`);
  }
  return { release, records: (name) => (given === undefined ? officialRecords(release, name) : given), pick, requireTest: options.requireTest ?? false };
}

/** Records in the official file `name` of `release` (a name it does not have: its training files' count). */
export function officialRecords(release: CifarRelease, name: string): number {
  return release.records[name] ?? release.records[release.trainFiles[0]];
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** Throws unless `size` bytes are `records` whole records of `release` (null: any positive number). */
export function checkSize(size: number, file: string, records: number | null, release: CifarRelease, name = path.basename(file)): void {
  const rb = recordBytes(release);
  const expectedBytes = records === null ? null : records * rb;
  const official = records === officialRecords(release, name) ? ` of an official ${release.title} file` : '';
  if (size === 0) throw new DatasetError('EMPTY', file, 'empty file (0 bytes)');
  if (expectedBytes !== null && size > expectedBytes) {
    const whole = size % rb === 0;
    throw new DatasetError(
      'OVERSIZED',
      file,
      `${fmt(size)} bytes is more than the ${fmt(expectedBytes)} bytes (${fmt(records!)} records of ${fmt(rb)} bytes)${official}` +
        (whole ? `: it holds ${fmt(size / rb)} records` : ', and is not a whole number of records'),
    );
  }
  if (size % rb !== 0) {
    throw new DatasetError('TRUNCATED', file, `${fmt(size)} bytes is not a whole number of ${fmt(rb)}-byte records (truncated?)`);
  }
  if (expectedBytes !== null && size < expectedBytes) {
    throw new DatasetError('TRUNCATED', file, `${fmt(size)} bytes holds ${fmt(size / rb)} records, expected ${fmt(records!)}${official} (truncated?)`);
  }
}

/** Whether the record at `offset` has a label byte outside its range. */
function badRecord(bytes: Uint8Array, offset: number, release: CifarRelease): boolean {
  return release.labelBytes.some((b, j) => bytes[offset + j] >= b.classes);
}

/** Throws NOT_CIFAR when most records start with label bytes out of range (random or foreign data). */
function checkLooksLikeCifar(bytes: Uint8Array, file: string, release: CifarRelease): void {
  const rb = recordBytes(release);
  const records = Math.floor(bytes.length / rb);
  const probe = Math.max(1, Math.min(records, 1000));
  let bad = 0;
  for (let r = 0; r < probe; r++) {
    const offset = r * rb;
    if (offset < bytes.length && badRecord(bytes, offset, release)) bad++;
  }
  if (bad * 2 > probe) {
    const where =
      release.labelBytes.length === 1
        ? 'start with a byte outside 0–9 where the label belongs'
        : `start with label bytes out of range (expected ${release.labelBytes.map((b) => `${b.set} 0–${b.classes - 1}`).join(', then ')})`;
    throw new DatasetError('NOT_CIFAR', file, `not a ${release.title} file: ${fmt(bad)} of the first ${fmt(probe)} record(s) ${where}${sniffFormat(bytes)}`);
  }
}

/** The first bad label met while decoding, and how many records had one. */
interface BadLabels {
  record: number;
  /** Which label byte. */
  byte: number;
  label: number;
  count: number;
}

/** Copies the whole records of `chunk` (record `first` onward) into `images` and `labels` (label byte `pick`). */
function decodeRecords(chunk: Uint8Array, first: number, images: Uint8Array, labels: Uint8Array, bad: BadLabels, plan: ReadPlan): void {
  const { release, pick } = plan;
  const rb = recordBytes(release);
  const head = release.labelBytes.length;
  const records = Math.floor(chunk.length / rb);
  for (let k = 0; k < records; k++) {
    const offset = k * rb;
    const r = first + k;
    if (badRecord(chunk, offset, release)) {
      if (bad.count === 0) {
        bad.record = r;
        bad.byte = release.labelBytes.findIndex((b, j) => chunk[offset + j] >= b.classes);
        bad.label = chunk[offset + bad.byte];
      }
      bad.count++;
    }
    labels[r] = chunk[offset + pick];
    images.set(chunk.subarray(offset + head, offset + rb), r * CIFAR_IMAGE_BYTES);
  }
}

function checkLabels(bad: BadLabels, file: string, release: CifarRelease): void {
  if (bad.count === 0) return;
  const b = release.labelBytes[bad.byte];
  const what = release.labelBytes.length > 1 ? `${b.set} label` : 'label';
  const more = bad.count > 1 ? ` (and ${fmt(bad.count - 1)} more record(s) with a bad label)` : '';
  throw new DatasetError(
    'BAD_LABEL',
    file,
    `${what} ${bad.label} at record ${fmt(bad.record)} (byte offset ${fmt(bad.record * recordBytes(release) + bad.byte)}): ` +
      `${what}s must be 0–${b.classes - 1}${more}`,
  );
}

/** Parses and validates one file's bytes (`name`: its name in the release, `label`: in errors). @internal */
export function parseRecords(bytes: Uint8Array, label: string, name: string, plan: ReadPlan): CifarFile {
  const records = plan.records(name);
  if (bytes.length === 0) checkSize(0, label, records, plan.release, name);
  checkLooksLikeCifar(bytes, label, plan.release);
  checkSize(bytes.length, label, records, plan.release, name);
  const count = bytes.length / recordBytes(plan.release);
  const labels = new Uint8Array(count);
  const images = new Uint8Array(count * CIFAR_IMAGE_BYTES);
  const bad: BadLabels = { record: -1, byte: 0, label: 0, count: 0 };
  decodeRecords(bytes, 0, images, labels, bad, plan);
  checkLabels(bad, label, plan.release);
  return { name, images, labels, count };
}

/**
 * Parses and validates the bytes of one binary file. `file` names it in errors. Throws
 * {@link DatasetError}: EMPTY, TRUNCATED (not whole records, or fewer than expected), OVERSIZED,
 * NOT_CIFAR (mostly invalid label bytes) or BAD_LABEL (the first label out of range, with its
 * record index).
 */
export function parseCifarBatch(bytes: Uint8Array, file: string, options: ReadOptions = {}): CifarFile {
  options = checkOptions(options, READ_OPTION_KEYS, 'parseCifarBatch');
  return parseRecords(bytes, file, path.basename(file), readPlan(options));
}

/** Parses a class-name file: `classes` non-empty class names (default 10, batches.meta.txt's), one a line. */
export function parseCifarMeta(text: string, file: string, classes = CIFAR_CLASSES): string[] {
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== classes || names.some((n) => n.length > 100 || /[\0-\x08\x0e-\x1f]/.test(n))) {
    throw new DatasetError(
      'BAD_META',
      file,
      `expected ${classes} class names, one a line, found ${names.length} line(s)` +
        (names.length ? ` starting ${JSON.stringify(names.slice(0, 3).map((n) => n.slice(0, 40)))}` : ''),
    );
  }
  return names;
}

/** The largest class-name file accepted. @internal */
export const MAX_META_BYTES = 65536;

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
function readOneFile(file: string, plan: ReadPlan): CifarFile {
  const { release } = plan;
  const name = path.basename(file);
  const records = plan.records(name);
  const rb = recordBytes(release);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new DatasetError('MISSING', file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!stat.isFile()) throw new DatasetError('NOT_CIFAR', file, 'not a regular file');
  const size = stat.size;
  if (size === 0) checkSize(0, file, records, release);
  if (!scratch || scratch.length < CHUNK_RECORDS * rb) scratch = Buffer.allocUnsafe(CHUNK_RECORDS * rb);
  const fd = fs.openSync(file, 'r');
  try {
    const head = Math.min(size, CHUNK_RECORDS * rb);
    readFully(fd, scratch, head, 0, file);
    checkLooksLikeCifar(scratch.subarray(0, head), file, release);
    checkSize(size, file, records, release);
    if (size > 2 ** 31 - 1) throw new DatasetError('OVERSIZED', file, `${fmt(size)} bytes is too large`);
    const count = size / rb;
    const labels = new Uint8Array(count);
    const images = new Uint8Array(count * CIFAR_IMAGE_BYTES);
    const bad: BadLabels = { record: -1, byte: 0, label: 0, count: 0 };
    for (let first = 0; first < count; first += CHUNK_RECORDS) {
      const n = Math.min(CHUNK_RECORDS, count - first);
      if (first > 0) readFully(fd, scratch, n * rb, first * rb, file);
      decodeRecords(scratch.subarray(0, n * rb), first, images, labels, bad, plan);
    }
    checkLabels(bad, file, release);
    return { name, images, labels, count };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The class names of the label set read: every class-name file present is checked (each its
 * release's count of names); the picked set's names come from its file, else the official ones.
 * `read(metaFile)` gives a file's text, or null when it is absent. @internal
 */
export function classNamesOf(plan: ReadPlan, read: (metaFile: string) => { text: string; label: string } | null): string[] {
  const sets = plan.release.labelBytes.map((b) => {
    const found = read(b.metaFile);
    return found ? parseCifarMeta(found.text, found.label, b.classes) : [...b.names];
  });
  return sets[plan.pick];
}

/** The text of a class-name file in a folder, or null when there is none. */
function readMeta(file: string): { text: string; label: string } | null {
  if (!fs.existsSync(file)) return null;
  const size = fs.statSync(file).size;
  if (size > MAX_META_BYTES) throw new DatasetError('BAD_META', file, `${fmt(size)} bytes is too large for a class-name list`);
  return { text: fs.readFileSync(file, 'utf8'), label: file };
}

/**
 * Reads a folder in a release's binary layout — CIFAR-10's by default: data_batch_1.bin …
 * data_batch_5.bin (all required), test_batch.bin (optional unless `requireTest`) and
 * batches.meta.txt (optional; the official names are used without it); CIFAR-100's: train.bin,
 * test.bin, coarse_label_names.txt and fine_label_names.txt. Throws {@link DatasetError} naming
 * the file at fault; a missing file's error lists what the folder holds.
 */
export function readCifarFolder(dir: string, options: ReadOptions = {}): CifarDataset {
  options = checkOptions(options, READ_OPTION_KEYS, 'readCifarFolder');
  const plan = readPlan(options);
  const { release } = plan;
  const folder = path.resolve(dir);
  if (!fs.existsSync(folder)) throw new DatasetError('NOT_FOUND', folder, 'no such folder');
  if (!fs.statSync(folder).isDirectory()) throw new DatasetError('NOT_FOUND', folder, 'not a folder');
  const wanted = [...release.trainFiles, ...(plan.requireTest ? [release.testFile] : [])];
  const missing = wanted.filter((name) => !fs.existsSync(path.join(folder, name)));
  if (missing.length) {
    throw new DatasetError('MISSING', folder, `missing ${missing.join(', ')} (the official binary layout has ${releaseFilesInWords(release)}); ${listing(folder)}`);
  }
  const train = release.trainFiles.map((name) => readOneFile(path.join(folder, name), plan));
  const testPath = path.join(folder, release.testFile);
  const test = fs.existsSync(testPath) ? readOneFile(testPath, plan) : null;
  const classNames = classNamesOf(plan, (metaFile) => readMeta(path.join(folder, metaFile)));
  return { source: folder, classNames, train, test };
}

/**
 * Writes images and labels (fine labels) as one official-layout binary file of `release`
 * (default CIFAR-10: 3,073-byte records; CIFAR-100: the coarse label, derived from the fine one,
 * then the fine label). Overwrites `file`.
 */
export function writeCifarBatch(file: string, data: LabelledImages, release: CifarRelease = CIFAR10_RELEASE): void {
  const fine = release.labelBytes.find((b) => b.set === 'fine')!;
  checkLabelled(data, file, fine.classes);
  const rb = recordBytes(release);
  const out = Buffer.alloc(data.count * rb);
  for (let r = 0; r < data.count; r++) {
    const offset = r * rb;
    const label = data.labels[r];
    release.labelBytes.forEach((b, j) => (out[offset + j] = b.ofFine ? b.ofFine[label] : label));
    out.set(data.images.subarray(r * CIFAR_IMAGE_BYTES, (r + 1) * CIFAR_IMAGE_BYTES), offset + release.labelBytes.length);
  }
  fs.writeFileSync(file, out);
}

/**
 * Writes a dataset (fine labels) as an official-layout folder of `release` (default CIFAR-10):
 * its training files, the test file when it has a test set, and the class-name files (the
 * dataset's names for the fine labels, the official ones for the others). Creates the folder;
 * returns the paths written.
 */
export function writeCifarFolder(dir: string, dataset: CifarDataset, release: CifarRelease = CIFAR10_RELEASE): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  if (dataset.train.length !== release.trainFiles.length) {
    throw new RangeError(`writeCifarFolder: expected ${release.trainFiles.length} training file(s), got ${dataset.train.length}`);
  }
  dataset.train.forEach((part, i) => {
    const file = path.join(dir, release.trainFiles[i]);
    writeCifarBatch(file, part, release);
    written.push(file);
  });
  if (dataset.test) {
    const file = path.join(dir, release.testFile);
    writeCifarBatch(file, dataset.test, release);
    written.push(file);
  }
  for (const b of release.labelBytes) {
    const names = b.set === 'fine' ? dataset.classNames : b.names;
    const meta = path.join(dir, b.metaFile);
    parseCifarMeta(names.join('\n'), 'classNames', b.classes);
    fs.writeFileSync(meta, names.join('\n') + '\n\n');
    written.push(meta);
  }
  return written;
}

/** Checks that images, labels and count agree and labels are below `classes` (default 10); throws RangeError otherwise. */
export function checkLabelled(data: LabelledImages, what: string, classes = CIFAR_CLASSES): void {
  if (!(data.images instanceof Uint8Array) || !(data.labels instanceof Uint8Array)) {
    throw new TypeError(`${what}: images and labels must be Uint8Arrays`);
  }
  if (data.labels.length !== data.count || data.images.length !== data.count * CIFAR_IMAGE_BYTES) {
    throw new RangeError(
      `${what}: ${data.count} images need ${data.count * CIFAR_IMAGE_BYTES} image bytes and ${data.count} labels, ` +
        `got ${data.images.length} and ${data.labels.length}`,
    );
  }
  const bad = data.labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new RangeError(`${what}: label ${data.labels[bad]} at index ${bad} is outside 0–${classes - 1}`);
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

/** Images per class: an array of `classes` counts (default 10). */
export function labelHistogram(labels: Uint8Array, classes = CIFAR_CLASSES): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) if (l < classes) counts[l]++;
  return counts;
}
