/**
 * The network as a sequence of stages read from `g.stages`: each stage mark covers the nodes after
 * the previous mark up to its own (as `graphCost` counts them). A stage with a concat or a residual
 * add is a block; consecutive blocks of the same structure (same ops, kernels, strides, pool kinds,
 * residual scale — channel widths may differ, as in v3's Mixed_5b/5c/5d) are grouped into one
 * "× n" unit; a module with numbered children (`repeat.0` … `repeat.9`) counts its children.
 */

import { graphCost } from '../graph/cost.js';
import type { Graph } from '../graph/graph.js';
import type { GraphNode, Shape } from '../graph/nodes.js';
import { blockNodeIds, extractBlock, stageNodeIds, subBlocks } from './block.js';
import { collapseOps, consumersOf, type Op, type OpKind } from './ops.js';

export type StageKind = 'layer' | 'block' | 'reduction' | 'residual' | 'head';

export interface StageUnit {
  /** The stage marks in the unit (one, or several grouped blocks). */
  stages: string[];
  /** Display name: `Mixed_6b … Mixed_6e`, `repeat.0 … repeat.9`, or the stage name. */
  title: string;
  /** Number of blocks in the unit (1 for a layer). */
  repeats: number;
  kind: StageKind;
  /** What the unit does: `3×3 conv 32 s2`, `4 branches → concat`, `residual: 3 branches, ×0.17, ReLU`. */
  label: string;
  /** Colour key of the unit's main op. */
  opKind: OpKind;
  /** Output shape of the unit's last stage. */
  shape: Shape;
  params: number;
  macs: number;
  /** Structural signature of a block unit (equal for blocks differing only in widths); absent for layers. */
  signature?: string;
  /** The module path to draw the unit's (first) block with `renderBlockDiagram`; absent for layers. */
  block?: string;
}

/** A structural signature of ops, independent of channel widths and names. */
function signature(ops: readonly Op[]): string {
  return ops.map((op) => {
    if (op.kind === 'input') return 'input';
    const parts = op.nodes.map((n: GraphNode) => {
      switch (n.kind) {
        case 'conv':
        case 'maxPool':
        case 'avgPool':
          return `${n.kind}${n.kernelH}x${n.kernelW}/${n.strideH}x${n.strideW}${n.kind === 'conv' && n.groups > 1 ? 'dw' : ''}`;
        case 'add':
          return `add${n.scale}`;
        default:
          return n.kind;
      }
    });
    return `${parts.join('+')}(${op.inputs.join(',')})`;
  }).join(';');
}

function describeBlock(g: Graph, path: string): { kind: StageKind; label: string; opKind: OpKind; sig: string } {
  const block = extractBlock(g, path);
  // Branches as the papers count them: the ops reading the block input (InceptionE's split 1×3 | 3×1 stays one branch).
  const branches = block.branchOps.filter((i) => block.ops[i]!.inputs.some((s) => block.inputs.includes(s))).length;
  const add = block.tailOps.map((i) => block.ops[i]!).find((o) => o.kind === 'residual');
  const sig = signature(block.ops);
  if (add) {
    const label = add.label.replace(' + residual', '');
    return { kind: 'residual', label: `residual: ${branches} branches → 1×1 conv, ${label}`, opKind: 'residual', sig };
  }
  const strided = block.ops.some((o) => o.nodes.some((n) => (n.kind === 'conv' || n.kind === 'maxPool' || n.kind === 'avgPool') && (n.strideH > 1 || n.strideW > 1)));
  if (strided) {
    return { kind: 'reduction', label: `grid reduction: ${branches} branches → concat`, opKind: 'maxPool', sig };
  }
  return { kind: 'block', label: `${branches} branches → concat`, opKind: 'concat', sig };
}

function describeLayer(ops: readonly Op[]): { kind: StageKind; label: string; opKind: OpKind } {
  const inner = ops.filter((o) => o.kind !== 'input');
  const label = inner.map((o) => o.label).join(' → ');
  const main = inner.find((o) => o.kind !== 'head' && o.kind !== 'other') ?? inner[0];
  const kind: StageKind = inner.some((o) => o.kind === 'head') ? 'head' : 'layer';
  return { kind, label, opKind: main?.kind ?? 'other' };
}

/** Stage names shown for a group: `a`, `a, b`, or `a … z`. */
function span(names: readonly string[]): string {
  if (names.length === 1) return names[0]!;
  const first = names[0]!;
  let last = names[names.length - 1]!;
  // tf-slim scopes: `InceptionV2/Mixed_4b … Mixed_4e` rather than repeating the scope.
  const scope = first.slice(0, first.lastIndexOf('/') + 1);
  if (scope !== '' && last.startsWith(scope)) last = last.slice(scope.length);
  return names.length === 2 ? `${first}, ${last}` : `${first} … ${last}`;
}

/**
 * The network's stage units in order, with output shapes, params and MACs (summed over a group).
 * Units cover every stage mark exactly once, so their MACs sum to the stages' MACs.
 */
export function stageUnits(g: Graph): StageUnit[] {
  const cost = graphCost(g);
  const consumers = consumersOf(g);
  const ranges = stageNodeIds(g);
  const units: StageUnit[] = [];
  g.stages.forEach((mark, i) => {
    const ids = ranges[i]!;
    const ops = collapseOps(g, ids, consumers);
    const isBlock = ops.some((o) => o.kind === 'concat' || o.kind === 'residual');
    const children = subBlocks(g, mark.name);
    const base = { shape: g.shape(mark.value), params: cost.stages[i]!.params, macs: cost.stages[i]!.macs };
    if (!isBlock) {
      units.push({ stages: [mark.name], title: mark.name, repeats: 1, ...describeLayer(ops), ...base });
      return;
    }
    const paths = children.length > 0 ? children : [blockNodeIds(g, mark.name).length > 0 ? mark.name : g.node(mark.value).name];
    const described = paths.map((p) => describeBlock(g, p));
    const first = described[0]!;
    const uniform = described.every((d) => d.sig === first.sig);
    const title = children.length > 0 ? span(children) : mark.name;
    const unit = {
      stages: [mark.name], title, repeats: paths.length, kind: first.kind, opKind: first.opKind,
      label: uniform ? first.label : `${first.label} (blocks differ)`, ...base,
      ...(uniform ? { signature: first.sig } : {}), block: children.length > 0 ? mark.name : paths[0]!,
    };
    const prev = units[units.length - 1];
    if (children.length === 0 && prev?.signature !== undefined && prev.signature === unit.signature && prev.stages.length === prev.repeats) {
      prev.stages.push(mark.name);
      prev.repeats += 1;
      prev.title = span(prev.stages);
      prev.shape = unit.shape;
      prev.params += unit.params;
      prev.macs += unit.macs;
      return;
    }
    units.push(unit);
  });
  return units;
}
