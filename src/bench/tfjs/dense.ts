// TensorFlow.js workloads of a dense layer: forward (fused matmul with bias) and backward (dx, dw
// and db, the products tfjs' autodiff runs, transposed the backend's faster way). The kernel is
// [I, O] as tfjs-layers and Keras keep it (the wasm backend's product with transposeB is several
// times slower than without); ours is [O, I].
import { glorotScale } from '../ours/tensors';
import { DenseShape } from '../shapes';
import { Workload } from '../types';
import { TfBackend, Tfjs } from './load';
import { matMul } from './matmul';
import { tfRandom, tfjsWorkload } from './workload';
import type { Tensor2D } from '@tensorflow/tfjs-core';

export function tfjsDenseWorkload(t: Tfjs, backend: TfBackend, s: DenseShape, batch: number, backward: boolean): Workload {
  const tf = t.tf;
  const x = tfRandom(tf, [batch, s.inputs], 1) as Tensor2D;
  const w = tfRandom(tf, [s.inputs, s.outputs], 2, glorotScale(s.inputs, s.outputs)) as Tensor2D;
  const b = tfRandom(tf, [s.outputs], 3, 0.1);
  if (!backward) {
    return tfjsWorkload(tf, [x, w, b], () => tf.fused.matMul({ a: x, b: w, bias: b }));
  }
  const dy = tfRandom(tf, [batch, s.outputs], 5) as Tensor2D;
  return tfjsWorkload(tf, [x, w, b, dy], () => {
    matMul(tf, backend, dy, w, false, true); // dx [N, I]
    matMul(tf, backend, x, dy, true, false); // dw [I, O]
    tf.sum(dy, 0); // db [O]
  });
}
