/**
 * Graph passes over the lowered op list (ops.ts). Each pass is small, runs alone, and keeps the
 * outputs equal within float32 rounding (a test runs every network with passes on and off):
 *
 *  - `foldBatchNorm`: conv → BN becomes one conv whose packed weights carry the BN
 *    (`w' = w·γ/√(var+ε)`, `b' = (b − mean)·γ/√(var+ε) + β`).
 *  - `fuseResidual`: conv → add(x, conv, scale) becomes one GEMM with the residual epilogue
 *    `out = x + scale·conv` (Inception-ResNet's up-projection, scaling and add in one pass).
 *  - `fuseRelu`: a clamp op (a relu or clamp node) after a conv, BN or add becomes that op's epilogue
 *    clamp, whatever its bounds. Only into an op with no clamp yet: a second clamp stays a step of
 *    its own (composing two would be exact, but no network needs it).
 *  - `concatViews`: each branch writes straight into its channel slice of the concat output;
 *    the concat disappears (the slice is an alias: same bytes, pixel stride = the total width).
 *  - `mergeSiblingConvs`: 1×1 stride-1 convs reading the same input become one conv op with
 *    several outputs (one weight block, one step, more parallel tasks).
 *
 * A value may only be fused away when its single consumer is the fusing op and it is not a graph
 * output, so no tensor a caller can observe is lost.
 */

import type { Graph } from './graph.js';
import type { ConvNode, FcNode, ValueId } from './nodes.js';
import { opInputs, opOutputs, type ConvPart, type Op } from './ops.js';

/** Value `value` lives inside `root`'s buffer at channel `channelOffset` (same pixel grid). */
export interface SliceAlias {
  root: ValueId;
  channelOffset: number;
}

export interface Lowered {
  ops: Op[];
  aliases: Map<ValueId, SliceAlias>;
}

export type PassName = 'foldBatchNorm' | 'fuseResidual' | 'fuseRelu' | 'concatViews' | 'mergeSiblingConvs';

export const ALL_PASSES: readonly PassName[] = [
  'foldBatchNorm', 'fuseResidual', 'fuseRelu', 'concatViews', 'mergeSiblingConvs',
];

export function runPasses(g: Graph, lowered: Lowered, passes: readonly PassName[] = ALL_PASSES): Lowered {
  const byName: Record<PassName, (g: Graph, l: Lowered) => void> = {
    foldBatchNorm, fuseResidual, fuseRelu, concatViews, mergeSiblingConvs,
  };
  for (const name of ALL_PASSES) if (passes.includes(name)) byName[name](g, lowered);
  return lowered;
}

/** Number of ops reading each value, plus one for each graph output (outputs must survive). */
function consumerCounts(g: Graph, ops: readonly Op[]): Map<ValueId, number> {
  const counts = new Map<ValueId, number>();
  const bump = (v: ValueId) => counts.set(v, (counts.get(v) ?? 0) + 1);
  for (const op of ops) for (const v of opInputs(op)) bump(v);
  for (const v of g.outputs) bump(v);
  return counts;
}

/** Where each value is produced: the op, and for conv ops the part. */
function producers(ops: readonly Op[]): Map<ValueId, { op: Op; part?: ConvPart }> {
  const map = new Map<ValueId, { op: Op; part?: ConvPart }>();
  for (const op of ops) {
    if (op.kind === 'conv') for (const part of op.parts) map.set(part.output, { op, part });
    else for (const v of opOutputs(op)) map.set(v, { op });
  }
  return map;
}

const hasNoEpilogue = (part: ConvPart) =>
  part.clamp.lo === -Infinity && part.clamp.hi === Infinity && part.residual === undefined;

export function foldBatchNorm(g: Graph, l: Lowered): void {
  const counts = consumerCounts(g, l.ops);
  const prod = producers(l.ops);
  l.ops = l.ops.filter((op) => {
    if (op.kind !== 'batchNorm') return true;
    const src = prod.get(op.input);
    const part = src?.part;
    if (!part || part.bn || !hasNoEpilogue(part) || counts.get(op.input) !== 1) return true;
    if (part.layer.kind === 'conv' && part.layer.groups !== 1 && part.layer.groups !== part.layer.inChannels) return true;
    part.bn = op.node;
    part.output = op.output;
    part.clamp = { ...op.clamp };
    return false;
  });
}

