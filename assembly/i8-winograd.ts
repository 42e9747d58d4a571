/**
 * int8 Winograd F(2×2, 3×3) and F(4×4, 3×3): a stride-1 3×3 convolution of u8 activations by i8
 * weights whose i32 accumulators equal those of u8_im2col + i8_gemm exactly, so its output bytes
 * are the same, with 16 (tile 2) or 36 (tile 4) multiplies per tile and channel pair instead of
 * 36 or 144 (2.25× or 4× fewer).
 *
 *   acc[o] = Σ_c Σ_{ky,kx} (x[c][iy+ky][ix+kx] − z) · g[o][c][ky][kx]     the direct conv's sum (a padded tap: x = z)
 *
 * Per tile × tile output block, with α = tile + 2 and d = the α × α input patch − z (padding 0),
 * |d| ≤ 255, the transforms scaled so that every matrix is integer:
 *
 * tile 2 (Lavin & Gray's F(2×2, 3×3) with G doubled):
 *   V  = Bᵀ d B,  Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]            |V| ≤ 4·255 = 1020          i16
 *   U′ = (2G) g (2G)ᵀ,  2G = [2 0 0; 1 1 1; 1 −1 1; 0 0 2]                |U′| ≤ 3·3·128 = 1152       i16
 *   Y′ = Aᵀ M′ A,  Aᵀ = [1 1 1 0; 0 1 −1 −1];  M′ = Σ_c U′ ⊙ V            = 4·acc (U′ = 4·G g Gᵀ)
 *   acc = Y′ >> 2; exact while |4·acc| < 2³¹: |acc| ≤ 9·C·255·128, so C ≤ 1827.
 * tile 4 (F(4×4, 3×3), points 0, ±1, ±2, ∞; each row of G scaled by s = (4, 6, 6, 24, 24, 1)):
 *   V  = Bᵀ d B,  Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0;
 *        0 4 0 −5 0 1] (rows' L1 norms ≤ 10)                                |V| ≤ 100·255 = 25500      i16
 *   U′ = (SG) g (SG)ᵀ,  SG = [1 0 0; −1 −1 −1; −1 1 −1; 1 2 4; 1 −2 4; 0 0 1] (L1 ≤ 7)
 *                                                                          |U′| ≤ 49·128 = 6272       i16
 *   M′ = Σ_c U′ ⊙ V = s_i s_j M;  Y = Aᵀ M A with Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0;
 *        0 1 −1 8 −8 1], so 576·Y = Ã M′ Ãᵀ, Ã = Aᵀ·diag(24/s) = Aᵀ·diag(6, 4, 4, 1, 1, 24) (integer)
 *   Y′ = Ã M′ Ãᵀ = 576·acc = 64·9·acc;  acc = (Y′ · 9⁻¹ mod 2³²) >> 6 (9⁻¹ = 954437177);
 *   exact while |64·acc| < 2³¹: C ≤ 114.
 * In both, i32x4.dot_i16x8_s sums two exact products (≤ 2·25500·6272 < 2³¹); V is computed as
 * Bᵀ x B − z·(Bᵀ𝟙)(Bᵀ𝟙)ᵀ, where Bᵀ𝟙 = (0, 2, 0, 0) (tile 2) or (0, −6, 0, 0, 0, 0) (tile 4), so
 * only ξ = (1, 1) gets −4z or −36z, and a padded tap loads x = z; every other step is a ring
 * operation (i16 in the transforms, whose results fit, i32 from the dot products on), so Y′ is the
 * scaled acc modulo 2³², which the limits make exact. Then the epilogue of i8_gemm
 * (i8-epilogue.ts) on acc with the panel's bias and scale: every output byte (or f32 bit pattern)
 * equals u8_im2col + i8_gemm (i8_gemm_f32) on the same packed weights.
 *
 * The weights are i8_gemm's own panels (i8_pack_gemm_weights of the OIHW 3×3 weights, K = 9·C):
 * U′ is computed per panel when it is used, into the caller's scratch (about 2 % of the
 * multiply-adds at 64 tiles), so an int8 Winograd layer holds no more weight bytes than an im2col
 * one. That needs C even: channel c and c + 1 of one tap then form one packed k-pair, whose 16
 * bytes hold both channels of the panel's 8 columns interleaved — exactly the i16 pair layout the
 * micro-kernel reads after sign extension.
 *
 * Tiles: tile (ty, tx) covers output rows tile·ty … tile·ty + tile − 1 (columns likewise) and
 * reads input rows tile·ty − padTop … tile·ty − padTop + α − 1; tilesW = ceil(outW / tile).
 * Outputs past outH / outW in the last tile row or column are computed but never stored; input
 * outside the image reads as z. Bottom/right padding follows from inH/inW and the output size.
 *
 * Two kernels per task, as the f32 Winograd: i8_winograd_input_3x3 (u8 → V for a block of tile
 * rows), then i8_winograd_3x3 / i8_winograd_3x3_f32 (per weight panel: U′, the α² GEMMs
 * M′_ξ = V_ξ · U′_ξ by a 4 × 8 i16 micro-kernel, the output transform and the epilogue).
 *
 * Layouts (channels padded to cp = 8·ceil(C/8); a V or U′ channel ≥ C is 0; ξ = α·i + j):
 *   V_ξ (i16): ceil(T/4) blocks of 4 tiles, block b at v + ξ·vMatrixStrideBytes + b·8·cp:
 *        [cp/2 channel pairs][4 tiles] u32 words (i8_gemm's packed-A order) — tile q is block
 *        q >> 2, slot q & 3, and its channels (2t, 2t + 1) sit at + 16t + 4·(q & 3) as two i16;
 *        T = (tyEnd − tyStart)·tilesW, q = (ty − tyStart)·tilesW + tx. One V matrix takes
 *        i8_winograd_v_bytes(T, C) bytes. (The tile transforms store [groups][4 tiles][8 channels]
 *        vectors, and one 4 × 4 word transpose per 64 bytes puts them in this order.)
 *   U′_ξ (i16, scratch): [cp/2 channel pairs][8 columns][2] at u + ξ·16·cp (i8_gemm's k-pair layout
 *        widened to i16).
 *   M′_ξ (i32, scratch): ceil(T/4) 4 × 8 tiles of 128 bytes (row = tile slot, 8 columns).
 */

