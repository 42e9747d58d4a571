/**
 * State of one ONNX import: the Graph being built, the weights, and what each ONNX tensor name
 * currently stands for. Op handlers (import-ops.ts) read attributes and inputs through `NodeCtx`,
 * whose every failure names the node, the op, the attribute and what is supported.
 *
 * ONNX tensors are NCHW; the Graph is NHWC. Nothing is transposed: a 4-D ONNX tensor [N, C, H, W]
 * simply *is* the Graph value [N, H, W, C], channel-wise ops act on the Graph's last axis, and
 * conv weights stay OIHW (the Graph's layout too).
 *
 * Some ONNX nodes do not become Graph nodes by themselves but are folded into their consumer;
 * until then their output is a *pending* value:
 *  - `pad`: a zero Pad, absorbed into the pads of the next Conv / Pool;
 *  - `scaled`: a Mul by a scalar constant, absorbed by an Add as `add(x, y, scale)`;
 *  - `matmul`: a MatMul by an initializer, absorbed with a following bias Add into one `fc`.
 * A `quantized` value is a uint8/int8 tensor of a quantized model (import-qdq.ts): the Graph value
 * it quantizes and its (scale, zero point); only DequantizeLinear, the QLinear ops and the ops
 * that move quantized codes unchanged (MaxPool, Concat, Flatten, …) read it. A `codes` value is
 * such a tensor Cast to float for integer arithmetic (import-codes.ts).
 */

