// The training augmentations applied to a batch on the device (augmentations.ts says what each is
// and in which order they compose). Every draw is a pure function of the run seed, the
// augmentation and the batch's stream (a running batch counter, as the noise always had), so both
// branches see the same augmented batches and a resumed run sees what an uninterrupted one would.
//
// The quadrant swap happens when the batch is gathered: the training split keeps a swapped copy of
// every image after the originals (swappedCopies.ts), and the epoch's order points the images the
// swap picks at their copies. (The swap op exchanges the quarters of every image of a tensor;
// picking images one by one needs no native change this way, and costs one copy of the training
// images.)
// Rotation and translation then write into the batch's second buffer, the noises add in place.
import { edgeNoise, gaussianNoise, rotate, translate } from '../ops/augment';
import { draw, uniformOpen0 } from '../ops/augment_random';
import { Tensor } from '../tensor';
import { AugmentationKind, AugmentationLevels, EDGE_NOISE_BORDER, activeAugmentations } from './augmentations';
import type { BatchBuffers } from './deviceData';
import { batchStream, batchesPerEpoch, derivedSeed, epochOrder } from './order';

/** Philox domain (third counter word) of the swap's per-image draws (the kernels use 1–3, order.ts 101–102). */
const SWAP_DOMAIN = 103;

/** A run's augmentations with their seeds. */
export interface AugmentPlan {
  /** The device ops after the gather, in composition order. */
  steps: { kind: Exclude<AugmentationKind, 'swap'>; level: number; seed: number }[];
  /** The probability that an image is swapped, and the seed of that choice; null: no swap. */
  swap: { probability: number; seed: number } | null;
}

/** The plan for a run's augmentation levels and seed. */
export function augmentPlan(levels: AugmentationLevels, runSeed: number): AugmentPlan {
  const plan: AugmentPlan = { steps: [], swap: null };
  for (const { augmentation, level } of activeAugmentations(levels)) {
    const seed = derivedSeed(runSeed, augmentation.seed);
    if (augmentation.kind === 'swap') plan.swap = { probability: level, seed };
    else plan.steps.push({ kind: augmentation.kind, level, seed });
  }
  return plan;
}

/** Whether each of the `n` images of a batch (its stream) is swapped: image i when its uniform draw in (0, 1] is <= p. */
export function swapChoices(seed: number, stream: number, n: number, probability: number): boolean[] {
  const out = new Array<boolean>(n);
  let words: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 4 === 0) words = draw(seed, stream, SWAP_DOMAIN, i / 4);
    out[i] = uniformOpen0(words[i % 4]) <= probability;
  }
  return out;
}

/**
 * Epoch `epoch`'s order of `count` training images: epochOrder(seed, epoch, count), in which,
 * with a swap, each image the swap picks for its batch is replaced by its swapped copy (its index
 * + count, see swappedCopies.ts).
 */
export function trainingOrder(runSeed: number, epoch: number, count: number, batchSize: number, plan: AugmentPlan): Int32Array {
  const order = epochOrder(runSeed, epoch, count);
  if (!plan.swap) return order;
  const total = batchesPerEpoch(count, batchSize);
  for (let batch = 0; batch < total; batch++) {
    const offset = batch * batchSize;
    const n = Math.min(batchSize, count - offset);
    const picked = swapChoices(plan.swap.seed, batchStream(epoch, batch, total), n, plan.swap.probability);
    picked.forEach((swap, i) => {
      if (swap) order[offset + i] += count;
    });
  }
  return order;
}

/**
 * Applies the plan's device ops to the gathered batch b.x (its swaps were chosen in the order) with
 * the batch's stream; returns the tensor holding the augmented batch: b.x, or b.perturbed after an
 * odd number of the geometric ops.
 */
export function augmentBatch(b: BatchBuffers, plan: AugmentPlan, stream: number): Tensor {
  let current: Tensor = b.x;
  let spare: Tensor = b.perturbed;
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'rotation':
      case 'translation':
        if (step.kind === 'rotation') rotate(current, step.level, step.seed, stream, spare);
        else translate(current, step.level, step.seed, stream, spare);
        [current, spare] = [spare, current];
        break;
      case 'edge_noise':
        edgeNoise(current, step.level, EDGE_NOISE_BORDER, step.seed, stream, current);
        break;
      case 'noise':
        gaussianNoise(current, step.level, step.seed, stream, current);
        break;
    }
  }
  return current;
}
