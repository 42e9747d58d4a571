/**
 * An int8 session → a QDQ ONNX model (IR 7, opset 13: per-axis Quantize/DequantizeLinear need
 * ≥ 13) of the computation its int8 program does, in the pattern onnxruntime's `quantize_static`
 * writes, so onnxruntime runs the convs with its integer kernels (QLinearConv, QGemm):
 *
 *   writeFileSync('v3-int8.onnx', session.exportOnnx());
 *
 * Written from the engine op list after the passes and int8 lowering (`compiled.ops`, program
 * order), not from the graph's nodes: BatchNorm is folded, activations and residuals sit in conv
 * epilogues, sibling 1×1 convs are separate Convs again.
 *  - Input `input` float NCHW `[batch, C, H, W]`, main output `logits` float, as the f32 exporter
 *    (export.ts); further graph outputs keep their node names (float; a u8 one is dequantized).
 *  - A u8 value is a uint8 tensor at its quantisation (`compiled.int8.values`), made by
 *    QuantizeLinear (a `quantize` op, a u8 conv's epilogue), MaxPool on uint8, Flatten, the
 *    average pools below, or Concat of the uint8 slices of a concat the passes turned into
 *    aliases (the slices share one quantisation, so that Concat is exact). Each float reader
 *    gets a DequantizeLinear of its own.
 *  - A u8 conv/FC part: Conv (explicit pads, strides) or Gemm (transB 1) of DQ(input),
 *    DQ(W int8 [O, I, kh, kw] / [O, I], scale sW [O], zero int8 0, axis 0) and
 *    DQ(B int32 [O], scale sIn·sW [O], zero 0, axis 0); the fused residual as
 *    Add(Mul(conv, r), DQ(residual)); the clamp (Relu for [0, ∞), Clip otherwise); QuantizeLinear
 *    at the output's params, or none for a part written as f32. W and B are read back from the
 *    packed panels in the arena (`unpackI8Panels`), sW from `compiled.int8.layers`.
 *  - A u8 average pool in integer form (`writeU8AvgPool`), not DQ → AveragePool → Q.
 *  - f32 ops: their op module's `onnx` emitter on float tensors; a standalone BatchNorm as
 *    Mul/Add by its packed scale/shift and a depthwise conv with its packed taps (read back from
 *    the arena, as the program uses them); add, clamp and copy-concat as in the f32 exporter.
 *
 * onnxruntime (1.30, CPU) then reproduces the engine's u8 values bit for bit (pack-int8.ts
 * evaluates the requantize factor f32(f32(sIn·sW)/sOut) in onnxruntime's order), but for a
 * residual conv (Conv → Mul → Add → Q does not fuse), which it sums in float.
 */

