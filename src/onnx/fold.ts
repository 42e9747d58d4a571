/**
 * Load-time constant folding: every node whose inputs are constants (initializers, Constant
 * nodes, earlier folded results) — or, for Shape and Size, any tensor, whose shape the planned
 * batch and input size fix — is evaluated here, and its output becomes a constant, so only the
 * data path reaches the graph builder. This is what turns the shape subgraph PyTorch exports for
 * `x.view(x.size(0), -1)` (Shape → Gather → Unsqueeze → Concat → Reshape) into a constant
 * Reshape target, which the Reshape handler then imports as a flatten.
 *
 * Integers are computed exactly (int64 as safe-integer Numbers; a result beyond ±2^53 is an
 * error, never a rounded value), floats in float32. Every output's element count is checked
 * against the budget (fold-tensor.ts) before it is allocated; every loop runs over an output or
 * over the axes of a rank-bounded tensor. Reshape, Squeeze and Unsqueeze of a constant only
 * rewrite its dims (the data is not decoded), so they also serve large weight tensors.
 */

import { assertNever } from '../util/assert-never.js';
import { onnxOrder, type IntRange, type NodeCtx } from './import-context.js';
import { DataType, OnnxFormatError, type OnnxTensor } from './onnx-proto.js';
import { dataTypeName } from './tensor.js';
import {
  broadcastDims, broadcastIndex, countOf, element, FoldError, fromOnnx, makeTensor, MAX_FOLD_ELEMENTS, MAX_FOLD_RANK,
  normaliseAxis, stridesOf, toOnnx, type FoldTensor, type FoldType,
} from './fold-tensor.js';

/** An axis attribute of a folded op (checked against the tensor's rank by `normaliseAxis`). */
const FOLD_AXIS: IntRange = { min: -MAX_FOLD_RANK, max: MAX_FOLD_RANK };
const ANY_INT: IntRange = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };

type Folder = (c: NodeCtx) => OnnxTensor;

// ---- inputs ------------------------------------------------------------------------------

/** Constant input `i`, decoded (its element count budgeted first). */
function tensorIn(c: NodeCtx, i: number): FoldTensor {
  return fromOnnx(c.constant(i), `input ${i} '${c.inputName(i)}'`, c.imp.foldBudget, c.imp.readExternal);
}

/** Constant integer input `i` as numbers (int64 values beyond ±2^53 are approximate; callers clamp or check). */
function intsIn(c: NodeCtx, i: number, what: string): FoldTensor & { data: number[] } {
  const t = tensorIn(c, i);
  if (t.type === 'float32') throw new FoldError(`${what} '${c.inputName(i)}' must be an integer tensor, got a float one`);
  return t as FoldTensor & { data: number[] };
}

/** The ONNX-order shape of input `i`, whatever it stands for (a feature map, a constant, a pending value). */
export function shapeOfInput(c: NodeCtx, i: number): number[] {
  const v = c.pending(i);
  switch (v.kind) {
    case 'value':
      return onnxOrder(c.g.shape(v.id));
    case 'const':
      return [...v.tensor.dims];
    case 'pad': {
      const [n, h, w, ch] = c.g.shape(v.source);
      return [n, ch, h + v.pads.top + v.pads.bottom, w + v.pads.left + v.pads.right];
    }
    case 'scaled':
    case 'quantized':
    case 'codes':
      return onnxOrder(c.g.shape(v.source));
    case 'matmul':
      return [c.g.shape(v.source)[0], v.outFeatures];
    case 'unavailable':
      throw new FoldError(`input '${c.inputName(i)}' is not available: ${v.reason}`);
    default:
      return assertNever(v, 'ONNX value');
  }
}

/** Axes as an attribute before opset 13 (Squeeze/Unsqueeze) or 18 (Reduce*), as input 1 from then on. */
function axesOf(c: NodeCtx, inputSince: number): number[] | undefined {
  if (c.opset < inputSince) return c.ints('axes', undefined, FOLD_AXIS);
  if (c.inputName(1) === '') return undefined;
  return intsIn(c, 1, 'axes').data;
}

