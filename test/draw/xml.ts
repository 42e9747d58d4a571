/**
 * A tiny strict XML well-formedness checker and reader, enough for the SVGs we write: an optional
 * `<?xml …?>` declaration, comments, one root element, attributes in single or double quotes,
 * character data with the five predefined entities and numeric references. Anything else — a
 * mismatched or unclosed tag, a raw `<` or `&`, a duplicate attribute, two roots, a DOCTYPE —
 * throws an Error naming the offset.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/y;
const DECODE: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string): string {
  return raw.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|[a-z]+);/g, (_, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : DECODE[e]!);
}

/** Parses `xml`, throwing on the first well-formedness error. */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const fail = (msg: string): never => {
    throw new Error(`XML not well-formed at offset ${i}: ${msg} (near ${JSON.stringify(xml.slice(i, i + 30))})`);
  };
  const skipSpace = () => { while (i < xml.length && /\s/.test(xml[i]!)) i++; };
  const name = (): string => {
    NAME.lastIndex = i;
    const m = NAME.exec(xml);
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  /** Text up to `stop` with entity references checked. */
  const chars = (stop: string, forbidden: string): string => {
    const start = i;
    while (i < xml.length && !stop.includes(xml[i]!)) {
      if (forbidden.includes(xml[i]!)) fail(`raw '${xml[i]}'`);
      if (xml[i] === '&') {
        ENTITY.lastIndex = i;
        const m = ENTITY.exec(xml);
        if (!m) fail('bad entity reference');
        i += m![0].length;
      } else i++;
    }
    return decode(xml.slice(start, i));
  };
  const comment = () => {
    const end = xml.indexOf('-->', i + 4);
    if (end < 0) fail('unclosed comment');
    if (xml.slice(i + 4, end).includes('--')) fail("'--' inside a comment");
    i = end + 3;
  };
  const misc = () => {
    for (;;) {
      skipSpace();
      if (xml.startsWith('<!--', i)) comment();
      else return;
    }
  };
  const element = (): XmlElement => {
    if (xml[i] !== '<') fail("expected '<'");
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [] };
    for (;;) {
      const hadSpace = /\s/.test(xml[i] ?? '');
      skipSpace();
      if (xml.startsWith('/>', i)) { i += 2; return el; }
      if (xml[i] === '>') { i++; break; }
      if (!hadSpace) fail('expected whitespace before an attribute');
      const attr = name();
      skipSpace();
      if (xml[i] !== '=') fail(`expected '=' after attribute ${attr}`);
      i++;
      skipSpace();
      const quote = xml[i];
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      i++;
      const value = chars(quote!, '<');
      if (xml[i] !== quote) fail('unclosed attribute value');
      i++;
      if (Object.hasOwn(el.attrs, attr)) fail(`duplicate attribute ${attr}`);
      el.attrs[attr] = value;
    }
    for (;;) {
      if (i >= xml.length) fail(`unclosed element <${el.name}>`);
      if (xml.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        skipSpace();
        if (xml[i] !== '>') fail("expected '>'");
        i++;
        return el;
      }
      if (xml.startsWith('<!--', i)) comment();
      else if (xml.startsWith('<!', i) || xml.startsWith('<?', i)) fail('unsupported markup');
      else if (xml[i] === '<') el.children.push(element());
      else {
        const text = chars('<', '>');
        if (text !== '') el.children.push(text);
      }
    }
  };
  if (xml.startsWith('<?xml', i)) {
    const end = xml.indexOf('?>', i);
    if (end < 0) fail('unclosed XML declaration');
    i = end + 2;
  }
  misc();
  if (xml.startsWith('<!', i) || xml.startsWith('<?', i)) fail('unsupported markup before the root');
  const root = element();
  misc();
  if (i !== xml.length) fail('content after the root element');
  return root;
}

/** All elements named `name` under `el` (depth first, document order). */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    if (e.name === name) out.push(e);
    for (const c of e.children) if (typeof c !== 'string') walk(c);
  };
  walk(el);
  return out;
}

/** The concatenated text content of `el`. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}
