/**
 * Quantized ONNX files load as int8 by themselves (src/onnx/import-qdq.ts), onnxruntime-node as
 * the oracle on the same file:
 *  - (s, z) → the recorded range → paramsForRange gives back exactly (s, z), uint8 and int8;
 *  - a QDQ model as quantize_static writes it (uint8 and int8 activations) and a QOperator model
 *    (QLinearConv, QLinearMatMul, MaxPool/Concat/Flatten on uint8), quantized by the test's own
 *    MinMax quantizer (qdq-models.ts): the session is int8 with no calibration; the pooled
 *    features (a quantized output, the file cut after the pool) are within 1 step of
 *    onnxruntime's; the head after them (float logits, or QLinearMatMul's quantized output) is
 *    within the error the features' difference explains (Σ_k |W[o][k]|·|Δfeature_k|, plus the
 *    bias's rounding and half an output step where the file rounds); the int8 program's activation
 *    params are the file's exactly, its packed int8 weights the file's integers, its pools u8 at
 *    one quantisation (the file's params are equal); `inspect` finds nothing unsupported and calls
 *    the model quantized;
 *  - precision 'f32' runs the dequantized weights: equal to onnxruntime's float model with them;
 *  - refusals name the node: malformed DequantizeLinear constants, Q→DQ at other parameters, a
 *    value quantized twice, per-axis activations, a uint8 input, a quantized tensor read by a float
 *    op, codes misused; a conv the file leaves float fails the session with "no calibration range
 *    reaches" it;
 *  - round trip: an int8 session's QDQ export imported again compiles to the same params, int8
 *    weights and int32 biases, and gives byte-identical outputs. The requantize factors are
 *    re-derived by pack-int8.ts from the float weights and may differ in their last bit (the
 *    count is printed); on this network that moves no output, on larger ones it can.
 * A pool whose output the file quantizes at params of its own, and a calibrated program's pools:
 * import-qdq-pools.test.ts. The comparison helpers both files use: qdq-compare.ts.
 */
import { describe, expect, it } from 'vitest';
import { packedI8GemmBytes } from '../../src/bindings/kernels/int8.js';
import { paramsForRange } from '../../src/graph/int8/quant-params.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { inspectModel } from '../../src/inspect/index.js';
import { unpackI8Panels } from '../../src/onnx/export-qdq.js';
import { importOnnxBytes, OnnxImportError } from '../../src/onnx/import.js';
import { rangeOfQuant } from '../../src/onnx/import-qdq.js';
import { DataType } from '../../src/onnx/onnx-proto.js';
import { createSession } from '../../src/session.js';
import { mulberry32 } from '../../src/util/prng.js';
import { miniNetwork } from '../graph/mini.js';
import { compileInt8Program, rangesFor } from '../int8/program-oracle.js';
import { bitIdentical, OnnxModelBuilder, relativeMaxError, runOrt, seeded } from './helpers.js';
import { checkProgram, compare, heldOut, maxSteps, ortOut, ranges, runOurs } from './qdq-compare.js';
import {
  dequantizeWeights, floatModel, intTensor, LAYERS, paramsFrom, qdq, qdqModel, qoperatorModel, qpInits, quantizeWeights, type QP,
} from './qdq-models.js';

/** `inspect` finds nothing unsupported and says the model is quantized. */
async function checkInspect(bytes: Uint8Array): Promise<void> {
  const report = await inspectModel(bytes);
  expect(report.unsupported).toEqual([]);
  expect(report.notes.join('\n')).toMatch(/quantized model \(\d+ QuantizeLinear, \d+ QLinearConv, \d+ QLinearMatMul\): a session runs it int8/);
}

