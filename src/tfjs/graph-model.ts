/**
 * TF.js graph model (a frozen GraphDef after tensorflowjs_converter's optimisation) → Graph.
 *
 * Only the nodes the outputs depend on are read, in dependency order (iterative, so a deep or
 * cyclic graph is an error, not a stack overflow). A node's value is a graph tensor, a constant
 * (Const, and the shape ops folded in graph-model-consts.ts), or a pending form its consumer folds:
 *  - `padded`: a Pad / PadV2, which the next conv or pool takes as explicit padding (zeros: conv,
 *    and AvgPool counting them; the lowest float: MaxPool). Elsewhere it is an error;
 *  - a tensor with a pending `scale` (Mul by a scalar Const): AddV2 takes it as the residual
 *    `x + scale·y`; anything else gets it as a 1×1 depthwise conv.
 * A conv or MatMul whose only consumer is a BiasAdd/Add of a [C] Const takes that bias. Per-channel
 * Mul/Add by a [C] Const and standalone FusedBatchNorm become BatchNorm nodes (the engine folds
 * them into the conv before). Weights are named after their Const nodes (conv HWIO → OIHW,
 * depthwise [kh, kw, C, M] → [C·M, 1, kh, kw], MatMul [in, out] → [out, in]).
 */
import { Graph, GraphError } from '../graph/graph.js';
import type { ValueId } from '../graph/nodes.js';
import { decodeConst, intsOf, pack, resolveReshape, reshapeConst, shapeConst, stridedSlice, type Const } from './graph-model-consts.js';
import { Attrs, type GraphDefNode, type ParsedGraphModel } from './graph-model-json.js';
import { OP_HANDLERS, tensorValue, type Handler, type Value } from './graph-model-ops.js';
import { TfjsImportError, type WeightSpec } from './model-json.js';

export interface GraphModelOptions {
  batch: number;
  inputSize?: readonly [number, number];
}

export interface GraphModelBuild {
  graph: Graph;
  weights: Map<string, Float32Array>;
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape: number[] }[];
}

export function buildGraphModel(parsed: ParsedGraphModel, data: Uint8Array, options: GraphModelOptions, file: string): GraphModelBuild {
  return new Importer(parsed, data, options, file).run();
}

export class Importer {
  readonly graph = new Graph();
  readonly weights = new Map<string, Float32Array>();
  private readonly byName = new Map<string, GraphDefNode>();
  private readonly specs: Map<string, WeightSpec>;
  private readonly values = new Map<string, Value>();
  private readonly consumers = new Map<string, GraphDefNode[]>();
  private readonly outputNames: { key: string; node: string }[];
  /** Nodes whose value a producer already set (an absorbed BiasAdd). */
  private readonly done = new Set<string>();

  constructor(
    private readonly parsed: ParsedGraphModel,
    private readonly data: Uint8Array,
    readonly options: GraphModelOptions,
    readonly file: string,
  ) {
    for (const n of parsed.nodes) this.byName.set(n.name, n);
    this.specs = new Map(parsed.specs.map((s) => [s.name, s]));
    this.outputNames = parsed.outputs.length > 0 ? parsed.outputs : this.sinks();
    if (this.outputNames.length === 0) throw new TfjsImportError(`${file}: the graph has no output node`);
  }

