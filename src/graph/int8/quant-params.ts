/**
 * Choosing each u8 value's quantisation from calibration ranges: per-tensor asymmetric u8,
 * real = scale·(q − zeroPoint), the range widened to hold 0 exactly (so padding, ReLU's floor
 * and a zero bias are exact). Values that must share bytes or an integer meaning share one
 * quantisation, found by union-find:
 *  - every channel slice of a concat and the concat itself (branches write straight into it);
 *  - a flatten's input and output (the same bytes);
 *  - a u8 max/avg/global pool's input and output (the kernels keep the integer scale);
 *  - a conversion's input and output (the copy is of the same tensor).
 * A group's range is the union of its members' calibrated ranges.
 */

import type { QuantParams } from '../../bindings/program.js';
import { GraphError, type ValueId } from '../nodes.js';
import { opInputs, opOutputs, type Op } from '../ops.js';
import type { SliceAlias } from '../passes.js';
import type { Int8Values } from './values.js';

/** The calibrated range of a value (min ≤ max, finite). */
export interface ValueRange {
  min: number;
  max: number;
}

/** u8 quantisation covering [min(lo, 0), max(hi, 0)]. */
export function paramsForRange(r: ValueRange): QuantParams {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  if (!(hi - lo > 1e-30) || !Number.isFinite(hi - lo)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

/** Sets `values.params` for every value in a group with a calibrated member. */
export function chooseQuantParams(
  values: Int8Values, ops: readonly Op[], aliases: ReadonlyMap<ValueId, SliceAlias>, u8Ops: ReadonlySet<Op>,
  ranges: ReadonlyMap<ValueId, ValueRange>,
): void {
  const parent = new Map<ValueId, ValueId>();
  const find = (v: ValueId): ValueId => {
    let r = v;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    // Path compression keeps later finds short.
    while (v !== r) {
      const next = parent.get(v) ?? r;
      parent.set(v, r);
      v = next;
    }
    return r;
  };
  const union = (a: ValueId, b: ValueId) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  };
  const members = new Set<ValueId>();
  for (const [v, a] of aliases) {
    union(v, a.root);
    members.add(v).add(a.root);
  }
  for (const op of ops) {
    const shared = op.kind === 'flatten' || op.kind === 'quantize' || op.kind === 'dequantize' ||
      (u8Ops.has(op) && (op.kind === 'maxPool' || op.kind === 'avgPool' || op.kind === 'globalAvgPool'));
    if (shared) union(op.input, op.output);
    for (const v of [...opInputs(op), ...opOutputs(op)]) members.add(v);
  }
  for (const v of values.inputs) members.add(v);
  const groupRange = new Map<ValueId, ValueRange>();
  for (const [v, r] of ranges) {
    const g = find(v);
    const have = groupRange.get(g);
    groupRange.set(g, have ? { min: Math.min(have.min, r.min), max: Math.max(have.max, r.max) } : { ...r });
  }
  for (const v of members) {
    const r = groupRange.get(find(v));
    if (r) values.params.set(v, paramsForRange(r));
  }
  for (const [root, type] of values.rootTypes) {
    if (type === 'u8' && !values.params.has(root)) {
      throw new GraphError(`int8: no range reaches '${values.node(root).name}': neither calibration nor the model file's quantisation covers it (a quantized model file must quantize every conv's input and output)`);
    }
  }
}