import { ACC_BYTES, NR, PANEL_HEAD_BYTES, storeRow, storeRowF32 } from './i8-epilogue';
import {
  gemm4x8i16, inputTile2, inputTile4, outputTile2, outputTile4, padded, pairMajor, taskScratchBytes, vMatrixBytes, weightHalf2, weightHalf4, zeroPairs,
} from './i8-winograd-tiles';


/** Largest C of a tile (the exactness limits above); 0 for a tile other than 2 or 4. */
export function i8_winograd_max_channels(tile: i32): i32 {
  return tile == 2 ? 1827 : tile == 4 ? 114 : 0;
}

// @ts-ignore: decorator
@inline function fits(tile: i32, channels: i32): bool {
  return channels >= 2 && channels <= i8_winograd_max_channels(tile);
}

/** Bytes of one V matrix for `tiles` tiles of `channels` channels: ceil(tiles/4) blocks of 8·cp bytes (0 outside the limits). */
export function i8_winograd_v_bytes(tile: i32, tiles: i32, channels: i32): i32 {
  if (tiles < 1 || !fits(tile, channels)) return 0;
  return vMatrixBytes(tiles, channels);
}

/**
 * Scratch bytes i8_winograd_3x3(_f32) needs at scratchPtr: U′ (α² matrices of 16·cp bytes), M′
 * (α² · ceil(tiles/4) · 128) and one tile's accumulators (tile² rows of 32 bytes); 0 outside the limits.
 */
export function i8_winograd_scratch_bytes(tile: i32, tiles: i32, channels: i32): i32 {
  if (tiles < 1 || !fits(tile, channels)) return 0;
  return taskScratchBytes((tile + 2) * (tile + 2), tiles, channels, tile * tile);
}

/**
 * i8_winograd_input_3x3: V_ξ = (Bᵀ (x − z) B)[i][j] for the tiles of tile rows [tyStart, tyEnd)
 * of one image, into the V layout above (channels ≥ C of the last group stored as 0).
 *
 * in: [inH][inW] pixels of one image, pixel stride inPixelStrideBytes ≥ channels (a channel slice
 * of a concat is fine), u8 at zero point `zero` (0..255). Reads in-image pixels only, 8 bytes per
 * 8-channel group: up to 7 bytes past a pixel's last channel when C % 8 ≠ 0 (those lanes are
 * masked to 0), hence up to 7 bytes past the image. Writes exactly the ceil(T/4) blocks of each
 * V_ξ (a short last block's missing slots hold whatever the block held, moved; every byte is
 * written more than once: tile 4's second pass and the transpose run in place). Alignment: none.
 * Limits: tile 2 or 4, 2 ≤ channels ≤ i8_winograd_max_channels(tile) (else returns without
 * writing); tilesW ≥ 1.
 * Threads: split over tile rows (disjoint V blocks); a pure transform, any split gives the same bytes.
 */
