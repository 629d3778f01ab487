// Datasets in MNIST's official IDX files — MNIST itself, and Fashion-MNIST (fashionMnist.ts), which
// keeps MNIST's format and file names: the description that tells one apart ({@link IdxDataset}),
// finding the files in the data folder, validated reading (gzipped or not), and writing (for tests
// and the synthetic stand-in).
//
// An IDX file is a 4-byte magic number — two zero bytes, the data type (0x08: unsigned bytes) and
// the number of dimensions — then each dimension as a big-endian 32-bit count, then the data.
// MNIST's image files have 3 dimensions (count, 28 rows, 28 columns; pixels row-major), its label
// files 1 (count). Images are kept as they are stored: that is CHW with one channel.
import fs from 'fs';
import path from 'path';
import zlib from 'zlib';
import { concatLabelled } from './cifar';
import { DatasetError, ImageDataset, ImageFile, ImageShape, sniffFormat } from './images';
import { resolveDataDir, shellQuoted } from './locate';

/** Side of an MNIST image in pixels. */
export const MNIST_SIDE = 28;
/** Per-image shape [1, 28, 28]. */
export const MNIST_IMAGE_SHAPE: ImageShape = Object.freeze([1, MNIST_SIDE, MNIST_SIDE]) as ImageShape;
/** The four official files (without .gz), by role. */
export const MNIST_FILES = Object.freeze({
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
});
/** A role of one of the four files. */
export type MnistRole = keyof typeof MNIST_FILES;
/** The roles in reading order. */
export const MNIST_ROLES: readonly MnistRole[] = Object.freeze(['trainImages', 'trainLabels', 'testImages', 'testLabels']);
/** The subfolder of the data folder that `download --dataset mnist` fills. */
export const MNIST_FOLDER = 'mnist';
/** The class names: the digits, in label order. */
export const MNIST_CLASS_NAMES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** A dataset in MNIST's format: the four IDX files under MNIST's names, and what sets it apart. */
export interface IdxDataset {
  /** Its --dataset name. */
  dataset: string;
  /** Its name in prose. */
  title: string;
  /** The data folder's subfolder that `download --dataset NAME` fills. */
  folder: string;
  /** Where torchvision keeps it under its root ('MNIST/raw'). */
  torchvisionFolder: string;
  /** The class names in label order. */
  classNames: readonly string[];
  /** Base URLs of the official .gz files, in the order tried. */
  sources: readonly string[];
  /** MD5 of each official .gz file, by role, as the publisher gives them. */
  md5: Readonly<Record<MnistRole, string>>;
  /** The four .gz files' size, in words. */
  size: string;
}

/** MNIST. */
export const MNIST_DATASET: IdxDataset = Object.freeze({
  dataset: 'mnist',
  title: 'MNIST',
  folder: MNIST_FOLDER,
  torchvisionFolder: path.join('MNIST', 'raw'),
  classNames: MNIST_CLASS_NAMES,
  // The mirror PyTorch's torchvision downloads from (the original site has refused automated
  // downloads at times), then Yann LeCun's original page.
  sources: Object.freeze(['https://ossci-datasets.s3.amazonaws.com/mnist/', 'http://yann.lecun.com/exdb/mnist/']),
  // As torchvision and the mirrors publish them.
  md5: Object.freeze({
    trainImages: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
    trainLabels: 'd53e105ee54ea40749a09fcbcd1e9432',
    testImages: '9fb629c4189551a2d022fa330f9573f3',
    testLabels: 'ec29112dd5afa0611ce80d1b7f02629c',
  }),
  size: 'about 11 MB',
});

const UNSIGNED_BYTE = 0x08;
/** The largest decompressed file accepted (the official training images are 47 MB). */
const MAX_BYTES = 256 * 2 ** 20;
const fmt = (n: number): string => n.toLocaleString('en-US');

