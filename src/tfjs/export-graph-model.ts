/**
 * Graph + weights → a TF.js graph model (`model.json` + one float32/int32 weight shard) written the
 * way tensorflowjs_converter writes a frozen Keras/TF network after its optimisation, so that
 * `tf.loadGraphModel` runs it and tfjs apps can use it:
 *
 *   const { modelJson, weightData } = exportGraphModel(graph, weights);
 *   writeFileSync('out/model.json', JSON.stringify(modelJson));
 *   writeFileSync(`out/${GRAPH_MODEL_SHARD}`, weightData);
 *
 * - NHWC. Input Placeholder `[-1, H, W, C]` under the input node's name; the signature names the
 *   input and every output.
 * - conv (+ the BatchNorm it alone feeds, folded into filter and bias: w·γ/√(var+ε),
 *   (b − mean)·γ/√(var+ε) + β) (+ the ReLU it alone feeds) → `_FusedConv2D` / `FusedDepthwiseConv2dNative`
 *   with fused_ops [BiasAdd(, Relu | Relu6)], or plain `Conv2D` without bias; padding VALID, SAME where the
 *   resolved pads are TF's, else EXPLICIT (a depthwise conv: a Pad node before a VALID conv).
 * - maxPool → MaxPool (SAME/VALID, else PadV2 with the lowest float, which never wins a max);
 *   avgPool → AvgPool (SAME/VALID when TF's divisor is the node's; count_include_pad pads by a zero
 *   Pad, whose zeros AvgPool then counts); ceil mode adds bottom/right padding where exact.
 * - globalAvgPool → Mean over [1, 2] (keep_dims false when a flatten alone follows); flatten of a
 *   1×1 map → Reshape [-1, C]; fc → `_FusedMatMul` (kernel [in, out], BiasAdd(, Relu | Relu6)) or MatMul;
 *   add(x, y, s) → AddV2(x, Mul(y, s)); standalone batchNorm → FusedBatchNormV3; lrn → LRN
 *   (odd window; TF's alpha = ours / size); concat → ConcatV2 on axis 3; relu, softmax as such;
 *   clamp [0, 6] → Relu6 ([0, +∞) → Relu), other bounds → Maximum(x, lo) then Minimum(·, hi) with
 *   scalar Consts (an infinite bound left out).
 * Anything TF.js cannot express exactly (adaptiveAvgPool, flatten of a larger map, a ceil-mode
 * average pool whose divisor TF cannot reproduce) is an error naming the node.
 */
import type { Graph } from '../graph/graph.js';
import { samePads, type Pads } from '../graph/geometry.js';
import type { BatchNormNode, ClampNode, ConvNode, GraphNode, NodeKind, NodeOf, ValueId } from '../graph/nodes.js';
import { assertNever } from '../util/assert-never.js';

/** The file name of the single weight shard `model.json` refers to. */
export const GRAPH_MODEL_SHARD = 'group1-shard1of1.bin';

export class GraphModelExportError extends Error {
  override name = 'GraphModelExportError';
}

export interface GraphModelArtifacts {
  /** The `model.json` object (JSON.stringify it to write the file). */
  modelJson: Record<string, unknown>;
  /** The weight shard: every constant of the manifest back to back. */
  weightData: Uint8Array;
}

type Attr = Record<string, unknown>;
interface TfNode { name: string; op: string; input: string[]; attr: Record<string, Attr> }

const b64 = (s: string) => btoa(s);
const str = (s: string): Attr => ({ s: b64(s) });
const int = (i: number): Attr => ({ i: String(i) });
const ints = (v: readonly number[]): Attr => ({ list: { i: v.map(String) } });
const strs = (v: readonly string[]): Attr => ({ list: { s: v.map(b64) } });
const FLOAT: Attr = { type: 'DT_FLOAT' };
const dims = (shape: readonly number[]) => ({ dim: shape.map((d) => ({ size: String(d) })) });
/** The TF op of an activation node that has one (fusable into `_FusedConv2D` / `_FusedMatMul`), else undefined. */
function tfActivation(node: GraphNode): 'Relu' | 'Relu6' | undefined {
  if (node.kind === 'relu') return 'Relu';
  if (node.kind === 'clamp' && node.lo === 0) return node.hi === 6 ? 'Relu6' : node.hi === Infinity ? 'Relu' : undefined;
  return undefined;
}

/** The lowest finite float32 (PadV2's value before a max pool). */
const LOWEST = -3.4028234663852886e38;

export function exportGraphModel(g: Graph, weights: ReadonlyMap<string, Float32Array>): GraphModelArtifacts {
  return new Exporter(g, weights).run();
}

