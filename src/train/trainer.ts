// One model in training: its network, optimizer, early stopping, best weights and counters, and
// its checkpoints (weights AND optimizer state AND counters in one safetensors file; the best
// weights are the checkpoint of the best epoch).
import path from 'path';
import { Sequential } from '../nn/model';
import type { NetworkSpec } from '../nn/spec';
import type { ModelName } from '../report';
import { Tensor } from '../tensor';
import { CHECKPOINT_EXTENSION, Checkpoint, readCheckpoint, writeCheckpoint } from './checkpoint';
import { EarlyStopping, EarlyStoppingState } from './earlyStopping';
import { EpochInputs, trainEpoch } from './epoch';
import { PassResult } from './evaluate';
import { Optimizer, OptimizerMeta } from './optimizer';
import { ModelState, RunPaths } from './runFolder';

const PARAM_PREFIX = 'param/';
const OPTIMIZER_PREFIX = 'optimizer/';

/** The meta of a model checkpoint. */
export interface ModelCheckpointMeta {
  model: ModelName;
  /** The network the weights belong to. */
  network: NetworkSpec;
  epoch: number;
  epochsInPhase: number;
  earlyStopping: EarlyStoppingState;
  finished: boolean;
  testAccuracy: number | null;
  optimizer: OptimizerMeta;
}

/** The checkpoint file name of `model` after `epoch`: `cnn-e0004.safetensors`. */
export function checkpointName(model: ModelName, epoch: number): string {
  return `${model}-e${String(epoch).padStart(4, '0')}${CHECKPOINT_EXTENSION}`;
}

/** A model being trained through a phase (the CNN phase) or a branch (continued CNN, FCN). */
export class ModelTrainer {
  /** The last epoch this model trained (global numbering; 0 before any). */
  epoch = 0;
  /** Epochs trained in the current phase or branch. */
  epochsInPhase = 0;
  /** True once the phase or branch ended and the best weights are back in the model. */
  finished = false;
  /** Test accuracy of the restored best weights at the end of the phase or branch. */
  testAccuracy: number | null = null;
  private early: EarlyStopping;
  private bestWeights: Map<string, Float32Array> | null = null;
  private bestFile: string | null = null;
  private bestDirty = false;
  private readonly stats: Tensor;

  constructor(
    readonly name: ModelName,
    readonly model: Sequential,
    readonly optimizer: Optimizer,
    patience: number,
  ) {
    this.early = new EarlyStopping(patience);
    this.stats = Tensor.empty([2], { device: model.device });
  }

  /** Starts a new phase or branch: fresh early stopping and counters; weights and optimizer state carry on. */
  beginPhase(patience: number): void {
    this.early = new EarlyStopping(patience);
    this.epochsInPhase = 0;
    this.finished = false;
    this.testAccuracy = null;
    this.bestWeights = null;
    this.bestFile = null;
    this.bestDirty = false;
  }

  /** Trains one epoch (see trainEpoch). */
  async trainEpoch(inputs: EpochInputs): Promise<PassResult> {
    const result = await trainEpoch({ model: this.model, optimizer: this.optimizer, stats: this.stats }, inputs);
    this.epoch = inputs.epoch;
    this.epochsInPhase++;
    return result;
  }

  /** Records the epoch's validation accuracy; keeps a copy of the weights when it is the best so far. Returns whether it was. */
  noteValidation(valAccuracy: number): boolean {
    const improved = this.early.update(this.epoch, valAccuracy);
    if (improved) {
      this.bestWeights = this.model.state();
      this.bestDirty = true;
    }
    return improved;
  }

  /** Whether early stopping has run out of patience. */
  get stoppedEarly(): boolean {
    return this.early.stopped;
  }

  /** The best validation accuracy of the phase and its epoch. */
  get best(): { accuracy: number | null; epoch: number | null } {
    return { accuracy: this.early.best, epoch: this.early.bestEpoch };
  }

  /** Ends the phase or branch: puts the best weights back (when there are any) and marks it finished. */
  finish(): void {
    if (this.bestWeights) this.model.loadState(this.bestWeights);
    this.finished = true;
  }

  /**
   * Writes the model's checkpoint for its current epoch (`<name>-e<epoch>.safetensors`: weights, optimizer
   * state, counters). The checkpoint of the best epoch doubles as the best-weights file (the run
   * state names it, so it is kept until a better epoch comes). Returns the model's part of the run
   * state; the files become current once the run state naming them is written.
   */
  save(paths: RunPaths): ModelState {
    const file = checkpointName(this.name, this.epoch);
    writeCheckpoint(path.join(paths.checkpoints, file), checkpointOf(this));
    // A new best is always the epoch just trained: its model checkpoint holds the best weights.
    if (this.bestDirty) {
      this.bestFile = file;
      this.bestDirty = false;
    }
    return this.state(file);
  }

