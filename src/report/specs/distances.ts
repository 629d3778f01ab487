// Neighbour distances of every locally connected layer, Euclidean and cosine, at each radius, over
// the FCN epochs (the paper's Figures 2/4/6/8 show the first layer).
import type { FigureSpec } from '../vega';
import { EpochRecord } from '../records';
import { augmentationLabel, distanceRows, layerNamesOf, radiiOf, radiusLabel } from '../series';
import { conversionMarker, exprString, figureSpec, lineLayer, table } from './parts';

/** Colours of the radii, in order. */
const RADIUS_COLORS = ['#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

const METRICS = [
  { key: 'dist', title: 'Euclidean distance', axis: 'dist_r' },
  { key: 'cos', title: 'Cosine distance', axis: 'cos_r' },
] as const;

/** One row per LC layer: its Euclidean and cosine distance panels. */
export function distancesSpec(records: readonly EpochRecord[]): FigureSpec {
  const radii = radiiOf(records).map(radiusLabel);
  const colors = radii.map((_, i) => RADIUS_COLORS[i % RADIUS_COLORS.length]);
  return figureSpec({
    title: `Distance between neighbouring filters of each LC layer (${augmentationLabel(records)})`,
    data: table(distanceRows(records)),
    vconcat: layerNamesOf(records).map((layer) => ({
      hconcat: METRICS.map((metric) => ({
        title: { text: `${layer}: ${metric.title}`, fontSize: 13 },
        width: 360,
        height: 220,
        layer: [
          lineLayer({
            colorField: 'radius',
            domain: radii,
            colors,
            yTitle: `${metric.axis} (${layer})`,
            zero: true,
            filter: `datum.layer === ${exprString(layer)} && datum.metric === ${exprString(metric.key)}`,
          }),
          ...conversionMarker(records, (epoch) => `conversion (epoch ${epoch})`),
        ],
      })),
    })),
  });
}
