// The run folder a training run holds, through one RunFolder object: its lock (one writer per
// folder), config.json, the checkpoints (safetensors files with a JSON meta) and the run state that
// makes an epoch's checkpoints current, and the metrics. Its files, and how other tools read
// them, are in runFiles.ts.
import fs from 'fs';
import path from 'path';
import { MetricsLog } from '../report';
import type { EpochRecord } from '../report';
import { SafetensorsError, readSafetensors, writeSafetensors } from '../safetensors';
import { removeStaleTempFiles, writeJsonAtomic } from '../util/atomic';
import { testKillPoint } from '../util/testHooks';
import { RUN_EXISTS, RunLock, acquireRunLock, describeTakeOver } from './lock';
import type { RunConfig } from './runConfig';
import { CHECKPOINT_EXTENSION, ModelState, RunPaths, RunState, readConfig, readRunState, runPaths } from './runFiles';

// ---- checkpoint files: safetensors files whose tensors are named float32 arrays (weights
// `param/…`, optimizer state `optimizer/…`) and whose `__metadata__` holds `format:
// wsr-native-checkpoint`, `version`, and each key of the meta as JSON text. Any safetensors reader
// (PyTorch, NumPy) opens them; written atomically. ---------------------------------------------

const CHECKPOINT_FORMAT = 'wsr-native-checkpoint';
const CHECKPOINT_VERSION = 2;

/** What a checkpoint holds: a JSON-able meta object and named arrays (1-D unless `shapes` says otherwise). */
export interface Checkpoint<Meta = Record<string, unknown>> {
  meta: Meta;
  tensors: Map<string, Float32Array>;
  /** The shape of each tensor, where it has one (written into the file; read back for every tensor). */
  shapes?: Map<string, readonly number[]>;
}

/** Writes a checkpoint atomically (a reader sees the old file or the new one, never a torn one). */
export function writeCheckpoint(file: string, checkpoint: Checkpoint<object>): void {
  const metadata: Record<string, string> = { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION) };
  for (const [key, value] of Object.entries(checkpoint.meta)) {
    if (key === 'format' || key === 'version') throw new RangeError(`${file}: the checkpoint meta may not use the key ${key}`);
    metadata[key] = JSON.stringify(value);
  }
  const tensors = [...checkpoint.tensors].map(([name, data]) => ({ name, data, shape: checkpoint.shapes?.get(name) ?? [data.length] }));
  writeSafetensors(file, tensors, metadata);
}

/**
 * Reads a checkpoint written by {@link writeCheckpoint}; throws an error naming the file (and the
 * tensor) when it is not one, is truncated or damaged. With `select`, only the tensors it accepts
 * are read (the others are skipped on disk).
 */
export function readCheckpoint<Meta = Record<string, unknown>>(
  file: string,
  select?: (name: string) => boolean,
): Checkpoint<Meta> & { shapes: Map<string, readonly number[]> } {
  let contents;
  try {
    contents = readSafetensors(file, select);
  } catch (error) {
    if (!(error instanceof SafetensorsError)) throw error;
    if (error.kind === 'truncated') throw new Error(`${file}: checkpoint is truncated (${error.problem})`);
    if (error.kind === 'format') throw new Error(`${file}: not a wsr-native checkpoint (${error.problem})`);
    throw new Error(`${file}: damaged checkpoint (${error.problem})`);
  }
  const { metadata } = contents;
  if (metadata.format !== CHECKPOINT_FORMAT || metadata.version !== String(CHECKPOINT_VERSION)) {
    throw new Error(
      `${file}: not a wsr-native checkpoint (a safetensors file with format ${JSON.stringify(metadata.format ?? null)}, ` +
        `version ${JSON.stringify(metadata.version ?? null)}; expected ${CHECKPOINT_FORMAT} version ${CHECKPOINT_VERSION})`,
    );
  }
  const meta: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(metadata)) {
    if (key === 'format' || key === 'version') continue;
    try {
      meta[key] = JSON.parse(text);
    } catch {
      throw new Error(`${file}: checkpoint metadata ${key} is not JSON`);
    }
  }
  const tensors = new Map<string, Float32Array>();
  const shapes = new Map<string, readonly number[]>();
  for (const [name, t] of contents.tensors) {
    tensors.set(name, t.data);
    shapes.set(name, t.shape);
  }
  return { meta: meta as Meta, tensors, shapes };
}

// ---- the folder a run holds -------------------------------------------------------------------

/** checkpoints/state-e0005.json: the run state kept after a CNN epoch that runs fork from. */
export function snapshotFile(paths: RunPaths, epoch: number): string {
  return path.join(paths.checkpoints, `state-e${String(epoch).padStart(4, '0')}.json`);
}

/** Every kept state of the run (its snapshots), in epoch order. */
export function snapshots(paths: RunPaths): RunState[] {
  if (!fs.existsSync(paths.checkpoints)) return [];
  return fs
    .readdirSync(paths.checkpoints)
    .filter((name) => /^state-e\d{4,}\.json$/.test(name))
    .sort()
    .map((name) => JSON.parse(fs.readFileSync(path.join(paths.checkpoints, name), 'utf8')) as RunState);
}

/** How a run holds its folder. */
export interface RunFolderOptions {
  png?: boolean;
  warn: (message: string) => void;
  /** CNN epochs whose state and checkpoints stay (a trajectory's: runs fork from them; trajectory.ts). */
  keepEpochs?: readonly number[];
}

/** What the folder needs of a model in training (trainer.ts's ModelTrainer). */
export interface CheckpointedModel {
  /** Writes its checkpoint for its current epoch into `checkpoints`; returns its part of the run state. */
  save(checkpoints: string): ModelState;
  /** Writes its checkpoint to `file`. */
  writeCheckpoint(file: string): void;
  /** Restores it from the files `state` names in `checkpoints`. */
  restore(checkpoints: string, state: ModelState, patience: number): void;
}

