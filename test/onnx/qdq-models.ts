/**
 * Quantized ONNX test models, built here with the repo's encoder and quantized by this file's
 * own MinMax quantizer (what onnxruntime's `quantize_static` does with MinMax calibration:
 * asymmetric per-tensor activations, symmetric per-channel int8 weights with max |q| = 127 and
 * zero point 0, int32 biases at x_scale·w_scale), calibrated by running the float model in
 * onnxruntime with every intermediate tensor as an output. Nothing here reads the importer.
 *
 * The network (NCHW, input [2, 3, 12, 12]):
 *   conv1 3→8 3×3 pad 1 + Relu → MaxPool 2×2/2 → ┬ conv2a 8→6 1×1 + Relu ─────────────────┐
 *                                                └ conv2b 8→5 1×1 + Relu → conv2c 5→6 3×3 pad 1 + Relu ┴ Concat → GlobalAveragePool → Flatten → fc 12→10
 * and a second one (`poolQdqModel`) for a pool whose output the file quantizes at params of its
 * own: conv1 + Relu → AveragePool or MaxPool 3×3/1 pad 1 → 1×1 conv + Relu.
 */
import { DataType, type OnnxTensor } from '../../src/onnx/onnx-proto.js';
import { OnnxModelBuilder, runOrt, seeded } from './helpers.js';

export const INPUT_SHAPE = [2, 3, 12, 12];

interface Layer {
  name: string;
  dims: number[];
  w: Float32Array;
  b: Float32Array;
}

const layer = (name: string, dims: number[], seed: number): Layer => {
  const fanIn = dims.slice(1).reduce((a, b) => a * b, 1);
  return { name, dims, w: seeded(dims.reduce((a, b) => a * b, 1), seed, 1.7 / Math.sqrt(fanIn)), b: seeded(dims[0], seed + 100, 0.2) };
};

export const LAYERS = {
  conv1: layer('conv1', [8, 3, 3, 3], 1),
  conv2a: layer('conv2a', [6, 8, 1, 1], 2),
  conv2b: layer('conv2b', [5, 8, 1, 1], 3),
  conv2c: layer('conv2c', [6, 5, 3, 3], 4),
  fc: layer('fc', [10, 12], 5),
};

/** A tensor's quantisation in the file's type: real = scale·(q − zero). */
export interface QP {
  scale: number;
  zero: number;
  signed: boolean;
}

/** MinMax asymmetric quantisation of [min, max] (widened to hold 0), as quantize_static computes it. */
export function minMaxParams(min: number, max: number, signed: boolean): QP {
  const lo = Math.min(0, min);
  const hi = Math.max(0, max);
  const scale = hi > lo ? Math.fround((hi - lo) / 255) : 1;
  const zero = Math.min(255, Math.max(0, Math.round(-lo / scale)));
  return { scale, zero: signed ? zero - 128 : zero, signed };
}

/** Symmetric per-output-channel int8 weights: s[o] = max|w[o]|/127, q = round(w/s) (so max |q| = 127). */
export function quantizeWeights(w: Float32Array, out: number): { q: Int8Array; s: Float32Array } {
  const per = w.length / out;
  const q = new Int8Array(w.length);
  const s = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let most = 0;
    for (let i = o * per; i < (o + 1) * per; i++) most = Math.max(most, Math.abs(w[i]));
    s[o] = most / 127;
    for (let i = o * per; i < (o + 1) * per; i++) q[i] = Math.round(w[i] / s[o]);
  }
  return { q, s };
}

/** w = q·s per output channel, rounded to float32 once. */
export function dequantizeWeights(q: Int8Array, s: Float32Array): Float32Array {
  const per = q.length / s.length;
  return Float32Array.from(q, (v, i) => Math.fround(v * s[Math.floor(i / per)]));
}

export function intTensor(name: string, dims: number[], type: 'int8' | 'uint8' | 'int32', values: ArrayLike<number>): OnnxTensor {
  const typed = type === 'int8' ? Int8Array.from(values) : type === 'uint8' ? Uint8Array.from(values) : Int32Array.from(values);
  return {
    name, dims, dataType: type === 'int8' ? DataType.INT8 : type === 'uint8' ? DataType.UINT8 : DataType.INT32,
    rawData: new Uint8Array(typed.buffer), int32Data: [], int64Data: [], doubleData: [], dataLocation: 0, externalData: [],
  };
}

