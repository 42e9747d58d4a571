/**
 * Which algorithm runs each conv op: a depthwise conv, a GEMM (direct on the input for 1×1
 * stride-1 unpadded convs and FC layers, else over an im2col copy), or Winograd (2-D F(2×2),
 * F(4×4), F(6×6) for 3×3; 1-D F(m, r) along W or H for 1×r / r×1). The choice depends on the
 * layer alone, never on the thread count or batch, so outputs stay bit-identical across both;
 * its thresholds are in the `Tuning` record.
 */

import { winograd1dTile } from '../bindings/kernels/winograd.js';
import type { ConvNode, FcNode } from './nodes.js';
import type { Op } from './ops.js';
import { winogradSplit } from './task-split.js';
import { DEFAULT_TUNING, type Tuning } from './tuning.js';

export type ConvOp = Extract<Op, { kind: 'conv' }>;

/** How a conv runs by Winograd: F(2×2, 4×4 or 6×6, 3×3), or 1-D F(m, r) along W (1×r) or H (r×1). */
export type WinogradPlan = { dims: 2; tile: 2 | 4 | 6 } | { dims: 1; axis: 'w' | 'h'; r: number; m: number };

export type ConvAlgorithm =
  | { kind: 'depthwise'; layer: ConvNode }
  | { kind: 'gemm'; direct: boolean }
  | { kind: 'winograd'; plan: WinogradPlan };

/** A grouped conv (groups ≠ 1: the networks' only grouped convs are depthwise). */
export function depthwiseLayer(layer: ConvNode | FcNode): ConvNode | undefined {
  return layer.kind === 'conv' && layer.groups !== 1 ? layer : undefined;
}

/** GEMM geometry of a conv/FC layer: [outChannels, inChannels, kernelH, kernelW]. */
export function gemmDims(layer: ConvNode | FcNode): [number, number, number, number] {
  return layer.kind === 'fc'
    ? [layer.outFeatures, layer.inFeatures, 1, 1]
    : [layer.outChannels, layer.inChannels, layer.kernelH, layer.kernelW];
}

/** The algorithm of a conv op; `winograd` false keeps every dense conv on the GEMM path. */
export function convAlgorithm(op: ConvOp, winograd: boolean, t: Tuning = DEFAULT_TUNING): ConvAlgorithm {
  const first = op.parts[0].layer;
  const dw = depthwiseLayer(first);
  if (dw) return { kind: 'depthwise', layer: dw };
  const plan = winograd ? winogradPlan(op, t) : undefined;
  if (plan) return { kind: 'winograd', plan };
  const direct = first.kind === 'fc' || (
    first.kernelH === 1 && first.kernelW === 1 && first.strideH === 1 && first.strideW === 1 &&
    first.pads.top + first.pads.left + first.pads.bottom + first.pads.right === 0
  );
  return { kind: 'gemm', direct };
}

/**
 * F(6×6, 3×3) instead of F(4×4): where its GEMM rows × 64 matrices are fewer than F(4×4)'s rows ×
 * 36 (147×147: 625 · 64 vs 1369 · 36, 0.81×; 71×71: 0.79×) and the `winograd6x6*` thresholds hold.
 * The row blocks counted are those of one image on one thread, so the choice does not depend on
 * threads or batch.
 */
function winograd6x6Pays(tiles: (tile: number) => number, layer: ConvNode, outH: number, outW: number, t: Tuning): boolean {
  if (tiles(6) < t.winograd6x6MinTiles || tiles(6) * 64 >= tiles(4) * 36 || layer.outChannels > t.winograd6x6MaxOutChannels) return false;
  const split = winogradSplit(1, Math.ceil(outH / 6), Math.ceil(outW / 6), 64, layer.inChannels, layer.outChannels, 1, t);
  return split.rowTasks >= t.winograd6x6MinRowBlocks;
}

/**
 * Convs that run by Winograd: one (unmerged) dense stride-1 conv without a fused residual, wide
 * enough on both sides for the transforms to pay (`winogradMinChannels` in and out), with a 3×3
 * kernel (2-D) or a 1×3/1×7/3×1/7×1 kernel and no padding across the kernel's axis (1-D).
 */
export function winogradPlan(op: Op, t: Tuning = DEFAULT_TUNING): WinogradPlan | undefined {
  if (op.kind !== 'conv' || op.parts.length !== 1) return undefined;
  const { layer, residual } = op.parts[0];
  if (layer.kind !== 'conv' || layer.groups !== 1 || residual !== undefined) return undefined;
  if (layer.strideH !== 1 || layer.strideW !== 1) return undefined;
  if (layer.inChannels < t.winogradMinChannels || layer.outChannels < t.winogradMinChannels) return undefined;
  const { kernelH: kh, kernelW: kw, pads } = layer;
  const [, outH, outW] = layer.shape;
  const tiles = (tile: number) => Math.ceil(outH / tile) * Math.ceil(outW / tile);
  if (kh === 3 && kw === 3) {
    if (winograd6x6Pays(tiles, layer, outH, outW, t)) return { dims: 2, tile: 6 };
    if (tiles(4) >= t.winograd4x4MinTiles) return { dims: 2, tile: 4 };
    return tiles(2) >= t.winograd2x2MinTiles ? { dims: 2, tile: 2 } : undefined;
  }
  const mW = kh === 1 && pads.top === 0 && pads.bottom === 0 ? winograd1dTile(kw, outW) : undefined;
  if (mW) return { dims: 1, axis: 'w', r: kw, m: mW };
  const mH = kw === 1 && pads.left === 0 && pads.right === 0 ? winograd1dTile(kh, outH) : undefined;
  if (mH) return { dims: 1, axis: 'h', r: kh, m: mH };
  return undefined;
}
