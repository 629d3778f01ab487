// The figures' data: epoch records as tidy rows, one row per drawn point. Values that are not
// finite become null (JSON, which carries the specs to the browser, has no NaN): a line leaves a
// gap there and a heat-map cell is drawn as missing.
import { EpochRecord, LayerDivergence, ModelName, conversionEpoch, recordsOf } from './records';

/** The display names of the models. */
export const MODEL_LABEL: Record<ModelName, string> = { cnn: 'CNN', fcn: 'FCN' };

/** The colour of each model in every figure. */
export const MODEL_COLOR: Record<ModelName, string> = { cnn: '#1f77b4', fcn: '#d62728' };

/** The models in drawing order. */
export const MODELS: readonly ModelName[] = ['cnn', 'fcn'];

/** The models that have at least one record. */
export function modelsIn(records: readonly EpochRecord[]): ModelName[] {
  return MODELS.filter((m) => records.some((r) => r.model === m));
}

/** The run's augmentation in words, e.g. 'noise σ = 0.5' or 'no augmentation' (from the first record). */
export function augmentationLabel(records: readonly EpochRecord[]): string {
  const first = records[0];
  if (!first || first.aug_type === 'none' || first.aug_type === '') return 'no augmentation';
  if (first.aug_type === 'noise') return `noise σ = ${first.aug}`;
  // Several augmentations: aug_type lists them with their levels and aug is NaN.
  return Number.isNaN(first.aug) ? first.aug_type : `${first.aug_type} ${first.aug}`;
}

/** The epoch of the conversion when the run has branch epochs after it (so there is something to mark it against), else null. */
export function markedConversion(records: readonly EpochRecord[]): number | null {
  const epoch = conversionEpoch(records);
  return epoch !== null && records.some((r) => r.phase === 'branch') ? epoch : null;
}

/** A finite number, or null. */
export function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** A fraction as a percentage (null stays null). */
export function percent(value: number | null): number | null {
  return value === null ? null : value * 100;
}

/** One point of a train or validation curve. `series` is e.g. 'CNN validation'. */
export interface CurveRow {
  epoch: number;
  series: string;
  value: number | null;
}

/** The series names of {@link trainValRows}, in legend order, for the models present. */
export function trainValSeries(records: readonly EpochRecord[]): { name: string; model: ModelName; validation: boolean }[] {
  return modelsIn(records).flatMap((model) => [
    { name: `${MODEL_LABEL[model]} train`, model, validation: false },
    { name: `${MODEL_LABEL[model]} validation`, model, validation: true },
  ]);
}

/** Train and validation values of every model, by epoch. */
export function trainValRows(
  records: readonly EpochRecord[],
  train: (r: EpochRecord) => number | null,
  validation: (r: EpochRecord) => number | null,
): CurveRow[] {
  const rows: CurveRow[] = [];
  for (const model of modelsIn(records)) {
    for (const r of recordsOf(records, model)) {
      rows.push({ epoch: r.epoch, series: `${MODEL_LABEL[model]} train`, value: finiteOrNull(train(r)) });
      rows.push({ epoch: r.epoch, series: `${MODEL_LABEL[model]} validation`, value: finiteOrNull(validation(r)) });
    }
  }
  return rows;
}

/** One point of a robustness panel: a model's validation accuracy (%) under one perturbation. */
export interface PanelRow {
  epoch: number;
  panel: string;
  model: string;
  value: number | null;
}

/** `panels` (title and what it reads) of every model, by epoch, in percent. */
export function panelRows(records: readonly EpochRecord[], panels: readonly { title: string; pick: (r: EpochRecord) => number }[]): PanelRow[] {
  const rows: PanelRow[] = [];
  for (const model of modelsIn(records)) {
    for (const r of recordsOf(records, model)) {
      for (const { title, pick } of panels) rows.push({ epoch: r.epoch, panel: title, model: MODEL_LABEL[model], value: percent(finiteOrNull(pick(r))) });
    }
  }
  return rows;
}

/** The locally connected layers named in the FCN records, in network order. */
export function layerNamesOf(records: readonly EpochRecord[]): string[] {
  const names: string[] = [];
  for (const r of recordsOf(records, 'fcn')) for (const l of r.layers) if (!names.includes(l.layer)) names.push(l.layer);
  return names;
}

/** The neighbour radii the FCN records hold, ascending. */
export function radiiOf(records: readonly EpochRecord[]): number[] {
  const radii = new Set<number>();
  for (const r of recordsOf(records, 'fcn')) for (const l of r.layers) for (const k of Object.keys(l.dist)) radii.add(Number(k));
  return [...radii].sort((a, b) => a - b);
}

/** One point of a distance curve: a layer's mean neighbour distance at one radius. */
export interface DistanceRow {
  epoch: number;
  layer: string;
  metric: 'dist' | 'cos';
  radius: string;
  value: number | null;
}

/** The radius label of the distance figures, e.g. 'r = 4'. */
export function radiusLabel(radius: number): string {
  return `r = ${radius}`;
}

/** Every LC layer's neighbour distances (Euclidean and cosine, every radius), by FCN epoch. */
export function distanceRows(records: readonly EpochRecord[]): DistanceRow[] {
  const rows: DistanceRow[] = [];
  const radii = radiiOf(records);
  for (const r of recordsOf(records, 'fcn')) {
    for (const l of r.layers) {
      for (const metric of ['dist', 'cos'] as const) {
        for (const radius of radii) rows.push({ epoch: r.epoch, layer: l.layer, metric, radius: radiusLabel(radius), value: finiteOrNull(l[metric][radius]) });
      }
    }
  }
  return rows;
}

/** One cell of a divergence map: position (i, j) of a layer at an epoch. */
export interface MapRow {
  epoch: number;
  layer: string;
  i: number;
  j: number;
  value: number | null;
}

/** A layer's divergence map at one FCN epoch. */
export interface LayerMap {
  epoch: number;
  layer: LayerDivergence & { divergenceMap: NonNullable<LayerDivergence['divergenceMap']> };
}

/** The divergence maps of the FCN records, by epoch then layer. */
export function layerMaps(records: readonly EpochRecord[]): LayerMap[] {
  const maps: LayerMap[] = [];
  for (const r of recordsOf(records, 'fcn')) {
    for (const l of r.layers) if (l.divergenceMap) maps.push({ epoch: r.epoch, layer: l as LayerMap['layer'] });
  }
  return maps;
}

/** The cells of the given maps, row-major. */
export function mapRows(maps: readonly LayerMap[]): MapRow[] {
  const rows: MapRow[] = [];
  for (const { epoch, layer } of maps) {
    const { height, width, values } = layer.divergenceMap;
    for (let i = 0; i < height; i++) {
      for (let j = 0; j < width; j++) rows.push({ epoch, layer: layer.layer, i, j, value: finiteOrNull(values[i * width + j]) });
    }
  }
  return rows;
}
