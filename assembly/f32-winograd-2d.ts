import { input1dF43, input1dF63, ld, output1dF43, output1dF63, st } from './winograd-common';

/**
 * Winograd convolution for stride-1 3×3 convs, in pieces around f32_gemm, with `tile` = 2
 * (F(2×2, 3×3), α = 4, 16 GEMMs: 2.25× fewer multiplies than the direct conv), 4
 * (F(4×4, 3×3), α = 6, 36 GEMMs: 4× fewer) or 6 (F(6×6, 3×3), α = 8, 64 GEMMs: 5.06× fewer):
 *
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A   per tile × tile output block, summed over input channels;
 *   d = the tile's α × α input patch, g = the 3×3 filter.
 *   F(2×2): Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
 *           Aᵀ = [1 1 1 0; 0 1 −1 −1] (Lavin & Gray).
 *   F(4×4): the 1-D F(4, 3) of winograd-common.ts (points 0, ±1, ±2, ∞) along both axes;
 *   F(6×6): the 1-D F(6, 3) (points 0, ±1, ±2, ±½, ∞) along both axes.
 *
 * 1. f32_winograd_pack (3×3, α, G): U = G g Gᵀ for every (out, in) channel pair → α² packed GEMM
 *    weight blocks (one per position ξ = α·i + j of the transformed tile) and the bias.
 * 2. f32_winograd_input_3x3: V_ξ = (Bᵀ d B)[i][j] for a block of tiles → α² matrices [T][C].
 * 3. f32_gemm per ξ: M_ξ = V_ξ · U_ξ (α² GEMMs, [T][C] · [C][Cout]).
 * 4. f32_winograd_output_3x3: Y = Aᵀ M A + bias, clamped, into the output tiles.
 *
 * Results differ from the direct conv by rounding only. Tiles: tile (ty, tx) covers output rows
 * tile·ty … tile·ty + tile − 1 (columns likewise) and reads input rows tile·ty − padTop …
 * tile·ty − padTop + α − 1; tilesW = ceil(outW / tile). Outputs past outH/outW in the last tile
 * row/column are computed but never stored; input outside the image is zero (padding).
 */

/**
 * f32_winograd_input_3x3: V = Bᵀ d B for the tiles of tile rows [tyStart, tyEnd) of one image
 * (tile 2, 4 or 6; any other tile returns without writing).
 *
 *   V_ξ[q][c], ξ = α·i + j, q = (ty − tyStart)·tilesW + tx, c < channels,
 *   stored at dstPtr + ξ·dstMatrixStrideBytes + q·dstRowStrideBytes + 4c.
 *
 * in: [inH][inW] pixels of one image, pixel stride inPixelStrideBytes ≥ 4·channels (a channel
 * slice is fine). Reads only in-image pixels' first `channels` floats; writes exactly `channels`
 * floats per (ξ, q) row, nothing else (F(4×4) and F(6×6) write each twice: the row pass lands in V
 * and the column pass transforms it in place). Alignment: 4 bytes.
 * Threads: split over tile rows (disjoint dst blocks); a pure transform, so any split gives
 * identical bytes.
 */
export function f32_winograd_input_3x3(
  tile: i32, inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  padTop: i32, padLeft: i32, tilesW: i32, tyStart: i32, tyEnd: i32,
  dstPtr: usize, dstRowStrideBytes: i32, dstMatrixStrideBytes: i32,
): void {
  if (tile != 2 && tile != 4 && tile != 6) return;
  const alpha = tile + 2;
  const full = (1 << alpha) - 1;
  const ps = <usize>inPixelStrideBytes;
  const ms = <usize>dstMatrixStrideBytes;
  const rowBytes = ps * <usize>inW;
  let dst = dstPtr;
  for (let ty = tyStart; ty < tyEnd; ty++) {
    const iy = ty * tile - padTop;
    for (let tx = 0; tx < tilesW; tx++) {
      const ix = tx * tile - padLeft;
      // Row/column validity as bit masks (bit k: row/column k of the patch is in the image).
      let rows = 0;
      let cols = 0;
      for (let k = 0; k < alpha; k++) {
        rows |= i32(iy + k >= 0 && iy + k < inH) << k;
        cols |= i32(ix + k >= 0 && ix + k < inW) << k;
      }
      const inside = rows == full && cols == full;
      const base = inPtr + <usize>iy * rowBytes + <usize>ix * ps;
      if (channels >= 4) {
        for (let c = 0; c < channels; c += 4) {
          const o = <usize>min(c, channels - 4) << 2;
          if (tile == 6) inputTileSquare(8, base + o, ps, rowBytes, rows, cols, dst + o, ms, false);
          else if (tile == 4) inputTileSquare(6, base + o, ps, rowBytes, rows, cols, dst + o, ms, false);
          else if (inside) inputTile2x2(base + o, ps, rowBytes, 15, 15, dst + o, ms, false);
          else inputTile2x2(base + o, ps, rowBytes, rows, cols, dst + o, ms, false);
        }
      } else {
        for (let c = 0; c < channels; c++) {
          const o = <usize>c << 2;
          if (tile == 6) inputTileSquare(8, base + o, ps, rowBytes, rows, cols, dst + o, ms, true);
          else if (tile == 4) inputTileSquare(6, base + o, ps, rowBytes, rows, cols, dst + o, ms, true);
          else inputTile2x2(base + o, ps, rowBytes, rows, cols, dst + o, ms, true);
        }
      }
      dst += <usize>dstRowStrideBytes;
    }
  }
}