/** The content of `bytes`, gunzipped when it starts with the gzip magic (whatever the file is called). */
function decompressed(bytes: Buffer, file: string): Buffer {
  if (!(bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b)) return bytes;
  try {
    return zlib.gunzipSync(bytes, { maxOutputLength: MAX_BYTES });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new DatasetError('OVERSIZED', file, `decompresses to more than ${fmt(MAX_BYTES)} bytes`);
    if (e.code === 'Z_BUF_ERROR') throw new DatasetError('TRUNCATED', file, `the gzip stream ends early (truncated?): ${e.message}`);
    throw new DatasetError('BAD_ARCHIVE', file, `not a valid gzip file: ${e.message}`);
  }
}

/** The dimensions of an IDX file of unsigned bytes with `dims` dimensions; checks the size against them. */
function idxDimensions(bytes: Uint8Array, file: string, dims: number, what: string): number[] {
  if (bytes.length === 0) throw new DatasetError('EMPTY', file, 'empty file (0 bytes)');
  if (bytes.length < 4) throw new DatasetError('TRUNCATED', file, `${bytes.length} bytes is too short for an IDX header`);
  const magic = Buffer.from(bytes.subarray(0, 4)).toString('hex');
  const expected = `0000${UNSIGNED_BYTE.toString(16).padStart(2, '0')}${dims.toString(16).padStart(2, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DatasetError('BAD_MAGIC', file, `not an IDX file: magic number 0x${magic}, expected 0x${expected} (${what})${sniffFormat(bytes)}`);
  }
  if (bytes[2] !== UNSIGNED_BYTE || bytes[3] !== dims) {
    const kinds: Record<number, string> = { 1: 'a labels file', 3: 'an images file' };
    const other = bytes[2] === UNSIGNED_BYTE && bytes[3] !== dims && kinds[bytes[3]] ? `: it looks like ${kinds[bytes[3]]}` : '';
    throw new DatasetError('BAD_MAGIC', file, `magic number 0x${magic}, expected 0x${expected} (${what})${other}`);
  }
  const header = 4 + 4 * dims;
  if (bytes.length < header) throw new DatasetError('TRUNCATED', file, `${bytes.length} bytes is too short for the ${header}-byte IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, header);
  const sizes = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const dataBytes = sizes.reduce((a, b) => a * b, 1);
  const actual = bytes.length - header;
  if (actual < dataBytes) {
    throw new DatasetError('TRUNCATED', file, `the header announces ${sizes.join(' × ')} (${fmt(dataBytes)} bytes) but the file holds ${fmt(actual)} (truncated?)`);
  }
  if (actual > dataBytes) {
    throw new DatasetError('OVERSIZED', file, `${fmt(actual - dataBytes)} bytes beyond the ${sizes.join(' × ')} the header announces`);
  }
  if (sizes[0] === 0) throw new DatasetError('BAD_COUNT', file, 'the header announces 0 items');
  return sizes;
}

/** Parses and validates an IDX images file (3 dimensions, 28 × 28 pixels). `file` names it in errors. */
export function parseIdxImages(bytes: Uint8Array, file: string): { count: number; images: Uint8Array } {
  const [count, rows, cols] = idxDimensions(bytes, file, 3, 'MNIST images: unsigned bytes, 3 dimensions');
  if (rows !== MNIST_SIDE || cols !== MNIST_SIDE) {
    throw new DatasetError('BAD_SHAPE', file, `images of ${rows} × ${cols} pixels, expected MNIST's ${MNIST_SIDE} × ${MNIST_SIDE}`);
  }
  return { count, images: Uint8Array.from(bytes.subarray(16)) };
}

/** Parses and validates an IDX labels file (1 dimension, labels 0 … classes − 1, default 0–9). `file` names it in errors. */
export function parseIdxLabels(bytes: Uint8Array, file: string, classes = 10): { count: number; labels: Uint8Array } {
  const [count] = idxDimensions(bytes, file, 1, 'MNIST labels: unsigned bytes, 1 dimension');
  const labels = Uint8Array.from(bytes.subarray(8));
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) {
    const more = labels.filter((l) => l >= classes).length - 1;
    throw new DatasetError('BAD_LABEL', file, `label ${labels[bad]} at item ${fmt(bad)}: labels must be 0–${classes - 1}${more > 0 ? ` (and ${fmt(more)} more)` : ''}`);
  }
  return { count, labels };
}

