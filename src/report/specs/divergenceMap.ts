// The per-position divergence of each locally connected layer: how far each output position's
// filters have moved from the tied filter they started as, ‖W_ij − W_tied‖ / ‖W_tied‖, as one heat
// map per layer. An epoch slider (a Vega-Lite param bound to a range input) picks the FCN epoch;
// it starts at the last one, which is what a static render shows.
import type { FigureSpec } from '../vega';
import { EpochRecord } from '../records';
import { LayerMap, layerMaps, mapRows } from '../series';
import { exprString, figureSpec, table } from './parts';

/** Which epochs' maps the spec carries. */
export type MapEpochs = 'all' | 'last';

/** The name of the epoch param (the slider). */
export const MAP_EPOCH_PARAM = 'map_epoch';

const VALUE_TITLE = '‖W_ij − W_tied‖ / ‖W_tied‖';
const MISSING = '#bdbdbd';

function layerPanel(layer: string, size: { height: number; width: number }): Record<string, unknown> {
  const side = 240;
  const cell = side / Math.max(size.height, size.width);
  const ofLayer = `datum.layer === ${exprString(layer)} && datum.epoch === ${MAP_EPOCH_PARAM}`;
  const x = { field: 'j', type: 'ordinal', title: 'output column j', axis: { labelAngle: 0, labelOverlap: true } };
  const y = { field: 'i', type: 'ordinal', title: 'output row i', axis: { labelOverlap: true } };
  return {
    title: { text: `${layer} (${size.height} × ${size.width})`, fontSize: 13 },
    width: cell * size.width,
    height: cell * size.height,
    transform: [{ filter: ofLayer }],
    layer: [
      {
        transform: [{ filter: 'isValid(datum.value)' }],
        mark: { type: 'rect', tooltip: true },
        encoding: {
          x, y,
          color: { field: 'value', type: 'quantitative', title: null, scale: { scheme: 'viridis' }, legend: { gradientLength: cell * size.height } },
        },
      },
      { transform: [{ filter: '!isValid(datum.value)' }], mark: { type: 'rect', color: MISSING }, encoding: { x, y } },
    ],
  };
}

/**
 * One heat map per LC layer with a divergence map, and the epoch slider; null when no FCN record
 * has a map (metrics.csv does not hold them). `epochs: 'all'` carries every epoch's maps and the
 * slider; 'last' only the last epoch's maps and no slider (a static render shows no other).
 */
export function divergenceMapSpec(records: readonly EpochRecord[], epochs: MapEpochs = 'all'): FigureSpec | null {
  const maps = layerMaps(records);
  if (maps.length === 0) return null;
  const epochList = [...new Set(maps.map((m) => m.epoch))];
  const last = Math.max(...epochList);
  const first = Math.min(...epochList);
  const shown = epochs === 'last' ? maps.filter((m) => m.epoch === last) : maps;
  const sizes = new Map<string, LayerMap['layer']['divergenceMap']>();
  for (const m of maps) if (m.epoch === last || !sizes.has(m.layer.layer)) sizes.set(m.layer.layer, m.layer.divergenceMap);
  const heading = `Distance of each position's filters to the tied filter, ${VALUE_TITLE}, epoch `;
  return figureSpec({
    title: { text: { expr: `${exprString(heading)} + ${MAP_EPOCH_PARAM}` } },
    // The slider only where there is a page to put it on (a bound param also widens a headless render).
    params: [{
      name: MAP_EPOCH_PARAM,
      value: last,
      ...(epochs === 'all' ? { bind: { input: 'range', min: first, max: last, step: 1, name: 'FCN epoch ' } } : {}),
    }],
    data: table(mapRows(shown)),
    hconcat: [...sizes].map(([layer, size]) => layerPanel(layer, size)),
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
  });
}