/** Scale and zero-point initializers of `p`, named after `base`. */
export function qpInits(b: OnnxModelBuilder, base: string, p: QP): [string, string] {
  b.weight(`${base}_scale`, [], Float32Array.of(p.scale));
  b.initializers.push(intTensor(`${base}_zero_point`, [], p.signed ? 'int8' : 'uint8', [p.zero]));
  return [`${base}_scale`, `${base}_zero_point`];
}

/** QuantizeLinear → DequantizeLinear of `x` at `p`; returns the dequantized tensor's name. */
export function qdq(b: OnnxModelBuilder, x: string, p: QP): string {
  const [s, z] = qpInits(b, x, p);
  b.node('QuantizeLinear', [x, s, z], [`${x}_q`]);
  b.node('DequantizeLinear', [`${x}_q`, s, z], [`${x}_dq`]);
  return `${x}_dq`;
}

/** Per-channel int8 weight (axis 0) and int32 bias at sIn·sW, each behind a DequantizeLinear. */
function qdqWeights(b: OnnxModelBuilder, l: Layer, sIn: number): [string, string] {
  const { q, s } = quantizeWeights(l.w, l.dims[0]);
  b.initializers.push(intTensor(`${l.name}.w_q`, l.dims, 'int8', q));
  b.weight(`${l.name}.w_scale`, [l.dims[0]], s);
  b.initializers.push(intTensor(`${l.name}.w_zero_point`, [l.dims[0]], 'int8', new Int8Array(l.dims[0])));
  b.node('DequantizeLinear', [`${l.name}.w_q`, `${l.name}.w_scale`, `${l.name}.w_zero_point`], [`${l.name}.w`], { axis: 0 });
  const bs = s.map((x) => Math.fround(sIn * x));
  b.initializers.push(intTensor(`${l.name}.b_q`, [l.dims[0]], 'int32', Array.from(l.b, (v, o) => Math.round(v / bs[o]))));
  b.weight(`${l.name}.b_scale`, [l.dims[0]], bs);
  b.initializers.push(intTensor(`${l.name}.b_zero_point`, [l.dims[0]], 'int32', new Int32Array(l.dims[0])));
  b.node('DequantizeLinear', [`${l.name}.b_q`, `${l.name}.b_scale`, `${l.name}.b_zero_point`], [`${l.name}.b`], { axis: 0 });
  return [`${l.name}.w`, `${l.name}.b`];
}

const CONV_ATTRS: Record<string, { pads: number[] }> = {
  conv1: { pads: [1, 1, 1, 1] }, conv2a: { pads: [0, 0, 0, 0] }, conv2b: { pads: [0, 0, 0, 0] }, conv2c: { pads: [1, 1, 1, 1] },
};

/** The tensors whose ranges the quantized forms need, by name in the float model. */
export const CALIBRATED = ['x', 'r1', 'p', 'a', 'b1', 'b', 'g', 'fc_nobias'] as const;
export type Calibrated = (typeof CALIBRATED)[number];

/** The float model with `weights` (default: the float layers); every calibrated tensor is an output when `calibrate`. */
export function floatModel(options: { calibrate?: boolean; weights?: Partial<Record<keyof typeof LAYERS, { w: Float32Array; b: Float32Array }>> } = {}): Uint8Array {
  const b = new OnnxModelBuilder(13);
  b.input('x', INPUT_SHAPE);
  const wb = (l: Layer) => {
    const given = options.weights?.[l.name as keyof typeof LAYERS];
    return [b.weight(`${l.name}.w`, l.dims, given?.w ?? l.w), b.weight(`${l.name}.b`, [l.dims[0]], given?.b ?? l.b)];
  };
  const conv = (x: string, l: Layer, y: string) => (b.node('Conv', [x, ...wb(l)], [`${y}_conv`], CONV_ATTRS[l.name]), b.node('Relu', [`${y}_conv`], [y]));
  conv('x', LAYERS.conv1, 'r1');
  b.node('MaxPool', ['r1'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] });
  conv('p', LAYERS.conv2a, 'a');
  conv('p', LAYERS.conv2b, 'b1');
  conv('b1', LAYERS.conv2c, 'b');
  b.node('Concat', ['a', 'b'], ['cat'], { axis: 1 });
  b.node('GlobalAveragePool', ['cat'], ['g']);
  b.node('Flatten', ['g'], ['f'], { axis: 1 });
  const [fw, fb] = wb(LAYERS.fc);
  b.node('Gemm', ['f', fw, fb], ['logits'], { transB: 1 });
  b.output('logits', [2, 10]);
  if (options.calibrate) {
    b.node('Gemm', ['f', fw], ['fc_nobias'], { transB: 1 });
    for (const name of CALIBRATED) if (name !== 'x') b.outputs.push({ name, elemType: DataType.FLOAT });
  }
  return b.bytes();
}

