/**
 * ONNX graph inputs that are not NCHW images, each checked against onnxruntime-node on files
 * built here:
 * - tf2onnx's Keras form: an NHWC input read only through Transpose perm [0, 3, 1, 2]. The
 *   Transpose is absorbed (it is the engine's own input layout change), the session declares the
 *   input NHWC and `run` takes NHWC data by default (NCHW with `layout: 'nchw'`).
 * - `[N, F]` feature inputs (the ONNX backend tests' form for Gemm, Relu, Softmax, …), declared
 *   `[N, F]` with layout 'features'.
 * Every other Transpose of the input, and 3-D / 5-D inputs, are refused at load with a named error.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { createSession, type RunOptions } from '../../src/session.js';
import { nhwcToNchwReference } from '../reference/layout.js';
import { f, OnnxModelBuilder, relativeMaxError, runOrt, seeded } from './helpers.js';

const BOUND = 1e-4;
/** The worst deviation of any comparison in this file, printed at the end. */
const WORST = { value: 0 };
afterAll(() => console.log(`worst |ours − onnxruntime| / std: ${WORST.value.toExponential(2)}`));
/** max |ours − onnxruntime| / std(onnxruntime), remembered for the summary line. */
function rel(ours: Float32Array, reference: Float32Array): number {
  const e = relativeMaxError(ours, reference);
  WORST.value = Math.max(WORST.value, e);
  return e;
}

/** Runs `bytes` in a 1-thread session planned for `batch` on `x`; returns the output and the declared input. */
async function runOurs(bytes: Uint8Array, batch: number, x: Float32Array, options?: RunOptions) {
  const session = await createSession({ onnx: bytes, batch, threads: 1 });
  try {
    const r = await session.run(x, options);
    return { ...r, input: session.inputs[0], output: session.outputs[0] };
  } finally {
    await session.dispose();
  }
}

/** Batch of NHWC images → the same images NCHW. */
function batchToNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  const image = h * w * c;
  for (let i = 0; i < n; i++) out.set(nhwcToNchwReference(x.subarray(i * image, (i + 1) * image), c, h, w), i * image);
  return out;
}

const H = 9;
const W = 7;
const C = 3;
const CLASSES = 5;

/**
 * What tf2onnx writes for a small Keras classifier at opset 13: NHWC input → Transpose to NCHW →
 * explicit zero Pad → Conv (stride 2) → Relu → MaxPool → GlobalAveragePool → Flatten or Reshape →
 * MatMul + Add → Softmax.
 */
function tf2onnxModel(head: 'Flatten' | 'Reshape'): Uint8Array {
  const b = new OnnxModelBuilder(13);
  b.input('input_1', ['unk__6', H, W, C]);
  b.node('Transpose', ['input_1'], ['nchw'], { perm: [0, 3, 1, 2] }, 'model/conv/Conv2D__6');
  b.node('Pad', ['nchw', b.ints('pads', [0, 0, 1, 1, 0, 0, 2, 1])], ['padded'], { mode: 'constant' });
  b.node('Conv', ['padded', b.weight('conv.w', [8, C, 3, 3]), b.weight('conv.b', [8])], ['conv'], { strides: [2, 2], kernel_shape: [3, 3] });
  b.node('Relu', ['conv'], ['relu']);
  b.node('MaxPool', ['relu'], ['pool'], { kernel_shape: [2, 2], strides: [1, 1] });
  b.node('GlobalAveragePool', ['pool'], ['gap']);
  if (head === 'Flatten') b.node('Flatten', ['gap'], ['flat'], { axis: 1 });
  else b.node('Reshape', ['gap', b.ints('shape', [-1, 8])], ['flat']);
  b.node('MatMul', ['flat', b.weight('dense.w', [8, CLASSES])], ['mm']);
  b.node('Add', ['mm', b.weight('dense.b', [CLASSES])], ['logits']);
  b.node('Softmax', ['logits'], ['probs'], { axis: -1 });
  b.output('probs', ['unk__7', CLASSES]);
  return b.bytes();
}

