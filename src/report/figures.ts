// The run's figures (SVG, and PNG when the renderer loads) in <run>/figures/.
import { mkdirSync } from 'fs';
import path from 'path';
import { writeFileAtomic } from '../util/atomic';
import { svgToPng } from './png';
import { EpochRecord, ModelName, conversionEpoch, firstLayer, recordsOf } from './records';
import { MODEL_COLOR, MODEL_LABEL, augmentationLabel, epochSeries, percent } from './series';
import { gridLayout, heatMap, lineChart, lineChartFragment, svgDocument, withHeading } from './svg';
import type { LineSeries, VerticalMarker } from './svg';

/** The figures, by file stem. */
export type FigureName = 'loss' | 'accuracy' | 'distances' | 'robustness' | 'divergence_map';

/** Every figure, in the order they are built. */
export const FIGURE_NAMES: readonly FigureName[] = ['loss', 'accuracy', 'distances', 'robustness', 'divergence_map'];

/** A built figure. */
export interface Figure {
  name: FigureName;
  svg: string;
}

/** The figures that could be built, and why the others were not (e.g. no FCN epoch yet). */
export interface BuiltFigures {
  figures: Figure[];
  skipped: { name: FigureName; reason: string }[];
}

const MODELS: readonly ModelName[] = ['cnn', 'fcn'];

function markers(records: readonly EpochRecord[]): VerticalMarker[] {
  const epoch = conversionEpoch(records);
  const hasBranch = records.some((r) => r.phase === 'branch');
  return epoch !== null && hasBranch ? [{ x: epoch, label: `conversion (epoch ${epoch})` }] : [];
}

/** Train (solid) and validation (dashed) curves of both models. */
function trainValSeries(records: readonly EpochRecord[], train: (r: EpochRecord) => number | null, val: (r: EpochRecord) => number | null): LineSeries[] {
  const series: LineSeries[] = [];
  for (const model of MODELS) {
    if (!records.some((r) => r.model === model)) continue;
    const color = MODEL_COLOR[model];
    series.push({ label: `${MODEL_LABEL[model]} train`, color, ...epochSeries(records, model, train) });
    series.push({ label: `${MODEL_LABEL[model]} validation`, color, dashed: true, ...epochSeries(records, model, val) });
  }
  return series;
}

/** Train and validation loss, CNN phase included, conversion marked (the paper's Figures 1/3/5/7). */
export function lossFigure(records: readonly EpochRecord[]): string {
  return lineChart({
    title: `Loss: CNN vs FCN (${augmentationLabel(records)})`,
    xLabel: 'epoch', yLabel: 'cross-entropy loss', integerX: true, yInclude: [0],
    series: trainValSeries(records, (r) => r.loss, (r) => r.val_loss),
    markers: markers(records),
  });
}

/** Train and validation accuracy in percent. */
export function accuracyFigure(records: readonly EpochRecord[]): string {
  return lineChart({
    title: `Accuracy: CNN vs FCN (${augmentationLabel(records)})`,
    xLabel: 'epoch', yLabel: 'accuracy (%)', integerX: true,
    series: trainValSeries(records, (r) => percent(r.accuracy), (r) => percent(r.val_accuracy)),
    markers: markers(records),
  });
}

/** The first LC layer's neighbour distances at r = 1 and r = 4 over the FCN epochs (the paper's Figures 2/4/6/8). */
export function distancesFigure(records: readonly EpochRecord[]): string {
  const fcn = recordsOf(records, 'fcn');
  const layer = fcn.map(firstLayer).find((l) => l !== undefined)?.layer ?? 'first LC layer';
  const panel = (title: string, yLabel: string, pick: 'dist' | 'cos') =>
    lineChartFragment({
      title, xLabel: 'epoch', yLabel, integerX: true, yInclude: [0], width: 760, height: 360,
      markers: markers(records),
      series: [1, 4].map((radius, i) => ({
        label: `r = ${radius}`,
        color: i === 0 ? '#2ca02c' : '#9467bd',
        ...epochSeries(fcn, 'fcn', (r) => firstLayer(r)?.[pick][radius] ?? null),
      })),
    });
  const body = gridLayout([
    panel('Euclidean distance', `dist_r (${layer})`, 'dist'),
    panel('Cosine distance', `cos_r (${layer})`, 'cos'),
  ], 1);
  const heading = `Distance between neighbouring filters of ${layer} (${augmentationLabel(records)})`;
  return svgDocument(withHeading(body, heading), heading);
}

