/**
 * Lowering an f32 op list (after the passes) to an int8 program's op list:
 *
 *  1. Each op's form comes from the op table (src/ops/index.ts `INT8_FORMS`): on u8 values, in
 *     f32, or either (aliases, conversions). One exception: a pool whose output a model file
 *     quantizes at other params than its input (quant-params.ts `poolsRequantizedByFile`) runs in
 *     f32, so step 3 dequantizes its input and quantizes its output at the file's output params —
 *     onnxruntime's pool of the dequantized input, quantized once — where a u8 pool would keep the
 *     input's params.
 *  2. Each buffer's element type: u8 when any u8 op writes it, f32 otherwise (the graph input is
 *     f32: the caller stages floats). One exception: a u8 conv's output that is a buffer of its
 *     own, has no residual, and is read only by f32 ops or is a graph output (a classifier's
 *     logits) is written as f32 by the GEMM's f32 epilogue, so logits are never rounded to 8 bits.
 *     A pool of step 1's exception does not count as an f32 reader: it pools the conv's u8 codes,
 *     as the file's pool pools its dequantized input.
 *  3. Where an op reads a value of the other type, a conversion op makes the copy it reads
 *     (once per value and type, placed before its first reader); where an f32 op writes into a
 *     u8 buffer (a concat slice), it writes an f32 value and a quantize op stores it.
 *  4. A u8 main output gets a final dequantize: `run()` returns floats.
 *  5. Quantisation for every u8 value (quant-params.ts).
 */

import { GraphError, type ValueId } from '../nodes.js';
import { INT8_FORMS } from '../../ops/index.js';
import { mapOpValues, opInputs, opOutputs, type Op } from '../ops.js';
import type { SliceAlias } from '../passes.js';
import { bufferRoots } from '../planner.js';
import { chooseQuantParams, poolsRequantizedByFile, type ValueRange } from './quant-params.js';
import { Int8Values, type DType } from './values.js';
import type { Graph } from '../graph.js';

export type Int8Mode = 'u8' | 'f32' | 'either';

export interface Int8Lowered {
  ops: Op[];
  aliases: Map<ValueId, SliceAlias>;
  values: Int8Values;
  /** The ops that run on u8 values (their int8 step builders build them). */
  u8Ops: Set<Op>;
  /** The value `run()` reads: the graph's main output, or its f32 copy. */
  output: ValueId;
}

/** The form an op takes in an int8 program. */
export function int8Mode(op: Op): Int8Mode {
  const form = INT8_FORMS[op.kind] as (typeof INT8_FORMS)[Op['kind']] | undefined;
  if (form === undefined) throw new GraphError(`int8: unknown op kind '${String(op.kind)}' (op '${op.name}')`);
  if (form === 'f32' || form === 'either') return form;
  const accepts = form.accepts as ((o: Op) => boolean) | undefined;
  return accepts === undefined || accepts(op) ? 'u8' : 'f32';
}

export function lowerInt8(
  g: Graph, lowered: { ops: readonly Op[]; aliases: Map<ValueId, SliceAlias> }, ranges: ReadonlyMap<ValueId, ValueRange>,
): Int8Lowered {
  const { ops, aliases } = lowered;
  const values = new Int8Values(g);
  const requantized = poolsRequantizedByFile(ops, aliases, ranges);
  const modes = ops.map((op) => (requantized.has(op) ? 'f32' : int8Mode(op)));
  const rootOf = bufferRoots(g, ops, aliases);
  const root = (v: ValueId) => rootOf(v).root;

  // Readers of each value, through flattens (an alias reads nothing itself).
  const readers = new Map<ValueId, number[]>();
  ops.forEach((op, i) => {
    for (const v of opInputs(op)) {
      const list = readers.get(v);
      if (list) list.push(i);
      else readers.set(v, [i]);
    }
  });
  // A graph output's other reader is the caller, who reads floats.
  const onlyF32Readers = (v: ValueId): boolean =>
    (readers.get(v) ?? []).every((i) => (modes[i] === 'f32' && !requantized.has(ops[i])) || (ops[i].kind === 'flatten' && onlyF32Readers(opOutputs(ops[i])[0])));
  const aliasRoots = new Set([...aliases.values()].map((a) => a.root));

  // 2. Buffer element types.
  ops.forEach((op, i) => {
    if (modes[i] !== 'u8') return;
    for (const v of opOutputs(op)) values.rootTypes.set(root(v), 'u8');
  });
  ops.forEach((op, i) => {
    if (modes[i] !== 'u8' || op.kind !== 'conv') return;
    for (const part of op.parts) {
      const v = part.output;
      if (!part.residual && root(v) === v && !aliasRoots.has(v) && onlyF32Readers(v)) values.rootTypes.set(v, 'f32');
    }
  });
  for (const v of g.inputs) {
    if (values.rootTypes.get(root(v)) === 'u8') throw new GraphError(`int8: the graph input '${g.node(v).name}' is written by an op`);
  }
  const typeOf = (v: ValueId): DType => values.rootTypes.get(values.isAdded(v) ? v : root(v)) ?? 'f32';

  // 3. Conversions.
  const out: Op[] = [];
  const u8Ops = new Set<Op>();
  const copies = new Map<string, ValueId>();
  const copyOf = (v: ValueId, type: DType): ValueId => {
    if (typeOf(v) === type) return v;
    const key = `${v}:${type}`;
    let c = copies.get(key);
    if (c === undefined) {
      c = values.add(v, type === 'u8' ? ':u8' : ':f32');
      if (type === 'u8') values.rootTypes.set(c, 'u8');
      copies.set(key, c);
      const kind = type === 'u8' ? 'quantize' : 'dequantize';
      out.push({ kind, name: `${values.node(v).name}/${kind}`, input: v, output: c, params: { scale: 1, zeroPoint: 0 } });
    }
    return c;
  };
  ops.forEach((op, i) => {
    const mode = modes[i];
    if (mode === 'either') {
      out.push(op);
      return;
    }
    const stores: Array<[ValueId, ValueId]> = [];
    const converted = mapOpValues(
      op,
      (v) => copyOf(v, mode),
      (v) => {
        if (mode === 'f32' && typeOf(v) === 'u8') {
          const f = values.add(v, ':f32');
          stores.push([f, v]);
          return f;
        }
        return v;
      },
    );
    out.push(converted);
    if (mode === 'u8') u8Ops.add(converted);
    for (const [f, v] of stores) out.push({ kind: 'quantize', name: `${values.node(v).name}/quantize`, input: f, output: v, params: { scale: 1, zeroPoint: 0 } });
  });

  // 4. The main output as floats.
  let output = g.output;
  if (typeOf(output) === 'u8') {
    output = copyOf(output, 'f32');
    values.outputs.push(output);
  }

  // 5. Quantisation, then the conversions' parameters.
  chooseQuantParams(values, out, aliases, u8Ops, ranges);
  const final = out.map((op) => (op.kind === 'quantize' || op.kind === 'dequantize'
    ? { ...op, params: values.quant(op.kind === 'quantize' ? op.output : op.input) }
    : op));
  const finalU8 = new Set(final.filter((_, i) => u8Ops.has(out[i])));
  return { ops: final, aliases, values, u8Ops: finalU8, output };
}
