// TensorFlow.js workloads of the optimizer updates: tf.train.adam / tf.train.momentum applying
// given gradients to variables of a whole network's parameter sizes.
import type { Tensor, Variable } from '@tensorflow/tfjs-core';
import { Workload } from '../types';
import { Tf, Tfjs } from './load';
import { tfRandom } from './workload';

let serial = 0;

/** A variable name unique in this process (tfjs registers variables by name). */
export function variableName(): string {
  return `wsr_bench_${++serial}`;
}

/** A variable of seeded random values in [-scale, scale). */
export function tfVariable(tf: Tf, shape: number[], seed: number, scale: number): Variable {
  return tf.variable(tfRandom(tf, shape, seed, scale), true, variableName());
}

export function tfjsOptimizerWorkload(t: Tfjs, sizes: readonly number[], adam: boolean): Workload {
  const tf = t.tf;
  const vars = sizes.map((n, i) => tfVariable(tf, [n], 10 + i, 0.05));
  const grads: { name: string; tensor: Tensor }[] = vars.map((v, i) => ({
    name: v.name,
    tensor: tfRandom(tf, [sizes[i]], 50 + i, 1e-3),
  }));
  const optimizer = adam ? tf.train.adam(1e-4, 0.9, 0.999, 1e-7) : tf.train.momentum(1e-2, 0.9, false);
  return {
    run() {
      optimizer.applyGradients(grads);
    },
    dispose() {
      optimizer.dispose();
      vars.forEach((v) => v.dispose());
      grads.forEach((g) => g.tensor.dispose());
    },
  };
}
