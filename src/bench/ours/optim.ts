// wsr-native workloads of the fused optimizer updates over a whole network's parameters.
import { Tensor } from '../../tensor';
import { adamUpdate, sgdUpdate } from '../../ops/optim';
import { Workload } from '../types';
import { nativeWorkload, randomTensor } from './tensors';

/** Adam (`adam` true) or SGD with momentum over parameter tensors of the given sizes. */
export function optimizerWorkload(sizes: readonly number[], adam: boolean, device: string): Workload {
  const tensors: Tensor[] = [];
  const slots = sizes.map((n, i) => {
    const make = (seed: number, scale: number) => {
      const t = randomTensor([n], 100 * i + seed, device, scale);
      tensors.push(t);
      return t;
    };
    // The second moment must be >= 0: a random v in [0, 2e-3).
    return { p: make(1, 0.05), g: make(2, 1e-3), m: make(3, 1e-3), v: make(4, 1e-3) };
  });
  for (const s of slots) s.v.write(s.v.toArray().map((x) => x + 1e-3) as Float32Array);
  let step = 0;
  const adamH = { lr: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 };
  const sgdH = { lr: 1e-2, momentum: 0.9, nesterov: false, weightDecay: 0 };
  return nativeWorkload(device, tensors, () => {
    step++;
    for (const s of slots) {
      if (adam) adamUpdate(s.p, s.g, s.m, s.v, step, adamH);
      else sgdUpdate(s.p, s.g, s.m, sgdH);
    }
  });
}
