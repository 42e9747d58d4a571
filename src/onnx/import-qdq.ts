/**
 * Quantized ONNX models (semantics: https://onnx.ai/onnx/operators/ QuantizeLinear,
 * DequantizeLinear, QLinearConv, QLinearMatMul) → the float Graph they quantize, weights
 * dequantized to float, and the float range of every quantized activation, from which the
 * session compiles the int8 program without calibration (`ImportedOnnx.quantization`).
 *
 * Two forms are read, as onnxruntime's `quantize_static` writes them, and any mix of them:
 *  - QDQ: DequantizeLinear(int8/uint8/int32 initializer, scale, zero point, axis) feeding
 *    Conv/Gemm/MatMul/Add folds to a float constant at load, (q − z)·s rounded to float32 per
 *    element as onnxruntime computes it; an activation's QuantizeLinear → DequantizeLinear pair is
 *    the identity on the float graph and records the range its (scale, zero point) covers on the
 *    value entering the QuantizeLinear;
 *  - QOperator: QLinearConv (bias int32 at x_scale·w_scale) and QLinearMatMul become a conv / fc
 *    on dequantized weights, with the ranges of their input and output. Their uint8 inputs and
 *    outputs are the `quantized` values of import-context.ts: a QLinear op reading another's
 *    output reads the float value between them, whose range comes from the producer's y_scale /
 *    y_zero_point.
 * MaxPool, Concat, Flatten, Reshape, Squeeze, Transpose, Identity and Dropout on a quantized tensor
 * move codes unchanged (a max of codes is the code of the max; Concat needs one quantisation on
 * every input), so they run on the float value and their output keeps the quantisation. Integer
 * arithmetic on codes Cast to float (the engine's own export of a u8 average pool) is read by
 * import-codes.ts.
 *
 * Ranges. A tensor at (scale s, zero point z) records {min: −s·z₈, max: s·(255 − z₈)}, z₈ = z for
 * uint8 and z + 128 for int8 (the same real range), from which the int8 compiler's
 * `paramsForRange` gives back exactly s and z₈. A zero point at the bottom of the range (z₈ = 0)
 * also clamps at 0: the value quantized becomes relu(x) when x comes from a conv, fc, BatchNorm or
 * add (quantizers drop a Relu before such a QuantizeLinear), so the float graph keeps the clamp
 * and the relu fuses into the producer. A graph output read through DequantizeLinear is clamped
 * to its range (`saturatedOutput`). Other saturation is not modelled in f32; the int8 program
 * saturates wherever it keeps a value in u8, but not in a conv output it writes as f32 for f32
 * readers. The recorded ranges are marked `fixed` (the file's params, not measurements): where a
 * file quantizes a pool's output (AveragePool, GlobalAveragePool, MaxPool) at other params than
 * its input, the int8 compiler runs that pool in f32 on the dequantized input and quantizes its
 * output at the file's output params, as onnxruntime does (src/graph/int8/quant-params.ts
 * `poolsRequantizedByFile`); at equal params the pool runs on u8 codes at them.
 *
 * Weights are dequantized, and the int8 packer (src/graph/int8/pack-int8.ts) quantizes them again,
 * symmetric per output channel with sW = max|w|/127. That gives back the file's int8 weights
 * exactly when each channel's max |q| is 127 with zero point 0 (quantize_static's symmetric
 * per-channel weights, and this engine's own QDQ export); otherwise the weights are re-quantized
 * to the nearest levels of the new scale, close to but not the file's integers. sW itself is
 * recomputed from the float32 max: about 1 channel in 130 lands an ulp off the file's scale (more
 * for this engine's export, which moves sW a few ulps so onnxruntime's float32 requantize factor
 * is the packed one), and then the requantize factor may differ in its last bit from the one the
 * file implies. `FileQuantization.weightScales` carries the file's scales for a packer that
 * takes them. An int32 bias beyond ±2^24 does not survive float32 exactly.
 *
 * What a file must quantize: every input and output of a conv/fc the engine runs on u8 (dense
 * convs and fc layers), and every pool, concat or flatten between them. A value the int8 program
 * keeps in u8 without a range in the file fails the session with "no range reaches
 * '<value>'" (src/graph/int8/quant-params.ts); pass `precision: 'f32'` to run such a file's
 * dequantized weights in float. Ranges of values the passes fuse away (a conv output before its
 * Relu) are harmless and unused. A file with only weights quantized records no ranges and imports
 * as a float model.
 *
 * Refused, naming the node: a DequantizeLinear whose (scale, zero point) differ from those of the
 * QuantizeLinear that made its input (a requantisation: the pair must agree; the Q's are not
 * silently used), a value quantized twice at different parameters, per-axis quantisation of an
 * activation, block quantisation (opset 21 `block_size`), scales that are not positive finite
 * numbers, zero points outside their type or of another type than the tensor, a scale whose
 * length is not the size of its axis, an axis out of range, and a uint8/int8 graph input.
 */

