/**
 * Integer arithmetic on quantized codes in float, the form this engine's QDQ export writes a u8
 * average pool in (src/onnx/export-qdq.ts `writeU8AvgPool`): Cast(uint8 → float) → Sub(zero
 * point) → AveragePool / GlobalAveragePool → Add(0.5) → Floor → Add(zero point) → Cast(uint8).
 * It is the average pool of the real values at the input's quantisation, rounded half up, which is
 * what the engine's u8 pool computes, so it imports as that pool on the float value, and the
 * output keeps the input's (scale, zero point).
 *
 * Between the Casts the tensor is a `codes` value: real(source)/scale + offset, elementwise, with
 * `rounded` telling whether a rounding (Floor of a half offset, Round) has made it whole again.
 * Only these steps are read, each checked to keep that form exact:
 *  - Cast to FLOAT of a uint8/int8 tensor (offset = its zero point, rounded);
 *  - Add or Sub of a scalar constant (offset ± k);
 *  - AveragePool / GlobalAveragePool at offset 0 (a padded zero is then a real zero);
 *  - Floor at a half offset (round half up) or of whole codes; Round of whole-offset codes;
 *  - Cast to UINT8/INT8 of rounded codes at a whole offset in the type's range: a quantized
 *    tensor with that zero point.
 * Anything else reading codes is refused by `NodeCtx.value`, naming the Cast they came from.
 */

import { FOLD_ONLY_OPS } from './fold.js';
import type { NodeCtx, Val } from './import-context.js';
import { DataType } from './onnx-proto.js';
import { dataTypeName } from './tensor.js';
import { markQuant } from './import-qdq.js';

type Handler = (c: NodeCtx) => void;
type Codes = Extract<Val, { kind: 'codes' }>;

const isWhole = (x: number) => Number.isInteger(x);

/** Input `i` as codes, or a refusal saying what this op reads on computed tensors. */
function codesIn(c: NodeCtx, i: number): Codes {
  const v = c.pending(i);
  if (v.kind === 'codes') return v;
  const op = c.node.opType;
  const what = v.kind === 'quantized' ? 'a quantized tensor' : 'a float tensor computed from the image';
  const codes = 'the quantized codes of a uint8/int8 tensor (Cast to float, as an integer average pool is written)';
  // Worded as the importer's other refusals of an op, which `inspect` recognises.
  throw c.fail(FOLD_ONLY_OPS.includes(op)
    ? `op '${op}' is supported only on constants and tensor shapes (it is evaluated at load) and on ${codes}, but its input '${c.inputName(i)}' is ${what}`
    : `op '${op}' is not supported on ${what} ('${c.inputName(i)}'); supported only on ${codes}`);
}

/** A scalar float constant input, or undefined. */
function scalarConst(c: NodeCtx, i: number): number | undefined {
  const v = c.pending(i);
  if (v.kind !== 'const') return undefined;
  const data = c.floats(v.tensor, 'constant');
  return data.length === 1 ? data[0] : undefined;
}

function cast(c: NodeCtx): void {
  c.attributes(['to', 'saturate']);
  const to = c.int('to', 0, { min: 0, max: 64 });
  const v = c.pending(0);
  if (v.kind === 'quantized') {
    if (to !== DataType.FLOAT) throw c.fail(`Cast of the quantized tensor '${c.inputName(0)}' to ${dataTypeName(to)} is not supported; supported: FLOAT (its codes)`);
    return c.output(0, { kind: 'codes', source: v.source, quant: v.quant, offset: v.quant.zeroPoint, rounded: true, node: c.name });
  }
  const codes = codesIn(c, 0);
  if (to === DataType.FLOAT) return c.output(0, codes);
  if (to !== DataType.UINT8 && to !== DataType.INT8) throw c.fail(`Cast of quantized codes to ${dataTypeName(to)} is not supported; supported: UINT8, INT8, FLOAT`);
  const signed = to === DataType.INT8;
  const [lo, hi] = signed ? [-128, 127] : [0, 255];
  if (!codes.rounded || !isWhole(codes.offset) || codes.offset < lo || codes.offset > hi) {
    throw c.fail(
      `Cast to ${dataTypeName(to)} of codes ${codes.rounded ? '' : 'not rounded '}at offset ${codes.offset} (from '${codes.node}'): ` +
        `supported: rounded codes whose offset is a zero point in ${lo}..${hi}`,
    );
  }
  const quant = { scale: codes.quant.scale, zeroPoint: codes.offset, signed };
  markQuant(c, codes.source, quant);
  c.output(0, { kind: 'quantized', source: codes.source, quant, node: c.name });
}

