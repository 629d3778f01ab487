// A minimal XML well-formedness checker for the SVG tests (no DTDs, no CDATA: Vega's SVG output has neither).

/** What a well-formed document held. */
export interface XmlSummary {
  root: string;
  /** Element names in document order. */
  elements: string[];
  /** Text content, entities decoded, one entry per text run (whitespace-only runs left out). */
  texts: string[];
  /** Attribute values, entities decoded. */
  attributes: { element: string; name: string; value: string }[];
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, where: string): string {
  return text.replace(/&([^;]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) throw new Error(`${where}: bare '&'`);
    if (body in ENTITIES) return ENTITIES[body];
    if (/^#[0-9]+$/.test(body)) return String.fromCodePoint(Number(body.slice(1)));
    if (/^#x[0-9a-fA-F]+$/.test(body)) return String.fromCodePoint(parseInt(body.slice(2), 16));
    throw new Error(`${where}: unknown entity '&${body};'`);
  });
}

/**
 * Checks that `xml` is a well-formed document: an optional XML declaration, comments, one root
 * element, properly nested and closed tags, quoted and unique attributes, valid entities, no
 * stray '<' or '&'.
 *
 * @throws Error describing the first problem.
 */
export function checkWellFormed(xml: string): XmlSummary {
  const stack: string[] = [];
  const summary: XmlSummary = { root: '', elements: [], texts: [], attributes: [] };
  let i = 0;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) throw new Error('unterminated XML declaration');
    i = end + 2;
  }
  let rootClosed = false;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (text.includes('>')) throw new Error(`stray '>' in text near offset ${i}`);
    if (text.trim() !== '') {
      if (stack.length === 0) throw new Error(`text outside the root element near offset ${i}`);
      summary.texts.push(decode(text, `text at ${i}`));
    }
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('</', i)) {
      const m = NAME.exec(xml.slice(i + 2));
      if (!m) throw new Error(`bad closing tag at ${i}`);
      const close = xml.indexOf('>', i);
      if (xml.slice(i + 2 + m[0].length, close).trim() !== '') throw new Error(`junk in closing tag at ${i}`);
      const open = stack.pop();
      if (open !== m[0]) throw new Error(`</${m[0]}> closes <${open ?? 'nothing'}> at ${i}`);
      if (stack.length === 0) rootClosed = true;
      i = close + 1;
      continue;
    }
    const m = NAME.exec(xml.slice(i + 1));
    if (!m) throw new Error(`bad tag at ${i}: '${xml.slice(i, i + 20)}'`);
    if (rootClosed || (stack.length === 0 && summary.root !== '')) throw new Error(`second root element <${m[0]}>`);
    const name = m[0];
    if (summary.root === '') summary.root = name;
    summary.elements.push(name);
    let j = i + 1 + name.length;
    const seen = new Set<string>();
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(j))![0];
      j += ws.length;
      if (xml.startsWith('/>', j)) {
        j += 2;
        break;
      }
      if (xml[j] === '>') {
        stack.push(name);
        j += 1;
        break;
      }
      if (ws.length === 0) throw new Error(`<${name}>: attributes must be separated by whitespace at ${j}`);
      const a = NAME.exec(xml.slice(j));
      if (!a) throw new Error(`<${name}>: bad attribute at ${j}: '${xml.slice(j, j + 20)}'`);
      if (seen.has(a[0])) throw new Error(`<${name}>: duplicate attribute ${a[0]}`);
      seen.add(a[0]);
      j += a[0].length;
      if (xml[j] !== '=') throw new Error(`<${name}>: attribute ${a[0]} has no value`);
      const quote = xml[j + 1];
      if (quote !== '"' && quote !== "'") throw new Error(`<${name}>: attribute ${a[0]} is not quoted`);
      const end = xml.indexOf(quote, j + 2);
      if (end < 0) throw new Error(`<${name}>: unterminated attribute ${a[0]}`);
      const raw = xml.slice(j + 2, end);
      if (raw.includes('<')) throw new Error(`<${name}>: '<' in attribute ${a[0]}`);
      summary.attributes.push({ element: name, name: a[0], value: decode(raw, `<${name} ${a[0]}>`) });
      j = end + 1;
    }
    if (stack.length === 0 && xml[j - 2] === '/') rootClosed = true;
    i = j;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]}>`);
  if (summary.root === '') throw new Error('no root element');
  return summary;
}