/**
 * A run folder held by this process: its lock (a takeover of it, when this process was frozen past
 * its lease, calls `onLost`), config.json, the checkpoints and run state, and the metrics.
 */
export class RunFolder {
  readonly paths: RunPaths;
  readonly metrics: MetricsLog;
  private current: RunConfig | null = null;

  private constructor(
    dir: string,
    private readonly lock: RunLock,
    private readonly existed: boolean,
    private readonly options: RunFolderOptions,
  ) {
    this.paths = runPaths(dir);
    this.metrics = new MetricsLog(this.paths.dir, options);
    removeStaleTempFiles([this.paths.dir, this.paths.checkpoints, this.paths.figures]); // what writers killed mid-write left (the lock is ours)
  }

  /** Takes the lock of folder `dir` (throws RunLockedError while another live process holds it). */
  static open(dir: string, options: RunFolderOptions & { onLost: (message: string) => void }): RunFolder {
    const existed = fs.existsSync(dir);
    const lock = acquireRunLock(dir, { onLost: options.onLost, onWait: options.warn });
    if (lock.tookOver !== null) options.warn(describeTakeOver(lock.tookOver));
    return new RunFolder(dir, lock, existed, options);
  }

  /** Starts a new run with `config`; refuses a folder that holds one. */
  create(config: RunConfig): void {
    if (fs.existsSync(this.paths.config)) {
      throw Object.assign(new Error(`${this.paths.dir} already holds a run; continue it with --resume ${this.paths.dir}, or choose another --out`), { code: RUN_EXISTS });
    }
    fs.mkdirSync(this.paths.checkpoints, { recursive: true });
    this.updateConfig(() => {}, config);
  }

  /**
   * Continues the run: its config.json (`check` may refuse it), the run state of its last completed
   * epoch (null: none), and the records of the completed epochs (those of later ones are dropped).
   */
  resume(check: (config: RunConfig) => void): { config: RunConfig; state: RunState | null; droppedRecords: number } {
    const config = readConfig(this.paths);
    check(config);
    this.current = config;
    fs.mkdirSync(this.paths.checkpoints, { recursive: true });
    const state = readRunState(this.paths);
    const completed = state?.completedEpoch ?? 0;
    // A conversion record is kept only once the state says the conversion is done.
    const keep = (r: EpochRecord): boolean => r.epoch <= completed && (state?.phase !== 'cnn' || r.model === 'cnn');
    return { config, state, droppedRecords: this.metrics.load(keep) };
  }

  /** The run's config.json, as last written. */
  get config(): RunConfig {
    if (!this.current) throw new Error(`${this.paths.dir}: the run folder was neither created nor resumed`);
    return this.current;
  }

  /** Changes config.json (the conversion check, --init-from, a resumption) and writes it atomically. */
  updateConfig(change: (config: RunConfig) => void, config = this.config): void {
    change(config);
    writeJsonAtomic(this.paths.config, config);
    this.current = config;
  }

  /** Writes `model`'s checkpoint of its current epoch; returns its part of the run state. */
  saveModel(model: CheckpointedModel): ModelState {
    return model.save(this.paths.checkpoints);
  }

  /** Restores `model` from the checkpoint files `state` names. */
  restoreModel(model: CheckpointedModel, state: ModelState, patience: number): void {
    model.restore(this.paths.checkpoints, state, patience);
  }

  /** Writes the CNN at the end of its phase to checkpoints/cnn_phase.safetensors. */
  savePhaseCheckpoint(model: CheckpointedModel): void {
    model.writeCheckpoint(this.paths.cnnPhase);
  }

  /**
   * Writes the run state (the last write of an epoch: it makes its checkpoints current; of a CNN
   * epoch in `keepEpochs`, a snapshot too, for runs forked from it), then deletes the checkpoints
   * that neither it nor a snapshot names.
   */
  saveState(state: Omit<RunState, 'format' | 'version' | 'updated'>): void {
    const full: RunState = { format: 'wsr-native-run-state', version: 1, ...state, updated: new Date().toISOString() };
    writeJsonAtomic(this.paths.state, full);
    if (!full.models.fcn && this.options.keepEpochs?.includes(full.completedEpoch)) writeJsonAtomic(snapshotFile(this.paths, full.completedEpoch), full);
    const keep = new Set(['state.json', path.basename(this.paths.cnnPhase)]);
    for (const m of [full, ...(this.options.keepEpochs ? snapshots(this.paths) : [])].flatMap((s) => [s.models.cnn, s.models.fcn])) {
      if (!m) continue;
      keep.add(m.file);
      if (m.bestFile) keep.add(m.bestFile);
    }
    for (const name of fs.readdirSync(this.paths.checkpoints)) {
      if (name.endsWith(CHECKPOINT_EXTENSION) && !keep.has(name)) fs.rmSync(path.join(this.paths.checkpoints, name), { force: true });
    }
    if (full.phase === 'branch' && full.completedEpoch === full.conversionEpoch) testKillPoint('after-conversion'); // the chaos test's
  }

  /**
   * Lets go of the folder once the figures are written. A new run that failed before writing
   * anything (missing data, say) leaves no empty folder behind.
   */
  async close(failed: boolean): Promise<void> {
    try {
      await this.metrics.figuresWritten();
    } finally {
      this.lock.release();
      if (failed && !this.existed) {
        try {
          fs.rmdirSync(this.paths.dir);
        } catch {
          // Not empty (or already gone): keep it.
        }
      }
    }
  }
}