/** Add/Sub of quantized codes and a scalar constant; false when neither operand is codes. */
export function codesArithmetic(c: NodeCtx, op: 'Add' | 'Sub'): boolean {
  const [a, b] = [c.pending(0), c.pending(1)];
  if (a.kind !== 'codes' && b.kind !== 'codes') return false;
  const codesAt = a.kind === 'codes' ? 0 : 1;
  const k = scalarConst(c, 1 - codesAt);
  if (k === undefined || (op === 'Sub' && codesAt === 1)) {
    throw c.fail(`${op} of quantized codes is supported only as codes ${op === 'Add' ? '+' : '−'} a scalar constant`);
  }
  const codes = codesIn(c, codesAt);
  const offset = op === 'Add' ? codes.offset + k : codes.offset - k;
  c.output(0, { ...codes, offset, rounded: codes.rounded && isWhole(k) });
  return true;
}

function sub(c: NodeCtx): void {
  c.attributes([]);
  if (!codesArithmetic(c, 'Sub')) codesIn(c, c.pending(0).kind === 'const' ? 1 : 0);
}

function floor(c: NodeCtx): void {
  c.attributes([]);
  const codes = codesIn(c, 0);
  if (codes.rounded && isWhole(codes.offset)) return c.output(0, codes);
  if (!isWhole(codes.offset - 0.5)) {
    throw c.fail(`Floor of codes at offset ${codes.offset} is not a rounding; supported: Floor(codes + 0.5), round half up`);
  }
  c.output(0, { ...codes, offset: codes.offset - 0.5, rounded: true });
}

function round(c: NodeCtx): void {
  c.attributes([]);
  const codes = codesIn(c, 0);
  if (!isWhole(codes.offset)) throw c.fail(`Round of codes at offset ${codes.offset} is not a rounding of the codes; supported: a whole offset`);
  c.output(0, { ...codes, rounded: true });
}

/**
 * `handler` (an average pool) on codes at offset 0: the pool of the real values, as codes of the
 * pooled value (not rounded); other inputs go to `handler` as they are.
 */
export function onCodes(handler: Handler): Handler {
  return (c) => {
    const name = c.inputName(0);
    const v = c.imp.values.get(name);
    if (v?.kind !== 'codes') return handler(c);
    if (v.offset !== 0) {
      throw c.fail(`it pools quantized codes at offset ${v.offset} (from '${v.node}'); supported: centred codes (offset 0), whose padding is a real zero`);
    }
    c.imp.values.set(name, { kind: 'value', id: v.source });
    try {
      handler(c);
    } finally {
      c.imp.values.set(name, v);
    }
    const out = c.imp.values.get(c.node.output[0] ?? '');
    if (out?.kind !== 'value') throw c.fail('internal: a pool of codes bound no value');
    c.output(0, { kind: 'codes', source: out.id, quant: v.quant, offset: 0, rounded: false, node: v.node });
  };
}

/** Handlers of the codes steps on computed tensors (on constants, Cast and Sub fold at load). */
export const CODES_OPS: Readonly<Record<string, Handler>> = { Cast: cast, Sub: sub, Floor: floor, Round: round };

/** The ops that read a computed tensor only as quantized codes. */
export const CODES_ONLY_OPS: readonly string[] = Object.keys(CODES_OPS);
