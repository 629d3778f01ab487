// What every dataset reader returns, whatever the file format: labelled uint8 images of one
// shape, grouped by the file they came from, and the error a bad file gives.

/** Per-image shape [channels, height, width]. */
export type ImageShape = readonly [number, number, number];

/** CIFAR-10's image shape, the default where a dataset does not say. */
export const CIFAR_IMAGE_SHAPE: ImageShape = Object.freeze([3, 32, 32]) as ImageShape;

/** Bytes of one image of `shape` (CHW, one byte a value). */
export function imageBytes(shape: ImageShape): number {
  return shape[0] * shape[1] * shape[2];
}

/**
 * The label sets a dataset may offer (--labels): 'fine', its classes (every dataset has them), and
 * 'coarse', superclasses grouping them (CIFAR-100's 20).
 */
export const LABEL_SETS = Object.freeze(['fine', 'coarse'] as const);
/** One of {@link LABEL_SETS}. */
export type LabelSet = (typeof LABEL_SETS)[number];

/** Images with their labels: images [count·bytes per image] uint8, CHW per image; labels [count], each a class index. */
export interface LabelledImages {
  /** Every image's bytes, one after another (channel planes, rows top to bottom). */
  images: Uint8Array;
  /** One label per image: 0 … classes − 1 (0–9 for CIFAR-10 and MNIST). */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/** The images of one file. */
export interface ImageFile extends LabelledImages {
  /** The file's name, e.g. 'data_batch_1.bin' or 'train-images-idx3-ubyte'. */
  name: string;
}

/** A dataset as read from a folder, an archive or a generator. */
export interface ImageDataset {
  /** Where it came from: a folder, an archive path, or 'synthetic(seed=…)'. */
  source: string;
  /** The class names in label order. */
  classNames: string[];
  /** Per-image shape (absent: CIFAR-10's [3, 32, 32]). */
  imageShape?: ImageShape;
  /** The training files in order. */
  train: ImageFile[];
  /** The official test file, or null when there is none. */
  test: ImageFile | null;
}

/** The image shape of a dataset. */
export function datasetImageShape(data: Pick<ImageDataset, 'imageShape'>): ImageShape {
  return data.imageShape ?? CIFAR_IMAGE_SHAPE;
}

/** What went wrong, for callers that react to the kind of problem rather than the message. */
export type DatasetErrorCode =
  | 'EMPTY'
  | 'TRUNCATED'
  | 'OVERSIZED'
  | 'BAD_LABEL'
  | 'NOT_CIFAR'
  | 'BAD_MAGIC'
  | 'BAD_SHAPE'
  | 'BAD_COUNT'
  | 'MISSING'
  | 'BAD_META'
  | 'BAD_ARCHIVE'
  | 'NOT_FOUND';

/**
 * A dataset file that is missing, unreadable or not valid. The message starts with the file (a
 * path, or `archive (member cifar-10-batches-bin/…)`) and says what is wrong.
 */
export class DatasetError extends Error {
  /** The file or archive member at fault, or null when the problem is not one file's. */
  readonly file: string | null;
  /** The kind of problem. */
  readonly code: DatasetErrorCode;
  /** The message without the file name in front. */
  readonly problem: string;

  constructor(code: DatasetErrorCode, file: string | null, problem: string) {
    super(file ? `${file}: ${problem}` : problem);
    this.name = 'DatasetError';
    this.code = code;
    this.file = file;
    this.problem = problem;
  }
}

/** A guess at what a file that is not the expected format is, from its first bytes ('' when no guess). */
export function sniffFormat(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    return ' (it looks like a gzip file: pass the .tar.gz archive itself, or unpack it first)';
  }
  if (bytes.length >= 263 && Buffer.from(bytes.subarray(257, 262)).toString('latin1') === 'ustar') {
    return ' (it looks like a tar archive: unpack it first)';
  }
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1] >= 1 && bytes[1] <= 5) {
    return " (it looks like a Python pickle, i.e. the 'python version' of CIFAR-10: wsr-native reads the binary version)";
  }
  const head = Buffer.from(bytes.subarray(0, 256)).toString('latin1').trimStart().toLowerCase();
  if (head.startsWith('<!doctype') || head.startsWith('<html') || head.startsWith('<?xml')) {
    return ' (it looks like an HTML or XML page, e.g. an error page saved in place of the data)';
  }
  return '';
}
