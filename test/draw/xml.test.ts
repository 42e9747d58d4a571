/** The well-formedness checker the SVG tests rely on must itself reject broken documents. */
import { describe, expect, it } from 'vitest';
import { parseXml, textOf } from './xml.js';

const BROKEN: [string, string][] = [
  ['mismatched closing tag', '<svg><g></svg></g>'],
  ['unclosed element', '<svg><text>a</text>'],
  ['raw ampersand in text', '<svg><text>a & b</text></svg>'],
  ['unknown entity', '<svg><text>&nbsp;</text></svg>'],
  ['raw < in an attribute', '<svg><rect title="a<b"/></svg>'],
  ['raw > in text', '<svg><text>a > b</text></svg>'],
  ['duplicate attribute', '<svg><rect x="1" x="2"/></svg>'],
  ['unquoted attribute', '<svg><rect x=1/></svg>'],
  ['attributes without space', '<svg><rect x="1"y="2"/></svg>'],
  ['two roots', '<svg></svg><svg></svg>'],
  ['text after the root', '<svg></svg>tail'],
  ['doctype', '<!DOCTYPE svg><svg></svg>'],
  ['double hyphen in a comment', '<svg><!-- a -- b --></svg>'],
];

describe('parseXml (strict well-formedness)', () => {
  it.each(BROKEN)('rejects %s', (_, xml) => {
    expect(() => parseXml(xml)).toThrow(/not well-formed/);
  });

  it('reads a declaration, attributes, entities and nested text', () => {
    const root = parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n<!-- c -->\n<svg a='1' b="x &amp; y"><text>&lt;1×1&gt; &#215;&#xD7;</text><g/></svg>\n`);
    expect(root.name).toBe('svg');
    expect(root.attrs).toEqual({ a: '1', b: 'x & y' });
    expect(textOf(root)).toBe('<1×1> ××');
  });
});
