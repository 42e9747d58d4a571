import { foldBatchNorm } from './f32-pack';

/**
 * Winograd F(2×2, 3×3) convolution for stride-1 3×3 convs, in three pieces around f32_gemm:
 *
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A   per 2×2 output tile, summed over input channels, where
 *   d = the tile's 4×4 input patch, g = the 3×3 filter, and
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1].
 *
 * 1. f32_winograd_pack_2d (α = 4, G above): U = G g Gᵀ for every (out, in) channel pair → 16
 *    packed GEMM weight blocks (one per position ξ = 4i + j of the 4×4 transformed tile) and the bias.
 * 2. f32_winograd_input_2x2_3x3: V_ξ = (Bᵀ d B)[i][j] for a block of tiles → 16 matrices [T][C].
 * 3. f32_gemm per ξ: M_ξ = V_ξ · U_ξ (16 GEMMs, [T][C] · [C][Cout]).
 * 4. f32_winograd_output_2x2_3x3: Y = Aᵀ M A + bias, clamped, into the output tiles.
 *
 * 2.25× fewer multiplies than the direct conv; results differ from it by rounding only (the
 * transforms add and subtract with coefficients ±1 and ±½).
 *
 * Tiles: tile (ty, tx) covers output rows 2ty, 2ty + 1 and columns 2tx, 2tx + 1 and reads input
 * rows 2ty − padTop … 2ty − padTop + 3 (columns likewise); tilesW = ceil(outW / 2). Outputs past
 * outH/outW in the last tile row/column are computed but never stored; input outside the image
 * is zero (padding).
 */

/**
 * f32_winograd_input_2x2_3x3: V = Bᵀ d B for tiles of tile rows [tyStart, tyEnd) of one image.
 *
 *   V_ξ[r][c] with ξ = 4i + j, r = (ty − tyStart)·tilesW + tx, c < channels,
 *   stored at dstPtr + ξ·dstMatrixStrideBytes + r·dstRowStrideBytes + 4c.
 *
 * in: [inH][inW] pixels of one image, pixel stride inPixelStrideBytes ≥ 4·channels (a channel
 * slice is fine). Reads only in-image pixels' first `channels` floats; writes exactly
 * `channels` floats per (ξ, r) row, nothing else. Alignment: 4 bytes.
 * Threads: split over tile rows (disjoint dst blocks); a pure transform, so any split gives
 * identical bytes.
 */
export function f32_winograd_input_2x2_3x3(
  inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  padTop: i32, padLeft: i32, tilesW: i32, tyStart: i32, tyEnd: i32,
  dstPtr: usize, dstRowStrideBytes: i32, dstMatrixStrideBytes: i32,
): void {
  const ps = <usize>inPixelStrideBytes;
  const ms = <usize>dstMatrixStrideBytes;
  const rowBytes = ps * <usize>inW;
  let dst = dstPtr;
  for (let ty = tyStart; ty < tyEnd; ty++) {
    const iy = ty * 2 - padTop;
    for (let tx = 0; tx < tilesW; tx++) {
      const ix = tx * 2 - padLeft;
      const inside = iy >= 0 && iy + 4 <= inH && ix >= 0 && ix + 4 <= inW;
      // Row/column validity as bit masks (bit k: row/column k of the patch is in the image).
      let rows = 0;
      let cols = 0;
      for (let k = 0; k < 4; k++) {
        rows |= i32(iy + k >= 0 && iy + k < inH) << k;
        cols |= i32(ix + k >= 0 && ix + k < inW) << k;
      }
      const base = inPtr + <usize>iy * rowBytes + <usize>ix * ps;
      if (channels >= 4) {
        for (let c = 0; c < channels; c += 4) {
          const cc = min(c, channels - 4);
          const o = <usize>cc << 2;
          if (inside) inputTile(base + o, ps, rowBytes, 15, 15, dst + o, ms, false);
          else inputTile(base + o, ps, rowBytes, rows, cols, dst + o, ms, false);
        }
      } else {
        for (let c = 0; c < channels; c++) {
          const o = <usize>c << 2;
          inputTile(base + o, ps, rowBytes, rows, cols, dst + o, ms, true);
        }
      }
      dst += <usize>dstRowStrideBytes;
    }
  }
}

// @ts-ignore: decorator
@inline function ld(p: usize, ok: bool, one: bool): v128 {
  return ok ? (one ? v128.load32_splat(p) : v128.load(p)) : f32x4.splat(0);
}