function distinctAxes(axes: readonly number[], rank: number, what: string): number[] {
  const out = axes.map((a) => normaliseAxis(a, rank, what));
  if (new Set(out).size !== out.length) throw new FoldError(`${what} [${axes.join(', ')}] repeats an axis`);
  return out;
}

/** A view of constant `t` with other dims of the same element count (nothing decoded). */
function view(t: OnnxTensor, dims: number[]): OnnxTensor {
  return { ...t, dims };
}

const int64 = (c: NodeCtx, dims: number[], values: readonly number[]): OnnxTensor =>
  toOnnx(makeTensor('int64', dims, (i) => values[i], c.imp.foldBudget, `the output of '${c.name}'`), '');

const out = (c: NodeCtx, type: FoldType, dims: readonly number[], at: (i: number) => number): OnnxTensor =>
  toOnnx(makeTensor(type, dims, at, c.imp.foldBudget, `the output of '${c.name}'`), '');

// ---- shapes ------------------------------------------------------------------------------

/**
 * The dims a Reshape to `target` gives a tensor of `dims` (0 copies the input's dim unless
 * `allowZero`; one -1 is inferred), or an error naming both.
 */
export function reshapeDims(dims: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const count = countOf(dims, 'the input');
  const fail = (why: string) => new FoldError(`cannot reshape [${dims.join(', ')}] to [${target.join(', ')}]: ${why}`);
  if (target.length > MAX_FOLD_RANK) throw fail(`rank ${target.length} is above ${MAX_FOLD_RANK}`);
  let infer = -1;
  const result = target.map((d, k) => {
    if (d === 0 && !allowZero) {
      if (k >= dims.length) throw fail(`0 at position ${k} copies a dim the input does not have`);
      return dims[k];
    }
    if (d === -1) {
      if (infer >= 0) throw fail('more than one -1');
      infer = k;
      return 1;
    }
    if (!Number.isSafeInteger(d) || d < 0) throw fail(`bad dim ${d}`);
    return d;
  });
  const known = countOf(result, 'the target');
  if (infer >= 0) {
    if (known === 0 || count % known !== 0) throw fail(`no size for -1 makes ${count} elements`);
    result[infer] = count / known;
  } else if (known !== count) throw fail(`${count} elements cannot become ${known}`);
  return result;
}

function shape(c: NodeCtx): OnnxTensor {
  c.attributes(c.opset >= 15 ? ['start', 'end'] : []);
  const dims = shapeOfInput(c, 0);
  const r = dims.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(c.int('start', 0, ANY_INT));
  const end = clamp(c.int('end', r, ANY_INT));
  const kept = dims.slice(start, Math.max(start, end));
  return int64(c, [kept.length], kept);
}

function size(c: NodeCtx): OnnxTensor {
  c.attributes([]);
  return int64(c, [], [countOf(shapeOfInput(c, 0), `input '${c.inputName(0)}'`)]);
}

function reshape(c: NodeCtx): OnnxTensor {
  const old = c.opset < 5;
  c.attributes(old ? ['shape', 'consumed_inputs'] : c.opset >= 14 ? ['allowzero'] : []);
  const t = c.constant(0);
  const target = old ? c.ints('shape', undefined, ANY_INT) : intsIn(c, 1, 'shape').data;
  if (target === undefined) throw new FoldError("attribute 'shape' is required");
  return view(t, reshapeDims(t.dims, target, c.int('allowzero', 0, { min: 0, max: 1 }) === 1));
}

function unsqueeze(c: NodeCtx): OnnxTensor {
  c.attributes(c.opset < 13 ? ['axes'] : []);
  const t = c.constant(0);
  const axes = axesOf(c, 13);
  if (axes === undefined || axes.length === 0) throw new FoldError("'axes' is required");
  const rank = t.dims.length + axes.length;
  const at = new Set(distinctAxes(axes, rank, "'axes'"));
  const dims: number[] = [];
  let next = 0;
  for (let k = 0; k < rank; k++) dims.push(at.has(k) ? 1 : t.dims[next++]);
  return view(t, dims);
}

