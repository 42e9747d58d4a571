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
 */

import { Graph, GraphError, formatShape } from '../graph/graph.js';
import type { Pads } from '../graph/geometry.js';
import { weightNamesOf, type ValueId } from '../graph/nodes.js';
import { AttrType, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './onnx-proto.js';
import { tensorToFloat32, tensorToInts, type ExternalDataReader } from './tensor.js';

export class OnnxImportError extends Error {
  override name = 'OnnxImportError';
}

export type Val =
  | { kind: 'value'; id: ValueId }
  | { kind: 'const'; tensor: OnnxTensor; what: string }
  | { kind: 'pad'; source: ValueId; pads: Pads; node: string }
  | { kind: 'scaled'; source: ValueId; scale: number; node: string }
  | { kind: 'matmul'; source: ValueId; weight: Float32Array; weightName: string; outFeatures: number; node: string; id?: ValueId }
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

  constructor(readonly opset: number, readonly readExternal: ExternalDataReader | undefined) {}

  /** A node name unused so far (ONNX node names may be empty or repeated). */
  uniqueNodeName(base: string): string {
    let name = base;
    for (let k = 2; this.nodeNames.has(name); k++) name = `${base}_${k}`;
    this.nodeNames.add(name);
    return name;
  }

  /** Registers `data` as a Graph weight named after its initializer (suffixed when shared). */
  addWeight(base: string, data: Float32Array): string {
    let name = base === '' ? 'weight' : base;
    for (let k = 2; this.weights.has(name); k++) name = `${base}#${k}`;
    this.weights.set(name, data);
    return name;
  }

  /** Whether value `v` can never be negative (so zero padding equals −∞ padding for max pooling). */
  nonNegative(v: ValueId): boolean {
    const node = this.g.node(v);
    switch (node.kind) {
      case 'relu':
      case 'softmax':
        return true;
      case 'maxPool':
      case 'avgPool':
      case 'globalAvgPool':
      case 'concat':
        return node.inputs.every((x) => this.nonNegative(x));
      default:
        return false;
    }
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

  int(name: string, fallback: number): number {
    const a = this.typed(name, AttrType.INT);
    const v = a === undefined ? fallback : (a.i ?? 0);
    if (!Number.isSafeInteger(v)) throw this.fail(`attribute '${name}' = ${v} is out of range`);
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

  ints(name: string, fallback: readonly number[] | undefined): number[] | undefined {
    const a = this.typed(name, AttrType.INTS);
    if (a === undefined) return fallback === undefined ? undefined : [...fallback];
    for (const v of a.ints) if (!Number.isSafeInteger(v)) throw this.fail(`attribute '${name}' holds ${v}, out of range`);
    return [...a.ints];
  }

  /** An INTS attribute of exactly `length` integers, each ≥ `min`. */
  intList(name: string, length: number, min: number, fallback?: readonly number[]): number[] {
    const v = this.ints(name, fallback);
    if (v === undefined) throw this.fail(`attribute '${name}' is required`);
    if (v.length !== length || v.some((x) => x < min)) {
      throw this.fail(`attribute '${name}' = [${v.join(', ')}] must be ${length} integers ≥ ${min} (2-D ops only)`);
    }
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

  floats(t: OnnxTensor, what: string): Float32Array {
    try {
      return tensorToFloat32(t, `${what} '${t.name}' of node '${this.name}'`, this.imp.readExternal);
    } catch (e) {
      throw e instanceof Error ? this.fail(e.message) : e;
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