class Exporter {
  private readonly nodes: TfNode[] = [];
  private readonly manifest: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[] = [];
  private readonly chunks: Uint8Array[] = [];
  private readonly names = new Set<string>();
  /** TF node name holding each graph value (a fused conv's value is held by the conv). */
  private readonly valueName = new Map<ValueId, string>();
  private readonly skip = new Set<ValueId>();
  private readonly consumers = new Map<ValueId, GraphNode[]>();

  constructor(private readonly g: Graph, private readonly weights: ReadonlyMap<string, Float32Array>) {
    for (const node of g.nodes) for (const v of node.inputs) this.consumers.set(v, [...(this.consumers.get(v) ?? []), node]);
  }

  run(): GraphModelArtifacts {
    for (const node of this.g.nodes) if (!this.skip.has(node.id)) this.emit(node);
    const entry = (v: ValueId) => {
      const name = this.value(v);
      return [name, { name: `${name}:0`, dtype: 'DT_FLOAT', tensorShape: dims(this.g.shape(v).map((d, i) => (i === 0 ? -1 : d))) }];
    };
    const total = this.chunks.reduce((s, c) => s + c.byteLength, 0);
    const weightData = new Uint8Array(total);
    let offset = 0;
    for (const c of this.chunks) {
      weightData.set(c, offset);
      offset += c.byteLength;
    }
    return {
      modelJson: {
        format: 'graph-model',
        generatedBy: 'inception-wasm',
        convertedBy: 'inception-wasm exportGraphModel',
        signature: { inputs: Object.fromEntries(this.g.inputs.map(entry)), outputs: Object.fromEntries(this.g.outputs.map(entry)) },
        modelTopology: { node: this.nodes, library: {}, versions: { producer: 1286 } },
        weightsManifest: [{ paths: [GRAPH_MODEL_SHARD], weights: this.manifest }],
      },
      weightData,
    };
  }

  private fail(node: GraphNode, message: string): GraphModelExportError {
    return new GraphModelExportError(`${node.kind} '${node.name}': ${message}`);
  }

  /** A TF node name from `wanted`: characters TF rejects become '_', and a taken name gets a suffix. */
  private fresh(wanted: string): string {
    const base = wanted.replace(/[^A-Za-z0-9_.\-/]/g, '_').replace(/^[^A-Za-z0-9.]/, 'n');
    let name = base;
    for (let k = 1; this.names.has(name); k++) name = `${base}_${k}`;
    this.names.add(name);
    return name;
  }

  private value(v: ValueId): string {
    const name = this.valueName.get(v);
    if (name === undefined) throw new GraphModelExportError(`value of '${this.g.node(v).name}' was not emitted`);
    return name;
  }

  private add(op: string, wanted: string, input: string[], attr: Record<string, Attr> = {}): string {
    const name = this.fresh(wanted);
    this.nodes.push({ name, op, input, attr });
    return name;
  }

