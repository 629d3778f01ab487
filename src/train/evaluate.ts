// Evaluation passes: loss and accuracy on a split, clean and under the five robustness
// perturbations (fixed streams: every epoch and both models see the same perturbed images).
// Statistics accumulate on the device; the host reads a few floats once a pass.
import { Sequential } from '../nn/model';
import { readLossStats, softmaxCrossEntropy } from '../ops/activation';
import { ROBUSTNESS_PERTURBATIONS, RobustnessColumn, applyAugmentation } from '../ops/augment';
import { fill } from '../ops/elementwise';
import { Tensor } from '../tensor';
import { DeviceSplit } from './deviceData';
import { robustnessStream } from './order';
import { YieldPoint } from './yieldPoint';

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
