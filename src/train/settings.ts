// Every setting of a training run, their defaults, and the paper's experiment presets.

/** Which optimizer trains the networks. */
export type OptimizerName = 'adam' | 'sgd';
/** Where the images come from: CIFAR-10 files, or the generated stand-in. */
import type { DatasetName } from '../data';
export type { DatasetName };
/** How the images are divided (see src/data/splits.ts). */
export type SplitName = 'standard' | 'paper';

/** The complete, resolved settings of a run: what config.json records and --resume reuses. */
export interface TrainSettings {
  /** 'cifar10' (the files in the data folder) or 'synthetic' (generated, no files needed). */
  dataset: DatasetName;
  /** The data folder (--data-dir); null: WSR_DATA_DIR, else the default cache folder. */
  dataDir: string | null;
  /** 'standard' (train / held-out validation / test) or 'paper' (pooled 80/20, done without the leak). */
  split: SplitName;
  /** Validation images held out from the training images (null: 5,000, or a fifth of a small set). */
  validation: number | null;
  /** Train on the first N training images only (null: all). */
  limit: number | null;
  /** Standard deviation of the Gaussian noise added to every training batch, on [0, 1] pixels (0: none). */
  noise: number;
  /** Epochs of the CNN phase (an upper bound when early stopping ends it sooner). */
  cnnEpochs: number;
  /** Epochs of the converted FCN branch (0: stop after the CNN phase). */
  fcnEpochs: number;
  /** Epochs of the continued CNN branch (the baseline); defaults to fcnEpochs. */
  cnnContinueEpochs: number;
  /** Early stopping: epochs without a better validation accuracy before a phase or branch stops. */
  patience: number;
  /** 'adam' (the paper's) or 'sgd' (with momentum). */
  optimizer: OptimizerName;
  /** Learning rate. */
  lr: number;
  /** SGD momentum (ignored by Adam). */
  momentum: number;
  /** Images per training batch. */
  batchSize: number;
  /** Seed of the weights, the splits, the epoch orders and the augmentation noise (0 … 2^32−1). */
  seed: number;
  /** 'cpu', 'cuda' or 'cuda:N' (the CLI's default is defaultDevice(): WSR_DEVICE, else the first usable GPU, else the CPU). */
  device: string;
  /** CPU threads (null: the default, all cores). */
  threads: number | null;
  /** Measure the five robustness accuracies every epoch (default true). */
  robustness: boolean;
  /** The experiment preset these settings started from (`wsr-native experiment N`), or null. */
  experiment: number | null;
  /** A safetensors file (absolute path) the CNN starts from instead of its seeded initialisation, or null. */
  initFrom: string | null;
}

/** The defaults of `wsr-native train`. */
export const DEFAULT_SETTINGS: Readonly<TrainSettings> = Object.freeze({
  dataset: 'cifar10',
  dataDir: null,
  split: 'standard',
  validation: null,
  limit: null,
  noise: 0,
  cnnEpochs: 100,
  fcnEpochs: 100,
  cnnContinueEpochs: 100,
  patience: 100,
  optimizer: 'adam',
  lr: 1e-4,
  momentum: 0.9,
  batchSize: 128,
  seed: 0,
  device: 'cpu',
  threads: null,
  robustness: true,
  experiment: null,
  initFrom: null,
});

/** What an experiment preset sets; every flag given on the command line overrides it. */
export interface ExperimentPreset {
  /** One line about the experiment, as PROTOCOL.md's table has it. */
  description: string;
  noise: number;
  cnnEpochs: number;
  /** Epochs of the continued CNN; null: the same as fcnEpochs (whatever --fcn-epochs says). */
  cnnContinueEpochs: number | null;
  fcnEpochs: number;
  patience: number;
}

/**
 * The published CIFAR-10 experiments (PROTOCOL.md, "Experiments as published"). "Until early
 * stop" is an epoch cap of 500 with patience 100.
 */