  run(): GraphModelBuild {
    const order = this.order();
    for (const n of order) for (const [src] of n.inputs) this.consumers.set(src, [...(this.consumers.get(src) ?? []), n]);
    for (const node of order) {
      if (this.done.has(node.name)) continue;
      const handler = Object.hasOwn(HANDLERS, node.op) ? HANDLERS[node.op] : undefined;
      if (handler === undefined) {
        throw new TfjsImportError(
          `${this.file}: node '${node.name}': op '${node.op}' is not supported (supported: ${Object.keys(HANDLERS).join(', ')})`,
        );
      }
      try {
        this.values.set(node.name, handler(this, node, new Attrs(node)));
      } catch (e) {
        if (e instanceof GraphError) throw new TfjsImportError(`${this.file}: node '${node.name}' (${node.op}): ${e.message}`);
        throw e;
      }
    }
    const outputs = this.outputNames.map(({ key, node }) => {
      const id = this.tensor(this.values.get(node)!, this.byName.get(node)!, 'an output');
      this.graph.markOutput(id);
      return { name: key, shape: [...this.graph.shape(id)] };
    });
    const inputs = this.graph.inputs.map((id) => {
      const n = this.graph.node(id);
      return { name: n.name, shape: [...n.shape] };
    });
    if (inputs.length !== 1) throw new TfjsImportError(`${this.file}: the outputs depend on ${inputs.length} Placeholder inputs; one image input is supported`);
    return { graph: this.graph, weights: this.weights, inputs, outputs };
  }

  /** Output nodes when the model has no signature: nodes nothing reads (Const and Placeholder aside), in file order. */
  private sinks(): { key: string; node: string }[] {
    const read = new Set<string>();
    for (const n of this.parsed.nodes) for (const [src] of n.inputs) read.add(src);
    return this.parsed.nodes.filter((n) => !read.has(n.name) && n.op !== 'Const' && n.op !== 'Placeholder' && n.op !== 'NoOp')
      .map((n) => ({ key: n.name, node: n.name }));
  }

  /** The nodes the outputs depend on, each after its inputs; iterative depth-first, cycles refused. */
  private order(): GraphDefNode[] {
    const state = new Map<string, 'open' | 'closed'>();
    const order: GraphDefNode[] = [];
    for (const { node: root } of this.outputNames) {
      const stack: { node: GraphDefNode; next: number }[] = [];
      const visit = (name: string, from: string) => {
        const node = this.byName.get(name);
        if (node === undefined) throw new TfjsImportError(`${this.file}: ${from} reads node '${name}', which the graph does not define`);
        const s = state.get(name);
        if (s === 'open') throw new TfjsImportError(`${this.file}: node '${name}' depends on itself (a cycle); a frozen inference graph has none`);
        if (s === undefined) {
          state.set(name, 'open');
          stack.push({ node, next: 0 });
        }
      };
      visit(root, 'the signature');
      while (stack.length > 0) {
        const top = stack[stack.length - 1]!;
        const input = top.node.inputs[top.next++];
        if (input !== undefined) visit(input[0], `node '${top.node.name}'`);
        else {
          stack.pop();
          state.set(top.node.name, 'closed');
          order.push(top.node);
        }
      }
    }
    return order;
  }

  // ---- values ------------------------------------------------------------------------------

  /** Input `i` of `node`; only output 0 of a node is a value here (FusedBatchNorm's others are training statistics). */
  input(node: GraphDefNode, i: number): Value {
    const ref = node.inputs[i];
    if (ref === undefined) throw new Attrs(node).fail(`needs at least ${i + 1} inputs, got ${node.inputs.length}`);
    const [src, index] = ref;
    if (index !== 0) throw new Attrs(node).fail(`reads output ${index} of '${src}'; only output 0 of a node is supported`);
    const v = this.values.get(src);
    if (v === undefined) throw new Attrs(node).fail(`input '${src}' has no value yet`);
    return v;
  }

  constNode(node: GraphDefNode): Value {
    return { kind: 'const', value: decodeConst(node, this.specs.get(node.name), this.data) };
  }

  /** Input `i` as a constant. */
  constant(node: GraphDefNode, i: number, what: string): Const {
    const v = this.input(node, i);
    if (v.kind !== 'const') throw new Attrs(node).fail(`${what} (input ${i}, '${node.inputs[i]![0]}') must be a constant`);
    return v.value;
  }

  /** A float constant input of exactly `shape`. */
  floats(node: GraphDefNode, i: number, what: string, shape: readonly number[]): Float32Array {
    const c = this.constant(node, i, what);
    if (c.dtype !== 'float32' || c.shape.length !== shape.length || c.shape.some((d, k) => d !== shape[k])) {
      throw new Attrs(node).fail(`${what} '${node.inputs[i]![0]}' must be float32 [${shape.join(', ')}], got ${c.dtype} [${c.shape.join(', ')}]`);
    }
    return c.data as Float32Array;
  }

