// The datasets wsr-native trains on, as data: each one's image shape, the label sets it offers
// (classes, their names and the paper's network ending in that many outputs), its default
// hyperparameters, how it is read from the data folder and how it is downloaded. The training loop,
// the settings and the CLI look a dataset up here and write no dataset's name into their code.
import fs from 'fs';
import path from 'path';
import { CIFAR10_CNN, MNIST_CNN, NetworkSpec, copySpec, frozenSpec } from '../nn/spec';
import { CIFAR10_RELEASE, CifarRelease, readCifarFolder } from './cifar';
import { CIFAR100_RELEASE } from './cifar100';
import { readCifarArchive } from './cifarArchive';
import { downloadCifar } from './download';
import { FASHION_MNIST_DATASET } from './fashionMnist';
import { CIFAR_IMAGE_SHAPE, ImageDataset, ImageShape, LABEL_SETS, LabelSet } from './images';
import { findCifar } from './locate';
import { IdxDataset, MNIST_DATASET, MNIST_IMAGE_SHAPE, findMnist, readMnistFiles } from './mnist';
import { downloadMnist } from './mnistDownload';
import { SYNTHETIC_CLASS_NAMES, generateSynthetic } from './synthetic';

export { LABEL_SETS };
export type { LabelSet };

/** The CLI's --dataset. */
export type DatasetName = 'cifar10' | 'cifar100' | 'mnist' | 'fashion-mnist' | 'synthetic';

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

/** How a dataset is read. */
export interface ReadRequest {
  /** The labels returned (default 'fine'). */
  labels?: LabelSet;
  /** CIFAR's records per file (default the official counts; null: any, for small test files). */
  recordsPerFile?: number | null;
}

