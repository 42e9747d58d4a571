/**
 * Tensors of the load-time constant folding (fold.ts): int64 / int32 values as safe-integer
 * Numbers, float32 values as a Float32Array, with the bounds that keep folding a fixed amount of
 * work whatever the file says.
 *
 * Invariants: `data.length` is the product of `dims`; every int32 element lies in int32's range;
 * an int64 element is exact when it is a safe integer (|v| < 2^53). Larger int64 values occur in
 * files only as "to the end" markers (Slice ends = INT64_MAX): they are decoded approximately and
 * may be copied or clamped, while arithmetic rejects any operand or result beyond ±2^53 (`element`),
 * so no folded number is ever silently rounded. Each tensor is counted against a
 * per-tensor and a per-model element budget *before* it is allocated, so a shape input of
 * [1e9, 1e9] or a Range to 2^40 fails with a message instead of exhausting memory.
 */

import { DataType, type OnnxTensor } from './onnx-proto.js';
import { dataTypeName, elementCount, float32Tensor, tensorToFloat32, tensorToInts, type ExternalDataReader } from './tensor.js';

/** Most elements one folded tensor may have (a shape computation needs a handful). */
export const MAX_FOLD_ELEMENTS = 1 << 20;
/** Most elements all folded tensors of one model may have together. */
export const MAX_FOLD_TOTAL = 1 << 24;
/** Highest rank a folded tensor may have; loops over axes are bounded by it. */
export const MAX_FOLD_RANK = 16;

export type FoldType = 'int64' | 'int32' | 'float32';

export interface FoldTensor {
  readonly type: FoldType;
  readonly dims: readonly number[];
  readonly data: number[] | Float32Array;
}

/** A folding problem; the caller names the node. */
export class FoldError extends Error {}

/** Counts folded elements against the model's budget. */
export class FoldBudget {
  private used = 0;

  /** Reserves `count` elements for `what`; throws before anything is allocated when they do not fit. */
  take(count: number, what: string): void {
    if (!Number.isSafeInteger(count) || count > MAX_FOLD_ELEMENTS) {
      throw new FoldError(`${what} would have ${count} elements; constant folding allows at most ${MAX_FOLD_ELEMENTS} per tensor`);
    }
    this.used += count;
    if (this.used > MAX_FOLD_TOTAL) {
      throw new FoldError(`${what} takes the folded constants past ${MAX_FOLD_TOTAL} elements in all; the model computes too much at load`);
    }
  }
}

/** Product of `dims` after checking each is a non-negative safe integer and the rank is bounded. */
export function countOf(dims: readonly number[], what: string): number {
  if (dims.length > MAX_FOLD_RANK) throw new FoldError(`${what} has rank ${dims.length}; at most ${MAX_FOLD_RANK} is supported`);
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new FoldError(`${what} has a bad dimension ${d} in [${dims.join(', ')}]`);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new FoldError(`${what}: dims [${dims.join(', ')}] give more elements than can be addressed`);
  }
  return n;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** `v` as an element of `type`: rounded to float32, or range-checked as an integer. */
export function element(type: FoldType, v: number, what: string): number {
  switch (type) {
    case 'float32':
      return Math.fround(v);
    case 'int64':
      if (!Number.isSafeInteger(v)) throw new FoldError(`${what}: int64 ${v} is beyond ±2^53, where folding could not compute exactly`);
      return v;
    case 'int32':
      if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw new FoldError(`${what}: ${v} is not an int32`);
      return v;
  }
}

/**
 * A new tensor of `type` and `dims`, element i = `at(i)` (computed values are checked by the
 * caller with `element`); the count is checked and budgeted before the array is allocated.
 */
export function makeTensor(type: FoldType, dims: readonly number[], at: (i: number) => number, budget: FoldBudget, what: string): FoldTensor {
  const count = countOf(dims, what);
  budget.take(count, what);
  if (type === 'float32') {
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = at(i);
    return { type, dims: [...dims], data };
  }
  const data = new Array<number>(count);
  for (let i = 0; i < count; i++) data[i] = at(i);
  return { type, dims: [...dims], data };
}

/** Decodes a constant ONNX tensor for folding; its element count is budgeted before decoding. */
export function fromOnnx(t: OnnxTensor, what: string, budget: FoldBudget, readExternal: ExternalDataReader | undefined): FoldTensor {
  const count = elementCount(t, what);
  countOf(t.dims, what);
  budget.take(count, what);
  switch (t.dataType) {
    case DataType.FLOAT:
    case DataType.FLOAT16:
    case DataType.DOUBLE:
      return { type: 'float32', dims: [...t.dims], data: tensorToFloat32(t, what, readExternal) };
    case DataType.INT64:
      return { type: 'int64', dims: [...t.dims], data: tensorToInts(t, what, readExternal) };
    case DataType.INT32:
    case DataType.INT8:
    case DataType.UINT8: {
      const data = tensorToInts(t, what, readExternal);
      for (const v of data) element('int32', v, what);
      return { type: 'int32', dims: [...t.dims], data };
    }
    default:
      throw new FoldError(`${what} is ${dataTypeName(t.dataType)}; folding supports FLOAT, FLOAT16, DOUBLE, INT64, INT32, INT8, UINT8`);
  }
}

/** A folded tensor as an ONNX tensor named `name` (int64 → int64_data, int32 → int32_data, float → raw_data). */
export function toOnnx(t: FoldTensor, name: string): OnnxTensor {
  const base = { name, dims: [...t.dims], int32Data: [] as number[], int64Data: [] as number[], doubleData: [] as number[], dataLocation: 0, externalData: [] };
  switch (t.type) {
    case 'float32':
      return float32Tensor(name, t.dims, t.data instanceof Float32Array ? t.data : Float32Array.from(t.data));
    case 'int64':
      return { ...base, dataType: DataType.INT64, int64Data: Array.from(t.data) };
    case 'int32':
      return { ...base, dataType: DataType.INT32, int32Data: Array.from(t.data) };
  }
}

/** Row-major strides of `dims`. */
export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let k = dims.length - 1; k >= 0; k--) (s[k] = acc), (acc *= dims[k]);
  return s;
}

/** The numpy (multidirectional) broadcast of two shapes, or an error naming both. */
export function broadcastDims(a: readonly number[], b: readonly number[], what: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let k = 0; k < rank; k++) {
    const x = a[k - rank + a.length] ?? 1;
    const y = b[k - rank + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new FoldError(`${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out[k] = x === 1 ? y : x;
  }
  return out;
}

/** Maps a flat index of `outDims` to the flat index of the broadcast source of shape `inDims`. */
export function broadcastIndex(outDims: readonly number[], inDims: readonly number[]): (i: number) => number {
  const rank = outDims.length;
  const inStrides = stridesOf(inDims);
  const step = outDims.map((_, k) => {
    const j = k - rank + inDims.length;
    return j < 0 || inDims[j] === 1 ? 0 : inStrides[j];
  });
  return (i) => {
    let src = 0;
    for (let k = rank - 1; k >= 0; k--) {
      const d = outDims[k];
      src += (i % d) * step[k];
      i = Math.floor(i / d);
    }
    return src;
  };
}

/** `axis` in -rank..rank-1 as 0..rank-1, or an error naming `what`. */
export function normaliseAxis(axis: number, rank: number, what: string): number {
  if (!Number.isSafeInteger(axis) || axis < -rank || axis >= rank) throw new FoldError(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}
