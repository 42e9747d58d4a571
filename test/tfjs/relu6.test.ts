/**
 * ReLU6 and other clamps through TF.js, with @tensorflow/tfjs (CPU backend) running the very same
 * artifacts as the oracle:
 *  - graph models written by hand: Relu6, `_FusedConv2D` / `FusedDepthwiseConv2dNative` /
 *    `_FusedMatMul` with fused_ops [BiasAdd, Relu6], Maximum / Minimum by scalar Consts;
 *  - our exporter: clamp [0, 6] fused into the conv / matmul it follows, standalone Relu6, other
 *    bounds as Maximum / Minimum, [0, +∞) as Relu — then re-imported;
 *  - Keras layers models: Activation 'relu6', Conv2D / Dense activation 'relu6', ReLU(max_value).
 * Inputs are scaled so the bounds clip; each case checks tfjs's output reaches them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph/graph.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';
import { exportGraphModel, type GraphModelArtifacts } from '../../src/tfjs/export-graph-model.js';
import { importTfjs } from '../../src/tfjs/import.js';
import { A, BOUND, convAttrs, GraphDefBuilder, relErr, runOursGraph, runTfjsGraph, seeded, std } from './graph-model-helpers.js';
import { KerasFixture, loadInTfjs, runTfjs, type Artifacts } from './keras-fixture.js';

const worst: { name: string; error: number }[] = [];
afterAll(() => {
  const w = worst.reduce((a, b) => (b.error > a.error ? b : a), { name: '-', error: 0 });
  console.log(`ReLU6 / clamp vs tfjs: ${worst.length} models, worst max|Δ|/std ${w.error.toExponential(2)} (${w.name})`);
});

const reaches = (values: Float32Array, bound: number) => values.some((v) => v === Math.fround(bound));

/** Runs `art` in tfjs and in our engine on a seeded NHWC input scaled by `scale`; returns tfjs's output. */
async function compare(name: string, art: GraphModelArtifacts, shape: number[], scale: number): Promise<Float32Array> {
  const x = seeded(shape.reduce((a, b) => a * b, 1), 17, scale);
  const expected = await runTfjsGraph(art, x, shape);
  const { out } = await runOursGraph(art, x, shape[0]);
  const error = relErr(out, expected);
  worst.push({ name, error });
  expect(error, 'max |ours − tfjs| / std(tfjs)').toBeLessThan(BOUND);
  return expected;
}

async function importedKinds(art: GraphModelArtifacts, batch: number): Promise<string[]> {
  const m = await importTfjs({ modelJson: art.modelJson, weightData: art.weightData }, { batch });
  return m.graph.nodes.map((n) => n.kind);
}

describe('graph models with Relu6, fused Relu6, Maximum / Minimum (hand-written GraphDef) vs tfjs loadGraphModel', () => {
  const cases: { name: string; shape: number[]; build: (b: GraphDefBuilder) => void; kinds: string[]; clips: number[] }[] = [
    {
      name: 'Conv2D → Relu6', shape: [2, 7, 6, 3],
      build: (b) => b.node('Relu6', 'r6', [b.node('Conv2D', 'conv', [b.placeholder('x', [-1, 7, 6, 3]), b.const('conv/filter', [3, 3, 3, 5])], convAttrs(1, 'SAME'))]),
      kinds: ['input', 'conv', 'clamp'], clips: [0, 6],
    },
    {
      name: '_FusedConv2D [BiasAdd, Relu6] (stride 2 SAME)', shape: [1, 9, 8, 4],
      build: (b) => b.node('_FusedConv2D', 'conv', [b.placeholder('x', [-1, 9, 8, 4]), b.const('conv/filter', [3, 3, 4, 6]), b.const('conv/bias', [6])], {
        ...convAttrs(2, 'SAME'), fused_ops: A.strs(['BiasAdd', 'Relu6']), num_args: A.i(1), epsilon: A.f(0),
      }),
      kinds: ['input', 'conv', 'clamp'], clips: [0, 6],
    },
    {
      name: 'FusedDepthwiseConv2dNative [BiasAdd, Relu6] (multiplier 2)', shape: [1, 8, 8, 3],
      build: (b) => b.node('FusedDepthwiseConv2dNative', 'dw', [b.placeholder('x', [-1, 8, 8, 3]), b.const('dw/filter', [3, 3, 3, 2]), b.const('dw/bias', [6])], {
        ...convAttrs(1, 'VALID'), fused_ops: A.strs(['BiasAdd', 'Relu6']), num_args: A.i(1),
      }),
      kinds: ['input', 'conv', 'clamp'], clips: [0, 6],
    },
    {
      name: 'Mean → _FusedMatMul [BiasAdd, Relu6]', shape: [3, 4, 4, 6],
      build: (b) => {
        const pooled = b.node('Mean', 'gap', [b.placeholder('x', [-1, 4, 4, 6]), b.int32('gap/axes', [2], [1, 2])], { keep_dims: A.b(false), Tidx: A.type('DT_INT32') });
        b.node('_FusedMatMul', 'fc', [pooled, b.const('fc/kernel', [6, 5], undefined, 3), b.const('fc/bias', [5])], {
          fused_ops: A.strs(['BiasAdd', 'Relu6']), num_args: A.i(1), transpose_a: A.b(false), transpose_b: A.b(false),
        });
      },
      kinds: ['input', 'globalAvgPool', 'flatten', 'fc', 'clamp'], clips: [0, 6],
    },
    {
      name: 'Conv2D → Maximum(x, −0.5) → Minimum(0.75, ·) (scalar Consts, either operand order)', shape: [1, 6, 6, 3],
      build: (b) => {
        const conv = b.node('Conv2D', 'conv', [b.placeholder('x', [-1, 6, 6, 3]), b.const('conv/filter', [1, 1, 3, 4])], convAttrs(1, 'VALID'));
        const lo = b.node('Maximum', 'lo', [conv, b.const('lo/y', [], Float32Array.of(-0.5))]);
        b.node('Minimum', 'hi', [b.const('hi/x', [], Float32Array.of(0.75)), lo]);
      },
      kinds: ['input', 'conv', 'clamp', 'clamp'], clips: [-0.5, 0.75],
    },
  ];
  for (const c of cases) {
    it(`${c.name}: within ${BOUND}·std`, async () => {
      const b = new GraphDefBuilder();
      c.build(b);
      const art = b.artifacts();
      expect(await importedKinds(art, c.shape[0]!)).toEqual(c.kinds);
      const expected = await compare(c.name, art, c.shape, 8);
      for (const bound of c.clips) expect(reaches(expected, bound), `tfjs's output reaches ${bound}`).toBe(true);
    });
  }
});

