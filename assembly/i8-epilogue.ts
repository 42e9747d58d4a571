// The per-element epilogue shared by the int8 convolutions (i8-gemm.ts: i8_gemm, i8_gemm_f32;
// i8-gemm-dot.ts: i8_gemm_dot, i8_gemm_dot_f32; i8-winograd.ts: i8_winograd_3x3,
// i8_winograd_3x3_f32): from an exact i32 accumulator row of ≤ 8 output channels to stored u8
// (requantized) or f32 values, and the whole-tile epilogues of the two GEMMs, which read the
// panel head laid out here. One copy of the arithmetic, so an output is the same bytes whichever
// kernel summed its accumulator. Also the panel and tile layout both GEMMs and the Winograd
// kernels read (NR, MR, the panel head, the accumulator tile, the A-pack chunk). Not re-exported
// by index.ts: nothing here is a kernel.
//
// Per element (see i8_gemm's contract for the whole rule):
//   y = acc + bias (i32, wraps), real = f32(y) · scale (one rounding each), + f32(res − resZero) ·
//   resScale when a residual is read, then nearest-even, + zero point, clamp (u8); or
//   min(max(f32(y) · scale, lo), hi) stored as f32.

import { storeBytes, toU8 } from './u8-common';

/**
 * Head of a packed weight panel (i8_pack_gemm_weights), byte offsets: bias i32[8] at 0, colSum
 * i32[8] at 32, scale f32[8] at 64, qSum i32[8] at 96 (qSum[j] = Σ_k max(−W[k][j], 0), read only by
 * the relaxed-dot GEMM); the k-pairs follow. Every reader of a panel takes its size from here.
 */
// @ts-ignore: decorator
@inline export const PANEL_HEAD_BYTES: i32 = 128;
/** Columns per packed weight panel. */
// @ts-ignore: decorator
@inline export const NR: i32 = 8;
/** Rows per GEMM micro-kernel tile (i8_gemm_mr), in every build. */
// @ts-ignore: decorator
@inline export const MR: i32 = 4;
/** One 4 × 8 i32 accumulator tile, handed from a micro-kernel to the epilogue through scratch. */
// @ts-ignore: decorator
@inline export const ACC_BYTES: i32 = 128;
/** Largest GEMM depth whose i32 sums are exact (65536 · 255 · 128 < 2³¹; i8_gemm's limits). */
// @ts-ignore: decorator
@inline export const MAX_K: i32 = 65536;
/** Packed A rows per chunk: as many as fit in this many bytes (about half of a 512 KiB L2). */
// @ts-ignore: decorator
@inline const CHUNK_BYTES: i32 = 262144;

/** A rows per chunk at depth k (a multiple of MR), the same for i8_gemm and i8_gemm_dot so i8_gemm_pack_bytes sizes both. */
// @ts-ignore: decorator
@inline export function chunkRows(k: i32): i32 {
  return max(MR, CHUNK_BYTES / (((k + 1) >> 1) << 2) / MR * MR);
}

/** Rows of the largest packed chunk of an m-row call: the scratch holds their accumulator tiles, then them. */
// @ts-ignore: decorator
@inline export function packedRows(m: i32, k: i32): i32 {
  return min((m + MR - 1) / MR * MR, chunkRows(k));
}

/** bias − aZero·colSum (four columns): the zero-point fold, modulo 2³² like the sums it corrects. */
// @ts-ignore: decorator
@inline export function foldBias(bias: v128, colSum: v128, za: v128): v128 {
  return i32x4.sub(bias, i32x4.mul(colSum, za));
}

/** f32(acc + bias) · scale for four columns: the integer add wraps, then one rounding each for the convert and the multiply. */
// @ts-ignore: decorator
@inline export function scaled(acc: v128, bias: v128, scale: v128): v128 {
  return f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(acc, bias)), scale);
}

/** One row of ≤ 8 columns: bias, scale, residual, round, zero point, clamp, narrow, store nc bytes. */
// @ts-ignore: decorator
@inline export function storeRow(
  c: usize, res: usize, v0: v128, v1: v128, b0: v128, b1: v128, s0: v128, s1: v128,
  loF: v128, hiF: v128, outZ: v128, resZ: v128, resS: v128, nc: i32,
): void {
  let f0 = scaled(v0, b0, s0);
  let f1 = scaled(v1, b1, s1);
  if (res != 0) {
    const r = i16x8.extend_low_i8x16_u(v128.load64_zero(res));
    const r0 = i32x4.sub(i32x4.extend_low_i16x8_u(r), resZ);
    const r1 = i32x4.sub(i32x4.extend_high_i16x8_u(r), resZ);
    f0 = f32x4.add(f0, f32x4.mul(f32x4.convert_i32x4_s(r0), resS));
    f1 = f32x4.add(f1, f32x4.mul(f32x4.convert_i32x4_s(r1), resS));
  }
  storeBytes(c, toU8(f0, f1, loF, hiF, outZ), nc);
}

/**
 * One row of ≤ 8 f32 columns: scale, clamp, store nc values. pmax(x, lo) = x < lo ? lo : x and
 * pmin(x, hi) = hi < x ? hi : x: a NaN fails both comparisons and is stored (f32_gemm's rule).
 */
