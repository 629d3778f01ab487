// The training data on the device and the batches an epoch draws from it: each split as one uint8
// tensor with reusable batch buffers (batches are gathered and scaled to [0, 1] on the device from
// an int32 index list), the epoch's order, and the training augmentations applied to a batch
// (augmentations.ts says what each is and in which order they compose). Every order and every draw
// is a pure function of the run seed, the epoch and the batch's stream (a running batch counter),
// so both branches see the same data in the same order with the same augmentations, and a resumed
// run sees what an uninterrupted one would have.
import { ImageShape } from '../data';
import { edgeNoise, gaussianNoise, rotate, translate } from '../ops/augment';
import { draw, uniformBelow, uniformOpen0 } from '../ops/augment_random';
import { gatherBatch } from '../ops/data';
import { Tensor } from '../tensor';
import { AugmentationKind, AugmentationLevels, EDGE_NOISE_BORDER, SeedPurpose, activeAugmentations } from './augmentations';

// ---- the data on the device -----------------------------------------------------------------

/** Device buffers of one batch size: the gathered batch, a second image buffer and the loss gradient. */
export interface BatchBuffers {
  /** float32 [n, C, H, W]: the gathered batch. */
  x: Tensor<'float32'>;
  /** uint8 [n]: its labels. */
  y: Tensor<'uint8'>;
  /** float32 [n, C, H, W]: a perturbed copy of x (robustness sets, the geometric training augmentations). */
  perturbed: Tensor<'float32'>;
  /** float32 [n, classes]: the gradient of the loss with respect to the logits. */
  dlogits: Tensor<'float32'>;
}

/** A labelled image set on a device. */
export class DeviceSplit {
  /** uint8 [count, C, H, W], or [2·count, C, H, W] with the swapped copies after the images. */
  readonly images: Tensor<'uint8'>;
  /** uint8 [count] (or [2·count]: the copies' labels too). */
  readonly labels: Tensor<'uint8'>;
  /** int32 [count]: 0 … count−1, the order of evaluation passes. */
  readonly identity: Tensor<'int32'>;
  private readonly buffers = new Map<number, BatchBuffers>();

  /**
   * Uploads `count` images (CHW bytes of `imageShape`, one after another) and their labels to `device`.
   * @param name 'train', 'validation' or 'test' (for messages)
   * @param withSwapped also upload each image with its quarters swapped (rows count … 2·count−1), for the swap augmentation
   */
  constructor(
    readonly name: string,
    images: Uint8Array,
    labels: Uint8Array,
    readonly count: number,
    readonly device: string,
    private readonly classes: number,
    readonly imageShape: ImageShape,
    withSwapped = false,
  ) {
    if (count < 1) throw new RangeError(`the ${name} set is empty`);
    const rows = withSwapped ? 2 * count : count;
    const bytes = imageShape[0] * imageShape[1] * imageShape[2];
    const stored = withSwapped ? swappedCopies(images, count, imageShape) : images.subarray(0, count * bytes);
    const storedLabels = new Uint8Array(rows);
    for (let at = 0; at < rows; at += count) storedLabels.set(labels.subarray(0, count), at);
    this.images = Tensor.from(stored, [rows, ...imageShape], { device, dtype: 'uint8' });
    this.labels = Tensor.from(storedLabels, [rows], { device, dtype: 'uint8' });
    this.identity = Tensor.from(Int32Array.from({ length: count }, (_, i) => i), [count], { device, dtype: 'int32' });
  }

  /** The buffers for batches of `n` images (created once per size). */
  buffersFor(n: number): BatchBuffers {
    let b = this.buffers.get(n);
    if (!b) {
      const device = this.device;
      const batchShape = [n, ...this.imageShape];
      b = {
        x: Tensor.empty(batchShape, { device }),
        y: Tensor.empty([n], { device, dtype: 'uint8' }),
        perturbed: Tensor.empty(batchShape, { device }),
        dlogits: Tensor.empty([n, this.classes], { device }),
      };
      this.buffers.set(n, b);
    }
    return b;
  }

  /**
   * Gathers rows order[offset … offset+n) into the buffers for size n, scaled to [0, 1].
   * @param order int32 indices into this split, on its device
   */
  gather(order: Tensor, offset: number, n: number): BatchBuffers {
    const b = this.buffersFor(n);
    gatherBatch(this.images, this.labels, order, offset, n, { x: b.x, y: b.y });
    return b;
  }

  /** Frees the images, labels and buffers. */
  dispose(): void {
    for (const b of this.buffers.values()) for (const t of Object.values(b)) (t as Tensor).dispose();
    this.buffers.clear();
    this.images.dispose();
    this.labels.dispose();
    this.identity.dispose();
  }
}

/**
 * The images followed by their swapped copies ([2·count] images of shape [c, h, w]): the copy of an
 * image has its top-right and bottom-left floor(h/2)×floor(w/2) quarters exchanged, exactly as the
 * quadrantSwap op does.
 */
export function swappedCopies(images: Uint8Array, count: number, [c, h, w]: readonly [number, number, number]): Uint8Array {
  const bytes = c * h * w;
  const out = new Uint8Array(2 * count * bytes);
  out.set(images.subarray(0, count * bytes));
  const copy = out.subarray(count * bytes);
  copy.set(images.subarray(0, count * bytes));
  const qh = Math.floor(h / 2);
  const qw = Math.floor(w / 2);
  for (let plane = 0; plane < count * c; plane++) {
    const base = plane * h * w;
    for (let i = 0; i < qh; i++) {
      const top = base + i * w + (w - qw); // the top-right quarter's row i
      const bottom = base + (i + h - qh) * w; // the bottom-left quarter's row i
      copy.set(images.subarray(bottom, bottom + qw), top);
      copy.set(images.subarray(top, top + qw), bottom);
    }
  }
  return out;
}

// ---- orders and random streams ----------------------------------------------------------------

/** Philox domains (third counter word) of the training loop's own draws; the kernels use 1 to 3. */
const SHUFFLE_DOMAIN = 101;
const SEED_DOMAIN = 102;

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

// ---- the training augmentations of a batch ---------------------------------------------------
// The quadrant swap happens when the batch is gathered: the training split keeps a swapped copy of
// every image after the originals (swappedCopies), and the epoch's order points the images the
// swap picks at their copies. (The swap op exchanges the quarters of every image of a tensor;
// picking images one by one needs no native change this way, and costs one copy of the training
// images.) Rotation and translation then write into the batch's second buffer, the noises add in
// place.

/** Philox domain (third counter word) of the swap's per-image draws (the kernels use 1–3, the epoch order and derived seeds 101–102). */
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
 * + count, see swappedCopies).
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
