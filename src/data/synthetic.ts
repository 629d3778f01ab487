// A generated stand-in for CIFAR-10 in the same format: 10 classes of 32×32 RGB images, each
// class a distinct spatial pattern (stripes at four orientations, checkerboard, rings, disc,
// cross, dot lattice, star) at a random position, scale and phase, in a random pair of colours,
// with random brightness, a random illumination gradient and pixel noise. The colours are drawn
// independently of the class, so the mean colour says next to nothing about the label; the
// shapes are what a small CNN learns. Deterministic: the same seed and sizes give the same bytes.
// In the 'mnist' format the same scenes come as MNIST-shaped images: grey (the mean of the three
// channels), the central 28×28 of each 32×32 picture (written as IDX files, they stand in for
// MNIST and Fashion-MNIST alike). In the 'cifar100' format they come in CIFAR-100's layout: 100
// fine classes (class k shows pattern k mod 10), one train.bin and test.bin, written with each fine
// class's official superclass as its coarse label.
import fs from 'fs';
import path from 'path';
import {
  CIFAR10_RELEASE,
  CIFAR_CLASSES,
  CIFAR_IMAGE_BYTES,
  CIFAR_SIDE,
  CIFAR_TEST_FILE,
  CIFAR_TRAIN_FILES,
  CifarDataset,
  CifarFile,
  writeCifarFolder,
} from './cifar';
import { CIFAR100_FINE_CLASS_NAMES, CIFAR100_RELEASE } from './cifar100';
import { MNIST_IMAGE_SHAPE, MNIST_SIDE, writeMnistFolder } from './mnist';
import { Rng, makeRng, mix32, seed32, seededPermutation } from './random';
import { checkOptions } from '../util/options';

/** Class names of the synthetic dataset, in label order (written to batches.meta.txt). */
export const SYNTHETIC_CLASS_NAMES: readonly string[] = Object.freeze([
  'vertical-stripes',
  'horizontal-stripes',
  'diagonal-stripes',
  'antidiagonal-stripes',
  'checkerboard',
  'rings',
  'disc',
  'cross',
  'dots',
  'star',
]);

/** Options of the synthetic dataset. */
export interface SyntheticOptions {
  /** Seed (a safe integer; default 0). */
  seed?: number;
  /** Images in each of the five training files (default 1,000; the official files hold 10,000); the 'cifar100' format's train.bin holds five times as many. */
  trainPerFile?: number;
  /** Images in test_batch.bin (default: trainPerFile); 0 leaves the test file out. */
  testCount?: number;
  /** Standard deviation of the pixel noise as a fraction of 255 (default 0.08). */
  noise?: number;
  /** 'cifar10' (default: 3 × 32 × 32), 'mnist' (1 × 28 × 28, grey; MNIST's and Fashion-MNIST's files) or 'cifar100' (3 × 32 × 32, 100 classes). */
  format?: 'cifar10' | 'mnist' | 'cifar100';
}

// Module-level aliases: a global lookup of Math costs ~5x more per call inside jest's vm sandbox.
const { sin, cos, sqrt, abs, max, exp, atan2, round, hypot, PI } = Math;

const SIDE = CIFAR_SIDE;
const PLANE = SIDE * SIDE;
const sat = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Fills `mask` (1,024 values in [0, 1]) with a random instance of class `label`'s pattern. */
function renderMask(label: number, rng: Rng, mask: Float32Array): void {
  const cx = rng.uniform(10, 22);
  const cy = rng.uniform(10, 22);
  const jitter = rng.uniform(-0.15, 0.15);
  const period = rng.uniform(4.5, 7.5);
  const phase = rng.uniform(0, 2 * PI);
  const sharp = rng.uniform(0.6, 2.5);
  const w = 2 * PI;
  const angles = [0, PI / 2, PI / 4, (3 * PI) / 4];
  const theta = (label < 4 ? angles[label] : 0) + jitter;
  const cosT = cos(theta);
  const sinT = sin(theta);
  const radius = rng.uniform(5, 10); // disc
  const armWidth = rng.uniform(1.2, 2.5); // cross
  const armLength = rng.uniform(7, 13);
  const lattice = rng.uniform(6, 9); // dots
  const dotSigma = rng.uniform(1.0, 1.6);
  const spokes = 5 + rng.below(4); // star
  const starRadius = rng.uniform(10, 15);
  for (let row = 0; row < SIDE; row++) {
    for (let col = 0; col < SIDE; col++) {
      const x = col + 0.5 - cx;
      const y = row + 0.5 - cy;
      const u = x * cosT + y * sinT;
      const v = -x * sinT + y * cosT;
      const r = sqrt(x * x + y * y);
      let m: number;
      switch (label) {
        case 0:
        case 1:
        case 2:
        case 3:
          m = sat(0.5 + sharp * sin((w * u) / period + phase));
          break;
        case 4:
          m = sat(0.5 + 2 * sharp * sin((w * u) / period + phase) * sin((w * v) / period));
          break;
        case 5:
          m = sat(0.5 + sharp * sin((w * r) / period + phase));
          break;
        case 6:
          m = sat(0.5 + radius - r);
          break;
        case 7:
          m = max(
            sat(0.5 + armWidth - abs(u)) * sat(0.5 + armLength - abs(v)),
            sat(0.5 + armWidth - abs(v)) * sat(0.5 + armLength - abs(u)),
          );
          break;
        case 8: {
          const du = ((((u + phase) % lattice) + lattice) % lattice) - lattice / 2;
          const dv = ((((v + phase) % lattice) + lattice) % lattice) - lattice / 2;
          m = exp(-(du * du + dv * dv) / (2 * dotSigma * dotSigma));
          break;
        }
        default:
          m = sat(0.5 + 2 * sin(spokes * atan2(v, u) + phase)) * sat(0.5 + starRadius - r) * sat(r - 1);
      }
      mask[row * SIDE + col] = m;
    }
  }
}

