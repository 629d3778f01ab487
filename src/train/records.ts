// Epoch records (the rows of metrics.csv / metrics.jsonl) and their one-line summaries.
import type { EpochRecord, LayerDivergence, ModelName, PhaseName } from '../report';
import { augmentationColumns } from './augmentations';
import { EvaluationResult, PassResult } from './evaluate';
import { TrainSettings } from './settings';

/** What an epoch of one model measured. */
export interface EpochMeasurements {
  epoch: number;
  model: ModelName;
  phase: PhaseName;
  train: PassResult;
  validation: EvaluationResult;
  testAccuracy: number | null;
  layers: LayerDivergence[];
  seconds: number;
}

/** The record of an epoch, in the published columns' terms. */
export function epochRecord(settings: TrainSettings, m: EpochMeasurements): EpochRecord {
  return {
    epoch: m.epoch,
    model: m.model,
    phase: m.phase,
    ...augmentationColumns(settings),
    vcp: 0,
    loss: m.train.loss,
    val_loss: m.validation.loss,
    accuracy: m.train.accuracy,
    val_accuracy: m.validation.accuracy,
    translation: m.validation.robustness.translation,
    noise: m.validation.robustness.noise,
    edge_noise: m.validation.robustness.edge_noise,
    rotation: m.validation.robustness.rotation,
    swap: m.validation.robustness.swap,
    test_accuracy: m.testAccuracy,
    layers: m.layers,
    seconds: m.seconds,
    learning_rate: settings.lr,
  };
}

const pct = (v: number): string => (Number.isNaN(v) ? '-' : `${(100 * v).toFixed(2)}%`);
const num = (v: number | null | undefined): string => (v === null || v === undefined || Number.isNaN(v) ? '-' : v.toPrecision(4));

/** One line about a record: train and validation loss/accuracy, robustness, distances, time. */
export function recordLine(r: EpochRecord, label: string, best: boolean): string {
  const robust = Number.isNaN(r.translation)
    ? ''
    : ` | robust T ${pct(r.translation)} N ${pct(r.noise)} E ${pct(r.edge_noise)} R ${pct(r.rotation)} S ${pct(r.swap)}`;
  const first = r.layers[0];
  const dist = first
    ? ` | ${first.layer} dist_1 ${num(first.dist[1])} dist_4 ${num(first.dist[4])} cos_1 ${num(first.cos[1])} ` +
      `cos_4 ${num(first.cos[4])} div ${num(first.divergence)}`
    : '';
  const test = r.test_accuracy !== null ? ` | test ${pct(r.test_accuracy)}` : '';
  return (
    `${label}  loss ${r.loss.toFixed(4)} acc ${pct(r.accuracy)} | val loss ${r.val_loss.toFixed(4)} acc ${pct(r.val_accuracy)}` +
    `${best ? ' *' : ''}${robust}${dist}${test} | ${r.seconds.toFixed(1)} s`
  );
}
