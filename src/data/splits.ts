// Train / validation / test splits of a dataset (CIFAR-10, MNIST, …) that are seeded, described in
// words, and proven leak-free by a content hash (SHA-1) of every image.
//
// 'standard': validation is held out at random from the training files, and the test set is the
// official test file (CIFAR-10's test_batch.bin, MNIST's t10k files); without it (as in a CIFAR-10
// copy that has only the training files) the last training file is held out as the test set
// instead. 'paper': the paper's pooled 80/20 split of every image, done without the row
// duplication of the published code (see PROTOCOL.md, "A flaw in the published numbers"); it has
// no test set.
//
// Exact-duplicate images (CIFAR-10 has a few) are reported; any validation or test image whose
// content is also in train (and any test image also in validation) is dropped, so that no image
// is seen in two splits. Near-duplicates (the same picture re-encoded or shifted) are not detected.
import { createHash } from 'crypto';
import { CIFAR_IMAGE_BYTES } from './cifar';
import { ImageDataset, ImageFile, LabelledImages, datasetImageShape, imageBytes } from './images';
import { seededPermutation } from './random';
import { checkOptions } from '../util/options';

/** How the images are divided: see the module notes. */
export type SplitMode = 'standard' | 'paper';

/** Options of {@link makeSplits}. */
export interface SplitOptions {
  /** 'standard' (default) or 'paper'. */
  mode?: SplitMode;
  /** Seed of the shuffle (a safe integer; default 0). The same seed gives the same splits. */
  seed?: number;
  /**
   * Standard mode: images held out from the training files for validation (default 5,000, or a
   * fifth of the training images when there are fewer than 25,000, as in a small synthetic set).
   */
  validation?: number;
  /** Paper mode: the fraction of the pooled images used for validation (default 0.2). */
  validationFraction?: number;
  /**
   * Train on the first N training images of the split (null: all). Validation and test do not
   * change with the limit.
   */
  limit?: number | null;
}

/** One split: its images and labels, and where each image came from. */
export interface SplitPart extends LabelledImages {
  /** 'train', 'validation' or 'test'. */
  name: 'train' | 'validation' | 'test';
  /** For each image, its position in the pool (the files of {@link DataSplits.pool}, one after another). */
  indices: Int32Array;
}

/** A file's place in the pool of all images. */
export interface PoolFile {
  /** File name, e.g. 'data_batch_1.bin'. */
  name: string;
  /** Pool position of its first image. */
  start: number;
  /** Its number of images. */
  count: number;
}

/** Where an image is: file, record number in it, and its label. */
export interface ImageLocation {
  file: string;
  record: number;
  label: number;
}

/** Identical images found in the data, and what was done about them. */
export interface DuplicateReport {
  /** Groups of two or more byte-identical images. */
  groups: number;
  /** Images beyond the first of each group (the number of redundant copies). */
  extraCopies: number;
  /** Groups whose copies carry different labels. */
  labelConflicts: number;
  /** Up to 10 groups, for the record. */
  examples: ImageLocation[][];
  /** Images of one split whose content is also in another, before dropping. */
  crossSplit: { validationInTrain: number; testInTrain: number; testInValidation: number };
  /** Images dropped to keep the splits disjoint. */
  dropped: { validation: number; test: number };
}

/** The result of {@link checkDisjoint}. */
export interface DisjointCheck {
  /** The content hash used. */
  hash: 'sha1';
  /** True when no image content is in two of the parts. */
  disjoint: boolean;
  /** For each pair of parts sharing content, how many images of the second are in the first. */
  overlaps: { a: string; b: string; count: number }[];
  /** Images checked per part. */
  counts: Record<string, number>;
}

