/**
 * ONNX Clip with any constant bounds → the graph's clamp node, against onnxruntime-node: every
 * opset's form (attributes before 11, optional scalar inputs from 11, ±FLT_MAX = unbounded),
 * ReLU6 fused into a conv's epilogue, after an add, standalone on the input, on `[N, F]` values,
 * and a clamp after a clamp (which does not fuse). Inputs are scaled so every bound clips values;
 * each case checks that it does (a clamp that silently did nothing could not pass).
 * Then the export: a graph with clamps → ONNX Clip (opset 13) → onnxruntime, and re-imported.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph/graph.js';
import { runPasses } from '../../src/graph/passes.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { float32Tensor } from '../../src/onnx/tensor.js';
import { lowerGraph } from '../../src/ops/index.js';
import { BOUND, exportRoundTrip, f, OnnxModelBuilder, relativeMaxError, runOrt, runOurs, seeded, toOnnxOrder } from './helpers.js';

const FLT_MAX = 3.4028234663852886e38;
const ANY4 = ['n', 'c', 'h', 'w'];
const ANY2 = ['n', 'f'];

type Build = (b: OnnxModelBuilder) => void;

interface Case {
  name: string;
  opset: number;
  input: number[];
  build: Build;
  /** The bounds the output must reach (each hit by at least one value): proves the clamp ran. */
  clipsAt: number[];
  /** Standalone clamp ops left after the passes (0: every clamp fused into its producer). */
  standalone: number;
  /** Node kinds the import must produce, in order (checks Clip's mapping onto relu / clamp / nothing). */
  kinds?: string[];
}

const scalar = (b: OnnxModelBuilder, name: string, v: number) => (b.node('Constant', [], [name], { value: float32Tensor('', [], Float32Array.of(v)) }), name);
const init = (b: OnnxModelBuilder, name: string, v: number) => b.weight(name, [], Float32Array.of(v));
const conv = (b: OnnxModelBuilder, x: string, y: string, cin: number, cout: number, k: number, attrs: Record<string, number | number[]> = {}) =>
  b.node('Conv', [x, b.weight(`${y}.w`, [cout, cin / ((attrs.group as number) ?? 1), k, k], undefined, 1.5), b.weight(`${y}.b`, [cout])], [y], { pads: [1, 1, 1, 1].map(() => (k - 1) / 2), ...attrs });