/** Reads one file whole, decompressing gzip (DatasetError MISSING when it cannot be read). */
function readBytes(file: string, label = file): Buffer {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new DatasetError('MISSING', label, `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!stat.isFile()) throw new DatasetError('MISSING', label, 'not a regular file');
  if (stat.size > MAX_BYTES) throw new DatasetError('OVERSIZED', label, `${fmt(stat.size)} bytes is too large`);
  return decompressed(fs.readFileSync(file), label);
}

/**
 * Reads and validates one MNIST-format file of `role` (gzipped or not); returns its item count.
 * Errors name `label` (default: the file).
 */
export function checkMnistFile(file: string, role: MnistRole, label = file, classes = 10): number {
  const bytes = readBytes(file, label);
  return role.endsWith('Images') ? parseIdxImages(bytes, label).count : parseIdxLabels(bytes, label, classes).count;
}

/** Reads an images file and its labels file and checks that they hold the same number of items. */
function readPair(imagesFile: string, labelsFile: string, name: string, classes: number): ImageFile {
  const { count, images } = parseIdxImages(readBytes(imagesFile), imagesFile);
  const labels = parseIdxLabels(readBytes(labelsFile), labelsFile, classes);
  if (labels.count !== count) {
    throw new DatasetError('BAD_COUNT', labelsFile, `${fmt(labels.count)} labels for the ${fmt(count)} images of ${imagesFile}`);
  }
  return { name, images, labels: labels.labels, count };
}

/** Where the four files of an MNIST-format dataset were found: a path for each role (plain or .gz). */
export interface MnistLocation {
  /** The dataset they are (what was asked for: MNIST and Fashion-MNIST files look alike). */
  dataset: IdxDataset;
  /** The folder holding them. */
  dir: string;
  /** The data folder that was searched. */
  dataDir: string;
  files: Record<MnistRole, string>;
}

/** The file of `role` in `dir`: the plain file, else the .gz one, else null. */
function fileIn(dir: string, role: MnistRole): string | null {
  for (const name of [MNIST_FILES[role], `${MNIST_FILES[role]}.gz`]) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return null;
}

/**
 * Finds the files of an MNIST-format dataset (default MNIST) for a data folder (default:
 * resolveDataDir()): in the folder itself, the dataset's subfolder (mnist/, fashion-mnist/: where
 * `download --dataset NAME` puts them) or torchvision's layout (MNIST/raw/, FashionMNIST/raw/),
 * each file plain or gzipped (the plain one is used when both are there). Only checks that the
 * files are there: reading validates them. Throws DatasetError: NOT_FOUND, saying how to get them
 * and naming them; MISSING when a folder holds some of the four but not all.
 */
export function findMnist(dataDir?: string | null, env: NodeJS.ProcessEnv = process.env, dataset: IdxDataset = MNIST_DATASET): MnistLocation {
  const root = resolveDataDir(dataDir, env);
  const download = `npx wsr-native download --dataset ${dataset.dataset}${dataDir ? ` --data-dir ${shellQuoted(root)}` : ''}`;
  for (const dir of [root, path.join(root, dataset.folder), path.join(root, dataset.torchvisionFolder)]) {
    const found = MNIST_ROLES.map((role) => fileIn(dir, role));
    if (found.every((f) => f === null)) continue;
    const missing = MNIST_ROLES.filter((_, i) => found[i] === null).map((r) => MNIST_FILES[r]);
    if (missing.length > 0) {
      throw new DatasetError('MISSING', dir, `missing ${missing.map((m) => `${m}(.gz)`).join(', ')} of the four ${dataset.title} files; run ${download}`);
    }
    return { dataset, dir, dataDir: root, files: Object.fromEntries(MNIST_ROLES.map((r, i) => [r, found[i]!])) as Record<MnistRole, string> };
  }
  const where = dataDir ? '--data-dir' : env.WSR_DATA_DIR ? 'WSR_DATA_DIR' : 'the default data folder';
  throw new DatasetError(
    'NOT_FOUND',
    null,
    `${dataset.title} not found in ${root}, ${where}: looked for ${MNIST_FILES.trainImages}(.gz) … in it and in its ${dataset.folder}/ ` +
      `and ${dataset.torchvisionFolder}/ subfolders.\nTo get it, either\n` +
      `  - download the four official files (${dataset.size}, MD5-checked) into ${path.join(root, dataset.folder)}:\n` +
      `      ${download}\n` +
      `  - or pass --data-dir (or set WSR_DATA_DIR) to a folder holding ${MNIST_ROLES.map((r) => MNIST_FILES[r]).join(', ')} ` +
      `(gzipped or not).`,
  );
}

/** Reads and validates the four files of a location: the training images and labels, and the t10k test set. */
export function readMnistFiles(location: MnistLocation): ImageDataset {
  const f = location.files;
  const classes = location.dataset.classNames.length;
  return {
    source: location.dir,
    classNames: [...location.dataset.classNames],
    imageShape: MNIST_IMAGE_SHAPE,
    train: [readPair(f.trainImages, f.trainLabels, MNIST_FILES.trainImages, classes)],
    test: readPair(f.testImages, f.testLabels, MNIST_FILES.testImages, classes),
  };
}

/** Finds ({@link findMnist}) and reads an MNIST-format dataset (default MNIST). */
export function loadMnist(dataDir?: string | null, dataset: IdxDataset = MNIST_DATASET): ImageDataset {
  return readMnistFiles(findMnist(dataDir, process.env, dataset));
}

/** An IDX images file of 28 × 28 images. */
export function encodeIdxImages(images: Uint8Array, count: number): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32BE(0x00000803, 0);
  header.writeUInt32BE(count, 4);
  header.writeUInt32BE(MNIST_SIDE, 8);
  header.writeUInt32BE(MNIST_SIDE, 12);
  return Buffer.concat([header, images.subarray(0, count * MNIST_SIDE * MNIST_SIDE)]);
}

/** An IDX labels file. */
export function encodeIdxLabels(labels: Uint8Array, count: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(0x00000801, 0);
  header.writeUInt32BE(count, 4);
  return Buffer.concat([header, labels.subarray(0, count)]);
}

/**
 * Writes a 1 × 28 × 28 dataset as the four official files (gzipped, with the .gz names, when
 * `gzip`): its training files joined into train-*, its test file as t10k-*. Creates the folder;
 * returns the paths written.
 */
export function writeMnistFolder(dir: string, dataset: ImageDataset, options: { gzip?: boolean } = {}): string[] {
  const shape = dataset.imageShape;
  if (!shape || shape[0] !== 1 || shape[1] !== MNIST_SIDE || shape[2] !== MNIST_SIDE) {
    throw new RangeError(`writeMnistFolder: images must be 1 × 28 × 28, got ${shape ? shape.join(' × ') : '3 × 32 × 32'}`);
  }
  if (!dataset.test) throw new RangeError('writeMnistFolder: the dataset has no test file');
  const train = concatLabelled(dataset.train, MNIST_SIDE * MNIST_SIDE);
  const contents: Record<MnistRole, Buffer> = {
    trainImages: encodeIdxImages(train.images, train.count),
    trainLabels: encodeIdxLabels(train.labels, train.count),
    testImages: encodeIdxImages(dataset.test.images, dataset.test.count),
    testLabels: encodeIdxLabels(dataset.test.labels, dataset.test.count),
  };
  fs.mkdirSync(dir, { recursive: true });
  return MNIST_ROLES.map((role) => {
    const file = path.join(dir, MNIST_FILES[role] + (options.gzip ? '.gz' : ''));
    fs.writeFileSync(file, options.gzip ? zlib.gzipSync(contents[role]) : contents[role]);
    return file;
  });
}