// @ts-ignore: decorator
@inline export function storeRowF32(
  c: usize, v0: v128, v1: v128, b0: v128, b1: v128, s0: v128, s1: v128, vlo: v128, vhi: v128, nc: i32,
): void {
  let f0 = f32x4.pmin(f32x4.pmax(scaled(v0, b0, s0), vlo), vhi);
  const f1 = f32x4.pmin(f32x4.pmax(scaled(v1, b1, s1), vlo), vhi);
  if (nc == 8) {
    v128.store(c, f0);
    v128.store(c, f1, 16);
    return;
  }
  let left = nc;
  if (left >= 4) {
    v128.store(c, f0);
    f0 = f1;
    c += 16;
    left -= 4;
  }
  if (left & 2) {
    v128.store64_lane(c, f0, 0);
    f0 = v128.shuffle<f32>(f0, f0, 2, 3, 2, 3);
    c += 8;
  }
  if (left & 1) v128.store32_lane(c, f0, 0);
}

/**
 * Requantizes and stores the first `rows` rows of a 4 × 8 i32 tile (row-major, 128 bytes at acc;
 * acc[i][j] = Σ_k A·W exactly, modulo 2³²) with the panel head at w: the zero-point fold, then
 * storeRow per row (residual row i at res + i·resStride when res != 0).
 */
export function epilogue4(
  acc: usize, w: usize, aZero: i32, c: usize, cStride: i32, outZero: i32, lo: i32, hi: i32,
  res: usize, resStride: i32, resZero: i32, resScale: f32, nc: i32, rows: i32,
): void {
  const za = i32x4.splat(aZero);
  const b0 = foldBias(v128.load(w), v128.load(w, 32), za);
  const b1 = foldBias(v128.load(w, 16), v128.load(w, 48), za);
  const s0 = v128.load(w, 64);
  const s1 = v128.load(w, 80);
  const loF = f32x4.splat(<f32>(lo - outZero));
  const hiF = f32x4.splat(<f32>(hi - outZero));
  const oz = i32x4.splat(outZero);
  const rz = i32x4.splat(resZero);
  const rsc = f32x4.splat(resScale);
  const cs = <usize>cStride;
  const rs = res != 0 ? <usize>resStride : 0;
  storeRow(c, res, v128.load(acc), v128.load(acc, 16), b0, b1, s0, s1, loF, hiF, oz, rz, rsc, nc);
  if (rows > 1) storeRow(c + cs, res + rs, v128.load(acc, 32), v128.load(acc, 48), b0, b1, s0, s1, loF, hiF, oz, rz, rsc, nc);
  if (rows > 2) storeRow(c + 2 * cs, res + 2 * rs, v128.load(acc, 64), v128.load(acc, 80), b0, b1, s0, s1, loF, hiF, oz, rz, rsc, nc);
  if (rows > 3) storeRow(c + 3 * cs, res + 3 * rs, v128.load(acc, 96), v128.load(acc, 112), b0, b1, s0, s1, loF, hiF, oz, rz, rsc, nc);
}

/** Scales, clamps and stores as f32 the first `rows` rows of the 4 × 8 tile at acc (as epilogue4; panel head at w). */
export function epilogueF32(acc: usize, w: usize, aZero: i32, c: usize, cStride: i32, lo: f32, hi: f32, nc: i32, rows: i32): void {
  const za = i32x4.splat(aZero);
  const b0 = foldBias(v128.load(w), v128.load(w, 32), za);
  const b1 = foldBias(v128.load(w, 16), v128.load(w, 48), za);
  const s0 = v128.load(w, 64);
  const s1 = v128.load(w, 80);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const cs = <usize>cStride;
  storeRowF32(c, v128.load(acc), v128.load(acc, 16), b0, b1, s0, s1, vlo, vhi, nc);
  if (rows > 1) storeRowF32(c + cs, v128.load(acc, 32), v128.load(acc, 48), b0, b1, s0, s1, vlo, vhi, nc);
  if (rows > 2) storeRowF32(c + 2 * cs, v128.load(acc, 64), v128.load(acc, 80), b0, b1, s0, s1, vlo, vhi, nc);
  if (rows > 3) storeRowF32(c + 3 * cs, v128.load(acc, 96), v128.load(acc, 112), b0, b1, s0, s1, vlo, vhi, nc);
}

/**
 * The epilogue of one chunk's row blocks [i0, i1) for one panel (head at w, its columns from `col`
 * bytes into each C row, nc of them): block b's tile at acc + b·ACC_BYTES, rows i0 + b·MR …. T, C's
 * element type, picks the u8 requantize (epilogue4, residual rows at res + i·resStride when res
 * != 0) or the f32 one (epilogueF32, lo/hi as loF/hiF) at compile time; the GEMM drivers inline it.
 */
// @ts-ignore: decorator
@inline export function epilogueBlocks<T>(
  acc: usize, i0: i32, i1: i32, w: usize, aZero: i32, c: usize, cStride: i32, col: usize,
  outZero: i32, lo: i32, hi: i32, res: usize, resStride: i32, resZero: i32, resScale: f32,
  loF: f32, hiF: f32, nc: i32,
): void {
  for (let i = i0; i < i1; i += MR) {
    const rows = min(MR, i1 - i);
    if (isFloat<T>()) {
      epilogueF32(acc, w, aZero, c + <usize>(i * cStride) + col, cStride, loF, hiF, nc, rows);
    } else {
      epilogue4(
        acc, w, aZero, c + <usize>(i * cStride) + col, cStride, outZero, lo, hi,
        res != 0 ? res + <usize>(i * resStride) + col : 0, resStride, resZero, resScale, nc, rows,
      );
    }
    acc += ACC_BYTES;
  }
}
