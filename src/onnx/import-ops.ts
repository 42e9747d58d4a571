/**
 * ONNX ops → Graph nodes, one handler per op type (semantics: https://onnx.ai/onnx/operators/).
 * Every handler first lists the attributes it understands, so an unknown attribute fails with its
 * name and the supported set instead of being silently ignored. See import-context.ts for the
 * NCHW↔NHWC convention and the pending values (Pad, Mul, MatMul) folded into their consumers.
 */

import { formatShape } from '../graph/graph.js';
import type { Pads } from '../graph/geometry.js';
import type { ValueId } from '../graph/nodes.js';
import { addConv, isZeroPads as isZero, noDilation, transpose, windowPadding } from './import-conv.js';
import { AXIS, decimalOfFloat32, FLAG, PAD, SIZE, type NodeCtx, type Val } from './import-context.js';
import { DataType, type OnnxTensor } from './onnx-proto.js';
import { flatten, reshape, squeeze, transposeOp, unsqueeze } from './import-layout.js';
import { CODES_OPS, codesArithmetic, onCodes } from './import-codes.js';
import { onQuantized, QDQ_OPS } from './import-qdq.js';
import { float32Tensor } from './tensor.js';

type Handler = (c: NodeCtx) => void;

function flag(c: NodeCtx, name: string): boolean {
  return c.int(name, 0, FLAG) === 1;
}

