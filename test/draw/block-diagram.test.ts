/**
 * Block diagrams are read from the Graph: GoogLeNet's inception3a shows the paper's four branches
 * with torchvision's widths (the "5×5" is a 3×3 there), IRv2's Block35 its ×0.17 scaled residual;
 * every block of every network renders as well-formed SVG.
 */
import { describe, expect, it } from 'vitest';
import { renderBlockDiagram } from '../../src/draw/block-diagram.js';
import { branchLabels, extractBlock } from '../../src/draw/block.js';
import { stageUnits } from '../../src/draw/stages.js';
import { Graph } from '../../src/graph/graph.js';
import { buildNetwork, MODELS } from '../../src/inception/models.js';
import { findAll, parseXml, textOf, type XmlElement } from './xml.js';

/** Text elements of an SVG with their positions. */
function texts(svg: string): { text: string; x: number; y: number; cls: string }[] {
  return findAll(parseXml(svg), 'text').map((t: XmlElement) => ({
    text: textOf(t), x: Number(t.attrs.x), y: Number(t.attrs.y), cls: t.attrs.class ?? '',
  }));
}

function label(svg: string, text: string) {
  const found = texts(svg).filter((t) => t.text === text && t.cls === 'label');
  expect(found.length, `label '${text}' in the SVG`).toBeGreaterThan(0);
  return found[0]!;
}

interface BlockCase {
  case: string;
  model: string;
  variant?: string;
  block: string;
  branches: string[][];
  tail: string[];
}

const CASES: BlockCase[] = [
  {
    case: 'GoogLeNet torchvision inception3a: 64 | 96→128 | 16→32 (3×3) | pool→32, concat 256',
    model: 'googlenet', block: 'inception3a',
    branches: [['1×1 conv 64'], ['1×1 conv 96', '3×3 conv 128'], ['1×1 conv 16', '3×3 conv 32'], ['3×3 max pool s1', '1×1 conv 32']],
    tail: ['concat 256'],
  },
  {
    case: 'GoogLeNet caffe inception3a keeps the true 5×5',
    model: 'googlenet', variant: 'caffe', block: 'inception3a',
    branches: [['1×1 conv 64'], ['1×1 conv 96', '3×3 conv 128'], ['1×1 conv 16', '5×5 conv 32'], ['3×3 max pool s1', '1×1 conv 32']],
    tail: ['concat 256'],
  },
  {
    case: 'IRv2 repeat.0 (Block35): 32 | 32→32 | 32→48→64, concat 128, linear 1×1 to 320, ×0.17 residual + ReLU',
    model: 'inception_resnet_v2', block: 'repeat.0',
    branches: [['1×1 conv 32'], ['1×1 conv 32', '3×3 conv 32'], ['1×1 conv 32', '3×3 conv 48', '3×3 conv 64']],
    tail: ['concat 128', '1×1 conv 320 (linear)', '×0.17 + residual, ReLU'],
  },
  {
    case: 'IRv2 final block8: scale 1, no ReLU',
    model: 'inception_resnet_v2', block: 'block8',
    branches: [['1×1 conv 192'], ['1×1 conv 192', '1×3 conv 224', '3×1 conv 256']],
    tail: ['concat 448', '1×1 conv 2080 (linear)', '×1 + residual'],
  },
  {
    case: 'v3 Mixed_7b (InceptionE): the shared 1×1 feeds a 1×3 | 3×1 split',
    model: 'inception_v3', block: 'Mixed_7b',
    branches: [
      ['1×1 conv 320'], ['1×1 conv 384', '1×3 conv 384'], ['1×1 conv 384', '3×1 conv 384'],
      ['1×1 conv 448', '3×3 conv 384', '1×3 conv 384'], ['1×1 conv 448', '3×3 conv 384', '3×1 conv 384'], ['3×3 avg pool s1', '1×1 conv 192'],
    ],
    tail: ['concat 2048'],
  },
  {
    case: 'v3 Mixed_6a (grid reduction): stride-2 conv | 1×1→3×3→3×3 s2 | max pool s2',
    model: 'inception_v3', block: 'Mixed_6a',
    branches: [['3×3 conv 384 s2'], ['1×1 conv 64', '3×3 conv 96', '3×3 conv 96 s2'], ['3×3 max pool s2']],
    tail: ['concat 768'],
  },
  {
    case: 'BN-Inception tf-slim Mixed_3b found by its scope prefix (InceptionV2/Mixed_3b/)',
    model: 'inception_v2', block: 'InceptionV2/Mixed_3b',
    branches: [['1×1 conv 64'], ['1×1 conv 64', '3×3 conv 64'], ['1×1 conv 64', '3×3 conv 96', '3×3 conv 96'], ['3×3 avg pool s1', '1×1 conv 32']],
    tail: ['concat 256'],
  },
  {
    case: 'BN-Inception Caffe port inception_3a found by its underscore prefix',
    model: 'inception_v2', variant: 'caffe', block: 'inception_3a',
    branches: [['1×1 conv 64'], ['1×1 conv 64', '3×3 conv 64'], ['1×1 conv 64', '3×3 conv 96', '3×3 conv 96'], ['3×3 avg pool s1', '1×1 conv 32']],
    tail: ['concat 256'],
  },
  {
    case: "Caffe port stage conv2_3x3 does not take in the earlier stage conv2_3x3_reduce (flat '_' names)",
    model: 'inception_v2', variant: 'caffe', block: 'conv2_3x3',
    branches: [['3×3 conv 192']],
    tail: [],
  },
];

