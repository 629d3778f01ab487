// One model in training: its network, optimizer, early stopping, best weights and counters; its
// training epoch (batches gathered on the device in the epoch's order, augmented there, forward,
// loss, backward, fused optimizer update; loss and correct count accumulate on the device and the
// host reads them once, at the end, or when a progress bar asks for a running value); and its
// checkpoints (weights AND optimizer state AND counters in one safetensors file; the best weights
// are the checkpoint of the best epoch).
import path from 'path';
import { Sequential } from '../nn/model';
import type { NetworkSpec } from '../nn/spec';
import { readLossStats, softmaxCrossEntropy } from '../ops/activation';
import { fill } from '../ops/elementwise';
import { Adam, Optimizer, OptimizerMeta, SGD } from '../ops/optim';
import { tieLocal, tiePenaltyBackward } from '../ops/sharing';
import type { ModelName } from '../report';
import { Tensor } from '../tensor';
import { AugmentPlan, DeviceSplit, augmentBatch, batchStream, batchesPerEpoch } from './batches';
import { EarlyStopping, EarlyStoppingState, PassResult } from './evaluate';
import { YieldPoint } from './progress';
import { CHECKPOINT_EXTENSION, ModelState } from './runFiles';
import { Checkpoint, CheckpointedModel, readCheckpoint, writeCheckpoint } from './runFolder';
import { TrainSettings } from './settings';
import type { SharingSettings } from './sharing';

/** How the FCN branch keeps its freed layers tied while it trains (re-tying, soft tying). */
export type Tying = Pick<SharingSettings, 'tieEvery' | 'tieStrength' | 'tiePenalty'>;

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

/** A new optimizer as the settings ask (Adam with Keras' defaults but lr; SGD with momentum). */
export function makeOptimizer(settings: Pick<TrainSettings, 'optimizer' | 'lr' | 'momentum'>): Optimizer {
  return settings.optimizer === 'sgd' ? new SGD({ lr: settings.lr, momentum: settings.momentum }) : new Adam({ lr: settings.lr });
}

/** What one training epoch needs from the run. */
export interface EpochInputs {
  /** The training images on the device. */
  train: DeviceSplit;
  /** int32 [train.count]: this epoch's order (the same for both branches; see trainingOrder). */
  order: Tensor;
  /** The epoch number (1-based, over the whole run): selects the augmentations' streams. */
  epoch: number;
  batchSize: number;
  /** The training augmentations and their seeds. */
  augment: AugmentPlan;
  yieldPoint: YieldPoint;
  /** Called after each batch with the batches done, their total, and a reader of the running mean loss (one scalar copy). */
  onBatch?: (done: number, total: number, runningLoss: () => number) => void;
}

/** A model being trained through a phase (the CNN phase) or a branch (continued CNN, FCN). */
export class ModelTrainer implements CheckpointedModel {
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
  /** float32 [1]: the soft-tying penalty summed over the epoch's steps (with a tie penalty). */
  private readonly penalty: Tensor | null;

  /** `tying` applies to the freed (locally connected) layers: the FCN branch's. */
  constructor(
    readonly name: ModelName,
    readonly model: Sequential,
    readonly optimizer: Optimizer,
    patience: number,
    private readonly tying: Tying | null = null,
  ) {
    this.early = new EarlyStopping(patience);
    this.stats = Tensor.empty([2], { device: model.device });
    this.penalty = tying && tying.tiePenalty > 0 ? Tensor.empty([1], { device: model.device }) : null;
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

  /**
   * Trains one epoch over `inputs.train` in `inputs.order`; returns the mean loss and accuracy over
   * the epoch's augmented batches (as the network saw them while it trained), and the mean tie
   * penalty of its steps (with one). Re-tying counts optimizer steps over the whole phase.
   */
  async trainEpoch(inputs: EpochInputs): Promise<PassResult & { tiePenalty: number | null }> {
    const { model, optimizer, stats, penalty, tying } = this;
    const freed = tying ? model.localLayers() : [];
    const { train, order, epoch, batchSize, augment, yieldPoint, onBatch } = inputs;
    const parameters = model.parameters();
    const values = parameters.map((p) => p.value);
    const grads = parameters.map((p) => p.grad);
    const total = batchesPerEpoch(train.count, batchSize);
    fill(stats, 0);
    if (penalty) fill(penalty, 0);
    const firstStep = this.epochsInPhase * total;
    let seen = 0;
    for (let batch = 0; batch < total; batch++) {
      const offset = batch * batchSize;
      const n = Math.min(batchSize, train.count - offset);
      const b = train.gather(order, offset, n);
      const x = augmentBatch(b, augment, batchStream(epoch, batch, total));
      const logits = model.forward(x, true);
      softmaxCrossEntropy(logits, b.y, { stats, accumulate: true, dlogits: b.dlogits });
      model.backward(b.dlogits);
      if (penalty) for (const l of freed) tiePenaltyBackward(l.weight, l.bias, l.weightGrad, l.biasGrad, tying!.tiePenalty, penalty);
      optimizer.step(values, grads);
      if (tying && tying.tieEvery > 0 && (firstStep + batch + 1) % tying.tieEvery === 0) {
        for (const l of freed) tieLocal(l.weight, l.bias, tying.tieStrength);
      }
      seen += n;
      if (onBatch) {
        const rows = seen;
        onBatch(batch + 1, total, () => readLossStats(stats, rows).loss);
      }
      await yieldPoint.maybeYield();
    }
    this.epoch = epoch;
    this.epochsInPhase++;
    const { loss, accuracy } = readLossStats(stats, train.count);
    return { loss, accuracy, tiePenalty: penalty ? penalty.toArray()[0] / total : null };
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
  save(checkpoints: string): ModelState {
    const file = checkpointName(this.name, this.epoch);
    this.writeCheckpoint(path.join(checkpoints, file));
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
  restore(checkpoints: string, state: ModelState, patience: number): void {
    const file = path.join(checkpoints, state.file);
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
    this.bestWeights = state.bestFile ? readWeights(path.join(checkpoints, state.bestFile)) : null;
  }

  /** Writes its current weights, optimizer state and counters to `file`. */
  writeCheckpoint(file: string): void {
    writeCheckpoint(file, checkpointOf(this));
  }

  /** Frees the model, the optimizer state and the statistics tensor. */
  dispose(): void {
    this.model.dispose();
    this.optimizer.dispose();
    this.stats.dispose();
    this.penalty?.dispose();
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
