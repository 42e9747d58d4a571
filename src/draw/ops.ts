/**
 * Graph nodes as the papers draw them: a conv unit (conv → BN → ReLU) is one box `3×3 conv 96`,
 * a residual add with its ReLU is one box `×0.17 + residual, ReLU`. `collapseOps` groups the nodes
 * of a node set into such ops and links them; `opLabel` names one op. Labels come from the
 * nodes' typed params only (each kind's op module, src/ops/, words its own), so every diagram and
 * table is derived from the Graph itself.
 */

import type { Graph } from '../graph/graph.js';
import type { GraphNode, Shape, ValueId } from '../graph/nodes.js';
import { opDef } from '../ops/index.js';
import { formatHWC, type DiagramKind, type Fused } from '../ops/op-def.js';

/** What a box is, for its colour and the legend (each kind's op module says which). */
export type OpKind = DiagramKind;

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

export { formatHWC };

/**
 * The label of an op whose own node is `node`, last node `last`, all nodes `nodes` (conv → BN → ReLU
 * collapses into the conv's label; a conv not followed by a ReLU is marked `(linear)`).
 */
export function opLabel(node: GraphNode, last: GraphNode = node, nodes: readonly GraphNode[] = [node, last]): string {
  return opDef(node).label(node as never, fusedOf(last, nodes));
}

/** The colour key of an op whose own node is `node` and last node `last` (a conv without a following ReLU is 'convLinear'). */
export function opKind(node: GraphNode, last: GraphNode): OpKind {
  return opDef(node).diagramKind(node as never, fusedOf(last, [node, last]));
}

function fusedOf(last: GraphNode, nodes: readonly GraphNode[]): Fused {
  return { activated: last.kind === 'relu', normalised: nodes.some((n) => n.kind === 'batchNorm') };
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