import { Graph, GraphError, formatShape } from '../graph/graph.js';
import type { Pads } from '../graph/geometry.js';
import { weightNamesOf, type ValueId } from '../graph/nodes.js';
import { AttrType, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto.js';
import { elementCount, tensorToFloat32, tensorToInts, type ExternalDataReader } from './tensor.js';
import { FoldBudget } from './fold-tensor.js';

export class OnnxImportError extends Error {
  override name = 'OnnxImportError';
}

/**
 * Most nodes a model may have. The largest Inception export has about 1,500; the bound keeps
 * the import and everything after it (passes, planning, scheduling) to a fixed amount of work.
 */
export const MAX_ONNX_NODES = 100_000;

/** The most weight bytes a session can hold: its (32-bit) WebAssembly memory is at most 4 GiB. */
export const MAX_WEIGHT_BYTES = 2 ** 32;

/** An inclusive range an integer attribute must lie in. */
export interface IntRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Ranges of the integer attributes. The kernels compute in 32-bit ints, so a value is checked at
 * import instead of being truncated there: input dims are at most 2^20 (import.ts), and windows,
 * strides, dilations, pads, groups and LRN sizes within 2^20 keep every product with them in range.
 */
export const SIZE: IntRange = { min: 1, max: 1 << 20 };
export const PAD: IntRange = { min: 0, max: 1 << 20 };
export const FLAG: IntRange = { min: 0, max: 1 };
/** An axis of a tensor of rank ≤ 4 (Flatten's axis may equal the rank); the handler narrows it. */
export const AXIS: IntRange = { min: -4, max: 4 };

const inRange = (v: number, r: IntRange) => Number.isSafeInteger(v) && v >= r.min && v <= r.max;

/** ONNX-order shape of a Graph value: [N, H, W, C] → [N, C, H, W]; other ranks are the same in both. */
export function onnxOrder(shape: readonly number[]): number[] {
  return shape.length === 4 ? [shape[0], shape[3], shape[1], shape[2]] : [...shape];
}

/**
 * The quantisation of a uint8/int8 tensor: real = scale·(q − zeroPoint), q in the file's type.
 * `zeroPoint` is in that type's range (−128..127 for int8, 0..255 for uint8); the engine's u8
 * form of the same real values has zero point `zeroPoint + 128` for int8.
 */
export interface TensorQuant {
  /** float32, > 0 and finite. */
  scale: number;
  zeroPoint: number;
  signed: boolean;
}

export type Val =
  | { kind: 'value'; id: ValueId }
  | { kind: 'const'; tensor: OnnxTensor; what: string }
  | { kind: 'pad'; source: ValueId; pads: Pads; node: string }
  | { kind: 'scaled'; source: ValueId; scale: number; node: string }
  | { kind: 'matmul'; source: ValueId; weight: Float32Array; weightName: string; outFeatures: number; node: string; id?: ValueId }
  | { kind: 'quantized'; source: ValueId; quant: TensorQuant; node: string }
  | { kind: 'codes'; source: ValueId; quant: TensorQuant; offset: number; rounded: boolean; node: string }
  | { kind: 'unavailable'; reason: string };

/**
 * The number an ONNX float32 attribute stands for: the shortest decimal that rounds to it
 * (0.001 for the stored 0.0010000000474974513). ONNX can only store float32, while BN epsilon,
 * LRN constants and residual scales are decimals in every framework and are used in float64 by
 * the weight folding here, so a network exported from a builder re-imports bit-identically.
 */
export function decimalOfFloat32(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f;
  for (let digits = 1; digits <= 9; digits++) {
    const d = Number(f.toPrecision(digits));
    if (Math.fround(d) === f) return d;
  }
  return f;
}

export class Importer {
  readonly g = new Graph();
  readonly weights = new Map<string, Float32Array>();
  readonly values = new Map<string, Val>();
  private readonly nodeNames = new Set<string>();
  /** Next suffix to try per base name: finding a free name stays O(1) however often a name repeats. */
  private readonly nextSuffix = new Map<string, number>();
  /** Each tensor's float values, decoded once however many nodes read it. */
  private readonly decoded = new Map<OnnxTensor, Float32Array>();
  private readonly nonNegativeMemo = new Map<ValueId, boolean>();
  /** Elements of the constants folded at load (fold.ts), bounded per model. */
  readonly foldBudget = new FoldBudget();
  /**
   * Bytes of float weights the nodes have asked for, a tensor counted once per use: each use
   * becomes its own packed copy in the session's memory, so this is a lower bound on what the
   * model needs there, and it is checked against `maxWeightBytes` before anything is decoded.
   */
  private weightBytesUsed = 0;
  /**
   * The quantisation a uint8/int8 tensor of the file gives each Graph value, and the node that
   * gave it (import-qdq.ts): the activation ranges of a quantized model.
   */
  readonly activationQuant = new Map<ValueId, { quant: TensorQuant; node: string }>();
  /** The relu a zero-point-0 quantisation of each value stands for (import-qdq.ts), made once. */
  readonly quantRelu = new Map<ValueId, ValueId>();
  /**
   * Weights dequantized from symmetric int8 (zero point 0) with one scale, or one per index of
   * axis 0 (the output channel of an OIHW or [out, in] weight): the file's scales (import-qdq.ts).
   */
  readonly int8WeightScales = new WeakMap<Float32Array, { perTensor: boolean; scales: Float32Array }>();
  /** The quantisation each DequantizeLinear of an activation read, by its output name (a graph output saturates at it). */
  readonly dequantizedNames = new Map<string, TensorQuant>();

  constructor(
    readonly opset: number,
    readonly readExternal: ExternalDataReader | undefined,
    readonly maxWeightBytes: number,
  ) {}

  private unique(base: string, taken: { has(name: string): boolean }, separator: string): string {
    if (!taken.has(base)) return base;
    let k = this.nextSuffix.get(separator + base) ?? 2;
    while (taken.has(`${base}${separator}${k}`)) k++;
    this.nextSuffix.set(separator + base, k + 1);
    return `${base}${separator}${k}`;
  }

  /** A node name unused so far (ONNX node names may be empty or repeated). */
  uniqueNodeName(base: string): string {
    const name = this.unique(base, this.nodeNames, '_');
    this.nodeNames.add(name);
    return name;
  }

  /** Registers `data` as a Graph weight named after its initializer (suffixed when shared). */
  addWeight(base: string, data: Float32Array): string {
    const name = this.unique(base === '' ? 'weight' : base, this.weights, '#');
    this.weights.set(name, data);
    return name;
  }

  /**
   * Counts `bytes` of weights against `maxWeightBytes`; throws, naming `what`, when they do not fit.
   * Called before the bytes are allocated.
   */
  reserveWeightBytes(bytes: number, what: string): void {
    this.weightBytesUsed += bytes;
    if (this.weightBytesUsed > this.maxWeightBytes) {
      throw new OnnxImportError(
        `${what} takes the model's weights past maxWeightBytes = ${this.maxWeightBytes} bytes ` +
          `(${this.weightBytesUsed} bytes so far, each use of a shared weight counted, as the session holds one copy per use): ` +
          (this.maxWeightBytes < MAX_WEIGHT_BYTES
            ? 'raise maxMemoryBytes (maxWeightBytes when importing directly), or use a smaller model'
            : 'a session\'s memory holds at most 4 GiB; use a smaller model'),
      );
    }
  }

  /** The float values of `t`, decoded on first use and shared by every later one. */
  decodeFloats(t: OnnxTensor, decode: () => Float32Array): Float32Array {
    let data = this.decoded.get(t);
    if (data === undefined) (data = decode()), this.decoded.set(t, data);
    return data;
  }

  /**
   * Whether value `v` can never be negative (so zero padding equals −∞ padding for max pooling).
   * Iterative and memoised: a chain of pools, or Concats reading one value twice, is walked once.
   */
  nonNegative(v: ValueId): boolean {
    const stack: ValueId[] = [v];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (this.nonNegativeMemo.has(top)) {
        stack.pop();
        continue;
      }
      const node = this.g.node(top);
      let result: boolean | undefined;
      switch (node.kind) {
        case 'relu':
        case 'softmax':
          result = true;
          break;
        case 'clamp':
          result = node.lo >= 0;
          break;
        case 'maxPool':
        case 'avgPool':
        case 'globalAvgPool':
        case 'concat': {
          const pending = node.inputs.filter((x) => !this.nonNegativeMemo.has(x));
          for (const x of pending) stack.push(x);
          if (pending.length === 0) result = node.inputs.every((x) => this.nonNegativeMemo.get(x));
          break;
        }
        default:
          result = false;
      }
      if (result !== undefined) {
        this.nonNegativeMemo.set(top, result);
        stack.pop();
      }
    }
    return this.nonNegativeMemo.get(v)!;
  }
}