export const EXPERIMENT_PRESETS: Readonly<Record<0 | 1 | 2 | 3, Readonly<ExperimentPreset>>> = Object.freeze({
  0: Object.freeze({
    description: 'no augmentation; CNN and both branches until early stop (patience 100, cap 500)',
    noise: 0,
    cnnEpochs: 500,
    cnnContinueEpochs: null,
    fcnEpochs: 500,
    patience: 100,
  }),
  1: Object.freeze({
    description: 'noise 30%; CNN 100 epochs, then the CNN continued 100 and the FCN up to 200',
    noise: 0.3,
    cnnEpochs: 100,
    cnnContinueEpochs: 100,
    fcnEpochs: 200,
    patience: 100,
  }),
  2: Object.freeze({
    description: 'noise 50%; CNN 100 epochs, then both branches up to 500',
    noise: 0.5,
    cnnEpochs: 100,
    cnnContinueEpochs: null,
    fcnEpochs: 500,
    patience: 100,
  }),
  3: Object.freeze({
    description: 'noise 50%; CNN 50 epochs, then both branches 50',
    noise: 0.5,
    cnnEpochs: 50,
    cnnContinueEpochs: null,
    fcnEpochs: 50,
    patience: 100,
  }),
});

/** The experiment numbers. */
export const EXPERIMENT_IDS: readonly (0 | 1 | 2 | 3)[] = [0, 1, 2, 3];

/** The settings keys whose values must be equal for two runs to continue each other (all but device and threads). */
export const RESUME_FIXED_KEYS: readonly (keyof TrainSettings)[] = (Object.keys(DEFAULT_SETTINGS) as (keyof TrainSettings)[]).filter(
  (k) => k !== 'device' && k !== 'threads',
);

/**
 * Checks the settings of a run as a whole (each value alone is checked where it is parsed);
 * throws a RangeError naming the setting and the value.
 */
export function checkSettings(s: TrainSettings): void {
  const integer = (name: string, v: number, min: number): void => {
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
  };
  integer('cnnEpochs', s.cnnEpochs, 1);
  integer('fcnEpochs', s.fcnEpochs, 0);
  integer('cnnContinueEpochs', s.cnnContinueEpochs, 0);
  integer('patience', s.patience, 1);
  integer('batchSize', s.batchSize, 1);
  if (!Number.isInteger(s.seed) || s.seed < 0 || s.seed > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32), got ${s.seed}`);
  if (!(Number.isFinite(s.noise) && s.noise >= 0)) throw new RangeError(`noise must be a finite number >= 0, got ${s.noise}`);
  if (!(Number.isFinite(s.lr) && s.lr > 0)) throw new RangeError(`lr must be a finite number > 0, got ${s.lr}`);
  if (!(Number.isFinite(s.momentum) && s.momentum >= 0 && s.momentum < 1)) throw new RangeError(`momentum must be in [0, 1), got ${s.momentum}`);
  if (s.validation !== null) integer('validation', s.validation, 1);
  if (s.limit !== null) integer('limit', s.limit, 1);
  if (s.threads !== null) integer('threads', s.threads, 1);
  if (s.split === 'paper' && s.validation !== null) {
    throw new RangeError('validation sets the held-out count of the standard split; the paper split holds out 20% of the pooled images');
  }
}

/** The settings that shape the run, in one line for the log. */
export function describeSettings(s: TrainSettings): string {
  const aug = s.noise > 0 ? `noise σ ${s.noise}` : 'no augmentation';
  const branches = s.fcnEpochs > 0 ? `, then the CNN continued ${s.cnnContinueEpochs} and the FCN ${s.fcnEpochs}` : ', no FCN phase';
  const optimizer = s.optimizer === 'sgd' ? `SGD lr ${s.lr} momentum ${s.momentum}` : `Adam lr ${s.lr}`;
  const preset = s.experiment !== null ? `experiment ${s.experiment}: ` : '';
  return (
    `${preset}CNN ${s.cnnEpochs} epoch(s)${branches} (early stopping patience ${s.patience}); ${aug}; ${optimizer}; ` +
    `batch ${s.batchSize}; seed ${s.seed}${s.robustness ? '' : '; no robustness measures'}`
  );
}
