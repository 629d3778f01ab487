// How a model is judged after each epoch: evaluation passes (loss and accuracy on a split, clean
// and under the five robustness perturbations, on fixed streams so every epoch and both models see
// the same perturbed images; statistics accumulate on the device and the host reads a few floats
// once a pass), the filter divergence of its locally connected layers, early stopping on
// validation accuracy, and the epoch's record (a row of metrics.csv / metrics.jsonl).
import { Sequential } from '../nn/model';
import { readLossStats, softmaxCrossEntropy } from '../ops/activation';
import { ROBUSTNESS_PERTURBATIONS, RobustnessColumn, applyAugmentation } from '../ops/augment';
import { PAPER_RADII, localDistances, referenceDistanceArrays } from '../ops/distance';
import { fill } from '../ops/elementwise';
import type { EpochRecord, LayerDivergence, ModelName, PhaseName } from '../report';
import { Tensor } from '../tensor';
import { augmentationColumns } from './augmentations';
import { DeviceSplit, robustnessStream } from './batches';
import { YieldPoint } from './progress';
import { TrainSettings } from './settings';

// ---- evaluation passes ------------------------------------------------------------------------

/** The robustness columns in their published order. */
export const ROBUSTNESS_COLUMNS: readonly RobustnessColumn[] = ['translation', 'noise', 'edge_noise', 'rotation', 'swap'];

/** Loss and accuracy of one pass. */
export interface PassResult {
  loss: number;
  accuracy: number;
}

/** A clean pass and, when asked for, the accuracy under each perturbation. */
export interface EvaluationResult extends PassResult {
  /** Accuracy under each perturbation (NaN when robustness was not measured). */
  robustness: Record<RobustnessColumn, number>;
}

/** Evaluates models on one split with reusable device statistics. */
export class Evaluator {
  private readonly stats: Tensor[];

  /**
   * @param split the images to evaluate on
   * @param batchSize images per forward pass
   * @param robustnessSeed the 32-bit seed of the perturbations
   */
  constructor(
    private readonly split: DeviceSplit,
    private readonly batchSize: number,
    private readonly robustnessSeed: number,
  ) {
    this.stats = Array.from({ length: 1 + ROBUSTNESS_COLUMNS.length }, () => Tensor.empty([2], { device: split.device }));
  }

  /**
   * Runs `model` (in inference mode) over the split; with `robustness`, also over the five
   * perturbed copies of every batch.
   */
  async evaluate(model: Sequential, robustness: boolean, yieldPoint?: YieldPoint): Promise<EvaluationResult> {
    const { split, batchSize, stats } = this;
    for (const s of stats) fill(s, 0);
    for (let offset = 0, batch = 0; offset < split.count; offset += batchSize, batch++) {
      const n = Math.min(batchSize, split.count - offset);
      const b = split.gather(split.identity, offset, n);
      softmaxCrossEntropy(model.forward(b.x, false), b.y, { stats: stats[0], accumulate: true, gradient: false });
      if (robustness) {
        ROBUSTNESS_COLUMNS.forEach((column, k) => {
          applyAugmentation(b.x, ROBUSTNESS_PERTURBATIONS[column], this.robustnessSeed, robustnessStream(k, batch), b.perturbed);
          softmaxCrossEntropy(model.forward(b.perturbed, false), b.y, { stats: stats[k + 1], accumulate: true, gradient: false });
        });
      }
      if (yieldPoint) await yieldPoint.maybeYield();
    }
    const clean = readLossStats(stats[0], split.count);
    const result = Object.fromEntries(
      ROBUSTNESS_COLUMNS.map((column, k) => [column, robustness ? readLossStats(stats[k + 1], split.count).accuracy : NaN]),
    ) as Record<RobustnessColumn, number>;
    return { loss: clean.loss, accuracy: clean.accuracy, robustness: result };
  }

  /** Frees the statistics tensors (not the split). */
  dispose(): void {
    for (const s of this.stats) s.dispose();
  }
}

// ---- filter divergence: the papers' neighbour distances (dist_r, cos_r for r = 1 and 4) and each
// position's distance from the tied filter it started as (its mean, and the map for the heat map) --

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** The divergence measures of each LC layer of `model`, in layer order (empty for a CNN). */
export function layerDivergences(model: Sequential): LayerDivergence[] {
  return model.localLayers().map(({ name, weight, tied }) => {
    const dist: Record<number, number | null> = {};
    const cos: Record<number, number | null> = {};
    for (const d of localDistances(weight, PAPER_RADII)) {
      dist[d.radius] = orNull(d.dist);
      cos[d.radius] = orNull(d.cos);
    }
    const layer: LayerDivergence = { layer: name, dist, cos, divergence: NaN };
    if (tied) {
      const map = referenceDistanceArrays(weight, tied);
      let sum = 0;
      for (const v of map.dist) sum += v;
      layer.divergence = sum / map.dist.length;
      layer.divergenceMap = { height: map.shape[0], width: map.shape[1], values: Array.from(map.dist) };
    }
    return layer;
  });
}

// ---- early stopping on validation accuracy (Keras' EarlyStopping: monitor 'val_accuracy',
// min_delta 0, restore the best weights), as plain state that a checkpoint can hold -----------------

/** The state of {@link EarlyStopping}, JSON-serialisable. */
export interface EarlyStoppingState {
  patience: number;
  /** The best validation accuracy so far (null before the first epoch). */
  best: number | null;
  /** The epoch that reached it. */
  bestEpoch: number | null;
  /** Epochs since the best one. */
  wait: number;
  /** Whether patience ran out. */
  stopped: boolean;
}