function squeeze(c: NodeCtx): OnnxTensor {
  c.attributes(c.opset < 13 ? ['axes'] : []);
  const t = c.constant(0);
  const axes = axesOf(c, 13);
  const drop = new Set(axes === undefined ? t.dims.flatMap((d, k) => (d === 1 ? [k] : [])) : distinctAxes(axes, t.dims.length, "'axes'"));
  for (const k of drop) if (t.dims[k] !== 1) throw new FoldError(`axis ${k} of [${t.dims.join(', ')}] is ${t.dims[k]}, not 1`);
  return view(t, t.dims.filter((_, k) => !drop.has(k)));
}

// ---- data movement -----------------------------------------------------------------------

function gather(c: NodeCtx): OnnxTensor {
  c.attributes(['axis']);
  const data = tensorIn(c, 0);
  const indices = intsIn(c, 1, 'indices');
  const rank = data.dims.length;
  if (rank === 0) throw new FoldError('Gather of a scalar');
  const axis = normaliseAxis(c.int('axis', 0, FOLD_AXIS), rank, "attribute 'axis'");
  const d = data.dims[axis];
  const idx = indices.data.map((v) => {
    if (!Number.isSafeInteger(v) || v < -d || v >= d) throw new FoldError(`index ${v} is out of range for axis ${axis} of size ${d}`);
    return v < 0 ? v + d : v;
  });
  const inner = countOf(data.dims.slice(axis + 1), 'the data');
  const n = idx.length;
  const dims = [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)];
  return out(c, data.type, dims, (i) => {
    const k = i % inner;
    const rest = Math.floor(i / inner);
    return data.data[((Math.floor(rest / n) * d) + idx[rest % n]) * inner + k];
  });
}

function concat(c: NodeCtx): OnnxTensor {
  c.attributes(['axis']);
  if (c.attr('axis') === undefined) throw new FoldError("attribute 'axis' is required");
  const parts = c.node.input.map((_, i) => tensorIn(c, i));
  if (parts.length === 0) throw new FoldError('no inputs');
  const first = parts[0];
  const axis = normaliseAxis(c.int('axis', 0, FOLD_AXIS), first.dims.length, "attribute 'axis'");
  for (const p of parts) {
    const same = p.type === first.type && p.dims.length === first.dims.length && p.dims.every((d, k) => k === axis || d === first.dims[k]);
    if (!same) throw new FoldError(`inputs [${first.dims.join(', ')}] (${first.type}) and [${p.dims.join(', ')}] (${p.type}) cannot be concatenated on axis ${axis}`);
  }
  const inner = countOf(first.dims.slice(axis + 1), 'the inputs');
  const widths = parts.map((p) => p.dims[axis] * inner);
  const row = widths.reduce((a, b) => a + b, 0);
  const dims = [...first.dims];
  dims[axis] = parts.reduce((a, p) => a + p.dims[axis], 0);
  const result = makeTensor(first.type, dims, () => 0, c.imp.foldBudget, `the output of '${c.name}'`);
  const target = result.data;
  const outer = row === 0 ? 0 : target.length / row;
  let at = 0;
  for (let o = 0; o < outer; o++) {
    parts.forEach((p, j) => {
      for (let k = 0; k < widths[j]; k++) target[at++] = p.data[o * widths[j] + k];
    });
  }
  return toOnnx(result, '');
}

