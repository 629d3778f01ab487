// Filter divergence of every locally connected layer of a model, once an epoch: the papers'
// neighbour distances (dist_r, cos_r for r = 1 and 4) and the distance of each position's filters
// from the tied filter they started as (its mean, and the map for the heat map).
import { Sequential } from '../nn/model';
import { PAPER_RADII, localDistances, referenceDistanceArrays } from '../ops/distance';
import type { LayerDivergence } from '../report';

const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/** The divergence measures of each LC layer of `model`, in layer order (empty for a CNN). */
export function layerDivergences(model: Sequential): LayerDivergence[] {
  return model.localLayers().map(({ name, weight, tied }) => {
    const dist: Record<number, number | null> = {};
    const cos: Record<number, number | null> = {};
    for (const d of localDistances(weight, PAPER_RADII)) {
      dist[d.radius] = orNull(d.dist);
      cos[d.radius] = orNull(d.cos);
    }
    const layer: LayerDivergence = { layer: name, dist, cos, divergence: NaN };
    if (tied) {
      const map = referenceDistanceArrays(weight, tied);
      let sum = 0;
      for (const v of map.dist) sum += v;
      layer.divergence = sum / map.dist.length;
      layer.divergenceMap = { height: map.shape[0], width: map.shape[1], values: Array.from(map.dist) };
    }
    return layer;
  });
}