  private constant(wanted: string, shape: number[], data: Float32Array | Int32Array): string {
    const dtype = data instanceof Int32Array ? 'int32' : 'float32';
    const name = this.add('Const', wanted, [], {
      value: { tensor: { dtype: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT', tensorShape: dims(shape) } },
      dtype: { type: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' },
    });
    this.manifest.push({ name, shape, dtype });
    this.chunks.push(new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)));
    return name;
  }

  private weight(node: GraphNode, name: string | undefined): Float32Array | undefined {
    if (name === undefined) return undefined;
    const w = this.weights.get(name);
    if (w === undefined) throw this.fail(node, `weight '${name}' is missing`);
    return w;
  }

  /** The single consumer of `v` when it has kind `kind` and `v` is not an output. */
  private sole<K extends NodeKind>(v: ValueId, kind: K): NodeOf<K> | undefined {
    const c = this.consumers.get(v) ?? [];
    return c.length === 1 && c[0]!.kind === kind && !this.g.outputs.includes(v) ? (c[0] as NodeOf<K>) : undefined;
  }

  /** The activation (relu, or a clamp TF has a fused form of) that alone consumes `v`, which is not an output. */
  private soleActivation(v: ValueId): { node: GraphNode; op: 'Relu' | 'Relu6' } | undefined {
    const node = this.sole(v, 'relu') ?? this.sole(v, 'clamp');
    const op = node && tfActivation(node);
    return node && op ? { node, op } : undefined;
  }

  /** A standalone clamp: Relu6 / Relu where it is one, else Maximum then Minimum by scalar Consts. */
  private clamp(node: ClampNode, x: string): string {
    const op = tfActivation(node);
    if (op) return this.add(op, node.name, [x], { T: FLOAT });
    let y = x;
    if (node.lo !== -Infinity) {
      const lo = this.constant(`${node.name}/lo`, [], Float32Array.of(node.lo));
      y = this.add('Maximum', node.hi === Infinity ? node.name : `${node.name}/max`, [y, lo], { T: FLOAT });
    }
    if (node.hi !== Infinity) y = this.add('Minimum', node.name, [y, this.constant(`${node.name}/hi`, [], Float32Array.of(node.hi))], { T: FLOAT });
    return y;
  }

  private emit(node: GraphNode): void {
    const x = () => this.value(node.inputs[0]!);
    const set = (name: string) => this.valueName.set(node.id, name);
    switch (node.kind) {
      case 'input': {
        const [, h, w, c] = node.shape;
        set(this.add('Placeholder', node.name, [], { dtype: FLOAT, shape: { shape: dims([-1, h!, w!, c!]) } }));
        return;
      }
      case 'conv':
        this.conv(node);
        return;
      case 'batchNorm': {
        const c = node.channels;
        const vec = (name: string | undefined, fill: number, suffix: string) =>
          this.constant(`${node.name}/${suffix}`, [c], this.weight(node, name) ?? new Float32Array(c).fill(fill));
        set(this.add('FusedBatchNormV3', node.name, [
          x(), vec(node.gamma, 1, 'gamma'), vec(node.beta, 0, 'beta'), vec(node.mean, 0, 'moving_mean'), vec(node.var, 1, 'moving_variance'),
        ], { T: FLOAT, U: FLOAT, epsilon: { f: node.eps }, is_training: { b: false }, data_format: str('NHWC') }));
        return;
      }
      case 'relu':
        set(this.add('Relu', node.name, [x()], { T: FLOAT }));
        return;
      case 'clamp':
        set(this.clamp(node, x()));
        return;
      case 'maxPool':
      case 'avgPool':
        set(this.pool(node));
        return;
      case 'globalAvgPool': {
        const flat = this.sole(node.id, 'flatten');
        const axes = this.constant(`${node.name}/reduction_indices`, [2], Int32Array.of(1, 2));
        const name = this.add('Mean', node.name, [x(), axes], { T: FLOAT, Tidx: { type: 'DT_INT32' }, keep_dims: { b: flat === undefined } });
        set(name);
        if (flat) {
          this.skip.add(flat.id);
          this.valueName.set(flat.id, name);
        }
        return;
      }
      case 'adaptiveAvgPool':
        throw this.fail(node, 'has no TF.js form (only training-only aux heads use it: build the network without aux heads)');
      case 'lrn': {
        if (node.size % 2 !== 1) throw this.fail(node, `window ${node.size} is even; TF's LRN window is 2·radius + 1`);
        set(this.add('LRN', node.name, [x()], {
          T: FLOAT, depth_radius: int((node.size - 1) / 2), bias: { f: node.k }, alpha: { f: node.alpha / node.size }, beta: { f: node.beta },
        }));
        return;
      }
      case 'concat': {
        const axis = this.constant(`${node.name}/axis`, [], Int32Array.of(3));
        set(this.add('ConcatV2', node.name, [...node.inputs.map((v) => this.value(v)), axis], { T: FLOAT, N: int(node.inputs.length), Tidx: { type: 'DT_INT32' } }));
        return;
      }
      case 'add': {
        let y = this.value(node.inputs[1]!);
        if (node.scale !== 1) {
          const s = this.constant(`${node.name}/scale`, [], Float32Array.of(node.scale));
          y = this.add('Mul', `${node.name}/mul`, [y, s], { T: FLOAT });
        }
        set(this.add('AddV2', node.name, [x(), y], { T: FLOAT }));
        return;
      }
      case 'fc':
        this.fc(node);
        return;
      case 'flatten': {
        const [, h, w, c] = this.g.shape(node.inputs[0]!);
        if (h! * w! !== 1) throw this.fail(node, `flattens a ${h}×${w} map in (C, H, W) order, which has no single TF.js op; only 1×1 maps are exported`);
        set(this.add('Reshape', node.name, [x(), this.constant(`${node.name}/shape`, [2], Int32Array.of(-1, c!))], { T: FLOAT, Tshape: { type: 'DT_INT32' } }));
        return;
      }
      case 'softmax':
        set(this.add('Softmax', node.name, [x()], { T: FLOAT }));
        return;
      default:
        assertNever(node, 'node kind');
    }
  }

  private conv(node: ConvNode): void {
    const bn = this.sole(node.id, 'batchNorm');
    const act = this.soleActivation(bn ? bn.id : node.id);
    const { filter, bias, shape } = this.convTensors(node, bn);
    const depthwise = node.groups > 1;
    const [, inH, inW] = this.g.shape(node.inputs[0]!);
    const p = node.pads;
    let input = this.value(node.inputs[0]!);
    let padding: Record<string, Attr>;
    const [st, sb] = samePads(inH!, node.kernelH, node.strideH);
    const [sl, sr] = samePads(inW!, node.kernelW, node.strideW);
    if (p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0) padding = { padding: str('VALID') };
    else if (p.top === st && p.bottom === sb && p.left === sl && p.right === sr) padding = { padding: str('SAME') };
    else if (!depthwise) padding = { padding: str('EXPLICIT'), explicit_paddings: ints([0, 0, p.top, p.bottom, p.left, p.right, 0, 0]) };
    else {
      input = this.padNode(`${node.name}/pad`, input, p, 0);
      padding = { padding: str('VALID') };
    }
    const inputs = [input, this.constant(`${node.name}/weights`, shape, filter)];
    const common = { T: FLOAT, strides: ints([1, node.strideH, node.strideW, 1]), dilations: ints([1, 1, 1, 1]), data_format: str('NHWC'), ...padding };
    let name: string;
    if (bias === undefined && act === undefined) {
      name = this.add(depthwise ? 'DepthwiseConv2dNative' : 'Conv2D', node.name, inputs, common);
    } else {
      inputs.push(this.constant(`${node.name}/bias`, [node.outChannels], bias ?? new Float32Array(node.outChannels)));
      name = this.add(depthwise ? 'FusedDepthwiseConv2dNative' : '_FusedConv2D', node.name, inputs, {
        ...common, fused_ops: strs(act ? ['BiasAdd', act.op] : ['BiasAdd']), num_args: int(1), epsilon: { f: 0 },
      });
    }
    for (const v of [node.id, bn?.id, act?.node.id]) {
      if (v === undefined) continue;
      this.valueName.set(v, name);
      if (v !== node.id) this.skip.add(v);
    }
  }

  /** Filter in HWIO (depthwise `[kh, kw, C, multiplier]`) and bias, with a following BatchNorm folded in (in double). */
  private convTensors(node: ConvNode, bn: BatchNormNode | undefined): { filter: Float32Array; bias?: Float32Array; shape: number[] } {
    const { outChannels: co, inChannels: ci, kernelH: kh, kernelW: kw, groups } = node;
    if (groups !== 1 && groups !== ci) throw this.fail(node, `groups ${groups} of ${ci} channels: TF.js has dense and depthwise convs only`);
    const w = this.weight(node, node.weight)!;
    const b = this.weight(node, node.bias);
    const scale = new Float64Array(co).fill(1);
    const shift = new Float64Array(co);
    for (let o = 0; o < co; o++) shift[o] = b ? b[o]! : 0;
    if (bn) {
      const mean = this.weight(bn, bn.mean)!, variance = this.weight(bn, bn.var)!;
      const gamma = this.weight(bn, bn.gamma), beta = this.weight(bn, bn.beta);
      for (let o = 0; o < co; o++) {
        const s = (gamma ? gamma[o]! : 1) / Math.sqrt(variance[o]! + bn.eps);
        scale[o] = s;
        shift[o] = (shift[o]! - mean[o]!) * s + (beta ? beta[o]! : 0);
      }
    }
    const filter = new Float32Array(w.length);
    if (groups > 1) {
      const mult = co / ci;
      for (let o = 0; o < co; o++) {
        const c = Math.floor(o / mult), m = o % mult;
        for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) filter[((y * kw + x) * ci + c) * mult + m] = w[(o * kh + y) * kw + x]! * scale[o]!;
      }
    } else {
      for (let o = 0; o < co; o++) {
        for (let i = 0; i < ci; i++) {
          for (let y = 0; y < kh; y++) {
            for (let x = 0; x < kw; x++) filter[((y * kw + x) * ci + i) * co + o] = w[((o * ci + i) * kh + y) * kw + x]! * scale[o]!;
          }
        }
      }
    }
    const shape = groups > 1 ? [kh, kw, ci, co / ci] : [kh, kw, ci, co];
    return { filter, ...(b !== undefined || bn !== undefined ? { bias: Float32Array.from(shift) } : {}), shape };
  }

