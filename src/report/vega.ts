// Figures are Vega-Lite specs; this renders one headless to SVG (and, through ./png, to PNG). The
// same specs drive the browser view, so each figure has one definition.
//
// vega 5 / vega-lite 5 rather than 6: the 6.x packages are ES modules with top-level await, which
// a CommonJS package on Node 20 (and jest) cannot require.
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

let libraries: { vega: typeof Vega; vegaLite: typeof VegaLite } | null = null;

/** vega and vega-lite, loaded on the first render: loading them takes a second or more, which commands that draw nothing should not pay. */
function vegaLibraries(): { vega: typeof Vega; vegaLite: typeof VegaLite } {
  libraries ??= { vega: require('vega') as typeof Vega, vegaLite: require('vega-lite') as typeof VegaLite };
  return libraries;
}

/** The font stack: DejaVu Sans is installed on the machines (and what the PNG renderer loads); sans-serif is the fallback. */
export const FONT_FAMILY = "'DejaVu Sans', sans-serif";

/** A Vega-Lite figure: plain JSON data (it also goes to the browser as is). */
export type FigureSpec = TopLevelSpec;

/** The look every figure shares: font, sizes, no chart border. Merged under a spec's own config. */
export const FIGURE_CONFIG = {
  font: FONT_FAMILY,
  title: { fontSize: 15, anchor: 'start' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e3e3e3' },
  legend: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: null },
  background: '#ffffff',
} as const;

/** The spec with the shared config under its own (the spec's settings win). */
export function withFigureConfig(spec: FigureSpec): FigureSpec {
  const own = (spec as { config?: Record<string, unknown> }).config ?? {};
  return { ...spec, config: { ...FIGURE_CONFIG, ...own } } as FigureSpec;
}

function compileFigure(spec: FigureSpec): Vega.Spec {
  try {
    return vegaLibraries().vegaLite.compile(withFigureConfig(spec)).spec;
  } catch (error) {
    const title = (spec as { title?: unknown }).title;
    const name = typeof title === 'string' ? `figure '${title}'` : 'figure';
    throw new Error(`${name}: the Vega-Lite spec does not compile: ${(error as Error).message}`);
  }
}

function headlessView(spec: FigureSpec): Vega.View {
  const { vega } = vegaLibraries();
  return new vega.View(vega.parse(compileFigure(spec)), { renderer: 'none', logLevel: vega.Error });
}

/**
 * Renders a Vega-Lite spec to a standalone SVG document, without a browser or canvas (text widths
 * are Vega's estimates). Throws when the spec does not compile, naming the spec's title when it has one.
 */
export async function renderSvg(spec: FigureSpec): Promise<string> {
  const view = headlessView(spec);
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** The name of a figure's top-level dataset whose rows {@link FigureRenderer} swaps without compiling again. */
export const FIGURE_DATA = 'table';

/** The rows of a spec's top-level dataset when it is named {@link FIGURE_DATA}, else null. */
function tableRows(spec: FigureSpec): unknown[] | null {
  const data = (spec as { data?: { name?: unknown; values?: unknown } }).data;
  return data?.name === FIGURE_DATA && Array.isArray(data.values) ? data.values : null;
}

/**
 * Renders the same figures again and again as their data grows (a training run's, every epoch).
 * A figure whose spec is unchanged but for the rows of its top-level {@link FIGURE_DATA} dataset
 * keeps its compiled view and only the rows are swapped: compiling and parsing are about half the
 * cost of a render.
 */
export class FigureRenderer {
  private readonly views = new Map<string, { key: string; view: Vega.View }>();

  /** The SVG of `spec`, figure `id`'s latest version. Throws like {@link renderSvg}. */
  async render(id: string, spec: FigureSpec): Promise<string> {
    const rows = tableRows(spec);
    if (rows === null) return renderSvg(spec);
    const key = JSON.stringify({ ...spec, data: { name: FIGURE_DATA } });
    let entry = this.views.get(id);
    if (entry?.key === key) {
      entry.view.data(FIGURE_DATA, rows);
    } else {
      this.drop(id);
      entry = { key, view: headlessView(spec) };
      this.views.set(id, entry);
    }
    try {
      await entry.view.runAsync();
      return await entry.view.toSVG();
    } catch (error) {
      this.drop(id);
      throw error;
    }
  }

  /** Frees every view. */
  dispose(): void {
    for (const id of [...this.views.keys()]) this.drop(id);
  }

  private drop(id: string): void {
    this.views.get(id)?.view.finalize();
    this.views.delete(id);
  }
}
