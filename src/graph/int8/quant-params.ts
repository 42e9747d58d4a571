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
 *
 * A model file's ranges (`ValueRange.fixed`) are not measurements but the (scale, zero point) the
 * file computes at. Where a file quantizes a pool's output at other params than its input,
 * `poolsRequantizedByFile` names the pool, and the int8 lowering runs it in f32 between a
 * dequantize and a quantize (what onnxruntime computes: the pool of the dequantized input,
 * quantized once at the output's params), so it joins no group. Calibrated ranges never mark a
 * pool: a calibrated program's u8 pools always share their input's quantisation.
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
  /**
   * The range a model file's (scale, zero point) cover (src/onnx/import-qdq.ts), which
   * `paramsForRange` maps back to exactly those params: the file fixes them. Absent for a
   * calibrated range.
   */
  fixed?: boolean;
}

/** u8 quantisation covering [min(lo, 0), max(hi, 0)]. */
export function paramsForRange(r: ValueRange): QuantParams {
  const lo = Math.min(0, r.min);
  const hi = Math.max(0, r.max);
  if (!(hi - lo > 1e-30) || !Number.isFinite(hi - lo)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-lo / scale))) };
}

/** Union-find over value ids: `find` gives a value's group representative. */
function unionFind(): { find: (v: ValueId) => ValueId; union: (a: ValueId, b: ValueId) => void } {
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
  return { find, union };
}

/** Per group representative, the union of its members' ranges that `counts`. */
function groupRanges(
  ranges: ReadonlyMap<ValueId, ValueRange>, find: (v: ValueId) => ValueId, counts: (r: ValueRange) => boolean,
): Map<ValueId, ValueRange> {
  const out = new Map<ValueId, ValueRange>();
  for (const [v, r] of ranges) {
    if (!counts(r)) continue;
    const g = find(v);
    const have = out.get(g);
    out.set(g, have ? { min: Math.min(have.min, r.min), max: Math.max(have.max, r.max) } : { min: r.min, max: r.max });
  }
  return out;
}

const isPool = (op: Op): op is Extract<Op, { kind: 'maxPool' | 'avgPool' | 'globalAvgPool' }> =>
  op.kind === 'maxPool' || op.kind === 'avgPool' || op.kind === 'globalAvgPool';

const sameParams = (a: QuantParams, b: QuantParams) => a.scale === b.scale && a.zeroPoint === b.zeroPoint;

/**
 * The pools (max, avg, global avg) whose input and output a model file quantizes at different
 * params: each side's group — the values sharing its bytes, concat slices with their concat and a
 * flatten with its input, pools not joined — holds `fixed` ranges, and the params of their union
 * differ between the sides. Only `fixed` ranges count, so calibrated ranges name no pool. A side
 * the file leaves unquantized keeps the pool on u8, sharing the other side's params.
 */
export function poolsRequantizedByFile(
  ops: readonly Op[], aliases: ReadonlyMap<ValueId, SliceAlias>, ranges: ReadonlyMap<ValueId, ValueRange>,
): Set<Op> {
  const found = new Set<Op>();
  const pools = ops.filter(isPool);
  if (pools.length === 0 || ![...ranges.values()].some((r) => r.fixed)) return found;
  const { find, union } = unionFind();
  for (const [v, a] of aliases) union(v, a.root);
  for (const op of ops) if (op.kind === 'flatten') union(op.input, op.output);
  const fileRange = groupRanges(ranges, find, (r) => r.fixed === true);
  for (const op of pools) {
    const input = fileRange.get(find(op.input));
    const output = fileRange.get(find(op.output));
    if (input && output && !sameParams(paramsForRange(input), paramsForRange(output))) found.add(op);
  }
  return found;
}

/** Sets `values.params` for every value in a group with a calibrated member. */
export function chooseQuantParams(
  values: Int8Values, ops: readonly Op[], aliases: ReadonlyMap<ValueId, SliceAlias>, u8Ops: ReadonlySet<Op>,
  ranges: ReadonlyMap<ValueId, ValueRange>,
): void {
  const { find, union } = unionFind();
  const members = new Set<ValueId>();
  for (const [v, a] of aliases) {
    union(v, a.root);
    members.add(v).add(a.root);
  }
  for (const op of ops) {
    const shared = op.kind === 'flatten' || op.kind === 'quantize' || op.kind === 'dequantize' || (u8Ops.has(op) && isPool(op));
    if (shared) union(op.input, op.output);
    for (const v of [...opInputs(op), ...opOutputs(op)]) members.add(v);
  }
  for (const v of values.inputs) members.add(v);
  const groupRange = groupRanges(ranges, find, () => true);
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