/** MinMax ranges of the calibrated tensors over `inputs`, from onnxruntime on the float model. */
export async function calibrate(inputs: Float32Array[]): Promise<Record<Calibrated, [number, number]>> {
  const bytes = floatModel({ calibrate: true });
  const ranges = Object.fromEntries(CALIBRATED.map((n) => [n, [Infinity, -Infinity]])) as Record<Calibrated, [number, number]>;
  for (const x of inputs) {
    const out = await runOrt(bytes, 'x', x, INPUT_SHAPE);
    for (const name of CALIBRATED) {
      const data = name === 'x' ? x : out.get(name)!;
      for (const v of data) (ranges[name][0] = Math.min(ranges[name][0], v)), (ranges[name][1] = Math.max(ranges[name][1], v));
    }
  }
  return ranges;
}

/**
 * The quantisation of each quantized tensor: a MaxPool shares its input's, a concat its inputs'
 * (their union). The GlobalAveragePool's output shares its input's too (as onnxruntime's
 * quantizer treats AveragePool), or, with `poolOwnParams`, gets its own (finer) calibrated range.
 */
export function paramsFrom(r: Record<Calibrated, [number, number]>, signed: boolean, poolOwnParams = false): Record<'x' | 'r1' | 'b1' | 'cat' | 'g' | 'y', QP> {
  const p = (lo: number, hi: number) => minMaxParams(lo, hi, signed);
  const cat = p(Math.min(r.a[0], r.b[0]), Math.max(r.a[1], r.b[1]));
  return {
    x: p(...r.x), r1: p(Math.min(r.r1[0], r.p[0]), Math.max(r.r1[1], r.p[1])), b1: p(...r.b1),
    cat, g: poolOwnParams ? p(...r.g) : cat, y: p(...r.fc_nobias),
  };
}

/**
 * The QDQ form quantize_static writes: Q/DQ on the input and after every Relu, MaxPool, Concat
 * and GlobalAveragePool; weights and biases DequantizeLinear'd initializers; a float Gemm at the
 * end. `dropRelu`: conv2a's Relu left out, its QuantizeLinear at zero point 0 doing the clamp (as
 * quantizers drop a Relu before a Q). `output`: 'logits' (float), or 'features' (the dequantized
 * pooled features, a quantized output).
 */
export function qdqModel(p: ReturnType<typeof paramsFrom>, options: { output: 'logits' | 'features'; dropRelu?: boolean }): Uint8Array {
  const b = new OnnxModelBuilder(13);
  b.input('x', INPUT_SHAPE);
  const conv = (x: string, sIn: number, l: Layer, y: string, relu = true) => {
    b.node('Conv', [x, ...qdqWeights(b, l, sIn)], [relu ? `${y}_conv` : y], CONV_ATTRS[l.name]);
    if (relu) b.node('Relu', [`${y}_conv`], [y]);
  };
  const x = qdq(b, 'x', p.x);
  conv(x, p.x.scale, LAYERS.conv1, 'r1');
  b.node('MaxPool', [qdq(b, 'r1', p.r1)], ['p'], { kernel_shape: [2, 2], strides: [2, 2] });
  const pd = qdq(b, 'p', p.r1);
  conv(pd, p.r1.scale, LAYERS.conv2a, 'a', !options.dropRelu);
  conv(pd, p.r1.scale, LAYERS.conv2b, 'b1');
  conv(qdq(b, 'b1', p.b1), p.b1.scale, LAYERS.conv2c, 'b');
  b.node('Concat', [qdq(b, 'a', p.cat), qdq(b, 'b', p.cat)], ['cat'], { axis: 1 });
  b.node('GlobalAveragePool', [qdq(b, 'cat', p.cat)], ['g']);
  const gd = qdq(b, 'g', p.g);
  if (options.output === 'features') {
    b.output(gd, [2, 12, 1, 1]);
    return b.bytes();
  }
  b.node('Flatten', [gd], ['f'], { axis: 1 });
  b.node('Gemm', ['f', ...qdqWeights(b, LAYERS.fc, p.g.scale)], ['logits'], { transB: 1 });
  b.output('logits', [2, 10]);
  return b.bytes();
}

/**
 * The QOperator form: QuantizeLinear on the input, QLinearConv (Relu folded into a zero point 0
 * output), MaxPool and Concat on uint8, DequantizeLinear → GlobalAveragePool → QuantizeLinear,
 * Flatten on uint8, QLinearMatMul (per-column int8 weights, no bias) and a DequantizeLinear output
 * `y` (or, for 'features', the dequantized pooled features). conv2c reads conv2b's uint8 output
 * directly.
 */