const ROBUSTNESS_PANELS: readonly { title: string; pick: (r: EpochRecord) => number }[] = [
  { title: 'clean validation', pick: (r) => r.val_accuracy },
  { title: 'translation ±25%', pick: (r) => r.translation },
  { title: 'noise σ = 0.15', pick: (r) => r.noise },
  { title: 'edge noise σ = 0.15', pick: (r) => r.edge_noise },
  { title: 'rotation ±45°', pick: (r) => r.rotation },
  { title: 'quadrant swap', pick: (r) => r.swap },
];

/** Validation accuracy clean and under the five perturbations, CNN vs FCN, one panel each. */
export function robustnessFigure(records: readonly EpochRecord[]): string {
  const models = MODELS.filter((m) => records.some((r) => r.model === m));
  const panels = ROBUSTNESS_PANELS.map(({ title, pick }) =>
    lineChartFragment({
      title, xLabel: 'epoch', yLabel: 'accuracy (%)', integerX: true, width: 440, height: 300,
      markers: markers(records).map((m) => ({ ...m, label: 'conversion' })),
      series: models.map((model) => ({
        label: MODEL_LABEL[model], color: MODEL_COLOR[model], ...epochSeries(records, model, (r) => percent(pick(r))),
      })),
    }),
  );
  const heading = `Robustness: validation accuracy under perturbations (${augmentationLabel(records)})`;
  return svgDocument(withHeading(gridLayout(panels, 3), heading), heading);
}

/** The last FCN epoch's per-position divergence in the first LC layer, or null when no record has a map. */
export function divergenceMapFigure(records: readonly EpochRecord[]): string | null {
  const fcn = recordsOf(records, 'fcn');
  for (let i = fcn.length - 1; i >= 0; i--) {
    const layer = firstLayer(fcn[i]);
    const map = layer?.divergenceMap;
    if (!layer || !map) continue;
    return heatMap({
      title: `${layer.layer}: distance of each position's filters to the tied filter, epoch ${fcn[i].epoch}`,
      rows: map.height, columns: map.width, values: map.values,
      xLabel: 'output column j', yLabel: 'output row i', valueLabel: '‖W_ij − W_tied‖ / ‖W_tied‖',
      width: 640, height: 560,
    });
  }
  return null;
}

/** Every figure that the records allow. */
export function buildFigures(records: readonly EpochRecord[]): BuiltFigures {
  const figures: Figure[] = [];
  const skipped: BuiltFigures['skipped'] = [];
  if (records.length === 0) {
    for (const name of FIGURE_NAMES) skipped.push({ name, reason: 'no epoch records' });
    return { figures, skipped };
  }
  figures.push({ name: 'loss', svg: lossFigure(records) });
  figures.push({ name: 'accuracy', svg: accuracyFigure(records) });
  if (records.some((r) => r.model === 'fcn' && r.layers.length > 0)) figures.push({ name: 'distances', svg: distancesFigure(records) });
  else skipped.push({ name: 'distances', reason: 'no FCN epoch with layer distances yet' });
  figures.push({ name: 'robustness', svg: robustnessFigure(records) });
  const map = divergenceMapFigure(records);
  if (map !== null) figures.push({ name: 'divergence_map', svg: map });
  else skipped.push({ name: 'divergence_map', reason: 'no FCN epoch with a divergence map (metrics.csv does not hold maps)' });
  return { figures, skipped };
}

/** Options of {@link writeFigures}. */
export interface WriteFiguresOptions {
  /** Also write PNGs when the renderer loads (default true). */
  png?: boolean;
  /** Told once when PNGs cannot be rendered (default: standard error). */
  warn?: (message: string) => void;
}

/** What {@link writeFigures} wrote (absolute paths) and skipped. */
export interface WrittenFigures {
  files: string[];
  skipped: { name: FigureName; reason: string }[];
}

/** Builds the figures and writes `<name>.svg` (and `<name>.png`) atomically into `<runDir>/figures/`. */
export function writeFigures(runDir: string, records: readonly EpochRecord[], options: WriteFiguresOptions = {}): WrittenFigures {
  const dir = path.resolve(runDir, 'figures');
  mkdirSync(dir, { recursive: true });
  const { figures, skipped } = buildFigures(records);
  const files: string[] = [];
  for (const { name, svg } of figures) {
    const svgPath = path.join(dir, `${name}.svg`);
    writeFileAtomic(svgPath, svg);
    files.push(svgPath);
    if (options.png === false) continue;
    const png = svgToPng(svg, { warn: options.warn });
    if (png === null) continue;
    const pngPath = path.join(dir, `${name}.png`);
    writeFileAtomic(pngPath, png);
    files.push(pngPath);
  }
  return { files, skipped };
}