import type { ValueRange } from '../graph/int8/quant-params.js';
import type { ValueId } from '../graph/nodes.js';
import { addConv, transpose } from './import-conv.js';
import { OnnxImportError, type NodeCtx, type TensorQuant, type Val } from './import-context.js';
import { DataType, type OnnxTensor } from './onnx-proto.js';
import { dataTypeName, elementCount, float32Tensor, quantizedInts, tensorToFloat32 } from './tensor.js';

type Handler = (c: NodeCtx) => void;

const ZERO_PADS = { top: 0, left: 0, bottom: 0, right: 0 };

/** The engine's u8 zero point for the same real values. */
const u8Zero = (q: TensorQuant) => (q.signed ? q.zeroPoint + 128 : q.zeroPoint);

const sameQuant = (a: TensorQuant, b: TensorQuant) => a.scale === b.scale && a.zeroPoint === b.zeroPoint && a.signed === b.signed;

const quantText = (q: TensorQuant) => `scale ${q.scale}, zero point ${q.zeroPoint} (${q.signed ? 'int8' : 'uint8'})`;

/** The real range (scale, zero point) covers; `paramsForRange` maps it back to exactly (scale, u8 zero point). */
export function rangeOfQuant(q: TensorQuant): ValueRange {
  const z = u8Zero(q);
  return { min: -q.scale * z, max: q.scale * (255 - z) };
}

/** What a quantized model's file says beyond its float graph (see `ImportedOnnx.quantization`). */
export interface FileQuantization {
  /** Each quantized activation's range, `fixed`: `paramsForRange` gives back the file's (scale, zero point). */
  ranges: Map<ValueId, ValueRange>;
  weightScales: Map<string, Float32Array>;
}

/** The ranges of a quantized model's activations and its int8 weights' scales, or undefined for a float (or weight-only quantized) one. */
export function quantizationOf(imp: NodeCtx['imp']): FileQuantization | undefined {
  if (imp.activationQuant.size === 0) return undefined;
  const weightScales = new Map<string, Float32Array>();
  for (const [name, data] of imp.weights) {
    const s = imp.int8WeightScales.get(data);
    if (s === undefined) continue;
    const out = imp.g.weight(name).shape[0];
    weightScales.set(name, s.perTensor ? new Float32Array(out).fill(s.scales[0]) : s.scales);
  }
  const ranges = new Map([...imp.activationQuant].map(([v, { quant }]) => [v, { ...rangeOfQuant(quant), fixed: true }]));
  return { ranges, weightScales };
}

/** Runs `f`, turning a tensor decoding error into one naming this node. */
function decoding<T>(c: NodeCtx, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof Error && !(e instanceof OnnxImportError) ? c.fail(e.message) : e;
  }
}

// ---- scales and zero points --------------------------------------------------------------