describe('tf2onnx Keras exports: NHWC input → Transpose perm [0, 3, 1, 2] (absorbed)', () => {
  for (const head of ['Flatten', 'Reshape'] as const) {
    for (const batch of [1, 2]) {
      it(`${head} head, batch ${batch}: NHWC by default and NCHW on request, within ${BOUND}·std of onnxruntime`, async () => {
        const bytes = tf2onnxModel(head);
        const x = seeded(batch * H * W * C, 40 + batch);
        const expected = (await runOrt(bytes, 'input_1', x, [batch, H, W, C])).get('probs')!;

        const nhwc = await runOurs(bytes, batch, x);
        expect(nhwc.input).toEqual({ name: 'input_1', shape: [batch, H, W, C], layout: 'nhwc' });
        expect(nhwc.shape).toEqual([batch, CLASSES]);
        expect(rel(nhwc.logits, expected), 'default layout: max |ours − onnxruntime| / std').toBeLessThan(BOUND);

        const nchw = await runOurs(bytes, batch, batchToNchw(x, batch, H, W, C), { layout: 'nchw' });
        expect(rel(nchw.logits, expected), "layout 'nchw': max |ours − onnxruntime| / std").toBeLessThan(BOUND);
        // The layout matters here (H ≠ W, 3 channels): the NHWC data read as NCHW is far off.
        const misread = await runOurs(bytes, batch, x, { layout: 'nchw' });
        expect(relativeMaxError(misread.logits, expected)).toBeGreaterThan(100 * BOUND);
      });
    }
  }

  it('the importer declares the input NHWC and leaves no transpose node in the graph', () => {
    const m = importOnnxBytes(tf2onnxModel('Flatten'), { batch: 2 });
    expect(m.inputs).toEqual([{ name: 'input_1', shape: [2, H, W, C], layout: 'nhwc' }]);
    expect(m.graph.shape(m.graph.inputs[0])).toEqual([2, H, W, C]);
    expect(m.outputs).toEqual([{ name: 'probs', shape: [2, CLASSES], layout: 'features' }]);
  });

  it('two Transposes of the same NHWC input are both absorbed', async () => {
    const b = new OnnxModelBuilder(13);
    b.input('x', [1, 6, 5, 4]);
    b.node('Transpose', ['x'], ['t1'], { perm: [0, 3, 1, 2] });
    b.node('Transpose', ['x'], ['t2'], { perm: [0, 3, 1, 2] });
    b.node('Conv', ['t1', b.weight('w1', [3, 4, 3, 3])], ['a'], { pads: [1, 1, 1, 1] });
    b.node('Conv', ['t2', b.weight('w2', [3, 4, 1, 1])], ['c']);
    b.node('Add', ['a', 'c'], ['y']);
    b.output('y', [1, 3, 6, 5]);
    const bytes = b.bytes();
    const x = seeded(6 * 5 * 4, 9);
    const expected = (await runOrt(bytes, 'x', x, [1, 6, 5, 4])).get('y')!;
    const ours = await runOurs(bytes, 1, x);
    expect(ours.output).toMatchObject({ shape: [1, 3, 6, 5], layout: 'nchw' });
    expect(rel(ours.logits, expected)).toBeLessThan(BOUND);
  });

  const refused = (build: (b: OnnxModelBuilder) => void, message: RegExp) => {
    const b = new OnnxModelBuilder(13);
    build(b);
    expect(() => importOnnxBytes(b.bytes())).toThrow(message);
  };

  it('a Transpose with another perm stays refused, naming the node and the supported forms', () => {
    refused((b) => {
      b.input('x', [1, 6, 5, 4]);
      b.node('Transpose', ['x'], ['y'], { perm: [0, 2, 3, 1] }, 'to_nhwc');
      b.output('y', [1, 5, 4, 6]);
    }, /ONNX node 'to_nhwc' \(Transpose\): Transpose of \[1, 6, 5, 4\] by perm \[0, 2, 3, 1\] moves data/);
    refused((b) => {
      b.input('x', [1, 6, 5, 4]);
      b.node('Transpose', ['x'], ['y'], { perm: [0, 3, 2, 1] }, 'swap');
      b.output('y', [1, 4, 5, 6]);
    }, /ONNX node 'swap' \(Transpose\).*moves data/);
  });

  it('perm [0, 3, 1, 2] is refused when another node also reads the input (the input is then NCHW)', () => {
    refused((b) => {
      b.input('x', [1, 6, 5, 4]);
      b.node('Transpose', ['x'], ['t'], { perm: [0, 3, 1, 2] }, 'to_nchw');
      b.node('Relu', ['x'], ['r']);
      b.node('GlobalAveragePool', ['t'], ['g']);
      b.node('GlobalAveragePool', ['r'], ['g2']);
      b.node('Add', ['g', 'g2'], ['y']);
      b.output('y', [1, 5, 1, 1]);
    }, /ONNX node 'to_nchw' \(Transpose\).*moves data.*every node reading that input is such a Transpose/);
  });
});