function slice(c: NodeCtx): OnnxTensor {
  const old = c.opset < 10;
  c.attributes(old ? ['starts', 'ends', 'axes'] : []);
  const data = tensorIn(c, 0);
  const rank = data.dims.length;
  // Not range-checked: INT64_MAX stands for "to the end", and every position is clamped below.
  const list = (attr: string, input: number): number[] | undefined =>
    old ? c.attr(attr)?.ints.slice() : c.inputName(input) === '' ? undefined : intsIn(c, input, attr).data;
  const starts = list('starts', 1);
  const ends = list('ends', 2);
  if (starts === undefined || ends === undefined || starts.length !== ends.length) throw new FoldError("'starts' and 'ends' are required, of equal length");
  const axes = distinctAxes(list('axes', 3) ?? starts.map((_, k) => k), rank, "'axes'");
  const steps = (old ? undefined : list('steps', 4)) ?? starts.map(() => 1);
  if (axes.length !== starts.length || steps.length !== starts.length) throw new FoldError("'axes' and 'steps' must match 'starts' in length");
  const begin = data.dims.map(() => 0);
  const step = data.dims.map(() => 1);
  const dims = [...data.dims];
  axes.forEach((a, k) => {
    const d = data.dims[a];
    const s = steps[k];
    if (s === 0 || !Number.isFinite(s)) throw new FoldError(`step ${s} on axis ${a}`);
    // ONNX clamping: negative positions count from the end; a range is cut to the axis.
    const pos = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const b = s > 0 ? pos(starts[k], 0, d) : pos(starts[k], 0, d - 1);
    const e = s > 0 ? pos(ends[k], 0, d) : pos(ends[k], -1, d - 1);
    begin[a] = b;
    step[a] = s;
    dims[a] = Math.max(0, Math.ceil((e - b) / s));
  });
  const strides = stridesOf(data.dims);
  return out(c, data.type, dims, (i) => {
    let src = 0;
    for (let k = rank - 1; k >= 0; k--) {
      src += (begin[k] + (i % dims[k]) * step[k]) * strides[k];
      i = Math.floor(i / dims[k]);
    }
    return data.data[src];
  });
}

function expand(c: NodeCtx): OnnxTensor {
  c.attributes([]);
  const data = tensorIn(c, 0);
  const dims = broadcastDims(data.dims, intsIn(c, 1, 'shape').data, 'Expand');
  const from = broadcastIndex(dims, data.dims);
  return out(c, data.type, dims, (i) => data.data[from(i)]);
}

