/**
 * Graph: the IR container and its builder.
 *
 *   const g = new Graph();
 *   const x = g.input('input', [1, 224, 224, 3]);               // NHWC
 *   const c = g.conv('conv1.conv', x, { outChannels: 64, kernelH: 7, kernelW: 7, strideH: 2, strideW: 2,
 *                                       padding: pads(3), weight: 'conv1.conv.weight' });
 *   const y = g.relu('conv1.relu', g.batchNorm('conv1.bn', c, { ...names, eps: 1e-3 }));
 *   g.markStage('conv1', y);  g.markOutput(logits);
 *
 * - Every add method infers the output shape at once and throws a `GraphError` naming the node, the
 *   expected and the actual shape when the inputs do not fit. It returns the new node's `ValueId`.
 * - `g.nodes` holds the nodes in insertion order, which is a topological order (a node can only
 *   name values that already exist). `g.nodes[v]` is the node producing value `v`; `g.shape(v)` its shape.
 *   Iterate with `for (const node of g.nodes) switch (node.kind) { … }`.
 * - `g.weights` lists every weight tensor `{ name, shape, role }` in declaration order: conv/fc declare
 *   weight then bias, batchNorm declares gamma, beta, mean, var. Builders add nodes in the
 *   framework's module-registration order, so this is the torchvision/timm `state_dict` order.
 *   `g.weight(name)` looks one up.
 * - `g.inputs`, `g.outputs` (first = main output, `g.output`), `g.stages` (named values, in order).
 * - Node names and weight names are unique within a graph (a duplicate throws).
 * - The graph is append-only; passes build a new graph or their own plan from `g.nodes`.
 *   Params and MACs per node / stage / total: `graphCost(g)` in cost.ts.
 */

import { resolveWindow, type Padding, type Pads } from './geometry.js';
import type {
  GraphNode, NodeOf, NodeKind, Shape, StageMark, ValueId, WeightDecl, WeightRole,
} from './nodes.js';

export class GraphError extends Error {
  override name = 'GraphError';
}

export interface ConvSpec {
  outChannels: number;
  kernelH: number;
  kernelW: number;
  strideH?: number;
  strideW?: number;
  /** Default 'valid'. */
  padding?: Padding;
  /** 1 (default) or inChannels (depthwise). */
  groups?: number;
  /** When given, the input's channel count must equal it (catches a wrong table width early). */
  inChannels?: number;
  weight: string;
  bias?: string;
}

export interface BatchNormSpec {
  gamma?: string;
  beta?: string;
  mean: string;
  var: string;
  eps: number;
}

export interface PoolSpec {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  /** Default 'valid'. */
  padding?: Padding;
  ceilMode?: boolean;
}

export interface AvgPoolSpec extends PoolSpec {
  countIncludePad: boolean;
}

export interface LrnSpec {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

export interface FcSpec {
  outFeatures: number;
  /** When given, the input's feature count must equal it. */
  inFeatures?: number;
  weight: string;
  bias?: string;
}

type NewNode<K extends NodeKind> = Omit<NodeOf<K>, 'id'>;

interface WindowSpec {
  kernelH: number;
  kernelW: number;
  strideH?: number;
  strideW?: number;
  padding?: Padding;
  ceilMode?: boolean;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly weights: WeightDecl[] = [];
  readonly inputs: ValueId[] = [];
  readonly outputs: ValueId[] = [];
  readonly stages: StageMark[] = [];
  private readonly nodeNames = new Set<string>();
  private readonly weightIndex = new Map<string, WeightDecl>();

  /** The node producing value `v`. */
  node(v: ValueId): GraphNode {
    const n = this.nodes[v];
    if (n === undefined) throw new GraphError(`no value ${v} in the graph`);
    return n;
  }

  shape(v: ValueId): Shape {
    return this.node(v).shape;
  }

  /** The main output (first marked output). */
  get output(): ValueId {
    const v = this.outputs[0];
    if (v === undefined) throw new GraphError('graph has no output');
    return v;
  }

  weight(name: string): WeightDecl {
    const w = this.weightIndex.get(name);
    if (w === undefined) throw new GraphError(`no weight '${name}' in the graph`);
    return w;
  }

  stage(name: string): StageMark {
    const s = this.stages.find((m) => m.name === name);
    if (s === undefined) throw new GraphError(`no stage '${name}' in the graph`);
    return s;
  }

  markStage(name: string, value: ValueId): ValueId {
    if (this.stages.some((m) => m.name === name)) throw new GraphError(`stage '${name}' marked twice`);
    this.node(value);
    this.stages.push({ name, value });
    return value;
  }

  markOutput(value: ValueId): ValueId {
    this.node(value);
    this.outputs.push(value);
    return value;
  }