/** A model over one `[N, F]` input `x` (N free) with output `y` of `[N, out]`. */
function featureModel(features: number, out: number, build: (b: OnnxModelBuilder) => void, opset = 13): Uint8Array {
  const b = new OnnxModelBuilder(opset);
  b.input('x', ['N', features]);
  build(b);
  b.output('y', ['N', out]);
  return b.bytes();
}

const F = 6;

const featureCases: [name: string, out: number, build: (b: OnnxModelBuilder) => void, opset?: number][] = [
  ['Gemm alpha 0.5, beta 2, transB 1', 4, (b) => b.node('Gemm', ['x', b.weight('B', [4, F]), b.weight('C', [4])], ['y'], { alpha: f(0.5), beta: f(2), transB: 1 })],
  ['Gemm transB 0, bias [1, 4]', 4, (b) => b.node('Gemm', ['x', b.weight('B', [F, 4]), b.weight('C', [1, 4])], ['y'])],
  ['Gemm opset 9, one-value bias, alpha 1.5', 4, (b) => b.node('Gemm', ['x', b.weight('B', [4, F]), b.weight('C', [1])], ['y'], { alpha: f(1.5), transB: 1 }), 9],
  ['MatMul + Add', 3, (b) => (b.node('MatMul', ['x', b.weight('W', [F, 3])], ['m']), b.node('Add', ['m', b.weight('bias', [3])], ['y']))],
  ['Relu', F, (b) => b.node('Relu', ['x'], ['y'])],
  ['Clip min 0 (input form, opset 11)', F, (b) => b.node('Clip', ['x', b.weight('lo', [], Float32Array.of(0))], ['y']), 11],
  ['Clip min 0 (attribute form, opset 6)', F, (b) => b.node('Clip', ['x'], ['y'], { min: f(0) }), 6],
  ['Softmax axis -1 (opset 13)', F, (b) => b.node('Softmax', ['x'], ['y'], { axis: -1 })],
  ['Softmax default axis (opset 11)', F, (b) => b.node('Softmax', ['x'], ['y']), 11],
  ['Add of x and Relu(x)', F, (b) => (b.node('Relu', ['x'], ['r']), b.node('Add', ['x', 'r'], ['y']))],
  ['Add of x and Mul(Relu(x), 0.3)', F, (b) => {
    b.node('Relu', ['x'], ['r']);
    b.node('Mul', ['r', b.weight('s', [], Float32Array.of(0.3))], ['m']);
    b.node('Add', ['x', 'm'], ['y']);
  }],
  ['Flatten → Gemm → Relu → Softmax', 4, (b) => {
    b.node('Flatten', ['x'], ['fl'], { axis: 1 });
    b.node('Gemm', ['fl', b.weight('B', [4, F]), b.weight('C', [4])], ['g'], { transB: 1 });
    b.node('Relu', ['g'], ['r']);
    b.node('Softmax', ['r'], ['y'], { axis: 1 });
  }],
  ['Identity (the output is the input)', F, (b) => b.node('Identity', ['x'], ['y'])],
];

