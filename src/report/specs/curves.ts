// Loss and accuracy: train (solid) and validation (dashed) curves of the CNN and the FCN, the
// CNN phase included, the conversion marked (the paper's Figures 1/3/5/7).
import type { FigureSpec } from '../vega';
import { EpochRecord } from '../records';
import { MODEL_COLOR, augmentationLabel, percent, trainValRows, trainValSeries } from '../series';
import { conversionMarker, figureSpec, lineLayer, table } from './parts';

const SOLID = [1, 0];
const DASHED = [6, 3];

function trainValSpec(
  records: readonly EpochRecord[],
  title: string,
  yTitle: string,
  zero: boolean,
  train: (r: EpochRecord) => number | null,
  validation: (r: EpochRecord) => number | null,
): FigureSpec {
  const series = trainValSeries(records);
  return figureSpec({
    title,
    width: 560,
    height: 320,
    data: table(trainValRows(records, train, validation)),
    layer: [
      lineLayer({
        colorField: 'series',
        domain: series.map((s) => s.name),
        colors: series.map((s) => MODEL_COLOR[s.model]),
        dashes: series.map((s) => (s.validation ? DASHED : SOLID)),
        yTitle,
        zero,
      }),
      ...conversionMarker(records, (epoch) => `conversion (epoch ${epoch})`),
    ],
  });
}

/** Train and validation loss. */
export function lossSpec(records: readonly EpochRecord[]): FigureSpec {
  return trainValSpec(records, `Loss: CNN vs FCN (${augmentationLabel(records)})`, 'cross-entropy loss', true, (r) => r.loss, (r) => r.val_loss);
}

/** Train and validation accuracy in percent. */
export function accuracySpec(records: readonly EpochRecord[]): FigureSpec {
  return trainValSpec(
    records, `Accuracy: CNN vs FCN (${augmentationLabel(records)})`, 'accuracy (%)', false,
    (r) => percent(r.accuracy), (r) => percent(r.val_accuracy),
  );
}