describe('ranges from (scale, zero point)', () => {
  it('paramsForRange(range of (s, z)) is exactly (s, z) for uint8 and int8 (z + 128), scales over 30 octaves', () => {
    const next = mulberry32(3);
    let checked = 0;
    for (let i = 0; i < 4000; i++) {
      const scale = Math.fround(2 ** (-24 + 30 * next()));
      const signed = i % 2 === 1;
      const zero = signed ? Math.floor(next() * 256) - 128 : i % 7 === 0 ? [0, 255][i % 2] : Math.floor(next() * 256);
      const z8 = signed ? zero + 128 : zero;
      const range = rangeOfQuant({ scale, zeroPoint: zero, signed });
      // The brief's formula, computed here: min −s·z₈, max s·(255 − z₈).
      expect(range).toEqual({ min: -scale * z8, max: scale * (255 - z8) });
      expect(paramsForRange(range)).toEqual({ scale, zeroPoint: z8 });
      checked++;
    }
    expect(checked).toBe(4000);
  });
});

describe('QDQ and QOperator files vs onnxruntime', () => {
  for (const signed of [false, true]) {
    const kind = signed ? 'int8' : 'uint8';
    it(`QDQ (quantize_static form, ${kind} activations): int8 without calibration; features within 1 step, logits within the features' error`, async () => {
      const p = paramsFrom(await ranges(), signed);
      const r = await compare(qdqModel(p, { output: 'features' }), qdqModel(p, { output: 'logits' }), p, 0);
      console.log(`QDQ ${kind}: features max |Δ| = ${r.features.toFixed(3)} steps; float logits max |Δ| = ${r.head.toFixed(3)} of the explained bound`);
      expect(r.features).toBeLessThanOrEqual(1 + 1e-4);
      expect(r.head).toBeLessThanOrEqual(1);
      await checkProgram(qdqModel(p, { output: 'logits' }), [p.x, p.r1, p.b1, p.cat]);
      await checkInspect(qdqModel(p, { output: 'logits' }));
    });
  }

  it('QOperator (QLinearConv, QLinearMatMul, uint8 MaxPool/Concat/Flatten, QLinear → QLinear): features within 1 step, output within the features\' error', async () => {
    const p = paramsFrom(await ranges(), false);
    const r = await compare(qoperatorModel(p, 'features'), qoperatorModel(p, 'y'), p, p.y.scale);
    console.log(`QOperator: features max |Δ| = ${r.features.toFixed(3)} steps; quantized output max |Δ| = ${r.head.toFixed(3)} of the explained bound`);
    expect(r.features).toBeLessThanOrEqual(1 + 1e-4);
    expect(r.head).toBeLessThanOrEqual(1);
    await checkProgram(qoperatorModel(p, 'y'), [p.x, p.r1, p.b1, p.cat]);
    await checkInspect(qoperatorModel(p, 'y'));
  });

  it("precision 'f32' runs the dequantized weights (a dropped Relu restored from zero point 0) = onnxruntime's float model with them", async () => {
    const p = paramsFrom(await ranges(), false);
    const bytes = qdqModel(p, { output: 'logits', dropRelu: true });
    const imported = importOnnxBytes(bytes);
    const a = imported.graph.nodes.find((n) => n.name === 'a')!;
    expect(imported.graph.nodes.some((n) => n.kind === 'relu' && n.inputs[0] === a.id), 'relu after conv2a from its zero point 0').toBe(true);
    const dq = Object.fromEntries(Object.entries(LAYERS).map(([k, l]) => {
      const { q, s } = quantizeWeights(l.w, l.dims[0]);
      const sIn = { conv1: p.x, conv2a: p.r1, conv2b: p.r1, conv2c: p.b1, fc: p.g }[k as keyof typeof LAYERS].scale;
      const b = Float32Array.from(l.b, (v, o) => Math.fround(Math.round(v / Math.fround(sIn * s[o])) * Math.fround(sIn * s[o])));
      return [k, { w: dequantizeWeights(q, s), b }];
    }));
    const reference = floatModel({ weights: dq });
    for (const x of heldOut) {
      const ours = await runOurs(bytes, x, { precision: 'f32' });
      expect(ours.precision).toBe('f32');
      expect(relativeMaxError(ours.out, await ortOut(reference, x))).toBeLessThan(1e-4);
    }
  });
});