describe('[N, F] feature inputs: a [N, 1, 1, F] map in the Graph, declared [N, F]', () => {
  for (const [name, out, build, opset] of featureCases) {
    it(`${name}: batch 3, within ${BOUND}·std of onnxruntime, in either layout`, async () => {
      const bytes = featureModel(F, out, build, opset);
      const x = seeded(3 * F, 70 + out);
      const expected = (await runOrt(bytes, 'x', x, [3, F])).get('y')!;
      const ours = await runOurs(bytes, 3, x);
      expect(ours.input).toEqual({ name: 'x', shape: [3, F], layout: 'features' });
      expect(ours.output).toEqual({ name: 'y', shape: [3, out], layout: 'features' });
      expect(ours.shape).toEqual([3, out]);
      expect(rel(ours.logits, expected), 'max |ours − onnxruntime| / std').toBeLessThan(BOUND);
      // The same floats whatever layout is named: a 1×1 map is ordered the same in both.
      expect((await runOurs(bytes, 3, x, { layout: 'nhwc' })).logits).toEqual(ours.logits);
      // Fewer images than planned.
      const one = await runOurs(bytes, 3, x.subarray(0, F));
      expect(one.shape).toEqual([1, out]);
      expect(rel(one.logits, expected.subarray(0, out))).toBeLessThan(BOUND);
    });
  }

  it('a wrong input length names the [N, F] shape', async () => {
    const session = await createSession({ onnx: featureModel(F, F, (b) => b.node('Relu', ['x'], ['y'])), batch: 2, threads: 1 });
    try {
      await expect(session.run(new Float32Array(F + 1))).rejects.toThrow(/expected \[2,6\] \(12 floats; or a multiple of 6 up to batch 2\), got 7 floats/);
    } finally {
      await session.dispose();
    }
  });

  it('ops outside their supported forms are refused at load, naming the node (never run wrong)', () => {
    const cases: [(b: OnnxModelBuilder) => void, RegExp][] = [
      [(b) => b.node('Clip', ['x', b.weight('lo', [], Float32Array.of(1)), b.weight('hi', [], Float32Array.of(1))], ['y']), /ONNX node 'y' \(Clip\): Clip\(min 1, max 1\) has an empty or single-point range/],
      [(b) => b.node('Softmax', ['x'], ['y'], { axis: 0 }), /ONNX node 'y' \(Softmax\): Softmax over axis 0 of \[1, 6\] is not supported/],
      [(b) => b.node('Gemm', ['x', b.weight('B', [F, 4])], ['y'], { transA: 1 }), /ONNX node 'y' \(Gemm\): attribute 'transA' = 1 is not supported/],
      [(b) => b.node('Mul', ['x', b.weight('s', [], Float32Array.of(2))], ['y']), /ONNX node 'y' \(graph output\).*reads Mul 'y'/],
      [(b) => b.node('GlobalAveragePool', ['x'], ['y']), /ONNX node 'y' \(GlobalAveragePool\): input must be a 4-D NCHW tensor, got \[1, 6\]/],
    ];
    for (const [build, message] of cases) expect(() => importOnnxBytes(featureModel(F, F, build))).toThrow(message);
  });

  it('inputSize does not apply to a feature input', () => {
    expect(() => importOnnxBytes(featureModel(F, F, (b) => b.node('Relu', ['x'], ['y'])), { inputSize: 224 }))
      .toThrow(/input 'x' is a feature batch \[N, F\]; inputSize applies only to image inputs/);
  });

  it('a free feature count is refused', () => {
    const b = new OnnxModelBuilder(13);
    b.input('x', ['N', 'F']);
    b.node('Relu', ['x'], ['y']);
    b.output('y', ['N', 'F']);
    expect(() => importOnnxBytes(b.bytes())).toThrow(/input 'x' must have a fixed feature count in 1\.\.1048576, got 'F'/);
  });
});

describe('inputs of other ranks are refused clearly', () => {
  for (const dims of [[1, 3, 4], [1, 2, 3, 4, 5], [6]]) {
    it(`${dims.length}-D [${dims.join(', ')}]`, () => {
      const b = new OnnxModelBuilder(13);
      b.input('x', dims);
      b.node('Relu', ['x'], ['y']);
      b.output('y', dims);
      expect(() => importOnnxBytes(b.bytes())).toThrow(
        new RegExp(`input 'x' is ${dims.length}-D \\[${dims.join(', ')}\\]; supported: a 4-D image batch NCHW \\[N, C, H, W\\] .*or a 2-D feature batch \\[N, F\\]`),
      );
    });
  }
});