  /** A graph input, NHWC `[N, H, W, C]`. */
  input(name: string, shape: Shape): ValueId {
    if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new GraphError(`input '${name}': expected a shape [N, H, W, C] of positive integers, got ${formatShape(shape)}`);
    }
    const v = this.push<'input'>({ kind: 'input', name, inputs: [], shape: [...shape] });
    this.inputs.push(v);
    return v;
  }

  conv(name: string, x: ValueId, spec: ConvSpec): ValueId {
    const [n, h, w, c] = this.featureMap(name, 'conv', x);
    const groups = spec.groups ?? 1;
    if (spec.inChannels !== undefined && spec.inChannels !== c) {
      throw this.shapeError(name, 'conv', x, `[${n}, ${h}, ${w}, ${spec.inChannels}]`);
    }
    if (groups !== 1 && (groups !== c || spec.outChannels % c !== 0)) {
      throw new GraphError(`conv '${name}': groups ${groups} must be 1 or the input channels ${c} (with outChannels a multiple of it)`);
    }
    const window = this.window(name, 'conv', x, spec);
    this.declare(name, spec.weight, [spec.outChannels, c / groups, spec.kernelH, spec.kernelW], 'conv_w');
    if (spec.bias !== undefined) this.declare(name, spec.bias, [spec.outChannels], 'bias');
    return this.push<'conv'>({
      kind: 'conv', name, inputs: [x], shape: [n, window.outH, window.outW, spec.outChannels],
      ...window.params, groups, inChannels: c, outChannels: spec.outChannels,
      weight: spec.weight, ...(spec.bias !== undefined ? { bias: spec.bias } : {}),
    });
  }

  batchNorm(name: string, x: ValueId, spec: BatchNormSpec): ValueId {
    const shape = this.shape(x);
    const channels = shape[shape.length - 1]!;
    if (spec.gamma !== undefined) this.declare(name, spec.gamma, [channels], 'bn_gamma');
    if (spec.beta !== undefined) this.declare(name, spec.beta, [channels], 'bn_beta');
    this.declare(name, spec.mean, [channels], 'bn_mean');
    this.declare(name, spec.var, [channels], 'bn_var');
    return this.push<'batchNorm'>({
      kind: 'batchNorm', name, inputs: [x], shape, channels,
      ...(spec.gamma !== undefined ? { gamma: spec.gamma } : {}),
      ...(spec.beta !== undefined ? { beta: spec.beta } : {}),
      mean: spec.mean, var: spec.var, eps: spec.eps,
    });
  }

  relu(name: string, x: ValueId): ValueId {
    return this.push<'relu'>({ kind: 'relu', name, inputs: [x], shape: this.shape(x) });
  }

  maxPool(name: string, x: ValueId, spec: PoolSpec): ValueId {
    const [n, , , c] = this.featureMap(name, 'maxPool', x);
    const window = this.window(name, 'maxPool', x, spec);
    return this.push<'maxPool'>({
      kind: 'maxPool', name, inputs: [x], shape: [n, window.outH, window.outW, c],
      ...window.params, ceilMode: spec.ceilMode ?? false,
    });
  }

  avgPool(name: string, x: ValueId, spec: AvgPoolSpec): ValueId {
    const [n, , , c] = this.featureMap(name, 'avgPool', x);
    const window = this.window(name, 'avgPool', x, spec);
    return this.push<'avgPool'>({
      kind: 'avgPool', name, inputs: [x], shape: [n, window.outH, window.outW, c],
      ...window.params, ceilMode: spec.ceilMode ?? false, countIncludePad: spec.countIncludePad,
    });
  }

  globalAvgPool(name: string, x: ValueId): ValueId {
    const [n, , , c] = this.featureMap(name, 'globalAvgPool', x);
    return this.push<'globalAvgPool'>({ kind: 'globalAvgPool', name, inputs: [x], shape: [n, 1, 1, c] });
  }

  adaptiveAvgPool(name: string, x: ValueId, outH: number, outW: number): ValueId {
    const [n, , , c] = this.featureMap(name, 'adaptiveAvgPool', x);
    return this.push<'adaptiveAvgPool'>({ kind: 'adaptiveAvgPool', name, inputs: [x], shape: [n, outH, outW, c], outH, outW });
  }

  lrn(name: string, x: ValueId, spec: LrnSpec): ValueId {
    this.featureMap(name, 'lrn', x);
    return this.push<'lrn'>({ kind: 'lrn', name, inputs: [x], shape: this.shape(x), ...spec });
  }