/** x → Q → DQ → Conv(3→4) → Relu → Q → DQ → output; `edit` changes the builder before the output. */
function smallQdq(edit: (b: OnnxModelBuilder, names: { x: string; conv: string }) => void = () => {}): Uint8Array {
  const b = new OnnxModelBuilder(13);
  b.input('x', [1, 3, 5, 5]);
  const px: QP = { scale: 0.01, zero: 128, signed: false };
  const x = qdq(b, 'x', px);
  b.initializers.push(intTensor('w_q', [4, 3, 1, 1], 'int8', [127, -3, 5, 1, -127, 2, 0, 9, 127, -127, 6, 1]));
  b.weight('w_scale', [4], Float32Array.of(0.01, 0.02, 0.03, 0.04));
  b.initializers.push(intTensor('w_zero_point', [4], 'int8', [0, 0, 0, 0]));
  b.node('DequantizeLinear', ['w_q', 'w_scale', 'w_zero_point'], ['w'], { axis: 0 }, 'dq_w');
  b.node('Conv', [x, 'w'], ['c']);
  b.node('Relu', ['c'], ['r']);
  const names = { x, conv: 'r' };
  edit(b, names);
  b.output(qdq(b, names.conv, { scale: 0.02, zero: 0, signed: false }), [1, 4, 5, 5]);
  return b.bytes();
}

