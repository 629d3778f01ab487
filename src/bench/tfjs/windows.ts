// TensorFlow.js workloads of the windowed layers, NHWC: conv through the backend's own kernels
// (Conv2D with bias via tf.fused.conv2d, Conv2DBackpropInput, Conv2DBackpropFilter; a backend
// without one of them is reported, not worked around), LC as Keras built it (./local.ts).
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { glorotScale } from '../ours/tensors';
import { WindowShape } from '../shapes';
import { Unsupported, Workload } from '../types';
import { Tfjs, TfBackend, hasKernel } from './load';
import { LcGeometry, lcBackwardInput, lcBackwardWeight, lcForward } from './local';
import { tfRandom, tfjsWorkload } from './workload';
import type { WindowPass } from '../ours/windows';

const KERNEL_OF_PASS: Record<WindowPass, string> = {
  forward: 'FusedConv2D',
  backward_input: 'Conv2DBackpropInput',
  backward_weight: 'Conv2DBackpropFilter',
};

export function lcGeometry(s: WindowShape): LcGeometry {
  return { kh: s.kh, kw: s.kw, stride: s.stride, oh: s.oh, ow: s.ow };
}

export function tfjsWindowWorkload(
  t: Tfjs,
  backend: TfBackend,
  s: WindowShape,
  batch: number,
  local: boolean,
  pass: WindowPass,
): Workload {
  const tf = t.tf;
  if (!local && !hasKernel(t, KERNEL_OF_PASS[pass], backend)) {
    throw new Unsupported(`tfjs-backend-${backend} has no ${KERNEL_OF_PASS[pass]} kernel`);
  }
  const xShape: [number, number, number, number] = [batch, s.h, s.w, s.c];
  const yShape = [batch, s.oh, s.ow, s.k];
  const scale = glorotScale(s.c * s.kh * s.kw, s.k * s.kh * s.kw);
  const wShape = local ? [s.oh * s.ow, s.kh * s.kw * s.c, s.k] : [s.kh, s.kw, s.c, s.k];
  const bShape = local ? [s.oh, s.ow, s.k] : [s.k];
  const w = tfRandom(tf, wShape, 2, scale);
  const inputs: Tensor[] = [w];
  const keep = (x: Tensor) => {
    inputs.push(x);
    return x;
  };
  const g = lcGeometry(s);
  const conv = { strides: [s.stride, s.stride] as [number, number], pad: 'valid' as const, dataFormat: 'NHWC' as const };
  if (pass === 'forward') {
    const x = keep(tfRandom(tf, xShape, 1)) as Tensor4D;
    const b = keep(tfRandom(tf, bShape, 3, 0.1));
    return tfjsWorkload(tf, inputs, () => {
      if (local) lcForward(tf, x, w as Tensor3D, b, g);
      else tf.fused.conv2d({ x, filter: w as Tensor4D, strides: s.stride, pad: 'valid', bias: b });
    });
  }
  const dy = keep(tfRandom(tf, yShape, 5)) as Tensor4D;
  if (pass === 'backward_input') {
    return tfjsWorkload(tf, inputs, () => {
      if (local) lcBackwardInput(tf, backend, dy, w as Tensor3D, xShape, g);
      else tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...conv, inputShape: xShape });
    });
  }
  const x = keep(tfRandom(tf, xShape, 1)) as Tensor4D;
  return tfjsWorkload(tf, inputs, () => {
    if (local) {
      lcBackwardWeight(tf, backend, x, dy, g);
    } else {
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...conv, filterShape: wShape });
      tf.sum(dy, [0, 1, 2]); // the bias gradient, which ours computes in the same call
    }
  });
}
