/**
 * The op table covers every node kind, and a kind outside the union (a cast, a corrupt object)
 * fails with a named error wherever kinds are dispatched, instead of the node silently dropping
 * out of the program, the ONNX file, the cost or the diagram.
 */
import { describe, expect, it } from 'vitest';
import { nodeCost } from '../../src/graph/cost.js';
import { Graph } from '../../src/graph/graph.js';
import { NODE_KINDS, type GraphNode } from '../../src/graph/nodes.js';
import { opLabel } from '../../src/draw/ops.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { lowerGraph, OPS, STEP_BUILDERS, type OpTable } from '../../src/ops/index.js';

/** A graph whose last node has a kind no op module declares. */
function graphWithUnknownKind(): Graph {
  const g = new Graph();
  const x = g.input('x', [1, 4, 4, 3]);
  const r = g.relu('r', x);
  const node = { ...g.node(r), kind: 'gelu', name: 'mystery', id: g.nodes.length, inputs: [r] };
  g.nodes.push(node as unknown as GraphNode);
  g.markOutput(node.id as never);
  return g;
}

describe('op table', () => {
  it('has one definition per node kind, under its own kind', () => {
    expect(NODE_KINDS.length).toBe(15);
    for (const kind of NODE_KINDS) {
      expect(OPS[kind], kind).toBeDefined();
      expect(OPS[kind].kind, kind).toBe(kind);
    }
    expect(Object.keys(OPS).sort()).toEqual([...NODE_KINDS].sort());
  });

  it('a table missing a kind does not compile', () => {
    const { lrn: _lrn, ...withoutLrn } = OPS;
    // @ts-expect-error the mapped type requires every NodeKind ('lrn' is missing)
    const table: OpTable = withoutLrn;
    expect(Object.keys(table)).not.toContain('lrn');
    const { clamp: _clamp, ...withoutClamp } = STEP_BUILDERS;
    // @ts-expect-error every engine op kind needs a step builder ('clamp' is missing)
    const steps: typeof STEP_BUILDERS = withoutClamp;
    expect(Object.keys(steps)).not.toContain('clamp');
  });

  it('lowering a graph with an unknown node kind fails naming it', () => {
    expect(() => lowerGraph(graphWithUnknownKind())).toThrow(/unknown node kind 'gelu'/);
  });

  it('ONNX export of an unknown node kind fails naming it', () => {
    expect(() => exportOnnx(graphWithUnknownKind(), new Map())).toThrow(/unknown node kind 'gelu'/);
  });

  it('cost of an unknown node kind fails naming it', () => {
    const g = graphWithUnknownKind();
    expect(() => nodeCost(g, g.nodes[2]!)).toThrow(/unknown node kind 'gelu'/);
  });

  it('diagram label of an unknown node kind fails naming it', () => {
    const g = graphWithUnknownKind();
    expect(() => opLabel(g.nodes[2]!)).toThrow(/unknown node kind 'gelu'/);
  });

  it('every kind the engine runs lowers to ops that write its value', () => {
    const g = new Graph();
    const x = g.input('x', [1, 6, 6, 4]);
    const c = g.conv('c', x, { outChannels: 4, kernelH: 3, kernelW: 3, padding: 'same', weight: 'w' });
    const b = g.batchNorm('b', c, { mean: 'm', var: 'v', eps: 1e-3 });
    const r = g.clamp('r6', g.relu('r', b), { lo: 0, hi: 6 });
    const l = g.lrn('l', r, { size: 3, alpha: 1e-4, beta: 0.75, k: 1 });
    const mp = g.maxPool('mp', l, { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2 });
    const ap = g.avgPool('ap', l, { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, countIncludePad: false });
    const a = g.add('a', mp, ap, 0.5);
    const cat = g.concat('cat', [a, mp]);
    const gp = g.globalAvgPool('gp', cat);
    const f = g.fc('fc', g.flatten('fl', gp), { outFeatures: 3, weight: 'fw' });
    g.markOutput(g.softmax('sm', f));
    const kinds = new Set(g.nodes.map((n) => n.kind));
    expect(NODE_KINDS.filter((k) => !kinds.has(k)).sort()).toEqual(['adaptiveAvgPool']);
    const written = new Set(lowerGraph(g).flatMap((op) => (op.kind === 'conv' ? op.parts.map((p) => p.output) : [op.output])));
    for (const node of g.nodes) if (node.kind !== 'input') expect(written.has(node.id), node.name).toBe(true);
  });
});
