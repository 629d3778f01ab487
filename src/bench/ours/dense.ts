// wsr-native workloads of a dense layer: forward, and backward (dx, dw and db).
import { Tensor } from '../../tensor';
import { dense, denseBackward } from '../../ops/dense';
import { DenseShape } from '../shapes';
import { Workload } from '../types';
import { glorotScale, nativeWorkload, randomTensor } from './tensors';

export function denseWorkload(s: DenseShape, batch: number, backward: boolean, device: string): Workload {
  const x = randomTensor([batch, s.inputs], 1, device);
  const w = randomTensor([s.outputs, s.inputs], 2, device, glorotScale(s.inputs, s.outputs));
  const b = randomTensor([s.outputs], 3, device, 0.1);
  const tensors: Tensor[] = [x, w, b];
  if (!backward) {
    const y = randomTensor([batch, s.outputs], 4, device);
    tensors.push(y);
    return nativeWorkload(device, tensors, () => dense(x, w, b, y));
  }
  const dy = randomTensor([batch, s.outputs], 5, device);
  const dx = randomTensor([batch, s.inputs], 6, device);
  const dw = randomTensor([s.outputs, s.inputs], 7, device);
  const db = randomTensor([s.outputs], 8, device);
  tensors.push(dy, dx, dw, db);
  return nativeWorkload(device, tensors, () => denseBackward(x, w, dy, { dx, dw, db }));
}