const cases: Case[] = [
  {
    name: 'Relu6 = Clip(0, 6) after a Conv (inputs form, initializers), fused into the GEMM epilogue', opset: 13, input: [2, 3, 7, 6],
    build: (b) => (conv(b, 'x', 'c', 3, 8, 3), b.node('Clip', ['c', init(b, 'lo', 0), init(b, 'hi', 6)], ['y']), b.output('y', ANY4)),
    clipsAt: [0, 6], standalone: 0, kinds: ['input', 'conv', 'clamp'],
  },
  {
    name: 'Relu6 after a depthwise Conv (Constant-node bounds, opset 12), fused into the depthwise epilogue', opset: 12, input: [1, 4, 6, 6],
    build: (b) => (conv(b, 'x', 'c', 4, 8, 3, { group: 4 }), b.node('Clip', ['c', scalar(b, 'lo', 0), scalar(b, 'hi', 6)], ['y']), b.output('y', ANY4)),
    clipsAt: [0, 6], standalone: 0,
  },
  {
    name: 'Clip(-1, 1.5) after Conv → BatchNormalization (attributes, opset 9): BN folded, clamp fused', opset: 9, input: [1, 3, 6, 5],
    build: (b) => {
      conv(b, 'x', 'c', 3, 5, 3);
      b.node('BatchNormalization', ['c', b.weight('bn.g', [5]), b.weight('bn.b', [5]), b.weight('bn.m', [5]), b.weight('bn.v', [5], Float32Array.from([1, 2, 0.5, 1.5, 3]))], ['bn'], { epsilon: f(1e-5) });
      b.node('Clip', ['bn'], ['y'], { min: f(-1), max: f(1.5) });
      b.output('y', ANY4);
    },
    clipsAt: [-1, 1.5], standalone: 0,
  },
  {
    name: 'Relu6 standalone after an Add of two pools (fused into the add kernel)', opset: 13, input: [2, 5, 6, 6],
    build: (b) => {
      b.node('MaxPool', ['x'], ['mp'], { kernel_shape: [2, 2] });
      b.node('AveragePool', ['x'], ['ap'], { kernel_shape: [2, 2] });
      b.node('Add', ['mp', 'ap'], ['s']);
      b.node('Clip', ['s', init(b, 'lo', 0), init(b, 'hi', 6)], ['y']);
      b.output('y', ANY4);
    },
    clipsAt: [0, 6], standalone: 0, kinds: ['input', 'maxPool', 'avgPool', 'add', 'clamp'],
  },
  {
    name: 'Relu6 after a residual Add (x + conv: the clamp lands after the residual in the epilogue)', opset: 13, input: [1, 4, 5, 5],
    build: (b) => (conv(b, 'x', 'c', 4, 4, 3), b.node('Add', ['x', 'c'], ['s']), b.node('Clip', ['s', init(b, 'lo', 0), init(b, 'hi', 6)], ['y']), b.output('y', ANY4)),
    clipsAt: [0, 6], standalone: 0,
  },
  {
    name: "Clip(x, '', 0.5): only a max (opset 11), standalone on the input", opset: 11, input: [1, 3, 4, 5],
    build: (b) => (b.node('Clip', ['x', '', init(b, 'hi', 0.5)], ['y']), b.output('y', ANY4)),
    clipsAt: [0.5], standalone: 1, kinds: ['input', 'clamp'],
  },
  {
    name: 'Clip min -0.25 only (attribute, opset 10; max defaults to FLT_MAX)', opset: 10, input: [1, 3, 4, 5],
    build: (b) => (b.node('Clip', ['x'], ['y'], { min: f(-0.25) }), b.output('y', ANY4)),
    clipsAt: [-0.25], standalone: 1,
  },
  {
    name: 'Clip(-FLT_MAX, 0.75) inputs: −FLT_MAX bounds nothing (opset 13)', opset: 13, input: [1, 3, 4, 5],
    build: (b) => (b.node('Clip', ['x', init(b, 'lo', -FLT_MAX), init(b, 'hi', 0.75)], ['y']), b.output('y', ANY4)),
    clipsAt: [0.75], standalone: 1, kinds: ['input', 'clamp'],
  },
  {
    name: 'Clip(0, FLT_MAX) attributes is a Relu (opset 6)', opset: 6, input: [1, 3, 4, 5],
    build: (b) => (conv(b, 'x', 'c', 3, 4, 1), b.node('Clip', ['c'], ['y'], { min: f(0), max: f(FLT_MAX) }), b.output('y', ANY4)),
    clipsAt: [0], standalone: 0, kinds: ['input', 'conv', 'relu'],
  },
  {
    name: 'Clip(-0.5, 0.5) on [N, F] after a Gemm, and Relu6 on the Gemm input (opset 13)', opset: 13, input: [3, 6],
    build: (b) => {
      b.node('Clip', ['x', init(b, 'lo0', 0), init(b, 'hi0', 6)], ['r']);
      b.node('Gemm', ['r', b.weight('fc.w', [5, 6], undefined, 1), b.weight('fc.b', [5])], ['g'], { transB: 1 });
      b.node('Clip', ['g', init(b, 'lo', -0.5), init(b, 'hi', 0.5)], ['y']);
      b.output('y', ANY2);
    },
    // A [N, F] input enters the graph through a flatten of [N, 1, 1, F] (import-layout.ts).
    clipsAt: [-0.5, 0.5], standalone: 1, kinds: ['input', 'flatten', 'clamp', 'fc', 'clamp'],
  },
  {
    name: 'Clip(-1, 0.5) then Clip(0, 1) after a Conv (= clip to [0, 0.5]): the second stays a step of its own', opset: 13, input: [1, 3, 6, 6],
    build: (b) => {
      conv(b, 'x', 'c', 3, 6, 3);
      b.node('Clip', ['c', init(b, 'lo1', -1), init(b, 'hi1', 0.5)], ['c1']);
      b.node('Clip', ['c1', init(b, 'lo2', 0), init(b, 'hi2', 1)], ['y']);
      b.output('y', ANY4);
    },
    clipsAt: [0, 0.5], standalone: 1,
  },
  {
    name: 'Clip(0, 6) as a graph output also read by a Conv: not fused away (opset 13)', opset: 13, input: [1, 3, 5, 5],
    build: (b) => {
      conv(b, 'x', 'c', 3, 4, 3);
      b.node('Clip', ['c', init(b, 'lo', 0), init(b, 'hi', 6)], ['y']);
      conv(b, 'y', 'z', 4, 2, 1);
      b.output('y', ANY4);
      b.output('z', ANY4);
    },
    clipsAt: [0, 6], standalone: 0,
  },
];

