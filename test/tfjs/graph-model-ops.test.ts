/**
 * Every op the graph-model exporter writes, each in a small graph: exported, run by
 * @tensorflow/tfjs's own `loadGraphModel` (CPU backend, the oracle) and by our session importing
 * the same artifacts; logits within 1e-4·std of tfjs's. The op list of each exported file is
 * asserted so a test cannot pass by exporting a different form than the one it names.
 */
import { describe, expect, it } from 'vitest';
import { pads, type Padding } from '../../src/graph/geometry.js';
import { Graph } from '../../src/graph/graph.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { exportGraphModel } from '../../src/tfjs/export-graph-model.js';
import { BOUND, relErr, runOursGraph, runTfjsGraph, seeded } from './graph-model-helpers.js';

/** conv (k = 17 stands for 1×7) with optional bias, BN, ReLU. */
function unit(g: Graph, name: string, x: ValueId, out: number, k: number, stride: number, padding: Padding, opts: { bn?: boolean; relu?: boolean; bias?: boolean; groups?: number } = {}): ValueId {
  let y = g.conv(name, x, {
    outChannels: out, kernelH: k === 17 ? 1 : k, kernelW: k === 17 ? 7 : k, strideH: stride, strideW: stride, padding, groups: opts.groups ?? 1,
    weight: `${name}.weight`, ...(opts.bias ? { bias: `${name}.bias` } : {}),
  });
  if (opts.bn) y = g.batchNorm(`${name}.bn`, y, { gamma: `${name}.bn.weight`, beta: `${name}.bn.bias`, mean: `${name}.bn.mean`, var: `${name}.bn.var`, eps: 1e-3 });
  if (opts.relu) y = g.relu(`${name}.relu`, y);
  return y;
}

/** A classifier head: global mean, flatten, fc (+ softmax). */
function head(g: Graph, x: ValueId, classes = 10, softmax = true): void {
  const fc = g.fc('fc', g.flatten('flatten', g.globalAvgPool('gap', x)), { outFeatures: classes, weight: 'fc.weight', bias: 'fc.bias' });
  g.markOutput(softmax ? g.softmax('softmax', fc) : fc);
}

interface Case {
  name: string;
  build: () => Graph;
  /** Ops the exported GraphDef must contain. */
  ops: string[];
}

