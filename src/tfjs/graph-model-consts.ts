/**
 * A graph model's constants: Const nodes decoded from the weight data (checked against their
 * manifest entry), and the shape ops folded at load where every input is constant — the planned
 * batch and input size make `Shape(x)` constant, so `Reshape(x, Pack(StridedSlice(Shape(x)), -1))`
 * (Keras' Flatten as TF writes it) reaches the graph builder as `Reshape(x, [N, -1])`.
 */
import { Attrs, type GraphDefNode } from './graph-model-json.js';
import type { WeightSpec } from './model-json.js';
import { decodeWeight } from './weights.js';

/** A constant value: float32 or int32 elements, row-major. */
export interface Const {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Most elements a folded shape op may produce (they are shape vectors: a handful). */
const MAX_FOLDED = 1024;

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The value of Const `node` from its manifest entry; the node's declared dtype and shape must agree with it. */
export function decodeConst(node: GraphDefNode, spec: WeightSpec | undefined, data: Uint8Array): Const {
  const a = new Attrs(node);
  if (spec === undefined) throw a.fail('the weights manifest holds no entry of this name, so the constant has no value');
  const dtype = a.type('dtype');
  const want = spec.dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT';
  if (dtype !== undefined && dtype !== want) throw a.fail(`declares ${dtype} but its manifest entry is ${spec.dtype ?? 'float32'}`);
  const declared = declaredShape(node);
  if (declared !== undefined && (declared.length !== spec.shape.length || declared.some((d, i) => d !== spec.shape[i]))) {
    throw a.fail(`declares shape [${declared.join(', ')}] but its manifest entry has [${spec.shape.join(', ')}]`);
  }
  if (spec.byteOffset + spec.byteLength > data.byteLength) throw a.fail('its bytes lie beyond the weight data');
  if (spec.dtype === 'int32') {
    const n = count(spec.shape);
    const view = new DataView(data.buffer, data.byteOffset + spec.byteOffset, spec.byteLength);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
    return { dtype: 'int32', shape: [...spec.shape], data: out };
  }
  return { dtype: 'float32', shape: [...spec.shape], data: decodeWeight(spec, data) };
}

/** `attr.value.tensor.tensorShape` of a Const, when written. */
function declaredShape(node: GraphDefNode): number[] | undefined {
  const value = node.attr.value as { tensor?: { tensorShape?: { dim?: unknown } } } | undefined;
  const dim = value?.tensor?.tensorShape?.dim;
  if (dim === undefined) return value?.tensor?.tensorShape !== undefined ? [] : undefined;
  if (!Array.isArray(dim) || dim.length > 8) throw new Attrs(node).fail("attr 'value' has a malformed tensorShape");
  return dim.map((d: { size?: unknown }) => Number(d?.size ?? 0));
}

/** A constant's elements as integers (int32, or float32 holding integers). */
export function intsOf(c: Const, fail: (m: string) => Error, what: string): number[] {
  const v = Array.from(c.data);
  if (v.some((x) => !Number.isSafeInteger(x))) throw fail(`${what} must be integers, got [${v.slice(0, 8).join(', ')}]`);
  return v;
}

/** The single value of a one-element constant, or undefined. */
export function scalarOf(c: Const): number | undefined {
  return c.data.length === 1 ? c.data[0] : undefined;
}

/** `Shape(x)`: x's (planned, hence constant) shape. */
export function shapeConst(shape: readonly number[]): Const {
  return { dtype: 'int32', shape: [shape.length], data: Int32Array.from(shape) };
}

/**
 * `StridedSlice(input, begin, end, strides)` of a rank-1 constant with a rank-1 slice spec, as TF
 * defines it (begin_mask/end_mask bit 0: from the start / to the end; shrink_axis_mask bit 0: one
 * element, rank 0). Ellipsis and new-axis masks are refused.
 */
export function stridedSlice(node: GraphDefNode, [input, begin, end, strides]: Const[]): Const {
  const a = new Attrs(node);
  if (input!.shape.length !== 1) throw a.fail(`only a rank-1 input is folded, got shape [${input!.shape.join(', ')}]`);
  if (a.int('ellipsis_mask', 0) !== 0 || a.int('new_axis_mask', 0) !== 0) throw a.fail('ellipsis_mask and new_axis_mask are not supported');
  const [b] = intsOf(begin!, (m) => a.fail(m), 'begin');
  const [e] = intsOf(end!, (m) => a.fail(m), 'end');
  const [s] = intsOf(strides!, (m) => a.fail(m), 'strides');
  if (begin!.data.length !== 1 || end!.data.length !== 1 || strides!.data.length !== 1) throw a.fail('only a one-axis slice is folded');
  if (s === 0) throw a.fail('stride 0');
  const n = input!.data.length;
  const clampIndex = (i: number, lo: number, hi: number) => Math.min(Math.max(i < 0 ? i + n : i, lo), hi);
  if ((a.int('shrink_axis_mask', 0) & 1) !== 0) {
    const i = b! < 0 ? b! + n : b!;
    if (i < 0 || i >= n) throw a.fail(`index ${b} is out of range for ${n} elements`);
    return { dtype: input!.dtype, shape: [], data: input!.dtype === 'int32' ? Int32Array.of(input!.data[i]!) : Float32Array.of(input!.data[i]!) };
  }
  const forward = s! > 0;
  const start = (a.int('begin_mask', 0) & 1) !== 0 ? (forward ? 0 : n - 1) : clampIndex(b!, forward ? 0 : -1, forward ? n : n - 1);
  const stop = (a.int('end_mask', 0) & 1) !== 0 ? (forward ? n : -1) : clampIndex(e!, forward ? 0 : -1, forward ? n : n - 1);
  const picked: number[] = [];
  for (let i = start; forward ? i < stop : i > stop; i += s!) {
    picked.push(input!.data[i]!);
    if (picked.length > MAX_FOLDED) throw a.fail(`the slice has more than ${MAX_FOLDED} elements`);
  }
  return { dtype: input!.dtype, shape: [picked.length], data: input!.dtype === 'int32' ? Int32Array.from(picked) : Float32Array.from(picked) };
}

/** `Pack(values, axis 0)` of constants of one shape and dtype. */
export function pack(node: GraphDefNode, values: Const[]): Const {
  const a = new Attrs(node);
  const axis = a.int('axis', 0);
  if (axis !== 0) throw a.fail(`only axis 0 is folded, got ${axis}`);
  const first = values[0];
  if (first === undefined) throw a.fail('packs nothing');
  for (const v of values) {
    if (v.dtype !== first.dtype || v.shape.join() !== first.shape.join()) throw a.fail('its inputs differ in dtype or shape');
  }
  if (values.length * first.data.length > MAX_FOLDED) throw a.fail(`the result has more than ${MAX_FOLDED} elements`);
  const flat = values.flatMap((v) => Array.from(v.data));
  return { dtype: first.dtype, shape: [values.length, ...first.shape], data: first.dtype === 'int32' ? Int32Array.from(flat) : Float32Array.from(flat) };
}

/** `Reshape(constant, shape)`: same elements, new shape (one −1 resolved). */
export function reshapeConst(c: Const, target: number[], fail: (m: string) => Error): Const {
  const shape = resolveReshape(c.shape, target, fail);
  return { ...c, shape };
}

/** A Reshape target with its −1 (at most one) resolved against `from`'s element count. */
export function resolveReshape(from: readonly number[], target: readonly number[], fail: (m: string) => Error): number[] {
  const total = count(from);
  const known = target.filter((d) => d !== -1);
  if (target.length - known.length > 1 || known.some((d) => d < 0)) throw fail(`shape [${target.join(', ')}] is not a valid Reshape target`);
  const knownCount = count(known);
  const out = target.map((d) => (d === -1 ? (knownCount === 0 ? 0 : total / knownCount) : d));
  if (out.some((d) => !Number.isSafeInteger(d)) || count(out) !== total) {
    throw fail(`cannot reshape [${from.join(', ')}] to [${target.join(', ')}]`);
  }
  return out;
}