describe('block structure read from the graph', () => {
  it.each(CASES)('$case', (c) => {
    const g = buildNetwork(c.model, { variant: c.variant });
    const block = extractBlock(g, c.block);
    expect(branchLabels(block)).toEqual(c.branches);
    const tail = [...(block.concat !== undefined ? [block.concat] : []), ...block.tailOps].map((i) => block.ops[i]!.label);
    expect(tail).toEqual(c.tail);
  });
});

describe('block diagram SVG', () => {
  it('GoogLeNet inception3a: input on top, four branches side by side in concat order, concat 256 at the bottom', () => {
    const svg = renderBlockDiagram(buildNetwork('googlenet'), 'inception3a');
    const firsts = ['1×1 conv 64', '1×1 conv 96', '1×1 conv 16', '3×3 max pool s1'].map((t) => label(svg, t));
    for (let k = 1; k < firsts.length; k++) expect(firsts[k]!.x).toBeGreaterThan(firsts[k - 1]!.x);
    const input = label(svg, 'input 28×28×192');
    const concat = label(svg, 'concat 256');
    for (const t of ['3×3 conv 128', '3×3 conv 32', '1×1 conv 32', ...firsts.map((f) => f.text)]) {
      const l = label(svg, t);
      expect(l.y).toBeGreaterThan(input.y);
      expect(l.y).toBeLessThan(concat.y);
    }
    expect(label(svg, '3×3 conv 128').x).toBe(firsts[1]!.x);
  });

  it('IRv2 repeat.0: ×0.17 + residual, ReLU under the up-projection, with the skip path drawn', () => {
    const svg = renderBlockDiagram(buildNetwork('inception_resnet_v2'), 'repeat.0');
    const root = parseXml(svg);
    const add = label(svg, '×0.17 + residual, ReLU');
    expect(add.y).toBeGreaterThan(label(svg, '1×1 conv 320 (linear)').y);
    expect(label(svg, '1×1 conv 320 (linear)').y).toBeGreaterThan(label(svg, 'concat 128').y);
    expect(findAll(root, 'path').filter((p) => p.attrs.class === 'residual')).toHaveLength(1);
  });

  it("a module with numbered children ('repeat') is drawn as its first child, titled with the count", () => {
    const svg = renderBlockDiagram(buildNetwork('inception_resnet_v2'), 'repeat');
    expect(texts(svg).find((t) => t.cls === 'title')!.text).toBe('repeat.0 (first of 10: repeat.0 … repeat.9)');
  });

  it('escapes node names and labels (names with < & " survive as text)', () => {
    const g = new Graph();
    const x = g.input('in<put>', [1, 8, 8, 3]);
    const c = g.conv('blk.a&b"<c>', x, { outChannels: 4, kernelH: 1, kernelW: 1, weight: 'w&<' });
    g.markOutput(g.concat('blk', [g.relu('blk.r', c), g.maxPool("blk.p'", x, { kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding: 'same' })]));
    const root = parseXml(renderBlockDiagram(g, 'blk', { context: 'a <test> & "quotes"' }));
    const titles = findAll(root, 'title').map(textOf);
    expect(titles).toContain('blk — a <test> & "quotes"');
    expect(titles.some((t) => t.startsWith('blk.a&b"<c> → blk.r'))).toBe(true);
  });

  it('throws naming the block when no node carries the name', () => {
    expect(() => renderBlockDiagram(buildNetwork('googlenet'), 'inception9z')).toThrow(/no block 'inception9z'/);
  });
});

describe('every block and stage of every network renders well-formed SVG', () => {
  it.each(Object.keys(MODELS))('%s', (model) => {
    const g = buildNetwork(model);
    for (const unit of stageUnits(g)) {
      for (const name of unit.stages) {
        const svg = renderBlockDiagram(g, name, { context: model });
        expect(() => parseXml(svg), `${model} ${name}`).not.toThrow();
      }
    }
  });
});