export function qoperatorModel(p: ReturnType<typeof paramsFrom>, output: 'y' | 'features'): Uint8Array {
  const b = new OnnxModelBuilder(13);
  b.input('x', INPUT_SHAPE);
  const [xs, xz] = qpInits(b, 'x', p.x);
  b.node('QuantizeLinear', ['x', xs, xz], ['x_q']);
  const qconv = (x: string, inP: [string, string], sIn: number, l: Layer, out: QP, y: string) => {
    const { q, s } = quantizeWeights(l.w, l.dims[0]);
    b.initializers.push(intTensor(`${l.name}.w_q`, l.dims, 'int8', q));
    b.weight(`${l.name}.w_scale`, [l.dims[0]], s);
    b.initializers.push(intTensor(`${l.name}.w_zero_point`, [l.dims[0]], 'int8', new Int8Array(l.dims[0])));
    b.initializers.push(intTensor(`${l.name}.b_q`, [l.dims[0]], 'int32', Array.from(l.b, (v, o) => Math.round(v / Math.fround(sIn * s[o])))));
    b.node('QLinearConv', [x, ...inP, `${l.name}.w_q`, `${l.name}.w_scale`, `${l.name}.w_zero_point`, ...qpInits(b, y, out), `${l.name}.b_q`], [y], CONV_ATTRS[l.name]);
  };
  // Relu outputs have min 0: their zero point is 0, and the QLinearConv's saturation is the Relu.
  qconv('x_q', [xs, xz], p.x.scale, LAYERS.conv1, p.r1, 'r1');
  b.node('MaxPool', ['r1'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] });
  const r1 = ['r1_scale', 'r1_zero_point'] as [string, string];
  qconv('p', r1, p.r1.scale, LAYERS.conv2a, p.cat, 'a');
  qconv('p', r1, p.r1.scale, LAYERS.conv2b, p.b1, 'b1');
  qconv('b1', ['b1_scale', 'b1_zero_point'], p.b1.scale, LAYERS.conv2c, p.cat, 'b');
  b.node('Concat', ['a', 'b'], ['cat'], { axis: 1 });
  b.node('DequantizeLinear', ['cat', 'a_scale', 'a_zero_point'], ['cat_dq']);
  b.node('GlobalAveragePool', ['cat_dq'], ['g']);
  const [gs, gz] = qpInits(b, 'g', p.g);
  b.node('QuantizeLinear', ['g', gs, gz], ['g_q']);
  if (output === 'features') {
    b.node('DequantizeLinear', ['g_q', gs, gz], ['g_dq']);
    b.output('g_dq', [2, 12, 1, 1]);
    return b.bytes();
  }
  b.node('Flatten', ['g_q'], ['f'], { axis: 1 });
  const { q, s } = quantizeWeights(LAYERS.fc.w, 10);
  const qt = new Int8Array(120);
  for (let o = 0; o < 10; o++) for (let i = 0; i < 12; i++) qt[i * 10 + o] = q[o * 12 + i];
  b.initializers.push(intTensor('fc.w_q', [12, 10], 'int8', qt));
  b.weight('fc.w_scale', [10], s);
  b.initializers.push(intTensor('fc.w_zero_point', [10], 'int8', new Int8Array(10)));
  const [ys, yz] = qpInits(b, 'y', p.y);
  b.node('QLinearMatMul', ['f', gs, gz, 'fc.w_q', 'fc.w_scale', 'fc.w_zero_point', ys, yz], ['y_q']);
  b.node('DequantizeLinear', ['y_q', ys, yz], ['y']);
  b.output('y', [2, 10]);
  return b.bytes();
}

// ---- a pool whose output the file quantizes at params of its own --------------------------

/**
 * A second network (NCHW, input [2, 3, 12, 12]), for a pool between two quantized convs:
 *   conv1 3→8 3×3 pad 1 + Relu → pool 3×3/1 pad 1 → head 8→6 1×1 + Relu
 * The pool is an AveragePool with count_include_pad 1 (Inception-v3's pool branch, as this
 * engine's builder writes it) or a MaxPool.
 */
export const POOL_HEAD = layer('head', [6, 8, 1, 1], 6);

export type PoolKind = 'avg' | 'max';

const POOL_ATTRS = { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] };