  private padNode(wanted: string, input: string, p: Pads, value: number): string {
    const paddings = this.constant(`${wanted}/paddings`, [4, 2], Int32Array.of(0, 0, p.top, p.bottom, p.left, p.right, 0, 0));
    if (value === 0) return this.add('Pad', wanted, [input, paddings], { T: FLOAT, Tpaddings: { type: 'DT_INT32' } });
    return this.add('PadV2', wanted, [input, paddings, this.constant(`${wanted}/value`, [], Float32Array.of(value))], { T: FLOAT, Tpaddings: { type: 'DT_INT32' } });
  }

  private pool(node: NodeOf<'maxPool'> | NodeOf<'avgPool'>): string {
    const [, inH, inW] = this.g.shape(node.inputs[0]!) as [number, number, number, number];
    const [, outH, outW] = node.shape as [number, number, number, number];
    const p = node.pads;
    // Ceil mode: the bottom/right padding that makes floor-mode counting give the node's output.
    const need = (out: number, s: number, k: number, before: number, inp: number) => Math.max((out - 1) * s + k - before - inp, 0);
    const full: Pads = { ...p, bottom: Math.max(p.bottom, need(outH, node.strideH, node.kernelH, p.top, inH)), right: Math.max(p.right, need(outW, node.strideW, node.kernelW, p.left, inW)) };
    const floorOut = (i: number, a: number, b: number, k: number, s: number) => Math.floor((i + a + b - k) / s) + 1;
    if (floorOut(inH, full.top, full.bottom, node.kernelH, node.strideH) !== outH || floorOut(inW, full.left, full.right, node.kernelW, node.strideW) !== outW) {
      throw this.fail(node, `no padding gives its ${outH}×${outW} output in floor mode`);
    }
    const zero = full.top === 0 && full.left === 0 && full.bottom === 0 && full.right === 0;
    const [st, sb] = samePads(inH, node.kernelH, node.strideH);
    const [sl, sr] = samePads(inW, node.kernelW, node.strideW);
    const same = full.top === st && full.bottom === sb && full.left === sl && full.right === sr;
    const overhang = full.bottom !== p.bottom || full.right !== p.right;
    let input = this.value(node.inputs[0]!);
    let padding = 'VALID';
    if (zero) padding = 'VALID';
    else if (node.kind === 'maxPool') {
      if (same) padding = 'SAME';
      else input = this.padNode(`${node.name}/pad`, input, full, LOWEST);
    } else if (!node.countIncludePad) {
      // TF divides by the in-image count: right for any pads, overhang included.
      if (same) padding = 'SAME';
      else throw this.fail(node, `pads ${JSON.stringify(full)} excluded from the divisor are TF SAME's only; this window has no TF.js form`);
    } else {
      if (overhang) throw this.fail(node, "ceil mode's overhang with count_include_pad: TF.js's divisor would count it; no exact TF.js form");
      input = this.padNode(`${node.name}/pad`, input, full, 0);
    }
    return this.add(node.kind === 'maxPool' ? 'MaxPool' : 'AvgPool', node.name, [input], {
      T: FLOAT, ksize: ints([1, node.kernelH, node.kernelW, 1]), strides: ints([1, node.strideH, node.strideW, 1]), padding: str(padding), data_format: str('NHWC'),
    });
  }