describe('exportGraphModel: clamp → Relu6 (fused where it follows a conv or fc), Maximum / Minimum, Relu', () => {
  it('writes the converter forms, tfjs runs them, and the re-import has the same node kinds', async () => {
    const g = new Graph();
    const x = g.input('input', [2, 8, 7, 3]);
    const conv = (name: string, v: ValueId, out: number, groups = 1) =>
      g.conv(name, v, { outChannels: out, kernelH: 3, kernelW: 3, padding: 'same', groups, weight: `${name}.weight`, bias: `${name}.bias` });
    const c1 = g.clamp('c1.relu6', conv('c1', x, 6), { lo: 0, hi: 6 });
    const d1 = g.clamp('d1.relu6', conv('d1', c1, 6, 6), { lo: 0, hi: 6 });
    const band = g.clamp('band', g.add('sum', c1, d1), { lo: -0.3, hi: 4 });
    const r6 = g.clamp('sum.relu6', g.add('sum2', band, c1, 0.5), { lo: 0, hi: 6 });
    const capped = g.clamp('capped', g.maxPool('mp', r6, { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2 }), { lo: -Infinity, hi: 5 });
    const relu = g.clamp('relu', g.conv('c2', capped, { outChannels: 4, kernelH: 1, kernelW: 1, weight: 'c2.weight' }), { lo: 0, hi: Infinity });
    const fc = g.fc('fc', g.flatten('flat', g.globalAvgPool('gap', relu)), { outFeatures: 5, weight: 'fc.weight', bias: 'fc.bias' });
    g.markOutput(g.clamp('fc.relu6', fc, { lo: 0, hi: 6 }));
    // Large weights so the head's values cross 6 too.
    const weights = new Map([...seededWeights(g.weights)].map(([k, v]) => [k, v.map((w) => w * 6)]));
    const art = exportGraphModel(g, weights);
    const nodes = (art.modelJson.modelTopology as { node: { name: string; op: string; attr: { fused_ops?: { list: { s: string[] } } } }[] }).node;
    const fusedOps = (name: string) => nodes.find((n) => n.name === name)!.attr.fused_ops!.list.s.map((s) => atob(s));
    expect(fusedOps('c1')).toEqual(['BiasAdd', 'Relu6']);
    expect(fusedOps('d1')).toEqual(['BiasAdd', 'Relu6']);
    expect(fusedOps('fc')).toEqual(['BiasAdd', 'Relu6']);
    expect(nodes.find((n) => n.name === 'd1')!.op).toBe('FusedDepthwiseConv2dNative');
    expect(nodes.find((n) => n.name === 'fc')!.op).toBe('_FusedMatMul');
    expect(nodes.filter((n) => !['Const', 'Placeholder'].includes(n.op)).map((n) => `${n.name}:${n.op}`)).toEqual([
      'c1:_FusedConv2D', 'd1:FusedDepthwiseConv2dNative', 'sum:AddV2', 'band/max:Maximum', 'band:Minimum', 'sum2/mul:Mul', 'sum2:AddV2',
      'sum.relu6:Relu6', 'mp:MaxPool', 'capped:Minimum', 'c2:_FusedConv2D', 'gap:Mean', 'fc:_FusedMatMul',
    ]);
    expect(fusedOps('c2'), 'clamp [0, +∞) is a Relu').toEqual(['BiasAdd', 'Relu']);
    const expected = await compare('exported graph model', art, [2, 8, 7, 3], 4);
    expect(reaches(expected, 6) && reaches(expected, 0), "the head's Relu6 clips at both bounds").toBe(true);
    const kinds = await importedKinds(art, 2);
    expect(kinds.filter((k) => k === 'clamp').length, 'clamps re-imported (Relu6 ×4, Maximum + Minimum, Minimum)').toBe(7);
    expect(kinds.filter((k) => k === 'relu').length).toBe(1);
  });
});

