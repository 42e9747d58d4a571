/**
 * The importer op by op: small hand-written ONNX models (ops, attributes and patterns our own
 * exporter never emits: Pad folding, Clip, MatMul + bias, auto_pad, opset-10 attributes, float_data,
 * free H/W) run in onnxruntime-node and in our engine after import; outputs agree within
 * 1e-5·std. Where a pattern is folded, the test also asserts the Graph node it became.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/graph.js';
import type { GraphNode } from '../../src/graph/nodes.js';
import { importOnnx, importOnnxBytes, type OnnxImportOptions } from '../../src/onnx/import.js';
import { DataType } from '../../src/onnx/onnx-proto.js';
import { float32Tensor } from '../../src/onnx/tensor.js';
import { nhwcToNchwReference } from '../reference/layout.js';
import { f, intTensor, OnnxModelBuilder, relativeMaxError, runOrt, runOurs, seeded } from './helpers.js';

const BOUND = 1e-5;
const ANY4 = ['n', 'c', 'h', 'w'];
const ANY2 = ['n', 'f'];

interface Case {
  name: string;
  input: [number, number, number, number];
  build: (b: OnnxModelBuilder) => void;
  opset?: number;
  options?: OnnxImportOptions;
  /** Asserts on the imported Graph (the node a folded pattern became). */
  check?: (g: Graph) => void;
}

const nodeOf = <K extends GraphNode['kind']>(g: Graph, kind: K) => {
  const nodes = g.nodes.filter((n) => n.kind === kind);
  expect(nodes.length, `one ${kind} node`).toBe(1);
  return nodes[0] as Extract<GraphNode, { kind: K }>;
};

/** Positive values for BN variances. */
const positive = (n: number, seed: number) => seeded(n, seed).map((v) => 0.5 + Math.abs(v));

const conv = (b: OnnxModelBuilder, x: string, y: string, cin: number, cout: number, kh: number, kw: number, attrs: Record<string, number | number[] | string> = {}) =>
  b.node('Conv', [x, b.weight(`${y}.w`, [cout, cin / ((attrs.group as number) ?? 1), kh, kw]), b.weight(`${y}.b`, [cout])], [y], attrs);

