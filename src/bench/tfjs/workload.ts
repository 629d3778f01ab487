// TensorFlow.js workloads: inputs kept on the backend that was current when they were made (the
// contender switches to it before each run), every intermediate freed after each run.
import type { Tensor } from '@tensorflow/tfjs-core';
import { product, uniformArray } from '../random';
import { Workload } from '../types';
import { Tf } from './load';

/** A float32 tensor of seeded uniform values in [-scale, scale), on the current backend. */
export function tfRandom(tf: Tf, shape: number[], seed: number, scale = 1): Tensor {
  return tf.tensor(uniformArray(product(shape), seed, scale), shape, 'float32');
}

export function tfjsWorkload(tf: Tf, inputs: readonly Tensor[], body: () => void): Workload {
  return {
    run() {
      // The cpu and wasm backends compute eagerly: the work is done when the op returns.
      tf.tidy(body);
    },
    dispose() {
      for (const t of inputs) if (!t.isDisposed) t.dispose();
    },
  };
}