/** Writes one image of class `label` (3,072 bytes, CHW) into `out` at `offset`. */
function renderImage(label: number, rng: Rng, noise: number, mask: Float32Array, out: Uint8Array, offset: number): void {
  renderMask(label, rng, mask);
  // Two colours at least 100 apart (of 441), drawn independently of the class.
  const bg = [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];
  let fg = bg;
  for (let tries = 0; tries < 32; tries++) {
    fg = [rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)];
    if (hypot(fg[0] - bg[0], fg[1] - bg[1], fg[2] - bg[2]) >= 100) break;
  }
  const brightness = rng.uniform(0.7, 1.15);
  const gx = rng.uniform(-1.5, 1.5);
  const gy = rng.uniform(-1.5, 1.5);
  const sigma = noise * 255;
  for (let c = 0; c < 3; c++) {
    const base = offset + c * PLANE;
    const b = bg[c];
    const d = fg[c] - bg[c];
    for (let p = 0; p < PLANE; p++) {
      const row = (p / SIDE) | 0;
      const col = p - row * SIDE;
      const light = gx * (col - 15.5) + gy * (row - 15.5);
      const value = brightness * (b + d * mask[p]) + light + sigma * rng.normal();
      out[base + p] = value <= 0 ? 0 : value >= 255 ? 255 : round(value);
    }
  }
}

function resolveOptions(options: SyntheticOptions, op: string): Required<SyntheticOptions> {
  options = checkOptions(options, ['seed', 'trainPerFile', 'testCount', 'noise', 'format'], op);
  const format = options.format ?? 'cifar10';
  if (format !== 'cifar10' && format !== 'mnist' && format !== 'cifar100') {
    throw new RangeError(`format must be 'cifar10', 'mnist' or 'cifar100', got ${JSON.stringify(format)}`);
  }
  const seed = options.seed ?? 0;
  seed32(seed);
  const trainPerFile = options.trainPerFile ?? 1000;
  const testCount = options.testCount ?? trainPerFile;
  const noise = options.noise ?? 0.08;
  if (!Number.isSafeInteger(trainPerFile) || trainPerFile < 1 || trainPerFile > 100_000) {
    throw new RangeError(`trainPerFile must be an integer in 1…100,000, got ${trainPerFile}`);
  }
  if (!Number.isSafeInteger(testCount) || testCount < 0 || testCount > 100_000) {
    throw new RangeError(`testCount must be an integer in 0…100,000, got ${testCount}`);
  }
  if (!(noise >= 0 && noise <= 1)) throw new RangeError(`noise must be in [0, 1], got ${noise}`);
  return { seed, trainPerFile, testCount, noise, format };
}

/** The central 28×28 of each 3×32×32 image, grey (the rounded mean of the channels): MNIST's shape. */
function toMnistFormat(file: CifarFile): CifarFile {
  const side = MNIST_SIDE;
  const margin = (SIDE - side) / 2;
  const images = new Uint8Array(file.count * side * side);
  for (let k = 0; k < file.count; k++) {
    const src = k * CIFAR_IMAGE_BYTES;
    for (let row = 0; row < side; row++) {
      for (let col = 0; col < side; col++) {
        const p = src + (row + margin) * SIDE + col + margin;
        images[k * side * side + row * side + col] = round((file.images[p] + file.images[p + PLANE] + file.images[p + 2 * PLANE]) / 3);
      }
    }
  }
  return { ...file, images };
}

