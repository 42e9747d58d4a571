/**
 * Graph-model forms our exporter never writes, hand-written as GraphDef JSON the way
 * tensorflowjs_converter writes them: each runs in @tensorflow/tfjs's `loadGraphModel` (CPU, the
 * oracle) and in our session from the same artifacts, within 1e-4·std. `_FusedConv2D` with a fused
 * FusedBatchNorm, which tfjs cannot run, is compared with tfjs running the unfused equivalent.
 * Then every refusal: an error naming the node, its op and the fix.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/session.js';
import type { GraphModelArtifacts } from '../../src/tfjs/export-graph-model.js';
import { importTfjs } from '../../src/tfjs/import.js';
import { A, BOUND, convAttrs, GraphDefBuilder, relErr, runOursGraph, runTfjsGraph, seeded } from './graph-model-helpers.js';
import type { WeightDtype } from './keras-fixture.js';

const MEAN_12 = (b: GraphDefBuilder, name: string, x: string, keep: boolean) =>
  b.node('Mean', name, [x, b.int32(`${name}/axes`, [2], [1, 2])], { keep_dims: A.b(keep), Tidx: A.type('DT_INT32') });

/** A classifier head on a 4-D value: Mean over H, W → MatMul → BiasAdd → Softmax. */
function head(b: GraphDefBuilder, x: string, c: number, classes = 5): string {
  const pooled = MEAN_12(b, 'gap', x, false);
  const mm = b.node('MatMul', 'fc', [pooled, b.const('fc/kernel', [c, classes])], { transpose_a: A.b(false), transpose_b: A.b(false) });
  return b.node('Softmax', 'probs', [b.node('BiasAdd', 'fc/bias_add', [mm, b.const('fc/bias', [classes])], { data_format: A.s('NHWC') })]);
}

async function compare(art: GraphModelArtifacts, shape: number[], options: { inputSize?: [number, number]; oracle?: GraphModelArtifacts } = {}): Promise<number> {
  const input = seeded(shape.reduce((a, b) => a * b, 1), 31);
  const expected = await runTfjsGraph(options.oracle ?? art, input, shape);
  const ours = await runOursGraph(art, input, shape[0], options.inputSize);
  const err = relErr(ours.out, expected);
  console.log(`max |Δ| / std = ${err.toExponential(2)}`);
  return err;
}

