// TensorFlow.js workload of the neighbour distances (PROTOCOL.md, "Divergence metric") in ops:
// the weight as a grid [OH, OW, B] of flattened banks, scaled to Frobenius norm 1; for each ring
// offset a slice of centres against a shifted slice of neighbours.
import type { Tensor } from '@tensorflow/tfjs-core';
import { WindowShape } from '../shapes';
import { Workload } from '../types';
import { Tf, Tfjs } from './load';
import { tfRandom, tfjsWorkload } from './workload';

/** Offsets (a, b) with max(|a|, |b|) = r. */
export function ringOffsets(r: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = -r; a <= r; a++) for (let b = -r; b <= r; b++) if (Math.max(Math.abs(a), Math.abs(b)) === r) out.push([a, b]);
  return out;
}

/** [dist_r, cos_r] per radius as scalars (NaN where no centre fits). */
export function tfDistances(tf: Tf, grid: Tensor, radii: readonly number[]): Tensor[] {
  const [oh, ow, bank] = grid.shape;
  const w = tf.div(grid, tf.norm(grid));
  const out: Tensor[] = [];
  for (const r of radii) {
    const rows = oh - 2 * r;
    const cols = ow - 2 * r;
    if (rows <= 0 || cols <= 0) {
      out.push(tf.scalar(NaN), tf.scalar(NaN));
      continue;
    }
    const centre = tf.slice(w, [r, r, 0], [rows, cols, bank]);
    const centreNorm = tf.norm(centre, 'euclidean', -1);
    const dists: Tensor[] = [];
    const coss: Tensor[] = [];
    for (const [a, b] of ringOffsets(r)) {
      const nb = tf.slice(w, [r + a, r + b, 0], [rows, cols, bank]);
      dists.push(tf.norm(tf.sub(centre, nb), 'euclidean', -1));
      const cos = tf.div(tf.sum(tf.mul(centre, nb), -1), tf.mul(centreNorm, tf.norm(nb, 'euclidean', -1)));
      coss.push(tf.sub(1, cos));
    }
    out.push(tf.mean(tf.stack(dists)), tf.mean(tf.stack(coss)));
  }
  return out;
}

export function tfjsDistanceWorkload(t: Tfjs, s: WindowShape, radii: readonly number[]): Workload {
  const tf = t.tf;
  const grid = tfRandom(tf, [s.oh, s.ow, s.k * s.c * s.kh * s.kw], 1, 0.1);
  return tfjsWorkload(tf, [grid], () => {
    tfDistances(tf, grid, radii);
  });
}