export function fuseResidual(g: Graph, l: Lowered): void {
  const counts = consumerCounts(g, l.ops);
  const prod = producers(l.ops);
  l.ops = l.ops.filter((op) => {
    if (op.kind !== 'add' || op.clamp.lo !== -Infinity || op.clamp.hi !== Infinity) return true;
    // out = a + scale·b: the conv must be b (scale applies to it), or a when scale is 1.
    const candidates: [ValueId, ValueId, number][] = [[op.b, op.a, op.scale]];
    if (op.scale === 1) candidates.push([op.a, op.b, 1]);
    for (const [convValue, residual, scale] of candidates) {
      const part = prod.get(convValue)?.part;
      if (!part || !hasNoEpilogue(part) || counts.get(convValue) !== 1 || convValue === residual) continue;
      if (part.layer.kind === 'conv' && part.layer.groups !== 1) continue;
      part.residual = { value: residual, scale };
      part.output = op.output;
      return false;
    }
    return true;
  });
}

/**
 * Moves each standalone clamp into the epilogue of the op producing its input. Every epilogue clamps
 * to the same [lo, hi] with NaN passing through, so fusing changes no value for any bounds (the
 * depthwise kernel's f32x4.max may turn a −0 into +0 where the standalone step keeps it).
 */
export function fuseRelu(g: Graph, l: Lowered): void {
  const counts = consumerCounts(g, l.ops);
  const prod = producers(l.ops);
  l.ops = l.ops.filter((op) => {
    if (op.kind !== 'clamp' || counts.get(op.input) !== 1) return true;
    const src = prod.get(op.input);
    if (!src) return true;
    const target = src.part ?? (src.op.kind === 'batchNorm' || src.op.kind === 'add' ? src.op : undefined);
    if (!target || target.clamp.lo !== -Infinity || target.clamp.hi !== Infinity) return true;
    target.clamp = { ...op.clamp };
    if (src.part) src.part.output = op.output;
    else if (src.op.kind === 'batchNorm' || src.op.kind === 'add') src.op.output = op.output;
    return false;
  });
}

export function concatViews(g: Graph, l: Lowered): void {
  const counts = consumerCounts(g, l.ops);
  const prod = producers(l.ops);
  const inputs = new Set(g.inputs);
  l.ops = l.ops.filter((op) => {
    if (op.kind !== 'concat') return true;
    const distinct = new Set(op.inputs).size === op.inputs.length;
    const aliasable = op.inputs.every((v) => {
      const src = prod.get(v);
      return (
        distinct && !inputs.has(v) && !l.aliases.has(v) && src !== undefined && src.op.kind !== 'flatten' &&
        !g.outputs.includes(v) && (counts.get(v) ?? 0) >= 1
      );
    });
    if (!aliasable) return true;
    op.inputs.forEach((v, i) => l.aliases.set(v, { root: op.output, channelOffset: op.channelOffsets[i] }));
    return false;
  });
}

const isPointwise = (layer: ConvNode | FcNode) =>
  layer.kind === 'conv' && layer.groups === 1 && layer.kernelH === 1 && layer.kernelW === 1 &&
  layer.strideH === 1 && layer.strideW === 1 && layer.pads.top + layer.pads.left + layer.pads.bottom + layer.pads.right === 0;

export function mergeSiblingConvs(_g: Graph, l: Lowered): void {
  const firstByInput = new Map<ValueId, Extract<Op, { kind: 'conv' }>>();
  l.ops = l.ops.filter((op) => {
    if (op.kind !== 'conv' || !op.parts.every((p) => isPointwise(p.layer) && !p.residual)) return true;
    const first = firstByInput.get(op.input);
    if (!first) {
      firstByInput.set(op.input, op);
      return true;
    }
    first.parts.push(...op.parts);
    first.name = `${first.name}+${op.name}`;
    return false;
  });
  // A merged conv runs at its first sibling's place: it reads only the shared input (which
  // precedes that place), and parts with a residual (read later) are never merged.
}
