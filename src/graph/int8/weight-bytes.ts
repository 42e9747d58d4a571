/**
 * Packed weight bytes of a graph at each precision, without weights, kernels or a session: what
 * `session.info.weightBytes` will be, for `inception-wasm info` and for sizing before a load.
 *
 * Both functions replay the packers' persistent arena blocks, op by op, over the same lowered op
 * list the compilers use (lowerWithPasses, same passes, same Winograd choice):
 *
 *   f32 conv/FC as GEMM   one block of Σ_parts packedGemmWeightsFloats(out, K) floats   (pack-weights.ts packGemm)
 *   f32 conv by Winograd  one block of winogradPackedFloats(α² or α, out, in) floats    (packWinograd)
 *   depthwise conv        taps [kh·kw·out] floats, then bias [out] when it has a bias or a folded BN (packDepthwise)
 *   standalone BatchNorm  scale [C] and shift [C] floats, two blocks                     (packOpWeights)
 *   u8 conv/FC (int8)     one block of Σ_parts packedI8GemmBytes(out, K) bytes           (pack-int8.ts packInt8Conv)
 *
 * with K = kh·kw·in, and every block as the arena hands it out (arena.ts `alloc`: the size plus
 * SLACK_BYTES, rounded up to ALIGN_BYTES). Temporary blocks the packers release (staged OIHW
 * tensors, BN statistics) do not count, as they do not in `weightBytes`. Which convs run as u8
 * comes from `int8Mode` (lower-int8.ts), so the int8 count needs no calibration: the ranges
 * change the quantisation, never the packed sizes. Exactness against real sessions is tested in
 * test/cli/int8.test.ts; a packer that changes its blocks must change this file too.
 */

import { ALIGN_BYTES, SLACK_BYTES } from '../../bindings/arena.js';
import { packedGemmWeightsFloats } from '../../bindings/kernels/gemm.js';
import { packedI8GemmBytes } from '../../bindings/kernels/int8.js';
import { winogradPackedFloats } from '../../bindings/kernels/winograd.js';
import { assertNever } from '../../util/assert-never.js';
import { convAlgorithm, gemmDims, type ConvAlgorithm, type ConvOp } from '../algorithm.js';
import { lowerWithPasses } from '../compile.js';
import type { Graph } from '../graph.js';
import type { Op } from '../ops.js';
import { ALL_PASSES, type PassName } from '../passes.js';
import { DEFAULT_TUNING } from '../tuning.js';
import { int8Mode } from './lower-int8.js';

const F32 = 4;

/** Bytes one `arena.alloc(bytes)` takes from the bump pointer. */
const block = (bytes: number): number => Math.ceil((bytes + SLACK_BYTES) / ALIGN_BYTES) * ALIGN_BYTES;

/** GEMM depth K = kh·kw·in of a (possibly merged) conv/FC op: every part shares the input and window. */
function depthOf(op: ConvOp): number {
  const [, inChannels, kernelH, kernelW] = gemmDims(op.parts[0].layer);
  return kernelH * kernelW * inChannels;
}

/** Persistent bytes `packOpWeights` allocates for `op` (f32 packing). */
function f32OpBytes(op: Op, algorithm: ConvAlgorithm | undefined): number {
  if (op.kind === 'batchNorm') return 2 * block(op.node.channels * F32);
  if (op.kind !== 'conv' || algorithm === undefined) return 0;
  switch (algorithm.kind) {
    case 'gemm': {
      const depth = depthOf(op);
      return block(F32 * op.parts.reduce((sum, p) => sum + packedGemmWeightsFloats(gemmDims(p.layer)[0], depth), 0));
    }
    case 'winograd': {
      const { plan } = algorithm;
      const [outChannels, inChannels] = gemmDims(op.parts[0].layer);
      const blocks = plan.dims === 1 ? plan.m + plan.r - 1 : (plan.tile + 2) ** 2;
      return block(F32 * winogradPackedFloats(blocks, outChannels, inChannels));
    }
    case 'depthwise': {
      const { layer } = algorithm;
      const part = op.parts[0];
      const taps = block(F32 * layer.outChannels * layer.kernelH * layer.kernelW);
      const bias = layer.bias !== undefined || part.bn !== undefined ? block(F32 * layer.outChannels) : 0;
      return taps + bias;
    }
    default:
      return assertNever(algorithm, 'conv algorithm');
  }
}

/** Persistent bytes `packInt8Conv` allocates for a u8 conv/FC op: the i8 panels of all parts in one block. */
function i8ConvBytes(op: ConvOp): number {
  const depth = depthOf(op);
  return block(op.parts.reduce((sum, p) => sum + packedI8GemmBytes(gemmDims(p.layer)[0], depth), 0));
}

/**
 * Packed weight bytes of `g` in an f32 session (`createSession({ ..., passes, winograd })`'s
 * `info.weightBytes`).
 */
export function f32WeightBytes(g: Graph, passes: readonly PassName[] = ALL_PASSES, winograd = true): number {
  return lowerWithPasses(g, passes).ops.reduce(
    (sum, op) => sum + f32OpBytes(op, op.kind === 'conv' ? convAlgorithm(op, winograd, DEFAULT_TUNING) : undefined), 0,
  );
}

/**
 * Packed weight bytes of `g` in an int8 session (`precision: 'int8'`, same passes and Winograd
 * option): int8 panels for the convs and FCs that run on u8 values (dense ones; depthwise stays
 * f32), f32 packing for every other op with weights. Conversion ops hold no weights.
 */
export function int8WeightBytes(g: Graph, passes: readonly PassName[] = ALL_PASSES, winograd = true): number {
  return lowerWithPasses(g, passes).ops.reduce((sum, op) => {
    if (op.kind === 'conv' && int8Mode(op) === 'u8') return sum + i8ConvBytes(op);
    return sum + f32OpBytes(op, op.kind === 'conv' ? convAlgorithm(op, winograd, DEFAULT_TUNING) : undefined);
  }, 0);
}