describe('hand-written graph models vs tfjs loadGraphModel', () => {
  it('Conv2D + BiasAdd + Relu unfused (the bias joins the conv), a scalar Mul not feeding an add, Identity, MatMul + BiasAdd', async () => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', [-1, 12, 11, 3]);
    const conv = b.node('Conv2D', 'conv', [x, b.const('conv/filter', [3, 3, 3, 6])], convAttrs(2, 'SAME'));
    const biased = b.node('BiasAdd', 'conv/bias_add', [conv, b.const('conv/bias', [6])], { data_format: A.s('NHWC') });
    const relu = b.node('Relu', 'relu', [b.node('Mul', 'half', [b.const('half/c', [], Float32Array.of(0.5)), biased])]);
    head(b, b.node('Identity', 'id', [relu]), 6);
    expect(await compare(b.artifacts(), [1, 12, 11, 3])).toBeLessThan(BOUND);
  });

  it('FusedBatchNorm and FusedBatchNormV3 standalone, BN as per-channel Mul + AddV2', async () => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', [-1, 9, 8, 4]);
    const conv = b.node('Conv2D', 'conv', [x, b.const('conv/filter', [3, 3, 4, 5])], convAttrs(1, 'VALID'));
    const vec = (n: string, off = 0, scale = 0.5) => b.const(n, [5], undefined, scale, off);
    const bn1 = b.node('FusedBatchNorm', 'bn1', [conv, vec('bn1/gamma', 1), vec('bn1/beta'), vec('bn1/mean'), vec('bn1/var', 1)], {
      epsilon: A.f(1e-3), is_training: A.b(false), data_format: A.s('NHWC'),
    });
    const bn3 = b.node('FusedBatchNormV3', 'bn3', [b.node('Relu', 'r1', [bn1]), vec('bn3/gamma', 1), vec('bn3/beta'), vec('bn3/mean'), vec('bn3/var', 1)], {
      epsilon: A.f(1e-3), is_training: A.b(false), data_format: A.s('NHWC'), U: A.type('DT_FLOAT'),
    });
    const mul = b.node('Mul', 'scale', [bn3, vec('scale/c', 1)]);
    const add = b.node('AddV2', 'shift', [vec('shift/c'), mul]);
    head(b, b.node('Relu', 'r2', [add]), 5);
    expect(await compare(b.artifacts(), [1, 9, 8, 4])).toBeLessThan(BOUND);
  });

  it('_FusedConv2D with fused FusedBatchNorm + Relu (tfjs runs the unfused equivalent)', async () => {
    const filter = seeded(3 * 3 * 3 * 7, 1, 0.5);
    const vecs = [seeded(7, 2, 0.5, 1), seeded(7, 3, 0.5), seeded(7, 4, 0.5), seeded(7, 5, 0.5, 1)];
    const build = (fused: boolean) => {
      const b = new GraphDefBuilder();
      const x = b.placeholder('x', [-1, 10, 10, 3]);
      const f = b.const('conv/filter', [3, 3, 3, 7], filter);
      const args = ['gamma', 'beta', 'mean', 'var'].map((n, i) => b.const(`bn/${n}`, [7], vecs[i]));
      let y: string;
      if (fused) {
        y = b.node('_FusedConv2D', 'conv', [x, f, ...args], { ...convAttrs(2, 'SAME'), fused_ops: A.strs(['FusedBatchNorm', 'Relu']), num_args: A.i(4), epsilon: A.f(1e-3) });
      } else {
        const c = b.node('Conv2D', 'conv', [x, f], convAttrs(2, 'SAME'));
        y = b.node('Relu', 'relu', [b.node('FusedBatchNormV3', 'bn', [c, ...args], { epsilon: A.f(1e-3), is_training: A.b(false), data_format: A.s('NHWC') })]);
      }
      head(b, y, 7);
      return b.artifacts();
    };
    expect(await compare(build(true), [1, 10, 10, 3], { oracle: build(false) })).toBeLessThan(BOUND);
  });

  it('Pad before Conv2D VALID and EXPLICIT (pads add up), Pad before AvgPool (zeros counted), PadV2 lowest before MaxPool, Pad → Pad', async () => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', [-1, 14, 13, 3]);
    const pads = (n: string, t: number, bo: number, l: number, r: number) => b.int32(n, [4, 2], [0, 0, t, bo, l, r, 0, 0]);
    const p1 = b.node('Pad', 'pad1', [x, pads('pad1/p', 1, 2, 2, 1)], { Tpaddings: A.type('DT_INT32') });
    const c1 = b.node('Conv2D', 'conv1', [p1, b.const('conv1/filter', [3, 3, 3, 4])], convAttrs(2, 'VALID'));
    const p2 = b.node('Pad', 'pad2', [c1, pads('pad2/p', 0, 1, 1, 0)]);
    const p3 = b.node('Pad', 'pad3', [p2, pads('pad3/p', 1, 0, 0, 1)]);
    const c2 = b.node('Conv2D', 'conv2', [p3, b.const('conv2/filter', [3, 3, 4, 4])], convAttrs(1, 'EXPLICIT', [0, 0, 1, 0, 0, 1, 0, 0]));
    const p4 = b.node('Pad', 'pad4', [c2, pads('pad4/p', 1, 1, 1, 1)]);
    const avg = b.node('AvgPool', 'avg', [p4], { ksize: A.ints([1, 3, 3, 1]), strides: A.ints([1, 2, 2, 1]), padding: A.s('VALID'), data_format: A.s('NHWC') });
    const p5 = b.node('PadV2', 'pad5', [avg, pads('pad5/p', 1, 1, 0, 1), b.const('pad5/value', [], Float32Array.of(-3.4028234663852886e38))]);
    const max = b.node('MaxPool', 'max', [p5], { ksize: A.ints([1, 2, 2, 1]), strides: A.ints([1, 1, 1, 1]), padding: A.s('VALID'), data_format: A.s('NHWC') });
    head(b, max, 4);
    expect(await compare(b.artifacts(), [1, 14, 13, 3])).toBeLessThan(BOUND);
  });

  it('Reshape(x, Pack(StridedSlice(Shape(x)), -1)) at batch 2, Squeeze, signature names as the session names', async () => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('images', [-1, 8, 8, 3]);
    const conv = b.node('_FusedConv2D', 'conv', [x, b.const('conv/filter', [3, 3, 3, 6]), b.const('conv/bias', [6])], {
      ...convAttrs(1, 'SAME'), fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1),
    });
    const m = MEAN_12(b, 'gap', conv, true);
    const sq = b.node('Squeeze', 'sq', [MEAN_12(b, 'gap2', conv, true)], { squeeze_dims: A.ints([1, 2]) });
    const shape = b.node('Shape', 'flat/shape', [m], { out_type: A.type('DT_INT32') });
    const one = (n: string, v: number) => b.int32(n, [1], [v]);
    const n = b.node('StridedSlice', 'flat/n', [shape, one('flat/begin', 0), one('flat/end', 1), one('flat/strides', 1)], {
      Index: A.type('DT_INT32'), begin_mask: A.i(0), end_mask: A.i(0), ellipsis_mask: A.i(0), new_axis_mask: A.i(0), shrink_axis_mask: A.i(1),
    });
    const packed = b.node('Pack', 'flat/pack', [n, b.int32('flat/minus1', [], [-1])], { N: A.i(2), axis: A.i(0), T: A.type('DT_INT32') });
    const flat = b.node('Reshape', 'flat', [m, packed], { Tshape: A.type('DT_INT32') });
    const sum = b.node('AddV2', 'both', [flat, sq]);
    const fc = b.node('_FusedMatMul', 'fc', [sum, b.const('fc/kernel', [6, 4]), b.const('fc/bias', [4])], {
      fused_ops: A.strs(['BiasAdd']), num_args: A.i(1), transpose_a: A.b(false), transpose_b: A.b(false),
    });
    b.node('Softmax', 'probs', [fc]);
    const art = b.artifacts();
    art.modelJson.signature = { inputs: { input_images: { name: 'images:0' } }, outputs: { class_probs: { name: 'probs:0' } } };
    expect(await compare(art, [2, 8, 8, 3])).toBeLessThan(BOUND);
    const names = await runOursGraph(art, seeded(2 * 8 * 8 * 3, 1), 2);
    expect([names.inputs, names.outputs]).toEqual([['input_images'], ['class_probs']]);
  });

  for (const dtype of ['uint8', 'uint16', 'float16'] as WeightDtype[]) {
    it(`${dtype}-quantised weights, a depthwise conv and a Placeholder of free size (inputSize)`, async () => {
      const b = new GraphDefBuilder(dtype);
      const x = b.placeholder('x', [-1, -1, -1, 3]);
      const dw = b.node('FusedDepthwiseConv2dNative', 'dw', [x, b.const('dw/filter', [3, 3, 3, 2]), b.const('dw/bias', [6])], {
        ...convAttrs(2, 'SAME'), fused_ops: A.strs(['BiasAdd', 'Relu']), num_args: A.i(1),
      });
      const pw = b.node('Conv2D', 'pw', [dw, b.const('pw/filter', [1, 1, 6, 8])], convAttrs(1, 'VALID'));
      const dw2 = b.node('DepthwiseConv2dNative', 'dw2', [pw, b.const('dw2/filter', [3, 3, 8, 1])], convAttrs(1, 'VALID'));
      head(b, b.node('BiasAdd', 'dw2/bias_add', [dw2, b.const('dw2/bias', [8])]), 8);
      expect(await compare(b.artifacts(), [1, 11, 13, 3], { inputSize: [11, 13] })).toBeLessThan(BOUND);
    });
  }

  it('LRN and ConcatV2, from a model.json file and its shard in a temporary folder', async () => {
    const b = new GraphDefBuilder();
    const x = b.placeholder('x', [-1, 7, 7, 4]);
    const lrn = b.node('LRN', 'lrn', [x], { depth_radius: A.i(2), bias: A.f(1.5), alpha: A.f(0.01), beta: A.f(0.75) });
    const cat = b.node('ConcatV2', 'cat', [lrn, x, b.int32('cat/axis', [], [-1])], { N: A.i(2), Tidx: A.type('DT_INT32') });
    head(b, cat, 8);
    const art = b.artifacts();
    const dir = await mkdtemp(join(tmpdir(), 'graph-model-'));
    try {
      await writeFile(join(dir, 'model.json'), JSON.stringify(art.modelJson));
      await writeFile(join(dir, 'group1-shard1of1.bin'), art.weightData);
      const input = seeded(7 * 7 * 4, 3);
      const expected = await runTfjsGraph(art, input, [1, 7, 7, 4]);
      const session = await createSession({ tfjs: join(dir, 'model.json'), threads: 1 });
      try {
        expect(relErr((await session.run(input, { layout: 'nhwc' })).logits, expected)).toBeLessThan(BOUND);
      } finally {
        await session.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** A small valid model whose nodes a case then breaks. */
function small(): GraphDefBuilder {
  const b = new GraphDefBuilder();
  const x = b.placeholder('x', [-1, 6, 6, 3]);
  const conv = b.node('Conv2D', 'conv', [x, b.const('conv/filter', [3, 3, 3, 4])], convAttrs(1, 'SAME'));
  head(b, b.node('Relu', 'relu', [conv]), 4);
  return b;
}

type Nodes = GraphDefBuilder['nodes'];
const find = (nodes: Nodes, name: string) => nodes.find((n) => n.name === name)!;

const REFUSALS: [string, (b: GraphDefBuilder) => void, RegExp][] = [
  ['fused Elu', (b) => {
    Object.assign(find(b.nodes, 'conv'), { op: '_FusedConv2D' });
    find(b.nodes, 'conv').attr.fused_ops = A.strs(['BiasAdd', 'Elu']);
    find(b.nodes, 'conv').input.push(b.const('conv/bias', [4]));
  }, /node 'conv' \(_FusedConv2D\): fused_ops \[BiasAdd, Elu\] are not supported \(BiasAdd or FusedBatchNorm, optionally then Relu or Relu6\)/],
  ['an unsupported op', (b) => { find(b.nodes, 'relu').op = 'Sigmoid'; }, /node 'relu': op 'Sigmoid' is not supported \(supported: Placeholder, Const, .*Conv2D.*Softmax/],
  ['an op named like an Object method', (b) => { find(b.nodes, 'relu').op = 'toString'; }, /op 'toString' is not supported/],
  ['a Const without a manifest entry', (b) => { b.nodes.push({ name: 'ghost', op: 'Const', input: [], attr: {} }); find(b.nodes, 'conv').input[1] = 'ghost'; },
    /node 'ghost' \(Const\): the weights manifest holds no entry of this name/],
  ['a Const whose declared shape differs from its manifest entry', (b) => {
    (find(b.nodes, 'conv/filter').attr.value as { tensor: { tensorShape: unknown } }).tensor.tensorShape = { dim: [{ size: '9' }] };
  }, /node 'conv\/filter' \(Const\): declares shape \[9\] but its manifest entry has \[3, 3, 3, 4\]/],
  ['a zero Pad before a MaxPool', (b) => {
    const relu = find(b.nodes, 'relu');
    b.node('Pad', 'pad', ['relu', b.int32('pad/p', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0])]);
    b.node('MaxPool', 'pool', ['pad'], { ksize: A.ints([1, 3, 3, 1]), strides: A.ints([1, 1, 1, 1]), padding: A.s('VALID') });
    find(b.nodes, 'gap').input[0] = 'pool';
    void relu;
  }, /node 'pool' \(MaxPool\): the Pad 'pad' before it fills with zeros.*cannot be folded/],
  ['SAME after a Pad', (b) => {
    b.node('Pad', 'pad', ['x', b.int32('pad/p', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0])]);
    find(b.nodes, 'conv').input[0] = 'pad';
  }, /node 'conv' \(Conv2D\): padding SAME after a Pad cannot be folded/],
  ['NCHW data format', (b) => { find(b.nodes, 'conv').attr.data_format = A.s('NCHW'); }, /node 'conv' \(Conv2D\): data_format 'NCHW' is not supported/],
  ['dilation 2', (b) => { find(b.nodes, 'conv').attr.dilations = A.ints([1, 2, 2, 1]); }, /dilations \[1, 2, 2, 1\] are not supported/],
  ['a reshape of a 6×6 map', (b) => {
    b.node('Reshape', 'flat', ['relu', b.int32('flat/shape', [2], [-1, 144])]);
    find(b.nodes, 'fc').input[0] = 'flat';
  }, /node 'flat' \(Reshape\): reshaping \[1, 6, 6, 4\] to \[1, 144\] is not supported/],
  ['a cycle', (b) => { find(b.nodes, 'conv').input[0] = 'relu'; }, /node '(conv|relu)' depends on itself \(a cycle\)/],
  ['an input naming no node', (b) => { find(b.nodes, 'conv').input[0] = 'nowhere'; }, /node 'conv' reads node 'nowhere', which the graph does not define/],
  ['BatchNorm in training mode', (b) => {
    const v = (n: string) => b.const(n, [4]);
    b.node('FusedBatchNormV3', 'bn', ['relu', v('g'), v('b'), v('m'), v('v')], { is_training: A.b(true) });
    find(b.nodes, 'gap').input[0] = 'bn';
  }, /node 'bn' \(FusedBatchNormV3\): is_training is true/],
  ['reading output 1 of a node', (b) => { find(b.nodes, 'relu').input[0] = 'conv:1'; }, /node 'relu' \(Relu\): reads output 1 of 'conv'; only output 0/],
  ['a strides attribute of the wrong form', (b) => { find(b.nodes, 'conv').attr.strides = A.ints([2, 2]); }, /'strides' must be \[1, h, w, 1\]/],
  ['a non-integer int attribute', (b) => { find(b.nodes, 'conv').attr.strides = { list: { i: ['1', 'x', '1', '1'] } }; }, /attribute 'strides' holds "x", not an integer/],
  ['a graph with functions', (b) => { (b as unknown as { fn: boolean }).fn = true; }, /holds functions \(control flow/],
  ['a fixed batch other than the planned one', (b) => { find(b.nodes, 'x').attr.shape = { shape: { dim: [3, 6, 6, 3].map((d) => ({ size: String(d) })) } }; },
    /node 'x' \(Placeholder\): the input's batch is fixed at 3/],
];

describe('graph-model refusals name the node, the op and the fix', () => {
  for (const [name, mutate, message] of REFUSALS) {
    it(name, async () => {
      const b = small();
      mutate(b);
      const art = b.artifacts();
      if ((b as unknown as { fn?: boolean }).fn) (art.modelJson.modelTopology as { library: unknown }).library = { function: [{}] };
      await expect(importTfjs({ modelJson: art.modelJson, weightData: art.weightData })).rejects.toThrow(message);
    });
  }

  it('more nodes than the bound, before any is read', async () => {
    const art = small().artifacts();
    const nodes = (art.modelJson.modelTopology as { node: unknown[] }).node;
    for (let i = nodes.length; i <= 100_000; i++) nodes.push({ name: `n${i}`, op: 'NoOp' });
    await expect(importTfjs({ modelJson: art.modelJson, weightData: art.weightData })).rejects.toThrow(/more than the 100000 accepted/);
  });

  it('a shard path leaving the folder', async () => {
    const art = small().artifacts();
    (art.modelJson.weightsManifest as { paths: string[] }[])[0]!.paths = ['../outside.bin'];
    const dir = await mkdtemp(join(tmpdir(), 'graph-model-'));
    try {
      await writeFile(join(dir, 'model.json'), JSON.stringify(art.modelJson));
      await expect(importTfjs(join(dir, 'model.json'))).rejects.toThrow(/weightsManifest\[0\]\.paths\[0\]/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
