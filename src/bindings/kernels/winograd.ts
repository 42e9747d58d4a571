/**
 * Typed access to the Winograd kernels (contracts in assembly/f32-winograd-2d.ts: 3×3 by
 * F(2×2, 3×3) / F(4×4, 3×3) / F(6×6, 3×3); assembly/f32-winograd-1d.ts: 1×r / r×1 by F(6, 7) / F(4, 7) / F(4, 3)) and the
 * host-side matrices and sizes that go with them. A Winograd conv is: pack once (α² transformed weight
 * blocks for 3×3, α for 1×r / r×1, + bias), then per block of tile rows: input transform → α² (or α)
 * GEMMs → output transform.
 */

import { packedGemmWeightsFloats } from './gemm.js';

/**
 * G of F(2×2, 3×3) as the kernels' Bᵀ and Aᵀ expect it (Lavin & Gray): rows [1 0 0], [½ ½ ½],
 * [½ −½ ½], [0 0 1]. F(4×4, 3×3) and F(6×6, 3×3) take G of the 1-D F(4, 3) and F(6, 3)
 * (winograd1dMatrices(4, 3).g, winograd1dMatrices(6, 3).g).
 */
export const WINOGRAD_2X2_G = Float64Array.of(1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1);

export interface WinogradKernels {
  /**
   * Conv weights (OIHW; BatchNorm folded when `meanPtr` != 0, as
   * f32_pack_gemm_weights) → the transformed, packed GEMM blocks (3×3: α², U = G g Gᵀ; 1×r / r×1:
   * α, U = G g; K = inChannels, zero panel biases), then the folded bias; `gPtr`: G (α × r f64).
   */
  f32_winograd_pack(
    srcPtr: number, outChannels: number, inChannels: number, kernelH: number, kernelW: number,
    alpha: number, gPtr: number,
    biasPtr: number, gammaPtr: number, betaPtr: number, meanPtr: number, varPtr: number, eps: number,
    dstPtr: number,
  ): void;
  /** V = Bᵀ d B (tile 2: F(2×2, 3×3), 4: F(4×4, 3×3), 6: F(6×6, 3×3)) for the tiles of tile rows [tyStart, tyEnd) of one image. */
  f32_winograd_input_3x3(
    tile: number, inPtr: number, inPixelStrideBytes: number, inH: number, inW: number, channels: number,
    padTop: number, padLeft: number, tilesW: number, tyStart: number, tyEnd: number,
    dstPtr: number, dstRowStrideBytes: number, dstMatrixStrideBytes: number,
  ): void;
  /** Y = clamp(Aᵀ M A + bias, lo, hi) into the in-range output pixels of tile rows [tyStart, tyEnd); F(4×4) and F(6×6) overwrite M. */
  f32_winograd_output_3x3(
    tile: number, srcPtr: number, srcRowStrideBytes: number, srcMatrixStrideBytes: number, channels: number,
    biasPtr: number, tilesW: number, tyStart: number, tyEnd: number, outH: number, outW: number,
    outPtr: number, outPixelStrideBytes: number, lo: number, hi: number,
  ): void;
}

/** Floats of one transformed GEMM block (one of the 16). */
export function winogradBlockFloats(outChannels: number, inChannels: number): number {
  return packedGemmWeightsFloats(outChannels, inChannels);
}

/** Floats written by the pack kernels: `blocks` (α² or α) GEMM blocks, then the bias. */
export function winogradPackedFloats(blocks: number, outChannels: number, inChannels: number): number {
  return blocks * winogradBlockFloats(outChannels, inChannels) + outChannels;
}

/**
 * Bytes from one transformed matrix (`tiles` rows of `channels` floats) to the next in scratch:
 * the matrix rounded up to an odd number of 64-byte cache lines. The transforms store one vector
 * into each of the α² (or α) matrices per tile; with a stride that is a multiple of 4 KiB, all of
 * those stores fall into one L1 set and alias for store-to-load forwarding (F(4×4) input transform
 * of a 28×28×128 map in 56-tile blocks: 1.06 → 0.24 ms; 56×56×64 → 192 output transform: 1.96 →
 * 0.98 ms; `npx tsx bench/winograd.ts --layers`). An odd line count puts every matrix of a tile in a
 * different set.
 */
export function winogradMatrixStrideBytes(tiles: number, channels: number): number {
  const lines = Math.ceil((tiles * channels * 4) / 64);
  return (lines % 2 === 0 ? lines + 1 : lines) * 64;
}

/**
 * Scratch bytes of one Winograd task of `tiles` tiles: V (`matrices` × tiles × inChannels) then
 * M (`matrices` × tiles × outChannels); α² matrices for 2-D, α for 1-D transforms, each
 * `winogradMatrixStrideBytes` apart. Matrix ξ of V starts at ξ · winogradMatrixStrideBytes(tiles, inChannels).
 */
export function winogradScratchBytes(tiles: number, inChannels: number, outChannels: number, matrices: number): number {
  return matrices * (winogradMatrixStrideBytes(tiles, inChannels) + winogradMatrixStrideBytes(tiles, outChannels));
}