  /** A value as a graph tensor: a pending scale becomes a 1×1 depthwise conv; a Pad or constant here is an error. */
  tensor(v: Value, node: GraphDefNode, what: string): ValueId {
    switch (v.kind) {
      case 'tensor': {
        if (v.scale === 1) return v.id;
        const shape = this.graph.shape(v.id);
        if (shape.length !== 4) throw new Attrs(node).fail(`${what} is a tensor times a scalar, supported on feature maps [N, H, W, C] or as a residual scale`);
        const c = shape[3]!;
        const name = `${node.name}/scale`;
        return this.graph.conv(name, v.id, {
          outChannels: c, kernelH: 1, kernelW: 1, groups: c, weight: this.weight(`${name}/weight`, new Float32Array(c).fill(v.scale)),
        });
      }
      case 'padded':
        throw new Attrs(node).fail(`${what} is the output of Pad '${v.node}', which is supported only right before a conv or pool (folded into its padding)`);
      case 'const':
        throw new Attrs(node).fail(`${what} is a constant where a tensor computed from the input is expected`);
    }
  }

  inputTensor(node: GraphDefNode, i: number): ValueId {
    return this.tensor(this.input(node, i), node, `input ${i} ('${node.inputs[i]?.[0]}')`);
  }

  /** Stores a weight under `wanted` (or `wanted#k` when taken); returns its name. */
  weight(wanted: string, data: Float32Array): string {
    let name = wanted;
    for (let k = 2; this.weights.has(name); k++) name = `${wanted}#${k}`;
    this.weights.set(name, data);
    return name;
  }

  /**
   * The bias `node`'s sole consumer adds (a BiasAdd / Add / AddV2 of a float [channels] Const), which
   * then takes `node`'s value; undefined when there is none.
   */
  absorbBias(node: GraphDefNode, channels: number): { bias: Float32Array; consumer: GraphDefNode } | undefined {
    const users = this.consumers.get(node.name) ?? [];
    const user = users[0];
    if (users.length !== 1 || user === undefined || this.outputNames.some((o) => o.node === node.name)) return undefined;
    if (!['BiasAdd', 'Add', 'AddV2'].includes(user.op) || user.inputs.length !== 2) return undefined;
    const other = user.inputs[0]![0] === node.name ? user.inputs[1]! : user.inputs[0]!;
    if (other[0] === node.name || other[1] !== 0) return undefined;
    const producer = this.byName.get(other[0]);
    if (producer?.op !== 'Const') return undefined;
    const c = (this.values.get(producer.name) ?? this.constNode(producer)) as Extract<Value, { kind: 'const' }>;
    if (c.value.dtype !== 'float32' || c.value.shape.length !== 1 || c.value.shape[0] !== channels) return undefined;
    return { bias: c.value.data as Float32Array, consumer: user };
  }

  /** Sets `consumer`'s value (it was absorbed by its producer) and skips it. */
  alias(consumer: GraphDefNode, value: Value): void {
    this.values.set(consumer.name, value);
    this.done.add(consumer.name);
  }

  /** The signature key naming Placeholder `node`, else its name. */
  inputName(node: GraphDefNode): string {
    return this.parsed.inputs.find((e) => e.node === node.name)?.key ?? node.name;
  }
}

// ---- handlers -----------------------------------------------------------------------------

const identity: Handler = (m, node) => m.input(node, 0);

