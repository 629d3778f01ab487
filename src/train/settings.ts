// Every setting of a training run in one table — its flag, values, default, help, whether a resumed
// run may change it and how the log line shows it — and what is derived from it: the defaults,
// the checks, the one-line description and the resume rules (the CLI's options are built from it
// in src/cli/trainOptions.ts). A new setting is one entry here and one field of TrainSettings.
import path from 'path';
import { DATASETS, DATASET_NAMES, DatasetName, DatasetTraining, LABEL_SETS, LabelSet, datasetInfo, datasetLabels } from '../data/datasets';
import { defaultDevice } from '../device';
import { AugmentationKey, TRAINING_AUGMENTATIONS, describeAugmentations } from './augmentations';
import { EXPERIMENT_IDS, EXPERIMENT_PRESETS, ExperimentPreset } from './presets';
import { NO_SHARING, SharingSettings, describeSharing, fcnProblem, freeLayersKind, lcRankKind, sharingProblem } from './sharing';
import { ValueKind, booleanKind, deviceKind, integer, numberWhere, oneOf, orNull, pathKind } from './settingKinds';

export type { DatasetName };
export { EXPERIMENT_IDS, EXPERIMENT_PRESETS };
export type { ExperimentPreset };

/** Which optimizer trains the networks. */
export type OptimizerName = 'adam' | 'sgd';
/** How the images are divided (see src/data/splits.ts). */
export type SplitName = 'standard' | 'paper';

