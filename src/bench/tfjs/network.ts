// A whole network (conv or LC form) in TensorFlow.js, NHWC, trained the way a tfjs user would:
// variables, forward in ops, tf.losses.softmaxCrossEntropy, optimizer.minimize (tf.variableGrads
// then Adam). Conv layers use tf.conv2d (its gradient needs Conv2DBackpropFilter), LC layers
// Keras' construction (./local.ts).
import type { Scalar, Tensor, Tensor2D, Tensor3D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { glorotScale } from '../ours/tensors';
import { labelArray } from '../random';
import { NetworkShape } from '../shapes';
import { Unsupported, Workload } from '../types';
import { Tfjs, TfBackend, hasKernel } from './load';
import { lcForward } from './local';
import { tfVariable } from './optim';
import { tfRandom } from './workload';
import { lcGeometry } from './windows';

export function tfjsStepWorkload(
  t: Tfjs,
  backend: TfBackend,
  net: NetworkShape,
  batch: number,
  local: boolean,
  train: boolean,
): Workload {
  const tf = t.tf;
  if (train && t.gradients !== true) throw new Unsupported(`tfjs gradients unavailable: ${t.gradients}`);
  if (train && !local && !hasKernel(t, 'Conv2DBackpropFilter', backend)) {
    throw new Unsupported(`tfjs-backend-${backend} has no Conv2DBackpropFilter kernel: it cannot train a conv net`);
  }
  const [c, h, w] = net.input;
  const x = tfRandom(tf, [batch, h, w, c], 1, 0.5) as Tensor4D;
  const labels = tf.oneHot(tf.tensor1d(labelArray(batch, net.classes, 99), 'int32'), net.classes);
  const params: Variable[] = [];
  const variable = (shape: number[], scale: number): Variable => {
    const v = tfVariable(tf, shape, 10 + params.length, scale);
    params.push(v);
    return v;
  };
  const windows = net.windows.map((s) => {
    const scale = glorotScale(s.c * s.kh * s.kw, s.k * s.kh * s.kw);
    const kernel = local ? [s.oh * s.ow, s.kh * s.kw * s.c, s.k] : [s.kh, s.kw, s.c, s.k];
    return { s, w: variable(kernel, scale), b: variable(local ? [s.oh, s.ow, s.k] : [s.k], 0.01) };
  });
  const dense = net.dense.map((d) => ({ w: variable([d.inputs, d.outputs], glorotScale(d.inputs, d.outputs)), b: variable([d.outputs], 0.01) }));
  const optimizer = tf.train.adam(1e-4, 0.9, 0.999, 1e-7);

  const loss = (): Scalar => {
    let a: Tensor4D = x;
    for (const l of windows) {
      const y = local
        ? lcForward(tf, a, l.w as Tensor3D, l.b, lcGeometry(l.s))
        : (tf.add(tf.conv2d(a, l.w as Tensor4D, l.s.stride, 'valid'), l.b) as Tensor4D);
      a = tf.relu(y);
    }
    let z: Tensor2D = tf.reshape(a, [batch, -1]);
    dense.forEach((l, i) => {
      z = tf.add(tf.matMul(z, l.w as Tensor2D), l.b) as Tensor2D;
      if (i < dense.length - 1) z = tf.relu(z);
    });
    return tf.losses.softmaxCrossEntropy(labels, z) as Scalar;
  };

  return {
    run() {
      tf.tidy(() => {
        if (train) optimizer.minimize(loss, false, params);
        else loss();
      });
    },
    dispose() {
      optimizer.dispose();
      for (const v of params) v.dispose();
      x.dispose();
      labels.dispose();
    },
  };
}
