// Series and labels drawn from epoch records.
import { EpochRecord, ModelName, recordsOf } from './records';

/** The x (epoch) and y values of one quantity for one model, ordered by epoch. */
export interface EpochSeries {
  x: number[];
  y: (number | null)[];
}

/** `pick` of each record of `model`, by epoch; a record `pick` returns null for leaves a gap. */
export function epochSeries(records: readonly EpochRecord[], model: ModelName, pick: (r: EpochRecord) => number | null): EpochSeries {
  const rows = recordsOf(records, model);
  return { x: rows.map((r) => r.epoch), y: rows.map(pick) };
}

/** The display names of the models. */
export const MODEL_LABEL: Record<ModelName, string> = { cnn: 'CNN', fcn: 'FCN' };

/** The colour of each model in every figure. */
export const MODEL_COLOR: Record<ModelName, string> = { cnn: '#1f77b4', fcn: '#d62728' };

/** The run's augmentation in words, e.g. 'noise σ = 0.5' or 'no augmentation' (from the first record). */
export function augmentationLabel(records: readonly EpochRecord[]): string {
  const first = records[0];
  if (!first || first.aug_type === 'none' || first.aug_type === '') return 'no augmentation';
  if (first.aug_type === 'noise') return `noise σ = ${first.aug}`;
  // Several augmentations: aug_type lists them with their levels and aug is NaN.
  return Number.isNaN(first.aug) ? first.aug_type : `${first.aug_type} ${first.aug}`;
}

/** A fraction as a percentage, keeping null and NaN. */
export function percent(value: number | null): number | null {
  return value === null ? null : value * 100;
}
