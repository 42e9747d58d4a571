/**
 * Quantising and packing an int8 conv/FC op's weights. Per part (a merged op has several):
 *
 *   fold BatchNorm in f64:   w'[o] = w[o]·γ[o]/√(var[o] + ε),  b'[o] = (b[o] − mean[o])·γ[o]/√(var[o] + ε) + β[o]
 *   weights, symmetric per output channel:  sW[o] = max|w'[o]| / 127,  q = round(w'/sW[o]) ∈ [−127, 127]
 *   bias at the accumulator's scale:         bq[o] = round(b'[o] / (sIn·sW[o]))  (i32)
 *   requantize factor (f32):                 scale[o] = f32(f32(sIn·sW[o]) / sOut)   (u8 output, no residual)
 *                                            scale[o] = f32(sIn·sW[o]·r / sOut)       (u8 output, residual scale r)
 *                                            scale[o] = f32(sIn·sW[o])                (f32 output: real values)
 * The first and last are evaluated in f32 in the order onnxruntime's QLinearConv/QGemm use, so
 * it reproduces our u8 values from the QDQ export (src/onnx/export-qdq.ts) exactly. A quantized
 * ONNX file's own per-channel weight scales (`fileWeightScales`, by weight name) replace sW for
 * a layer without a folded BatchNorm: its int8 weights then come back exactly. The panels of all parts lie back to back, as
 * the f32 GEMM's do, so a step's panel p is at `panels + p · i8_gemm_panel_bytes(K)`.
 * −128 is never used, so the weights stay within the range every dot-product instruction (and
 * the relaxed-dot GEMM, assembly/i8-gemm-dot.ts) handles exactly; `dotSafe` checks the packed
 * bytes themselves, so a −128 from any source keeps its conv on i8_gemm.
 */

import type { Arena } from '../../bindings/arena.js';
import { I8_PANEL_HEAD_BYTES, i8GemmPanels, i8PanelBytes, packedI8GemmBytes } from '../../bindings/kernels/int8.js';
import type { Kernels, QuantParams } from '../../bindings/program.js';
import { gemmDims, type ConvOp } from '../algorithm.js';
import { GraphError, type ValueId } from '../nodes.js';
import type { PackedWeights, WeightMap } from '../pack-weights.js';

/** What a quantized conv/FC layer holds, for reports and the QDQ export (the weights stay packed in the arena). */
export interface Int8Layer {
  /** The conv/FC node's name (its weights' owner). */
  name: string;
  output: ValueId;
  outChannels: number;
  /** GEMM depth K = kernelH·kernelW·inChannels. */
  depth: number;
  /** Byte offset of the part's first panel in the arena. */
  panels: number;
  /** Per output channel weight scale sW (f32 values). */
  weightScales: Float32Array;
  input: QuantParams;
  /** Undefined: the part writes f32. */
  output8?: QuantParams;
  residualScale?: number;
}

const I32_LIMIT = 2 ** 31 - 1;

function tensor(weights: WeightMap, name: string | undefined, expected: number, owner: string): Float32Array | undefined {
  if (name === undefined) return undefined;
  const t = weights.get(name);
  if (!t) throw new GraphError(`weight '${name}' (for '${owner}') is missing`);
  if (t.length !== expected) throw new GraphError(`weight '${name}' (for '${owner}') has ${t.length} values, expected ${expected}`);
  return t;
}

/** Whether packed panels of `n` columns of depth k (`bytes`, from the first panel) hold no −128 weight; the heads are not read. */
export function panelsDotSafe(bytes: Uint8Array, n: number, k: number): boolean {
  const panelBytes = i8PanelBytes(k);
  for (let p = 0; p < i8GemmPanels(n); p++) {
    const start = p * panelBytes + I8_PANEL_HEAD_BYTES;
    if (bytes.subarray(start, (p + 1) * panelBytes).indexOf(0x80) >= 0) return false;
  }
  return true;
}

/**
 * Packs every part of `op` into the arena; `quant(v)` gives a u8 value's quantisation and
 * `isF32(v)` whether a part writes f32. Returns the packed block, one Int8Layer per part and
 * `dotSafe`: whether every packed weight is in [−127, 127], the relaxed-dot GEMM's range.
 */
