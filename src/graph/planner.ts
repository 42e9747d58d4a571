/**
 * Memory planning: every value gets a view into one activation arena. Values that are slices of
 * a concat (passes.ts `concatViews`) or a flatten share their root's bytes; each root buffer is
 * live from the first op that writes any of its aliases to the last op that reads one, and roots
 * whose lifetimes do not overlap share memory (greedy best offset, largest first). Graph inputs
 * are live from the start and outputs to the end, so they are never overwritten by scratch.
 * With `groups` (op → barrier group, schedule.ts), lifetimes are counted in whole groups: a buffer
 * touched anywhere in a group is live for all of it, so ops that may run at the same time never
 * share bytes.
 */

import type { View } from '../bindings/program.js';
import { GraphError } from './graph.js';
import type { Shape, ValueId } from './nodes.js';
import { opInputs, opOutputs, type Op } from './ops.js';
import type { SliceAlias } from './passes.js';

export interface MemoryPlan {
  /** Arena bytes needed (the peak of simultaneously live buffers, 16-byte aligned blocks). */
  peakBytes: number;
  /** Sum of all root buffers: what the graph would need without reuse. */
  totalBytes: number;
  /** View of a value, with offsets relative to the arena base. */
  view(v: ValueId): View;
}

const ALIGN = 16;

/**
 * What planning and scheduling ask of the values: shapes, names (for errors), the inputs and
 * outputs that must stay live, and bytes per element of a buffer. A Graph is one (all f32); an
 * int8 program's value table (src/graph/int8/) adds its conversion values and u8 buffers.
 */
export interface ValueSpace {
  node(v: ValueId): { readonly name: string };
  shape(v: ValueId): Shape;
  readonly inputs: readonly ValueId[];
  readonly outputs: readonly ValueId[];
  /** Bytes per element of the buffer rooted at `root`: 4 (f32, the default) or 1 (u8). */
  elementBytes?(root: ValueId): 1 | 4;
}

interface Root {
  value: ValueId;
  bytes: number;
  first: number;
  last: number;
  offset: number;
}

/** `[N, H, W, C]` or `[N, F]` (as `[N, 1, 1, F]`). */
function nhwc(shape: Shape): [number, number, number, number] {
  if (shape.length === 4) return [shape[0], shape[1], shape[2], shape[3]];
  if (shape.length === 2) return [shape[0], 1, 1, shape[1]];
  throw new GraphError(`cannot plan a value of rank ${shape.length} (shape [${shape.join(', ')}])`);
}

/**
 * The buffer each value lives in: concat slices (passes.ts `concatViews`) resolve to the concat at
 * a channel offset, flatten outputs to their (dense) input, anything else to itself.
 */
export function bufferRoots(
  g: ValueSpace, ops: readonly Op[], aliases: ReadonlyMap<ValueId, SliceAlias>,
): (v: ValueId) => { root: ValueId; channelOffset: number; flattened: boolean } {
  // Flatten outputs share their input's bytes (dense NHWC order).
  const flattenOf = new Map<ValueId, ValueId>();
  for (const op of ops) if (op.kind === 'flatten') flattenOf.set(op.output, op.input);
  return (v) => {
    let channelOffset = 0;
    let flattened = false;
    for (;;) {
      const a = aliases.get(v);
      if (a) {
        channelOffset += a.channelOffset;
        v = a.root;
        continue;
      }
      const f = flattenOf.get(v);
      if (f !== undefined) {
        if (channelOffset !== 0 || aliases.has(f)) {
          throw new GraphError(`flatten '${g.node(v).name}' needs a dense input; '${g.node(f).name}' is a channel slice`);
        }
        v = f;
        flattened = true;
        continue;
      }
      return { root: v, channelOffset, flattened };
    }
  };
}

export function planMemory(
  g: ValueSpace, ops: readonly Op[], aliases: ReadonlyMap<ValueId, SliceAlias>, groups?: readonly number[],
): MemoryPlan {
  // First and last op index of each op's group (each op its own group without `groups`).
  const groupFirst = ops.map((_, i) => i);
  const groupLast = ops.map((_, i) => i);
  if (groups) {
    for (let i = 1; i < ops.length; i++) if (groups[i] === groups[i - 1]) groupFirst[i] = groupFirst[i - 1];
    for (let i = ops.length - 2; i >= 0; i--) if (groups[i] === groups[i + 1]) groupLast[i] = groupLast[i + 1];
  }
  const rootOf = bufferRoots(g, ops, aliases);

  const roots = new Map<ValueId, Root>();
  const touch = (v: ValueId, index: number) => {
    const { root } = rootOf(v);
    const first = groupFirst[index] ?? index;
    const last = groupLast[index] ?? index;
    let r = roots.get(root);
    if (!r) {
      const [n, h, w, c] = nhwc(g.shape(root));
      r = { value: root, bytes: Math.ceil((n * h * w * c * (g.elementBytes?.(root) ?? 4)) / ALIGN) * ALIGN, first, last, offset: 0 };
      roots.set(root, r);
    }
    r.first = Math.min(r.first, first);
    r.last = Math.max(r.last, last);
  };
  for (const v of g.inputs) touch(v, -1);
  ops.forEach((op, i) => {
    if (op.kind === 'flatten') return;
    for (const v of opOutputs(op)) touch(v, i);
    for (const v of opInputs(op)) touch(v, i);
  });
  for (const v of g.outputs) touch(v, ops.length);

  const placed: Root[] = [];
  let peakBytes = 0;
  let totalBytes = 0;
  for (const r of [...roots.values()].sort((a, b) => b.bytes - a.bytes || a.first - b.first)) {
    const busy = placed
      .filter((p) => p.first <= r.last && r.first <= p.last)
      .sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const p of busy) {
      if (offset + r.bytes <= p.offset) break;
      offset = Math.max(offset, p.offset + p.bytes);
    }
    r.offset = offset;
    placed.push(r);
    peakBytes = Math.max(peakBytes, offset + r.bytes);
    totalBytes += r.bytes;
  }

  return {
    peakBytes,
    totalBytes,
    view(v: ValueId): View {
      const { root, channelOffset, flattened } = rootOf(v);
      const r = roots.get(root);
      if (!r) throw new GraphError(`value '${g.node(v).name}' is never used, so it has no memory`);
      const [n, h, w, c] = nhwc(g.shape(v));
      const [, rh, rw, rc] = nhwc(g.shape(root));
      const e = g.elementBytes?.(root) ?? 4;
      const u8 = e === 1 ? { elementBytes: 1 as const } : {};
      if (flattened) {
        // Same bytes as the dense root, one "pixel" of F = H·W·C elements per image.
        return {
          offset: r.offset, batch: n, height: h, width: w, channels: c,
          pixelStrideBytes: c * e, imageStrideBytes: rh * rw * rc * e, ...u8,
        };
      }
      return {
        offset: r.offset + channelOffset * e, batch: n, height: h, width: w, channels: c,
        pixelStrideBytes: rc * e, imageStrideBytes: rh * rw * rc * e, ...u8,
      };
    },
  };
}
