// Building SVG markup as strings: escaping, attributes, coordinates.

/** Characters XML 1.0 does not allow anywhere in a document. */
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text made safe for XML content and attribute values (the five special characters escaped, invalid control characters dropped). */
export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/**
 * A coordinate or length for an attribute: at most 2 decimals, no trailing zeros.
 *
 * @throws RangeError for NaN or an infinity, which would make the SVG invalid.
 */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`SVG coordinate is not finite: ${value}`);
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

/** An attribute value: numbers go through {@link fmt}; undefined and null leave the attribute out. */
export type AttrValue = string | number | undefined | null;

/**
 * One element. `content` is markup already built (use {@link escapeXml} for text); without it
 * the element is self-closing.
 */
export function tag(name: string, attrs: Record<string, AttrValue>, content?: string): string {
  let open = `<${name}`;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    open += ` ${key}="${typeof value === 'number' ? fmt(value) : escapeXml(value)}"`;
  }
  return content === undefined ? `${open}/>` : `${open}>${content}</${name}>`;
}

/** A text element holding `content` (escaped here). */
export function textTag(content: string, attrs: Record<string, AttrValue>): string {
  return tag('text', attrs, escapeXml(content));
}
