/**
 * Weight packing: each op's framework-layout tensors (conv OIHW, FC [out, in], BN/bias [C]) into
 * the layout its kernel reads, BatchNorm folded in, written once into the arena at compile time.
 * One packer per algorithm: GEMM panels (f32_pack_gemm_weights), Winograd blocks
 * (f32_winograd_pack), depthwise taps (host), and a standalone BatchNorm's scale and shift.
 */

import type { Arena } from '../bindings/arena.js';
import { depthwiseWeightsFromTorch } from '../bindings/kernels/conv.js';
import { packedGemmWeightsFloats } from '../bindings/kernels/gemm.js';
import { batchNormScaleShift } from '../bindings/kernels/normalize.js';
import { WINOGRAD_2X2_G, winograd1dMatrices, winogradBlockFloats, winogradPackedFloats } from '../bindings/kernels/winograd.js';
import type { Kernels } from '../bindings/program.js';
import { assertNever } from '../util/assert-never.js';
import { gemmDims, type ConvAlgorithm, type ConvOp, type WinogradPlan } from './algorithm.js';
import { GraphError, type BatchNormNode, type ConvNode } from './nodes.js';
import type { ConvPart, Op } from './ops.js';

/** Named tensors in framework layout (conv OIHW, fc [out, in], BN/bias [C]). */
export type WeightMap = ReadonlyMap<string, Float32Array>;

/** Where an op's packed weights live (byte offsets in the arena), by what its kernel reads. */
export type PackedWeights =
  | { kind: 'none' }
  /** Conv/FC as GEMM: the packed panels of all parts back to back (bias inside each panel). */
  | { kind: 'gemm'; panels: number }
  /** Winograd: the transformed GEMM blocks, then the bias. */
  | { kind: 'winograd'; blocks: number; bias: number }
  /** Depthwise: taps `[kh][kw][C·m]`, bias (0 = none). */
  | { kind: 'depthwise'; taps: number; bias: number }
  /** Standalone BatchNorm: per-channel scale and shift. */
  | { kind: 'batchNorm'; scale: number; shift: number }
  /** Conv/FC as an int8 GEMM: the packed i8 panels of all parts back to back (src/graph/int8/pack-int8.ts). */
  | { kind: 'i8gemm'; panels: number };

const F32 = 4;
const NONE: PackedWeights = { kind: 'none' };

/**
 * Packs `op`'s weights into the arena; `algorithm` is the conv op's (convAlgorithm), undefined for
 * other ops.
 */
export function packOpWeights(
  op: Op, algorithm: ConvAlgorithm | undefined, weights: WeightMap, k: Kernels, arena: Arena,
): PackedWeights {
  if (op.kind === 'batchNorm') {
    const { scale, shift } = batchNormScaleShift(batchNormStats(op.node, weights));
    return { kind: 'batchNorm', scale: arena.putF32(scale), shift: arena.putF32(shift) };
  }
  if (op.kind !== 'conv') return NONE;
  if (!algorithm) throw new GraphError(`conv op '${op.name}' has no algorithm`);
  switch (algorithm.kind) {
    case 'depthwise':
      return packDepthwise(op.parts[0], algorithm.layer, weights, arena);
    case 'winograd':
      return packWinograd(op.parts[0], algorithm.plan, weights, k, arena);
    case 'gemm':
      return packGemm(op, weights, k, arena);
    default:
      return assertNever(algorithm, 'conv algorithm');
  }
}

function tensor(weights: WeightMap, name: string | undefined, expected: number, owner: string): Float32Array | undefined {
  if (name === undefined) return undefined;
  const t = weights.get(name);
  if (!t) throw new GraphError(`weight '${name}' (for '${owner}') is missing`);
  if (t.length !== expected) {
    throw new GraphError(`weight '${name}' (for '${owner}') has ${t.length} values, expected ${expected}`);
  }
  return t;
}

/** A BatchNorm node's statistics, looked up and length-checked. */
function batchNormStats(bn: BatchNormNode, weights: WeightMap) {
  const c = bn.channels;
  return {
    gamma: tensor(weights, bn.gamma, c, bn.name), beta: tensor(weights, bn.beta, c, bn.name),
    mean: tensor(weights, bn.mean, c, bn.name)!, var: tensor(weights, bn.var, c, bn.name)!, eps: bn.eps,
  };
}