/** Tracks the best validation accuracy and says when patience has run out. */
export class EarlyStopping {
  private s: EarlyStoppingState;

  constructor(patience: number, state?: EarlyStoppingState) {
    if (!Number.isInteger(patience) || patience < 1) throw new RangeError(`patience must be an integer >= 1, got ${patience}`);
    this.s = state ? { ...state, patience } : { patience, best: null, bestEpoch: null, wait: 0, stopped: false };
  }

  /**
   * Records an epoch's validation accuracy; returns whether it is a new best (strictly better;
   * a NaN never is). Once `patience` epochs pass without one, {@link stopped} turns true.
   */
  update(epoch: number, valAccuracy: number): boolean {
    const improved = !Number.isNaN(valAccuracy) && (this.s.best === null || valAccuracy > this.s.best);
    if (improved) {
      this.s.best = valAccuracy;
      this.s.bestEpoch = epoch;
      this.s.wait = 0;
    } else {
      this.s.wait++;
      if (this.s.wait >= this.s.patience) this.s.stopped = true;
    }
    return improved;
  }

  get stopped(): boolean {
    return this.s.stopped;
  }
  get best(): number | null {
    return this.s.best;
  }
  get bestEpoch(): number | null {
    return this.s.bestEpoch;
  }

  /** A copy of the state. */
  state(): EarlyStoppingState {
    return { ...this.s };
  }
}

// ---- the epoch's record and its one-line summary ------------------------------------------------

/** What an epoch of one model measured. */
export interface EpochMeasurements {
  epoch: number;
  model: ModelName;
  phase: PhaseName;
  /** The training pass, and the mean soft-tying penalty of its steps (null without one). */
  train: PassResult & { tiePenalty?: number | null };
  validation: EvaluationResult;
  testAccuracy: number | null;
  layers: LayerDivergence[];
  seconds: number;
}

/** The columns a run's records share: its training augmentation (aug_type, aug), its learning rate, and the FCN's vcp and rank. */
export type RunColumns = Pick<EpochRecord, 'aug_type' | 'aug' | 'vcp' | 'learning_rate' | 'lc_rank'>;

/** The columns every record of a run with `settings` shares (worked out once, before the first epoch). */
export function runColumns(settings: TrainSettings): RunColumns {
  return { ...augmentationColumns(settings), vcp: settings.vcp, learning_rate: settings.lr, lc_rank: settings.lcRank };
}

/** The record of an epoch, in the published columns' terms. */
export function epochRecord(run: RunColumns, m: EpochMeasurements): EpochRecord {
  return {
    epoch: m.epoch,
    model: m.model,
    phase: m.phase,
    aug_type: run.aug_type,
    aug: run.aug,
    vcp: m.model === 'fcn' ? run.vcp : 0, // the masks are the FCN's
    loss: m.train.loss,
    val_loss: m.validation.loss,
    accuracy: m.train.accuracy,
    val_accuracy: m.validation.accuracy,
    translation: m.validation.robustness.translation,
    noise: m.validation.robustness.noise,
    edge_noise: m.validation.robustness.edge_noise,
    rotation: m.validation.robustness.rotation,
    swap: m.validation.robustness.swap,
    test_accuracy: m.testAccuracy,
    layers: m.layers,
    seconds: m.seconds,
    learning_rate: run.learning_rate,
    tie_penalty: m.train.tiePenalty ?? null,
    lc_rank: m.model === 'fcn' ? (run.lc_rank ?? null) : null,
  };
}

const pct = (v: number): string => (Number.isNaN(v) ? '-' : `${(100 * v).toFixed(2)}%`);
const num = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toPrecision(4));

/** One line about a record: train and validation loss/accuracy, robustness, distances, time. */
export function recordLine(r: EpochRecord, label: string, best: boolean): string {
  const robust = Number.isNaN(r.translation)
    ? ''
    : ` | robust T ${pct(r.translation)} N ${pct(r.noise)} E ${pct(r.edge_noise)} R ${pct(r.rotation)} S ${pct(r.swap)}`;
  const first = r.layers[0];
  const dist = first
    ? ` | ${first.layer} dist_1 ${num(first.dist[1])} dist_4 ${num(first.dist[4])} cos_1 ${num(first.cos[1])} ` +
      `cos_4 ${num(first.cos[4])} div ${num(first.divergence)}`
    : '';
  const test = r.test_accuracy !== null ? ` | test ${pct(r.test_accuracy)}` : '';
  return (
    `${label}  loss ${r.loss.toFixed(4)} acc ${pct(r.accuracy)} | val loss ${r.val_loss.toFixed(4)} acc ${pct(r.val_accuracy)}` +
    `${best ? ' *' : ''}${robust}${dist}${test} | ${r.seconds.toFixed(1)} s`
  );
}

/** The line that ends a phase or branch: why it ended, the best validation accuracy restored, its test accuracy. */
export function phaseEndLine(model: ModelName, why: string, best: { accuracy: number | null; epoch: number | null }, testAccuracy: number | null): string {
  const acc = best.accuracy === null ? '-' : `${(100 * best.accuracy).toFixed(2)}%`;
  const test = testAccuracy === null ? 'no test set' : `test accuracy ${(100 * testAccuracy).toFixed(2)}%`;
  return `${model}: ${why}; best validation accuracy ${acc} at epoch ${best.epoch} restored; ${test}`;
}
