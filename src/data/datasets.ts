// The datasets wsr-native trains on, as data: each one's image shape, classes, the paper's network
// for it, its default hyperparameters, how it is read from the data folder and how it is
// downloaded. The training loop, the settings and the CLI look a dataset up here and write no
// dataset's name into their code.
import fs from 'fs';
import path from 'path';
import { CIFAR10_CNN, MNIST_CNN, NetworkSpec } from '../nn/spec';
import {
  CIFAR10_CLASS_NAMES,
  CIFAR_META_FILE,
  CIFAR_TEST_FILE,
  CIFAR_TRAIN_FILES,
  readCifarArchive,
  readCifarFolder,
} from './cifar';
import { CIFAR_URL, downloadCifar } from './download';
import { CIFAR_IMAGE_SHAPE, ImageDataset, ImageShape } from './images';
import { findCifar } from './locate';
import { MNIST_CLASS_NAMES, MNIST_IMAGE_SHAPE, findMnist, readMnistFiles } from './mnist';
import { MNIST_SOURCES, downloadMnist } from './mnistDownload';
import { SYNTHETIC_CLASS_NAMES, generateSynthetic } from './synthetic';

/** The CLI's --dataset. */
export type DatasetName = 'cifar10' | 'mnist' | 'synthetic';

/** The hyperparameters a dataset's runs default to (PROTOCOL.md, "Training"). */
export interface DatasetTraining {
  /** Adam's learning rate. */
  lr: number;
  batchSize: number;
  /** Early stopping: epochs without a better validation accuracy. */
  patience: number;
  /** Epochs of the CNN phase and of each branch (an upper bound under early stopping). */
  epochs: number;
}

/** A dataset as read: the images, and the files read (to checksum them; null for generated data). */
export interface ReadResult {
  dataset: ImageDataset;
  files: string[] | null;
}

/** What a download is asked to do (the `download` command's flags). */
export interface DownloadRequest {
  dataDir: string | null;
  /** Fetch from here instead of the official source (a file URL for CIFAR-10, a folder URL for MNIST). */
  url?: string;
  force: boolean;
  keepArchive: boolean;
  /** A progress callback for the file called `label`. */
  progress(label: string): (received: number, total: number | null) => void;
}

/** How a dataset is downloaded. */
export interface DatasetDownload {
  /** What is fetched, in words. */
  what: string;
  /** Where from, in the order tried. */
  sources: readonly string[];
  /** Fetches, checks and installs the files; resolves to the folder holding them. */
  run(request: DownloadRequest): Promise<{ dir: string; downloaded: boolean }>;
}

/** One dataset. */
export interface DatasetInfo {
  name: DatasetName;
  /** Its name in prose ('CIFAR-10'). */
  title: string;
  /** A few words for --help. */
  summary: string;
  imageShape: ImageShape;
  classes: number;
  classNames: readonly string[];
  /** The paper's CNN for it; its FCN twin is toLocalSpec(network). */
  network: NetworkSpec;
  training: DatasetTraining;
  /** Reads it from the data folder (null: WSR_DATA_DIR, else the default), or generates it. */
  read(dataDir: string | null): Promise<ReadResult>;
  /** null: nothing to download. */
  download: DatasetDownload | null;
}

/** The data files of a CIFAR-10 folder that exist, in reading order. */
function cifarFolderFiles(dir: string): string[] {
  return [...CIFAR_TRAIN_FILES, CIFAR_TEST_FILE, CIFAR_META_FILE].map((n) => path.join(dir, n)).filter((f) => fs.existsSync(f));
}

const CIFAR_TRAINING: DatasetTraining = Object.freeze({ lr: 1e-4, batchSize: 128, patience: 100, epochs: 100 });

/** The datasets, the default first. */
export const DATASETS: readonly DatasetInfo[] = Object.freeze([
  {
    name: 'cifar10',
    title: 'CIFAR-10',
    summary: 'the binary files in the data folder',
    imageShape: CIFAR_IMAGE_SHAPE,
    classes: 10,
    classNames: CIFAR10_CLASS_NAMES,
    network: CIFAR10_CNN,
    training: CIFAR_TRAINING,
    async read(dataDir) {
      const location = findCifar(dataDir);
      if (location.kind === 'archive') return { dataset: await readCifarArchive(location.path), files: [location.path] };
      return { dataset: readCifarFolder(location.path), files: cifarFolderFiles(location.path) };
    },
    download: {
      what: 'CIFAR-10 (binary version, about 170 MB; MD5-checked, then unpacked)',
      sources: [CIFAR_URL],
      async run(r) {
        const result = await downloadCifar({
          dataDir: r.dataDir,
          ...(r.url ? { url: r.url } : {}),
          force: r.force,
          keepArchive: r.keepArchive,
          onProgress: r.progress('downloading cifar-10-binary.tar.gz'),
        });
        return { dir: result.dir, downloaded: result.downloaded };
      },
    },
  },
  {
    name: 'mnist',
    title: 'MNIST',
    summary: 'the four IDX files in the data folder, gzipped or not',
    imageShape: MNIST_IMAGE_SHAPE,
    classes: 10,
    classNames: MNIST_CLASS_NAMES,
    network: MNIST_CNN,
    training: Object.freeze({ lr: 1e-3, batchSize: 256, patience: 50, epochs: 250 }),
    async read(dataDir) {
      const location = findMnist(dataDir);
      return { dataset: readMnistFiles(location), files: Object.values(location.files) };
    },
    download: {
      what: 'MNIST (the four official .gz files, about 11 MB; each MD5-checked)',
      sources: MNIST_SOURCES,
      async run(r) {
        const printers = new Map<string, (received: number, total: number | null) => void>();
        const result = await downloadMnist({
          dataDir: r.dataDir,
          ...(r.url ? { sources: [r.url] } : {}),
          force: r.force,
          onProgress: (file, received, total) => {
            if (!printers.has(file)) printers.set(file, r.progress(`downloading ${file}`));
            printers.get(file)!(received, total);
          },
        });
        return { dir: result.dir, downloaded: result.downloaded };
      },
    },
  },
  {
    name: 'synthetic',
    title: 'the synthetic stand-in',
    summary: 'generated CIFAR-shaped images; needs no files',
    imageShape: CIFAR_IMAGE_SHAPE,
    classes: 10,
    classNames: SYNTHETIC_CLASS_NAMES,
    network: CIFAR10_CNN,
    training: CIFAR_TRAINING,
    async read() {
      return { dataset: generateSynthetic({ seed: 0 }), files: null };
    },
    download: null,
  },
] as DatasetInfo[]);

/** The dataset names, the default first. */
export const DATASET_NAMES: readonly DatasetName[] = Object.freeze(DATASETS.map((d) => d.name));

/** The dataset called `name`; throws a RangeError listing the known ones. */
export function datasetInfo(name: string): DatasetInfo {
  const found = DATASETS.find((d) => d.name === name);
  if (!found) throw new RangeError(`unknown dataset ${JSON.stringify(name)}; expected one of ${DATASET_NAMES.join(', ')}`);
  return found;
}