const LIST_TYPES: Record<number, string> = {
  1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 5: 'GRAPH', 6: 'FLOATS', 7: 'INTS', 8: 'STRINGS', 9: 'TENSORS', 10: 'GRAPHS',
};

function describe(a: OnnxAttribute): string {
  if (a.i !== undefined) return String(a.i);
  if (a.f !== undefined) return String(decimalOfFloat32(a.f));
  if (a.s !== undefined) return `'${new TextDecoder().decode(a.s)}'`;
  if (a.ints.length > 0) return `[${a.ints.join(', ')}]`;
  if (a.floats.length > 0) return `[${a.floats.map(decimalOfFloat32).join(', ')}]`;
  return LIST_TYPES[a.type] ?? 'a value';
}

/** One ONNX node being imported: attributes, inputs, and errors that name it. */
export class NodeCtx {
  readonly name: string;

  constructor(readonly imp: Importer, readonly node: OnnxNode, index: number) {
    this.name = node.name !== '' ? node.name : `${node.opType}_${index}`;
  }

  get g(): Graph {
    return this.imp.g;
  }

  get opset(): number {
    return this.imp.opset;
  }

  fail(problem: string): OnnxImportError {
    return new OnnxImportError(`ONNX node '${this.name}' (${this.node.opType}): ${problem}`);
  }

  /** A Graph node name for this ONNX node. */
  graphName(): string {
    return this.imp.uniqueNodeName(this.name);
  }

  // ---- attributes --------------------------------------------------------------------------

  /** Throws for any attribute not in `supported`, naming it and the supported set. */
  attributes(supported: readonly string[]): void {
    for (const a of this.node.attribute) {
      if (!supported.includes(a.name)) {
        throw this.fail(`attribute '${a.name}' = ${describe(a)} is not supported; supported attributes: ${supported.join(', ') || 'none'}`);
      }
      if (a.hasGraph) throw this.fail(`attribute '${a.name}' holds a subgraph, which is not supported`);
    }
  }

  attr(name: string): OnnxAttribute | undefined {
    return this.node.attribute.find((a) => a.name === name);
  }

  private typed(name: string, type: number): OnnxAttribute | undefined {
    const a = this.attr(name);
    if (a !== undefined && a.type !== type && a.type !== 0) {
      throw this.fail(`attribute '${name}' should be ${LIST_TYPES[type]}, got ${LIST_TYPES[a.type] ?? `type ${a.type}`}`);
    }
    return a;
  }

  /** An INT attribute (or `fallback` when absent), which must lie in `range`. */
  int(name: string, fallback: number, range: IntRange): number {
    const a = this.typed(name, AttrType.INT);
    const v = a === undefined ? fallback : (a.i ?? 0);
    if (!inRange(v, range)) throw this.fail(`attribute '${name}' = ${v} is out of range; allowed: ${range.min}..${range.max}`);
    return v;
  }