/** The complete, resolved settings of a run: what config.json records and --resume reuses. */
export interface TrainSettings extends SharingSettings {
  /** A dataset of files in the data folder (cifar10, cifar100, mnist, fashion-mnist), or 'synthetic' (generated, no files needed). */
  dataset: DatasetName;
  /** Which labels to train on: 'fine' (the dataset's classes) or 'coarse' (CIFAR-100's 20 superclasses). */
  labels: LabelSet;
  /** The data folder (--data-dir); null: WSR_DATA_DIR, else the default cache folder. */
  dataDir: string | null;
  /** 'standard' (train / held-out validation / test) or 'paper' (pooled 80/20, done without the leak). */
  split: SplitName;
  /** Validation images held out from the training images (null: 5,000, or a fifth of a small set). */
  validation: number | null;
  /** Train on the first N training images only (null: all). */
  limit: number | null;
  /** Epochs of the CNN phase (an upper bound when early stopping ends it sooner). */
  cnnEpochs: number;
  /** Epochs of the converted FCN branch (0: stop after the CNN phase). */
  fcnEpochs: number;
  /** Epochs of the continued CNN branch (the baseline); defaults to fcnEpochs. */
  cnnContinueEpochs: number;
  /** Early stopping: epochs without a better validation accuracy before a phase or branch stops. */
  patience: number;
  /** The CNN weights the conversion takes and both branches start from: 'best' (the restored best so far) or 'last' (the conversion epoch's). */
  convert: 'best' | 'last';
  // The FCN branch's weight sharing (free, tieEvery, tieStrength, tiePenalty, vcp): see sharing.ts.
  /** Training augmentation levels (0: off); see augmentations.ts for what each level means. */
  swap: number;
  rotation: number;
  translation: number;
  edgeNoise: number;
  /** Standard deviation of the Gaussian noise added to every training batch, on [0, 1] pixels (0: none). */
  noise: number;
  /** 'adam' (the paper's) or 'sgd' (with momentum). */
  optimizer: OptimizerName;
  /** Learning rate. */
  lr: number;
  /** SGD momentum (ignored by Adam). */
  momentum: number;
  /** Images per training batch. */
  batchSize: number;
  /** Seed of the weights, the splits, the epoch orders and the augmentations (0 … 2^32−1). */
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

/** One setting. */
export interface SettingEntry<K extends keyof TrainSettings = keyof TrainSettings> {
  key: K;
  /** Its command-line option in commander's notation ('--noise <sigma>', '--no-robustness'), or null: none of its own. */
  flag: string | null;
  /** Its values: how the flag's text is read, and what a valid value is. */
  kind: ValueKind<TrainSettings[K]>;
  /** Its default: a value, or one computed from the settings before it in the table (e.g. the dataset's). */
  default: TrainSettings[K] | ((earlier: Readonly<TrainSettings>) => TrainSettings[K]);
  /** The default on the command line when it differs from `default` (the device: the first usable GPU). */
  cliDefault?: () => TrainSettings[K];
  /** How --help states the default when the value itself would not say it ('all cores'). */
  defaultHelp?: string;
  /** What it does, for --help. */
  help: string;
  /** Whether --resume may change it: true only for what cannot change the run's results. */
  resumable: boolean;
  /** Its phrase in the run's one-line description, or null there; absent: shown within another's phrase, or not at all. */
  describe?: (s: TrainSettings) => string | null;
  /** The value a config.json written before this setting existed implies. */
  absent?: TrainSettings[K];
}

type AnyEntry = { [K in keyof TrainSettings]: SettingEntry<K> }[keyof TrainSettings];

/** A default that is the run's dataset's (its learning rate, say). */
const training = (pick: (t: DatasetTraining) => number) => (s: Readonly<TrainSettings>): number => pick(datasetInfo(s.dataset).training);

/** The augmentation levels, one entry each, in composition order; --noise is the one with a flag of its own. */
function augmentationEntries(): AnyEntry[] {
  return TRAINING_AUGMENTATIONS.map((a): AnyEntry => {
    const entry: SettingEntry<AugmentationKey> = {
      key: a.key,
      flag: a.key === 'noise' ? '--noise <sigma>' : null,
      kind: a.level,
      default: 0,
      help:
        a.key === 'noise'
          ? `σ of the Gaussian noise added to every training batch, on [0, 1] pixels; 0.5 is the paper's "50%"; the same as --augment noise=SIGMA`
          : a.meaning,
      resumable: false,
      absent: 0,
      // The augmentations share one phrase, written by the last of them (noise, as the log always had it).
      ...(a.key === 'noise' ? { describe: (s: TrainSettings) => describeAugmentations(s) } : {}),
    };
    return entry as AnyEntry;
  });
}

/** The settings, in the order of config.json and --help. */
export const SETTINGS: readonly AnyEntry[] = Object.freeze<AnyEntry[]>([
  {
    key: 'dataset',
    flag: '--dataset <name>',
    kind: oneOf(DATASET_NAMES),
    default: DATASET_NAMES[0],
    help: DATASETS.map((d) => `${d.name} (${d.summary})`).join(', '),
    resumable: false,
  },
  {
    key: 'labels',
    flag: '--labels <which>',
    kind: oneOf(LABEL_SETS),
    default: 'fine',
    help: "which labels to train on, and so the network's outputs: fine (the dataset's classes) or coarse (cifar100's 20 superclasses; the other datasets have fine labels only)",
    resumable: false,
    // Shown where the dataset offers a choice (cifar100's 100 or 20 classes).
    describe: (s) => {
      const sets = datasetInfo(s.dataset).labelSets;
      return Object.keys(sets).length > 1 ? `${s.labels} labels (${sets[s.labels]?.classes ?? '?'} classes)` : null;
    },
    absent: 'fine',
  },
  {
    key: 'dataDir',
    flag: '--data-dir <dir>',
    kind: orNull(pathKind),
    default: null,
    defaultHelp: 'WSR_DATA_DIR, else ~/.cache/wsr-native',
    help: 'the data folder',
    // The data is checked by checksum when a run resumes: where it is read from cannot change results.
    resumable: true,
  },
  {
    key: 'split',
    flag: '--split <mode>',
    kind: oneOf(['standard', 'paper'] as const),
    default: 'standard',
    help: "standard (train / held-out validation / test) or paper (the paper's pooled 80/20, done without its leak)",
    resumable: false,
  },
  {
    key: 'validation',
    flag: '--validation <n>',
    kind: orNull(integer(1)),
    default: null,
    defaultHelp: "5,000; a fifth of a small dataset",
    help: 'validation images held out from the training images',
    resumable: false,
  },
  {
    key: 'limit',
    flag: '--limit <n>',
    kind: orNull(integer(1)),
    default: null,
    defaultHelp: 'all',
    help: 'train on the first N training images only',
    resumable: false,
  },
  {
    key: 'cnnEpochs',
    flag: '--cnn-epochs <n>',
    kind: integer(1),
    default: training((t) => t.epochs),
    help: 'epochs of the CNN phase (an upper bound under early stopping)',
    resumable: false,
    describe: (s) =>
      `CNN ${s.cnnEpochs} epoch(s)` +
      (s.fcnEpochs > 0 ? `, then the CNN continued ${s.cnnContinueEpochs} and the FCN ${s.fcnEpochs}` : ', no FCN phase') +
      ` (early stopping patience ${s.patience})`,
  },
  {
    key: 'fcnEpochs',
    flag: '--fcn-epochs <n>',
    kind: integer(0),
    default: training((t) => t.epochs),
    help: 'epochs of the converted FCN branch; 0 stops after the CNN phase',
    resumable: false,
  },
  {
    key: 'cnnContinueEpochs',
    flag: '--cnn-continue-epochs <n>',
    kind: integer(0),
    default: (s) => s.fcnEpochs,
    defaultHelp: '--fcn-epochs',
    help: 'epochs of the continued CNN branch, the baseline',
    resumable: false,
  },
  {
    key: 'patience',
    flag: '--patience <n>',
    kind: integer(1),
    default: training((t) => t.patience),
    help: 'early stopping: epochs without a better validation accuracy',
    resumable: false,
  },
  {
    key: 'convert',
    flag: '--convert <weights>',
    kind: oneOf(['best', 'last'] as const),
    default: 'best',
    help: "the CNN weights the conversion takes, and both branches start from: best (the restored best so far, as the paper's early stopping does) or last (those of the conversion epoch)",
    resumable: false,
    describe: (s) => (s.convert === 'last' ? "the conversion takes the CNN's last weights" : null),
    absent: 'best',
  },
  {
    key: 'free',
    flag: '--free <layers>',
    kind: freeLayersKind,
    default: NO_SHARING.free,
    help: 'the convolutions the conversion frees into locally connected layers (all, or numbers such as 2,3); the others stay convolutions in the FCN branch',
    resumable: false,
    absent: NO_SHARING.free,
  },
  {
    key: 'lcRank',
    flag: '--lc-rank <rank>',
    kind: lcRankKind,
    default: NO_SHARING.lcRank,
    defaultHelp: 'full',
    help: 'the rank of the freed layers (Elsayed et al. 2020): each position mixes this many basis banks, all starting as the trained bank (1: a convolution; full: one bank per position)',
    resumable: false,
    absent: NO_SHARING.lcRank,
  },
  {
    key: 'tieEvery',
    flag: '--tie-every <steps>',
    kind: integer(0),
    default: NO_SHARING.tieEvery,
    help: "FCN branch: every N optimizer steps, pull each freed layer's banks and biases toward their mean over positions (0: never)",
    resumable: false,
    absent: NO_SHARING.tieEvery,
  },
  {
    key: 'tieStrength',
    flag: '--tie-strength <alpha>',
    kind: numberWhere((v) => v >= 0 && v <= 1, 'must be in [0, 1]'),
    default: NO_SHARING.tieStrength,
    help: 'how far each re-tying pulls: W ← (1 − α)·W + α·mean (1: fully re-tied)',
    resumable: false,
    absent: NO_SHARING.tieStrength,
  },
  {
    key: 'tiePenalty',
    flag: '--tie-penalty <lambda>',
    kind: numberWhere((v) => v >= 0, 'must be >= 0'),
    default: NO_SHARING.tiePenalty,
    help: "FCN branch: soft tying, λ/2 · Σ‖W_ij − mean‖² over the freed layers' banks and biases added to the loss (0: none)",
    resumable: false,
    absent: NO_SHARING.tiePenalty,
  },
  {
    key: 'vcp',
    flag: '--vcp <p>',
    kind: numberWhere((v) => v >= 0 && v < 1, 'must be in [0, 1)'),
    default: NO_SHARING.vcp,
    help: "FCN branch: Ott et al.'s variable connection probability, a fixed seeded mask before each freed layer dropping each input unit with probability p",
    resumable: false,
    absent: NO_SHARING.vcp,
    // The sharing settings share one phrase, written by the last of them.
    describe: (s) => describeSharing(s),
  },
  ...augmentationEntries(),
  {
    key: 'optimizer',
    flag: '--optimizer <name>',
    kind: oneOf(['adam', 'sgd'] as const),
    default: 'adam',
    help: 'adam or sgd (SGD with momentum)',
    resumable: false,
    describe: (s) => (s.optimizer === 'sgd' ? `SGD lr ${s.lr} momentum ${s.momentum}` : `Adam lr ${s.lr}`),
  },
  {
    key: 'lr',
    flag: '--lr <rate>',
    kind: numberWhere((v) => v > 0, 'must be > 0'),
    default: training((t) => t.lr),
    help: 'learning rate',
    resumable: false,
  },
  {
    key: 'momentum',
    flag: '--momentum <m>',
    kind: numberWhere((v) => v >= 0 && v < 1, 'must be in [0, 1)'),
    default: 0.9,
    help: 'SGD momentum',
    resumable: false,
  },
  {
    key: 'batchSize',
    flag: '--batch-size <n>',
    kind: integer(1),
    default: training((t) => t.batchSize),
    help: 'images per training batch',
    resumable: false,
    describe: (s) => `batch ${s.batchSize}`,
  },
  {
    key: 'seed',
    flag: '--seed <n>',
    kind: integer(0, 0xffffffff),
    default: 0,
    help: 'seed of weights, splits, epoch orders and augmentations',
    resumable: false,
    describe: (s) => `seed ${s.seed}`,
  },
  {
    key: 'device',
    flag: '--device <name>',
    kind: deviceKind,
    default: 'cpu',
    cliDefault: () => defaultDevice(),
    defaultHelp: 'WSR_DEVICE, else the first usable GPU, else the CPU',
    help: 'cpu, cuda or cuda:N',
    resumable: true,
  },
  {
    key: 'threads',
    flag: '--threads <n>',
    kind: orNull(integer(1, 1024)),
    default: null,
    defaultHelp: 'all cores',
    help: 'CPU threads',
    resumable: true,
  },
  {
    key: 'robustness',
    flag: '--no-robustness',
    kind: booleanKind,
    default: true,
    help: 'skip the five robustness accuracies (faster epochs)',
    resumable: false,
    describe: (s) => (s.robustness ? null : 'no robustness measures'),
  },
  {
    key: 'experiment',
    flag: null,
    kind: orNull(integer(Math.min(...EXPERIMENT_IDS), Math.max(...EXPERIMENT_IDS))),
    default: null,
    help: 'the experiment preset the settings started from',
    resumable: false,
  },
  {
    key: 'initFrom',
    flag: '--init-from <file>',
    // Kept as an absolute path: --resume compares it with the run's.
    kind: orNull({ parse: (text) => path.resolve(pathKind.parse(text)), problem: pathKind.problem }),
    default: null,
    defaultHelp: 'the seeded Glorot initialisation',
    help: 'start the CNN from the weights in a safetensors file (names and shapes as `wsr-native export` writes them)',
    resumable: false,
    describe: (s) => (s.initFrom === null ? null : `CNN from ${s.initFrom}`),
    absent: null,
  },
]);

/** The entry of `key`. */
export function settingEntry<K extends keyof TrainSettings>(key: K): SettingEntry<K> {
  return SETTINGS.find((e) => e.key === key) as unknown as SettingEntry<K>;
}

/**
 * The settings of a run: for each entry in table order, the value `given` has, else `preset`'s,
 * else its default (computed from the settings before it: the dataset's learning rate, say).
 * @param cli the command line's defaults (the device: the first usable GPU) rather than the library's
 */
export function resolveSettings(
  given: Partial<TrainSettings>,
  preset: Partial<TrainSettings> = {},
  cli = false,
): TrainSettings {
  const s = {} as Record<string, unknown>;
  for (const e of SETTINGS) {
    const entry = e as SettingEntry;
    let value: unknown = given[entry.key] !== undefined ? given[entry.key] : preset[entry.key];
    if (value === undefined) {
      if (cli && entry.cliDefault) value = entry.cliDefault();
      else value = typeof entry.default === 'function' ? entry.default(s as unknown as TrainSettings) : entry.default;
    }
    s[entry.key] = value;
  }
  return s as unknown as TrainSettings;
}

/** The defaults of `wsr-native train` (on the library's device, the CPU). */
export const DEFAULT_SETTINGS: Readonly<TrainSettings> = Object.freeze(resolveSettings({}));

/** The defaults for one dataset. */
export function defaultSettings(dataset: DatasetName): TrainSettings {
  return resolveSettings({ dataset });
}

/** What a preset sets, as settings (a null cnnContinueEpochs follows fcnEpochs). */
export function presetSettings(preset: ExperimentPreset | null): Partial<TrainSettings> {
  if (!preset) return {};
  const { description: _description, cnnContinueEpochs, ...values } = preset;
  return cnnContinueEpochs === null ? values : { ...values, cnnContinueEpochs };
}

/** The settings keys --resume may change: where a run runs and where its data is read from (checked by checksum). */
export const RESUMABLE_KEYS: readonly (keyof TrainSettings)[] = Object.freeze(SETTINGS.filter((e) => e.resumable).map((e) => e.key));

/** The settings keys whose values must be equal for two runs to continue each other. */
export const RESUME_FIXED_KEYS: readonly (keyof TrainSettings)[] = Object.freeze(SETTINGS.filter((e) => !e.resumable).map((e) => e.key));

/**
 * The settings saved in a config.json, completed: a setting added after the run was made takes the
 * value its absence implies (no augmentation but noise, for a run made before --augment).
 */
export function savedSettings(saved: Partial<TrainSettings>): TrainSettings {
  const s = { ...saved } as Record<string, unknown>;
  for (const e of SETTINGS) if (s[e.key] === undefined && e.absent !== undefined) s[e.key] = e.absent;
  return s as unknown as TrainSettings;
}

/**
 * Checks the settings of a run, each value and the combinations; throws a RangeError naming the
 * setting and the value.
 */
export function checkSettings(s: TrainSettings): void {
  for (const e of SETTINGS) {
    const value = (s as unknown as Record<string, unknown>)[e.key];
    const problem = (e.kind as ValueKind<unknown>).problem(value);
    if (problem !== null) throw new RangeError(`${e.key} ${problem}, got ${JSON.stringify(value) ?? String(value)}`);
  }
  if (s.split === 'paper' && s.validation !== null) {
    throw new RangeError('validation sets the held-out count of the standard split; the paper split holds out 20% of the pooled images');
  }
  const { network } = datasetLabels(s.dataset, s.labels);
  const convolutions = network.layers.filter((l) => l.type === 'conv').length;
  const sharing = sharingProblem(s, convolutions) ?? fcnProblem(s, network);
  if (sharing !== null) throw new RangeError(sharing);
}

/** The settings that shape the run, in one line for the log: each entry's phrase, in table order. */
export function describeSettings(s: TrainSettings): string {
  const preset = s.experiment !== null ? `experiment ${s.experiment}: ` : '';
  const phrases = SETTINGS.map((e) => e.describe?.(s) ?? null).filter((p): p is string => p !== null);
  return preset + phrases.join('; ');
}