  private fc(node: NodeOf<'fc'>): void {
    const act = this.soleActivation(node.id);
    const w = this.weight(node, node.weight)!;
    const { inFeatures: fin, outFeatures: fout } = node;
    const kernel = new Float32Array(w.length);
    for (let o = 0; o < fout; o++) for (let i = 0; i < fin; i++) kernel[i * fout + o] = w[o * fin + i]!;
    const inputs = [this.value(node.inputs[0]!), this.constant(`${node.name}/kernel`, [fin, fout], kernel)];
    const attrs = { T: FLOAT, transpose_a: { b: false }, transpose_b: { b: false } };
    const b = this.weight(node, node.bias);
    let name: string;
    if (b === undefined && act === undefined) name = this.add('MatMul', node.name, inputs, attrs);
    else {
      inputs.push(this.constant(`${node.name}/bias`, [fout], b ?? new Float32Array(fout)));
      name = this.add('_FusedMatMul', node.name, inputs, { ...attrs, fused_ops: strs(act ? ['BiasAdd', act.op] : ['BiasAdd']), num_args: int(1), epsilon: { f: 0 } });
    }
    this.valueName.set(node.id, name);
    if (act) {
      this.valueName.set(act.node.id, name);
      this.skip.add(act.node.id);
    }
  }
}
