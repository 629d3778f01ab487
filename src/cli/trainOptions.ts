// The options of `train` and `experiment`, and the settings they make (defaults, then an
// experiment preset, then every flag given).
import { Command, Option } from 'commander';
import path from 'path';
import { defaultDevice } from '../device';
import { DEFAULT_SETTINGS, ExperimentPreset, TrainSettings } from '../train/settings';
import { deviceName, integerIn, numberWhere, oneOf, pathValue } from './parse';

/** The option values commander collects (undefined: not given). */
export interface TrainFlags {
  noise?: number;
  cnnEpochs?: number;
  fcnEpochs?: number;
  cnnContinueEpochs?: number;
  patience?: number;
  optimizer?: TrainSettings['optimizer'];
  lr?: number;
  momentum?: number;
  batchSize?: number;
  seed?: number;
  device?: string;
  threads?: number;
  validation?: number;
  dataDir?: string;
  dataset?: TrainSettings['dataset'];
  limit?: number;
  split?: TrainSettings['split'];
  robustness?: boolean;
  initFrom?: string;
  out?: string;
  resume?: string;
  png?: boolean;
  stopAfterEpochs?: number;
}

/** Flag name → settings key, for the flags that set a setting. */
export const FLAG_SETTINGS: readonly { flag: string; key: keyof TrainFlags & keyof TrainSettings }[] = [
  { flag: '--noise', key: 'noise' },
  { flag: '--cnn-epochs', key: 'cnnEpochs' },
  { flag: '--fcn-epochs', key: 'fcnEpochs' },
  { flag: '--cnn-continue-epochs', key: 'cnnContinueEpochs' },
  { flag: '--patience', key: 'patience' },
  { flag: '--optimizer', key: 'optimizer' },
  { flag: '--lr', key: 'lr' },
  { flag: '--momentum', key: 'momentum' },
  { flag: '--batch-size', key: 'batchSize' },
  { flag: '--seed', key: 'seed' },
  { flag: '--device', key: 'device' },
  { flag: '--threads', key: 'threads' },
  { flag: '--validation', key: 'validation' },
  { flag: '--data-dir', key: 'dataDir' },
  { flag: '--dataset', key: 'dataset' },
  { flag: '--limit', key: 'limit' },
  { flag: '--split', key: 'split' },
  { flag: '--no-robustness', key: 'robustness' },
  { flag: '--init-from', key: 'initFrom' },
];

/** Adds the options shared by `train` and `experiment` to `command`. */
export function addTrainOptions(command: Command): Command {
  const d = DEFAULT_SETTINGS;
  return command
    .option('--noise <sigma>', `σ of the Gaussian noise added to every training batch, on [0, 1] pixels; 0.5 is the paper's "50%" (default ${d.noise})`, numberWhere((v) => v >= 0, 'must be >= 0'))
    .option('--cnn-epochs <n>', `epochs of the CNN phase (an upper bound under early stopping) (default ${d.cnnEpochs})`, integerIn(1))
    .option('--fcn-epochs <n>', `epochs of the converted FCN branch; 0 stops after the CNN phase (default ${d.fcnEpochs})`, integerIn(0))
    .option('--cnn-continue-epochs <n>', 'epochs of the continued CNN branch, the baseline (default: --fcn-epochs)', integerIn(0))
    .option('--patience <n>', `early stopping: epochs without a better validation accuracy (default ${d.patience})`, integerIn(1))
    .option('--optimizer <name>', `adam or sgd (SGD with momentum) (default ${d.optimizer})`, oneOf(['adam', 'sgd'] as const))
    .option('--lr <rate>', `learning rate (default ${d.lr})`, numberWhere((v) => v > 0, 'must be > 0'))
    .option('--momentum <m>', `SGD momentum (default ${d.momentum})`, numberWhere((v) => v >= 0 && v < 1, 'must be in [0, 1)'))
    .option('--batch-size <n>', `images per training batch (default ${d.batchSize})`, integerIn(1))
    .option('--seed <n>', `seed of weights, splits, epoch orders and noise (default ${d.seed})`, integerIn(0, 0xffffffff))
    .option('--device <name>', 'cpu, cuda or cuda:N (default: WSR_DEVICE, else the first usable GPU, else the CPU)', deviceName)
    .option('--threads <n>', 'CPU threads (default: all cores)', integerIn(1, 1024))
    .option('--validation <n>', 'validation images held out from the training images (default 5,000; a fifth of a small dataset)', integerIn(1))
    .option('--data-dir <dir>', 'the data folder (default: WSR_DATA_DIR, else ~/.cache/wsr-native)', pathValue)
    .option('--dataset <name>', `cifar10 or synthetic (generated; needs no files) (default ${d.dataset})`, oneOf(['cifar10', 'synthetic'] as const))
    .option('--limit <n>', 'train on the first N training images only', integerIn(1))
    .option('--split <mode>', "standard (train / held-out validation / test) or paper (the paper's pooled 80/20, done without its leak)", oneOf(['standard', 'paper'] as const))
    .option('--no-robustness', 'skip the five robustness accuracies (faster epochs)')
    .option('--init-from <file>', 'start the CNN from the weights in a safetensors file (names and shapes as `wsr-native export` writes them)', (v) => path.resolve(pathValue(v)))
    .option('--out <dir>', 'the run folder (default: runs/<UTC timestamp>)', pathValue)
    .option('--no-png', 'write the figures as SVG only')
    .addOption(new Option('--stop-after-epochs <n>', 'stop cleanly after N completed epochs (for tests)').argParser(integerIn(1)).hideHelp());
}

/**
 * The settings of a new run: the defaults, then `preset` (an experiment's), then every flag given.
 * --cnn-continue-epochs follows --fcn-epochs unless given or fixed by the preset.
 */
export function settingsFromFlags(flags: TrainFlags, preset: ExperimentPreset | null, experiment: number | null): TrainSettings {
  const base: TrainSettings = { ...DEFAULT_SETTINGS, experiment };
  if (preset) {
    base.noise = preset.noise;
    base.cnnEpochs = preset.cnnEpochs;
    base.fcnEpochs = preset.fcnEpochs;
    base.patience = preset.patience;
  }
  const s: TrainSettings = {
    ...base,
    noise: flags.noise ?? base.noise,
    cnnEpochs: flags.cnnEpochs ?? base.cnnEpochs,
    fcnEpochs: flags.fcnEpochs ?? base.fcnEpochs,
    patience: flags.patience ?? base.patience,
    optimizer: flags.optimizer ?? base.optimizer,
    lr: flags.lr ?? base.lr,
    momentum: flags.momentum ?? base.momentum,
    batchSize: flags.batchSize ?? base.batchSize,
    seed: flags.seed ?? base.seed,
    device: flags.device ?? defaultDevice(),
    threads: flags.threads ?? null,
    validation: flags.validation ?? null,
    dataDir: flags.dataDir ?? null,
    dataset: flags.dataset ?? base.dataset,
    limit: flags.limit ?? null,
    split: flags.split ?? base.split,
    robustness: flags.robustness ?? true,
    initFrom: flags.initFrom ?? null,
  };
  s.cnnContinueEpochs = flags.cnnContinueEpochs ?? preset?.cnnContinueEpochs ?? s.fcnEpochs;
  return s;
}