const HANDLERS: Record<string, Handler> = {
  Placeholder(m, node, a) {
    const dtype = a.type('dtype');
    if (dtype !== undefined && dtype !== 'DT_FLOAT') throw a.fail(`dtype ${dtype} is not supported (the image input is DT_FLOAT)`);
    const dims = (node.attr.shape as { shape?: { dim?: { size?: unknown }[]; unknownRank?: boolean } } | undefined)?.shape?.dim;
    if (!Array.isArray(dims) || dims.length !== 4) throw a.fail('the input must be an image [batch, height, width, channels] with a known rank 4');
    const sizes = dims.map((d) => Number(d?.size ?? -1));
    const [h, w] = m.options.inputSize ?? [sizes[1]!, sizes[2]!];
    const c = sizes[3]!;
    for (const [label, d] of [['height', h], ['width', w], ['channels', c]] as const) {
      if (!Number.isSafeInteger(d) || d < 1 || d > 1 << 16) throw a.fail(`input ${label} is ${d}; pass inputSize for a model without a fixed size`);
    }
    if (sizes[0] !== -1 && sizes[0] !== m.options.batch) throw a.fail(`the input's batch is fixed at ${sizes[0]}; plan the session for batch ${sizes[0]}`);
    return tensorValue(m.graph.input(m.inputName(node), [m.options.batch, h, w, c]));
  },
  Const: (m, node) => m.constNode(node),
  Identity: identity,
  StopGradient: identity,
  ...OP_HANDLERS,

  Shape(m, node) {
    const v = m.input(node, 0);
    return { kind: 'const', value: shapeConst(v.kind === 'const' ? v.value.shape : m.graph.shape(m.tensor(v, node, 'its input'))) };
  },
  StridedSlice: (m, node) => ({ kind: 'const', value: stridedSlice(node, [0, 1, 2, 3].map((i) => m.constant(node, i, 'every input'))) }),
  Pack: (m, node) => ({ kind: 'const', value: pack(node, node.inputs.map((_, i) => m.constant(node, i, 'every input'))) }),

  Reshape(m, node, a) {
    const x = m.input(node, 0);
    const target = intsOf(m.constant(node, 1, 'the shape'), (s) => a.fail(s), 'the shape');
    if (target.length > 8) throw a.fail('the shape has more than 8 dimensions');
    if (x.kind === 'const') return { kind: 'const', value: reshapeConst(x.value, target, (s) => a.fail(s)) };
    const id = m.tensor(x, node, 'input 0');
    const from = m.graph.shape(id);
    const to = resolveReshape(from, target, (s) => a.fail(s));
    if (to.join() === from.join()) return tensorValue(id);
    if (from.length === 4 && to.length === 2 && to[0] === from[0] && from[1] === 1 && from[2] === 1) return tensorValue(m.graph.flatten(node.name, id));
    throw a.fail(`reshaping [${from.join(', ')}] to [${to.join(', ')}] is not supported (only [N, 1, 1, C] → [N, C], which flattens a pooled map)`);
  },
  Squeeze(m, node, a) {
    const id = m.inputTensor(node, 0);
    const s = m.graph.shape(id);
    const dims = a.ints('squeeze_dims', []).map((d) => (d < 0 ? d + s.length : d)).sort();
    if (s.length === 4 && s[1] === 1 && s[2] === 1 && (dims.join() === '1,2' || (dims.length === 0 && s[0]! > 1 && s[3]! > 1))) {
      return tensorValue(m.graph.flatten(node.name, id));
    }
    throw a.fail(`squeezing [${s.join(', ')}] at [${dims.join(', ')}] is not supported (only axes 1, 2 of [N, 1, 1, C])`);
  },
  Softmax(m, node, a) {
    const id = m.inputTensor(node, 0);
    if (m.graph.shape(id).length !== 2) throw a.fail(`softmax is supported on [N, classes], got [${m.graph.shape(id).join(', ')}]`);
    return tensorValue(m.graph.softmax(node.name, id));
  },
  Relu: (m, node) => tensorValue(m.graph.relu(node.name, m.inputTensor(node, 0))),
  Relu6: (m, node) => tensorValue(m.graph.clamp(node.name, m.inputTensor(node, 0), { lo: 0, hi: 6 })),
};

/** Graph ops the importer maps. */
export const SUPPORTED_GRAPH_OPS: readonly string[] = Object.keys(HANDLERS);
