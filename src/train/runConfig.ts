// config.json: everything needed to understand and continue a run — the settings, the package,
// the machine and device, the networks, how the data was read and split (with checksums), and,
// once they happen, the --init-from file, the conversion check and each resumption.
import fs from 'fs';
import { datasetLabels } from '../data/datasets';
import { devices, numThreads } from '../device';
import { packageRoot } from '../native';
import { specParameterCount } from '../nn/plan';
import { toLocalSpec } from '../nn/spec';
import type { ConversionCheck } from './conversion';
import type { DataReport, RunData } from './data';
import type { InitFromRecord } from './initFrom';
import { EXPERIMENT_PRESETS, TrainSettings, describeSettings } from './settings';
import { fcnOptions } from './sharing';

/** The device a run used. */
export interface DeviceReport {
  name: string;
  kind: 'cpu' | 'cuda';
  description: string;
  totalMemory?: number;
  computeCapability?: string;
}

/** config.json. */
export interface RunConfig {
  format: 'wsr-native-run';
  version: 1;
  package: { name: string; version: string };
  created: string;
  /** The command line that started the run. */
  argv: string[];
  settings: TrainSettings;
  /** The experiment preset, in words, when the run started from one. */
  experiment: { id: number; description: string } | null;
  device: DeviceReport;
  threads: number;
  node: string;
  platform: string;
  /** The two networks: name, parameter count and outputs (the classes of the run's labels). */
  networks: { cnn: NetworkRecord; fcn: NetworkRecord };
  data: DataReport;
  /** The file the CNN started from (--init-from) and its SHA-256, once loaded. */
  initFrom?: InitFromRecord;
  /** The CNN trajectory the run was forked from (a sweep's shared CNN phase), and the epoch it was taken at. */
  forkedFrom?: { run: string; epoch: number };
  /** The check that the converted FCN reproduces the CNN (null until the conversion). */
  conversion: ConversionCheck | null;
  /** Each continuation of the run. */
  resumes: { at: string; fromEpoch: number; device: string; threads: number; argv: string[] }[];
}

/** A network as config.json records it. */
export interface NetworkRecord {
  name: string;
  parameters: number;
  /** Its outputs: the classes of the run's dataset and labels (absent in runs made before --labels). */
  classes?: number;
}

function packageInfo(): { name: string; version: string } {
  const pkg = JSON.parse(fs.readFileSync(`${packageRoot}/package.json`, 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

/** The device `name` as config.json and the log describe it. */
export function deviceReport(name: string): DeviceReport {
  const found = devices().find((d) => d.name === name);
  if (!found) return { name, kind: name === 'cpu' ? 'cpu' : 'cuda', description: 'unknown' };
  return { ...found };
}

/** The config of a new run of `settings` on `device` over `data`, started by `argv`. */
export function newConfig(settings: TrainSettings, argv: string[], device: string, data: RunData): RunConfig {
  const cnn = datasetLabels(settings.dataset, settings.labels).network;
  const parameters = (form: 'cnn' | 'fcn'): NetworkRecord => {
    const spec = form === 'cnn' ? cnn : toLocalSpec(cnn, fcnOptions(settings, cnn));
    return { name: spec.name, parameters: specParameterCount(spec), classes: spec.classes };
  };
  const preset = settings.experiment !== null ? EXPERIMENT_PRESETS[settings.experiment as 0 | 1 | 2 | 3] : null;
  return {
    format: 'wsr-native-run',
    version: 1,
    package: packageInfo(),
    created: new Date().toISOString(),
    argv,
    settings,
    experiment: preset ? { id: settings.experiment!, description: preset.description } : null,
    device: deviceReport(device),
    threads: numThreads(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    networks: { cnn: parameters('cnn'), fcn: parameters('fcn') },
    data: data.report,
    conversion: null,
    resumes: [],
  };
}

/** Throws unless `data` splits into the very images `config` recorded (a resumed run must train on the same data). */
export function checkSameData(config: RunConfig, data: RunData): void {
  const before = config.data.split.checksums;
  const now = data.report.split.checksums;
  for (const part of ['train', 'validation', 'test'] as const) {
    if (before[part]?.sha256 !== now[part]?.sha256) {
      throw new Error(
        `the ${part} images differ from the run's (config.json records SHA-256 ${before[part]?.sha256 ?? 'none'}, ` +
          `now ${now[part]?.sha256 ?? 'none'}): resume with the data the run started with`,
      );
    }
  }
}

/** The lines a run starts its log with: its folder, device, settings, networks, data and split. */
export function describeStart(dir: string, device: string, config: RunConfig, data: RunData): string[] {
  const dev = deviceReport(device);
  const { cnn, fcn } = config.networks;
  return [
    `run folder: ${dir}`,
    `device: ${dev.name} (${dev.description}), ${numThreads()} CPU thread(s)`,
    describeSettings(config.settings),
    `networks: ${cnn.name} ${cnn.parameters.toLocaleString('en-US')} parameters, ${fcn.name} ${fcn.parameters.toLocaleString('en-US')}`,
    `data: ${data.report.source}`,
    data.report.split.description,
  ];
}
