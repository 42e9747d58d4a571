/**
 * One block of a network, read from the Graph: its nodes are those whose names carry the block's
 * module path as a prefix (`Mixed_5b.` in torchvision/timm, `InceptionV2/Mixed_3b/` in tf-slim,
 * `inception_3a_` in the Caffe port); the walk goes from the block input through the branches to
 * the concat, then along whatever follows it (an Inception-ResNet block's up-projection and
 * scaled residual add).
 */

import { GraphError, type Graph } from '../graph/graph.js';
import type { GraphNode, ValueId } from '../graph/nodes.js';
import { collapseOps, consumersOf, type Op } from './ops.js';

/** Separators between a module path and its children, in the order they are tried. */
const SEPARATORS = ['.', '/', '_'] as const;

export interface Block {
  /** The module path the nodes were found by. */
  name: string;
  ops: Op[];
  /** Ops of kind 'input' (values from outside the block), usually one. */
  inputs: number[];
  /** The last concat of the block, if any. */
  concat?: number;
  /** The concat's inputs in concat order: the ends of the branches (or the block's last op when there is no concat). */
  leaves: number[];
  /** Ops before the concat that lead to a leaf, in node order (the branches' ops). */
  branchOps: number[];
  /** Ops after the concat, in node order (up-projection, residual add). */
  tailOps: number[];
  /** The op producing the block's output (its last op). */
  output: number;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Node ids of each stage: (previous mark, this mark], as `graphCost` counts them. */
export function stageNodeIds(g: Graph): ValueId[][] {
  let start = 0;
  return g.stages.map((mark) => {
    const ids: ValueId[] = [];
    for (let id = start; id <= mark.value; id++) ids.push(id as ValueId);
    start = Math.max(start, mark.value + 1);
    return ids;
  });
}

/**
 * Ids of the nodes of `g` that belong to module path `name`: the node named `name` itself and
 * those named `name` + separator + … for the first separator (`.`, `/`, `_`) with any match.
 * When `name` is a stage mark, only nodes of that stage count (in the Caffe port's flat names
 * `conv2_3x3_` would also match the earlier stage `conv2_3x3_reduce`). Empty when nothing matches.
 */
export function blockNodeIds(g: Graph, name: string): ValueId[] {
  const stage = g.stages.findIndex((s) => s.name === name);
  const inStage = stage >= 0 ? new Set<number>(stageNodeIds(g)[stage]) : undefined;
  const member = (n: GraphNode) => inStage === undefined || inStage.has(n.id);
  for (const sep of SEPARATORS) {
    const prefix = name + sep;
    if (!g.nodes.some((n) => n.name.startsWith(prefix) && member(n))) continue;
    return g.nodes.filter((n) => (n.name === name || n.name.startsWith(prefix)) && member(n)).map((n) => n.id);
  }
  return g.nodes.filter((n) => n.name === name && member(n)).map((n) => n.id);
}

/**
 * The numbered sub-blocks of `name` (`repeat.0` … `repeat.9` for timm's `repeat` Sequential),
 * in order; empty when the module has no numbered children.
 */
export function subBlocks(g: Graph, name: string): string[] {
  for (const sep of SEPARATORS) {
    const re = new RegExp(`^${escapeRegExp(name + sep)}(\\d+)${escapeRegExp(sep)}`);
    const found = new Set<number>();
    for (const n of g.nodes) {
      const m = re.exec(n.name);
      if (m) found.add(Number(m[1]));
    }
    if (found.size > 0) return [...found].sort((a, b) => a - b).map((i) => `${name}${sep}${i}`);
  }
  return [];
}

/** Indices of `ops` from which `target` can be reached (including `target`). */
function ancestors(ops: Op[], target: number): Set<number> {
  const seen = new Set<number>();
  const stack = [target];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (seen.has(i)) continue;
    seen.add(i);
    stack.push(...ops[i]!.inputs);
  }
  return seen;
}

/**
 * Reads block `name` out of `g`. A module with numbered children (`repeat`) is read as its first
 * child. Throws a GraphError naming the block when no node carries the name.
 */
export function extractBlock(g: Graph, name: string): Block {
  const children = subBlocks(g, name);
  const path = children.length > 0 && !g.nodes.some((n) => n.name === name) ? children[0]! : name;
  const ids = blockNodeIds(g, path);
  if (ids.length === 0) throw new GraphError(`no block '${name}' in the graph (no node is named '${name}' or '${name}.…')`);
  const ops = collapseOps(g, ids, consumersOf(g));
  const inputs = ops.filter((o) => o.kind === 'input').map((o) => o.index);
  const output = ops.length - 1;
  const concats = ops.filter((o) => o.kind === 'concat');
  const concat = concats.length > 0 ? concats[concats.length - 1]!.index : undefined;
  const inner = ops.filter((o) => o.kind !== 'input').map((o) => o.index);
  if (concat === undefined) {
    return { name: path, ops, inputs, leaves: [output], branchOps: inner, tailOps: [], output };
  }
  const leaves = [...ops[concat]!.inputs];
  const upstream = ancestors(ops, concat);
  const branchOps = inner.filter((i) => i !== concat && upstream.has(i));
  // Ops reaching neither the concat nor following it would be lost; show them as extra branches.
  const after = inner.filter((i) => i > concat);
  const stray = inner.filter((i) => i < concat && !upstream.has(i));
  for (const i of stray) if (!stray.some((j) => ops[j]!.inputs.includes(i))) leaves.push(i);
  branchOps.push(...stray);
  branchOps.sort((a, b) => a - b);
  return { name: path, ops, inputs, concat, leaves, branchOps, tailOps: after, output };
}

/**
 * The branches as chains of labels, one per leaf in concat order: every op on the way from the
 * block input to that leaf. An op shared by two leaves (InceptionE's 1×1 before its 1×3 | 3×1
 * split) appears in both chains.
 */
export function branchLabels(block: Block): string[][] {
  return block.leaves.map((leaf) => {
    const chain = [...ancestors(block.ops, leaf)].filter((i) => block.ops[i]!.kind !== 'input').sort((a, b) => a - b);
    return chain.map((i) => block.ops[i]!.label);
  });
}