export function i8_winograd_input_3x3(
  tile: i32, inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  padTop: i32, padLeft: i32, zero: i32, tilesW: i32, tyStart: i32, tyEnd: i32,
  vPtr: usize, vMatrixStrideBytes: i32,
): void {
  if (!fits(tile, channels)) return;
  const alpha = tile + 2;
  const full = (1 << alpha) - 1;
  const groups = padded(channels) >> 3;
  const blockBytes = <usize>(padded(channels) << 3);
  const ps = <usize>inPixelStrideBytes;
  const rowBytes = ps * <usize>inW;
  const ms = <usize>vMatrixStrideBytes;
  const z = i16x8.splat(<i16>zero);
  const lane = i16x8(0, 1, 2, 3, 4, 5, 6, 7);
  const all = i16x8.splat(-1);
  let q = 0;
  for (let ty = tyStart; ty < tyEnd; ty++) {
    const iy = tile * ty - padTop;
    let rows = 0;
    for (let k = 0; k < alpha; k++) rows |= i32(iy + k >= 0 && iy + k < inH) << k;
    for (let tx = 0; tx < tilesW; tx++) {
      const ix = tile * tx - padLeft;
      let cols = 0;
      for (let k = 0; k < alpha; k++) cols |= i32(ix + k >= 0 && ix + k < inW) << k;
      // Negative iy/ix wrap in usize; such rows/columns are masked and never loaded.
      const base = inPtr + <usize>iy * rowBytes + <usize>ix * ps;
      const dst = vPtr + <usize>(q >> 2) * blockBytes + (<usize>(q & 3) << 4);
      const inside = rows == full && cols == full;
      for (let g = 0; g < groups; g++) {
        const c = g << 3;
        const mask = c + 8 <= channels ? all : i16x8.lt_s(lane, i16x8.splat(<i16>(channels - c)));
        const p = base + <usize>c;
        const d = dst + (<usize>g << 6);
        if (tile == 4) inputTile4(p, ps, rowBytes, rows, cols, z, mask, d, ms);
        else if (inside) inputTile2(p, ps, rowBytes, 15, 15, z, mask, d, ms);
        else inputTile2(p, ps, rowBytes, rows, cols, z, mask, d, ms);
      }
      q++;
    }
  }
  pairMajor(vPtr, alpha * alpha, q, groups, ms);
}

/**
 * i8_winograd_3x3: for each weight panel in [panelStart, panelEnd) (clipped to ceil(n/8)): U′ of
 * the panel, M′_ξ = V_ξ · U′_ξ for the α² positions, the output transform to acc, then i8_gemm's
 * requantize epilogue (bias and scale from the panel head, residual, zero point, clamp [lo, hi])
 * into the in-range output pixels of every tile of tile rows [tyStart, tyEnd).
 *
 *   v, vMatrixStrideBytes: V from i8_winograd_input_3x3 for the same tile, tiles and channels.
 *   wPacked: i8_pack_gemm_weights panels of the 3×3 OIHW weights, K = 9·channels (panel p at
 *            wPackedPtr + p · i8_gemm_panel_bytes(K)); its colSum is not used (the zero point is
 *            already out of V).
 *   c:       output pixel (oy, ox) of the image, global column j (panel p's columns are 8p … 8p+7)
 *            at cPtr + (oy·outW + ox)·cPixelStrideBytes + j; only columns < n are stored.
 *   res:     u8 at the same pixels and columns (resPtr 0 = none), its own pixel stride; may alias
 *            c exactly (each element is read before it is written), no other overlap.
 *   scratch: i8_winograd_scratch_bytes(tile, T, channels) bytes, overlapping nothing above.
 * Per element exactly i8_gemm's rule (its contract; 0 ≤ outZero, resZero ≤ 255, 0 ≤ lo ≤ hi ≤ 255).
 * Limits: tile 2 or 4, channels even, 2 ≤ channels ≤ i8_winograd_max_channels(tile) (else
 * returns without writing).
 * Reads: V, the panels, res up to 7 bytes past the last column when n % 8 ≠ 0 (never used).
 * Writes: scratch, and the in-range pixels × the panels' columns < n, nothing else.
 * Threads: split over outputs only — tile-row blocks (each with its own V) and/or panel ranges,
 * each thread with its own scratch; the sums are exact, so every split gives the same bytes.
 */