const CASES: Case[] = [
  {
    name: 'conv + BN + ReLU folded into _FusedConv2D (SAME, asymmetric at stride 2 on even sizes), MatMul + BiasAdd, Softmax',
    build: () => {
      const g = new Graph();
      const x = g.input('input', [1, 16, 18, 5]);
      head(g, unit(g, 'c1', x, 8, 3, 2, 'same', { bn: true, relu: true }));
      return g;
    },
    ops: ['Placeholder', '_FusedConv2D', 'Mean', '_FusedMatMul', 'Softmax'],
  },
  {
    name: 'EXPLICIT padding (1×7 pads 0,3 with bias; asymmetric pads without bias → Conv2D)',
    build: () => {
      const g = new Graph();
      const x = g.input('input', [1, 13, 11, 4]);
      const a = unit(g, 'a', x, 6, 17, 1, pads(0, 3), { bias: true });
      const b = unit(g, 'b', a, 7, 3, 2, { top: 0, left: 1, bottom: 1, right: 0 });
      head(g, b, 5, false);
      return g;
    },
    ops: ['_FusedConv2D', 'Conv2D', 'Mean', '_FusedMatMul'],
  },
  {
    name: 'depthwise ×2 (SAME stride 2 with bias + ReLU → FusedDepthwiseConv2dNative; asymmetric pads → Pad + DepthwiseConv2dNative)',
    build: () => {
      const g = new Graph();
      const x = g.input('input', [1, 15, 16, 3]);
      const d1 = unit(g, 'dw1', x, 6, 3, 2, 'same', { groups: 3, bias: true, relu: true });
      const d2 = unit(g, 'dw2', d1, 6, 3, 1, { top: 1, left: 0, bottom: 0, right: 1 }, { groups: 6 });
      head(g, d2, 4);
      return g;
    },
    ops: ['FusedDepthwiseConv2dNative', 'Pad', 'DepthwiseConv2dNative'],
  },
  {
    name: 'standalone BatchNorm (FusedBatchNormV3), Relu, LRN, ConcatV2',
    build: () => {
      const g = new Graph();
      const x = g.input('input', [1, 9, 10, 4]);
      const c = unit(g, 'c', x, 6, 1, 1, 'valid', { bias: true });
      const bn = g.batchNorm('bn', g.relu('pre', c), { gamma: 'bn.weight', beta: 'bn.bias', mean: 'bn.mean', var: 'bn.var', eps: 1e-3 });
      const lrn = g.lrn('lrn', bn, { size: 5, alpha: 1e-2, beta: 0.75, k: 2 });
      const cat = g.concat('cat', [lrn, c]);
      head(g, g.relu('post', cat), 6);
      return g;
    },
    ops: ['FusedBatchNormV3', 'Relu', 'LRN', 'ConcatV2'],
  },
  {
    name: 'pools: MaxPool VALID / SAME / ceil mode (PadV2 lowest), AvgPool SAME (in-image divisor) / count_include_pad (Pad + VALID)',
    build: () => {
      const g = new Graph();
      const x = g.input('input', [1, 20, 17, 3]);
      const c = unit(g, 'c', x, 5, 3, 1, 'same', { bias: true });
      const m1 = g.maxPool('max_valid', c, { kernelH: 3, kernelW: 3, strideH: 1, strideW: 1 });
      const m2 = g.maxPool('max_same', m1, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padding: 'same' });
      const m3 = g.maxPool('max_ceil', m2, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, ceilMode: true });
      const a1 = g.avgPool('avg_same', c, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padding: 'same', countIncludePad: false });
      const a2 = g.avgPool('avg_incl', a1, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padding: pads(1), countIncludePad: true });
      const a3 = g.avgPool('avg_v4', a2, { kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding: pads(1), countIncludePad: false });
      const cat = g.concat('cat', [g.globalAvgPool('gap_max', m3), g.globalAvgPool('gap_avg', a3)]);
      g.markOutput(g.fc('fc', g.flatten('flatten', cat), { outFeatures: 7, weight: 'fc.weight', bias: 'fc.bias' }));
      return g;
    },
    ops: ['MaxPool', 'PadV2', 'AvgPool', 'Pad'],
  },
  {
    name: 'residuals: AddV2 and AddV2(x, Mul(up, 0.17)), Mean keep_dims as a 4-D output, plain MatMul',
    build: () => {
      const g = new Graph();
      const x = g.input('input', [1, 8, 9, 6]);
      const up = unit(g, 'up', x, 6, 1, 1, 'valid', { bias: true });
      const r = g.relu('r', g.add('res', x, up, 0.17));
      const s = g.add('sum', r, unit(g, 'b', r, 6, 3, 1, 'same', { bn: true, relu: true }));
      const fc = g.fc('fc', g.flatten('flatten', g.globalAvgPool('gap', s)), { outFeatures: 3, weight: 'fc.weight' });
      g.markOutput(fc);
      return g;
    },
    ops: ['Mul', 'AddV2', 'MatMul'],
  },
  {
    name: 'global mean kept 4-D (Mean keep_dims) as the output',
    build: () => {
      const g = new Graph();
      const x = g.input('input', [1, 7, 5, 4]);
      g.markOutput(g.globalAvgPool('gap', unit(g, 'c', x, 9, 3, 1, 'valid', { bias: true, relu: true })));
      return g;
    },
    ops: ['Mean'],
  },
];

describe('graph-model export → tfjs loadGraphModel vs our import of the same files', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const g = c.build();
      const weights = seededWeights(g.weights);
      const art = exportGraphModel(g, weights);
      const ops = new Set((art.modelJson.modelTopology as { node: { op: string }[] }).node.map((n) => n.op));
      for (const op of c.ops) expect(ops, `exported ops ${[...ops].join(', ')}`).toContain(op);
      const shape = [...g.shape(g.inputs[0]!)];
      const input = seeded(shape.reduce((a, b) => a * b, 1), 99);
      const expected = await runTfjsGraph(art, input, shape);
      const ours = await runOursGraph(art, input);
      const err = relErr(ours.out, expected);
      console.log(`${c.name.slice(0, 40)}…: ${err.toExponential(2)}`);
      expect(err).toBeLessThan(BOUND);
    });
  }
});
