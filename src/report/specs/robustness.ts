// Robustness: validation accuracy clean and under the five perturbations, CNN vs FCN, one panel each.
import type { FigureSpec } from '../vega';
import { EpochRecord } from '../records';
import { MODEL_COLOR, MODEL_LABEL, augmentationLabel, modelsIn, panelRows } from '../series';
import { conversionMarker, exprString, figureSpec, lineLayer, table } from './parts';

/** The panels: title and the record's value. */
export const ROBUSTNESS_PANELS: readonly { title: string; pick: (r: EpochRecord) => number }[] = [
  { title: 'clean validation', pick: (r) => r.val_accuracy },
  { title: 'translation ±25%', pick: (r) => r.translation },
  { title: 'noise σ = 0.15', pick: (r) => r.noise },
  { title: 'edge noise σ = 0.15', pick: (r) => r.edge_noise },
  { title: 'rotation ±45°', pick: (r) => r.rotation },
  { title: 'quadrant swap', pick: (r) => r.swap },
];

/** The six panels in a grid of three columns. */
export function robustnessSpec(records: readonly EpochRecord[]): FigureSpec {
  const models = modelsIn(records);
  const line = (panel: string) => lineLayer({
    colorField: 'model',
    domain: models.map((m) => MODEL_LABEL[m]),
    colors: models.map((m) => MODEL_COLOR[m]),
    yTitle: 'accuracy (%)',
    zero: false,
    filter: `datum.panel === ${exprString(panel)}`,
  });
  return figureSpec({
    title: `Robustness: validation accuracy under perturbations (${augmentationLabel(records)})`,
    data: table(panelRows(records, ROBUSTNESS_PANELS)),
    columns: 3,
    concat: ROBUSTNESS_PANELS.map(({ title }) => ({
      title: { text: title, fontSize: 13 },
      width: 300,
      height: 200,
      layer: [line(title), ...conversionMarker(records, () => 'conversion')],
    })),
  });
}