function conv(c: NodeCtx): void {
  c.attributes(['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
  const x = c.paddedValue(0);
  const w = c.constant(1);
  const b = c.optionalConstant(2);
  c.result(addConv(c, x, {
    dims: w.dims, weightName: c.inputName(1), weight: () => c.floats(w, 'weight'),
    ...(b !== undefined ? { bias: { name: c.inputName(2), data: () => c.floats(b, 'bias') } } : {}),
  }));
}

function pool(kind: 'max' | 'avg'): Handler {
  return (c) => {
    c.attributes(kind === 'max'
      ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
      : ['auto_pad', 'ceil_mode', 'count_include_pad', 'kernel_shape', 'pads', 'strides']);
    const { id: x, pads: folded, padNode } = c.paddedValue(0);
    c.featureMap(x);
    const [kernelH, kernelW] = c.intList('kernel_shape', 2, SIZE);
    const [strideH, strideW] = c.intList('strides', 2, SIZE, [1, 1]);
    if (kind === 'max') {
      noDilation(c);
      c.int('storage_order', 0, FLAG); // orders only the indices output, which is not supported
    }
    const ceilMode = flag(c, 'ceil_mode');
    let countIncludePad = kind === 'avg' && flag(c, 'count_include_pad');
    if (!isZero(folded)) {
      if (kind === 'max' && !c.imp.nonNegative(x)) {
        throw c.fail(`the zero Pad '${padNode}' before it cannot become MaxPool padding (−∞) because the padded tensor can be negative`);
      }
      if (kind === 'avg') {
        const own = c.intList('pads', 4, PAD, [0, 0, 0, 0]);
        if (!countIncludePad && own.some((v) => v !== 0)) {
          throw c.fail(`the zero Pad '${padNode}' counts in the average but the pool's own pads [${own.join(', ')}] do not (count_include_pad 0); they cannot be folded into one pool`);
        }
        countIncludePad = true; // the Pad's zeros are real elements of the pooled tensor
      }
    }
    const spec = { kernelH, kernelW, strideH, strideW, padding: windowPadding(c, folded), ceilMode };
    const name = c.graphName();
    c.result(
      c.graph(() => (kind === 'max' ? c.g.maxPool(name, x, spec) : c.g.avgPool(name, x, { ...spec, countIncludePad }))),
      'MaxPool indices are not supported',
    );
  };
}

function batchNormalization(c: NodeCtx): void {
  c.attributes(['epsilon', 'momentum', 'spatial', 'training_mode', 'is_test', 'consumed_inputs']);
  if (c.int('training_mode', 0, FLAG) !== 0) throw c.fail('training_mode 1 is not supported; export the model in eval mode');
  if (c.int('spatial', 1, FLAG) !== 1) throw c.fail("attribute 'spatial' = 0 is not supported; supported: 1");
  const x = c.value(0);
  const shape = c.g.shape(x);
  const channels = shape[shape.length - 1];
  const roles = ['scale', 'B', 'mean', 'var'] as const;
  const [gamma, beta, mean, variance] = roles.map((role, k) => {
    const t = c.constant(k + 1);
    const data = c.floats(t, role);
    if (data.length !== channels) throw c.fail(`${role} '${t.name}' has ${data.length} values; the input ${c.onnxShape(x)} has ${channels} channels`);
    return c.imp.addWeight(c.inputName(k + 1), data);
  });
  c.result(
    c.graph(() => c.g.batchNorm(c.graphName(), x, { gamma, beta, mean, var: variance, eps: c.float('epsilon', 1e-5) })),
    'BatchNormalization training outputs (running mean/var) are not supported',
  );
}

function relu(c: NodeCtx): void {
  c.attributes([]);
  const x = c.value(0);
  c.result(c.g.relu(c.graphName(), x));
}

const FLT_MAX = 3.4028234663852886e38;

/**
 * Clip with constant bounds: attributes `min`/`max` before opset 11, optional scalar inputs from
 * 11. An absent bound, or ±FLT_MAX (the attributes' defaults before 11, and what exporters write
 * for "none"), bounds nothing. [0, +∞) becomes a relu node, no bounds the input itself, any other
 * interval a clamp node (ReLU6 = Clip(0, 6)); all three fuse into a producing conv the same way.
 */
function clip(c: NodeCtx): void {
  const old = c.opset < 11;
  c.attributes(old ? ['min', 'max', 'consumed_inputs'] : []);
  const bound = (attr: 'min' | 'max', input: number): number | undefined => {
    const v = old ? (c.attr(attr) === undefined ? undefined : c.float(attr, 0)) : c.inputName(input) === '' ? undefined : c.scalar(c.constant(input), attr);
    if (v !== undefined && Number.isNaN(v)) throw c.fail(`'${attr}' is NaN; a bound must be a number (leave it out for none)`);
    return v === undefined || Math.abs(v) >= FLT_MAX ? undefined : v;
  };
  const min = bound('min', 1);
  const max = bound('max', 2);
  const x = c.value(0);
  if (min === undefined && max === undefined) return c.output(0, { kind: 'value', id: x });
  if (min === 0 && max === undefined) return c.result(c.g.relu(c.graphName(), x));
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (!(lo < hi)) {
    throw c.fail(`Clip(min ${lo}, max ${hi}) has an empty or single-point range (every output would be ${hi}); supported: min < max`);
  }
  c.result(c.graph(() => c.g.clamp(c.graphName(), x, { lo, hi })));
}

function globalAveragePool(c: NodeCtx): void {
  c.attributes([]);
  const x = c.value(0);
  c.featureMap(x);
  c.result(c.g.globalAvgPool(c.graphName(), x));
}

function concat(c: NodeCtx): void {
  c.attributes(['axis']);
  if (c.attr('axis') === undefined) throw c.fail("attribute 'axis' is required");
  const axis = c.int('axis', 1, AXIS);
  const xs = c.node.input.map((_, i) => c.value(i));
  for (const x of xs) c.featureMap(x, `every input (channel concat of NCHW feature maps only), but '${c.g.node(x).name}'`);
  if (axis !== 1 && axis !== -3) throw c.fail(`attribute 'axis' = ${axis} is not supported; supported: 1 (channels)`);
  c.result(c.graph(() => c.g.concat(c.graphName(), xs)));
}

function add(c: NodeCtx): void {
  c.attributes([]);
  if (codesArithmetic(c, 'Add')) return;
  const a = c.pending(0);
  const b = c.pending(1);
  if (a.kind === 'scaled' || b.kind === 'scaled') {
    // The Inception-ResNet residual x + c·y (either operand order).
    const scaledIndex = a.kind === 'scaled' ? 0 : 1;
    const s = scaledIndex === 0 ? a : b;
    if (s.kind !== 'scaled') throw c.fail('internal: scaled operand expected');
    const x = c.value(1 - scaledIndex);
    return c.result(c.graph(() => c.g.add(c.graphName(), x, s.source, s.scale)));
  }
  const matmulIndex = a.kind === 'matmul' && b.kind === 'const' ? 0 : b.kind === 'matmul' && a.kind === 'const' ? 1 : -1;
  if (matmulIndex >= 0) {
    // MatMul by an initializer + a bias → one fully connected layer.
    const m = matmulIndex === 0 ? a : b;
    if (m.kind !== 'matmul' || m.id !== undefined) throw c.fail(`MatMul '${c.inputName(matmulIndex)}' already feeds other nodes; its bias Add cannot be folded`);
    const t = c.constant(1 - matmulIndex);
    const bias = c.floats(t, 'bias');
    if (bias.length !== m.outFeatures) throw c.fail(`bias '${t.name}' has ${bias.length} values; MatMul '${m.node}' gives ${m.outFeatures} features`);
    const id = c.graph(() => c.g.fc(c.imp.uniqueNodeName(m.node), m.source, {
      outFeatures: m.outFeatures, weight: c.imp.addWeight(m.weightName, m.weight), bias: c.imp.addWeight(c.inputName(1 - matmulIndex), bias),
    }));
    c.imp.values.set(c.inputName(matmulIndex), { kind: 'unavailable', reason: `MatMul '${m.node}' was folded with its bias Add '${c.name}' into one layer` });
    return c.result(id);
  }
  const x = c.value(0);
  const y = c.value(1);
  if (formatShape(c.g.shape(x)) !== formatShape(c.g.shape(y))) {
    throw c.fail(`Add of ${c.onnxShape(x)} and ${c.onnxShape(y)}: broadcasting is not supported; both inputs must have the same shape`);
  }
  c.result(c.g.add(c.graphName(), x, y, 1));
}

function mul(c: NodeCtx): void {
  c.attributes([]);
  const constIndex = c.pending(0).kind === 'const' ? 0 : c.pending(1).kind === 'const' ? 1 : -1;
  if (constIndex < 0) {
    throw c.fail('Mul of two computed tensors is not supported; supported: a feature map times a scalar constant (the Inception-ResNet residual scale)');
  }
  const t = c.constant(constIndex);
  const data = c.floats(t, 'scale');
  if (data.length !== 1) throw c.fail(`Mul by a constant of dims [${t.dims.join(', ')}] is not supported; supported: a scalar (one element)`);
  const x = c.value(1 - constIndex);
  c.output(0, { kind: 'scaled', source: x, scale: decimalOfFloat32(data[0]), node: c.name });
}

function pad(c: NodeCtx): void {
  const old = c.opset < 11;
  c.attributes(old ? ['mode', 'pads', 'value'] : ['mode']);
  const mode = c.string('mode', 'constant');
  if (mode !== 'constant') throw c.fail(`attribute 'mode' = '${mode}' is not supported; supported: 'constant' (zeros)`);
  let pads: number[];
  let value = 0;
  if (old) {
    pads = c.ints('pads', undefined, { min: -PAD.max, max: PAD.max }) ?? [];
    value = c.float('value', 0);
  } else {
    pads = c.intsOf(c.constant(1), 'pads');
    if (c.inputName(2) !== '') value = c.scalar(c.constant(2), 'constant_value');
    if (c.inputName(3) !== '') pads = padsOnAxes(c, pads, c.intsOf(c.constant(3), 'axes'));
  }
  if (value !== 0) throw c.fail(`constant value ${value} is not supported; supported: 0`);
  if (pads.length !== 8) throw c.fail(`pads [${pads.join(', ')}] must have 8 entries (4-D NCHW)`);
  if (pads.some((p) => !Number.isSafeInteger(p) || p < 0)) throw c.fail(`pads [${pads.join(', ')}]: negative pads (cropping) are not supported`);
  if (pads.some((p) => p > PAD.max)) throw c.fail(`pads [${pads.join(', ')}] are out of range; allowed: ${PAD.min}..${PAD.max} each`);
  if (pads[0] !== 0 || pads[1] !== 0 || pads[4] !== 0 || pads[5] !== 0) {
    throw c.fail(`pads [${pads.join(', ')}]: padding the batch or channel axis is not supported`);
  }
  const src = c.pending(0);
  const base = src.kind === 'pad' ? src.source : c.value(0);
  const acc: Pads = src.kind === 'pad' ? src.pads : { top: 0, left: 0, bottom: 0, right: 0 };
  c.featureMap(base);
  const total: Pads = { top: acc.top + pads[2], left: acc.left + pads[3], bottom: acc.bottom + pads[6], right: acc.right + pads[7] };
  if (Object.values(total).some((p) => p > PAD.max)) {
    throw c.fail(`pads [${pads.join(', ')}] after the Pads before it total ${JSON.stringify(total)}, out of range; allowed: ${PAD.min}..${PAD.max} each`);
  }
  c.output(0, { kind: 'pad', source: base, node: c.name, pads: total });
}

/** Pads given for some axes (opset 18's `axes` input) as pads for all 4 (zeros elsewhere). */
function padsOnAxes(c: NodeCtx, pads: number[], axes: number[]): number[] {
  if (pads.length !== 2 * axes.length) throw c.fail(`pads [${pads.join(', ')}] must have 2 entries per axis of axes [${axes.join(', ')}]`);
  const full = new Array<number>(8).fill(0);
  const seen = new Set<number>();
  axes.forEach((a, k) => {
    if (!Number.isSafeInteger(a) || a < -4 || a > 3) throw c.fail(`axes [${axes.join(', ')}]: ${a} is not an axis of a 4-D tensor`);
    const axis = a < 0 ? a + 4 : a;
    if (seen.has(axis)) throw c.fail(`axes [${axes.join(', ')}] repeats axis ${axis}`);
    seen.add(axis);
    full[axis] = pads[k];
    full[axis + 4] = pads[k + axes.length];
  });
  return full;
}

function intTensor(dims: number[], values: number[]): OnnxTensor {
  return { name: '', dims, dataType: DataType.INT64, int32Data: [], int64Data: values, doubleData: [], dataLocation: 0, externalData: [] };
}

function constant(c: NodeCtx): void {
  c.attributes(['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
  const a = c.node.attribute[0];
  if (a === undefined || c.node.attribute.length !== 1) throw c.fail('needs exactly one of value, value_float, value_floats, value_int, value_ints');
  let t: OnnxTensor | undefined;
  switch (a.name) {
    case 'value': t = a.t; break;
    case 'value_float': t = float32Tensor('', [], Float32Array.of(a.f ?? 0)); break;
    case 'value_floats': t = float32Tensor('', [a.floats.length], Float32Array.from(a.floats)); break;
    case 'value_int': t = intTensor([], [a.i ?? 0]); break;
    case 'value_ints': t = intTensor([a.ints.length], a.ints); break;
  }
  if (t === undefined) throw c.fail(`attribute '${a.name}' holds no tensor`);
  c.output(0, { kind: 'const', tensor: { ...t, name: t.name || (c.node.output[0] ?? '') }, what: `Constant '${c.name}'` });
}

/** B of a Gemm/MatMul as an fc weight [out, in] for an input of `inFeatures`. */
function fcWeight(c: NodeCtx, inFeatures: number, transB: boolean): { weight: Float32Array; outFeatures: number } {
  const t = c.constant(1);
  if (t.dims.length !== 2) throw c.fail(`weight '${t.name}' must be 2-D, got dims [${t.dims.join(', ')}]`);
  const [rows, cols] = t.dims;
  const [outFeatures, inB] = transB ? [rows, cols] : [cols, rows];
  if (inB !== inFeatures) {
    throw c.fail(`weight '${t.name}' dims [${t.dims.join(', ')}]${transB ? ' (transB 1)' : ''} takes ${inB} input features; the input has ${inFeatures}`);
  }
  const data = c.floats(t, 'weight');
  if (transB) return { weight: data, outFeatures };
  c.reserveFloats(data.length, `the transposed weight '${t.name}'`);
  return { weight: transpose(data, rows, cols), outFeatures };
}

function matrixInput(c: NodeCtx): [ValueId, number] {
  const x = c.value(0);
  const s = c.g.shape(x);
  if (s.length !== 2) throw c.fail(`input A must be 2-D [N, features], got ${c.onnxShape(x)}; add a Flatten before it`);
  return [x, s[1]];
}

/** `data` × `factor` in a new array (counted against the weight budget), or `data` itself for 1. */
function scaled(c: NodeCtx, data: Float32Array, factor: number, what: string): Float32Array {
  if (factor === 1) return data;
  c.reserveFloats(data.length, what);
  return data.map((v) => factor * v);
}

/** Y = alpha·A·B + beta·C with A the feature batch: alpha and beta are folded into B and C. */
function gemm(c: NodeCtx): void {
  c.attributes(c.opset < 7 ? ['alpha', 'beta', 'transA', 'transB', 'broadcast'] : ['alpha', 'beta', 'transA', 'transB']);
  const [x, inFeatures] = matrixInput(c);
  if (flag(c, 'transA')) {
    throw c.fail(`attribute 'transA' = 1 is not supported: A is the computed batch ${c.onnxShape(x)}, which the engine cannot transpose; supported: 0`);
  }
  const alpha = c.float('alpha', 1);
  const beta = c.float('beta', 1);
  const b = fcWeight(c, inFeatures, flag(c, 'transB'));
  const outFeatures = b.outFeatures;
  const cT = c.optionalConstant(2);
  let bias: string | undefined;
  if (cT !== undefined && beta !== 0) {
    let data = c.floats(cT, 'bias C');
    const shapeOk = (cT.dims.length <= 1 || (cT.dims.length === 2 && cT.dims[0] === 1)) && (data.length === outFeatures || data.length === 1);
    if (!shapeOk) throw c.fail(`bias C '${cT.name}' of dims [${cT.dims.join(', ')}] is not supported; supported: [${outFeatures}], [1, ${outFeatures}] or one value`);
    if (data.length !== outFeatures) (c.reserveFloats(outFeatures, `the broadcast bias C '${cT.name}'`), (data = new Float32Array(outFeatures).fill(data[0])));
    bias = c.imp.addWeight(c.inputName(2), scaled(c, data, beta, `bias C '${cT.name}' × beta`));
  }
  const w = c.imp.addWeight(c.inputName(1), scaled(c, b.weight, alpha, `weight '${c.inputName(1)}' × alpha`));
  c.result(c.graph(() => c.g.fc(c.graphName(), x, { outFeatures, weight: w, ...(bias !== undefined ? { bias } : {}) })));
}

/** Sum of N same-shape feature maps as a chain of adds; one operand may be a pending Mul by a scalar. */
function sum(c: NodeCtx): void {
  c.attributes(c.opset < 6 ? ['consumed_inputs'] : []);
  const vals: Val[] = c.node.input.map((_, i) => c.pending(i));
  if (vals.length === 0) throw c.fail('needs at least one input');
  if (vals.length === 1) return c.output(0, vals[0]);
  const first = vals.findIndex((v) => v.kind !== 'scaled');
  if (first < 0) throw c.fail('every input is a Mul by a constant; supported: at most the inputs after the first plain one');
  let acc = c.value(first);
  vals.forEach((v, i) => {
    if (i === first) return;
    const [y, scale] = v.kind === 'scaled' ? [v.source, v.scale] : [c.value(i), 1];
    if (formatShape(c.g.shape(acc)) !== formatShape(c.g.shape(y))) {
      throw c.fail(`Sum of ${c.onnxShape(acc)} and ${c.onnxShape(y)}: broadcasting is not supported; every input must have the same shape`);
    }
    acc = c.graph(() => c.g.add(c.graphName(), acc, y, scale));
  });
  c.result(acc);
}

function matMul(c: NodeCtx): void {
  c.attributes([]);
  const [x, inFeatures] = matrixInput(c);
  const { weight, outFeatures } = fcWeight(c, inFeatures, false);
  c.output(0, { kind: 'matmul', source: x, weight, weightName: c.inputName(1), outFeatures, node: c.name });
}

function lrn(c: NodeCtx): void {
  c.attributes(['alpha', 'beta', 'bias', 'size']);
  if (c.attr('size') === undefined) throw c.fail("attribute 'size' is required");
  const size = c.int('size', 1, SIZE);
  const x = c.value(0);
  c.featureMap(x);
  c.result(c.g.lrn(c.graphName(), x, { size, alpha: c.float('alpha', 1e-4), beta: c.float('beta', 0.75), k: c.float('bias', 1) }));
}

function dropout(c: NodeCtx): void {
  c.attributes(['ratio', 'seed', 'is_test', 'consumed_inputs']);
  if (c.inputName(2) !== '' && c.intsOf(c.constant(2), 'training_mode').some((v) => v !== 0)) {
    throw c.fail('training_mode true is not supported; export the model in eval mode');
  }
  c.output(0, c.pending(0));
  if (c.node.output.length > 1) c.output(1, { kind: 'unavailable', reason: 'the Dropout mask is not supported' });
}

function identity(c: NodeCtx): void {
  c.attributes([]);
  c.output(0, c.pending(0));
}

function softmax(c: NodeCtx): void {
  c.attributes(['axis']);
  const x = c.value(0);
  const s = c.g.shape(x);
  const axis = c.int('axis', c.opset >= 13 ? -1 : 1, AXIS);
  const rank = s.length;
  // The Graph's softmax runs over the last NHWC axis = ONNX axis 1 of a 4-D tensor.
  const channelAxis = axis === 1 || axis === 1 - rank;
  const ok = rank === 2 ? channelAxis : channelAxis && (c.opset >= 13 || (s[1] === 1 && s[2] === 1));
  if (!ok) throw c.fail(`Softmax over axis ${axis} of ${c.onnxShape(x)} is not supported; supported: the channel/feature axis 1`);
  c.result(c.g.softmax(c.graphName(), x));
}

/** Handlers by op type (default domain 'ai.onnx'). */
export const OPS: Readonly<Record<string, Handler>> = {
  Conv: conv, BatchNormalization: batchNormalization, Relu: relu, Clip: clip,
  MaxPool: onQuantized(pool('max')), AveragePool: onCodes(pool('avg')), GlobalAveragePool: onCodes(globalAveragePool),
  Concat: onQuantized(concat), Add: add, Mul: mul, Pad: pad, Constant: constant,
  Flatten: onQuantized(flatten), Reshape: onQuantized(reshape), Gemm: gemm, MatMul: matMul,
  LRN: lrn, Dropout: dropout, Identity: identity, Softmax: softmax, Sum: sum,
  Squeeze: onQuantized(squeeze), Unsqueeze: unsqueeze, Transpose: onQuantized(transposeOp),
  // Quantized models (import-qdq.ts); the ops above marked onQuantized also move uint8/int8 codes.
  ...QDQ_OPS,
  // Integer arithmetic on quantized codes (import-codes.ts), as the QDQ export writes a u8 average pool.
  ...CODES_OPS,
};

export const SUPPORTED_OPS: readonly string[] = Object.keys(OPS);
