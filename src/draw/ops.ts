/**
 * Graph nodes as the papers draw them: a conv unit (conv → BN → ReLU) is one box `3×3 conv 96`,
 * a residual add with its ReLU is one box `×0.17 + residual, ReLU`. `collapseOps` groups the nodes
 * of a node set into such ops and links them; `opLabel` names one op. Labels come from the
 * nodes' typed params only, so every diagram and table is derived from the Graph itself.
 */

import type { Graph } from '../graph/graph.js';
import type { GraphNode, Shape, ValueId } from '../graph/nodes.js';

/** What a box is, for its colour and the legend. */
export type OpKind =
  | 'input' | 'conv1x1' | 'conv' | 'convAsym' | 'convLinear' | 'depthwise'
  | 'maxPool' | 'avgPool' | 'concat' | 'residual' | 'head' | 'other';

export interface Op {
  /** Index in the op list. */
  index: number;
  kind: OpKind;
  label: string;
  /** The graph nodes this op stands for, first = the op's own node, last = the one producing its value. */
  nodes: GraphNode[];
  /** Producing ops (indices into the same list); external values are ops of kind 'input'. */
  inputs: number[];
  /** Output shape (of the last node). */
  shape: Shape;
}

/** `×` joined spatial size and channels, without the batch: `35×35×288`, or `1000` for `[N, F]`. */
export function formatHWC(shape: Shape): string {
  return shape.length === 4 ? `${shape[1]}×${shape[2]}×${shape[3]}` : shape.slice(1).join('×');
}

function kernel(n: { kernelH: number; kernelW: number }): string {
  return `${n.kernelH}×${n.kernelW}`;
}

function stride(n: { strideH: number; strideW: number }): string {
  return n.strideH === n.strideW ? `s${n.strideH}` : `s${n.strideH}×${n.strideW}`;
}

/** Formats a residual scale as the papers print it: 0.17, 0.1, 1. */
function scaleText(scale: number): string {
  return String(Number(scale.toFixed(4)));
}

/**
 * The label of an op whose own node is `node`, last node `last`, all nodes `nodes` (conv → BN → ReLU
 * collapses into the conv's label; a conv not followed by a ReLU is marked `(linear)`).
 */
export function opLabel(node: GraphNode, last: GraphNode = node, nodes: readonly GraphNode[] = [node, last]): string {
  const activated = last.kind === 'relu';
  const normalised = nodes.some((n) => n.kind === 'batchNorm');
  switch (node.kind) {
    case 'input':
      return `input ${formatHWC(node.shape)}`;
    case 'conv': {
      const s = node.strideH === 1 && node.strideW === 1 ? '' : ` ${stride(node)}`;
      const linear = activated ? '' : ' (linear)';
      if (node.groups > 1) return `${kernel(node)} depthwise ×${node.outChannels / node.inChannels}${s}${linear}`;
      return `${kernel(node)} conv ${node.outChannels}${s}${linear}`;
    }
    case 'maxPool':
      return `${kernel(node)} max pool ${stride(node)}`;
    case 'avgPool':
      return `${kernel(node)} avg pool ${stride(node)}`;
    case 'globalAvgPool':
      return 'global avg pool';
    case 'adaptiveAvgPool':
      return `avg pool to ${node.outH}×${node.outW}`;
    case 'lrn':
      return `LRN ${node.size}`;
    case 'concat':
      return `concat ${node.shape[3]}`;
    case 'add':
      return `×${scaleText(node.scale)} + residual${activated ? ', ReLU' : ''}`;
    case 'fc':
      return `fc ${node.outFeatures}${normalised ? ', BN' : ''}${activated ? ', ReLU' : ''}`;
    case 'flatten':
      return 'flatten';
    case 'softmax':
      return 'softmax';
    case 'batchNorm':
      return `BN${activated ? ', ReLU' : ''}`;
    case 'relu':
      return 'ReLU';
  }
}

/** The colour key of an op whose own node is `node` and last node `last` (a conv without a following ReLU is 'convLinear'). */
export function opKind(node: GraphNode, last: GraphNode): OpKind {
  switch (node.kind) {
    case 'input':
      return 'input';
    case 'conv':
      if (node.groups > 1) return 'depthwise';
      if (last.kind !== 'relu') return 'convLinear';
      if (node.kernelH === 1 && node.kernelW === 1) return 'conv1x1';
      return node.kernelH === node.kernelW ? 'conv' : 'convAsym';
    case 'maxPool':
      return 'maxPool';
    case 'avgPool':
    case 'adaptiveAvgPool':
      return 'avgPool';
    case 'concat':
      return 'concat';
    case 'add':
      return 'residual';
    case 'globalAvgPool':
    case 'fc':
    case 'flatten':
    case 'softmax':
      return 'head';
    default:
      return 'other';
  }
}

/** Whether `node` (reading only the op's value) folds into `op`: BN after conv/fc, ReLU after conv/BN/add/fc. */
function absorbs(op: Op, node: GraphNode): boolean {
  const last = op.nodes[op.nodes.length - 1]!.kind;
  if (op.kind === 'input') return false;
  if (node.kind === 'batchNorm') return last === 'conv' || last === 'fc';
  if (node.kind === 'relu') return last === 'conv' || last === 'batchNorm' || last === 'add' || last === 'fc';
  return false;
}

/** Consumers of every value of `g` (node ids reading it), in node order. */
export function consumersOf(g: Graph): ValueId[][] {
  const consumers: ValueId[][] = g.nodes.map(() => []);
  for (const node of g.nodes) for (const input of node.inputs) consumers[input]!.push(node.id);
  return consumers;
}

/**
 * Groups the nodes `ids` (ascending, a subset of `g.nodes`) into ops. A batchNorm or ReLU joins the
 * op of its input when it is that value's only consumer and belongs to `ids` (conv → BN → ReLU,
 * add → ReLU, fc → ReLU). Values read from outside `ids` become ops of kind 'input', listed first,
 * labelled `input H×W×C` (their node name is kept in `nodes`).
 */
export function collapseOps(g: Graph, ids: readonly ValueId[], consumers: ValueId[][] = consumersOf(g)): Op[] {
  const inSet = new Set<number>(ids);
  const opOf = new Map<number, number>();
  const ops: Op[] = [];
  const push = (node: GraphNode, kind: OpKind, label: string, inputs: number[]): Op => {
    const op: Op = { index: ops.length, kind, label, nodes: [node], inputs, shape: node.shape };
    ops.push(op);
    opOf.set(node.id, op.index);
    return op;
  };
  for (const id of ids) {
    for (const input of g.node(id).inputs) {
      if (!inSet.has(input) && !opOf.has(input)) {
        const ext = g.node(input);
        push(ext, 'input', `input ${formatHWC(ext.shape)}`, []);
      }
    }
  }
  for (const id of ids) {
    const node = g.node(id);
    const source = node.inputs[0];
    const target = source !== undefined && inSet.has(source) && consumers[source]!.length === 1 ? ops[opOf.get(source)!] : undefined;
    if (target !== undefined && absorbs(target, node)) {
      target.nodes.push(node);
      target.shape = node.shape;
      target.label = opLabel(target.nodes[0]!, node, target.nodes);
      target.kind = opKind(target.nodes[0]!, node);
      opOf.set(node.id, target.index);
      continue;
    }
    push(node, opKind(node, node), opLabel(node, node), node.inputs.map((v) => opOf.get(v)!));
  }
  return ops;
}