export interface Winograd1dKernels {
  /** V = Bᵀ d (α = 12: F(6, 7), α = 10: F(4, 7), α = 6: F(4, 3)) for the tiles of lines [lineStart, lineEnd) of one image. */
  f32_winograd_input_1d(
    inPtr: number, inStepBytes: number, inLineBytes: number, inLen: number, channels: number, pad: number,
    alpha: number, tilesPerLine: number, lineStart: number, lineEnd: number,
    dstPtr: number, dstRowStrideBytes: number, dstMatrixStrideBytes: number,
  ): void;
  /** y = clamp(Aᵀ M + bias, lo, hi) for the in-range outputs of lines [lineStart, lineEnd). */
  f32_winograd_output_1d(
    srcPtr: number, srcRowStrideBytes: number, srcMatrixStrideBytes: number, channels: number, biasPtr: number,
    alpha: number, tilesPerLine: number, lineStart: number, lineEnd: number, outLen: number,
    outPtr: number, outStepBytes: number, outLineBytes: number, lo: number, hi: number,
  ): void;
}

/**
 * Interpolation points of the 1-D transforms, in the order they are taken (∞ is always the last
 * point): small integers, halves and quarters keep Bᵀ and Aᵀ exact in f32 and the error growth low
 * (±¼ as the 10th/11th points: relative RMS error of F(6, 7) 1.5× that of F(4, 7) in an f32
 * simulation; ±⅓ about the same but inexact in f32, ±3/2 4.5×, ±4 22×). The kernels hard-code Bᵀ
 * and Aᵀ of the four transforms they run on these points: F(6, 7) (all eleven), F(4, 7) (the
 * first nine), F(6, 3) (the first seven; also F(6×6, 3×3)) and F(4, 3) (the first five).
 */
const POINTS = [0, 1, -1, 2, -2, 0.5, -0.5, 3, -3, 0.25, -0.25];

/** The 1-D transforms the kernels implement, by kernel length r: the outputs per tile m they offer. */
export const WINOGRAD_1D_TILES: Readonly<Record<number, readonly number[]>> = { 3: [4], 7: [4, 6] };

/**
 * The tile (outputs per tile m) of WINOGRAD_1D_TILES[r] that needs the fewest GEMM rows for a line
 * of `outLen` outputs, ceil(outLen / m) tiles × α = m + r − 1 matrices (17 outputs of a 1×7: F(4, 7)
 * 5 × 10 = 50, F(6, 7) 3 × 12 = 36); ties go to the smaller m, whose rounding error is lower.
 * Undefined when no transform serves r.
 */
export function winograd1dTile(r: number, outLen: number): number | undefined {
  let best: number | undefined;
  let bestCost = Infinity;
  for (const m of WINOGRAD_1D_TILES[r] ?? []) {
    const cost = Math.ceil(outLen / m) * (m + r - 1);
    if (cost < bestCost) [best, bestCost] = [m, cost];
  }
  return best;
}

export interface Winograd1dMatrices {
  m: number;
  r: number;
  /** Tile length m + r − 1: GEMMs per tile. */
  alpha: number;
  /** Bᵀ, α × α, row-major. */
  bt: Float32Array;
  /** Aᵀ, m × α, row-major. */
  at: Float32Array;
  /** G, α × r, row-major, f64 (applied to the weights at packing). */
  g: Float64Array;
}

const polyMul = (p: number[], q: number[]): number[] => {
  const out = new Array<number>(p.length + q.length - 1).fill(0);
  p.forEach((x, i) => q.forEach((y, k) => (out[i + k] += x * y)));
  return out;
};

/**
 * Toom-Cook matrices of F(m, r) (correlation: y_i = Σ_k d_{i+k}·g_k) on the points POINTS[0 … α−2]
 * and ∞: y = Aᵀ[(G g) ⊙ (Bᵀ d)]. Bᵀ row j holds the coefficients of Π_{l≠j}(x − p_l) (row α−1:
 * of Π_l(x − p_l)); Aᵀ[i][j] = p_j^i (column α−1: [i = m−1]); G[j][k] = p_j^k / Π_{l≠j}(p_j − p_l)
 * (row α−1: [k = r−1]).
 */
export function winograd1dMatrices(m: number, r: number): Winograd1dMatrices {
  const alpha = m + r - 1;
  const n = alpha - 1;
  if (n > POINTS.length) throw new RangeError(`inception-wasm: Winograd F(${m}, ${r}) needs ${n} points, ${POINTS.length} known`);
  const p = POINTS.slice(0, n);
  const bt = new Float32Array(alpha * alpha);
  let all = [1];
  for (let l = 0; l < n; l++) all = polyMul(all, [-p[l], 1]);
  for (let j = 0; j < alpha; j++) {
    let q = [1];
    if (j < n) for (let l = 0; l < n; l++) { if (l !== j) q = polyMul(q, [-p[l], 1]); }
    else q = all;
    q.forEach((v, i) => (bt[j * alpha + i] = v));
  }
  const at = new Float32Array(m * alpha);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < alpha; j++) at[i * alpha + j] = j < n ? p[j] ** i : i === m - 1 ? 1 : 0;
  }
  const g = new Float64Array(alpha * r);
  for (let j = 0; j < alpha; j++) {
    let den = 1;
    for (let l = 0; l < n; l++) if (l !== j && j < n) den *= p[j] - p[l];
    for (let k = 0; k < r; k++) g[j * r + k] = j < n ? p[j] ** k / den : k === r - 1 ? 1 : 0;
  }
  return { m, r, alpha, bt, at, g };
}