/** Constant input `i` as positive finite float32 scales. */
function scalesIn(c: NodeCtx, i: number, what: string): { t: OnnxTensor; data: Float32Array } {
  const t = c.constant(i);
  if (t.dataType !== DataType.FLOAT && t.dataType !== DataType.FLOAT16) {
    throw c.fail(`${what} '${c.inputName(i)}' is ${dataTypeName(t.dataType)}; supported: FLOAT (FLOAT16)`);
  }
  const data = decoding(c, () => tensorToFloat32(t, `${what} '${c.inputName(i)}'`, c.imp.readExternal));
  for (const s of data) {
    if (!(s > 0) || !Number.isFinite(s)) throw c.fail(`${what} '${c.inputName(i)}' holds ${s}; a scale must be a positive finite number`);
  }
  return { t, data };
}

interface ZeroPoints {
  t?: OnnxTensor;
  /** The element type: INT8, UINT8 or INT32. */
  type: number;
  data: Int32Array;
}

/** Constant input `i` as zero points (absent: `count` zeros of `defaultType`, one per scale). */
function zeroPointsIn(c: NodeCtx, i: number, what: string, defaultType: number, count = 1): ZeroPoints {
  if (c.inputName(i) === '') return { type: defaultType, data: new Int32Array(count) };
  const t = c.constant(i);
  if (t.dataType !== DataType.INT8 && t.dataType !== DataType.UINT8 && t.dataType !== DataType.INT32) {
    throw c.fail(`${what} '${c.inputName(i)}' is ${dataTypeName(t.dataType)}; supported: UINT8, INT8 (INT32 for an int32 bias)`);
  }
  return { t, type: t.dataType, data: decoding(c, () => quantizedInts(t, `${what} '${c.inputName(i)}'`, c.imp.readExternal)) };
}

function noBlocks(c: NodeCtx): void {
  const b = c.int('block_size', 0, { min: 0, max: Number.MAX_SAFE_INTEGER });
  if (b !== 0) throw c.fail(`attribute 'block_size' = ${b} (blocked quantisation) is not supported; supported: 0 (per tensor or per axis)`);
}

/** The output type of QuantizeLinear-21's `output_dtype` (0: from the zero point, else uint8). */
function outputType(c: NodeCtx): number | undefined {
  const t = c.int('output_dtype', 0, { min: 0, max: 64 });
  if (t === 0) return undefined;
  if (t !== DataType.UINT8 && t !== DataType.INT8) throw c.fail(`attribute 'output_dtype' = ${dataTypeName(t)} is not supported; supported: UINT8, INT8`);
  return t;
}

/**
 * The per-tensor quantisation of an activation from scale input `si` and zero point input `zi`
 * (absent: 0 of `defaultType`). Per-axis parameters on an activation are refused.
 */
function activationQuant(c: NodeCtx, si: number, zi: number, what: string, defaultType: number): TensorQuant {
  const scale = scalesIn(c, si, `${what} scale`);
  const zero = zeroPointsIn(c, zi, `${what} zero point`, defaultType);
  if (scale.data.length !== 1 || zero.data.length !== 1) {
    throw c.fail(
      `${what}: per-axis quantisation of an activation (scale dims [${scale.t.dims.join(', ')}]) is not supported; ` +
        'supported: one scale and zero point per tensor',
    );
  }
  if (zero.type === DataType.INT32) throw c.fail(`${what} zero point '${c.inputName(zi)}' is INT32; an activation is UINT8 or INT8`);
  return { scale: scale.data[0], zeroPoint: zero.data[0], signed: zero.type === DataType.INT8 };
}

// ---- constants ---------------------------------------------------------------------------