/** What a download is asked to do (the `download` command's flags). */
export interface DownloadRequest {
  dataDir: string | null;
  /** Fetch from here instead of the official source (a file URL for CIFAR, a folder URL for the IDX datasets). */
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

/** One label set of a dataset: what a run with --labels trains to tell apart, and the network for it. */
export interface DatasetLabels {
  set: LabelSet;
  classes: number;
  classNames: readonly string[];
  /** The paper's CNN for the dataset, ending in `classes` outputs; its FCN twin is toLocalSpec(network). */
  network: NetworkSpec;
}

/** One dataset. */
export interface DatasetInfo {
  name: DatasetName;
  /** Its name in prose ('CIFAR-10'). */
  title: string;
  /** A few words for --help. */
  summary: string;
  imageShape: ImageShape;
  /** The label sets it offers (--labels): 'fine' always, 'coarse' for CIFAR-100. */
  labelSets: Readonly<Partial<Record<LabelSet, DatasetLabels>>> & { fine: DatasetLabels };
  /** The fine labels' classes, names and network (labelSets.fine's). */
  classes: number;
  classNames: readonly string[];
  network: NetworkSpec;
  training: DatasetTraining;
  /** Reads it from the data folder (null: WSR_DATA_DIR, else the default), or generates it. */
  read(dataDir: string | null, request?: ReadRequest): Promise<ReadResult>;
  /** null: nothing to download. */
  download: DatasetDownload | null;
}

/** `base` ending in `classes` outputs, named `name` (the paper's networks end in a dense layer of 10). */
function withClasses(base: NetworkSpec, classes: number, name: string): NetworkSpec {
  const spec = copySpec(base);
  const last = spec.layers[spec.layers.length - 1];
  if (last.type !== 'dense') throw new Error(`${base.name} does not end in a dense layer`);
  last.units = classes;
  return frozenSpec({ ...spec, name, classes });
}

/** The label sets of a dataset: its fine classes on `network`, and any others on the same network resized. */
function labelSets(network: NetworkSpec, fine: readonly string[], coarse?: { names: readonly string[]; network: string }): DatasetInfo['labelSets'] {
  const set = (s: LabelSet, classNames: readonly string[], spec: NetworkSpec): DatasetLabels =>
    Object.freeze({ set: s, classes: classNames.length, classNames, network: spec });
  const fineSet = set('fine', fine, network);
  if (!coarse) return Object.freeze({ fine: fineSet });
  return Object.freeze({ fine: fineSet, coarse: set('coarse', coarse.names, withClasses(network, coarse.names.length, coarse.network)) });
}

/** The fields of a {@link DatasetInfo} that are its fine labels'. */
function fineFields(sets: DatasetInfo['labelSets']): Pick<DatasetInfo, 'labelSets' | 'classes' | 'classNames' | 'network'> {
  const { classes, classNames, network } = sets.fine;
  return { labelSets: sets, classes, classNames, network };
}

const CIFAR_TRAINING: DatasetTraining = Object.freeze({ lr: 1e-4, batchSize: 128, patience: 100, epochs: 100 });
const MNIST_TRAINING: DatasetTraining = Object.freeze({ lr: 1e-3, batchSize: 256, patience: 50, epochs: 250 });

/** The data files of a release's folder that exist, in reading order. */
function cifarFolderFiles(dir: string, release: CifarRelease): string[] {
  const names = [...release.trainFiles, release.testFile, ...release.labelBytes.map((b) => b.metaFile)];
  return names.map((n) => path.join(dir, n)).filter((f) => fs.existsSync(f));
}

/** A dataset in a CIFAR binary release: read from its folder or archive, downloaded as the archive. */
function cifarDataset(release: CifarRelease, rest: Pick<DatasetInfo, 'name' | 'summary' | 'labelSets' | 'training'>): DatasetInfo {
  return {
    ...rest,
    title: release.title,
    imageShape: CIFAR_IMAGE_SHAPE,
    ...fineFields(rest.labelSets),
    async read(dataDir, request = {}) {
      const location = findCifar(dataDir, process.env, release);
      const options = { release, ...request };
      if (location.kind === 'archive') return { dataset: await readCifarArchive(location.path, options), files: [location.path] };
      return { dataset: readCifarFolder(location.path, options), files: cifarFolderFiles(location.path, release) };
    },
    download: {
      what: `${release.title} (binary version, ${release.size}; MD5-checked, then unpacked)`,
      sources: [release.url],
      async run(r) {
        const result = await downloadCifar({
          dataDir: r.dataDir,
          release,
          ...(r.url ? { url: r.url } : {}),
          force: r.force,
          keepArchive: r.keepArchive,
          onProgress: r.progress(`downloading ${release.archive}`),
        });
        return { dir: result.dir, downloaded: result.downloaded };
      },
    },
  };
}

/** A dataset in MNIST's IDX format: read from its four files, downloaded file by file. */
function idxDataset(idx: IdxDataset, rest: Pick<DatasetInfo, 'name' | 'summary' | 'labelSets' | 'training'>): DatasetInfo {
  return {
    ...rest,
    title: idx.title,
    imageShape: MNIST_IMAGE_SHAPE,
    ...fineFields(rest.labelSets),
    async read(dataDir) {
      const location = findMnist(dataDir, process.env, idx);
      return { dataset: readMnistFiles(location), files: Object.values(location.files) };
    },
    download: {
      what: `${idx.title} (the four official .gz files, ${idx.size}; each MD5-checked)`,
      sources: idx.sources,
      async run(r) {
        const printers = new Map<string, (received: number, total: number | null) => void>();
        const result = await downloadMnist({
          dataDir: r.dataDir,
          dataset: idx,
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
  };
}

const [COARSE, FINE] = CIFAR100_RELEASE.labelBytes;

/** The datasets, the default first. */
export const DATASETS: readonly DatasetInfo[] = Object.freeze([
  cifarDataset(CIFAR10_RELEASE, {
    name: 'cifar10',
    summary: 'the binary files in the data folder',
    labelSets: labelSets(CIFAR10_CNN, CIFAR10_RELEASE.labelBytes[0].names),
    training: CIFAR_TRAINING,
  }),
  cifarDataset(CIFAR100_RELEASE, {
    name: 'cifar100',
    summary: 'its binary files; 100 classes, or 20 with --labels coarse',
    labelSets: labelSets(withClasses(CIFAR10_CNN, FINE.classes, 'cifar100-cnn'), FINE.names, { names: COARSE.names, network: 'cifar100-coarse-cnn' }),
    training: CIFAR_TRAINING,
  }),
  idxDataset(MNIST_DATASET, {
    name: 'mnist',
    summary: 'the four IDX files in the data folder, gzipped or not',
    labelSets: labelSets(MNIST_CNN, MNIST_DATASET.classNames),
    training: MNIST_TRAINING,
  }),
  idxDataset(FASHION_MNIST_DATASET, {
    name: 'fashion-mnist',
    summary: "Zalando's four IDX files, as MNIST's",
    labelSets: labelSets(MNIST_CNN, FASHION_MNIST_DATASET.classNames),
    training: MNIST_TRAINING,
  }),
  {
    name: 'synthetic',
    title: 'the synthetic stand-in',
    summary: 'generated CIFAR-shaped images; needs no files',
    imageShape: CIFAR_IMAGE_SHAPE,
    ...fineFields(labelSets(CIFAR10_CNN, SYNTHETIC_CLASS_NAMES)),
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

/**
 * What a run of `dataset` with `labels` trains on: the classes, their names and the network ending
 * in that many outputs. Throws a RangeError naming the dataset and the label sets it has.
 */
export function datasetLabels(dataset: string, labels: LabelSet): DatasetLabels {
  const info = datasetInfo(dataset);
  const found = info.labelSets[labels];
  if (!found) {
    const others = DATASETS.filter((d) => d.labelSets[labels]).map((d) => d.name);
    throw new RangeError(
      `labels ${labels}: ${info.name} has ${Object.keys(info.labelSets).join(' and ')} labels only` +
        (others.length ? `; ${labels} labels are ${others.join(', ')}'s` : ''),
    );
  }
  return found;
}