const worst: { name: string; error: number }[] = [];
afterAll(() => {
  const w = worst.reduce((a, b) => (b.error > a.error ? b : a), { name: '-', error: 0 });
  console.log(`Clip vs onnxruntime: ${worst.length} models, worst max|Δ|/std ${w.error.toExponential(2)} (${w.name})`);
});

describe('ONNX Clip → clamp, against onnxruntime-node', () => {
  for (const c of cases) {
    it(`${c.name}: within ${BOUND}·std`, async () => {
      const b = new OnnxModelBuilder(c.opset);
      b.input('x', c.input.length === 4 ? ['n', c.input[1]!, c.input[2]!, c.input[3]!] : ['n', c.input[1]!]);
      c.build(b);
      const bytes = b.bytes();
      const count = c.input.reduce((p, d) => p * d, 1);
      const x = seeded(count, 7, 4);
      const expected = (await runOrt(bytes, 'x', x, c.input)).get(b.outputs[0]!.name)!;
      const imported = importOnnxBytes(bytes, { batch: c.input[0] });
      if (c.kinds) expect(imported.graph.nodes.map((n) => n.kind)).toEqual(c.kinds);
      const lowered = runPasses(imported.graph, { ops: lowerGraph(imported.graph), aliases: new Map() });
      expect(lowered.ops.filter((op) => op.kind === 'clamp').length, 'standalone clamp ops after the passes').toBe(c.standalone);
      const ours = toOnnxOrder(imported.graph, await runOurs(imported.graph, imported.weights, x));
      const error = relativeMaxError(ours, expected);
      worst.push({ name: c.name, error });
      expect(error, 'max |ours − onnxruntime| / std').toBeLessThan(BOUND);
      for (const bound of c.clipsAt) expect(expected.some((v) => v === Math.fround(bound)), `some output is clipped to ${bound}`).toBe(true);
    });
  }

  it('a NaN bound, and min ≥ max, are refused naming the node', () => {
    const model = (lo: number, hi: number) => {
      const b = new OnnxModelBuilder(13);
      b.input('x', ['n', 4, 6, 6]);
      b.node('Clip', ['x', init(b, 'lo', lo), init(b, 'hi', hi)], ['y']);
      return b.output('y', ANY4).bytes();
    };
    expect(() => importOnnxBytes(model(Number.NaN, 1))).toThrow(/ONNX node 'y' \(Clip\): 'min' is NaN/);
    expect(() => importOnnxBytes(model(2, 2))).toThrow(/ONNX node 'y' \(Clip\): Clip\(min 2, max 2\) has an empty or single-point range/);
    expect(() => importOnnxBytes(model(3, -3))).toThrow(/Clip\(min 3, max -3\) has an empty or single-point range/);
  });
});

describe('clamp → ONNX Clip (opset 13), against onnxruntime-node and re-imported', () => {
  it('ReLU6 after a conv, a one-sided and a two-sided clamp on maps and on [N, F]: within BOUND·std, re-import bit-identical', async () => {
    const g = new Graph();
    const x = g.input('input', [2, 9, 8, 3]);
    const c = g.conv('c1', x, { outChannels: 6, kernelH: 3, kernelW: 3, padding: 'same', weight: 'c1.weight', bias: 'c1.bias' });
    const r6 = g.clamp('c1.relu6', c, { lo: 0, hi: 6 });
    const c2 = g.conv('c2', r6, { outChannels: 5, kernelH: 1, kernelW: 1, weight: 'c2.weight' });
    const lower = g.clamp('c2.floor', c2, { lo: -0.05, hi: Infinity });
    const upper = g.clamp('c2.ceil', lower, { lo: -Infinity, hi: 0.05 });
    const gap = g.flatten('flat', g.globalAvgPool('gap', upper));
    const fc = g.fc('fc', gap, { outFeatures: 7, weight: 'fc.weight', bias: 'fc.bias' });
    g.markOutput(g.clamp('logits', fc, { lo: -0.02, hi: 0.03 }));
    const weights = seededWeights(g.weights);
    const r = await exportRoundTrip(g, weights);
    worst.push({ name: 'export round trip', error: r.ortError });
    expect(r.ortError, 'max |ours − onnxruntime| / std').toBeLessThan(BOUND);
    expect(r.kinds[1]).toEqual(r.kinds[0]);
    expect(r.reimportBitIdentical).toBe(true);
  });
});