/** How each element of a tensor of `dims` finds its scale: one for all, or by its index on `axis`. */
function channelOf(c: NodeCtx, dims: readonly number[], scales: number, zeros: number, axisAttr: number, what: string): { axis?: number; at: (i: number) => number } {
  if (scales === 1 && zeros === 1) return { at: () => 0 };
  const rank = dims.length;
  if (!Number.isSafeInteger(axisAttr) || axisAttr < -rank || axisAttr >= rank) {
    throw c.fail(`attribute 'axis' = ${axisAttr} is out of range for the rank-${rank} ${what} [${dims.join(', ')}]; allowed: ${-rank}..${rank - 1}`);
  }
  const axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
  const size = dims[axis];
  if (scales !== size || zeros !== size) {
    throw c.fail(
      `per-axis quantisation on axis ${axis} of ${what} [${dims.join(', ')}] needs ${size} scales and zero points; ` +
        `got ${scales} scale(s) and ${zeros} zero point(s)`,
    );
  }
  let inner = 1;
  for (let k = axis + 1; k < rank; k++) inner *= dims[k];
  return { axis, at: (i) => Math.floor(i / inner) % size };
}

/**
 * The float values of a constant quantized tensor: y = (q − z)·s per element, rounded to float32
 * as onnxruntime computes it (the integer difference converted to float32, then one product).
 * Scale input `si`, zero point input `zi` (absent: 0 of the tensor's type), per axis `axis`.
 */
function dequantized(
  c: NodeCtx, t: OnnxTensor, ti: number, si: number, zi: number, axis: number, what: string, biasScale?: number, outputAxis = 0,
): Float32Array {
  if (t.dataType !== DataType.INT8 && t.dataType !== DataType.UINT8 && t.dataType !== DataType.INT32) {
    throw c.fail(`${what} '${c.inputName(ti)}' is ${dataTypeName(t.dataType)}; supported: INT8, UINT8, INT32`);
  }
  const count = decoding(c, () => elementCount(t, `${what} '${c.inputName(ti)}'`));
  // The float copy is checked before it is allocated; its uses count against the budget as weights.
  if (4 * count > c.imp.maxWeightBytes) throw c.fail(`${what} '${c.inputName(ti)}' has ${count} elements, more than maxWeightBytes = ${c.imp.maxWeightBytes} bytes of float32 hold`);
  const scale = scalesIn(c, si, `${what} scale`);
  const zero = zeroPointsIn(c, zi, `${what} zero point`, t.dataType, scale.data.length);
  if (zero.type !== t.dataType) {
    throw c.fail(`${what} zero point '${c.inputName(zi)}' is ${dataTypeName(zero.type)} but ${what} '${c.inputName(ti)}' is ${dataTypeName(t.dataType)}; they must have one type`);
  }
  if (t.dataType === DataType.INT32 && zero.data.some((z) => z !== 0)) throw c.fail(`${what} zero point '${c.inputName(zi)}' must be 0 for an INT32 tensor`);
  const channel = channelOf(c, t.dims, scale.data.length, zero.data.length, axis, `${what} '${c.inputName(ti)}'`);
  const q = decoding(c, () => quantizedInts(t, `${what} '${c.inputName(ti)}'`, c.imp.readExternal));
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const k = channel.at(i);
    const s = biasScale === undefined ? scale.data[k] : Math.fround(biasScale * scale.data[k]);
    out[i] = Math.fround(Math.fround(q[i] - zero.data[k]) * s);
  }
  if (t.dataType === DataType.INT8 && zero.data.every((z) => z === 0) && (channel.axis === undefined || channel.axis === outputAxis)) {
    c.imp.int8WeightScales.set(out, { perTensor: channel.axis === undefined, scales: scale.data });
  }
  return out;
}