const cases: Case[] = [
  {
    name: 'Conv 3x3 s2 pads [0,1,1,0] with bias, 3→5 channels, 9x11',
    input: [2, 3, 9, 11],
    build: (b) => (conv(b, 'x', 'y', 3, 5, 3, 3, { strides: [2, 2], pads: [0, 1, 1, 0] }), b.output('y', ANY4)),
  },
  {
    name: 'Conv auto_pad SAME_UPPER 3x3 s2 on 8x10 (extra pixel bottom/right)',
    input: [1, 3, 8, 10],
    build: (b) => (conv(b, 'x', 'y', 3, 4, 3, 3, { strides: [2, 2], auto_pad: 'SAME_UPPER' }), b.output('y', ANY4)),
    check: (g) => expect(nodeOf(g, 'conv').pads).toEqual({ top: 0, left: 0, bottom: 1, right: 1 }),
  },
  {
    name: 'Conv auto_pad SAME_LOWER 3x3 s2 on 8x10 (extra pixel top/left)',
    input: [1, 3, 8, 10],
    build: (b) => (conv(b, 'x', 'y', 3, 4, 3, 3, { strides: [2, 2], auto_pad: 'SAME_LOWER' }), b.output('y', ANY4)),
    check: (g) => expect(nodeOf(g, 'conv').pads).toEqual({ top: 1, left: 1, bottom: 0, right: 0 }),
  },
  {
    name: 'Conv auto_pad VALID 1x7',
    input: [1, 3, 6, 12],
    build: (b) => (conv(b, 'x', 'y', 3, 4, 1, 7, { auto_pad: 'VALID' }), b.output('y', ANY4)),
  },
  {
    name: 'Conv depthwise group 4, multiplier 2, 3x3 pads 1',
    input: [2, 4, 7, 9],
    build: (b) => (conv(b, 'x', 'y', 4, 8, 3, 3, { group: 4, pads: [1, 1, 1, 1] }), b.output('y', ANY4)),
    check: (g) => expect(nodeOf(g, 'conv').groups).toBe(4),
  },
  {
    name: 'Pad(0) [0,0,1,2,0,0,2,1] → Conv 3x3: pads folded into the conv',
    input: [1, 3, 7, 8],
    build: (b) => {
      b.node('Pad', ['x', b.ints('pads', [0, 0, 1, 2, 0, 0, 2, 1])], ['p'], { mode: 'constant' });
      conv(b, 'p', 'y', 3, 4, 3, 3);
      b.output('y', ANY4);
    },
    check: (g) => expect(nodeOf(g, 'conv').pads).toEqual({ top: 1, left: 2, bottom: 2, right: 1 }),
  },
  {
    name: 'Constant pads → Pad(0) → AveragePool 3x3 s1 p0 (torch inception_v3 branch_pool): zeros count',
    input: [2, 3, 6, 7],
    build: (b) => {
      b.node('Constant', [], ['pads'], { value: intTensor('', [8], [0, 0, 1, 1, 0, 0, 1, 1]) });
      b.node('Pad', ['x', 'pads'], ['p'], { mode: 'constant' });
      b.node('AveragePool', ['p'], ['y'], { kernel_shape: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], ceil_mode: 0 });
      b.output('y', ANY4);
    },
    check: (g) => {
      const pool = nodeOf(g, 'avgPool');
      expect(pool.pads).toEqual({ top: 1, left: 1, bottom: 1, right: 1 });
      expect(pool.countIncludePad).toBe(true);
    },
  },
  {
    name: 'Relu → Pad(0) → MaxPool 3x3 s2: pads folded (the input is ≥ 0)',
    input: [1, 3, 9, 8],
    build: (b) => {
      b.node('Relu', ['x'], ['r']);
      b.node('Pad', ['r', b.ints('pads', [0, 0, 1, 1, 0, 0, 0, 1])], ['p']);
      b.node('MaxPool', ['p'], ['y'], { kernel_shape: [3, 3], strides: [2, 2] });
      b.output('y', ANY4);
    },
    check: (g) => expect(nodeOf(g, 'maxPool').pads).toEqual({ top: 1, left: 1, bottom: 0, right: 1 }),
  },
  {
    name: 'AveragePool 3x3 s2 pads 1 ceil_mode count_include_pad 1 on 10x13',
    input: [2, 3, 10, 13],
    build: (b) => (b.node('AveragePool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }), b.output('y', ANY4)),
  },
  {
    name: 'AveragePool 3x3 s1 pads 1 count_include_pad 0 (timm v4)',
    input: [1, 5, 6, 7],
    build: (b) => (b.node('AveragePool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }), b.output('y', ANY4)),
    check: (g) => expect(nodeOf(g, 'avgPool').countIncludePad).toBe(false),
  },
  {
    name: 'MaxPool 3x3 s2 ceil_mode on 14x15 (googlenet)',
    input: [2, 3, 14, 15],
    build: (b) => (b.node('MaxPool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 0, 0], ceil_mode: 1 }), b.output('y', ANY4)),
  },
  {
    name: 'MaxPool auto_pad SAME_UPPER 3x3 s2 on 8x9',
    input: [1, 3, 8, 9],
    build: (b) => (b.node('MaxPool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }), b.output('y', ANY4)),
  },
  {
    name: 'Clip(min 0, no max) → Relu (opset 13, min as input)',
    input: [1, 3, 4, 5],
    build: (b) => (b.node('Clip', ['x', b.weight('zero', [], Float32Array.of(0))], ['y']), b.output('y', ANY4)),
    check: (g) => nodeOf(g, 'relu'),
  },
  {
    name: 'Clip min 0 attribute (opset 10), Conv, Relu',
    opset: 10,
    input: [1, 3, 5, 5],
    build: (b) => (conv(b, 'x', 'c', 3, 4, 1, 1), b.node('Clip', ['c'], ['y'], { min: f(0) }), b.output('y', ANY4)),
    check: (g) => nodeOf(g, 'relu'),
  },
  {
    name: 'BatchNormalization epsilon 1e-3 after Conv, then Relu',
    input: [2, 3, 5, 6],
    build: (b) => {
      conv(b, 'x', 'c', 3, 6, 3, 3, { pads: [1, 1, 1, 1] });
      b.node('BatchNormalization', ['c', b.weight('g', [6]), b.weight('beta', [6]), b.weight('m', [6]), b.weight('v', [6], positive(6, 7))], ['bn'], { epsilon: f(1e-3) });
      b.node('Relu', ['bn'], ['y']);
      b.output('y', ANY4);
    },
    check: (g) => expect(nodeOf(g, 'batchNorm').eps).toBe(1e-3),
  },
  {
    name: 'LRN size 5 alpha 1e-2 beta 0.75 bias 2 over 7 channels',
    input: [1, 7, 3, 4],
    build: (b) => (b.node('LRN', ['x'], ['y'], { size: 5, alpha: f(1e-2), beta: f(0.75), bias: f(2) }), b.output('y', ANY4)),
  },
  {
    name: 'Mul(Constant 0.17) + Add in torch order: Add(Mul(up, 0.17), x) → add(x, up, 0.17), Relu',
    input: [2, 4, 5, 5],
    build: (b) => {
      conv(b, 'x', 'up', 4, 4, 1, 1);
      b.node('Constant', [], ['s'], { value: float32Tensor('', [], Float32Array.of(0.17)) });
      b.node('Mul', ['up', 's'], ['m']);
      b.node('Add', ['m', 'x'], ['a']);
      b.node('Relu', ['a'], ['y']);
      b.output('y', ANY4);
    },
    check: (g) => {
      const add = nodeOf(g, 'add');
      expect(add.scale).toBe(0.17);
      expect(g.node(add.inputs[0]).kind).toBe('input');
    },
  },
  {
    name: 'Add of two feature maps (scale 1)',
    input: [1, 3, 4, 4],
    build: (b) => (conv(b, 'x', 'c', 3, 3, 3, 3, { pads: [1, 1, 1, 1] }), b.node('Add', ['x', 'c'], ['y']), b.output('y', ANY4)),
    check: (g) => expect(nodeOf(g, 'add').scale).toBe(1),
  },
  {
    name: 'Concat axis 1 of three branches, then 1x1 Conv',
    input: [1, 3, 6, 5],
    build: (b) => {
      conv(b, 'x', 'a', 3, 2, 1, 1);
      conv(b, 'x', 'c', 3, 5, 3, 3, { pads: [1, 1, 1, 1] });
      b.node('MaxPool', ['x'], ['p'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
      b.node('Concat', ['a', 'c', 'p'], ['cat'], { axis: 1 });
      conv(b, 'cat', 'y', 10, 4, 1, 1);
      b.output('y', ANY4);
    },
  },
  {
    name: 'GlobalAveragePool → Flatten → Gemm transB 1 with bias → Softmax axis 1',
    input: [2, 6, 5, 4],
    build: (b) => {
      b.node('GlobalAveragePool', ['x'], ['gap']);
      b.node('Flatten', ['gap'], ['flat'], { axis: 1 });
      b.node('Gemm', ['flat', b.weight('fc.w', [7, 6]), b.weight('fc.b', [7])], ['fc'], { alpha: f(1), beta: f(1), transB: 1 });
      b.node('Softmax', ['fc'], ['y'], { axis: 1 });
      b.output('y', ANY2);
    },
  },
  {
    name: 'GlobalAveragePool → Reshape [0, -1] → MatMul → Add bias: one fc',
    input: [2, 6, 3, 3],
    build: (b) => {
      b.node('GlobalAveragePool', ['x'], ['gap']);
      b.node('Reshape', ['gap', b.ints('shape', [0, -1])], ['flat']);
      b.node('MatMul', ['flat', b.weight('w', [6, 5])], ['mm']);
      b.node('Add', ['mm', b.weight('bias', [5])], ['y']);
      b.output('y', ANY2);
    },
    check: (g) => expect(nodeOf(g, 'fc').bias).toBe('bias'),
  },
  {
    name: 'AveragePool to 1x1 → Flatten → Gemm transB 0 with C [1, F]',
    input: [2, 4, 3, 3],
    build: (b) => {
      b.node('AveragePool', ['x'], ['pool'], { kernel_shape: [3, 3] });
      b.node('Flatten', ['pool'], ['flat']);
      b.node('Gemm', ['flat', b.weight('w', [4, 5]), b.weight('c', [1, 5])], ['y'], { transB: 0 });
      b.output('y', ANY2);
    },
  },
  {
    name: 'Dropout (with mask output) and Identity are dropped',
    input: [1, 3, 4, 4],
    build: (b) => {
      b.node('Dropout', ['x'], ['d', 'mask']);
      b.node('Identity', ['d'], ['i']);
      b.node('Relu', ['i'], ['y']);
      b.output('y', ANY4);
    },
    check: (g) => expect(g.nodes.map((n) => n.kind)).toEqual(['input', 'relu']),
  },
  {
    name: 'Softmax axis 1 over the channels of a 4-D map (opset 13)',
    input: [2, 5, 3, 2],
    build: (b) => (b.node('Softmax', ['x'], ['y'], { axis: 1 }), b.output('y', ANY4)),
  },
  {
    name: 'free H/W (dim_param) sized by inputSize [9, 12]',
    input: [1, 3, 9, 12],
    options: { inputSize: [9, 12] },
    build: (b) => {
      b.inputs[0].shape = [{ param: 'batch' }, { value: 3 }, { param: 'height' }, { param: 'width' }];
      conv(b, 'x', 'y', 3, 4, 3, 3, { strides: [2, 2] });
      b.output('y', ANY4);
    },
  },
  {
    name: 'initializers in float_data (not raw_data) and listed as graph inputs (IR 3 style)',
    input: [1, 3, 5, 5],
    build: (b) => {
      conv(b, 'x', 'y', 3, 4, 3, 3);
      for (const t of b.initializers) {
        t.floatData = new Float32Array(t.rawData!.buffer.slice(t.rawData!.byteOffset, t.rawData!.byteOffset + t.rawData!.byteLength));
        t.rawData = undefined;
        b.inputs.push({ name: t.name, elemType: DataType.FLOAT, shape: t.dims.map((value) => ({ value })) });
      }
      b.output('y', ANY4);
    },
  },
];

/** Our output in ONNX order (NCHW for feature maps) for comparison with onnxruntime. */
function toOnnxOrder(g: Graph, ours: Float32Array): Float32Array {
  const s = g.shape(g.output);
  if (s.length !== 4) return ours;
  const [n, h, w, c] = s;
  const out = new Float32Array(ours.length);
  for (let i = 0; i < n; i++) out.set(nhwcToNchwReference(ours.subarray(i * h * w * c, (i + 1) * h * w * c), c, h, w), i * h * w * c);
  return out;
}

describe('ONNX import, op by op, against onnxruntime-node', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const b = new OnnxModelBuilder(c.opset);
      b.input('x', c.input);
      c.build(b);
      const bytes = b.bytes();
      const x = seeded(c.input.reduce((p, d) => p * d), 42);
      const expected = (await runOrt(bytes, 'x', x, c.input)).get(b.outputs[0].name)!;
      const imported = importOnnxBytes(bytes, { batch: c.input[0], ...c.options });
      c.check?.(imported.graph);
      const ours = toOnnxOrder(imported.graph, await runOurs(imported.graph, imported.weights, x));
      expect(ours.length).toBe(expected.length);
      expect(relativeMaxError(ours, expected), 'max |ours − onnxruntime| / std').toBeLessThan(BOUND);
    });
  }
});

describe('ONNX external data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-external-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('Conv weights in weights.bin (location, offset, length) load by path, as in onnxruntime', async () => {
    const b = new OnnxModelBuilder();
    b.input('x', [1, 3, 6, 6]);
    conv(b, 'x', 'y', 3, 4, 3, 3);
    b.output('y', ANY4);
    const chunks: Uint8Array[] = [new Uint8Array(16)]; // a header, so offsets are not 0
    let offset = 16;
    for (const t of b.initializers) {
      const raw = t.rawData!;
      t.rawData = undefined;
      t.dataLocation = 1;
      t.externalData = [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: String(offset) }, { key: 'length', value: String(raw.length) }];
      chunks.push(raw.slice());
      offset += raw.length;
    }
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat(chunks));
    const modelPath = join(dir, 'model.onnx');
    writeFileSync(modelPath, b.bytes());
    const x = seeded(3 * 36, 5);
    // onnxruntime resolves external data relative to a model *path*; run it that way.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(modelPath);
    const reference = (await session.run({ x: new ort.Tensor('float32', x, [1, 3, 6, 6]) })).y.data as Float32Array;
    await session.release();
    const imported = await importOnnx(modelPath);
    const ours = toOnnxOrder(imported.graph, await runOurs(imported.graph, imported.weights, x));
    expect(relativeMaxError(ours, reference)).toBeLessThan(BOUND);
    await expect(importOnnx(b.bytes(), { externalDataDir: dir })).resolves.toBeDefined();
  });
});
