// The SVG chart kit.
export { lineChart, lineChartFragment } from './lineChart';
export type { LineChartOptions, LineSeries, VerticalMarker } from './lineChart';
export { heatMap, heatMapFragment } from './heatMap';
export type { HeatMapOptions } from './heatMap';
export { svgDocument, gridLayout, translate, withHeading } from './document';
export type { SvgFragment } from './document';
export { viridis, colorScale, relativeLuminance } from './colormap';
export { linearAxis, logAxis, niceStep, formatTick, axisScale } from './scale';
export type { Axis } from './scale';
export { escapeXml } from './xml';