/** Round half to even, as QuantizeLinear rounds. */
function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** QuantizeLinear of a constant: q = saturate(round(x / s) + z), an integer constant. */
function quantizeConstant(c: NodeCtx, t: OnnxTensor, type: number | undefined): OnnxTensor {
  const x = c.floats(t, 'x');
  const scale = scalesIn(c, 1, 'y scale');
  const zero = zeroPointsIn(c, 2, 'y zero point', type ?? DataType.UINT8, scale.data.length);
  if (zero.type === DataType.INT32) throw c.fail(`y zero point '${c.inputName(2)}' is INT32; supported: UINT8, INT8`);
  if (type !== undefined && zero.t !== undefined && type !== zero.type) throw c.fail(`'output_dtype' ${dataTypeName(type)} disagrees with the zero point's ${dataTypeName(zero.type)}`);
  const channel = channelOf(c, t.dims, scale.data.length, zero.data.length, c.int('axis', 1, { min: -64, max: 64 }), `x '${c.inputName(0)}'`);
  const [lo, hi] = zero.type === DataType.INT8 ? [-128, 127] : [0, 255];
  const q = new Array<number>(x.length);
  for (let i = 0; i < x.length; i++) {
    const k = channel.at(i);
    q[i] = Math.min(hi, Math.max(lo, roundEven(Math.fround(x[i] / scale.data[k])) + zero.data[k]));
  }
  return { name: c.node.output[0] ?? '', dims: [...t.dims], dataType: zero.type, int32Data: q, int64Data: [], doubleData: [], dataLocation: 0, externalData: [] };
}

// ---- activations -------------------------------------------------------------------------

/** Kinds whose epilogue takes a relu, so a relu after them costs nothing. */
const FUSES_RELU = new Set(['conv', 'fc', 'batchNorm', 'add']);

/**
 * The Graph value a tensor at `q` stands for when it quantizes `x`: relu(x) when the zero point
 * is the bottom of the range and x comes from an op whose epilogue takes the relu (see the
 * module comment), else x.
 */
function quantizedSource(c: NodeCtx, x: ValueId, q: TensorQuant): ValueId {
  if (u8Zero(q) !== 0 || !FUSES_RELU.has(c.g.node(x).kind)) return x;
  let r = c.imp.quantRelu.get(x);
  if (r === undefined) {
    r = c.g.relu(c.imp.uniqueNodeName(`${c.g.node(x).name}.relu`), x);
    c.imp.quantRelu.set(x, r);
  }
  return r;
}

/** Records `q` as the quantisation of `v`; one value carries one quantisation. */
export function markQuant(c: NodeCtx, v: ValueId, q: TensorQuant): void {
  const have = c.imp.activationQuant.get(v);
  if (have !== undefined && !sameQuant(have.quant, q)) {
    throw c.fail(
      `the value '${c.g.node(v).name}' is quantized at ${quantText(have.quant)} by '${have.node}' and at ${quantText(q)} here; ` +
        'a value may carry one quantisation (quantize it once and dequantize that tensor for every reader)',
    );
  }
  if (have === undefined) c.imp.activationQuant.set(v, { quant: q, node: c.name });
}

/** Binds output 0 to the quantized form of Graph value `id` (its weights checked first). */
function quantizedResult(c: NodeCtx, id: ValueId, q: TensorQuant): void {
  c.result(id);
  const source = quantizedSource(c, id, q);
  markQuant(c, source, q);
  c.output(0, { kind: 'quantized', source, quant: q, node: c.name });
}

/** Input `i`, a quantized tensor, whose scale/zero point inputs `si`/`zi` must be the ones it was made at. */
function quantizedInput(c: NodeCtx, i: number, si: number, zi: number, what: string): Extract<Val, { kind: 'quantized' }> {
  const v = c.pending(i);
  if (v.kind !== 'quantized') {
    if (v.kind === 'unavailable') c.value(i);
    throw c.fail(
      `input ${what} '${c.inputName(i)}' must be a uint8/int8 tensor (made by QuantizeLinear or a QLinear op); ` +
        `it is ${v.kind === 'const' ? 'a constant' : 'a float tensor'}`,
    );
  }
  const q = activationQuant(c, si, zi, what, v.quant.signed ? DataType.INT8 : DataType.UINT8);
  if (!sameQuant(q, v.quant)) {
    throw c.fail(
      `input ${what} '${c.inputName(i)}' was quantized by '${v.node}' at ${quantText(v.quant)}, but this node reads it at ${quantText(q)}; ` +
        'reading a tensor at other parameters (a requantisation) is not supported',
    );
  }
  return v;
}