  float(name: string, fallback: number): number {
    const a = this.typed(name, AttrType.FLOAT);
    return a === undefined ? fallback : decimalOfFloat32(a.f ?? 0);
  }

  string(name: string, fallback: string): string {
    const a = this.typed(name, AttrType.STRING);
    return a === undefined ? fallback : new TextDecoder().decode(a.s ?? new Uint8Array(0));
  }

  /**
   * An INTS attribute (or `fallback` when absent), every element in `range`. A fallback derived
   * from the file (a kernel size from the weight's dims) is checked like the attribute.
   */
  ints(name: string, fallback: readonly number[] | undefined, range: IntRange): number[] | undefined {
    const a = this.typed(name, AttrType.INTS);
    const v = a !== undefined ? a.ints : fallback;
    if (v === undefined) return undefined;
    for (const x of v) {
      if (!inRange(x, range)) throw this.fail(`attribute '${name}' holds ${x}, out of range; allowed: ${range.min}..${range.max} each`);
    }
    return [...v];
  }

  /** An INTS attribute of exactly `length` integers, each in `range`. */
  intList(name: string, length: number, range: IntRange, fallback?: readonly number[]): number[] {
    const v = this.ints(name, fallback, range);
    if (v === undefined) throw this.fail(`attribute '${name}' is required`);
    if (v.length !== length) throw this.fail(`attribute '${name}' = [${v.join(', ')}] must be ${length} integers (2-D ops only)`);
    return v;
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** Name of input `i`, or '' when absent (ONNX marks optional inputs with ''). */
  inputName(i: number): string {
    return this.node.input[i] ?? '';
  }

  private val(i: number): Val {
    const name = this.inputName(i);
    if (name === '') throw this.fail(`input ${i} is required`);
    const v = this.imp.values.get(name);
    if (v === undefined) {
      throw this.fail(`input '${name}' is not produced by an earlier node, an initializer or a graph input (is the graph topologically sorted?)`);
    }
    return v;
  }

  /** Input `i` as a Graph value; pending values are materialised or rejected with the reason. */
  value(i: number): ValueId {
    const v = this.val(i);
    switch (v.kind) {
      case 'value':
        return v.id;
      case 'const':
        throw this.fail(`input '${this.inputName(i)}' is a constant tensor (${v.what}); a computed feature map is expected here`);
      case 'pad':
        throw this.fail(
          `it reads the zero Pad '${v.node}', which can only be folded into a following Conv, AveragePool or MaxPool (after a ReLU)`,
        );
      case 'scaled':
        throw this.fail(
          `it reads Mul '${v.node}' (× ${v.scale}); a Mul by a constant is supported only as the residual x + c·y, i.e. feeding an Add`,
        );
      case 'matmul':
        if (v.id === undefined) {
          v.id = this.g.fc(this.imp.uniqueNodeName(v.node), v.source, {
            outFeatures: v.outFeatures, weight: this.imp.addWeight(v.weightName, v.weight),
          });
        }
        return v.id;
      case 'quantized':
        throw this.fail(
          `input '${this.inputName(i)}' is the ${v.quant.signed ? 'int8' : 'uint8'} tensor of '${v.node}' (quantized), which this op cannot read; ` +
            'supported readers of a quantized tensor: DequantizeLinear, QLinearConv, QLinearMatMul, MaxPool, Concat, Flatten, Reshape, Squeeze, Transpose, Identity, Cast',
        );
      case 'codes':
        throw this.fail(
          `input '${this.inputName(i)}' holds the quantized codes Cast to float by '${v.node}', which this op cannot read; ` +
            'supported on codes: Add/Sub of a scalar, AveragePool, GlobalAveragePool, Floor, Round, Cast back to uint8/int8',
        );
      case 'unavailable':
        throw this.fail(`input '${this.inputName(i)}' is not available: ${v.reason}`);
    }
  }

  /** Input `i` (a feature map) with the pads of a zero Pad feeding it, if any. */
  paddedValue(i: number): { id: ValueId; pads: Pads; padNode?: string } {
    const v = this.val(i);
    if (v.kind === 'pad') return { id: v.source, pads: v.pads, padNode: v.node };
    return { id: this.value(i), pads: { top: 0, left: 0, bottom: 0, right: 0 } };
  }

  /** Input `i` as a raw pending value (for Add, which absorbs them). */
  pending(i: number): Val {
    return this.val(i);
  }

  /** Input `i` as a constant tensor (an initializer or a Constant node's output). */
  constant(i: number): OnnxTensor {
    const v = this.val(i);
    if (v.kind !== 'const') throw this.fail(`input ${i} ('${this.inputName(i)}') must be an initializer or a Constant; computed inputs are not supported there`);
    return v.tensor;
  }

  optionalConstant(i: number): OnnxTensor | undefined {
    return this.inputName(i) === '' ? undefined : this.constant(i);
  }

  /**
   * The values of float tensor `t`, counted against the weight budget for this use and decoded
   * only on the first. The array is shared by every use: callers must not modify it.
   */
  floats(t: OnnxTensor, what: string): Float32Array {
    try {
      const label = `${what} '${t.name}' of node '${this.name}'`;
      this.reserveFloats(elementCount(t, label), `${what} '${t.name}'`);
      return this.imp.decodeFloats(t, () => tensorToFloat32(t, label, this.imp.readExternal));
    } catch (e) {
      throw e instanceof Error && !(e instanceof OnnxImportError) ? this.fail(e.message) : e;
    }
  }

  /** Counts `count` float32 weights of `what` (this node's) against the budget. */
  reserveFloats(count: number, what: string): void {
    try {
      this.imp.reserveWeightBytes(4 * count, what);
    } catch (e) {
      throw e instanceof OnnxImportError ? this.fail(e.message) : e;
    }
  }

  intsOf(t: OnnxTensor, what: string): number[] {
    try {
      return tensorToInts(t, `${what} '${t.name}' of node '${this.name}'`, this.imp.readExternal);
    } catch (e) {
      throw e instanceof Error ? this.fail(e.message) : e;
    }
  }

  /** A one-element float constant, as the decimal it stands for. */
  scalar(t: OnnxTensor, what: string): number {
    const data = this.floats(t, what);
    if (data.length !== 1) throw this.fail(`${what} must be a scalar, got dims [${t.dims.join(', ')}]`);
    return decimalOfFloat32(data[0]);
  }

  /** The shape of Graph value `v` in ONNX order (NCHW for feature maps), for messages. */
  onnxShape(v: ValueId): string {
    const s = this.g.shape(v);
    return s.length === 4 ? formatShape([s[0], s[3], s[1], s[2]]) : formatShape(s);
  }

  /** `v` must be a 4-D feature map. */
  featureMap(v: ValueId, what = 'input'): [number, number, number, number] {
    const s = this.g.shape(v);
    if (s.length !== 4) throw this.fail(`${what} must be a 4-D NCHW tensor, got ${this.onnxShape(v)}`);
    return s as unknown as [number, number, number, number];
  }

  // ---- outputs -----------------------------------------------------------------------------

  /** Binds output `i` of this node. */
  output(i: number, v: Val): void {
    const name = this.node.output[i];
    if (name === undefined || name === '') return;
    this.imp.values.set(name, v);
  }

  /** Binds output 0 to a Graph value; outputs 1.. become unavailable with `reason`. */
  result(id: ValueId, extraReason = 'only the first output of this op is supported'): void {
    this.checkWeights(id);
    this.output(0, { kind: 'value', id });
    for (let i = 1; i < this.node.output.length; i++) this.output(i, { kind: 'unavailable', reason: extraReason });
  }

  /** Every weight of the new Graph node must have exactly the declared element count. */
  private checkWeights(id: ValueId): void {
    const node = this.g.node(id);
    for (const name of weightNamesOf(node)) {
      const decl = this.g.weight(name);
      const count = decl.shape.reduce((a, b) => a * b, 1);
      const data = this.imp.weights.get(name);
      if (data === undefined || data.length !== count) {
        throw this.fail(`tensor for '${name}' has ${data?.length ?? 0} values; the node needs ${formatShape(decl.shape)} = ${count}`);
      }
    }
  }

  /** Runs `build`, turning Graph shape errors into errors that name this ONNX node. */
  graph<T>(build: () => T): T {
    try {
      return build();
    } catch (e) {
      if (e instanceof GraphError) throw this.fail(e.message);
      throw e;
    }
  }
}