/** Generates one file's worth of images: `count` images of `classes` classes, balanced (±1), for file number `fileIndex`. */
function generateFile(name: string, fileIndex: number, count: number, seed: number, noise: number, classes = CIFAR_CLASSES): CifarFile {
  const images = new Uint8Array(count * CIFAR_IMAGE_BYTES);
  const labels = new Uint8Array(count);
  const order = seededPermutation(count, seed, 1000 + fileIndex);
  const mask = new Float32Array(PLANE);
  const s = seed32(seed);
  for (let k = 0; k < count; k++) {
    const label = order[k] % classes;
    labels[k] = label;
    renderImage(label % CIFAR_CLASSES, makeRng(mix32(s, 0x5eed, fileIndex, k)), noise, mask, images, k * CIFAR_IMAGE_BYTES);
  }
  return { name, images, labels, count };
}

/**
 * The synthetic dataset in memory, shaped like a read CIFAR-10 folder: five training files and
 * (unless testCount is 0) a test file, with {@link SYNTHETIC_CLASS_NAMES}; in the 'cifar100'
 * format like a read CIFAR-100 folder (fine labels, CIFAR-100's fine class names).
 */
export function generateSynthetic(options: SyntheticOptions = {}): CifarDataset {
  const o = resolveOptions(options, 'generateSynthetic');
  if (o.format === 'cifar100') return generateCifar100(o);
  let train = CIFAR_TRAIN_FILES.map((name, i) => generateFile(name, i, o.trainPerFile, o.seed, o.noise));
  let test = o.testCount > 0 ? generateFile(CIFAR_TEST_FILE, CIFAR_TRAIN_FILES.length, o.testCount, o.seed, o.noise) : null;
  if (o.format === 'mnist') {
    train = train.map(toMnistFormat);
    test = test && toMnistFormat(test);
  }
  return {
    source:
      `synthetic(seed=${o.seed}, trainPerFile=${o.trainPerFile}, testCount=${o.testCount}, noise=${o.noise}` +
      `${o.format === 'mnist' ? ', format=mnist' : ''})`,
    classNames: [...SYNTHETIC_CLASS_NAMES],
    ...(o.format === 'mnist' ? { imageShape: MNIST_IMAGE_SHAPE } : {}),
    train,
    test,
  };
}

/** The 'cifar100' format: one train.bin of five files' worth of images and a test.bin, 100 classes. */
function generateCifar100(o: Required<SyntheticOptions>): CifarDataset {
  const { trainFiles, testFile } = CIFAR100_RELEASE;
  const classes = CIFAR100_FINE_CLASS_NAMES.length;
  return {
    source: `synthetic(seed=${o.seed}, trainPerFile=${o.trainPerFile}, testCount=${o.testCount}, noise=${o.noise}, format=cifar100)`,
    classNames: [...CIFAR100_FINE_CLASS_NAMES],
    train: [generateFile(trainFiles[0], 0, CIFAR_TRAIN_FILES.length * o.trainPerFile, o.seed, o.noise, classes)],
    test: o.testCount > 0 ? generateFile(testFile, CIFAR_TRAIN_FILES.length, o.testCount, o.seed, o.noise, classes) : null,
  };
}

/**
 * Writes the synthetic dataset into `dir`: in the 'mnist' format as the four IDX files (see
 * writeMnistFolder), in the 'cifar100' format in CIFAR-100's layout (train.bin, test.bin unless
 * testCount is 0, coarse_label_names.txt, fine_label_names.txt), else in CIFAR-10's official
 * binary layout (data_batch_1.bin … data_batch_5.bin, test_batch.bin unless testCount is 0,
 * batches.meta.txt). Creates the folder; returns the paths written. Read it back with
 * `recordsPerFile: null` (or the count you chose), since the files are smaller than the official ones.
 */
export function writeSynthetic(dir: string, options: SyntheticOptions = {}): string[] {
  const dataset = generateSynthetic(options);
  if (dataset.imageShape) return writeMnistFolder(dir, dataset);
  const release = options.format === 'cifar100' ? CIFAR100_RELEASE : CIFAR10_RELEASE;
  fs.mkdirSync(dir, { recursive: true });
  if (!dataset.test) fs.rmSync(path.join(dir, release.testFile), { force: true });
  return writeCifarFolder(dir, dataset, release);
}