function quantizeLinear(c: NodeCtx): void {
  c.attributes(['axis', 'saturate', 'block_size', 'output_dtype']);
  noBlocks(c);
  const type = outputType(c);
  const src = c.pending(0);
  if (src.kind === 'const') {
    const t = quantizeConstant(c, src.tensor, type);
    return c.output(0, { kind: 'const', tensor: t, what: `quantized at load by QuantizeLinear '${c.name}'` });
  }
  const q = activationQuant(c, 1, 2, 'y', type ?? DataType.UINT8);
  if (type !== undefined && (type === DataType.INT8) !== q.signed) throw c.fail(`'output_dtype' ${dataTypeName(type)} disagrees with the zero point's type`);
  const x = c.value(0);
  const source = quantizedSource(c, x, q);
  markQuant(c, source, q);
  c.output(0, { kind: 'quantized', source, quant: q, node: c.name });
}

function dequantizeLinear(c: NodeCtx): void {
  c.attributes(['axis', 'block_size']);
  noBlocks(c);
  const src = c.pending(0);
  if (src.kind === 'const') {
    const data = dequantized(c, src.tensor, 0, 1, 2, c.int('axis', 1, { min: -64, max: 64 }), 'x');
    const tensor = float32Tensor(c.node.output[0] ?? '', src.tensor.dims, data);
    // Readers take the array as decoded, without a copy.
    c.imp.decodeFloats(tensor, () => data);
    return c.output(0, { kind: 'const', tensor, what: `dequantized at load by DequantizeLinear '${c.name}'` });
  }
  const v = quantizedInput(c, 0, 1, 2, 'x');
  if (c.node.output[0]) c.imp.dequantizedNames.set(c.node.output[0], v.quant);
  c.output(0, { kind: 'value', id: v.source });
}

/**
 * A graph output read through DequantizeLinear saturates at its range, as its QuantizeLinear
 * does: `id` clamped to it (a clamp at or beyond the ends of every value changes nothing).
 * Inside the graph the int8 program saturates where it keeps a value in u8.
 */
export function saturatedOutput(imp: NodeCtx['imp'], name: string, id: ValueId): ValueId {
  const q = imp.dequantizedNames.get(name);
  if (q === undefined) return id;
  const { min, max } = rangeOfQuant(q);
  return imp.g.clamp(imp.uniqueNodeName(`${name}.saturate`), id, { lo: min, hi: max });
}