  /** The model's part of the run state, with its checkpoint `file`. */
  state(file: string): ModelState {
    return {
      file,
      bestFile: this.bestFile,
      epoch: this.epoch,
      epochsInPhase: this.epochsInPhase,
      earlyStopping: this.early.state(),
      finished: this.finished,
      testAccuracy: this.testAccuracy,
    };
  }

  /**
   * Restores weights, optimizer state, counters, early stopping and best weights from the files
   * a run state names (the model and optimizer must be of the run's spec and kind).
   */
  restore(paths: RunPaths, state: ModelState, patience: number): void {
    const file = path.join(paths.checkpoints, state.file);
    const ckpt = readCheckpoint<ModelCheckpointMeta>(file);
    if (ckpt.meta.model !== this.name) throw new Error(`${file}: holds model ${ckpt.meta.model}, expected ${this.name}`);
    this.model.loadState(withoutPrefix(ckpt.tensors, PARAM_PREFIX));
    this.optimizer.importState(ckpt.meta.optimizer, withoutPrefix(ckpt.tensors, OPTIMIZER_PREFIX), file);
    this.epoch = state.epoch;
    this.epochsInPhase = state.epochsInPhase;
    this.finished = state.finished;
    this.testAccuracy = state.testAccuracy;
    this.early = new EarlyStopping(patience, state.earlyStopping);
    this.bestFile = state.bestFile;
    this.bestDirty = false;
    this.bestWeights = state.bestFile ? readWeights(path.join(paths.checkpoints, state.bestFile)) : null;
  }

  /** Frees the model, the optimizer state and the statistics tensor. */
  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
    this.stats.dispose();
  }
}

/**
 * A trainer's checkpoint: its weights (`param/<name>`, with their shapes), its optimizer's state
 * arrays (`optimizer/<name>`, each with the shape of its parameter), counters and early stopping.
 */
function checkpointOf(trainer: ModelTrainer): Checkpoint<ModelCheckpointMeta> {
  const { model, optimizer } = trainer;
  const tensors = new Map<string, Float32Array>();
  const shapes = new Map<string, readonly number[]>();
  const parameters = model.parameters();
  const shapeOf = new Map<string, readonly number[]>(parameters.map((p) => [p.name, p.value.shape]));
  for (const l of model.localLayers()) if (l.tied) shapeOf.set(`${l.name}.tied`, l.tied.shape);
  for (const [name, values] of model.state()) {
    tensors.set(PARAM_PREFIX + name, values);
    shapes.set(PARAM_PREFIX + name, shapeOf.get(name)!);
  }
  const state = optimizer.exportState();
  for (const a of state.arrays) {
    tensors.set(OPTIMIZER_PREFIX + a.name, a.values);
    shapes.set(OPTIMIZER_PREFIX + a.name, parameters[a.parameter].value.shape);
  }
  const meta: ModelCheckpointMeta = {
    model: trainer.name,
    network: model.spec,
    epoch: trainer.epoch,
    epochsInPhase: trainer.epochsInPhase,
    earlyStopping: trainer.state('').earlyStopping,
    finished: trainer.finished,
    testAccuracy: trainer.testAccuracy,
    optimizer: state.meta,
  };
  return { meta, tensors, shapes };
}

function withoutPrefix(tensors: Map<string, Float32Array>, prefix: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

function readWeights(file: string): Map<string, Float32Array> {
  return withoutPrefix(readCheckpoint(file, (name) => name.startsWith(PARAM_PREFIX)).tensors, PARAM_PREFIX);
}

/** Reads the weights (only) of a model checkpoint, e.g. checkpoints/cnn_phase.safetensors, with their shapes. */
export function readModelWeights(file: string): {
  meta: ModelCheckpointMeta;
  weights: Map<string, Float32Array>;
  shapes: Map<string, readonly number[]>;
} {
  const ckpt = readCheckpoint<ModelCheckpointMeta>(file, (name) => name.startsWith(PARAM_PREFIX));
  const shapes = new Map([...ckpt.shapes].map(([k, v]) => [k.slice(PARAM_PREFIX.length), v]));
  return { meta: ckpt.meta, weights: withoutPrefix(ckpt.tensors, PARAM_PREFIX), shapes };
}

/** Writes `trainer`'s current weights and optimizer state to `file` (the cnn_phase checkpoint). */
export function writePhaseCheckpoint(file: string, trainer: ModelTrainer): void {
  writeCheckpoint(file, checkpointOf(trainer));
}
