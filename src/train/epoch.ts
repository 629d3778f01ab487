// One training epoch: batches gathered on the device in the epoch's order, augmented there,
// forward, loss, backward, fused optimizer update. Loss and correct count accumulate on the
// device; the host reads them once, at the end (or when a progress bar asks for a running value).
import { Sequential } from '../nn/model';
import { readLossStats, softmaxCrossEntropy } from '../ops/activation';
import { fill } from '../ops/elementwise';
import { Tensor } from '../tensor';
import { AugmentPlan, augmentBatch } from './augmentBatch';
import { DeviceSplit } from './deviceData';
import { PassResult } from './evaluate';
import { Optimizer } from './optimizer';
import { batchStream, batchesPerEpoch } from './order';
import { YieldPoint } from './yieldPoint';

/** What one epoch of one model needs from the run. */
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

/** The model, its optimizer and the device statistics an epoch updates. */
export interface EpochState {
  model: Sequential;
  optimizer: Optimizer;
  /** float32 [2] on the model's device: Σ loss and correct count over the epoch's batches. */
  stats: Tensor;
}

/**
 * Trains `state.model` for one epoch over `inputs.train` in `inputs.order`; returns the mean loss and
 * accuracy over the epoch's augmented batches (as the network saw them while it trained).
 */
export async function trainEpoch(state: EpochState, inputs: EpochInputs): Promise<PassResult> {
  const { model, optimizer, stats } = state;
  const { train, order, epoch, batchSize, augment, yieldPoint, onBatch } = inputs;
  const parameters = model.parameters();
  const values = parameters.map((p) => p.value);
  const grads = parameters.map((p) => p.grad);
  const total = batchesPerEpoch(train.count, batchSize);
  fill(stats, 0);
  let seen = 0;
  for (let batch = 0; batch < total; batch++) {
    const offset = batch * batchSize;
    const n = Math.min(batchSize, train.count - offset);
    const b = train.gather(order, offset, n);
    const x = augmentBatch(b, augment, batchStream(epoch, batch, total));
    const logits = model.forward(x, true);
    softmaxCrossEntropy(logits, b.y, { stats, accumulate: true, dlogits: b.dlogits });
    model.backward(b.dlogits);
    optimizer.step(values, grads);
    seen += n;
    if (onBatch) {
      const rows = seen;
      onBatch(batch + 1, total, () => readLossStats(stats, rows).loss);
    }
    await yieldPoint.maybeYield();
  }
  const { loss, accuracy } = readLossStats(stats, train.count);
  return { loss, accuracy };
}