export function i8_winograd_3x3(
  tile: i32, vPtr: usize, vMatrixStrideBytes: i32, channels: i32,
  wPackedPtr: usize, panelStart: i32, panelEnd: i32, n: i32,
  tilesW: i32, tyStart: i32, tyEnd: i32, outH: i32, outW: i32,
  cPtr: usize, cPixelStrideBytes: i32, outZero: i32, lo: i32, hi: i32,
  resPtr: usize, resPixelStrideBytes: i32, resZero: i32, resScale: f32,
  scratchPtr: usize,
): void {
  if (tile == 4) {
    winograd<u8>(
      4, vPtr, vMatrixStrideBytes, channels, wPackedPtr, panelStart, panelEnd, n, tilesW, tyStart, tyEnd, outH, outW,
      cPtr, cPixelStrideBytes, outZero, lo, hi, resPtr, resPixelStrideBytes, resZero, resScale, 0, 0, scratchPtr,
    );
  } else if (tile == 2) {
    winograd<u8>(
      2, vPtr, vMatrixStrideBytes, channels, wPackedPtr, panelStart, panelEnd, n, tilesW, tyStart, tyEnd, outH, outW,
      cPtr, cPixelStrideBytes, outZero, lo, hi, resPtr, resPixelStrideBytes, resZero, resScale, 0, 0, scratchPtr,
    );
  }
}

/**
 * i8_winograd_3x3_f32: the accumulators of i8_winograd_3x3 with i8_gemm_f32's epilogue:
 * C = min(max(f32(acc + bias) · scale, lo), hi) stored as f32 (its contract: NaN only from a
 * non-finite scale, −0 kept). c as above with 4 bytes per column (cPixelStrideBytes ≥ 4·n). No
 * residual. Limits, reads, writes and threads as i8_winograd_3x3; lo ≤ hi, neither NaN.
 */
export function i8_winograd_3x3_f32(
  tile: i32, vPtr: usize, vMatrixStrideBytes: i32, channels: i32,
  wPackedPtr: usize, panelStart: i32, panelEnd: i32, n: i32,
  tilesW: i32, tyStart: i32, tyEnd: i32, outH: i32, outW: i32,
  cPtr: usize, cPixelStrideBytes: i32, lo: f32, hi: f32,
  scratchPtr: usize,
): void {
  if (tile == 4) {
    winograd<f32>(
      4, vPtr, vMatrixStrideBytes, channels, wPackedPtr, panelStart, panelEnd, n, tilesW, tyStart, tyEnd, outH, outW,
      cPtr, cPixelStrideBytes, 0, 0, 0, 0, 0, 0, 0, lo, hi, scratchPtr,
    );
  } else if (tile == 2) {
    winograd<f32>(
      2, vPtr, vMatrixStrideBytes, channels, wPackedPtr, panelStart, panelEnd, n, tilesW, tyStart, tyEnd, outH, outW,
      cPtr, cPixelStrideBytes, 0, 0, 0, 0, 0, 0, 0, lo, hi, scratchPtr,
    );
  }
}

/**
 * The driver of both exports; T (C's element type) picks the epilogue and `tile` (a constant at
 * each call site) the transforms at compile time, as i8-gemm.ts's `gemm`.
 */