import type { Arena } from '../bindings/arena.js';
import { I8_GEMM_NR, I8_PANEL_HEAD_BYTES, i8PanelBytes, packedI8GemmBytes } from '../bindings/kernels/int8.js';
import type { Clamp, Step } from '../bindings/program.js';
import { gemmDims } from '../graph/algorithm.js';
import type { Graph } from '../graph/graph.js';
import type { CompiledInt8Graph } from '../graph/int8/compile-int8.js';
import type { Int8Layer } from '../graph/int8/pack-int8.js';
import type { ConvNode, ValueId } from '../graph/nodes.js';
import { opOutputs, type ConvPart, type Op } from '../graph/ops.js';
import { opDef } from '../ops/index.js';
import type { OnnxAttr, OnnxEmitter } from '../ops/op-def.js';
import { EXPORT_IR_VERSION, EXPORT_OPSET, OnnxExportError, onnxAttribute, onnxDims } from './export.js';
import { DataType, encodeModel, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-proto.js';
import { float32Tensor } from './tensor.js';

export interface QdqExportSource {
  graph: Graph;
  compiled: CompiledInt8Graph;
  /** The session's memory: the packed int8 panels are read back from it. */
  arena: Arena;
}

/** Packed i8_gemm panels read back in the layouts i8_pack_gemm_weights took them in. */
export interface UnpackedI8Weights {
  /** OIHW `[outChannels][inChannels][kernelH][kernelW]` (FC `[out][in]`). */
  weights: Int8Array;
  /** `[outChannels]`, at the accumulator's scale. */
  bias: Int32Array;
  /** `[outChannels]` Σ_k W[k][o] as packed (equal to the sum of `weights` unless the panels are corrupt). */
  colSums: Int32Array;
  /** `[outChannels]` requantize factors. */
  scales: Float32Array;
}

/**
 * The inverse of i8_pack_gemm_weights (assembly/i8-pack.ts) for columns o < outChannels.
 *
 *   packed: ceil(outChannels / 8) panels of I8_PANEL_HEAD_BYTES + 16·ceil(K/2) bytes, K = kernelH·kernelW·inChannels:
 *           bias i32[8], colSum i32[8], scale f32[8], qSum i32[8] (little-endian), then [ceil(K/2)][8][2] i8
 *           (GEMM row k, column j at byte 16·⌊k/2⌋ + 2j + (k & 1));
 *   GEMM row k = (ky·kernelW + kx)·inChannels + ci  ↔  weights[o][ci][ky][kx].
 * The padding columns and an odd K's last half pair are not read. Throws unless `packed` holds
 * at least the panels' bytes.
 */
export function unpackI8Panels(
  packed: Uint8Array, outChannels: number, inChannels: number, kernelH: number, kernelW: number,
): UnpackedI8Weights {
  const depth = kernelH * kernelW * inChannels;
  const panelBytes = i8PanelBytes(depth);
  if (packed.length < packedI8GemmBytes(outChannels, depth)) {
    throw new RangeError(`inception-wasm: ${packed.length} bytes hold fewer than the ${packedI8GemmBytes(outChannels, depth)} of ${outChannels} columns of depth ${depth}`);
  }
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const weights = new Int8Array(outChannels * depth);
  const bias = new Int32Array(outChannels);
  const colSums = new Int32Array(outChannels);
  const scales = new Float32Array(outChannels);
  const taps = kernelH * kernelW;
  for (let o = 0; o < outChannels; o++) {
    const panel = Math.floor(o / I8_GEMM_NR) * panelBytes;
    const j = o % I8_GEMM_NR;
    bias[o] = view.getInt32(panel + 4 * j, true);
    colSums[o] = view.getInt32(panel + 32 + 4 * j, true);
    scales[o] = view.getFloat32(panel + 64 + 4 * j, true);
    const column = panel + I8_PANEL_HEAD_BYTES + 2 * j;
    for (let tap = 0; tap < taps; tap++) {
      for (let ci = 0; ci < inChannels; ci++) {
        const k = tap * inChannels + ci;
        weights[(o * inChannels + ci) * taps + tap] = view.getInt8(column + 16 * (k >> 1) + (k & 1));
      }
    }
  }
  return { weights, bias, colSums, scales };
}

function intTensor(name: string, dims: number[], dataType: number, data: Int8Array | Uint8Array | Int32Array): OnnxTensor {
  const raw = new Uint8Array(data.byteLength);
  const view = new DataView(raw.buffer);
  if (data instanceof Int32Array) data.forEach((x, i) => view.setInt32(4 * i, x, true));
  else raw.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { name, dims, dataType, rawData: raw, int32Data: [], int64Data: [], doubleData: [], dataLocation: 0, externalData: [] };
}

const isNoClamp = (c: Clamp) => c.lo === -Infinity && c.hi === Infinity;

/** One ONNX node: its op type, inputs and attributes. */
type NodeSpec = [opType: string, inputs: string[], attrs?: OnnxAttr[]];

/**
 * Names, nodes and initializers of the model being written. Each engine value has one ONNX
 * tensor (uint8 for a u8 value, float otherwise) named after it; intermediate tensors get fresh
 * names derived from the value they lead to.
 */
class QdqWriter {
  readonly nodes: OnnxNode[] = [];
  readonly initializer: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private readonly nodeNames = new Set<string>();
  private readonly names = new Map<ValueId, string>();
  private readonly quantNames = new Map<ValueId, [string, string]>();

  constructor(readonly compiled: CompiledInt8Graph, readonly arena: Arena) {}

  fresh(wanted: string): string {
    let name = wanted;
    for (let k = 2; this.used.has(name); k++) name = `${wanted}_${k}`;
    this.used.add(name);
    return name;
  }

  /** Gives `v` the name `wanted` (made unique); call before anything else names it. */
  reserve(v: ValueId, wanted: string): string {
    if (this.names.has(v)) throw new OnnxExportError(`value '${this.compiled.int8.values.node(v).name}' is named twice`);
    const name = this.fresh(wanted);
    this.names.set(v, name);
    return name;
  }

  name(v: ValueId): string {
    return this.names.get(v) ?? this.reserve(v, this.compiled.int8.values.node(v).name);
  }

  isU8(v: ValueId): boolean {
    return this.compiled.view(v).elementBytes === 1;
  }

  node(opType: string, name: string, inputs: string[], output: string, attrs: OnnxAttr[] = []): void {
    let unique = name;
    for (let k = 2; this.nodeNames.has(unique); k++) unique = `${name}_${k}`;
    this.nodeNames.add(unique);
    this.nodes.push({ name: unique, opType, domain: '', input: inputs, output: [output], attribute: attrs.map(onnxAttribute) });
  }

  /**
   * `first` (node `name`), then each defined stage applied to the previous result; the last node
   * writes `out`, the others fresh tensors named after `out`.
   */
  chain(out: string, name: string, first: NodeSpec, ...next: Array<((x: string) => NodeSpec) | undefined>): void {
    const stages = next.filter((s) => s !== undefined);
    let x = stages.length === 0 ? out : this.fresh(`${out}/${first[0].toLowerCase()}`);
    this.node(first[0], name, first[1], x, first[2]);
    stages.forEach((stage, i) => {
      const [opType, inputs, attrs] = stage(x);
      const y = i === stages.length - 1 ? out : this.fresh(`${out}/${opType.toLowerCase()}`);
      this.node(opType, y, inputs, y, attrs);
      x = y;
    });
  }

  tensor(t: OnnxTensor): string {
    const named = { ...t, name: this.fresh(t.name) };
    this.initializer.push(named);
    return named.name;
  }

  constant(wanted: string, dims: number[], data: ArrayLike<number>): string {
    return this.tensor(float32Tensor(wanted, dims, Float32Array.from(data)));
  }

  /** The scale and zero-point initializers of u8 value `v` (one pair per value). */
  quantParams(v: ValueId): [string, string] {
    let pair = this.quantNames.get(v);
    if (!pair) {
      const q = this.compiled.int8.values.quant(v);
      const base = this.name(v);
      pair = [this.constant(`${base}_scale`, [], [q.scale]), this.tensor(intTensor(`${base}_zero_point`, [], DataType.UINT8, Uint8Array.of(q.zeroPoint)))];
      this.quantNames.set(v, pair);
    }
    return pair;
  }

  /** QuantizeLinear into u8 value `v`, at its params. */
  quantize(v: ValueId): (x: string) => NodeSpec {
    return (x) => ['QuantizeLinear', [x, ...this.quantParams(v)]];
  }

  /** A DequantizeLinear of u8 value `v` for one consumer; returns the float tensor. */
  dequantize(v: ValueId): string {
    const out = this.fresh(`${this.name(v)}/dq`);
    this.node('DequantizeLinear', out, [this.name(v), ...this.quantParams(v)], out);
    return out;
  }

  /** Per-axis (axis 0) DequantizeLinear of an integer initializer; returns the float tensor. */
  dequantizeAxis0(name: string, data: Int8Array | Int32Array, dims: number[], scales: ArrayLike<number>): string {
    const type = data instanceof Int8Array ? DataType.INT8 : DataType.INT32;
    const zeros = data instanceof Int8Array ? new Int8Array(dims[0]) : new Int32Array(dims[0]);
    const out = this.fresh(`${name}_dequantized`);
    this.node('DequantizeLinear', out, [
      this.tensor(intTensor(`${name}_quantized`, dims, type, data)), this.constant(`${name}_scale`, [dims[0]], scales),
      this.tensor(intTensor(`${name}_zero_point`, [dims[0]], type, zeros)),
    ], out, [{ name: 'axis', int: 0 }]);
    return out;
  }

  /** The clamp as a stage: Relu for [0, ∞), Clip (infinite bounds left out) otherwise; none for (−∞, ∞). */
  clamp(c: Clamp, name: string): ((x: string) => NodeSpec) | undefined {
    if (isNoClamp(c)) return undefined;
    if (c.lo === 0 && c.hi === Infinity) return (x) => ['Relu', [x]];
    return (x) => {
      const bound = (b: number, suffix: string) => (Number.isFinite(b) ? this.constant(`${name}.${suffix}`, [], [b]) : '');
      const inputs = [x, bound(c.lo, 'min'), bound(c.hi, 'max')];
      while (inputs[inputs.length - 1] === '') inputs.pop();
      return ['Clip', inputs];
    };
  }

  /** The emitter an op module writes through, with its node's values renamed by `map`. */
  emitter(map: ReadonlyMap<ValueId, string>): OnnxEmitter {
    return {
      value: (v) => {
        const n = map.get(v);
        if (n === undefined) throw new OnnxExportError(`value '${this.compiled.int8.values.node(v).name}' has no tensor here`);
        return n;
      },
      fresh: (wanted) => this.fresh(wanted),
      constant: (wanted, shape, data) => this.constant(wanted, shape, data),
      node: (opType, name, inputs, output, attrs) => this.node(opType, name, inputs, output, attrs),
      shape: (v) => this.compiled.int8.values.shape(v),
      fail: (message) => new OnnxExportError(message),
    };
  }

  /** A NodeOp's module emitter, its input and output renamed. */
  emitNodeOp(op: Extract<Op, { node: unknown }>, input: string, output: string): void {
    opDef(op.node).onnx(op.node as never, this.emitter(new Map([[op.node.inputs[0]!, input], [op.node.id, output]])));
  }
}

function convAttrs(layer: ConvNode): OnnxAttr[] {
  const p = layer.pads;
  return [
    { name: 'dilations', ints: [1, 1] }, { name: 'group', int: layer.groups }, { name: 'kernel_shape', ints: [layer.kernelH, layer.kernelW] },
    { name: 'pads', ints: [p.top, p.left, p.bottom, p.right] }, { name: 'strides', ints: [layer.strideH, layer.strideW] },
  ];
}

/** One quantized conv/FC part: DQ → Conv/Gemm → [Mul r, Add DQ(residual)] → clamp → [Q]. */
function writeI8ConvPart(w: QdqWriter, input: ValueId, part: ConvPart, layer: Int8Layer): void {
  const node = part.layer;
  const [outChannels, inChannels, kernelH, kernelW] = gemmDims(node);
  if (node.kind === 'conv' && node.groups !== 1) throw new OnnxExportError(`int8 conv '${node.name}' has ${node.groups} groups; u8 convs are dense`);
  if (outChannels !== layer.outChannels || kernelH * kernelW * inChannels !== layer.depth) {
    throw new OnnxExportError(`int8 layer '${layer.name}' records ${layer.outChannels}×${layer.depth}, its node is ${outChannels}×${kernelH * kernelW * inChannels}`);
  }
  const packed = unpackI8Panels(
    w.arena.u8(layer.panels, packedI8GemmBytes(outChannels, layer.depth)), outChannels, inChannels, kernelH, kernelW,
  );
  // The panels' own checksum: a wrong arena offset or layout shows here, not as wrong logits.
  for (let o = 0; o < outChannels; o++) {
    let sum = 0;
    for (let i = o * layer.depth; i < (o + 1) * layer.depth; i++) sum += packed.weights[i];
    if (sum !== packed.colSums[o]) throw new OnnxExportError(`int8 layer '${layer.name}': packed column ${o} sums to ${sum}, its head says ${packed.colSums[o]}`);
  }
  if (w.isU8(part.output) !== (layer.output8 !== undefined)) {
    throw new OnnxExportError(`int8 layer '${layer.name}': its output is ${w.isU8(part.output) ? 'u8' : 'f32'}, its epilogue writes the other`);
  }
  const residual = part.residual;
  if (residual && layer.residualScale !== residual.scale) throw new OnnxExportError(`int8 layer '${layer.name}': residual scale ${layer.residualScale} ≠ ${residual.scale}`);
  const sIn = layer.input.scale;
  const sW = layer.weightScales;
  const weight = w.dequantizeAxis0(node.weight, packed.weights, node.kind === 'fc' ? [outChannels, inChannels] : [outChannels, inChannels, kernelH, kernelW], sW);
  const bias = w.dequantizeAxis0(node.bias ?? `${node.name}.bias`, packed.bias, [outChannels], sW.map((s) => Math.fround(sIn * s)));
  const inputs = [w.dequantize(input), weight, bias];
  w.chain(
    w.name(part.output), node.name,
    node.kind === 'fc' ? ['Gemm', inputs, [{ name: 'alpha', float: 1 }, { name: 'beta', float: 1 }, { name: 'transB', int: 1 }]] : ['Conv', inputs, convAttrs(node)],
    residual && ((x) => ['Mul', [x, w.constant(`${node.name}.residual_scale`, [], [residual.scale])]]),
    residual && ((x) => ['Add', [x, w.dequantize(residual.value)]]),
    w.clamp(part.clamp, node.name),
    layer.output8 && w.quantize(part.output),
  );
}

/** The step of kind `kind` among op `index`'s steps (its packed f32 weights are read from it). */
function stepOf<K extends Step['kind']>(compiled: CompiledInt8Graph, index: number, kind: K): Extract<Step, { kind: K }> {
  const s = compiled.program.steps.find((x, i) => compiled.stepOps[i] === index && x.kind === kind);
  if (!s) throw new OnnxExportError(`op '${compiled.ops[index].name}' has no '${kind}' step`);
  return s as Extract<Step, { kind: K }>;
}

/** An op that runs on f32 values (`index` in compiled.ops). */
function writeF32Op(w: QdqWriter, op: Op, index: number): void {
  const { compiled, arena } = w;
  switch (op.kind) {
    case 'conv': {
      // Only a depthwise conv stays f32 (INT8_FORMS): its taps and bias as the program reads them.
      const part = op.parts[0];
      const layer = part.layer;
      if (op.parts.length !== 1 || layer.kind !== 'conv' || layer.groups === 1 || part.residual) {
        throw new OnnxExportError(`f32 conv op '${op.name}' in an int8 program: only a depthwise conv without a residual runs in f32`);
      }
      const s = stepOf(compiled, index, 'dwconv');
      const out = layer.outChannels;
      const taps = layer.kernelH * layer.kernelW;
      const packed = arena.f32(s.weightsOffset, taps * out);
      const weight = new Float32Array(out * taps);
      for (let o = 0; o < out; o++) for (let t = 0; t < taps; t++) weight[o * taps + t] = packed[t * out + o];
      const inputs = [w.name(op.input), w.constant(`${layer.weight}_folded`, [out, 1, layer.kernelH, layer.kernelW], weight)];
      if (s.biasOffset !== 0) inputs.push(w.constant(`${layer.bias ?? `${layer.name}.bias`}_folded`, [out], arena.f32(s.biasOffset, out)));
      return w.chain(w.name(part.output), layer.name, ['Conv', inputs, convAttrs(layer)], w.clamp(part.clamp, layer.name));
    }
    case 'batchNorm': {
      // The packed scale/shift (folded in f64, rounded once), as the step applies them.
      const s = stepOf(compiled, index, 'batchNorm');
      const c = op.node.channels;
      const dims = compiled.int8.values.shape(op.input).length === 4 ? [c, 1, 1] : [c];
      return w.chain(
        w.name(op.output), op.name, ['Mul', [w.name(op.input), w.constant(`${op.name}.folded_scale`, dims, arena.f32(s.scaleOffset, c))]],
        (x) => ['Add', [x, w.constant(`${op.name}.folded_shift`, dims, arena.f32(s.shiftOffset, c))]],
        w.clamp(op.clamp, op.name),
      );
    }
    case 'add': {
      let b = w.name(op.b);
      if (op.scale !== 1) {
        b = w.fresh(`${w.name(op.output)}/scaled`);
        w.node('Mul', b, [w.name(op.b), w.constant(`${op.name}.scale`, [], [op.scale])], b);
      }
      return w.chain(w.name(op.output), op.name, ['Add', [w.name(op.a), b]], w.clamp(op.clamp, op.name));
    }
    case 'clamp': {
      const stage = w.clamp(op.clamp, op.name);
      return w.chain(w.name(op.output), op.name, stage ? stage(w.name(op.input)) : ['Identity', [w.name(op.input)]]);
    }
    case 'concat':
      return w.node('Concat', op.name, op.inputs.map((v) => w.name(v)), w.name(op.output), [{ name: 'axis', int: 1 }]);
    case 'flatten':
    case 'quantize':
    case 'dequantize':
      throw new OnnxExportError(`op '${op.name}' (${op.kind}) has no f32 form of its own`);
    default:
      // lrn, softmax: the op module's own ONNX on the op's (possibly converted) values.
      return w.emitNodeOp(op, w.name(op.input), w.name(op.output));
  }
}

/**
 * A u8 average pool as the kernel computes it: the mean of the codes rounded half up,
 * ⌊(2S + count)/(2·count)⌋ (u8-pool.ts), with a padded tap counted as the zero point. In ONNX on
 * centred codes d = q − zp (a padded tap is 0, as AveragePool pads): Cast → Sub(zp) →
 * AveragePool/GlobalAveragePool → Floor(m + 0.5) → Add(zp) → Cast uint8. Exact in f32: the sums
 * are small integers and a mean that is not a half lies at least 1/(2·count) from one.
 * DQ → AveragePool → Q would round half to even instead, and onnxruntime fuses that into
 * QLinearAveragePool, which disagrees with its own AveragePool on ceil_mode windows.
 */
function writeU8AvgPool(w: QdqWriter, op: Extract<Op, { kind: 'avgPool' | 'globalAvgPool' }>): void {
  const out = w.name(op.output);
  const zero = w.constant(`${out}.zero_point_float`, [], [w.compiled.int8.values.quant(op.input).zeroPoint]);
  const centred = w.fresh(`${out}/centred`);
  w.chain(centred, `${out}/codes`, ['Cast', [w.name(op.input)], [{ name: 'to', int: DataType.FLOAT }]], (x) => ['Sub', [x, zero]]);
  const mean = w.fresh(`${out}/mean`);
  w.emitNodeOp(op, centred, mean);
  w.chain(
    out, `${out}/round`, ['Add', [mean, w.constant(`${out}.half`, [], [0.5])]],
    (x) => ['Floor', [x]], (x) => ['Add', [x, zero]], (x) => ['Cast', [x], [{ name: 'to', int: DataType.UINT8 }]],
  );
}

/** An op that runs on u8 values. */
function writeU8Op(w: QdqWriter, op: Op, layers: ReadonlyMap<ValueId, Int8Layer>): void {
  switch (op.kind) {
    case 'conv':
      for (const part of op.parts) {
        const layer = layers.get(part.output);
        if (!layer) throw new OnnxExportError(`int8 conv '${op.name}': no quantized layer writes '${w.name(part.output)}'`);
        writeI8ConvPart(w, op.input, part, layer);
      }
      return;
    case 'maxPool':
      // The max of uint8 codes is the code of the max: MaxPool runs on uint8 directly.
      return w.emitNodeOp(op, w.name(op.input), w.name(op.output));
    case 'avgPool':
    case 'globalAvgPool':
      return writeU8AvgPool(w, op);
    default:
      throw new OnnxExportError(`op '${op.name}' (${op.kind}) has no u8 form`);
  }
}

/** The QDQ model of an int8 session's program, as objects (see the module comment). */
export function qdqOnnxModel(source: QdqExportSource): OnnxModel {
  const { graph, compiled, arena } = source;
  const { values, layers, u8Ops } = compiled.int8;
  if (graph.inputs.length !== 1) throw new OnnxExportError(`the graph has ${graph.inputs.length} inputs; export needs exactly one`);
  const w = new QdqWriter(compiled, arena);
  const input = graph.inputs[0];
  // lower-int8.ts appends the f32 copy of a u8 main output to the outputs: that is what run() returns.
  const main = values.outputs.length > graph.outputs.length ? values.outputs[values.outputs.length - 1] : graph.output;
  w.reserve(input, 'input');
  w.reserve(main, 'logits');
  if (w.isU8(input) || w.isU8(main)) throw new OnnxExportError('the int8 program reads or returns u8 values at its boundary');

  const layerOf = new Map(layers.map((l) => [l.output, l]));
  const produced = new Set<ValueId>([input]);
  // Concats the passes turned into channel-slice aliases: no op writes them; their slices do.
  const written = new Set(compiled.ops.flatMap(opOutputs));
  const pending = graph.nodes.filter((n) => n.kind === 'concat' && !written.has(n.id));
  const flushConcats = () => {
    for (let again = true; again;) {
      again = false;
      for (let i = 0; i < pending.length; i++) {
        const n = pending[i];
        if (!n.inputs.every((v) => produced.has(v))) continue;
        const root = compiled.view(n.id);
        let channel = 0;
        for (const v of n.inputs) {
          const slice = compiled.view(v);
          if (slice.offset !== root.offset + channel * (root.elementBytes ?? 4) || w.isU8(v) !== w.isU8(n.id)) {
            throw new OnnxExportError(`concat '${n.name}': input '${graph.node(v).name}' is not its channel slice at ${channel}`);
          }
          channel += slice.channels;
        }
        w.node('Concat', n.name, n.inputs.map((v) => w.name(v)), w.name(n.id), [{ name: 'axis', int: 1 }]);
        produced.add(n.id);
        pending.splice(i--, 1);
        again = true;
      }
    }
  };

  compiled.ops.forEach((op, i) => {
    if (op.kind === 'quantize') w.chain(w.name(op.output), op.name, w.quantize(op.output)(w.name(op.input)));
    else if (op.kind === 'dequantize') w.node('DequantizeLinear', op.name, [w.name(op.input), ...w.quantParams(op.input)], w.name(op.output));
    else if (op.kind === 'flatten') w.node('Flatten', op.name, [w.name(op.input)], w.name(op.output), [{ name: 'axis', int: 1 }]);
    else if (u8Ops.has(op)) writeU8Op(w, op, layerOf);
    else writeF32Op(w, op, i);
    for (const v of opOutputs(op)) produced.add(v);
    flushConcats();
  });
  if (pending.length > 0) throw new OnnxExportError(`concat '${pending[0].name}': not every slice is written`);

  const outputs = [main, ...graph.outputs.filter((v) => v !== graph.output)].map((v) => {
    let name = w.name(v);
    if (w.isU8(v)) {
      name = w.fresh(`${name}_float`);
      w.node('DequantizeLinear', name, [w.name(v), ...w.quantParams(v)], name);
    }
    return { name, elemType: DataType.FLOAT, shape: onnxDims(values.shape(v), 'batch') };
  });
  const graphInput = { name: w.name(input), elemType: DataType.FLOAT, shape: onnxDims(graph.shape(input), 'batch') };
  return {
    irVersion: EXPORT_IR_VERSION, opsetImport: [{ domain: '', version: EXPORT_OPSET }], producerName: 'inception-wasm', producerVersion: '',
    graph: {
      name: 'inception-wasm-int8', node: w.nodes, initializer: w.initializer, sparseInitializers: 0, input: [graphInput], output: outputs, valueInfo: [],
    },
  };
}

/** Encodes the QDQ model of an int8 session (see the module comment). */
export function exportQdqOnnx(source: QdqExportSource): Uint8Array {
  return encodeModel(qdqOnnxModel(source));
}
