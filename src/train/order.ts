// Epoch orders and random streams: pure functions of the run seed, so that both branches see the
// same data in the same order with the same noise, and a resumed run sees what an uninterrupted
// one would have.
import { draw, uniformBelow } from '../ops/augment_random';

/** Philox domains (third counter word) of the training loop's own draws; the kernels use 1 to 3. */
const SHUFFLE_DOMAIN = 101;
const SEED_DOMAIN = 102;

/** What a derived 32-bit seed is for. */
export type SeedPurpose =
  | 'train-noise'
  | 'robustness'
  | 'train-edge-noise'
  | 'train-translation'
  | 'train-rotation'
  | 'train-swap';

const PURPOSE_INDEX: Record<SeedPurpose, number> = {
  'train-noise': 1,
  robustness: 2,
  'train-edge-noise': 3,
  'train-translation': 4,
  'train-rotation': 5,
  'train-swap': 6,
};

/** A 32-bit seed for one purpose, derived from the run seed (independent across purposes). */
export function derivedSeed(seed: number, purpose: SeedPurpose): number {
  return draw(seed >>> 0, 0, SEED_DOMAIN, PURPOSE_INDEX[purpose])[0];
}

/**
 * The order in which epoch `epoch` (1-based, counted over the whole run) visits `count` training
 * images: a uniformly random permutation of 0 … count−1 (Fisher–Yates over Philox-4x32-10 keyed by
 * (seed, epoch)), a pure function of its arguments.
 */
export function epochOrder(seed: number, epoch: number, count: number): Int32Array {
  if (!Number.isSafeInteger(count) || count < 0 || count > 0x7fffffff) throw new RangeError(`epochOrder: bad count ${count}`);
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new RangeError(`epochOrder: bad epoch ${epoch}`);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let words: number[] = [];
  let counter = 0;
  for (let i = count - 1; i > 0; i--) {
    if (words.length === 0) words = draw(seed >>> 0, epoch, SHUFFLE_DOMAIN, counter++);
    const j = uniformBelow(words.pop()!, i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

/** Batches in an epoch of `count` images (the last one may be partial). */
export function batchesPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/**
 * The noise stream of batch `batch` (0-based) of epoch `epoch` (1-based): a running batch counter
 * over the run, the same for both branches, so they see the same noise. Wraps at 2^32.
 */
export function batchStream(epoch: number, batch: number, batchesInEpoch: number): number {
  return ((epoch - 1) * batchesInEpoch + batch) >>> 0;
}

/**
 * The fixed stream of validation batch `batch` under robustness perturbation number `perturbation`:
 * every epoch, and both models, see the same perturbed images.
 */
export function robustnessStream(perturbation: number, batch: number): number {
  return ((perturbation << 24) | batch) >>> 0;
}
