// Pieces every run figure shares: the epoch axis, the conversion marker, line marks with points.
import { EpochRecord } from '../records';
import { markedConversion } from '../series';
import { FIGURE_DATA, FigureSpec } from '../vega';

/** A Vega-Lite fragment (a layer, an encoding): plain JSON, checked when the whole spec compiles. */
export type Json = Record<string, unknown>;

/**
 * A whole figure from JSON fragments. Vega-Lite's TypeScript types cannot follow fragments built
 * by functions; the spec is checked where it matters, when it compiles (every figure is compiled in
 * the tests).
 */
export function figureSpec(json: Json): FigureSpec {
  return json as unknown as FigureSpec;
}

/** A figure's rows as its top-level dataset (named, so that a renderer can swap them: see FigureRenderer). */
export function table(values: readonly object[]): Json {
  return { name: FIGURE_DATA, values };
}

/** Grey of markers and notes. */
export const MUTED = '#666666';

/** The epoch as x: whole-number ticks. */
export const EPOCH_X: Json = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } };

/**
 * The conversion as a dashed vertical rule with a label at the top of the plot, as layers to add
 * to a layered chart (none when there is nothing to mark).
 */
export function conversionMarker(records: readonly EpochRecord[], label: (epoch: number) => string): Json[] {
  const epoch = markedConversion(records);
  if (epoch === null) return [];
  const x = { field: 'epoch', type: 'quantitative' };
  return [{
    data: { values: [{ epoch, label: label(epoch) }] },
    layer: [
      { mark: { type: 'rule', color: MUTED, strokeDash: [4, 4], strokeWidth: 1.2 }, encoding: { x } },
      { mark: { type: 'text', align: 'left', baseline: 'top', dx: 4, dy: 4, color: MUTED, fontSize: 11 }, encoding: { x, y: { value: 0 }, text: { field: 'label' } } },
    ],
  }];
}

/** Lines with a point per epoch (its values as tooltip); a missing value breaks the line. */
export const LINE_MARK: Json = {
  type: 'line', strokeWidth: 1.8, invalid: 'break-paths-filter-domains', point: { filled: true, size: 14 }, tooltip: true,
};

/** Legend entries drawn as line samples (they show the dashes). */
const LEGEND: Json = { symbolType: 'stroke', symbolStrokeWidth: 2.2, symbolSize: 400 };

/** A line layer of `value` by epoch, coloured by `colorField` (fixed domain and colours, optional dashes). */
export function lineLayer(options: {
  colorField: string;
  domain: readonly string[];
  colors: readonly string[];
  dashes?: readonly (readonly number[])[];
  yTitle: string;
  zero: boolean;
  filter?: string;
}): Json {
  const { colorField, domain, colors, dashes } = options;
  const encoding: Json = {
    x: EPOCH_X,
    y: { field: 'value', type: 'quantitative', title: options.yTitle, scale: { zero: options.zero } },
    color: { field: colorField, type: 'nominal', title: null, scale: { domain, range: colors }, sort: domain, legend: LEGEND },
  };
  if (dashes) encoding.strokeDash = { field: colorField, type: 'nominal', title: null, scale: { domain, range: dashes }, sort: domain, legend: LEGEND };
  return {
    ...(options.filter ? { transform: [{ filter: options.filter }] } : {}),
    mark: LINE_MARK,
    encoding,
  };
}

/** A Vega expression string literal. */
export function exprString(text: string): string {
  return JSON.stringify(text);
}