/**
 * One tile, 4 channels (one = false) or 1 channel in lane 0 (one = true, the same arithmetic):
 * load the 4×4 patch (masked by the row/column bits), t = d B per patch row, V = Bᵀ t, store.
 */
// @ts-ignore: decorator
@inline function inputTile2x2(p: usize, ps: usize, rowBytes: usize, rows: i32, cols: i32, dst: usize, ms: usize, one: bool): void {
  const c0 = (cols & 1) != 0, c1 = (cols & 2) != 0, c2 = (cols & 4) != 0, c3 = (cols & 8) != 0;
  let ok = (rows & 1) != 0;
  let x0 = ld(p, ok && c0, one), x1 = ld(p + ps, ok && c1, one), x2 = ld(p + 2 * ps, ok && c2, one), x3 = ld(p + 3 * ps, ok && c3, one);
  const r0a = f32x4.sub(x0, x2), r0b = f32x4.add(x1, x2), r0c = f32x4.sub(x2, x1), r0d = f32x4.sub(x1, x3);
  let q = p + rowBytes;
  ok = (rows & 2) != 0;
  x0 = ld(q, ok && c0, one); x1 = ld(q + ps, ok && c1, one); x2 = ld(q + 2 * ps, ok && c2, one); x3 = ld(q + 3 * ps, ok && c3, one);
  const r1a = f32x4.sub(x0, x2), r1b = f32x4.add(x1, x2), r1c = f32x4.sub(x2, x1), r1d = f32x4.sub(x1, x3);
  q += rowBytes;
  ok = (rows & 4) != 0;
  x0 = ld(q, ok && c0, one); x1 = ld(q + ps, ok && c1, one); x2 = ld(q + 2 * ps, ok && c2, one); x3 = ld(q + 3 * ps, ok && c3, one);
  const r2a = f32x4.sub(x0, x2), r2b = f32x4.add(x1, x2), r2c = f32x4.sub(x2, x1), r2d = f32x4.sub(x1, x3);
  st(dst, f32x4.sub(r0a, r2a), one);
  st(dst + ms, f32x4.sub(r0b, r2b), one);
  st(dst + 2 * ms, f32x4.sub(r0c, r2c), one);
  st(dst + 3 * ms, f32x4.sub(r0d, r2d), one);
  st(dst + 4 * ms, f32x4.add(r1a, r2a), one);
  st(dst + 5 * ms, f32x4.add(r1b, r2b), one);
  st(dst + 6 * ms, f32x4.add(r1c, r2c), one);
  st(dst + 7 * ms, f32x4.add(r1d, r2d), one);
  st(dst + 8 * ms, f32x4.sub(r2a, r1a), one);
  st(dst + 9 * ms, f32x4.sub(r2b, r1b), one);
  st(dst + 10 * ms, f32x4.sub(r2c, r1c), one);
  st(dst + 11 * ms, f32x4.sub(r2d, r1d), one);
  q += rowBytes;
  ok = (rows & 8) != 0;
  x0 = ld(q, ok && c0, one); x1 = ld(q + ps, ok && c1, one); x2 = ld(q + 2 * ps, ok && c2, one); x3 = ld(q + 3 * ps, ok && c3, one);
  st(dst + 12 * ms, f32x4.sub(r1a, f32x4.sub(x0, x2)), one);
  st(dst + 13 * ms, f32x4.sub(r1b, f32x4.add(x1, x2)), one);
  st(dst + 14 * ms, f32x4.sub(r1c, f32x4.sub(x2, x1)), one);
  st(dst + 15 * ms, f32x4.sub(r1d, f32x4.sub(x1, x3)), one);
}

