/**
 * Matching our per-step profile with onnxruntime-node's per-node profile, layer by layer, so that
 * each row compares the same work.
 *
 * Both sides name their units after the graph's nodes: a step is named after the op it runs (merged
 * sibling 1×1 convs as `a+b+c`, a conv with its folded BN and ReLU under the conv's name), and our
 * ONNX export names each ONNX node after its graph node, which ORT's fusions keep as a prefix
 * (`conv1.relu_nchwc` is conv1's Conv+BN+ReLU, named after its last node). So:
 *
 * 1. every graph node is a set in a union-find;
 * 2. a step unites the graph nodes its name lists;
 * 3. a node no step names was fused into its producer by our passes (BN, ReLU, flatten: one input)
 *    and joins it; a residual `add` joins the input only it consumes (the conv whose epilogue it
 *    became); a concat no step names (its inputs were written in place) stays on its own, so ORT's
 *    Concat kernel shows as work we do not do;
 * 4. an ORT node joins the graph node whose name is the longest prefix of its own name ending at
 *    `_`, `.` or the end; a node with a generated name (`ReorderOutput`) joins the node that
 *    produces its first input in ORT's optimised graph (else the one that consumes its output, else
 *    the node that ran before it);
 * 5. each set with at least one step or ORT node is one row.
 *
 * Every step and every ORT node lands in exactly one row (units that match nothing get a row of
 * their own, named as such), so the per-row sums are the totals.
 */
import type { OrtGraphNode } from './ort-profile.js';

/** The part of a graph node the matching reads. */
export interface MatchGraphNode {
  id: number;
  name: string;
  kind: string;
  inputs: readonly number[];
}

export interface OurStepTime {
  name: string;
  kind: string;
  ms: number;
}

export interface NativeNodeTime {
  name: string;
  opType: string;
  ms: number;
}

export interface LayerRow {
  /** Our step names, or the graph nodes of the native nodes when no step ran for the row. */
  name: string;
  /** Our step kinds, `×n` when several ('' when none). */
  kind: string;
  /** ORT op types of the row's nodes, `×n` when several ('' when none). */
  nativeOps: string;
  /** Multiply-accumulates of the row's graph nodes (conv and FC). */
  macs: number;
  oursMs: number;
  nativeMs: number;
  /** Indices into the step list. */
  steps: number[];
  /** Indices into the native node list. */
  native: number[];
  /** Graph node names in the row. */
  nodes: string[];
}

export const UNMATCHED_OURS = '(our steps matching no graph node)';
export const UNMATCHED_NATIVE = '(native nodes matching no graph node)';

