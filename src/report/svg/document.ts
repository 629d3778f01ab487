// Standalone SVG documents, and composing several charts into one.
import { FONT_FAMILY, FONT_SIZE, INK } from './theme';
import { escapeXml, fmt, tag, textTag } from './xml';

/** A drawn piece of SVG with its size; `body` is drawn with its top-left corner at the origin. */
export interface SvgFragment {
  width: number;
  height: number;
  body: string;
}

/**
 * A standalone SVG document (XML declaration, SVG namespace, font family, white background)
 * holding `fragment`, with a trailing newline.
 *
 * @param title - the document's <title> (shown as a tooltip, read by screen readers).
 */
export function svgDocument(fragment: SvgFragment, title?: string): string {
  const { width, height } = fragment;
  const open =
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${fmt(width)}" height="${fmt(height)}" ` +
    `viewBox="0 0 ${fmt(width)} ${fmt(height)}" font-family="${escapeXml(FONT_FAMILY)}">`;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>', open];
  if (title !== undefined) lines.push(`<title>${escapeXml(title)}</title>`);
  lines.push(tag('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }), fragment.body, '</svg>');
  return lines.join('\n') + '\n';
}

/** `fragment` moved by (dx, dy) inside a group. */
export function translate(fragment: SvgFragment, dx: number, dy: number): string {
  return tag('g', { transform: `translate(${fmt(dx)},${fmt(dy)})` }, fragment.body);
}

/**
 * Fragments laid out in a grid of `columns` columns, row by row; each cell is as wide as the
 * widest fragment and as tall as the tallest of its row.
 */
export function gridLayout(fragments: readonly SvgFragment[], columns: number, gap = 0): SvgFragment {
  const cellWidth = Math.max(0, ...fragments.map((f) => f.width));
  const parts: string[] = [];
  let y = 0;
  for (let start = 0; start < fragments.length; start += columns) {
    const row = fragments.slice(start, start + columns);
    row.forEach((f, i) => parts.push(translate(f, i * (cellWidth + gap), y)));
    y += Math.max(...row.map((f) => f.height)) + gap;
  }
  const used = Math.min(columns, fragments.length);
  return { width: used * cellWidth + Math.max(0, used - 1) * gap, height: Math.max(0, y - gap), body: parts.join('\n') };
}

/** `fragment` under a centred bold heading band. */
export function withHeading(fragment: SvgFragment, heading: string): SvgFragment {
  const band = 16 + FONT_SIZE.title + 12;
  const text = textTag(heading, {
    x: fragment.width / 2, y: 16 + FONT_SIZE.title, 'text-anchor': 'middle', 'font-size': FONT_SIZE.title + 1,
    'font-weight': 'bold', fill: INK.text,
  });
  return { width: fragment.width, height: fragment.height + band, body: text + '\n' + translate(fragment, 0, band) };
}
