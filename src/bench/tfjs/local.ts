// A locally connected layer in TensorFlow.js ops, the way Keras built one (LocallyConnected2D,
// implementation 1, `local_conv`): tfjs has no such layer. Patches are cut out one output position
// at a time with slices and stacked, then one batched matmul applies each position's kernel.
// NHWC; the kernel is Keras' [OH·OW, KH·KW·C, K], the bias [OH, OW, K]. The gradients are written
// as the ops tfjs' autodiff of that graph runs (batched matmuls; the slices' gradient, a padding
// of each patch gradient, summed), with the matmul transposes done the backend's faster way.
import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import { Tf, TfBackend } from './load';
import { matMul } from './matmul';

export interface LcGeometry {
  kh: number;
  kw: number;
  stride: number;
  oh: number;
  ow: number;
}

/** [N, H, W, C] → patches [OH·OW, N, KH·KW·C], position-major (row by row). */
export function extractPatches(tf: Tf, x: Tensor4D, g: LcGeometry): Tensor3D {
  const [n, , , c] = x.shape;
  const feature = g.kh * g.kw * c;
  const pieces: Tensor[] = [];
  for (let i = 0; i < g.oh; i++) {
    for (let j = 0; j < g.ow; j++) {
      const patch = tf.slice(x, [0, i * g.stride, j * g.stride, 0], [n, g.kh, g.kw, c]);
      pieces.push(tf.reshape(patch, [1, n, feature]));
    }
  }
  return tf.concat(pieces, 0) as Tensor3D;
}

/** [OH·OW, N, K] → [N, OH, OW, K]. */
function positionsToNhwc(tf: Tf, a: Tensor3D, g: LcGeometry): Tensor4D {
  const [, n, k] = a.shape;
  return tf.transpose(tf.reshape(a, [g.oh, g.ow, n, k]), [2, 0, 1, 3]) as Tensor4D;
}

/** [N, OH, OW, K] → [OH·OW, N, K]. */
function nhwcToPositions(tf: Tf, a: Tensor4D): Tensor3D {
  const [n, oh, ow, k] = a.shape;
  return tf.reshape(tf.transpose(a, [1, 2, 0, 3]), [oh * ow, n, k]) as Tensor3D;
}

/** y [N, OH, OW, K] = per-position kernels applied to x [N, H, W, C], plus the bias. */
export function lcForward(tf: Tf, x: Tensor4D, kernel: Tensor3D, bias: Tensor | null, g: LcGeometry): Tensor4D {
  const y = positionsToNhwc(tf, tf.matMul(extractPatches(tf, x, g), kernel), g);
  return bias ? (tf.add(y, bias) as Tensor4D) : y;
}

/** dkernel [OH·OW, KH·KW·C, K] and dbias [OH, OW, K] from x and dy [N, OH, OW, K]. */
export function lcBackwardWeight(
  tf: Tf,
  backend: TfBackend,
  x: Tensor4D,
  dy: Tensor4D,
  g: LcGeometry,
): { dw: Tensor3D; db: Tensor } {
  const dw = matMul(tf, backend, extractPatches(tf, x, g), nhwcToPositions(tf, dy), true, false) as Tensor3D;
  return { dw, db: tf.sum(dy, 0) };
}

/** dx [N, H, W, C] from dy [N, OH, OW, K] and the kernel. */
export function lcBackwardInput(
  tf: Tf,
  backend: TfBackend,
  dy: Tensor4D,
  kernel: Tensor3D,
  inputShape: readonly [number, number, number, number],
  g: LcGeometry,
): Tensor4D {
  const [n, h, w, c] = inputShape;
  const dPatches = matMul(tf, backend, nhwcToPositions(tf, dy), kernel, false, true); // [P, N, KH·KW·C]
  const parts = tf.split(dPatches, g.oh * g.ow, 0);
  const padded: Tensor[] = [];
  for (let i = 0; i < g.oh; i++) {
    for (let j = 0; j < g.ow; j++) {
      const top = i * g.stride;
      const left = j * g.stride;
      const patch = tf.reshape(parts[i * g.ow + j], [n, g.kh, g.kw, c]);
      padded.push(
        tf.pad(patch, [
          [0, 0],
          [top, h - top - g.kh],
          [left, w - left - g.kw],
          [0, 0],
        ]),
      );
    }
  }
  return tf.addN(padded) as Tensor4D;
}