function transpose(c: NodeCtx): OnnxTensor {
  c.attributes(['perm']);
  const data = tensorIn(c, 0);
  const rank = data.dims.length;
  const perm = c.ints('perm', data.dims.map((_, k) => rank - 1 - k), FOLD_AXIS)!;
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw new FoldError(`attribute 'perm' = [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  }
  const dims = perm.map((p) => data.dims[p]);
  const strides = stridesOf(data.dims);
  return out(c, data.type, dims, (i) => {
    let src = 0;
    for (let k = rank - 1; k >= 0; k--) (src += (i % dims[k]) * strides[perm[k]]), (i = Math.floor(i / dims[k]));
    return data.data[src];
  });
}

// ---- values ------------------------------------------------------------------------------

const CAST_TYPES: Record<number, FoldType> = { [DataType.FLOAT]: 'float32', [DataType.INT64]: 'int64', [DataType.INT32]: 'int32' };

function cast(c: NodeCtx): OnnxTensor {
  c.attributes(['to', 'saturate']);
  const to = c.int('to', 0, { min: 0, max: 64 });
  const type = Object.hasOwn(CAST_TYPES, to) ? CAST_TYPES[to] : undefined;
  if (type === undefined) throw new FoldError(`Cast to ${dataTypeName(to)} is not supported in folding; supported: FLOAT, INT64, INT32`);
  const data = tensorIn(c, 0);
  return out(c, type, data.dims, (i) => {
    const v = data.data[i];
    if (type === 'float32') return v;
    if (!Number.isFinite(v)) throw new FoldError(`cannot cast ${v} to ${type}`);
    return element(type, Math.trunc(v), `Cast '${c.name}'`);
  });
}

function constantOfShape(c: NodeCtx): OnnxTensor {
  c.attributes(['value']);
  const dims = intsIn(c, 0, 'shape').data;
  const a = c.attr('value');
  const fill = a?.t !== undefined ? fromOnnx(a.t, "attribute 'value'", c.imp.foldBudget, c.imp.readExternal) : { type: 'float32' as const, dims: [1], data: [0] };
  if (fill.data.length !== 1) throw new FoldError(`attribute 'value' must hold one element, got dims [${fill.dims.join(', ')}]`);
  return out(c, fill.type, dims, () => fill.data[0]);
}

function scalarIn(c: NodeCtx, i: number, what: string): { type: FoldType; v: number } {
  const t = tensorIn(c, i);
  if (t.data.length !== 1) throw new FoldError(`${what} must be a scalar, got dims [${t.dims.join(', ')}]`);
  return { type: t.type, v: t.type === 'float32' ? t.data[0] : element(t.type, t.data[0], what) };
}

function range(c: NodeCtx): OnnxTensor {
  c.attributes([]);
  const [start, limit, delta] = [scalarIn(c, 0, 'start'), scalarIn(c, 1, 'limit'), scalarIn(c, 2, 'delta')];
  if (start.type !== limit.type || start.type !== delta.type) throw new FoldError('start, limit and delta must have one type');
  if (delta.v === 0 || !Number.isFinite(delta.v)) throw new FoldError(`delta ${delta.v} gives no range`);
  const count = Math.max(Math.ceil((limit.v - start.v) / delta.v), 0);
  if (!(count <= MAX_FOLD_ELEMENTS)) throw new FoldError(`Range(${start.v}, ${limit.v}, ${delta.v}) has ${count} elements; at most ${MAX_FOLD_ELEMENTS}`);
  return out(c, start.type, [count], (i) => element(start.type, start.v + i * delta.v, `Range '${c.name}'`));
}

type Arith = 'Add' | 'Sub' | 'Mul' | 'Div';

/** `x op y` in `type`: floats rounded to float32, integers exact (operands and result within ±2^53, or an error). */
function apply(op: Arith, type: FoldType, x: number, y: number): number {
  if (type !== 'float32') (element(type, x, `${op} operand`), element(type, y, `${op} operand`));
  let r: number;
  switch (op) {
    case 'Add': r = x + y; break;
    case 'Sub': r = x - y; break;
    case 'Mul': r = x * y; break;
    case 'Div':
      if (type === 'float32') r = x / y;
      else if (y === 0) throw new FoldError(`integer division of ${x} by 0`);
      else r = Number(BigInt(x) / BigInt(y)); // truncates toward zero, as C++ and onnxruntime do
      break;
    default:
      return assertNever(op, 'arithmetic op');
  }
  return element(type, r, `${op} result`);
}

function arithmetic(op: Arith): Folder {
  return (c) => {
    c.attributes(c.opset < 7 ? ['broadcast', 'axis', 'consumed_inputs'] : []);
    const a = tensorIn(c, 0);
    const b = tensorIn(c, 1);
    if (a.type !== b.type) throw new FoldError(`operands are ${a.type} and ${b.type}; ONNX needs one type`);
    if (c.opset < 7) {
      // Before opset 7 shapes match exactly, or `broadcast` 1 aligns B at `axis` (default: B's trailing dims, as numpy).
      const equal = a.dims.length === b.dims.length && a.dims.every((d, k) => d === b.dims[k]);
      if (c.int('broadcast', 0, { min: 0, max: 1 }) === 0 && !equal) throw new FoldError(`shapes [${a.dims.join(', ')}] and [${b.dims.join(', ')}] differ and 'broadcast' is 0`);
      const axis = c.int('axis', a.dims.length - b.dims.length, FOLD_AXIS);
      if (axis !== a.dims.length - b.dims.length) throw new FoldError(`legacy broadcast at axis ${axis} is not supported; supported: B aligned with A's trailing dims`);
    }
    const dims = broadcastDims(a.dims, b.dims, op);
    const [ia, ib] = [broadcastIndex(dims, a.dims), broadcastIndex(dims, b.dims)];
    return out(c, a.type, dims, (i) => apply(op, a.type, a.data[ia(i)], b.data[ib(i)]));
  };
}

