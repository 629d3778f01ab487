// Every run figure as a Vega-Lite spec, built from the epoch records. These specs are the one
// definition of each figure: the files in <run>/figures/ are their headless renders, and the run
// browser (wsr-native serve, report --html) embeds them as they are.
import type { FigureSpec } from '../vega';
import { EpochRecord } from '../records';
import { accuracySpec, lossSpec } from './curves';
import { distancesSpec } from './distances';
import { MapEpochs, divergenceMapSpec } from './divergenceMap';
import { robustnessSpec } from './robustness';

/** The figures, by file stem. */
export type FigureName = 'loss' | 'accuracy' | 'distances' | 'robustness' | 'divergence_map';

/** Every figure, in the order they are built. */
export const FIGURE_NAMES: readonly FigureName[] = ['loss', 'accuracy', 'distances', 'robustness', 'divergence_map'];

/** A figure's spec. */
export interface FigureSpecEntry {
  name: FigureName;
  spec: FigureSpec;
}

/** A figure that the records do not allow yet, and why. */
export interface SkippedFigure {
  name: FigureName;
  reason: string;
}

/** The figures' specs, and the figures skipped. */
export interface FigureSpecs {
  figures: FigureSpecEntry[];
  skipped: SkippedFigure[];
}

/** Options of {@link buildFigureSpecs}. */
export interface FigureSpecOptions {
  /** The divergence maps of every FCN epoch for the slider ('all', default), or only the last epoch's ('last', for static renders). */
  mapEpochs?: MapEpochs;
}

/** The spec of every figure the records allow. */
export function buildFigureSpecs(records: readonly EpochRecord[], options: FigureSpecOptions = {}): FigureSpecs {
  const figures: FigureSpecEntry[] = [];
  const skipped: SkippedFigure[] = [];
  if (records.length === 0) {
    for (const name of FIGURE_NAMES) skipped.push({ name, reason: 'no epoch records' });
    return { figures, skipped };
  }
  figures.push({ name: 'loss', spec: lossSpec(records) });
  figures.push({ name: 'accuracy', spec: accuracySpec(records) });
  if (records.some((r) => r.model === 'fcn' && r.layers.length > 0)) figures.push({ name: 'distances', spec: distancesSpec(records) });
  else skipped.push({ name: 'distances', reason: 'no FCN epoch with layer distances yet' });
  figures.push({ name: 'robustness', spec: robustnessSpec(records) });
  const map = divergenceMapSpec(records, options.mapEpochs ?? 'all');
  if (map !== null) figures.push({ name: 'divergence_map', spec: map });
  else skipped.push({ name: 'divergence_map', reason: 'no FCN epoch with a divergence map (metrics.csv does not hold maps)' });
  return { figures, skipped };
}

export { lossSpec, accuracySpec, distancesSpec, robustnessSpec, divergenceMapSpec };
export { ROBUSTNESS_PANELS } from './robustness';
export { MAP_EPOCH_PARAM } from './divergenceMap';
export type { MapEpochs } from './divergenceMap';