/**
 * f32_winograd_output_3x3: Y = clamp(Aᵀ M A + bias, lo, hi) for the tiles of tile rows
 * [tyStart, tyEnd) of one image (tile 2, 4 or 6; any other tile returns without writing).
 *
 *   M_ξ[q][c] at srcPtr + ξ·srcMatrixStrideBytes + q·srcRowStrideBytes + 4c (q as the input
 *   transform's), c < channels; bias [channels] floats (biasPtr 0 = none).
 *   Output pixel (oy, ox), channel c at outPtr + (oy·outW + ox)·outPixelStrideBytes + 4c, stored
 *   only for oy < outH, ox < outW (outPtr = pixel (0, 0) of the image, offset to the first channel).
 *
 * Writes exactly `channels` floats of each in-range output pixel; reads exactly M and bias.
 * F(4×4) and F(6×6) overwrite M (their row pass runs in place), so their channel tail (channels % 4) takes the
 * one-lane path, the same arithmetic, instead of an overlapping vector.
 * Threads: split over tile rows and/or channel ranges (offset srcPtr, biasPtr, outPtr); every
 * output is computed by the same sequence whatever the split.
 */
export function f32_winograd_output_3x3(
  tile: i32, srcPtr: usize, srcRowStrideBytes: i32, srcMatrixStrideBytes: i32, channels: i32, biasPtr: usize,
  tilesW: i32, tyStart: i32, tyEnd: i32, outH: i32, outW: i32,
  outPtr: usize, outPixelStrideBytes: i32, lo: f32, hi: f32,
): void {
  if (tile != 2 && tile != 4 && tile != 6) return;
  const ms = <usize>srcMatrixStrideBytes;
  const ps = <usize>outPixelStrideBytes;
  const rowBytes = ps * <usize>outW;
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const zero = f32x4.splat(0);
  const vectorEnd = tile != 2 ? channels & ~3 : channels >= 4 ? channels : 0;
  let src = srcPtr;
  for (let ty = tyStart; ty < tyEnd; ty++) {
    const oy = ty * tile;
    const rowCount = min(tile, outH - oy);
    for (let tx = 0; tx < tilesW; tx++) {
      const ox = tx * tile;
      const colCount = min(tile, outW - ox);
      const out = outPtr + <usize>oy * rowBytes + <usize>ox * ps;
      let c = 0;
      for (; c < vectorEnd; c += 4) {
        const o = <usize>min(c, channels - 4) << 2;
        const b = biasPtr != 0 ? v128.load(biasPtr + o) : zero;
        if (tile == 6) outputTileSquare(8, src + o, ms, b, vlo, vhi, rowCount, colCount, out + o, ps, rowBytes, false);
        else if (tile == 4) outputTileSquare(6, src + o, ms, b, vlo, vhi, rowCount, colCount, out + o, ps, rowBytes, false);
        else outputTile2x2(src + o, ms, b, vlo, vhi, out + o, ps, rowBytes, rowCount > 1, colCount > 1, false);
      }
      for (; c < channels; c++) {
        const o = <usize>c << 2;
        const b = biasPtr != 0 ? v128.load32_splat(biasPtr + o) : zero;
        if (tile == 6) outputTileSquare(8, src + o, ms, b, vlo, vhi, rowCount, colCount, out + o, ps, rowBytes, true);
        else if (tile == 4) outputTileSquare(6, src + o, ms, b, vlo, vhi, rowCount, colCount, out + o, ps, rowBytes, true);
        else outputTile2x2(src + o, ms, b, vlo, vhi, out + o, ps, rowBytes, rowCount > 1, colCount > 1, true);
      }
      src += <usize>srcRowStrideBytes;
    }
  }
}

/**
 * The 2×2 outputs of one tile for 4 channels (one = false) or 1 channel in lane 0 (one = true,
 * the same arithmetic): Aᵀ M A (rows of M first), bias, clamp, store the in-range outputs.
 */