function addPool(b: OnnxModelBuilder, kind: PoolKind, x: string, y: string): void {
  if (kind === 'avg') b.node('AveragePool', [x], [y], { ...POOL_ATTRS, count_include_pad: 1 });
  else b.node('MaxPool', [x], [y], POOL_ATTRS);
}

/** The tensors of the pool network the quantized form needs ranges of. */
export const POOL_CALIBRATED = ['x', 'r1', 'pooled', 'y'] as const;
export type PoolCalibrated = (typeof POOL_CALIBRATED)[number];

/** The float pool network; every calibrated tensor is an output when `calibrate`. */
export function poolFloatModel(kind: PoolKind, calibrate = false): Uint8Array {
  const b = new OnnxModelBuilder(13);
  b.input('x', INPUT_SHAPE);
  const conv = (x: string, l: Layer, pads: number[], y: string) => {
    b.node('Conv', [x, b.weight(`${l.name}.w`, l.dims, l.w), b.weight(`${l.name}.b`, [l.dims[0]], l.b)], [`${y}_conv`], { pads });
    b.node('Relu', [`${y}_conv`], [y]);
  };
  conv('x', LAYERS.conv1, [1, 1, 1, 1], 'r1');
  addPool(b, kind, 'r1', 'pooled');
  conv('pooled', POOL_HEAD, [0, 0, 0, 0], 'y');
  b.output('y', [2, 6, 12, 12]);
  if (calibrate) for (const name of POOL_CALIBRATED) if (name !== 'x' && name !== 'y') b.outputs.push({ name, elemType: DataType.FLOAT });
  return b.bytes();
}

/** MinMax ranges of the pool network's calibrated tensors over `inputs`, from onnxruntime on the float model. */
export async function calibratePool(kind: PoolKind, inputs: Float32Array[]): Promise<Record<PoolCalibrated, [number, number]>> {
  const bytes = poolFloatModel(kind, true);
  const ranges = Object.fromEntries(POOL_CALIBRATED.map((n) => [n, [Infinity, -Infinity]])) as Record<PoolCalibrated, [number, number]>;
  for (const x of inputs) {
    const out = await runOrt(bytes, 'x', x, INPUT_SHAPE);
    for (const name of POOL_CALIBRATED) {
      const data = name === 'x' ? x : out.get(name)!;
      for (const v of data) (ranges[name][0] = Math.min(ranges[name][0], v)), (ranges[name][1] = Math.max(ranges[name][1], v));
    }
  }
  return ranges;
}

/**
 * The pool network's quantisation: x, r1 and y from their ranges; the pool output `pooled` from
 * its own calibrated range for an AveragePool (finer than r1's: the mean narrows it). A MaxPool's
 * calibrated range is its input's (the largest element is in some window), so its own params are
 * chosen here: [−0.05·max, 0.8·max] of r1 — another scale and zero point, saturating at the top.
 */
export function poolParamsFrom(r: Record<PoolCalibrated, [number, number]>, kind: PoolKind, signed: boolean): Record<'x' | 'r1' | 'pooled' | 'y', QP> {
  const p = (lo: number, hi: number) => minMaxParams(lo, hi, signed);
  const pooled = kind === 'avg' ? p(...r.pooled) : p(-0.05 * r.r1[1], 0.8 * r.r1[1]);
  return { x: p(...r.x), r1: p(...r.r1), pooled, y: p(...r.y) };
}

/**
 * The pool network in QDQ form: Q/DQ on x, r1, the pool's output (at `p.pooled`) and the head's
 * output; output 'pooled' (the file cut after the pool's Q/DQ) or 'head' (after the head's).
 */
export function poolQdqModel(kind: PoolKind, p: ReturnType<typeof poolParamsFrom>, output: 'pooled' | 'head'): Uint8Array {
  const b = new OnnxModelBuilder(13);
  b.input('x', INPUT_SHAPE);
  b.node('Conv', [qdq(b, 'x', p.x), ...qdqWeights(b, LAYERS.conv1, p.x.scale)], ['r1_conv'], { pads: [1, 1, 1, 1] });
  b.node('Relu', ['r1_conv'], ['r1']);
  addPool(b, kind, qdq(b, 'r1', p.r1), 'pooled');
  const pooled = qdq(b, 'pooled', p.pooled);
  if (output === 'pooled') {
    b.output(pooled, [2, 8, 12, 12]);
    return b.bytes();
  }
  b.node('Conv', [pooled, ...qdqWeights(b, POOL_HEAD, p.pooled.scale)], ['y_conv']);
  b.node('Relu', ['y_conv'], ['y']);
  b.output(qdq(b, 'y', p.y), [2, 6, 12, 12]);
  return b.bytes();
}
