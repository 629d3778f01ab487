// The run's data: the settings' dataset (read from the data folder, or generated), split leak-free,
// with checksums of every file read and of every split, for config.json; then on the device.
import { createHash } from 'crypto';
import fs from 'fs';
import { DataSplits, ImageDataset, ImageShape, SplitPart, datasetImageShape, datasetInfo, datasetLabels, makeSplits } from '../data';
import { DeviceSplit, augmentPlan, derivedSeed } from './batches';
import { Evaluator } from './evaluate';
import { TrainSettings } from './settings';

/** A file the run read, and its SHA-256. */
export interface DataFileChecksum {
  /** Path of the file (absolute), or, for generated data, the name of the generated file. */
  file: string;
  bytes: number;
  sha256: string;
}

/** A split's size and the SHA-256 of its bytes (images, then labels). */
export interface SplitChecksum {
  count: number;
  sha256: string;
}

/** How the data of a run was found, read and split: the `data` section of config.json. */
export interface DataReport {
  dataset: TrainSettings['dataset'];
  /** The label set read (absent in runs made before --labels: 'fine'). */
  labels?: TrainSettings['labels'];
  /** The folder or archive read, or 'synthetic(…)'. */
  source: string;
  classNames: string[];
  /** Per-image shape [C, H, W]. */
  imageShape: ImageShape;
  /** SHA-256 of each file read (for generated data: of each generated file's bytes). */
  files: DataFileChecksum[];
  split: {
    mode: DataSplits['mode'];
    seed: number;
    testSource: DataSplits['testSource'];
    description: string;
    duplicates: DataSplits['duplicates'];
    disjoint: DataSplits['disjoint'];
    checksums: Record<'train' | 'validation' | 'test', SplitChecksum | null>;
  };
}

/** The loaded and split data of a run. */
export interface RunData {
  splits: DataSplits;
  report: DataReport;
}

function sha256File(file: string): DataFileChecksum {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(1 << 22);
  let bytes = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { file, bytes, sha256: hash.digest('hex') };
}

/** SHA-256 of a split's images followed by its labels. */
export function splitChecksum(part: SplitPart | null): SplitChecksum | null {
  if (!part) return null;
  const sha256 = createHash('sha256').update(part.images).update(part.labels).digest('hex');
  return { count: part.count, sha256 };
}

/** Reads the settings' dataset, with the SHA-256 of each file read (of each generated file's bytes for generated data). */
async function readDataset(settings: TrainSettings): Promise<{ dataset: ImageDataset; files: DataFileChecksum[] }> {
  const { dataset, files } = await datasetInfo(settings.dataset).read(settings.dataDir, { labels: settings.labels });
  if (files) return { dataset, files: files.map(sha256File) };
  const generated = [...dataset.train, ...(dataset.test ? [dataset.test] : [])].map((f) => ({
    file: `${f.name} (generated)`,
    bytes: f.images.length + f.labels.length,
    sha256: createHash('sha256').update(f.images).update(f.labels).digest('hex'),
  }));
  return { dataset, files: generated };
}

/**
 * Reads the run's dataset (throwing, when its files are missing, an error that says how to get them),
 * checksums what it read, and splits it: standard or paper mode, the run seed, --validation and
 * --limit. The splits are proven disjoint by src/data.
 */
export async function loadRunData(settings: TrainSettings): Promise<RunData> {
  const { dataset, files } = await readDataset(settings);
  const splits = makeSplits(dataset, {
    mode: settings.split,
    seed: settings.seed,
    ...(settings.validation !== null ? { validation: settings.validation } : {}),
    limit: settings.limit,
  });
  return {
    splits,
    report: {
      dataset: settings.dataset,
      labels: settings.labels,
      source: dataset.source,
      classNames: dataset.classNames,
      imageShape: datasetImageShape(dataset),
      files,
      split: {
        mode: splits.mode,
        seed: splits.seed,
        testSource: splits.testSource,
        description: splits.description,
        duplicates: splits.duplicates,
        disjoint: splits.disjoint,
        checksums: {
          train: splitChecksum(splits.train),
          validation: splitChecksum(splits.validation),
          test: splitChecksum(splits.test),
        },
      },
    },
  };
}

/**
 * The run's data on `device` (`own` takes what is to be freed when the run ends): the training
 * split (with the swapped copies a quadrant swap needs) and its augmentation plan, and the
 * validation and test splits (the test's null without one) with their evaluators.
 */
export function onDevice(settings: TrainSettings, device: string, data: RunData, own: <T extends { dispose(): void }>(o: T) => T) {
  const info = datasetInfo(settings.dataset);
  const { network, classes } = datasetLabels(settings.dataset, settings.labels);
  const shape = data.report.imageShape;
  if (shape.join('x') !== network.inputShape.join('x')) {
    throw new Error(`${data.report.source}: images of shape ${shape.join('×')}, but ${info.title}'s network takes ${network.inputShape.join('×')}`);
  }
  const split = (name: string, part: SplitPart, withSwapped = false): DeviceSplit =>
    own(new DeviceSplit(name, part.images, part.labels, part.count, device, classes, shape, withSwapped));
  const train = split('train', data.splits.train, settings.swap > 0);
  const validationSplit = split('validation', data.splits.validation);
  const testSplit = data.splits.test ? split('test', data.splits.test) : null;
  const robustnessSeed = derivedSeed(settings.seed, 'robustness');
  const evaluator = (s: DeviceSplit): Evaluator => own(new Evaluator(s, settings.batchSize, robustnessSeed));
  return {
    train,
    augment: augmentPlan(settings, settings.seed),
    validationSplit,
    validation: evaluator(validationSplit),
    test: testSplit ? evaluator(testSplit) : null,
  };
}
