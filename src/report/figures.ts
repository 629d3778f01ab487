// The run's figures in <run>/figures/: each figure's Vega-Lite spec rendered headless to SVG, and
// to PNG when the renderer loads.
import { mkdirSync } from 'fs';
import path from 'path';
import { writeFileAtomic } from '../util/atomic';
import { svgToPng } from './png';
import { EpochRecord } from './records';
import { FigureName, SkippedFigure, buildFigureSpecs } from './specs';
import { FigureRenderer, renderSvg } from './vega';

/** A rendered figure. */
export interface Figure {
  name: FigureName;
  svg: string;
}

/** The figures that could be built, and why the others were not (e.g. no FCN epoch yet). */
export interface BuiltFigures {
  figures: Figure[];
  skipped: SkippedFigure[];
}

/**
 * Every figure that the records allow, rendered to SVG (the divergence maps at the last epoch);
 * through `renderer` when given, which keeps each figure's compiled view from one call to the next.
 */
export async function buildFigures(records: readonly EpochRecord[], renderer?: FigureRenderer): Promise<BuiltFigures> {
  const { figures, skipped } = buildFigureSpecs(records, { mapEpochs: 'last' });
  const rendered: Figure[] = [];
  for (const { name, spec } of figures) rendered.push({ name, svg: renderer ? await renderer.render(name, spec) : await renderSvg(spec) });
  return { figures: rendered, skipped };
}

/** Options of {@link writeFigures}. */
export interface WriteFiguresOptions {
  /** Also write PNGs when the renderer loads (default true). */
  png?: boolean;
  /** Told once when PNGs cannot be rendered (default: standard error). */
  warn?: (message: string) => void;
  /** Renders through this renderer (a run's figures, rebuilt every epoch) rather than afresh. */
  renderer?: FigureRenderer;
}

/** What {@link writeFigures} wrote (absolute paths) and skipped. */
export interface WrittenFigures {
  files: string[];
  skipped: SkippedFigure[];
}

/** Renders the figures and writes `<name>.svg` (and `<name>.png`) atomically into `<runDir>/figures/`. */
export async function writeFigures(runDir: string, records: readonly EpochRecord[], options: WriteFiguresOptions = {}): Promise<WrittenFigures> {
  const dir = path.resolve(runDir, 'figures');
  mkdirSync(dir, { recursive: true });
  const { figures, skipped } = await buildFigures(records, options.renderer);
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