// @ts-ignore: decorator
@inline function st(p: usize, v: v128, one: bool): void {
  if (one) v128.store32_lane(p, v, 0);
  else v128.store(p, v);
}

/**
 * One tile, 4 channels (one = false) or 1 channel in lane 0 (one = true, the same arithmetic):
 * load the 4×4 patch (masked by the row/column bits), t = d B per patch row, V = Bᵀ t, store.
 */
// @ts-ignore: decorator
@inline function inputTile(p: usize, ps: usize, rowBytes: usize, rows: i32, cols: i32, dst: usize, ms: usize, one: bool): void {
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
 * f32_winograd_output_2x2_3x3: Y = clamp(Aᵀ M A + bias, lo, hi) for tiles of tile rows
 * [tyStart, tyEnd) of one image.
 *
 *   M_ξ[r][c] at srcPtr + ξ·srcMatrixStrideBytes + r·srcRowStrideBytes + 4c (r as in the input
 *   transform), c < channels; bias [channels] floats (biasPtr 0 = none).
 *   Output pixel (oy, ox), channel c at outPtr + (oy·outW + ox)·outPixelStrideBytes + 4c, stored
 *   only for oy < outH, ox < outW (outPtr = pixel (0, 0) of the image, offset to the first channel).
 *
 * Writes exactly `channels` floats of each in-range output pixel; reads exactly M and bias.
 * Threads: split over tile rows and/or channel ranges (offset srcPtr, biasPtr, outPtr); every
 * output is computed by the same sequence whatever the split.
 */
export function f32_winograd_output_2x2_3x3(
  srcPtr: usize, srcRowStrideBytes: i32, srcMatrixStrideBytes: i32, channels: i32, biasPtr: usize,
  tilesW: i32, tyStart: i32, tyEnd: i32, outH: i32, outW: i32,
  outPtr: usize, outPixelStrideBytes: i32, lo: f32, hi: f32,
): void {
  const ms = <usize>srcMatrixStrideBytes;
  const ps = <usize>outPixelStrideBytes;
  const rowBytes = ps * <usize>outW;
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let src = srcPtr;
  for (let ty = tyStart; ty < tyEnd; ty++) {
    const oy = ty * 2;
    const row1 = oy + 1 < outH;
    for (let tx = 0; tx < tilesW; tx++) {
      const ox = tx * 2;
      const col1 = ox + 1 < outW;
      const out = outPtr + <usize>oy * rowBytes + <usize>ox * ps;
      if (channels >= 4) {
        for (let c = 0; c < channels; c += 4) {
          const cc = min(c, channels - 4);
          const o = <usize>cc << 2;
          const b = biasPtr != 0 ? v128.load(biasPtr + o) : f32x4.splat(0);
          outputTile(src + o, ms, b, vlo, vhi, out + o, ps, rowBytes, row1, col1, false);
        }
      } else {
        for (let c = 0; c < channels; c++) {
          const o = <usize>c << 2;
          const b = biasPtr != 0 ? v128.load32_splat(biasPtr + o) : f32x4.splat(0);
          outputTile(src + o, ms, b, vlo, vhi, out + o, ps, rowBytes, row1, col1, true);
        }
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
@inline function outputTile(
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
 * One-dimensional Winograd F(m, r) for 1×r and r×1 stride-1 convs (the 1×7/7×1 and 1×3/3×1
 * convs of Inception-v3/v4/ResNet-v2): two transforms, selected by α = m + r − 1,
 *
 *   α = 8: F(2, 7), points 0, 1, −1, 2, −2, ½, −½, ∞;   α = 6: F(4, 3), points 0, 1, −1, 2, −2, ∞,
 *   y = Aᵀ [ (G g) ⊙ (Bᵀ d) ]   per tile of m outputs along the kernel's axis, summed over
 *   input channels; d = the α inputs the tile reads, g = the r filter taps. Bᵀ row j holds the
 *   coefficients of Π_{l≠j}(x − p_l) (last row: Π_l(x − p_l)), Aᵀ[i][j] = p_j^i (last column
 *   [i = m − 1]); G (f64, given to the pack kernel) = src/bindings/kernels/winograd.ts
 *   winograd1dMatrices, which derives all three from the same points.
 *
 * The map is seen as *lines* along the kernel's axis: for a 1×r conv a line is an image row
 * (element step = pixel stride, line step = row stride), for r×1 a column (element step = row
 * stride, line step = pixel stride). Tile t of a line covers outputs t·m … t·m + m − 1 and reads
 * inputs t·m − pad … t·m − pad + α − 1 (zero outside [0, inLen)); tilesPerLine = ceil(outLen / m).
 * Across lines nothing is padded (the other kernel extent is 1).
 */

/**
 * Shared by the Winograd pack kernels, for packed column o: zero its panel-bias slot in each of
 * the `blocks` blocks and, for o < outChannels, fold BatchNorm (the folded bias goes after the
 * blocks); returns the weight scale (1 for padding columns, whose weights are then zero).
 */
// @ts-ignore: decorator
@inline function packColumn(
  o: i32, outChannels: i32, blocks: i32, blockBytes: usize, panelFloats: i32, dstPtr: usize,
  biasPtr: usize, gammaPtr: usize, betaPtr: usize, meanPtr: usize, varPtr: usize, eps: f64,
): f64 {
  const head = dstPtr + (<usize>((o >> 3) * panelFloats + (o & 7)) << 2);
  for (let x = 0; x < blocks; x++) store<f32>(head + blockBytes * <usize>x, 0);
  if (o >= outChannels) return 1;
  const biasOut = dstPtr + blockBytes * <usize>blocks + (<usize>o << 2);
  return foldBatchNorm(<usize>o << 2, biasPtr, gammaPtr, betaPtr, meanPtr, varPtr, eps, biasOut);
}

/**
 * f32_winograd_pack_1d: 1×r / r×1 weights (BatchNorm folded as in f32_pack_gemm_weights) →
 * α packed GEMM blocks U_j = Σ_k G[j][k]·g[·][·][k] (f64, rounded once; K = inChannels,
 * N = outChannels, zero panel biases, ceil(outChannels / 8)·(8 + 8·inChannels) floats each),
 * then the folded bias (outChannels floats).
 *
 * src, layout 0 = OIHW [outChannels][inChannels][r] (kernelH·kernelW = r); layout 1 = HWIO
 * [r][inChannels][outChannels]. gPtr: G as α × r f64 values, row-major. bias … var as
 * f32_pack_gemm_weights (0 = absent). Writes exactly α·blockFloats + outChannels floats.
 */
export function f32_winograd_pack_1d(
  srcPtr: usize, layout: i32, outChannels: i32, inChannels: i32, r: i32, alpha: i32, gPtr: usize,
  biasPtr: usize, gammaPtr: usize, betaPtr: usize, meanPtr: usize, varPtr: usize, eps: f64,
  dstPtr: usize,
): void {
  const panels = (outChannels + 7) >> 3;
  const panelFloats = 8 + 8 * inChannels;
  const blockBytes = <usize>(panels * panelFloats) << 2;
  for (let o = 0; o < panels * 8; o++) {
    const p = o >> 3;
    const j = o & 7;
    const s = packColumn(o, outChannels, alpha, blockBytes, panelFloats, dstPtr, biasPtr, gammaPtr, betaPtr, meanPtr, varPtr, eps);
    for (let ci = 0; ci < inChannels; ci++) {
      const at = <usize>(p * panelFloats + 8 + ci * 8 + j) << 2;
      const w = srcPtr + (<usize>(layout == 0 ? (o * inChannels + ci) * r : ci * outChannels + o) << 2);
      const tapBytes = <usize>(layout == 0 ? 4 : inChannels * outChannels * 4);
      for (let a = 0; a < alpha; a++) {
        let u: f64 = 0;
        if (o < outChannels) {
          for (let k = 0; k < r; k++) u += load<f64>(gPtr + (<usize>(a * r + k) << 3)) * (<f64>load<f32>(w + tapBytes * <usize>k) * s);
        }
        store<f32>(dstPtr + blockBytes * <usize>a + at, <f32>u);
      }
    }
  }
}

/**
 * f32_winograd_input_1d: V = Bᵀ d for the tiles of lines [lineStart, lineEnd) of one image
 * (α = 8: F(2, 7); α = 6: F(4, 3); other α: returns without writing).
 *
 *   V_j[q][c], q = (line − lineStart)·tilesPerLine + t, at dstPtr + j·dstMatrixStrideBytes +
 *   q·dstRowStrideBytes + 4c, for j < α, c < channels.
 *   Input element i of a line at inPtr + line·inLineBytes + i·inStepBytes (channels floats).
 *
 * Reads only in-range elements' first `channels` floats; writes exactly `channels` floats per
 * (j, q) row. Threads: split over lines (disjoint dst blocks); any split gives identical bytes.
 */
export function f32_winograd_input_1d(
  inPtr: usize, inStepBytes: i32, inLineBytes: i32, inLen: i32, channels: i32, pad: i32,
  alpha: i32, tilesPerLine: i32, lineStart: i32, lineEnd: i32,
  dstPtr: usize, dstRowStrideBytes: i32, dstMatrixStrideBytes: i32,
): void {
  if (alpha != 8 && alpha != 6) return;
  const m = alpha == 8 ? 2 : 4;
  const step = <usize>inStepBytes;
  const ms = <usize>dstMatrixStrideBytes;
  let dst = dstPtr;
  for (let line = lineStart; line < lineEnd; line++) {
    const lineBase = inPtr + <usize>line * <usize>inLineBytes;
    for (let t = 0; t < tilesPerLine; t++) {
      const i0 = t * m - pad;
      // Bit i: element i of the tile is inside the line.
      let valid = 0;
      for (let i = 0; i < alpha; i++) valid |= i32(i0 + i >= 0 && i0 + i < inLen) << i;
      const base = lineBase + <usize>i0 * step;
      if (channels >= 4) {
        for (let c = 0; c < channels; c += 4) {
          const o = <usize>min(c, channels - 4) << 2;
          if (alpha == 8) input1dF27(base + o, step, valid, dst + o, ms, false);
          else input1dF43(base + o, step, valid, dst + o, ms, false);
        }
      } else {
        for (let c = 0; c < channels; c++) {
          const o = <usize>c << 2;
          if (alpha == 8) input1dF27(base + o, step, valid, dst + o, ms, true);
          else input1dF43(base + o, step, valid, dst + o, ms, true);
        }
      }
      dst += <usize>dstRowStrideBytes;
    }
  }
}

// @ts-ignore: decorator
@inline function k4(x: f32): v128 {
  return f32x4.splat(x);
}

/**
 * F(2, 7) input transform of one tile, 4 channels (or lane 0). Rows of Bᵀ for the points ±p
 * share their even-index coefficients and negate the odd ones: V_{±p} = E_p ± O_p.
 */
// @ts-ignore: decorator
@inline function input1dF27(p: usize, step: usize, valid: i32, dst: usize, ms: usize, one: bool): void {
  const d0 = ld(p, (valid & 1) != 0, one), d1 = ld(p + step, (valid & 2) != 0, one);
  const d2 = ld(p + 2 * step, (valid & 4) != 0, one), d3 = ld(p + 3 * step, (valid & 8) != 0, one);
  const d4 = ld(p + 4 * step, (valid & 16) != 0, one), d5 = ld(p + 5 * step, (valid & 32) != 0, one);
  const d6 = ld(p + 6 * step, (valid & 64) != 0, one), d7 = ld(p + 7 * step, (valid & 128) != 0, one);
  st(dst, f32x4.add(f32x4.sub(d6, d0), f32x4.mul(k4(5.25), f32x4.sub(d2, d4))), one);
  let e = f32x4.add(f32x4.sub(d2, f32x4.mul(k4(4.25), d4)), d6);
  let o = f32x4.add(f32x4.sub(d1, f32x4.mul(k4(4.25), d3)), d5);
  st(dst + ms, f32x4.add(e, o), one);
  st(dst + 2 * ms, f32x4.sub(e, o), one);
  e = f32x4.add(f32x4.sub(f32x4.mul(k4(0.25), d2), f32x4.mul(k4(1.25), d4)), d6);
  o = f32x4.add(f32x4.sub(f32x4.mul(k4(0.5), d1), f32x4.mul(k4(2.5), d3)), f32x4.mul(k4(2), d5));
  st(dst + 3 * ms, f32x4.add(e, o), one);
  st(dst + 4 * ms, f32x4.sub(e, o), one);
  e = f32x4.add(f32x4.sub(f32x4.mul(k4(4), d2), f32x4.mul(k4(5), d4)), d6);
  o = f32x4.add(f32x4.sub(f32x4.mul(k4(2), d1), f32x4.mul(k4(2.5), d3)), f32x4.mul(k4(0.5), d5));
  st(dst + 5 * ms, f32x4.add(e, o), one);
  st(dst + 6 * ms, f32x4.sub(e, o), one);
  st(dst + 7 * ms, f32x4.add(f32x4.sub(d7, d1), f32x4.mul(k4(5.25), f32x4.sub(d3, d5))), one);
}

/** F(4, 3) input transform of one tile, 4 channels (or lane 0); pairs as in input1dF27. */
// @ts-ignore: decorator
@inline function input1dF43(p: usize, step: usize, valid: i32, dst: usize, ms: usize, one: bool): void {
  const d0 = ld(p, (valid & 1) != 0, one), d1 = ld(p + step, (valid & 2) != 0, one);
  const d2 = ld(p + 2 * step, (valid & 4) != 0, one), d3 = ld(p + 3 * step, (valid & 8) != 0, one);
  const d4 = ld(p + 4 * step, (valid & 16) != 0, one), d5 = ld(p + 5 * step, (valid & 32) != 0, one);
  st(dst, f32x4.add(f32x4.sub(f32x4.mul(k4(4), d0), f32x4.mul(k4(5), d2)), d4), one);
  let e = f32x4.sub(d4, f32x4.mul(k4(4), d2));
  let o = f32x4.sub(d3, f32x4.mul(k4(4), d1));
  st(dst + ms, f32x4.add(e, o), one);
  st(dst + 2 * ms, f32x4.sub(e, o), one);
  e = f32x4.sub(d4, d2);
  o = f32x4.mul(k4(2), f32x4.sub(d3, d1));
  st(dst + 3 * ms, f32x4.add(e, o), one);
  st(dst + 4 * ms, f32x4.sub(e, o), one);
  st(dst + 5 * ms, f32x4.add(f32x4.sub(f32x4.mul(k4(4), d1), f32x4.mul(k4(5), d3)), d5), one);
}

/**
 * f32_winograd_output_1d: y = clamp(Aᵀ M + bias, lo, hi) for the tiles of lines
 * [lineStart, lineEnd) of one image (α = 8: F(2, 7); α = 6: F(4, 3); other α: no writes).
 *
 *   M_j[q][c] at srcPtr + j·srcMatrixStrideBytes + q·srcRowStrideBytes + 4c (q as the input
 *   transform's), c < channels; bias [channels] (0 = none).
 *   Output element e of a line at outPtr + line·outLineBytes + e·outStepBytes, stored for e < outLen.
 *
 * Writes exactly `channels` floats of each in-range output; reads exactly M and bias.
 * Threads: split over lines and/or channel ranges; every output is computed by the same sequence
 * whatever the split.
 */
export function f32_winograd_output_1d(
  srcPtr: usize, srcRowStrideBytes: i32, srcMatrixStrideBytes: i32, channels: i32, biasPtr: usize,
  alpha: i32, tilesPerLine: i32, lineStart: i32, lineEnd: i32, outLen: i32,
  outPtr: usize, outStepBytes: i32, outLineBytes: i32, lo: f32, hi: f32,
): void {
  if (alpha != 8 && alpha != 6) return;
  const m = alpha == 8 ? 2 : 4;
  const ms = <usize>srcMatrixStrideBytes;
  const step = <usize>outStepBytes;
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let src = srcPtr;
  for (let line = lineStart; line < lineEnd; line++) {
    const lineBase = outPtr + <usize>line * <usize>outLineBytes;
    for (let t = 0; t < tilesPerLine; t++) {
      const e0 = t * m;
      const count = min(m, outLen - e0);
      const out = lineBase + <usize>e0 * step;
      if (channels >= 4) {
        for (let c = 0; c < channels; c += 4) {
          const o = <usize>min(c, channels - 4) << 2;
          const b = biasPtr != 0 ? v128.load(biasPtr + o) : f32x4.splat(0);
          if (alpha == 8) output1dF27(src + o, ms, b, vlo, vhi, count, out + o, step, false);
          else output1dF43(src + o, ms, b, vlo, vhi, count, out + o, step, false);
        }
      } else {
        for (let c = 0; c < channels; c++) {
          const o = <usize>c << 2;
          const b = biasPtr != 0 ? v128.load32_splat(biasPtr + o) : f32x4.splat(0);
          if (alpha == 8) output1dF27(src + o, ms, b, vlo, vhi, count, out + o, step, true);
          else output1dF43(src + o, ms, b, vlo, vhi, count, out + o, step, true);
        }
      }
      src += <usize>srcRowStrideBytes;
    }
  }
}

// @ts-ignore: decorator
@inline function clampStore(p: usize, v: v128, b: v128, vlo: v128, vhi: v128, one: bool): void {
  st(p, f32x4.pmin(f32x4.pmax(f32x4.add(v, b), vlo), vhi), one);
}

/** F(2, 7) output transform of one tile: y0 = Σ_{j<7} M_j, y1 = Σ_j p_j·M_j + M_7 (pairs first). */
// @ts-ignore: decorator
@inline function output1dF27(
  m: usize, ms: usize, b: v128, vlo: v128, vhi: v128, count: i32, out: usize, step: usize, one: bool,
): void {
  const m1 = ld(m + ms, true, one), m2 = ld(m + 2 * ms, true, one);
  const m3 = ld(m + 3 * ms, true, one), m4 = ld(m + 4 * ms, true, one);
  const m5 = ld(m + 5 * ms, true, one), m6 = ld(m + 6 * ms, true, one);
  const s1 = f32x4.add(m1, m2), s2 = f32x4.add(m3, m4), s3 = f32x4.add(m5, m6);
  const y0 = f32x4.add(f32x4.add(f32x4.add(ld(m, true, one), s1), s2), s3);
  clampStore(out, y0, b, vlo, vhi, one);
  if (count > 1) {
    const d1 = f32x4.sub(m1, m2), d2 = f32x4.sub(m3, m4), d3 = f32x4.sub(m5, m6);
    const y1 = f32x4.add(f32x4.add(f32x4.add(d1, f32x4.mul(k4(2), d2)), f32x4.mul(k4(0.5), d3)), ld(m + 7 * ms, true, one));
    clampStore(out + step, y1, b, vlo, vhi, one);
  }
}

/** F(4, 3) output transform of one tile: y_i = Σ_j p_j^i·M_j (+ M_5 for i = 3). */
// @ts-ignore: decorator
@inline function output1dF43(
  m: usize, ms: usize, b: v128, vlo: v128, vhi: v128, count: i32, out: usize, step: usize, one: bool,
): void {
  const m1 = ld(m + ms, true, one), m2 = ld(m + 2 * ms, true, one);
  const m3 = ld(m + 3 * ms, true, one), m4 = ld(m + 4 * ms, true, one);
  const s1 = f32x4.add(m1, m2), s2 = f32x4.add(m3, m4);
  const d1 = f32x4.sub(m1, m2), d2 = f32x4.sub(m3, m4);
  clampStore(out, f32x4.add(f32x4.add(ld(m, true, one), s1), s2), b, vlo, vhi, one);
  if (count > 1) clampStore(out + step, f32x4.add(d1, f32x4.mul(k4(2), d2)), b, vlo, vhi, one);
  if (count > 2) clampStore(out + 2 * step, f32x4.add(s1, f32x4.mul(k4(4), s2)), b, vlo, vhi, one);
  if (count > 3) {
    clampStore(out + 3 * step, f32x4.add(f32x4.add(d1, f32x4.mul(k4(8), d2)), ld(m + 5 * ms, true, one)), b, vlo, vhi, one);
  }
}

/**
 * Winograd F(4×4, 3×3): the 1-D F(4, 3) transforms above applied along both axes,
 *
 *   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A   per 4×4 output tile (6×6 input patch), 36 GEMMs,
 *
 * with Bᵀ, Aᵀ, G of F(4, 3) on the points 0, 1, −1, 2, −2, ∞ (4× fewer multiplies than the direct
 * conv, against 2.25× for F(2×2, 3×3)). Tile (ty, tx) covers output rows 4ty … 4ty + 3 and
 * columns 4tx … 4tx + 3 and reads input rows 4ty − padTop … 4ty − padTop + 5 (columns likewise);
 * tilesW = ceil(outW / 4). Weights: f32_winograd_pack_2d with α = 6 and G of F(4, 3).
 */

/**
 * f32_winograd_pack_2d: 3×3 weights (BatchNorm folded as in f32_pack_gemm_weights) → α² packed
 * GEMM blocks U_ξ, ξ = α·i + j, U = G g Gᵀ (f64, rounded once; K = inChannels, N = outChannels,
 * zero panel biases, ceil(outChannels / 8)·(8 + 8·inChannels) floats each), then the folded bias
 * (outChannels floats). gPtr: G as α × 3 f64 values, row-major.
 * src, layout 0 = OIHW [outChannels][inChannels][3][3]; layout 1 = HWIO [3][3][inChannels][outChannels].
 * bias, gamma, beta, mean, var: [outChannels] each, 0 = absent (as f32_pack_gemm_weights).
 * Writes exactly α²·blockFloats + outChannels floats; reads exactly its inputs.
 */
export function f32_winograd_pack_2d(
  srcPtr: usize, layout: i32, outChannels: i32, inChannels: i32, alpha: i32, gPtr: usize,
  biasPtr: usize, gammaPtr: usize, betaPtr: usize, meanPtr: usize, varPtr: usize, eps: f64,
  dstPtr: usize,
): void {
  const panels = (outChannels + 7) >> 3;
  const panelFloats = 8 + 8 * inChannels;
  const blockBytes = <usize>(panels * panelFloats) << 2;
  for (let o = 0; o < panels * 8; o++) {
    const p = o >> 3;
    const j = o & 7;
    const s = packColumn(o, outChannels, alpha * alpha, blockBytes, panelFloats, dstPtr, biasPtr, gammaPtr, betaPtr, meanPtr, varPtr, eps);
    for (let ci = 0; ci < inChannels; ci++) {
      const at = <usize>(p * panelFloats + 8 + ci * 8 + j) << 2;
      const w = srcPtr + (<usize>(layout == 0 ? (o * inChannels + ci) * 9 : ci * outChannels + o) << 2);
      const tapBytes = <usize>(layout == 0 ? 4 : inChannels * outChannels * 4);
      for (let a = 0; a < alpha; a++) {
        // t_a[kx] = Σ_ky G[a][ky]·g[ky][kx], then U[a][b] = Σ_kx G[b][kx]·t_a[kx].
        const ga0 = load<f64>(gPtr + (<usize>(a * 3) << 3));
        const ga1 = load<f64>(gPtr + (<usize>(a * 3 + 1) << 3));
        const ga2 = load<f64>(gPtr + (<usize>(a * 3 + 2) << 3));
        let t0: f64 = 0, t1: f64 = 0, t2: f64 = 0;
        if (o < outChannels) {
          t0 = (ga0 * <f64>load<f32>(w) + ga1 * <f64>load<f32>(w + 3 * tapBytes) + ga2 * <f64>load<f32>(w + 6 * tapBytes)) * s;
          t1 = (ga0 * <f64>load<f32>(w + tapBytes) + ga1 * <f64>load<f32>(w + 4 * tapBytes) + ga2 * <f64>load<f32>(w + 7 * tapBytes)) * s;
          t2 = (ga0 * <f64>load<f32>(w + 2 * tapBytes) + ga1 * <f64>load<f32>(w + 5 * tapBytes) + ga2 * <f64>load<f32>(w + 8 * tapBytes)) * s;
        }
        for (let b = 0; b < alpha; b++) {
          const u = load<f64>(gPtr + (<usize>(b * 3) << 3)) * t0 + load<f64>(gPtr + (<usize>(b * 3 + 1) << 3)) * t1 +
            load<f64>(gPtr + (<usize>(b * 3 + 2) << 3)) * t2;
          store<f32>(dstPtr + blockBytes * <usize>(a * alpha + b) + at, <f32>u);
        }
      }
    }
  }
}

/**
 * f32_winograd_input_4x4_3x3: V = Bᵀ d B (F(4, 3) along rows, then along columns) for the tiles
 * of tile rows [tyStart, tyEnd) of one image.
 *
 *   V_ξ[q][c], ξ = 6i + j, q = (ty − tyStart)·tilesW + tx, at dstPtr + ξ·dstMatrixStrideBytes +
 *   q·dstRowStrideBytes + 4c. in: as f32_winograd_input_2x2_3x3.
 *
 * The row pass writes its results into the V rows and the column pass transforms them in place,
 * so dst is written twice. Reads only in-image pixels' first `channels` floats; writes exactly
 * `channels` floats per (ξ, q) row. Threads: split over tile rows; any split gives identical bytes.
 */
export function f32_winograd_input_4x4_3x3(
  inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  padTop: i32, padLeft: i32, tilesW: i32, tyStart: i32, tyEnd: i32,
  dstPtr: usize, dstRowStrideBytes: i32, dstMatrixStrideBytes: i32,
): void {
  const ps = <usize>inPixelStrideBytes;
  const ms = <usize>dstMatrixStrideBytes;
  const rowBytes = ps * <usize>inW;
  let dst = dstPtr;
  for (let ty = tyStart; ty < tyEnd; ty++) {
    const iy = ty * 4 - padTop;
    for (let tx = 0; tx < tilesW; tx++) {
      const ix = tx * 4 - padLeft;
      let rows = 0;
      let cols = 0;
      for (let k = 0; k < 6; k++) {
        rows |= i32(iy + k >= 0 && iy + k < inH) << k;
        cols |= i32(ix + k >= 0 && ix + k < inW) << k;
      }
      const base = inPtr + <usize>iy * rowBytes + <usize>ix * ps;
      if (channels >= 4) {
        for (let c = 0; c < channels; c += 4) {
          const o = <usize>min(c, channels - 4) << 2;
          input4x4(base + o, ps, rowBytes, rows, cols, dst + o, ms, false);
        }
      } else {
        for (let c = 0; c < channels; c++) {
          const o = <usize>c << 2;
          input4x4(base + o, ps, rowBytes, rows, cols, dst + o, ms, true);
        }
      }
      dst += <usize>dstRowStrideBytes;
    }
  }
}

// @ts-ignore: decorator
@inline function input4x4(p: usize, ps: usize, rowBytes: usize, rows: i32, cols: i32, dst: usize, ms: usize, one: bool): void {
  for (let i = 0; i < 6; i++) {
    const valid = ((rows >> i) & 1) != 0 ? cols : 0;
    input1dF43(p + <usize>i * rowBytes, ps, valid, dst + <usize>(6 * i) * ms, ms, one);
  }
  for (let j = 0; j < 6; j++) input1dF43(dst + <usize>j * ms, 6 * ms, 63, dst + <usize>j * ms, 6 * ms, one);
}

/**
 * f32_winograd_output_4x4_3x3: Y = clamp(Aᵀ M A + bias, lo, hi) (F(4, 3) along the rows of M,
 * in place, then along its columns into the output) for the tiles of tile rows [tyStart, tyEnd)
 * of one image; M_ξ as the input transform's V_ξ. Output addressing, bias, ranges and threads as
 * f32_winograd_output_2x2_3x3; M is overwritten (its first pass runs in place).
 */
export function f32_winograd_output_4x4_3x3(
  srcPtr: usize, srcRowStrideBytes: i32, srcMatrixStrideBytes: i32, channels: i32, biasPtr: usize,
  tilesW: i32, tyStart: i32, tyEnd: i32, outH: i32, outW: i32,
  outPtr: usize, outPixelStrideBytes: i32, lo: f32, hi: f32,
): void {
  const ms = <usize>srcMatrixStrideBytes;
  const ps = <usize>outPixelStrideBytes;
  const rowBytes = ps * <usize>outW;
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const none = f32x4.splat(Infinity);
  const zero = f32x4.splat(0);
  let src = srcPtr;
  for (let ty = tyStart; ty < tyEnd; ty++) {
    const oy = ty * 4;
    const rowCount = min(4, outH - oy);
    for (let tx = 0; tx < tilesW; tx++) {
      const ox = tx * 4;
      const colCount = min(4, outW - ox);
      const out = outPtr + <usize>oy * rowBytes + <usize>ox * ps;
      // The first pass overwrites M, so the channel tail takes the one-lane path (same arithmetic)
      // instead of an overlapping vector that would transform some channels twice.
      let c = 0;
      for (; c + 4 <= channels; c += 4) {
        const o = <usize>c << 2;
        const b = biasPtr != 0 ? v128.load(biasPtr + o) : zero;
        output4x4(src + o, ms, b, vlo, vhi, none, rowCount, colCount, out + o, ps, rowBytes, false);
      }
      for (; c < channels; c++) {
        const o = <usize>c << 2;
        const b = biasPtr != 0 ? v128.load32_splat(biasPtr + o) : zero;
        output4x4(src + o, ms, b, vlo, vhi, none, rowCount, colCount, out + o, ps, rowBytes, true);
      }
      src += <usize>srcRowStrideBytes;
    }
  }
}

// @ts-ignore: decorator
@inline function output4x4(
  m: usize, ms: usize, b: v128, vlo: v128, vhi: v128, none: v128, rowCount: i32, colCount: i32,
  out: usize, ps: usize, rowBytes: usize, one: bool,
): void {
  const zero = f32x4.splat(0);
  const ninf = f32x4.neg(none);
  for (let i = 0; i < 6; i++) output1dF43(m + <usize>(6 * i) * ms, ms, zero, ninf, none, 4, m + <usize>(6 * i) * ms, ms, one);
  for (let k = 0; k < colCount; k++) output1dF43(m + <usize>k * ms, 6 * ms, b, vlo, vhi, rowCount, out + <usize>k * ps, rowBytes, one);
}