class UnionFind {
  private readonly parent: number[];
  constructor(n: number) {
    this.parent = Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    while (this.parent[i] !== i) {
      this.parent[i] = this.parent[this.parent[i]!]!;
      i = this.parent[i]!;
    }
    return i;
  }
  union(a: number, b: number): void {
    const ra = this.find(a), rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

/** The graph node whose name is the longest prefix of `name` ending at `_`, `.` or its end. */
export function graphNodeOfNativeName(name: string, byName: ReadonlyMap<string, number>): number | undefined {
  if (byName.has(name)) return byName.get(name);
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '_' && name[i] !== '.') continue;
    const hit = byName.get(name.slice(0, i));
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/**
 * The rows (module comment) of `steps` and `native` (in execution order) over `graphNodes`;
 * `ortGraph` (ORT's optimised graph) places natively generated nodes; `macsOf` counts a node.
 */
export function matchLayers(
  graphNodes: readonly MatchGraphNode[], steps: readonly OurStepTime[], native: readonly NativeNodeTime[],
  ortGraph: readonly OrtGraphNode[], macsOf: (index: number) => number,
): LayerRow[] {
  const n = graphNodes.length;
  const indexOfId = new Map(graphNodes.map((node, i) => [node.id, i]));
  const byName = new Map(graphNodes.map((node, i) => [node.name, i]));
  const consumers = new Map<number, number>();
  for (const node of graphNodes) for (const v of node.inputs) consumers.set(v, (consumers.get(v) ?? 0) + 1);
  const uf = new UnionFind(n);

  // 2. Steps.
  const stepAnchor = steps.map((s): number | undefined => {
    const parts = s.name.split('+').map((p) => byName.get(p));
    if (parts.length === 0 || parts.some((p) => p === undefined)) return undefined;
    for (const p of parts) uf.union(parts[0]!, p!);
    return parts[0];
  });
  const covered = new Set(stepAnchor.flatMap((a, i) => (a === undefined ? [] : steps[i]!.name.split('+').map((p) => byName.get(p)!))));

  // 3. Nodes our passes fused away.
  const producer = (v: number) => {
    const i = indexOfId.get(v);
    return i !== undefined && graphNodes[i]!.kind !== 'input' ? i : undefined;
  };
  graphNodes.forEach((node, i) => {
    if (covered.has(i) || node.kind === 'input') return;
    if (node.inputs.length === 1) {
      const p = producer(node.inputs[0]!);
      if (p !== undefined) uf.union(i, p);
    } else if (node.kind === 'add') {
      for (const v of node.inputs) {
        const p = producer(v);
        if (p !== undefined && consumers.get(v) === 1) uf.union(i, p);
      }
    }
  });

  // 4. Native nodes: by name, then through ORT's optimised graph, then by execution order.
  const nativeAnchor: (number | undefined)[] = native.map((m) => graphNodeOfNativeName(m.name, byName));
  const ortByName = new Map<string, OrtGraphNode | null>();
  for (const node of ortGraph) ortByName.set(node.name, ortByName.has(node.name) ? null : node);
  const producerOf = new Map<string, string>();
  const consumersOf = new Map<string, string[]>();
  for (const node of ortGraph) {
    for (const t of node.outputs) producerOf.set(t, node.name);
    for (const t of node.inputs) consumersOf.set(t, [...(consumersOf.get(t) ?? []), node.name]);
  }
  const anchorByNativeName = new Map<string, number>();
  const record = () => native.forEach((m, i) => nativeAnchor[i] !== undefined && anchorByNativeName.set(m.name, nativeAnchor[i]!));
  record();
  // Each pass places at least one more node or stops: at most native.length passes.
  for (let pass = 0; pass < native.length; pass++) {
    let placed = false;
    native.forEach((m, i) => {
      if (nativeAnchor[i] !== undefined) return;
      const node = ortByName.get(m.name);
      if (!node) return;
      const viaTensor = (t: string) => {
        const named = byName.get(t);
        if (named !== undefined && graphNodes[named]!.kind !== 'input') return named;
        const p = producerOf.get(t);
        return p === undefined ? undefined : anchorByNativeName.get(p);
      };
      let a = node.inputs.map(viaTensor).find((x) => x !== undefined);
      a ??= node.outputs.flatMap((t) => consumersOf.get(t) ?? []).map((c) => anchorByNativeName.get(c)).find((x) => x !== undefined);
      if (a !== undefined) {
        nativeAnchor[i] = a;
        anchorByNativeName.set(m.name, a);
        placed = true;
      }
    });
    if (!placed) break;
  }
  const placed = [...nativeAnchor];
  for (let i = 0; i < native.length; i++) {
    if (placed[i] !== undefined) continue;
    const before = placed.slice(0, i).reverse().find((a) => a !== undefined);
    nativeAnchor[i] = before ?? placed.slice(i + 1).find((a) => a !== undefined);
  }

  // 5. Rows.
  const rows = new Map<number, LayerRow>();
  const rowOf = (root: number) => {
    let row = rows.get(root);
    if (!row) rows.set(root, (row = { name: '', kind: '', nativeOps: '', macs: 0, oursMs: 0, nativeMs: 0, steps: [], native: [], nodes: [] }));
    return row;
  };
  const unmatched = (name: string): LayerRow => ({ name, kind: '', nativeOps: '', macs: 0, oursMs: 0, nativeMs: 0, steps: [], native: [], nodes: [] });
  const lostOurs = unmatched(UNMATCHED_OURS), lostNative = unmatched(UNMATCHED_NATIVE);
  steps.forEach((s, i) => {
    const a = stepAnchor[i];
    const row = a === undefined ? lostOurs : rowOf(uf.find(a));
    row.steps.push(i);
    row.oursMs += s.ms;
  });
  native.forEach((m, i) => {
    const a = nativeAnchor[i];
    const row = a === undefined ? lostNative : rowOf(uf.find(a));
    row.native.push(i);
    row.nativeMs += m.ms;
  });
  graphNodes.forEach((node, i) => {
    const row = rows.get(uf.find(i));
    if (!row) return;
    row.nodes.push(node.name);
    row.macs += macsOf(i);
  });
  /** `conv`, `Conv×3`: each distinct kind with its count. */
  const unique = (xs: string[]) => {
    const counts = new Map<string, number>();
    for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
    return [...counts].map(([x, k]) => (k > 1 ? `${x}×${k}` : x)).join('+');
  };
  const out = [...rows.values(), ...[lostOurs, lostNative].filter((r) => r.steps.length + r.native.length > 0)];
  for (const row of out) {
    row.kind = unique(row.steps.map((i) => steps[i]!.kind));
    row.nativeOps = unique(row.native.map((i) => native[i]!.opType));
    if (row.name !== '') continue;
    row.name = row.steps.length > 0
      ? row.steps.map((i) => steps[i]!.name).join(' · ')
      : [...new Set(row.native.map((i) => graphNodes[nativeAnchor[i]!]!.name))].join(' · ');
  }
  return out;
}
