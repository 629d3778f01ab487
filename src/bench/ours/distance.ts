// wsr-native workload of the neighbour-distance kernel over one LC layer's weight.
import { localDistancesTensor } from '../../ops/distance';
import { WindowShape } from '../shapes';
import { Workload } from '../types';
import { nativeWorkload, randomTensor } from './tensors';

export function distanceWorkload(s: WindowShape, radii: readonly number[], device: string): Workload {
  const w = randomTensor([s.oh, s.ow, s.k, s.c, s.kh, s.kw], 1, device, 0.1);
  const out = localDistancesTensor(w, radii);
  return nativeWorkload(device, [w, out], () => localDistancesTensor(w, radii, out));
}
