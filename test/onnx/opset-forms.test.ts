/**
 * Every opset's form of the ops the importer maps onto graph nodes: one small model per op form
 * and opset, run in onnxruntime-node and in our engine (within 1e-4·std), or refused with an
 * error that names the node and what is supported. Where onnxruntime has no kernel for an old
 * form (Dropout-6), the oracle runs the same network written in the next opset's form.
 */
import { describe, expect, it } from 'vitest';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { DataType } from '../../src/onnx/onnx-proto.js';
import { float32Tensor } from '../../src/onnx/tensor.js';
import { BOUND, f, intConstant, OnnxModelBuilder, relativeMaxError, runOrt, runOurs, seeded, toOnnxOrder } from './helpers.js';

type Dims = [number, number, number, number];
const ANY4 = ['n', 'c', 'h', 'w'];
const ANY2 = ['n', 'f'];
const FLT_MAX = 3.4028234663852886e38;

interface Form {
  name: string;
  opset: number;
  input: Dims;
  build: (b: OnnxModelBuilder) => void;
  /** The error the import must fail with (otherwise it must match onnxruntime). */
  rejects?: RegExp;
  /** The same network in a form onnxruntime runs, when it has no kernel for this one. */
  oracle?: { opset: number; build: (b: OnnxModelBuilder) => void };
}

const positive = (n: number, seed: number) => seeded(n, seed).map((v) => 0.5 + Math.abs(v));
const conv = (b: OnnxModelBuilder, x: string, y: string, cin: number, cout: number, k: number, attrs: Record<string, number | number[]> = {}) =>
  b.node('Conv', [x, b.weight(`${y}.w`, [cout, cin, k, k]), b.weight(`${y}.b`, [cout])], [y], attrs);
const gap = (b: OnnxModelBuilder, x: string, y: string) => b.node('GlobalAveragePool', [x], [y]);
const floatScalar = (b: OnnxModelBuilder, name: string, v: number) => (b.node('Constant', [], [name], { value: float32Tensor('', [], Float32Array.of(v)) }), name);
const bn = (b: OnnxModelBuilder, x: string, y: string, c: number, attrs: Record<string, number | { float: number }> = {}) =>
  b.node('BatchNormalization', [x, b.weight(`${y}.g`, [c]), b.weight(`${y}.b`, [c]), b.weight(`${y}.m`, [c]), b.weight(`${y}.v`, [c], positive(c, 3))], [y], attrs);

/** GlobalAveragePool → `squeeze` → Gemm 4→3: the head of every Squeeze form. */
const squeezeHead = (squeeze: (b: OnnxModelBuilder) => void) => (b: OnnxModelBuilder) => {
  gap(b, 'x', 'g');
  squeeze(b);
  b.node('Gemm', ['s', b.weight('fc.w', [3, 4]), b.weight('fc.b', [3])], ['y'], { transB: 1 });
  b.output('y', ANY2);
};

