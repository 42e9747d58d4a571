/**
 * The `clamp` node kind: builder checks, the engine (every place a clamp lands: a standalone step,
 * a GEMM epilogue, a depthwise epilogue after a folded BN, an add) against the float64 graph
 * reference with all passes and with none, NaN and ±Infinity through a standalone clamp, and the
 * fusion rule that a clamp never overwrites a clamp already in its producer's epilogue.
 */
import { describe, expect, it } from 'vitest';
import { opLabel } from '../../src/draw/ops.js';
import { graphCost } from '../../src/graph/cost.js';
import { Graph, GraphError } from '../../src/graph/graph.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { fuseRelu, runPasses, type PassName } from '../../src/graph/passes.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { lowerGraph } from '../../src/ops/index.js';
import { createSession } from '../../src/session.js';
import { mulberry32 } from '../../src/util/prng.js';
import { referenceGraph } from '../reference/graph.js';

function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
  return y;
}

async function engine(g: Graph, weights: Map<string, Float32Array>, inputNchw: Float32Array, passes?: PassName[]): Promise<Float32Array> {
  const session = await createSession({ graph: g, weights, threads: 1, batch: g.shape(g.inputs[0]!)[0], ...(passes ? { passes } : {}) });
  try {
    return (await session.run(inputNchw)).logits;
  } finally {
    await session.dispose();
  }
}

/**
 * Every clamp site: standalone on the input, conv (GEMM), depthwise after BN, add, and with
 * `head` a pooled FC. Without it the output is the add's clamped 4-D map (NHWC, as a graph session returns it).
 */
function clampNetwork(head: boolean): { g: Graph; clamps: ValueId[] } {
  const g = new Graph();
  const x = g.input('x', [2, 7, 6, 5]);
  const clamps: ValueId[] = [];
  const clamp = (name: string, v: ValueId, lo: number, hi: number) => {
    const id = g.clamp(name, v, { lo, hi });
    clamps.push(id);
    return id;
  };
  const c0 = clamp('in.clamp', x, -0.5, 0.5);
  const c1 = clamp('c1.clamp', g.conv('c1', c0, { outChannels: 8, kernelH: 3, kernelW: 3, padding: 'same', weight: 'c1.w', bias: 'c1.b' }), -0.02, 0.03);
  const dw = g.conv('dw', c1, { outChannels: 8, kernelH: 3, kernelW: 3, padding: 'same', groups: 8, weight: 'dw.w' });
  const c2 = clamp('dw.clamp', g.batchNorm('dw.bn', dw, { gamma: 'bn.g', beta: 'bn.b', mean: 'bn.m', var: 'bn.v', eps: 1e-3 }), 0, 0.01);
  const mp = g.maxPool('mp', c2, { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2 });
  const ap = g.avgPool('ap', c2, { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, countIncludePad: false });
  const a = clamp('add.clamp', g.add('add', mp, ap, 0.5), -Infinity, 0.008);
  if (!head) {
    g.markOutput(a);
    return { g, clamps };
  }
  const fc = g.fc('fc', g.flatten('flat', g.globalAvgPool('gap', a)), { outFeatures: 6, weight: 'fc.w', bias: 'fc.b' });
  g.markOutput(clamp('fc.clamp', fc, -0.0005, Infinity));
  return { g, clamps };
}