describe('Keras layers: relu6 and ReLU(max_value) vs tfjs loadLayersModel', () => {
  async function ours(art: Artifacts, x: Float32Array, batch: number, passes?: []): Promise<Float32Array> {
    const m = await importTfjs({ modelJson: art.modelJson, weightData: art.weightData }, { batch });
    const session = await createSession({ graph: m.graph, weights: m.weights, threads: 1, batch, ...(passes ? { passes } : {}) });
    try {
      return (await session.run(x, { layout: 'nhwc' })).logits;
    } finally {
      await session.dispose();
    }
  }

  /** Replaces layer `name`'s class and config in the model JSON (the fixture writes only Activation layers). */
  function setLayer(art: Artifacts, name: string, className: string, config: Record<string, unknown>): void {
    const layers = (art.modelJson.modelTopology.model_config as { config: { layers: { name: string; class_name: string; config: Record<string, unknown> }[] } }).config.layers;
    const layer = layers.find((l) => l.name === name)!;
    layer.class_name = className;
    layer.config = { name, trainable: false, ...config };
  }

  const relu6 = 'relu6' as 'relu';
  const cases: [name: string, build: (k: KerasFixture) => string, edit: (a: Artifacts) => void, clips: number[]][] = [
    ['Conv2D activation relu6 → BN → Activation relu6', (k) => {
      const c = k.conv('c', 'in', { filters: 6, kernel: 3, padding: 'same', activation: relu6 });
      return k.activation('r', k.batchNorm('bn', c), relu6);
    }, () => {}, [0, 6]],
    ['Flatten 6×6×3 → Dense activation relu6 (the Dense becomes a 6×6 conv)', (k) => k.dense('fc', k.flatten('flat', 'in'), { units: 16, activation: relu6 }), () => {}, [0, 6]],
    ['ReLU(max_value = 6) after a conv', (k) => k.activation('r', k.conv('c', 'in', { filters: 4, kernel: 3 }), 'relu'),
      (a) => setLayer(a, 'r', 'ReLU', { max_value: 6 }), [0, 6]],
    ['ReLU(max_value = 2.5) after a pool (standalone)', (k) => k.activation('r', k.pool('max', 'mp', 'in', { pool: 2 }), 'relu'),
      (a) => setLayer(a, 'r', 'ReLU', { max_value: 2.5, negative_slope: 0, threshold: 0 }), [2.5]],
  ];
  cases.forEach(([name, build, edit, clips], i) => {
    it(`${name}: within ${BOUND}·std, all passes and none`, async () => {
      const k = new KerasFixture(60 + i);
      k.input('in', [6, 6, 3]);
      const art = k.artifacts('float32', build(k));
      edit(art);
      const batch = 2;
      const x = seeded(batch * 6 * 6 * 3, 80 + i, 12);
      const [theirs] = runTfjs(await loadInTfjs(art.modelJson, art.weightData), x, [batch, 6, 6, 3]);
      for (const bound of clips) expect(reaches(theirs!, bound), `tfjs's output reaches ${bound}`).toBe(true);
      for (const passes of [undefined, []] as const) {
        const error = relErr(await ours(art, x, batch, passes ? [] : undefined), theirs!);
        worst.push({ name: `keras ${name}`, error });
        expect(error, passes ? 'no passes' : 'all passes').toBeLessThan(BOUND);
      }
      expect(std(theirs!)).toBeGreaterThan(0);
    });
  });

  it('ReLU with a negative slope, or max_value ≤ 0, is refused naming the layer', async () => {
    for (const [config, message] of [
      [{ max_value: 6, negative_slope: 0.1 }, /layer 'r' \(ReLU\): only ReLU with negative_slope 0 and threshold 0 is supported/],
      [{ max_value: 0 }, /layer 'r' \(ReLU\): 'max_value' must be > 0, got 0/],
    ] as const) {
      const k = new KerasFixture(5);
      k.input('in', [4, 4, 3]);
      const art = k.artifacts('float32', k.activation('r', 'in', 'relu'));
      setLayer(art, 'r', 'ReLU', config);
      await expect(importTfjs({ modelJson: art.modelJson, weightData: art.weightData })).rejects.toThrow(message);
    }
  });
});
