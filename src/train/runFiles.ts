// The files of a run folder and their readers: where each lives, config.json, and the run state
// that says which checkpoint files make up the last completed epoch. A training run writes them
// through its RunFolder (runFolder.ts); other tools (export, sweeps, the run browser) read them here.
import fs from 'fs';
import path from 'path';
import type { EarlyStoppingState } from './evaluate';
import type { RunConfig } from './runConfig';

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

/** The file extension of checkpoints. */
export const CHECKPOINT_EXTENSION = '.safetensors';

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

/** The run state, or null when no epoch was completed yet. */
export function readRunState(paths: RunPaths): RunState | null {
  if (!fs.existsSync(paths.state)) return null;
  const state = JSON.parse(fs.readFileSync(paths.state, 'utf8')) as RunState;
  if (state.format !== 'wsr-native-run-state' || state.version !== 1) throw new Error(`${paths.state}: not a wsr-native run state`);
  return state;
}
