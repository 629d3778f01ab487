// The run folder: where each file lives, config.json, and the run state that says which
// checkpoint files make up the last completed epoch.
import fs from 'fs';
import path from 'path';
import { writeJsonAtomic } from '../util/atomic';
import { CHECKPOINT_EXTENSION } from './checkpoint';
import type { DataReport } from './data';
import type { ConversionCheck } from './conversion';
import type { EarlyStoppingState } from './earlyStopping';
import { TrainSettings } from './settings';
import type { InitFromRecord } from '../weights/initFrom';

/** Paths inside a run folder. */
export interface RunPaths {
  dir: string;
  config: string;
  csv: string;
  jsonl: string;
  figures: string;
  checkpoints: string;
  state: string;
  /** The CNN at the end of its phase (best weights restored) with its optimizer state. */
  cnnPhase: string;
}

/** The paths of run folder `dir`. */
export function runPaths(dir: string): RunPaths {
  const abs = path.resolve(dir);
  const checkpoints = path.join(abs, 'checkpoints');
  return {
    dir: abs,
    config: path.join(abs, 'config.json'),
    csv: path.join(abs, 'metrics.csv'),
    jsonl: path.join(abs, 'metrics.jsonl'),
    figures: path.join(abs, 'figures'),
    checkpoints,
    state: path.join(checkpoints, 'state.json'),
    cnnPhase: path.join(checkpoints, `cnn_phase${CHECKPOINT_EXTENSION}`),
  };
}

/** The default run folder: runs/<UTC timestamp> under the working folder. */
export function defaultRunDir(now = new Date()): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  return path.join('runs', stamp);
}

/** The device a run used. */
export interface DeviceReport {
  name: string;
  kind: 'cpu' | 'cuda';
  description: string;
  totalMemory?: number;
  computeCapability?: string;
}

/** config.json: everything needed to understand and continue a run. */
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
  networks: { cnn: { name: string; parameters: number }; fcn: { name: string; parameters: number } };
  data: DataReport;
  /** The file the CNN started from (--init-from) and its SHA-256, once loaded. */
  initFrom?: InitFromRecord;
  /** The check that the converted FCN reproduces the CNN (null until the conversion). */
  conversion: ConversionCheck | null;
  /** Each continuation of the run. */
  resumes: { at: string; fromEpoch: number; device: string; threads: number; argv: string[] }[];
}

/** Writes config.json atomically. */
export function writeConfig(paths: RunPaths, config: RunConfig): void {
  writeJsonAtomic(paths.config, config);
}

/** Reads config.json; throws an error that says what is wrong when it is missing or not a run's. */
export function readConfig(paths: RunPaths): RunConfig {
  if (!fs.existsSync(paths.config)) throw new Error(`${paths.dir}: no config.json (is it a wsr-native run folder?)`);
  const config = JSON.parse(fs.readFileSync(paths.config, 'utf8')) as RunConfig;
  if (config.format !== 'wsr-native-run' || config.version !== 1 || typeof config.settings !== 'object') {
    throw new Error(`${paths.config}: not a wsr-native run configuration`);
  }
  return config;
}

/** One model's part of the run state. */
export interface ModelState {
  /** Checkpoint of its weights and optimizer state after `epoch` (a file name in checkpoints/). */
  file: string;
  /** The checkpoint of its best epoch so far (a file name in checkpoints/; its weights are the best ones), or null. */
  bestFile: string | null;
  /** The last epoch it trained (global numbering). */
  epoch: number;
  /** Epochs it trained in the current phase or branch. */
  epochsInPhase: number;
  earlyStopping: EarlyStoppingState;
  /** True once its phase or branch ended (epoch cap or early stop) and its best weights were restored. */
  finished: boolean;
  /** Test accuracy at the end of its phase or branch (null until then, or without a test set). */
  testAccuracy: number | null;
}

/** checkpoints/state.json: the last completed epoch and the files that hold it. */
export interface RunState {
  format: 'wsr-native-run-state';
  version: 1;
  /** 'cnn': in the CNN phase; 'branch': after the conversion; 'done': finished. */
  phase: 'cnn' | 'branch' | 'done';
  /** The last epoch completed by every model still training (global numbering). */
  completedEpoch: number;
  /** The epoch the CNN was converted at (null before). */
  conversionEpoch: number | null;
  models: { cnn: ModelState; fcn: ModelState | null };
  updated: string;
}

/** Writes the run state atomically (the last write of an epoch: it makes the epoch's checkpoints current). */
export function writeRunState(paths: RunPaths, state: RunState): void {
  writeJsonAtomic(paths.state, state);
}

/** The run state, or null when no epoch was completed yet. */
export function readRunState(paths: RunPaths): RunState | null {
  if (!fs.existsSync(paths.state)) return null;
  const state = JSON.parse(fs.readFileSync(paths.state, 'utf8')) as RunState;
  if (state.format !== 'wsr-native-run-state' || state.version !== 1) throw new Error(`${paths.state}: not a wsr-native run state`);
  return state;
}

/**
 * Deletes the checkpoint files in checkpoints/ that `state` does not name (older epochs), keeping
 * cnn_phase.safetensors and state.json.
 */
export function pruneCheckpoints(paths: RunPaths, state: RunState): void {
  const keep = new Set(['state.json', path.basename(paths.cnnPhase)]);
  for (const m of [state.models.cnn, state.models.fcn]) {
    if (!m) continue;
    keep.add(m.file);
    if (m.bestFile) keep.add(m.bestFile);
  }
  for (const name of fs.readdirSync(paths.checkpoints)) {
    if (name.endsWith(CHECKPOINT_EXTENSION) && !keep.has(name)) fs.rmSync(path.join(paths.checkpoints, name), { force: true });
  }
}