/** Train, validation and test sets, and how they were made. */
export interface DataSplits {
  /** The split mode. */
  mode: SplitMode;
  /** The seed used. */
  seed: number;
  /** Training images (after `limit`). */
  train: SplitPart;
  /** Validation images: the only ones early stopping sees. */
  validation: SplitPart;
  /** Test images, or null (paper mode). */
  test: SplitPart | null;
  /** 'official' (test_batch.bin), 'held-out-file' (the last training file, when test_batch.bin is absent) or 'none'. */
  testSource: 'official' | 'held-out-file' | 'none';
  /** The files pooled, in pool order: positions in {@link SplitPart.indices} refer to this. */
  pool: PoolFile[];
  /** Duplicates in the data and the images dropped because of them. */
  duplicates: DuplicateReport;
  /** The disjointness check run on the finished splits. */
  disjoint: DisjointCheck;
  /** What was done, in a few lines of plain words (for logs and reports). */
  description: string;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/** The SHA-1 of image `i` of `images` (images of `bytes` bytes each; default CIFAR-10's 3,072), hex. */
export function imageHash(images: Uint8Array, i: number, bytes = CIFAR_IMAGE_BYTES): string {
  return createHash('sha1')
    .update(images.subarray(i * bytes, (i + 1) * bytes))
    .digest('hex');
}

/** The SHA-1 (hex) of each image of `images` ([count·bytes] bytes; default 3,072 bytes an image). */
export function imageHashes(images: Uint8Array, count?: number, bytes = CIFAR_IMAGE_BYTES): string[] {
  const n = count ?? images.length / bytes;
  if (!Number.isInteger(n) || n * bytes > images.length) {
    throw new RangeError(`imageHashes: ${images.length} bytes do not hold ${n} images of ${bytes} bytes`);
  }
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = imageHash(images, i, bytes);
  return out;
}

/** The SHA-1 of image `i` as a 20-character binary string: a cheaper Map key than hex. */
function hashKey(images: Uint8Array, i: number, bytes: number): string {
  return createHash('sha1')
    .update(images.subarray(i * bytes, (i + 1) * bytes))
    .digest()
    .toString('latin1');
}

/**
 * Checks, by the SHA-1 of every image, that no image content appears in two of the given parts
 * (duplicates inside one part are allowed). Hashes the images afresh: an independent proof.
 * @param bytes bytes of one image (default CIFAR-10's 3,072)
 */
export function checkDisjoint(
  parts: readonly { name: string; images: Uint8Array; count: number }[],
  bytes = CIFAR_IMAGE_BYTES,
): DisjointCheck {
  const hashes = parts.map((p) => Array.from({ length: p.count }, (_, i) => hashKey(p.images, i, bytes)));
  const sets = hashes.map((h) => new Set(h));
  const overlaps: DisjointCheck['overlaps'] = [];
  for (let a = 0; a < parts.length; a++) {
    for (let b = a + 1; b < parts.length; b++) {
      const count = hashes[b].filter((h) => sets[a].has(h)).length;
      if (count > 0) overlaps.push({ a: parts[a].name, b: parts[b].name, count });
    }
  }
  const counts: Record<string, number> = {};
  for (const p of parts) counts[p.name] = p.count;
  return { hash: 'sha1', disjoint: overlaps.length === 0, overlaps, counts };
}

function checkCount(value: number, what: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${value}`);
  return value;
}

function range(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => start + i);
}

function fileList(names: string[]): string {
  return names.length <= 2 ? names.join(' and ') : `${names[0]} … ${names[names.length - 1]}`;
}

/**
 * Splits a dataset into train, validation and test sets (see {@link SplitOptions} and the module
 * notes), drops validation/test images whose content is also in train (and test images also in
 * validation), checks the result with {@link checkDisjoint}, and describes it all in
 * `description`. Deterministic for a seed.
 */
/** The keys of {@link SplitOptions}. */
export const SPLIT_OPTION_KEYS = ['mode', 'seed', 'validation', 'validationFraction', 'limit'] as const;

export function makeSplits(data: ImageDataset, options: SplitOptions = {}): DataSplits {
  options = checkOptions(options, SPLIT_OPTION_KEYS, 'makeSplits');
  const mode = options.mode ?? 'standard';
  if (mode !== 'standard' && mode !== 'paper') throw new RangeError(`split mode must be 'standard' or 'paper', got ${JSON.stringify(mode)}`);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  const limit = options.limit ?? null;
  if (limit !== null) checkCount(limit, 'limit', 1);
  if (data.train.length === 0) throw new RangeError('makeSplits: the dataset has no training files');

  // The pool: every image of every file, one after another.
  const files: ImageFile[] = [...data.train, ...(data.test ? [data.test] : [])];
  const bytes = imageBytes(datasetImageShape(data));
  const pool: PoolFile[] = [];
  let total = 0;
  for (const f of files) {
    pool.push({ name: f.name, start: total, count: f.count });
    total += f.count;
  }
  const fileOf = new Uint8Array(total);
  const recordOf = new Int32Array(total);
  pool.forEach((p, k) => {
    fileOf.fill(k, p.start, p.start + p.count);
    for (let r = 0; r < p.count; r++) recordOf[p.start + r] = r;
  });
  const labelAt = (i: number): number => files[fileOf[i]].labels[recordOf[i]];
  const hashes = new Array<string>(total);
  for (let i = 0; i < total; i++) hashes[i] = hashKey(files[fileOf[i]].images, recordOf[i], bytes);

  // Duplicates within the data.
  const byHash = new Map<string, number[]>();
  hashes.forEach((h, i) => {
    const list = byHash.get(h);
    if (list) list.push(i);
    else byHash.set(h, [i]);
  });
  let groups = 0;
  let extraCopies = 0;
  let labelConflicts = 0;
  const examples: ImageLocation[][] = [];
  for (const list of byHash.values()) {
    if (list.length < 2) continue;
    groups++;
    extraCopies += list.length - 1;
    if (new Set(list.map(labelAt)).size > 1) labelConflicts++;
    if (examples.length < 10) {
      examples.push(list.map((i) => ({ file: pool[fileOf[i]].name, record: recordOf[i], label: labelAt(i) })));
    }
  }

  let trainIdx: number[];
  let valIdx: number[];
  let testIdx: number[] | null;
  let testSource: DataSplits['testSource'];
  const lines: string[] = [];
  const allNames = pool.map((p) => p.name);

  if (mode === 'standard') {
    let trainFiles: PoolFile[];
    let testFile: PoolFile;
    if (data.test) {
      trainFiles = pool.slice(0, data.train.length);
      testFile = pool[pool.length - 1];
      testSource = 'official';
    } else {
      if (data.train.length < 2) throw new RangeError('makeSplits: without test_batch.bin at least two training files are needed');
      trainFiles = pool.slice(0, data.train.length - 1);
      testFile = pool[data.train.length - 1];
      testSource = 'held-out-file';
    }
    const candidates = trainFiles.flatMap((p) => range(p.start, p.count));
    const validation = checkCount(options.validation ?? Math.min(5000, Math.floor(candidates.length / 5)), 'validation', 0);
    if (validation >= candidates.length) {
      throw new RangeError(`validation (${fmt(validation)}) must be smaller than the ${fmt(candidates.length)} training images`);
    }
    const order = seededPermutation(candidates.length, seed, 1);
    valIdx = Array.from(order.subarray(0, validation), (k) => candidates[k]).sort((a, b) => a - b);
    trainIdx = Array.from(order.subarray(validation), (k) => candidates[k]).sort((a, b) => a - b);
    testIdx = range(testFile.start, testFile.count);
    const trainNames = fileList(trainFiles.map((p) => p.name));
    lines.push(`split: standard, seed ${seed}, over ${fmt(total)} images (${fileList(allNames)})`);
    lines.push(`validation: ${fmt(validation)} images held out at random from ${trainNames}; early stopping sees only these`);
    lines.push(
      testSource === 'official'
        ? `test: the ${fmt(testFile.count)} images of the official ${testFile.name}`
        : `test: the ${fmt(testFile.count)} images of ${testFile.name}, held out as the test set because test_batch.bin ` +
            `is absent (this copy has no official test images); train and validation use ${trainNames} only`,
    );
  } else {
    const fraction = options.validationFraction ?? 0.2;
    if (!(fraction > 0 && fraction < 1)) throw new RangeError(`validationFraction must be in (0, 1), got ${fraction}`);
    const nVal = Math.round(total * fraction);
    if (nVal === 0 || nVal === total) throw new RangeError(`validationFraction ${fraction} of ${total} images leaves an empty split`);
    const order = seededPermutation(total, seed, 2);
    trainIdx = Array.from(order.subarray(0, total - nVal)).sort((a, b) => a - b);
    valIdx = Array.from(order.subarray(total - nVal)).sort((a, b) => a - b);
    testIdx = null;
    testSource = 'none';
    const pctTrain = Math.round(100 * (1 - fraction));
    lines.push(
      `split: paper, seed ${seed}: the ${fmt(total)} images of ${fileList(allNames)} pooled and shuffled, ` +
        `${pctTrain}% train / ${100 - pctTrain}% validation, no test set`,
    );
    lines.push(
      'note: the published code shuffled with zip-and-assign, which duplicated rows and put most validation images ' +
        'into training too (PROTOCOL.md, "A flaw in the published numbers"); here every image is drawn exactly once',
    );
  }

  // Leak removal: validation/test images whose content is also in train; test images also in validation.
  const trainSet = new Set(trainIdx.map((i) => hashes[i]));
  const validationInTrain = valIdx.filter((i) => trainSet.has(hashes[i])).length;
  valIdx = valIdx.filter((i) => !trainSet.has(hashes[i]));
  const valSet = new Set(valIdx.map((i) => hashes[i]));
  let testInTrain = 0;
  let testInValidation = 0;
  let droppedTest = 0;
  if (testIdx) {
    testInTrain = testIdx.filter((i) => trainSet.has(hashes[i])).length;
    testInValidation = testIdx.filter((i) => valSet.has(hashes[i])).length;
    const before = testIdx.length;
    testIdx = testIdx.filter((i) => !trainSet.has(hashes[i]) && !valSet.has(hashes[i]));
    droppedTest = before - testIdx.length;
  }

  const trainAll = trainIdx.length;
  if (limit !== null) trainIdx = trainIdx.slice(0, limit);

  const gather = (name: SplitPart['name'], indices: number[]): SplitPart => {
    const count = indices.length;
    const images = new Uint8Array(count * bytes);
    const labels = new Uint8Array(count);
    indices.forEach((i, k) => {
      const f = files[fileOf[i]];
      const r = recordOf[i];
      images.set(f.images.subarray(r * bytes, (r + 1) * bytes), k * bytes);
      labels[k] = f.labels[r];
    });
    return { name, images, labels, count, indices: Int32Array.from(indices) };
  };
  const train = gather('train', trainIdx);
  const validationPart = gather('validation', valIdx);
  const test = testIdx ? gather('test', testIdx) : null;

  const disjoint = checkDisjoint([train, validationPart, ...(test ? [test] : [])], bytes);
  if (!disjoint.disjoint) {
    // Cannot happen after the leak removal above; a bug if it does.
    throw new Error(`makeSplits: splits are not disjoint: ${JSON.stringify(disjoint.overlaps)}`);
  }

  lines.splice(
    1,
    0,
    limit !== null && limit < trainAll
      ? `train: the first ${fmt(train.count)} of ${fmt(trainAll)} training images (limit ${fmt(limit)})`
      : `train: ${fmt(train.count)} images` + (limit !== null ? ` (limit ${fmt(limit)} is more than there are: all used)` : ''),
  );
  const counts = `sizes: train ${fmt(train.count)}, validation ${fmt(validationPart.count)}, test ${test ? fmt(test.count) : 'none'}`;
  lines.push(counts);
  const dupText =
    groups === 0
      ? 'duplicates: none (no two images are byte-identical)'
      : `duplicates: ${fmt(extraCopies)} exact-duplicate image(s) in the data (${fmt(groups)} group(s) of identical images` +
        `${labelConflicts ? `, ${fmt(labelConflicts)} with conflicting labels` : ''})`;
  const leaks =
    validationInTrain + testInTrain + testInValidation === 0
      ? 'no validation or test image is also in train'
      : `dropped ${fmt(validationInTrain)} validation image(s) also in train and ${fmt(droppedTest)} test image(s) ` +
        `also in train or validation`;
  lines.push(`${dupText}; ${leaks}`);
  lines.push('disjoint: checked by the SHA-1 of every image: no image is in two splits');

  return {
    mode,
    seed,
    train,
    validation: validationPart,
    test,
    testSource,
    pool,
    duplicates: {
      groups,
      extraCopies,
      labelConflicts,
      examples,
      crossSplit: { validationInTrain, testInTrain, testInValidation },
      dropped: { validation: validationInTrain, test: droppedTest },
    },
    disjoint,
    description: lines.join('\n'),
  };
}
