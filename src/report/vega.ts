// Figures are Vega-Lite specs; this renders one headless to SVG (and, through ./png, to PNG). The
// same specs drive the browser view, so each figure has one definition.
//
// vega 5 / vega-lite 5 rather than 6: the 6.x packages are ES modules with top-level await, which
// a CommonJS package on Node 20 (and jest) cannot require.
import * as vega from 'vega';
import { TopLevelSpec, compile } from 'vega-lite';
import { FONT_FAMILY } from './svg/theme';

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

/**
 * Renders a Vega-Lite spec to a standalone SVG document, without a browser or canvas (text widths
 * are Vega's estimates). Throws when the spec does not compile, naming the spec's title when it has one.
 */
export async function renderSvg(spec: FigureSpec): Promise<string> {
  let compiled: vega.Spec;
  try {
    compiled = compile(withFigureConfig(spec)).spec;
  } catch (error) {
    const title = (spec as { title?: unknown }).title;
    const name = typeof title === 'string' ? `figure '${title}'` : 'figure';
    throw new Error(`${name}: the Vega-Lite spec does not compile: ${(error as Error).message}`);
  }
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
