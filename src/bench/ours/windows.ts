// wsr-native workloads of the windowed layers: conv and locally connected, forward and both
// gradients, NCHW, valid padding.
import { Tensor } from '../../tensor';
import { conv2dBackwardInputInto, conv2dBackwardWeightInto, conv2dForwardInto } from '../../ops/conv';
import { local2dBackwardInputInto, local2dBackwardWeightInto, local2dForwardInto } from '../../ops/local';
import { WindowShape } from '../shapes';
import { Workload } from '../types';
import { glorotScale, nativeWorkload, randomTensor } from './tensors';

export type WindowPass = 'forward' | 'backward_input' | 'backward_weight';

function weightShape(s: WindowShape, local: boolean): number[] {
  const bank = [s.k, s.c, s.kh, s.kw];
  return local ? [s.oh, s.ow, ...bank] : bank;
}

/** One pass of a conv (`local` false) or LC layer of shape `s` at `batch` on `device`. */
export function windowWorkload(
  s: WindowShape,
  batch: number,
  local: boolean,
  pass: WindowPass,
  device: string,
): Workload {
  const options = { stride: s.stride, padding: 'valid' as const };
  const xShape = [batch, s.c, s.h, s.w];
  const yShape = [batch, s.k, s.oh, s.ow];
  const wShape = weightShape(s, local);
  const bShape = local ? [s.oh, s.ow, s.k] : [s.k];
  const scale = glorotScale(s.c * s.kh * s.kw, s.k * s.kh * s.kw);
  const tensors: Tensor[] = [];
  const make = (shape: number[], seed: number, sc = 1): Tensor<'float32'> => {
    const t = randomTensor(shape, seed, device, sc);
    tensors.push(t);
    return t;
  };
  try {
    const w = make(wShape, 2, scale);
    if (pass === 'forward') {
      const x = make(xShape, 1);
      const b = make(bShape, 3, 0.1);
      const y = make(yShape, 4);
      return nativeWorkload(device, tensors, () => {
        if (local) local2dForwardInto(x, w, b, y, options);
        else conv2dForwardInto(x, w, b, y, options);
      });
    }
    const dy = make(yShape, 5);
    if (pass === 'backward_input') {
      const dx = make(xShape, 6);
      return nativeWorkload(device, tensors, () => {
        if (local) local2dBackwardInputInto(dy, w, dx, options);
        else conv2dBackwardInputInto(dy, w, dx, options);
      });
    }
    const x = make(xShape, 1);
    const dw = make(wShape, 7);
    const db = make(bShape, 8);
    return nativeWorkload(device, tensors, () => {
      if (local) local2dBackwardWeightInto(x, dy, dw, db, options);
      else conv2dBackwardWeightInto(x, dy, dw, db, options);
    });
  } catch (error) {
    tensors.forEach((t) => t.dispose());
    throw error;
  }
}
