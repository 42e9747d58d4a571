/**
 * Scheduling: the order ops run in and where threads must wait for each other.
 *
 * Threads meet at a barrier after a step only when the next step needs it. Consecutive steps that
 * touch disjoint activation memory form one group: threads take tasks of the next step as soon as
 * the current one has none left. In an Inception block the 3×3, 5×5 and pool-projection branches
 * read the merged 1×1's outputs or the pool's and write their own channel slices of the concat, so
 * they share one group, and a thread that finishes its share of one branch starts on the next
 * instead of idling until the slowest task of the step is done.
 *
 *  1. `scheduleOps` orders ops by dependency level (each op as early as its inputs allow, ties in
 *     graph order: the pool of an Inception block moves up next to the merged 1×1 that reads the
 *     same input) and groups consecutive ops that read nothing the group writes;
 *  2. the memory planner keeps every value of a group live for the whole group, so no op of a
 *     group reuses memory another op of the group still reads or writes;
 *  3. `markStepGroups` derives the barriers from the steps' actual memory (a barrier wherever a
 *     step touches what its group wrote, or writes what it read), so correctness never rests on
 *     steps 1–2.
 *
 * The split of every step into tasks is unchanged, so each output is still computed by the same
 * instruction sequence: results stay bit-identical at any thread count.
 */

import { pixelPtr, stepAccess, viewElementBytes, type Step, type View } from '../bindings/program.js';
import type { ValueId } from './nodes.js';
import { opInputs, opOutputs, type Op } from './ops.js';
import type { SliceAlias } from './passes.js';
import { bufferRoots, type ValueSpace } from './planner.js';

/**
 * Ops in dependency-level order (stable) and the group of each: consecutive ops of which none
 * reads a buffer that an earlier op of the same group writes. A read of a concat (or of a slice
 * or flatten of one) depends on every op writing any part of it.
 */
export function scheduleOps(
  g: ValueSpace, ops: readonly Op[], aliases: ReadonlyMap<ValueId, SliceAlias>,
): { ops: Op[]; groups: number[] } {
  const roots = bufferRoots(g, ops, aliases);
  const rootOf = (v: ValueId): ValueId => roots(v).root;
  // Level of a buffer: the highest level of the ops writing it (graph inputs: 0).
  const bufferLevel = new Map<ValueId, number>();
  const levels = ops.map((op) => {
    const level = 1 + Math.max(0, ...opInputs(op).map((v) => bufferLevel.get(rootOf(v)) ?? 0));
    for (const v of opOutputs(op)) bufferLevel.set(rootOf(v), Math.max(bufferLevel.get(rootOf(v)) ?? 0, level));
    return level;
  });
  const order = ops.map((op, i) => ({ op, i, level: levels[i] })).sort((a, b) => a.level - b.level || a.i - b.i);

  const groups: number[] = [];
  let group = -1;
  let written = new Set<ValueId>();
  for (const { op } of order) {
    if (group < 0 || opInputs(op).some((v) => written.has(rootOf(v)))) {
      group++;
      written = new Set();
    }
    groups.push(group);
    for (const v of opOutputs(op)) written.add(rootOf(v));
  }
  return { ops: order.map((o) => o.op), groups };
}

/** One past the last byte of a view. */
function viewEnd(v: View): number {
  return pixelPtr(v, v.batch * v.height * v.width - 1) + v.channels * viewElementBytes(v);
}

/**
 * Whether two views can share a byte. Exact for channel slices of one NHWC map (same pixel and
 * image strides, same pixel count, offsets less than a pixel apart: disjoint when the channel
 * ranges are); otherwise any intersection of the byte spans counts as an overlap.
 */
export function viewsOverlap(a: View, b: View): boolean {
  if (viewEnd(a) <= b.offset || viewEnd(b) <= a.offset) return false;
  const stride = a.pixelStrideBytes;
  const sameGrid = stride === b.pixelStrideBytes && a.imageStrideBytes === b.imageStrideBytes &&
    a.batch === b.batch && a.height * a.width === b.height * b.width;
  const [lo, hi] = a.offset <= b.offset ? [a, b] : [b, a];
  const d = hi.offset - lo.offset;
  if (sameGrid && d < stride) return !(d >= lo.channels * viewElementBytes(lo) && d + hi.channels * viewElementBytes(hi) <= stride);
  return true;
}

function anyOverlap(xs: readonly View[], ys: readonly View[]): boolean {
  return xs.some((x) => ys.some((y) => viewsOverlap(x, y)));
}

/**
 * Sets `overlapsNext` on every step that the next step may run alongside: greedily, in program
 * order, a step joins the current group when it reads nothing the group writes and writes nothing
 * the group reads or writes; otherwise a barrier closes the group. Returns the number of barriers
 * left between steps.
 */
export function markStepGroups(steps: Step[]): number {
  let reads: View[] = [];
  let writes: View[] = [];
  let barriers = 0;
  steps.forEach((step, i) => {
    const access = stepAccess(step);
    const joins = i > 0 && !anyOverlap(access.reads, writes) && !anyOverlap(access.writes, writes) &&
      !anyOverlap(access.writes, reads);
    if (i > 0) {
      steps[i - 1].overlapsNext = joins;
      if (!joins) barriers++;
    }
    if (!joins) {
      reads = [];
      writes = [];
    }
    reads.push(...access.reads);
    writes.push(...access.writes);
  });
  if (steps.length > 0) delete steps[steps.length - 1].overlapsNext;
  return barriers;
}