function qlinearConv(c: NodeCtx): void {
  c.attributes(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const x = quantizedInput(c, 0, 1, 2, 'x');
  const w = c.constant(3);
  const y = activationQuant(c, 6, 7, 'y', DataType.UINT8);
  const b = c.inputName(8) === '' ? undefined : c.constant(8);
  const outChannels = w.dims[0];
  if (b !== undefined && (b.dataType !== DataType.INT32 || b.dims.length !== 1 || b.dims[0] !== outChannels)) {
    throw c.fail(`bias B '${c.inputName(8)}' must be INT32 of dims [${outChannels}], got ${dataTypeName(b.dataType)} [${b.dims.join(', ')}]`);
  }
  const weight = () => {
    c.reserveFloats(decoding(c, () => elementCount(w, 'w')), `the dequantized weight '${c.inputName(3)}'`);
    return dequantized(c, w, 3, 4, 5, 0, 'w');
  };
  // The bias is at x_scale·w_scale[o]: its scale input is w_scale, multiplied per element.
  const bias = b === undefined ? undefined : {
    name: c.inputName(8),
    data: () => (c.reserveFloats(outChannels, `the dequantized bias '${c.inputName(8)}'`), dequantized(c, b, 8, 4, -1, 0, 'B', x.quant.scale)),
  };
  const id = addConv(c, { id: x.source, pads: ZERO_PADS }, { dims: w.dims, weightName: c.inputName(3), weight, ...(bias ? { bias } : {}) });
  quantizedResult(c, id, y);
}

function qlinearMatMul(c: NodeCtx): void {
  c.attributes([]);
  const a = quantizedInput(c, 0, 1, 2, 'a');
  const shape = c.g.shape(a.source);
  if (shape.length !== 2) throw c.fail(`input a must be 2-D [N, features], got ${c.onnxShape(a.source)}; add a Flatten before it`);
  const b = c.constant(3);
  if (b.dims.length !== 2 || b.dims[0] !== shape[1]) {
    throw c.fail(`weight b '${c.inputName(3)}' must be 2-D [${shape[1]}, out], got dims [${b.dims.join(', ')}]`);
  }
  const y = activationQuant(c, 6, 7, 'y', DataType.UINT8);
  const [inFeatures, outFeatures] = b.dims;
  // b's columns are the outputs: a per-axis b_scale is on axis 1.
  c.reserveFloats(2 * inFeatures * outFeatures, `the dequantized, transposed weight '${c.inputName(3)}'`);
  const perColumn = dequantized(c, b, 3, 4, 5, 1, 'b', undefined, 1);
  const weight = transpose(perColumn, inFeatures, outFeatures);
  const scales = c.imp.int8WeightScales.get(perColumn);
  if (scales !== undefined) c.imp.int8WeightScales.set(weight, scales);
  const id = c.graph(() => c.g.fc(c.graphName(), a.source, { outFeatures, weight: c.imp.addWeight(c.inputName(3), weight) }));
  quantizedResult(c, id, y);
}

/**
 * `handler` for an op that moves quantized codes unchanged: on quantized inputs it runs on their
 * float values and its output keeps their quantisation (every quantized input must share one).
 */
export function onQuantized(handler: Handler): Handler {
  return (c) => {
    const inputs = c.node.input.map((name) => (name === '' ? undefined : c.imp.values.get(name)));
    const quantized = inputs.filter((v): v is Extract<Val, { kind: 'quantized' }> => v?.kind === 'quantized');
    if (quantized.length === 0) return handler(c);
    const q = quantized[0].quant;
    for (const v of quantized) {
      if (!sameQuant(v.quant, q)) {
        throw c.fail(`its uint8/int8 inputs are quantized differently ('${quantized[0].node}': ${quantText(q)}; '${v.node}': ${quantText(v.quant)}); they must share one quantisation`);
      }
    }
    if (c.node.opType === 'Concat' && quantized.length !== inputs.length) {
      throw c.fail('it concatenates quantized and float tensors; every input must be quantized at one (scale, zero point), or none');
    }
    const saved = new Map<string, Val>();
    c.node.input.forEach((name, i) => {
      const v = inputs[i];
      if (v?.kind !== 'quantized') return;
      saved.set(name, v);
      c.imp.values.set(name, { kind: 'value', id: v.source });
    });
    try {
      handler(c);
    } finally {
      for (const [name, v] of saved) c.imp.values.set(name, v);
    }
    const name = c.node.output[0] ?? '';
    const out = c.imp.values.get(name);
    if (name === '' || out?.kind !== 'value') throw c.fail('internal: a quantized op bound no value');
    markQuant(c, out.id, q);
    c.output(0, { kind: 'quantized', source: out.id, quant: q, node: c.name });
  };
}

/** Handlers of the quantisation ops (default domain). */
export const QDQ_OPS: Readonly<Record<string, Handler>> = {
  QuantizeLinear: quantizeLinear, DequantizeLinear: dequantizeLinear, QLinearConv: qlinearConv, QLinearMatMul: qlinearMatMul,
};