export function packInt8Conv(
  op: ConvOp, weights: WeightMap, k: Kernels, arena: Arena, quant: (v: ValueId) => QuantParams, isF32: (v: ValueId) => boolean,
  fileWeightScales?: ReadonlyMap<string, Float32Array>,
): { packed: PackedWeights; layers: Int8Layer[]; dotSafe: boolean } {
  const [, inChannels, kernelH, kernelW] = gemmDims(op.parts[0].layer);
  const depth = kernelH * kernelW * inChannels;
  const total = op.parts.reduce((sum, p) => sum + packedI8GemmBytes(gemmDims(p.layer)[0], depth), 0);
  const dst = arena.alloc(total);
  const input = quant(op.input);
  const layers: Int8Layer[] = [];
  let dotSafe = true;
  let at = dst;
  for (const part of op.parts) {
    const layer = part.layer;
    const [outChannels] = gemmDims(layer);
    const w = tensor(weights, layer.weight, outChannels * depth, layer.name)!;
    const b = tensor(weights, layer.bias, outChannels, layer.name);
    const bn = part.bn;
    const stats = bn && {
      gamma: tensor(weights, bn.gamma, outChannels, bn.name), beta: tensor(weights, bn.beta, outChannels, bn.name),
      mean: tensor(weights, bn.mean, outChannels, bn.name)!, var: tensor(weights, bn.var, outChannels, bn.name)!,
    };
    const output8 = isF32(part.output) ? undefined : quant(part.output);
    const r = part.residual?.scale ?? 1;
    const q = new Int8Array(outChannels * depth);
    const bias = new Int32Array(outChannels);
    const scale = new Float32Array(outChannels);
    const weightScales = new Float32Array(outChannels);
    const given = bn ? undefined : fileWeightScales?.get(layer.weight);
    if (given && given.length !== outChannels) throw new GraphError(`int8: '${layer.weight}' has ${given.length} weight scales for ${outChannels} output channels`);
    for (let o = 0; o < outChannels; o++) {
      const s = stats ? (stats.gamma ? stats.gamma[o] : 1) / Math.sqrt(stats.var[o] + bn!.eps) : 1;
      const shift = stats ? (stats.beta ? stats.beta[o] : 0) - stats.mean[o] * s : 0;
      let most = 0;
      for (let i = o * depth; i < (o + 1) * depth; i++) most = Math.max(most, Math.abs(w[i] * s));
      const sW = given && given[o]! > 0 ? given[o]! : Math.fround(most > 0 ? most / 127 : 1);
      weightScales[o] = sW;
      // Our scales give [−127, 127]; a file's own scale may carry its −128 (then that conv runs i8_gemm, not the dot path).
      const least = given ? -128 : -127;
      for (let i = o * depth; i < (o + 1) * depth; i++) q[i] = Math.max(least, Math.min(127, Math.round((w[i] * s) / sW)));
      const real = (b ? b[o] : 0) * s + shift;
      const bq = Math.round(real / (input.scale * sW));
      if (!Number.isFinite(bq) || Math.abs(bq) > I32_LIMIT / 2) {
        throw new GraphError(`int8: the bias of '${layer.name}' channel ${o} (${real}) does not fit the int32 accumulator at this input scale`);
      }
      bias[o] = bq;
      scale[o] = !output8
        ? Math.fround(input.scale * sW)
        : part.residual
          ? Math.fround((input.scale * sW * r) / output8.scale)
          : Math.fround(Math.fround(input.scale * sW) / output8.scale);
    }
    const mark = arena.mark();
    const src = arena.alloc(q.length);
    arena.u8(src, q.length).set(new Uint8Array(q.buffer));
    const biasAt = arena.alloc(outChannels * 4);
    arena.i32(biasAt, outChannels).set(bias);
    const scaleAt = arena.putF32(scale);
    const [, , kh, kw] = gemmDims(layer);
    k.i8_pack_gemm_weights(src, outChannels, inChannels, kh, kw, biasAt, scaleAt, at);
    arena.release(mark);
    dotSafe &&= panelsDotSafe(arena.u8(at, packedI8GemmBytes(outChannels, depth)), outChannels, depth);
    layers.push({
      name: layer.name, output: part.output, outChannels, depth, panels: at, weightScales, input,
      ...(output8 ? { output8 } : {}), ...(part.residual ? { residualScale: part.residual.scale } : {}),
    });
    at += packedI8GemmBytes(outChannels, depth);
  }
  return { packed: { kind: 'i8gemm', panels: dst }, layers, dotSafe };
}