  /** Concatenates feature maps along channels, in the order given. */
  concat(name: string, xs: readonly ValueId[]): ValueId {
    if (xs.length === 0) throw new GraphError(`concat '${name}': needs at least one input`);
    const [n, h, w] = this.featureMap(name, 'concat', xs[0]!);
    const channelOffsets: number[] = [];
    let channels = 0;
    for (const x of xs) {
      const s = this.featureMap(name, 'concat', x);
      if (s[0] !== n || s[1] !== h || s[2] !== w) throw this.shapeError(name, 'concat', x, `[${n}, ${h}, ${w}, *]`);
      channelOffsets.push(channels);
      channels += s[3]!;
    }
    return this.push<'concat'>({ kind: 'concat', name, inputs: [...xs], shape: [n, h, w, channels], channelOffsets });
  }

  /** `x + scale·y`; both inputs must have the same shape. */
  add(name: string, x: ValueId, y: ValueId, scale = 1): ValueId {
    const shape = this.shape(x);
    if (formatShape(this.shape(y)) !== formatShape(shape)) throw this.shapeError(name, 'add', y, formatShape(shape));
    return this.push<'add'>({ kind: 'add', name, inputs: [x, y], shape, scale });
  }

  fc(name: string, x: ValueId, spec: FcSpec): ValueId {
    const shape = this.shape(x);
    if (shape.length !== 2) throw this.shapeError(name, 'fc', x, '[N, features]');
    const [n, inFeatures] = shape as [number, number];
    if (spec.inFeatures !== undefined && spec.inFeatures !== inFeatures) {
      throw this.shapeError(name, 'fc', x, `[${n}, ${spec.inFeatures}]`);
    }
    this.declare(name, spec.weight, [spec.outFeatures, inFeatures], 'linear_w');
    if (spec.bias !== undefined) this.declare(name, spec.bias, [spec.outFeatures], 'bias');
    return this.push<'fc'>({
      kind: 'fc', name, inputs: [x], shape: [n, spec.outFeatures], inFeatures, outFeatures: spec.outFeatures,
      weight: spec.weight, ...(spec.bias !== undefined ? { bias: spec.bias } : {}),
    });
  }

  flatten(name: string, x: ValueId): ValueId {
    const [n, h, w, c] = this.featureMap(name, 'flatten', x);
    return this.push<'flatten'>({ kind: 'flatten', name, inputs: [x], shape: [n, h * w * c] });
  }

  softmax(name: string, x: ValueId): ValueId {
    return this.push<'softmax'>({ kind: 'softmax', name, inputs: [x], shape: this.shape(x) });
  }

  private push<K extends NodeKind>(node: NewNode<K>): ValueId {
    if (this.nodeNames.has(node.name)) throw new GraphError(`${node.kind} '${node.name}': a node of that name already exists`);
    for (const input of node.inputs) this.node(input);
    const id = this.nodes.length as ValueId;
    this.nodes.push({ ...node, id } as unknown as GraphNode);
    this.nodeNames.add(node.name);
    return id;
  }

  private declare(node: string, name: string, shape: number[], role: WeightRole): void {
    if (this.weightIndex.has(name)) throw new GraphError(`node '${node}': weight '${name}' is already declared`);
    const decl: WeightDecl = { name, shape, role };
    this.weights.push(decl);
    this.weightIndex.set(name, decl);
  }

  /** The input's shape, which must be a 4-D feature map. */
  private featureMap(name: string, kind: NodeKind, x: ValueId): [number, number, number, number] {
    const s = this.shape(x);
    if (s.length !== 4) throw this.shapeError(name, kind, x, '[N, H, W, C]');
    return s as unknown as [number, number, number, number];
  }

  private window(name: string, kind: NodeKind, x: ValueId, spec: WindowSpec) {
    const [, h, w] = this.featureMap(name, kind, x);
    const strideH = spec.strideH ?? 1;
    const strideW = spec.strideW ?? 1;
    const padding = typeof spec.padding === 'object' ? { ...spec.padding } : spec.padding ?? 'valid';
    const r = resolveWindow(h, w, {
      kernelH: spec.kernelH, kernelW: spec.kernelW, strideH, strideW, padding, ceilMode: spec.ceilMode ?? false,
    });
    if (r.outH < 1 || r.outW < 1) {
      throw new GraphError(
        `${kind} '${name}': a ${spec.kernelH}x${spec.kernelW}/${strideH}x${strideW} window does not fit ` +
        `input '${this.node(x).name}' of shape ${formatShape(this.shape(x))} (output ${r.outH}x${r.outW}); the input image is too small`,
      );
    }
    const params: { kernelH: number; kernelW: number; strideH: number; strideW: number; padding: Padding; pads: Pads } = {
      kernelH: spec.kernelH, kernelW: spec.kernelW, strideH, strideW, padding, pads: r.pads,
    };
    return { outH: r.outH, outW: r.outW, params };
  }

  private shapeError(name: string, kind: NodeKind, x: ValueId, expected: string): GraphError {
    return new GraphError(
      `${kind} '${name}': expected input '${this.node(x).name}' of shape ${expected}, got ${formatShape(this.shape(x))}`,
    );
  }
}