describe('clamp node', () => {
  it('the builder refuses NaN bounds, lo ≥ hi and two infinite bounds, naming the node', () => {
    const g = new Graph();
    const x = g.input('x', [1, 2, 2, 3]);
    expect(() => g.clamp('c', x, { lo: Number.NaN, hi: 1 })).toThrow(GraphError);
    expect(() => g.clamp('c', x, { lo: 1, hi: 1 })).toThrow(/clamp 'c': needs numbers lo < hi .*got lo 1, hi 1/);
    expect(() => g.clamp('c', x, { lo: 2, hi: -2 })).toThrow(/clamp 'c': needs numbers lo < hi/);
    expect(() => g.clamp('c', x, { lo: -Infinity, hi: Infinity })).toThrow(/clamp 'c': both bounds are infinite/);
    const y = g.clamp('relu6', x, { lo: 0, hi: 6 });
    expect(g.node(y)).toMatchObject({ kind: 'clamp', lo: 0, hi: 6, shape: [1, 2, 2, 3] });
    expect(opLabel(g.node(y))).toBe('ReLU6');
    expect(opLabel(g.node(g.clamp('band', x, { lo: -Infinity, hi: 0.5 })))).toBe('clamp [−∞, 0.5]');
    expect(graphCost(g).macs).toBe(0);
  });

  const variants = [['all passes', undefined], ['no passes', []]] as const;
  for (const [label, passes] of variants) for (const head of [false, true]) {
    it(`engine vs float64 reference, ${label}, ${head ? 'to a clamped FC' : 'to the clamped add map'}: every clamp site clips and matches`, async () => {
      const { g, clamps } = clampNetwork(head);
      const weights = seededWeights(g.weights, 7);
      const next = mulberry32(3);
      const input = Float32Array.from({ length: 2 * 5 * 7 * 6 }, () => 2 * next() - 1);
      const ref = referenceGraph(g, weights, nchwToNhwc(input, 2, 5, 7, 6));
      // Every clamp must bite (values at a bound), or a clamp that did nothing could pass.
      for (const v of clamps) {
        const node = g.node(v) as { lo: number; hi: number; name: string };
        const values = ref.get(v)!;
        const hits = [node.lo, node.hi].filter(Number.isFinite).map((b) => values.some((y) => y === Math.fround(b)));
        expect(hits.every(Boolean), `clamp '${node.name}' clips at each finite bound`).toBe(true);
      }
      const expected = ref.get(g.output)!;
      const out = await engine(g, weights, input, passes ? [...passes] : undefined);
      let scale = 0;
      let worst = 0;
      for (let i = 0; i < expected.length; i++) {
        scale = Math.max(scale, Math.abs(expected[i]!));
        worst = Math.max(worst, Math.abs(out[i]! - expected[i]!));
      }
      expect(worst / scale, `max |engine − reference| / max |reference| (scale ${scale})`).toBeLessThan(2e-5);
      if (!passes) {
        const ops = runPasses(g, { ops: lowerGraph(g), aliases: new Map() }).ops;
        // Only the clamp on the graph input has no producer to fuse into.
        expect(ops.filter((op) => op.kind === 'clamp').map((op) => op.name)).toEqual(['in.clamp']);
      }
    });
  }

  it('NaN passes through a standalone clamp, ±Infinity and ±FLT_MAX clip to the bounds', async () => {
    const g = new Graph();
    // 1×1 pixels, so the NCHW input and the NHWC output hold the values in one order.
    const x = g.input('x', [1, 1, 1, 8]);
    g.markOutput(g.clamp('c', x, { lo: -0.5, hi: 0.25 }));
    const input = Float32Array.of(Number.NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 0.1, -0.7, 0.3);
    const out = await engine(g, new Map(), input);
    expect(Array.from(out)).toEqual([Number.NaN, 0.25, -0.5, 0.25, -0.5, Math.fround(0.1), -0.5, 0.25]);
  });

  it('a clamp is not fused over a clamp already in its producer\'s epilogue (or is composed exactly)', () => {
    // conv → clamp [-1, 0.5] → clamp [0, 1]: the result is clamp(conv, 0, 0.5). One fuseRelu puts the
    // first into the conv; a second run sees the conv's clamp and must keep [0, 0.5] overall.
    const g = new Graph();
    const x = g.input('x', [1, 4, 4, 2]);
    const c = g.conv('c', x, { outChannels: 3, kernelH: 1, kernelW: 1, weight: 'w' });
    const a = g.clamp('a', c, { lo: -1, hi: 0.5 });
    g.markOutput(g.clamp('b', a, { lo: 0, hi: 1 }));
    const l = { ops: lowerGraph(g), aliases: new Map() };
    fuseRelu(g, l);
    fuseRelu(g, l);
    const conv = l.ops.find((op) => op.kind === 'conv');
    if (conv?.kind !== 'conv') throw new Error('conv op expected');
    const standalone = l.ops.filter((op) => op.kind === 'clamp');
    const part = conv.parts[0]!;
    if (standalone.length === 0) expect(part.clamp).toEqual({ lo: 0, hi: 0.5 });
    else expect([part.clamp, ...standalone.map((op) => (op.kind === 'clamp' ? op.clamp : undefined))]).toEqual([{ lo: -1, hi: 0.5 }, { lo: 0, hi: 1 }]);
  });
});