// @ts-ignore: decorator
@inline function outputTile2x2(
  m: usize, ms: usize, b: v128, vlo: v128, vhi: v128, out: usize, ps: usize, rowBytes: usize, row1: bool, col1: bool,
  one: bool,
): void {
  // s_j = M_0j + M_1j + M_2j (output row 0), d_j = M_1j − M_2j − M_3j (output row 1).
  const m4 = ld(m + 4 * ms, true, one), m5 = ld(m + 5 * ms, true, one), m6 = ld(m + 6 * ms, true, one), m7 = ld(m + 7 * ms, true, one);
  const m8 = ld(m + 8 * ms, true, one), m9 = ld(m + 9 * ms, true, one), m10 = ld(m + 10 * ms, true, one), m11 = ld(m + 11 * ms, true, one);
  const s0 = f32x4.add(f32x4.add(ld(m, true, one), m4), m8);
  const s1 = f32x4.add(f32x4.add(ld(m + ms, true, one), m5), m9);
  const s2 = f32x4.add(f32x4.add(ld(m + 2 * ms, true, one), m6), m10);
  const s3 = f32x4.add(f32x4.add(ld(m + 3 * ms, true, one), m7), m11);
  const d0 = f32x4.sub(f32x4.sub(m4, m8), ld(m + 12 * ms, true, one));
  const d1 = f32x4.sub(f32x4.sub(m5, m9), ld(m + 13 * ms, true, one));
  const d2 = f32x4.sub(f32x4.sub(m6, m10), ld(m + 14 * ms, true, one));
  const d3 = f32x4.sub(f32x4.sub(m7, m11), ld(m + 15 * ms, true, one));
  const y00 = f32x4.add(f32x4.add(f32x4.add(s0, s1), s2), b);
  const y01 = f32x4.add(f32x4.sub(f32x4.sub(s1, s2), s3), b);
  const y10 = f32x4.add(f32x4.add(f32x4.add(d0, d1), d2), b);
  const y11 = f32x4.add(f32x4.sub(f32x4.sub(d1, d2), d3), b);
  st(out, f32x4.pmin(f32x4.pmax(y00, vlo), vhi), one);
  if (col1) st(out + ps, f32x4.pmin(f32x4.pmax(y01, vlo), vhi), one);
  if (row1) {
    st(out + rowBytes, f32x4.pmin(f32x4.pmax(y10, vlo), vhi), one);
    if (col1) st(out + rowBytes + ps, f32x4.pmin(f32x4.pmax(y11, vlo), vhi), one);
  }
}

/**
 * One F(4×4) (α = 6) or F(6×6) (α = 8) tile, 4 channels (or lane 0): the 1-D F(α − 2, 3) along
 * each patch row into V, then along V's columns in place. α is a constant at every call site.
 */
// @ts-ignore: decorator
@inline function inputTileSquare(
  alpha: i32, p: usize, ps: usize, rowBytes: usize, rows: i32, cols: i32, dst: usize, ms: usize, one: bool,
): void {
  for (let i = 0; i < alpha; i++) {
    const valid = ((rows >> i) & 1) != 0 ? cols : 0;
    const row = dst + <usize>(alpha * i) * ms;
    if (alpha == 8) input1dF63(p + <usize>i * rowBytes, ps, valid, row, ms, one);
    else input1dF43(p + <usize>i * rowBytes, ps, valid, row, ms, one);
  }
  const all = (1 << alpha) - 1;
  const step = <usize>alpha * ms;
  for (let j = 0; j < alpha; j++) {
    const col = dst + <usize>j * ms;
    if (alpha == 8) input1dF63(col, step, all, col, step, one);
    else input1dF43(col, step, all, col, step, one);
  }
}

/**
 * The outputs of one F(4×4) (α = 6) or F(6×6) (α = 8) tile, 4 channels (or lane 0): the 1-D
 * F(α − 2, 3) along each row of M (in place, no bias, no clamp), then along each in-range column
 * into the output with bias and clamp.
 */
// @ts-ignore: decorator
@inline function outputTileSquare(
  alpha: i32, m: usize, ms: usize, b: v128, vlo: v128, vhi: v128, rowCount: i32, colCount: i32,
  out: usize, ps: usize, rowBytes: usize, one: bool,
): void {
  const zero = f32x4.splat(0);
  const inf = f32x4.splat(Infinity);
  const ninf = f32x4.splat(-Infinity);
  for (let i = 0; i < alpha; i++) {
    const row = m + <usize>(alpha * i) * ms;
    if (alpha == 8) output1dF63(row, ms, zero, ninf, inf, 6, row, ms, one);
    else output1dF43(row, ms, zero, ninf, inf, 4, row, ms, one);
  }
  const step = <usize>alpha * ms;
  for (let k = 0; k < colCount; k++) {
    if (alpha == 8) output1dF63(m + <usize>k * ms, step, b, vlo, vhi, rowCount, out + <usize>k * ps, rowBytes, one);
    else output1dF43(m + <usize>k * ms, step, b, vlo, vhi, rowCount, out + <usize>k * ps, rowBytes, one);
  }
}