// @ts-ignore: decorator
@inline function winograd<T>(
  tile: i32, vPtr: usize, vMatrixStrideBytes: i32, channels: i32,
  wPackedPtr: usize, panelStart: i32, panelEnd: i32, n: i32,
  tilesW: i32, tyStart: i32, tyEnd: i32, outH: i32, outW: i32,
  cPtr: usize, cps: i32, outZero: i32, lo: i32, hi: i32, resPtr: usize, rps: i32, resZero: i32, resScale: f32,
  loF: f32, hiF: f32,
  scratchPtr: usize,
): void {
  if (!fits(tile, channels) || (channels & 1) != 0) return;
  if (tilesW < 1 || tyEnd <= tyStart) return;
  const pStart = max(panelStart, 0);
  const pEnd = min(panelEnd, (n + NR - 1) / NR);
  if (pStart >= pEnd) return;
  const matrices = (tile + 2) * (tile + 2);
  const cp = padded(channels);
  const groups = cp >> 3;
  const tiles = (tyEnd - tyStart) * tilesW;
  const blocks = (tiles + 3) >> 2;
  const uMatrixBytes = <usize>(cp << 4);
  const u = scratchPtr;
  const m = u + <usize>matrices * uMatrixBytes;
  const mMatrixBytes = <usize>(blocks * ACC_BYTES);
  const acc = m + <usize>matrices * mMatrixBytes;
  const vms = <usize>vMatrixStrideBytes;
  // i8_gemm_panel_bytes(9·C) for even C.
  const panelBytes = <usize>(PANEL_HEAD_BYTES + 72 * channels);
  const ps = <usize>cps;
  const rowBytes = ps * <usize>outW;
  const rs = <usize>rps;
  const resRowBytes = rs * <usize>outW;
  const loV = f32x4.splat(<f32>(lo - outZero));
  const hiV = f32x4.splat(<f32>(hi - outZero));
  const oz = i32x4.splat(outZero);
  const rz = i32x4.splat(resZero);
  const rsc = f32x4.splat(resScale);
  const vlo = f32x4.splat(loF);
  const vhi = f32x4.splat(hiF);
  for (let p = pStart; p < pEnd; p++) {
    const w = wPackedPtr + <usize>p * panelBytes;
    transformWeights(tile, w + PANEL_HEAD_BYTES, channels, cp, u, uMatrixBytes);
    for (let xi = 0; xi < matrices; xi++) {
      gemm4x8i16(vPtr + <usize>xi * vms, blocks, u + <usize>xi * uMatrixBytes, groups, m + <usize>xi * mMatrixBytes);
    }
    // Bias and scale of the panel's 8 columns (the head's colSum is i8_gemm's zero-point fold).
    const b0 = v128.load(w);
    const b1 = v128.load(w, 16);
    const s0 = v128.load(w, 64);
    const s1 = v128.load(w, 80);
    const nc = min(NR, n - p * NR);
    const col = <usize>(p * NR) * sizeof<T>();
    let q = 0;
    for (let ty = tyStart; ty < tyEnd; ty++) {
      const oy = tile * ty;
      const rowCount = min(tile, outH - oy);
      for (let tx = 0; tx < tilesW; tx++) {
        const ox = tile * tx;
        const colCount = min(tile, outW - ox);
        const mq = m + <usize>(q >> 2) * ACC_BYTES + (<usize>(q & 3) << 5);
        if (tile == 4) outputTile4(mq, mMatrixBytes, acc);
        else outputTile2(mq, mMatrixBytes, acc);
        // acc row dy·tile + dx holds pixel (oy + dy, ox + dx).
        for (let dy = 0; dy < rowCount; dy++) {
          for (let dx = 0; dx < colCount; dx++) {
            const a = acc + (<usize>(dy * tile + dx) << 5);
            const c = cPtr + <usize>(oy + dy) * rowBytes + <usize>(ox + dx) * ps + col;
            if (isFloat<T>()) {
              storeRowF32(c, v128.load(a), v128.load(a, 16), b0, b1, s0, s1, vlo, vhi, nc);
            } else {
              const r = resPtr != 0 ? resPtr + <usize>(oy + dy) * resRowBytes + <usize>(ox + dx) * rs + col : 0;
              storeRow(c, r, v128.load(a), v128.load(a, 16), b0, b1, s0, s1, loV, hiV, oz, rz, rsc, nc);
            }
          }
        }
        q++;
      }
    }
  }
}

/**
 * U′_ξ of one panel into u (matrix ξ at u + ξ·uMatrixBytes): per channel pair (c, c + 1), the
 * nine taps' packed k-pairs (16 bytes each: 8 columns × the two channels) sign-extended to i16 in
 * two halves (columns 0–3, 4–7), through the tile's weight transform; pairs ≥ C/2 up to cp/2 zero.
 */
// @ts-ignore: decorator
@inline function transformWeights(tile: i32, kpairs: usize, channels: i32, cp: i32, u: usize, ms: usize): void {
  // Tap t's k-pair for channel pair c/2 is at kpairs + 16·((t·C + c)/2) = kpairs + 8·(t·C + c).
  const tapBytes = <usize>(channels << 3);
  const pairs = channels >> 1;
  for (let t = 0; t < pairs; t++) {
    const g = kpairs + (<usize>t << 4);
    const d = u + (<usize>t << 5);
    if (tile == 4) {
      weightHalf4(g, tapBytes, false, d, ms);
      weightHalf4(g, tapBytes, true, d + 16, ms);
    } else {
      weightHalf2(g, tapBytes, false, d, ms);
      weightHalf2(g, tapBytes, true, d + 16, ms);
    }
  }
  zeroPairs(u, pairs, cp >> 1, (tile + 2) * (tile + 2), ms);
}