describe('refusals name the node', () => {
  const withWeight = (dims: number[], type: 'int8' | 'uint8' | 'int32', q: number[], scale: { dims: number[]; data: number[] }, zero: { type: 'int8' | 'uint8' | 'int32'; data: number[] } | undefined, axis: number | undefined) =>
    smallQdq((b) => {
      // Replace the weight DequantizeLinear with a malformed one of the same output, in its place.
      const at = b.nodes.findIndex((n) => n.name === 'dq_w');
      b.initializers.push(intTensor('bad_q', dims, type, q));
      b.weight('bad_scale', scale.dims, Float32Array.from(scale.data));
      const inputs = ['bad_q', 'bad_scale'];
      if (zero) {
        b.initializers.push(intTensor('bad_zero', scale.dims.length === 0 ? [] : [zero.data.length], zero.type, zero.data));
        inputs.push('bad_zero');
      }
      b.node('DequantizeLinear', inputs, ['w'], axis === undefined ? {} : { axis }, 'dq_bad');
      b.nodes.splice(at, 1, b.nodes.pop()!);
    });
  const w12 = Array.from({ length: 12 }, (_, i) => i - 6);
  const cases: [string, () => Uint8Array, RegExp][] = [
    ['a scale of the wrong length for its axis', () => withWeight([4, 3, 1, 1], 'int8', w12, { dims: [3], data: [1, 1, 1] }, { type: 'int8', data: [0, 0, 0] }, 0),
      /'dq_bad' \(DequantizeLinear\): per-axis quantisation on axis 0 of x 'bad_q' \[4, 3, 1, 1\] needs 4 scales/],
    ['an axis out of range', () => withWeight([4, 3, 1, 1], 'int8', w12, { dims: [4], data: [1, 1, 1, 1] }, { type: 'int8', data: [0, 0, 0, 0] }, 4),
      /'dq_bad' \(DequantizeLinear\): attribute 'axis' = 4 is out of range for the rank-4/],
    ['a zero scale', () => withWeight([4, 3, 1, 1], 'int8', w12, { dims: [4], data: [1, 0, 1, 1] }, undefined, 0), /'dq_bad' \(DequantizeLinear\): x scale 'bad_scale' holds 0; a scale must be a positive finite number/],
    ['a negative scale', () => withWeight([4, 3, 1, 1], 'int8', w12, { dims: [], data: [-0.5] }, undefined, 0), /'dq_bad' .*holds -0\.5; a scale must be a positive/],
    ['a NaN scale', () => withWeight([4, 3, 1, 1], 'int8', w12, { dims: [], data: [NaN] }, undefined, undefined), /'dq_bad' .*holds NaN; a scale must be a positive/],
    ['a zero point of another type than x', () => withWeight([4, 3, 1, 1], 'int8', w12, { dims: [], data: [0.1] }, { type: 'uint8', data: [3] }, undefined),
      /'dq_bad' \(DequantizeLinear\): x zero point 'bad_zero' is UINT8 but x 'bad_q' is INT8/],
    ['a non-zero int32 zero point', () => withWeight([4, 3, 1, 1], 'int32', w12, { dims: [], data: [0.1] }, { type: 'int32', data: [1] }, undefined),
      /'dq_bad' \(DequantizeLinear\): x zero point 'bad_zero' must be 0 for an INT32 tensor/],
    ['a zero point out of range (int32_data 300 for UINT8)', () => smallQdq((b) => {
      b.initializers.push({ name: 'z300', dims: [], dataType: DataType.UINT8, int32Data: [300], int64Data: [], doubleData: [], dataLocation: 0, externalData: [] });
      b.nodes.find((n) => n.name === 'x_dq')!.input[2] = 'z300';
    }), /'x_dq' \(DequantizeLinear\): .*int32_data holds 300, outside UINT8/],
    ['Q → DQ at other parameters (a requantisation; the Q\'s are not used instead)', () => smallQdq((b) => {
      b.weight('other_scale', [], Float32Array.of(0.02));
      b.nodes.find((n) => n.name === 'x_dq')!.input[1] = 'other_scale';
    }), /'x_dq' \(DequantizeLinear\): input x 'x_q' was quantized by 'x_q' at scale 0\.009999999776482582, zero point 128 \(uint8\), but this node reads it at scale 0\.019999999552965164/],
    ['one value quantized twice at different parameters', () => smallQdq((b, names) => {
      b.initializers.push(intTensor('z2', [], 'uint8', [100]));
      b.node('QuantizeLinear', ['x', 'x_scale', 'z2'], ['x_q2'], {}, 'second_q');
      b.node('DequantizeLinear', ['x_q2', 'x_scale', 'z2'], ['x_dq2']);
      b.node('Add', [names.x, 'x_dq2'], ['sum']);
      b.node('Conv', ['sum', 'w'], ['c2']);
      b.node('Add', ['r', 'c2'], ['r2']);
      names.conv = 'r2';
    }), /'second_q' \(QuantizeLinear\): the value 'x' is quantized at scale 0\.009999999776482582, zero point 128 \(uint8\) by 'x_q' and at scale .*zero point 100/],
    ['a per-axis activation scale', () => smallQdq((b) => {
      b.weight('x_scale3', [3], Float32Array.of(0.1, 0.1, 0.1));
      b.initializers.push(intTensor('x_zero3', [3], 'uint8', [1, 1, 1]));
      const q = b.nodes.find((n) => n.name === 'x_q')!;
      q.input[1] = 'x_scale3';
      q.input[2] = 'x_zero3';
    }), /'x_q' \(QuantizeLinear\): y: per-axis quantisation of an activation \(scale dims \[3\]\) is not supported/],
    ['a quantized tensor read by a float op', () => smallQdq((b) => (b.nodes.find((n) => n.opType === 'Conv')!.input[0] = 'x_q')),
      /'c' \(Conv\): input 'x_q' is the uint8 tensor of 'x_q' \(quantized\), which this op cannot read; supported readers of a quantized tensor: DequantizeLinear/],
    ['Floor of a float tensor (read only as quantized codes)', () => smallQdq((b, names) => {
      b.node('Floor', ['r'], ['fl']);
      names.conv = 'fl';
    }), /'fl' \(Floor\): op 'Floor' is not supported on a float tensor computed from the image \('r'\); supported only on the quantized codes/],
    ['codes pooled before they are centred (offset ≠ 0)', () => smallQdq((b, names) => {
      b.node('Cast', ['x_q'], ['codes'], { to: DataType.FLOAT });
      b.node('GlobalAveragePool', ['codes'], ['mean']);
      names.conv = 'mean';
    }), /'mean' \(GlobalAveragePool\): it pools quantized codes at offset 128 \(from 'codes'\); supported: centred codes/],
    ['a uint8 graph input read by DequantizeLinear', () => {
      const b = new OnnxModelBuilder(13);
      b.inputs.push({ name: 'x', elemType: DataType.UINT8, shape: [1, 3, 5, 5].map((value) => ({ value })) });
      const [s, z] = qpInits(b, 'x', { scale: 0.1, zero: 0, signed: false });
      b.node('DequantizeLinear', ['x', s, z], ['xf'], {}, 'dq_in');
      b.node('Relu', ['xf'], ['y']);
      b.output('y', [1, 3, 5, 5]);
      return b.bytes();
    }, /input 'x' is UINT8; supported: FLOAT \(DequantizeLinear 'dq_in' reads it: a quantized model must take a float input/],
  ];
  for (const [label, bytes, message] of cases) {
    it(label, () => {
      let error: unknown;
      try {
        importOnnxBytes(bytes());
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(OnnxImportError);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('a valid small file imports, and one Q feeding several DQs is one value (both convs read it)', async () => {
    const bytes = smallQdq((b, names) => {
      b.node('DequantizeLinear', ['x_q', 'x_scale', 'x_zero_point'], ['x_dq_again']);
      b.node('Conv', ['x_dq_again', 'w'], ['c2']);
      b.node('Relu', ['c2'], ['r2']);
      b.node('Add', [names.conv, qdq(b, 'r2', { scale: 0.02, zero: 0, signed: false })], ['sum']);
      names.conv = 'sum';
    });
    const imported = importOnnxBytes(bytes);
    const convs = imported.graph.nodes.filter((n) => n.kind === 'conv');
    expect(convs.map((n) => n.inputs[0])).toEqual([imported.graph.inputs[0], imported.graph.inputs[0]]);
    const x = seeded(75, 9);
    const ours = await runOurs(bytes, x);
    expect(ours.precision).toBe('int8');
    const theirs = [...(await runOrt(bytes, 'x', x, [1, 3, 5, 5])).values()][0];
    expect(maxSteps(ours.out, theirs, 0.02)).toBeLessThanOrEqual(1 + 1e-4);
  });

  it("a file's −128 weight stays −128 in the packed panels (the file's integers, exactly), and the output matches onnxruntime", async () => {
    const fileQ = [-128, -3, 5, 1, -127, 2, 0, 9, 127, -128, 6, -128];
    const bytes = smallQdq((b) => {
      const at = b.initializers.findIndex((t) => t.name === 'w_q');
      b.initializers.splice(at, 1, intTensor('w_q', [4, 3, 1, 1], 'int8', fileQ));
    });
    const imported = importOnnxBytes(bytes);
    const p = await compileInt8Program(imported.graph, imported.weights, imported.quantization!.ranges, 'baseline', undefined, imported.quantization!.weightScales);
    const [layer] = p.compiled.int8.layers;
    const unpacked = unpackI8Panels(p.arena.u8(layer.panels, packedI8GemmBytes(4, layer.depth)), 4, 3, 1, 1);
    expect(Array.from(unpacked.weights), 'packed int8 weights').toEqual(fileQ);
    // Inputs at the low end (code 0 = −1.28) make the −128 weights count: −128 against −127 moves channel 3 by 2.56 output steps.
    const x = new Float32Array(75).map((_, i) => (i % 4 === 0 ? -1.28 : seeded(1, i)[0]));
    const ours = await runOurs(bytes, x);
    expect(ours.precision).toBe('int8');
    const theirs = [...(await runOrt(bytes, 'x', x, [1, 3, 5, 5])).values()][0];
    expect(maxSteps(ours.out, theirs, 0.02)).toBeLessThanOrEqual(1 + 1e-4);
  });

  it("a conv whose output the file leaves float: the session says no range reaches it; precision 'f32' runs", async () => {
    const bytes = smallQdq((b, names) => {
      b.initializers.push(intTensor('w2_q', [4, 4, 1, 1], 'int8', Array.from({ length: 16 }, (_, i) => (i % 5 === 0 ? 127 : i - 8))));
      b.weight('w2_scale', [], Float32Array.of(0.05));
      b.node('DequantizeLinear', ['w2_q', 'w2_scale'], ['w2']);
      b.node('Conv', [qdq(b, names.conv, { scale: 0.03, zero: 0, signed: false }), 'w2'], ['float_conv']);
      b.node('Conv', ['float_conv', 'w2'], ['c3']);
      b.node('Relu', ['c3'], ['r3']);
      names.conv = 'r3';
    });
    await expect(runOurs(bytes, seeded(75, 1))).rejects.toThrow(/no range reaches 'float_conv': neither calibration nor the model file's quantisation covers it/);
    expect((await runOurs(bytes, seeded(75, 1), { precision: 'f32' })).precision).toBe('f32');
  });
});

const ROUND_TRIPS = [
  { name: 'mini network (batch 2, 33×41)', graph: () => miniNetwork(2, 33, 41), batch: 2 },
  { name: 'googlenet at 96 px', graph: () => buildNetwork('googlenet', { inputSize: 96 }), batch: 1 },
];

describe('round trip', () => {
  it.each(ROUND_TRIPS)("$name: an int8 session's QDQ export imported again: same params, weights, biases and requantize factors; byte-identical outputs, int8 without calibration", async ({ graph, batch }) => {
    const g = graph();
    const weights = seededWeights(g.weights);
    const [, h, w, c] = g.shape(g.inputs[0]);
    const count = batch * c * h * w;
    const cal = [1, 2, 3].map((s) => seeded(count, 40 + s));
    const session = await createSession({ graph: g, weights, threads: 1, build: 'baseline', precision: 'int8', calibration: { inputs: cal, layout: 'nchw' } });
    let bytes: Uint8Array;
    try {
      bytes = session.exportOnnx();
    } catch (e) {
      await session.dispose();
      if (/not written yet/.test((e as Error).message)) return void console.log(`skipped: ${(e as Error).message}`);
      throw e;
    }
    try {
      // The two programs side by side: the session's (same build, same calibration) and the re-import's.
      const imported = importOnnxBytes(bytes, { batch });
      const a = await compileInt8Program(g, weights, await rangesFor(g, weights, cal, 'baseline'), 'baseline');
      const b = await compileInt8Program(imported.graph, imported.weights, imported.quantization!.ranges, 'baseline', undefined, imported.quantization!.weightScales);
      const pairs = (p: typeof a) => new Set([...p.compiled.int8.values.params.values()].map((q) => `${q.scale}/${q.zeroPoint}`));
      expect([...pairs(b)].filter((x) => !pairs(a).has(x)), 'u8 params of the re-import that the original lacks').toEqual([]);
      const aLayers = new Map(a.compiled.int8.layers.map((l) => [l.name, l]));
      let factors = 0;
      for (const lb of b.compiled.int8.layers) {
        const la = aLayers.get(lb.name)!;
        expect(la, `layer '${lb.name}' exists in the original`).toBeDefined();
        expect([lb.input, lb.output8], `params of '${lb.name}'`).toEqual([la.input, la.output8]);
        const unpack = (p: typeof a, l: typeof la) => unpackI8Panels(p.arena.u8(l.panels, packedI8GemmBytes(l.outChannels, l.depth)), l.outChannels, l.depth, 1, 1);
        const [ua, ub] = [unpack(a, la), unpack(b, lb)];
        expect(Array.from(ub.weights), `int8 weights of '${lb.name}'`).toEqual(Array.from(ua.weights));
        expect(Array.from(ub.bias), `int32 bias of '${lb.name}'`).toEqual(Array.from(ua.bias));
        factors += ua.scales.filter((x, i) => x !== ub.scales[i]).length;
      }
      // The file's weight scales are used as they are (pack-int8.ts), so every factor is the same f32.
      expect(factors, 'requantize factors that differ').toBe(0);
      await checkInspect(bytes);
      const again = await createSession({ onnx: bytes, threads: 1, batch, build: 'baseline' });
      try {
        expect(again.info.precision).toBe('int8');
        for (const seed of [50, 51]) {
          const x = seeded(count, seed);
          const ours = (await session.run(x, { layout: 'nchw' })).logits;
          const back = (await again.run(x, { layout: 'nchw' })).logits;
          expect(bitIdentical(back, ours), `seed ${seed}: re-imported outputs equal the original int8 session's byte for byte`).toBe(true);
        }
      } finally {
        await again.dispose();
      }
    } finally {
      await session.dispose();
    }
  });
});
