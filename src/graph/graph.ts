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
 *   Each kind's shape inference is its op module's `infer` (src/ops/); a method here only names it.
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

import type { AvgPoolSpec, PoolSpec } from '../ops/pool.js';
import type { BatchNormSpec } from '../ops/batch-norm.js';
import type { ClampSpec } from '../ops/clamp.js';
import type { ConvSpec, FcSpec } from '../ops/conv.js';
import type { LrnSpec } from '../ops/lrn.js';
import { OPS } from '../ops/index.js';
import type { BuildContext, OpDef } from '../ops/op-def.js';
import { GraphError, type GraphNode, type NodeKind, type Shape, type StageMark, type ValueId, type WeightDecl, type WeightRole } from './nodes.js';

export { formatShape, GraphError } from './nodes.js';
export type { AvgPoolSpec, BatchNormSpec, ClampSpec, ConvSpec, FcSpec, LrnSpec, PoolSpec };

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
    const v = this.addNode(OPS.input, name, [], shape);
    this.inputs.push(v);
    return v;
  }

  conv(name: string, x: ValueId, spec: ConvSpec): ValueId {
    return this.addNode(OPS.conv, name, [x], spec);
  }

  batchNorm(name: string, x: ValueId, spec: BatchNormSpec): ValueId {
    return this.addNode(OPS.batchNorm, name, [x], spec);
  }

  relu(name: string, x: ValueId): ValueId {
    return this.addNode(OPS.relu, name, [x], undefined);
  }

  /** `min(max(x, lo), hi)`, lo < hi, either may be infinite (ReLU6: `{ lo: 0, hi: 6 }`). */
  clamp(name: string, x: ValueId, spec: ClampSpec): ValueId {
    return this.addNode(OPS.clamp, name, [x], spec);
  }

  maxPool(name: string, x: ValueId, spec: PoolSpec): ValueId {
    return this.addNode(OPS.maxPool, name, [x], spec);
  }

  avgPool(name: string, x: ValueId, spec: AvgPoolSpec): ValueId {
    return this.addNode(OPS.avgPool, name, [x], spec);
  }

  globalAvgPool(name: string, x: ValueId): ValueId {
    return this.addNode(OPS.globalAvgPool, name, [x], undefined);
  }

  adaptiveAvgPool(name: string, x: ValueId, outH: number, outW: number): ValueId {
    return this.addNode(OPS.adaptiveAvgPool, name, [x], { outH, outW });
  }

  lrn(name: string, x: ValueId, spec: LrnSpec): ValueId {
    return this.addNode(OPS.lrn, name, [x], spec);
  }

  /** Concatenates feature maps along channels, in the order given. */
  concat(name: string, xs: readonly ValueId[]): ValueId {
    return this.addNode(OPS.concat, name, xs, undefined);
  }

  /** `x + scale·y`; both inputs must have the same shape. */
  add(name: string, x: ValueId, y: ValueId, scale = 1): ValueId {
    return this.addNode(OPS.add, name, [x, y], scale);
  }

  fc(name: string, x: ValueId, spec: FcSpec): ValueId {
    return this.addNode(OPS.fc, name, [x], spec);
  }

  flatten(name: string, x: ValueId): ValueId {
    return this.addNode(OPS.flatten, name, [x], undefined);
  }

  softmax(name: string, x: ValueId): ValueId {
    return this.addNode(OPS.softmax, name, [x], undefined);
  }

  /** Adds a node of `def`'s kind: its shape inference (which declares its weights), then the node. */
  private addNode<K extends NodeKind, S>(def: OpDef<K, S>, name: string, inputs: readonly ValueId[], spec: S): ValueId {
    for (const input of inputs) this.node(input);
    const node = def.infer(this.build, name, inputs, spec);
    if (this.nodeNames.has(node.name)) throw new GraphError(`${node.kind} '${node.name}': a node of that name already exists`);
    const id = this.nodes.length as ValueId;
    this.nodes.push({ ...node, id } as unknown as GraphNode);
    this.nodeNames.add(node.name);
    return id;
  }

  /** What shape inference sees of this graph. */
  private readonly build: BuildContext = {
    shape: (v) => this.shape(v),
    nodeName: (v) => this.node(v).name,
    declare: (node, name, shape, role) => this.declare(node, name, shape, role),
  };

  private declare(node: string, name: string, shape: number[], role: WeightRole): void {
    if (this.weightIndex.has(name)) throw new GraphError(`node '${node}': weight '${name}' is already declared`);
    const decl: WeightDecl = { name, shape, role };
    this.weights.push(decl);
    this.weightIndex.set(name, decl);
  }
}
