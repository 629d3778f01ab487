// Tensors for wsr-native workloads, and the wrapper that makes a GPU run finish before run() returns.
import { synchronize } from '../../device';
import { Tensor } from '../../tensor';
import { Workload } from '../types';
import { product, uniformArray } from '../random';

/** A float32 tensor of seeded uniform values in [-scale, scale) on `device`. */
export function randomTensor(shape: readonly number[], seed: number, device: string, scale = 1): Tensor<'float32'> {
  return Tensor.from(uniformArray(product(shape), seed, scale), shape, { device }) as Tensor<'float32'>;
}

/** Glorot-uniform-sized values for a weight with the given fans (keeps activations in range). */
export function glorotScale(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/**
 * A workload over tensors that it frees afterwards; on a GPU each run waits for the device, so
 * the host clock measures the kernels (and their launches).
 */
export function nativeWorkload(device: string, tensors: readonly Tensor[], body: () => void): Workload {
  const finish = device === 'cpu' ? () => undefined : () => synchronize(device);
  return {
    run() {
      body();
      finish();
    },
    dispose() {
      for (const t of tensors) if (!t.disposed) t.dispose();
    },
  };
}