const forms: Form[] = [
  // Squeeze / Unsqueeze: axes an attribute before 13, an input from 13.
  { name: 'Squeeze axes [2, 3] attribute', opset: 11, input: [2, 4, 5, 5], build: squeezeHead((b) => b.node('Squeeze', ['g'], ['s'], { axes: [2, 3] })) },
  { name: 'Squeeze axes [2, 3] attribute', opset: 7, input: [2, 4, 5, 5], build: squeezeHead((b) => b.node('Squeeze', ['g'], ['s'], { axes: [2, 3] })) },
  { name: 'Squeeze axes [-1, -2] attribute', opset: 11, input: [2, 4, 5, 5], build: squeezeHead((b) => b.node('Squeeze', ['g'], ['s'], { axes: [-1, -2] })) },
  { name: 'Squeeze axes input [2, 3]', opset: 13, input: [2, 4, 5, 5], build: squeezeHead((b) => b.node('Squeeze', ['g', intConstant(b, 'ax', [2], [2, 3])], ['s'])) },
  { name: 'Squeeze axes input [-1, -2]', opset: 21, input: [2, 4, 5, 5], build: squeezeHead((b) => b.node('Squeeze', ['g', intConstant(b, 'ax', [2], [-1, -2])], ['s'])) },
  { name: 'Squeeze without axes, batch 2 (drops only H, W)', opset: 13, input: [2, 4, 5, 5], build: squeezeHead((b) => b.node('Squeeze', ['g'], ['s'])) },
  {
    name: 'Squeeze without axes at batch 1 (would drop the batch axis)', opset: 13, input: [1, 4, 5, 5],
    build: squeezeHead((b) => b.node('Squeeze', ['g'], ['s'])),
    rejects: /ONNX node 's' \(Squeeze\): Squeeze of \[1, 4, 1, 1\] to \[4\] is not supported; supported: the 1×1 spatial axes/,
  },
  {
    name: 'Unsqueeze of a feature vector', opset: 11, input: [2, 4, 5, 5],
    build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['fl']), b.node('Unsqueeze', ['fl'], ['y'], { axes: [2, 3] }), b.output('y', ANY4)),
    rejects: /ONNX node 'y' \(Unsqueeze\): Unsqueeze of the computed tensor \[2, 4\] is not supported/,
  },
  // Transpose: a no-op perm passes, a real one is refused.
  { name: 'Transpose identity perm', opset: 13, input: [2, 3, 4, 5], build: (b) => (b.node('Transpose', ['x'], ['t'], { perm: [0, 1, 2, 3] }), conv(b, 't', 'y', 3, 4, 3), b.output('y', ANY4)) },
  { name: 'Transpose of [N, C, 1, 1] swapping the 1×1 axes', opset: 9, input: [2, 4, 5, 5], build: squeezeHead((b) => (b.node('Transpose', ['g'], ['t'], { perm: [0, 1, 3, 2] }), b.node('Flatten', ['t'], ['s']))) },
  {
    name: 'Transpose NCHW → NHWC', opset: 13, input: [1, 3, 4, 5],
    build: (b) => (b.node('Transpose', ['x'], ['y'], { perm: [0, 2, 3, 1] }), b.output('y', ANY4)),
    rejects: /ONNX node 'y' \(Transpose\): Transpose of \[1, 3, 4, 5\] by perm \[0, 2, 3, 1\] moves data, and the engine has no transpose kernel/,
  },
  // Pad: pads an attribute before 11, an input from 11; axes input from 18.
  ...[2, 7, 10].map((opset): Form => ({
    name: 'Pad pads attribute → Conv', opset, input: [2, 3, 6, 7],
    build: (b) => (b.node('Pad', ['x'], ['p'], { pads: [0, 0, 1, 2, 0, 0, 2, 1], mode: 'constant', value: f(0) }), conv(b, 'p', 'y', 3, 4, 3), b.output('y', ANY4)),
  })).filter((form) => form.opset >= 7),
  ...[11, 13, 18, 21].map((opset): Form => ({
    name: 'Pad pads input → Conv', opset, input: [2, 3, 6, 7],
    build: (b) => (b.node('Pad', ['x', b.ints('pads', [0, 0, 1, 2, 0, 0, 2, 1])], ['p']), conv(b, 'p', 'y', 3, 4, 3), b.output('y', ANY4)),
  })),
  {
    name: 'Pad axes input [2, 3] → Conv', opset: 18, input: [2, 3, 6, 7],
    build: (b) => (b.node('Pad', ['x', b.ints('pads', [1, 2, 2, 1]), '', b.ints('axes', [2, 3])], ['p']), conv(b, 'p', 'y', 3, 4, 3), b.output('y', ANY4)),
  },
  {
    name: 'Pad axes input [-1] → Conv', opset: 21, input: [2, 3, 6, 7],
    build: (b) => (b.node('Pad', ['x', b.ints('pads', [2, 1]), '', b.ints('axes', [-1])], ['p']), conv(b, 'p', 'y', 3, 4, 3), b.output('y', ANY4)),
  },
  {
    name: 'Pad mode reflect', opset: 13, input: [1, 3, 6, 7],
    build: (b) => (b.node('Pad', ['x', b.ints('pads', [0, 0, 1, 1, 0, 0, 1, 1])], ['p'], { mode: 'reflect' }), conv(b, 'p', 'y', 3, 4, 3), b.output('y', ANY4)),
    rejects: /ONNX node 'p' \(Pad\): attribute 'mode' = 'reflect' is not supported; supported: 'constant' \(zeros\)/,
  },
  // Clip: min/max attributes before 11 (defaults ±FLT_MAX), inputs from 11.
  { name: 'Clip min 0 attribute', opset: 6, input: [2, 3, 4, 5], build: (b) => (b.node('Clip', ['x'], ['y'], { min: f(0) }), b.output('y', ANY4)) },
  { name: 'Clip min 0, max FLT_MAX attributes', opset: 10, input: [2, 3, 4, 5], build: (b) => (b.node('Clip', ['x'], ['y'], { min: f(0), max: f(FLT_MAX) }), b.output('y', ANY4)) },
  { name: 'Clip min input 0', opset: 11, input: [2, 3, 4, 5], build: (b) => (b.node('Clip', ['x', floatScalar(b, 'lo', 0)], ['y']), b.output('y', ANY4)) },
  { name: "Clip min input 0, max ''", opset: 13, input: [2, 3, 4, 5], build: (b) => (b.node('Clip', ['x', floatScalar(b, 'lo', 0), ''], ['y']), b.output('y', ANY4)) },
  { name: 'Clip without bounds', opset: 12, input: [2, 3, 4, 5], build: (b) => (b.node('Clip', ['x'], ['c']), b.node('Relu', ['c'], ['y']), b.output('y', ANY4)) },
  {
    name: 'Clip min 0, max 6 (Relu6)', opset: 13, input: [1, 3, 4, 5],
    build: (b) => (b.node('Clip', ['x', floatScalar(b, 'lo', 0), floatScalar(b, 'hi', 6)], ['y']), b.output('y', ANY4)),
  },
  // Reshape: shape an attribute in opsets 1-4.
  { name: 'Reshape shape attribute [0, -1]', opset: 4, input: [2, 3, 4, 5], build: (b) => (gap(b, 'x', 'g'), b.node('Reshape', ['g'], ['y'], { shape: [0, -1] }), b.output('y', ANY2)) },
  { name: 'Reshape shape attribute [2, 3] (explicit batch)', opset: 1, input: [2, 3, 4, 5], build: (b) => (gap(b, 'x', 'g'), b.node('Reshape', ['g'], ['y'], { shape: [2, 3] }), b.output('y', ANY2)),
    oracle: { opset: 5, build: (b) => (gap(b, 'x', 'g'), b.node('Reshape', ['g', b.ints('s', [2, 3])], ['y']), b.output('y', ANY2)) } },
  { name: 'Reshape shape input [-1, 3], allowzero 0', opset: 14, input: [2, 3, 4, 5], build: (b) => (gap(b, 'x', 'g'), b.node('Reshape', ['g', b.ints('s', [-1, 3])], ['y'], { allowzero: 0 }), b.output('y', ANY2)) },
  {
    name: 'Reshape of a 4×5 map to [N, 4, 15]', opset: 13, input: [2, 3, 4, 5],
    build: (b) => (b.node('Reshape', ['x', b.ints('s', [0, 4, -1])], ['y']), b.output('y', ['n', 4, 15])),
    rejects: /ONNX node 'y' \(Reshape\): Reshape of \[2, 3, 4, 5\] to \[0, 4, -1\] = \[2, 4, 15\] is not supported; supported: \[N, -1\]/,
  },
  // BatchNormalization: spatial before 9 (1 only); is_test / consumed_inputs in old forms.
  { name: 'BatchNormalization spatial 1', opset: 7, input: [2, 3, 4, 5], build: (b) => (bn(b, 'x', 'y', 3, { spatial: 1, epsilon: f(1e-3) }), b.output('y', ANY4)) },
  { name: 'BatchNormalization (no spatial)', opset: 9, input: [2, 3, 4, 5], build: (b) => (bn(b, 'x', 'y', 3), b.output('y', ANY4)) },
  { name: 'BatchNormalization training_mode 0', opset: 15, input: [2, 3, 4, 5], build: (b) => (bn(b, 'x', 'y', 3, { training_mode: 0 }), b.output('y', ANY4)) },
  {
    name: 'BatchNormalization spatial 0', opset: 8, input: [1, 3, 4, 5], build: (b) => (bn(b, 'x', 'y', 3, { spatial: 0 }), b.output('y', ANY4)),
    rejects: /ONNX node 'y' \(BatchNormalization\): attribute 'spatial' = 0 is not supported; supported: 1/,
  },
  // Dropout: is_test before 7, ratio an attribute before 12, an input (with training_mode) from 12.
  {
    name: 'Dropout is_test 1', opset: 6, input: [2, 3, 4, 5], build: (b) => (b.node('Dropout', ['x'], ['d'], { is_test: 1, ratio: f(0.3) }), b.node('Relu', ['d'], ['y']), b.output('y', ANY4)),
    oracle: { opset: 7, build: (b) => (b.node('Dropout', ['x'], ['d'], { ratio: f(0.3) }), b.node('Relu', ['d'], ['y']), b.output('y', ANY4)) },
  },
  { name: 'Dropout ratio attribute, mask output', opset: 10, input: [2, 3, 4, 5], build: (b) => (b.node('Dropout', ['x'], ['d', 'mask'], { ratio: f(0.2) }), b.node('Relu', ['d'], ['y']), b.output('y', ANY4)) },
  {
    name: 'Dropout ratio and training_mode inputs', opset: 13, input: [2, 3, 4, 5],
    build: (b) => {
      // training_mode is a BOOL scalar, as torch writes it.
      b.node('Constant', [], ['tm'], { value: { name: '', dims: [], dataType: DataType.BOOL, rawData: Uint8Array.of(0), int32Data: [], int64Data: [], doubleData: [], dataLocation: 0, externalData: [] } });
      b.node('Dropout', ['x', floatScalar(b, 'ratio', 0.4), 'tm'], ['d']);
      b.node('Relu', ['d'], ['y']);
      b.output('y', ANY4);
    },
  },
  // Sum: N inputs.
  { name: 'Sum of three maps', opset: 8, input: [2, 3, 4, 5], build: (b) => (conv(b, 'x', 'a', 3, 3, 1), conv(b, 'x', 'c', 3, 3, 3, { pads: [1, 1, 1, 1] }), b.node('Sum', ['x', 'a', 'c'], ['y']), b.output('y', ANY4)) },
  { name: 'Sum of one map', opset: 13, input: [2, 3, 4, 5], build: (b) => (b.node('Sum', ['x'], ['s']), b.node('Relu', ['s'], ['y']), b.output('y', ANY4)) },
  {
    name: 'Sum with a scaled residual', opset: 13, input: [2, 3, 4, 5],
    build: (b) => (conv(b, 'x', 'a', 3, 3, 1), b.node('Mul', ['a', floatScalar(b, 'k', 0.2)], ['m']), b.node('Sum', ['m', 'x'], ['y']), b.output('y', ANY4)),
  },
  // Gemm: alpha / beta folded into the constants; transA refused.
  ...[7, 9, 11, 13].map((opset): Form => ({
    name: 'Gemm alpha 0.5 beta 2 transB 1', opset, input: [2, 4, 3, 3],
    build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['fl']), b.node('Gemm', ['fl', b.weight('w', [5, 4]), b.weight('c', [5])], ['y'], { alpha: f(0.5), beta: f(2), transB: 1 }), b.output('y', ANY2)),
  })),
  {
    name: 'Gemm alpha 1.5 transB 0, scalar C with beta 0.25', opset: 11, input: [2, 4, 3, 3],
    build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['fl']), b.node('Gemm', ['fl', b.weight('w', [4, 5]), b.weight('c', [1])], ['y'], { alpha: f(1.5), beta: f(0.25) }), b.output('y', ANY2)),
  },
  { name: 'Gemm without C (beta ignored)', opset: 13, input: [2, 4, 3, 3], build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['fl']), b.node('Gemm', ['fl', b.weight('w', [5, 4])], ['y'], { beta: f(3), transB: 1 }), b.output('y', ANY2)) },
  {
    name: 'Gemm transA 1', opset: 13, input: [2, 4, 3, 3],
    build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['fl']), b.node('Gemm', ['fl', b.weight('w', [2, 5])], ['y'], { transA: 1 }), b.output('y', ANY2)),
    rejects: /ONNX node 'y' \(Gemm\): attribute 'transA' = 1 is not supported: A is the computed batch \[2, 4\], which the engine cannot transpose/,
  },
  // MatMul + Add as Gemm (either operand order).
  { name: 'MatMul + Add(bias, mm)', opset: 9, input: [2, 4, 3, 3], build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['fl']), b.node('MatMul', ['fl', b.weight('w', [4, 6])], ['mm']), b.node('Add', [b.weight('bias', [6]), 'mm'], ['y']), b.output('y', ANY2)) },
  { name: 'MatMul + Add(mm, bias)', opset: 13, input: [2, 4, 3, 3], build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['fl']), b.node('MatMul', ['fl', b.weight('w', [4, 6])], ['mm']), b.node('Add', ['mm', b.weight('bias', [6])], ['y']), b.output('y', ANY2)) },
  // Flatten axis.
  { name: 'Flatten axis 1 of [N, C, 1, 1]', opset: 9, input: [2, 4, 3, 3], build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['y'], { axis: 1 }), b.output('y', ANY2)) },
  { name: 'Flatten axis -3 of [N, C, 1, 1]', opset: 13, input: [2, 4, 3, 3], build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['y'], { axis: -3 }), b.output('y', ANY2)) },
  { name: 'Flatten of a 2-D tensor', opset: 11, input: [2, 4, 3, 3], build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['f1']), b.node('Flatten', ['f1'], ['y']), b.output('y', ANY2)) },
  {
    name: 'Flatten axis 2', opset: 13, input: [2, 4, 3, 3], build: (b) => (b.node('Flatten', ['x'], ['y'], { axis: 2 }), b.output('y', ANY2)),
    rejects: /ONNX node 'y' \(Flatten\): attribute 'axis' = 2 is not supported; supported: 1/,
  },
  // Softmax: before 13 the input is coerced to 2-D at axis (default 1); from 13 one axis (default -1).
  { name: 'Softmax default axis of [N, F]', opset: 11, input: [2, 4, 3, 3], build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['fl']), b.node('Softmax', ['fl'], ['y']), b.output('y', ANY2)) },
  { name: 'Softmax default axis of [N, F]', opset: 13, input: [2, 4, 3, 3], build: (b) => (gap(b, 'x', 'g'), b.node('Flatten', ['g'], ['fl']), b.node('Softmax', ['fl'], ['y']), b.output('y', ANY2)) },
  { name: 'Softmax default axis of [N, C, 1, 1]', opset: 9, input: [2, 4, 3, 3], build: (b) => (gap(b, 'x', 'g'), b.node('Softmax', ['g'], ['y']), b.output('y', ANY4)) },
  { name: 'Softmax axis 1 over channels of a 3×3 map', opset: 13, input: [2, 4, 3, 3], build: (b) => (b.node('Softmax', ['x'], ['y'], { axis: 1 }), b.output('y', ANY4)) },
  {
    name: 'Softmax axis 1 of a 3×3 map (coerced to [N, C·H·W])', opset: 11, input: [1, 4, 3, 3],
    build: (b) => (b.node('Softmax', ['x'], ['y'], { axis: 1 }), b.output('y', ANY4)),
    rejects: /ONNX node 'y' \(Softmax\): Softmax over axis 1 of \[1, 4, 3, 3\] is not supported/,
  },
  {
    name: 'Softmax default axis (-1 = W) of a 3×3 map', opset: 13, input: [1, 4, 3, 3],
    build: (b) => (b.node('Softmax', ['x'], ['y']), b.output('y', ANY4)),
    rejects: /ONNX node 'y' \(Softmax\): Softmax over axis -1 of \[1, 4, 3, 3\] is not supported/,
  },
  // MaxPool: dilations 1 only; storage_order affects only the (unsupported) indices.
  ...[7, 8, 12].map((opset): Form => ({
    name: `MaxPool 3×3 s2${opset >= 8 ? ' storage_order 1' : ''}`, opset, input: [2, 3, 9, 8],
    build: (b) => (b.node('MaxPool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ...(opset >= 8 ? { storage_order: 1 } : {}) }), b.output('y', ANY4)),
  })),
  {
    name: 'MaxPool dilations [2, 2]', opset: 12, input: [1, 3, 9, 8],
    build: (b) => (b.node('MaxPool', ['x'], ['y'], { kernel_shape: [3, 3], dilations: [2, 2] }), b.output('y', ANY4)),
    rejects: /ONNX node 'y' \(MaxPool\): attribute 'dilations' = \[2, 2\] is not supported; supported: \[1, 1\]/,
  },
  {
    name: 'MaxPool indices output', opset: 12, input: [1, 3, 9, 8],
    build: (b) => (b.node('MaxPool', ['x'], ['p', 'idx'], { kernel_shape: [3, 3] }), b.node('Relu', ['idx'], ['y']), b.output('y', ANY4)),
    rejects: /ONNX node 'y' \(Relu\): input 'idx' is not available: MaxPool indices are not supported/,
  },
  // AveragePool auto_pad variants, with and without count_include_pad.
  ...(['SAME_UPPER', 'SAME_LOWER', 'VALID'] as const).flatMap((autoPad) =>
    [7, 10, 19].flatMap((opset) =>
      [0, 1].map((include): Form => ({
        name: `AveragePool 3×3 s2 auto_pad ${autoPad} count_include_pad ${include}`, opset, input: [2, 3, 8, 9],
        build: (b) => (b.node('AveragePool', ['x'], ['y'], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: autoPad, count_include_pad: include }), b.output('y', ANY4)),
      })),
    ),
  ),
];

describe('every opset form of the imported ops, against onnxruntime-node', () => {
  for (const form of forms) {
    it(`${form.name} (opset ${form.opset})${form.rejects ? ' is refused clearly' : ''}`, async () => {
      const make = (opset: number, build: (b: OnnxModelBuilder) => void) => {
        const b = new OnnxModelBuilder(opset);
        b.input('x', form.input);
        build(b);
        return b;
      };
      const model = make(form.opset, form.build);
      if (form.rejects) {
        expect(() => importOnnxBytes(model.bytes(), { batch: form.input[0] })).toThrow(form.rejects);
        return;
      }
      const oracle = form.oracle ? make(form.oracle.opset, form.oracle.build) : model;
      const x = seeded(form.input.reduce((p, d) => p * d), 21);
      const expected = (await runOrt(oracle.bytes(), 'x', x, form.input)).get(oracle.outputs[0].name)!;
      const imported = importOnnxBytes(model.bytes(), { batch: form.input[0] });
      const ours = toOnnxOrder(imported.graph, await runOurs(imported.graph, imported.weights, x));
      expect(ours.length).toBe(expected.length);
      expect(relativeMaxError(ours, expected), 'max |ours − onnxruntime| / std').toBeLessThan(BOUND);
    });
  }
});
