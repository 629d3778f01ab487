// Gathering training batches from a uint8 dataset on the device, by an int32 index list.
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { checkOptions } from '../util/options';

/** Options of {@link gatherBatch}. */
export interface GatherBatchOptions {
  /** Multiplier of the uint8 values (default 1/255: pixels to [0, 1]). */
  scale?: number;
  /** Preallocated float32 [count, ...rest] output (overwritten). */
  x?: Tensor;
  /** Preallocated uint8 [count] output (overwritten). */
  y?: Tensor;
}

/** A gathered batch. */
export interface Batch {
  /** float32 [count, ...rest]: the scaled samples. */
  x: Tensor<'float32'>;
  /** uint8 [count]: their labels. */
  y: Tensor<'uint8'>;
}

/**
 * Gathers batch rows `order[offset .. offset+count)` of a dataset: `x[i] = images[order[offset+i]]·scale`,
 * `y[i] = labels[order[offset+i]]`. Keeping an epoch's shuffled order on the device means no batch
 * crosses from the host inside a training step.
 *
 * offset + count must not exceed the order's length. An index outside [0, M) throws on the CPU
 * (naming it); on CUDA it cannot be checked without a copy, so that row of x becomes NaN and its
 * label 255 (which softmaxCrossEntropy turns into a NaN loss).
 * @param images uint8 [M, ...rest] dataset
 * @param labels uint8 [M]
 * @param order int32 [P] dataset row indices, e.g. a shuffled permutation
 */
export function gatherBatch(
  images: Tensor,
  labels: Tensor,
  order: Tensor,
  offset: number,
  count: number,
  options: GatherBatchOptions = {},
): Batch {
  options = checkOptions(options, ['scale', 'x', 'y'], 'gatherBatch');
  const device = images.device;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`gatherBatch: count must be a non-negative integer, got ${count}`);
  const x = options.x ?? Tensor.empty([count, ...images.shape.slice(1)], { device });
  const y = options.y ?? Tensor.empty([count], { device, dtype: 'uint8' });
  nativeAddon().gatherBatch(images.native, labels.native, order.native, offset, count, options.scale ?? 1 / 255, x.native, y.native);
  return { x: x as Tensor<'float32'>, y: y as Tensor<'uint8'> };
}