/** GEMM panels of every part of a (possibly merged) conv/FC op, back to back; inputs staged in the arena and released. */
function packGemm(op: ConvOp, weights: WeightMap, k: Kernels, arena: Arena): PackedWeights {
  const [, inChannels, kernelH, kernelW] = gemmDims(op.parts[0].layer);
  const depth = kernelH * kernelW * inChannels;
  const total = op.parts.reduce((sum, p) => sum + packedGemmWeightsFloats(gemmDims(p.layer)[0], depth), 0);
  const dst = arena.allocF32(total);
  let at = dst;
  for (const part of op.parts) {
    const [outChannels] = gemmDims(part.layer);
    const mark = arena.mark();
    const put = (name: string | undefined, count: number) => {
      const t = tensor(weights, name, count, part.layer.name);
      return t ? arena.putF32(t) : 0;
    };
    const w = put(part.layer.weight, outChannels * depth);
    const bias = put(part.layer.bias, outChannels);
    const bn = part.bn;
    k.f32_pack_gemm_weights(
      w, outChannels, inChannels, kernelH, kernelW, bias,
      bn ? put(bn.gamma, outChannels) : 0, bn ? put(bn.beta, outChannels) : 0,
      bn ? put(bn.mean, outChannels) : 0, bn ? put(bn.var, outChannels) : 0, bn ? bn.eps : 0, at,
    );
    arena.release(mark);
    at += packedGemmWeightsFloats(outChannels, depth) * F32;
  }
  return { kind: 'gemm', panels: dst };
}

/** Winograd blocks + bias of a conv, BatchNorm folded by the pack kernel. */
function packWinograd(part: ConvPart, plan: WinogradPlan, weights: WeightMap, k: Kernels, arena: Arena): PackedWeights {
  const layer = part.layer as ConvNode;
  const { outChannels, inChannels } = layer;
  const taps = layer.kernelH * layer.kernelW;
  const mats = plan.dims === 1 ? winograd1dMatrices(plan.m, plan.r) : undefined;
  const alpha2d = plan.dims === 2 ? plan.tile + 2 : 0;
  const blocks = mats ? mats.alpha : alpha2d ** 2;
  const dst = arena.allocF32(winogradPackedFloats(blocks, outChannels, inChannels));
  const mark = arena.mark();
  const put = (name: string | undefined, count: number) => {
    const t = tensor(weights, name, count, layer.name);
    return t ? arena.putF32(t) : 0;
  };
  const bn = part.bn;
  const w = put(layer.weight, outChannels * inChannels * taps);
  const b = put(layer.bias, outChannels);
  const [gamma, beta, mean, variance] = bn
    ? [put(bn.gamma, outChannels), put(bn.beta, outChannels), put(bn.mean, outChannels), put(bn.var, outChannels)]
    : [0, 0, 0, 0];
  const gValues = mats ? mats.g : alpha2d === 4 ? WINOGRAD_2X2_G : winograd1dMatrices(alpha2d - 2, 3).g;
  const g = arena.alloc(gValues.length * 8);
  new Float64Array(arena.memory.buffer, g, gValues.length).set(gValues);
  k.f32_winograd_pack(
    w, outChannels, inChannels, layer.kernelH, layer.kernelW, mats ? mats.alpha : alpha2d, g, b, gamma, beta, mean,
    variance, bn ? bn.eps : 0, dst,
  );
  arena.release(mark);
  return { kind: 'winograd', blocks: dst, bias: dst + blocks * winogradBlockFloats(outChannels, inChannels) * F32 };
}

/** Depthwise taps in the kernel's layout, BatchNorm folded on the host (f64, rounded once). */
function packDepthwise(part: ConvPart, layer: ConvNode, weights: WeightMap, arena: Arena): PackedWeights {
  const multiplier = layer.outChannels / layer.inChannels;
  const taps = layer.kernelH * layer.kernelW;
  const w = depthwiseWeightsFromTorch(
    tensor(weights, layer.weight, layer.outChannels * taps, layer.name)!, layer.inChannels, multiplier,
    layer.kernelH, layer.kernelW,
  );
  const rawBias = tensor(weights, layer.bias, layer.outChannels, layer.name);
  const bias = new Float64Array(layer.outChannels);
  if (rawBias) bias.set(rawBias);
  if (part.bn) {
    const { scale, shift } = batchNormScaleShift(batchNormStats(part.bn, weights));
    for (let o = 0; o < layer.outChannels; o++) {
      for (let t = 0; t < taps; t++) w[t * layer.outChannels + o] *= scale[o];
      bias[o] = bias[o] * scale[o] + shift[o];
    }
  }
  const needsBias = rawBias !== undefined || part.bn !== undefined;
  return { kind: 'depthwise', taps: arena.putF32(w), bias: needsBias ? arena.putF32(bias) : 0 };
}