function reduceProd(c: NodeCtx): OnnxTensor {
  c.attributes(c.opset < 18 ? ['axes', 'keepdims'] : ['keepdims', 'noop_with_empty_axes']);
  const data = tensorIn(c, 0);
  const rank = data.dims.length;
  const given = axesOf(c, 18);
  const keep = c.int('keepdims', 1, { min: 0, max: 1 }) === 1;
  if ((given === undefined || given.length === 0) && c.int('noop_with_empty_axes', 0, { min: 0, max: 1 }) === 1) {
    return toOnnx(data, '');
  }
  const axes = new Set(given === undefined || given.length === 0 ? data.dims.map((_, k) => k) : distinctAxes(given, rank, "'axes'"));
  const kept = data.dims.map((d, k) => (axes.has(k) ? 1 : d));
  const result = makeTensor(data.type, kept, () => 1, c.imp.foldBudget, `the output of '${c.name}'`);
  const keptStrides = stridesOf(kept);
  for (let i = 0; i < data.data.length; i++) {
    let j = 0;
    for (let k = rank - 1, rest = i; k >= 0; k--) {
      if (!axes.has(k)) j += (rest % data.dims[k]) * keptStrides[k];
      rest = Math.floor(rest / data.dims[k]);
    }
    result.data[j] = apply('Mul', data.type, result.data[j], data.data[i]);
  }
  return toOnnx({ ...result, dims: keep ? kept : data.dims.filter((_, k) => !axes.has(k)) }, '');
}

/** Ops evaluated at load; Shape and Size read only their input's shape. */
const FOLDERS: Readonly<Record<string, Folder>> = {
  Shape: shape, Size: size, Gather: gather, Unsqueeze: unsqueeze, Squeeze: squeeze, Concat: concat, Slice: slice,
  Cast: cast, ConstantOfShape: constantOfShape, Range: range, Expand: expand, Reshape: reshape, Transpose: transpose,
  Add: arithmetic('Add'), Sub: arithmetic('Sub'), Mul: arithmetic('Mul'), Div: arithmetic('Div'), ReduceProd: reduceProd,
};

const SHAPE_READERS = new Set(['Shape', 'Size']);

/** Ops that exist only in folded form (no graph node kind computes them on feature maps). */
export const FOLD_ONLY_OPS: readonly string[] = ['Shape', 'Size', 'Gather', 'Slice', 'Cast', 'ConstantOfShape', 'Range', 'Expand', 'Sub', 'Div', 'ReduceProd'];

/**
 * Folds the node when it can be evaluated at load, binding its output as a constant; returns
 * false when an input is computed from the image (the op's data-path handler then decides).
 */
export function foldNode(c: NodeCtx): boolean {
  const op = c.node.opType;
  const folder = Object.hasOwn(FOLDERS, op) ? FOLDERS[op] : undefined;
  if (folder === undefined) return false;
  if (!SHAPE_READERS.has(op)) {
    for (let i = 0; i < c.node.input.length; i++) {
      if (c.inputName(i) !== '' && c.pending(i).kind !== 'const') return false;
    }
  }
  let tensor: OnnxTensor;
  try {
    tensor = folder(c);
  } catch (e) {
    if (e instanceof FoldError || e instanceof OnnxFormatError) throw c.fail(`cannot evaluate it at load: ${e.message}`);
    throw e;
  }
  c.output(0, { kind: 'const', tensor: { ...tensor, name: c.node.output[0] ?? '' }, what: `folded at load by ${op} '${c.name}'` });
  for (let i = 1; i < c.node.output.length; i++) c.output(i, { kind: 'unavailable', reason: `only the first output of ${op} is supported` });
  return true;
}
