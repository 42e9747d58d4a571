/**
 * int8 1-D Winograd for stride-1 1×r / r×1 convolutions: F(2, 7) (r = 7, α = 8: 8 multiplies per
 * 2 outputs instead of 14, 1.75× fewer) and F(4, 3) (r = 3, α = 6: 6 per 4 instead of 12, 2×),
 * along the kernel's axis, with i32 accumulators equal to those of u8_im2col + i8_gemm, hence
 * the same output bytes (i8-winograd.ts is the 2-D F(2×2)/F(4×4) counterpart and has the
 * general argument).
 *
 *   acc[o] = Σ_c Σ_j (x[c][p + j] − z) · g[o][c][j]      along the axis (a padded tap: x = z)
 *
 * The map is walked as *lines* along the kernel's axis (rows for 1×r, columns for r×1; byte steps
 * below, as f32_winograd_input_1d). Per tile of m outputs (m = 2 for r = 7, 4 for r = 3), with
 * d = the tile's α inputs − z, |d| ≤ 255, and every Toom-Cook matrix scaled to integers:
 *
 * r = 7, F(2, 7) at points 0, ±1, ±2, ±½, ∞:
 *   V′ = TB d, TB = [−4 0 21 0 −21 0 4 0; 0 4 4 −17 −17 4 4 0; 0 −4 4 17 −17 −4 4 0;
 *        0 2 1 −10 −5 8 4 0; 0 −2 1 10 −5 −8 4 0; 0 4 8 −5 −10 1 2 0; 0 −4 8 5 −10 −1 2 0;
 *        0 −4 0 21 0 −21 0 4] (Bᵀ's rows scaled; L1 norms ≤ 50)           |V′| ≤ 50·255 = 12750    i16
 *   U′ = SG g, SG = [−1 0 0 0 0 0 0; −1 −1 −1 −1 −1 −1 −1; −1 1 −1 1 −1 1 −1; 1 2 4 8 16 32 64;
 *        1 −2 4 −8 16 −32 64; 64 32 16 8 4 2 1; 64 −32 16 −8 4 −2 1; 0 0 0 0 0 0 1]
 *        (G's rows scaled; L1 ≤ 127)                                     |U′| ≤ 127·128 = 16256   i16
 *   Y′ = Ã M′, M′ = Σ_c U′ ⊙ V′, Ã = [90 20 20 1 1 2 2 0; 0 20 −20 2 −2 1 −1 90] = 360·Aᵀ·diag(1/(s_i t_i))
 *        (s, t: the row scales of G and Bᵀ) = 360·acc = 2³·45·acc; acc = (Y′ · 45⁻¹ mod 2³²) >> 3;
 *        exact while |8·acc| < 2³¹, |acc| ≤ 7·C·255·128: C ≤ 1174.
 * r = 3, F(4, 3) at points 0, ±1, ±2, ∞: V′ = Bᵀ d and U′ = (SG) g with the 1-D halves of
 *   i8-winograd.ts's F(4×4) (|V′| ≤ 10·255, |U′| ≤ 7·128), Y′ = Ã M′ with its Ã = 24·Aᵀ·diag(1/s)
 *   = 2³·3·acc; acc = (Y′ · 3⁻¹ mod 2³²) >> 3; exact while |8·acc| < 2³¹, |acc| ≤ 3·C·255·128: C ≤ 2741.
 * Both: i32x4.dot_i16x8_s sums two exact products (≤ 2·12750·16256 < 2³¹); V′ = TB x −
 * z·(TB𝟙), TB𝟙 = (0, −18, 0, …) (r = 7) or (0, −6, 0, …) (r = 3), so only V′₁ gets +18z or +6z; every
 * other step is a ring operation, so Y′ is the scaled acc modulo 2³², which the limits make exact.
 * Then i8_gemm's epilogue (i8-epilogue.ts): every output equals u8_im2col + i8_gemm(_f32) on the
 * same packed panels.
 *
 * Weights: i8_pack_gemm_weights panels of the 1×r / r×1 OIHW weights (K = r·C, tap j = the
 * kernel position along the axis), transformed per panel when used, as i8-winograd.ts (C even).
 *
 * Tiles: tile t of a line covers positions m·t … m·t + m − 1 and reads input positions
 * m·t − pad … m·t − pad + α − 1 (outside [0, inLen): z); tilesPerLine = ceil(outLen / m). The
 * conv has no padding across the axis (every line is a whole input line).
 * Layouts: V′_i, U′_i, M′_i as i8-winograd.ts with α matrices; tile q = (line − line0)·tilesPerLine + t.
 */

import { ACC_BYTES, NR, PANEL_HEAD_BYTES, storeRow, storeRowF32 } from './i8-epilogue';
import {
  at43, bt43, gemm4x8i16, padded, pairMajor, px, sgRow, tap, taskScratchBytes, vMatrixBytes, zeroPairs,
} from './i8-winograd-tiles';

/** Largest C for r (the exactness limits above); 0 for an r other than 3 or 7. */
export function i8_winograd_1d_max_channels(r: i32): i32 {
  return r == 7 ? 1174 : r == 3 ? 2741 : 0;
}

// @ts-ignore: decorator
@inline function fits(r: i32, channels: i32): bool {
  return channels >= 2 && channels <= i8_winograd_1d_max_channels(r);
}

/** Bytes of one V′ matrix for `tiles` tiles: ceil(tiles/4) blocks of 8·cp bytes (0 outside the limits). */
export function i8_winograd_1d_v_bytes(r: i32, tiles: i32, channels: i32): i32 {
  if (tiles < 1 || !fits(r, channels)) return 0;
  return vMatrixBytes(tiles, channels);
}

/** Scratch bytes of i8_winograd_1d(_f32): U′ (α · 16·cp), M′ (α · ceil(tiles/4) · 128) and one tile's m accumulator rows (32 bytes each). */
export function i8_winograd_1d_scratch_bytes(r: i32, tiles: i32, channels: i32): i32 {
  if (tiles < 1 || !fits(r, channels)) return 0;
  return r == 7 ? taskScratchBytes(8, tiles, channels, 2) : taskScratchBytes(6, tiles, channels, 4);
}

/**
 * i8_winograd_input_1d: V′_i = (TB (x − z))_i for the tiles of lines [line0, line1) of one image.
 * in: position k of line l at inPtr + l·inLineBytes + k·inStepBytes, `channels` u8 at zero point
 * `zero` (a channel slice of a concat is fine), k < inLen. Reads in-line positions only, 8 bytes
 * per 8-channel group (up to 7 past a pixel's last channel when C % 8 ≠ 0: masked to 0).
 * Writes exactly the ceil(T/4) blocks of each V′_i, as i8_winograd_input_3x3. Limits: r 3 or 7,
 * 2 ≤ channels ≤ i8_winograd_1d_max_channels(r) (else returns without writing).
 * Threads: split over lines (disjoint V′ blocks); a pure transform, any split gives the same bytes.
 */
export function i8_winograd_input_1d(
  r: i32, inPtr: usize, inStepBytes: i32, inLineBytes: i32, inLen: i32, channels: i32, pad: i32, zero: i32,
  tilesPerLine: i32, line0: i32, line1: i32, vPtr: usize, vMatrixStrideBytes: i32,
): void {
  if (r == 7) input1d(7, inPtr, inStepBytes, inLineBytes, inLen, channels, pad, zero, tilesPerLine, line0, line1, vPtr, vMatrixStrideBytes);
  else if (r == 3) input1d(3, inPtr, inStepBytes, inLineBytes, inLen, channels, pad, zero, tilesPerLine, line0, line1, vPtr, vMatrixStrideBytes);
}

// @ts-ignore: decorator
@inline function input1d(
  r: i32, inPtr: usize, inStepBytes: i32, inLineBytes: i32, inLen: i32, channels: i32, pad: i32, zero: i32,
  tilesPerLine: i32, line0: i32, line1: i32, vPtr: usize, vMatrixStrideBytes: i32,
): void {
  if (!fits(r, channels)) return;
  const m = r == 7 ? 2 : 4;
  const alpha = r == 7 ? 8 : 6;
  const groups = padded(channels) >> 3;
  const blockBytes = <usize>(padded(channels) << 3);
  const step = <usize>inStepBytes;
  const ms = <usize>vMatrixStrideBytes;
  const z = i16x8.splat(<i16>zero);
  const lane = i16x8(0, 1, 2, 3, 4, 5, 6, 7);
  const all = i16x8.splat(-1);
  let q = 0;
  for (let l = line0; l < line1; l++) {
    const line = inPtr + <usize>l * <usize>inLineBytes;
    for (let t = 0; t < tilesPerLine; t++) {
      const k0 = m * t - pad;
      let valid = 0;
      for (let k = 0; k < alpha; k++) valid |= i32(k0 + k >= 0 && k0 + k < inLen) << k;
      // A negative k0 wraps in usize; those positions are masked and never loaded.
      const base = line + <usize>k0 * step;
      const dst = vPtr + <usize>(q >> 2) * blockBytes + (<usize>(q & 3) << 4);
      for (let g = 0; g < groups; g++) {
        const c = g << 3;
        const mask = c + 8 <= channels ? all : i16x8.lt_s(lane, i16x8.splat(<i16>(channels - c)));
        const p = base + <usize>c;
        const d = dst + (<usize>g << 6);
        if (r == 7) inputF27(p, step, valid, z, mask, d, ms);
        else bt43(
          px(p, (valid & 1) != 0, z), px(p + step, (valid & 2) != 0, z), px(p + 2 * step, (valid & 4) != 0, z),
          px(p + 3 * step, (valid & 8) != 0, z), px(p + 4 * step, (valid & 16) != 0, z), px(p + 5 * step, (valid & 32) != 0, z),
          d, ms, i16x8.mul(z, i16x8.splat(-6)), mask,
        );
      }
      q++;
    }
  }
  pairMajor(vPtr, alpha, q, groups, ms);
}

/** F(2, 7)'s TB on one tile, 8 channels: the ±pairs of rows share even/odd parts E ± O; +18z on V′₁. */
// @ts-ignore: decorator
@inline function inputF27(p: usize, step: usize, valid: i32, z: v128, mask: v128, dst: usize, ms: usize): void {
  const x0 = px(p, (valid & 1) != 0, z), x1 = px(p + step, (valid & 2) != 0, z);
  const x2 = px(p + 2 * step, (valid & 4) != 0, z), x3 = px(p + 3 * step, (valid & 8) != 0, z);
  const x4 = px(p + 4 * step, (valid & 16) != 0, z), x5 = px(p + 5 * step, (valid & 32) != 0, z);
  const x6 = px(p + 6 * step, (valid & 64) != 0, z), x7 = px(p + 7 * step, (valid & 128) != 0, z);
  const k4 = i16x8.splat(4), k5 = i16x8.splat(5), k17 = i16x8.splat(17), k21 = i16x8.splat(21);
  // V′0 = 4(x6 − x0) + 21(x2 − x4); V′7 = 4(x7 − x1) + 21(x3 − x5).
  v128.store(dst, v128.and(i16x8.add(i16x8.shl(i16x8.sub(x6, x0), 2), i16x8.mul(i16x8.sub(x2, x4), k21)), mask));
  v128.store(dst + 7 * ms, v128.and(i16x8.add(i16x8.shl(i16x8.sub(x7, x1), 2), i16x8.mul(i16x8.sub(x3, x5), k21)), mask));
  // V′1,2 = (4x2 − 17x4 + 4x6) ± (4x1 − 17x3 + 4x5), +18z on V′1.
  let e = i16x8.sub(i16x8.shl(i16x8.add(x2, x6), 2), i16x8.mul(x4, k17));
  let o = i16x8.sub(i16x8.shl(i16x8.add(x1, x5), 2), i16x8.mul(x3, k17));
  v128.store(dst + ms, v128.and(i16x8.add(i16x8.add(e, o), i16x8.mul(z, i16x8.splat(18))), mask));
  v128.store(dst + 2 * ms, v128.and(i16x8.sub(e, o), mask));
  // V′3,4 = (x2 − 5x4 + 4x6) ± (2x1 − 10x3 + 8x5).
  e = i16x8.add(i16x8.sub(x2, i16x8.mul(x4, k5)), i16x8.shl(x6, 2));
  o = i16x8.shl(i16x8.add(i16x8.sub(x1, i16x8.mul(x3, k5)), i16x8.shl(x5, 2)), 1);
  v128.store(dst + 3 * ms, v128.and(i16x8.add(e, o), mask));
  v128.store(dst + 4 * ms, v128.and(i16x8.sub(e, o), mask));
  // V′5,6 = (8x2 − 10x4 + 2x6) ± (4x1 − 5x3 + x5).
  e = i16x8.shl(i16x8.add(i16x8.sub(i16x8.shl(x2, 2), i16x8.mul(x4, k5)), x6), 1);
  o = i16x8.add(i16x8.sub(i16x8.mul(x1, k4), i16x8.mul(x3, k5)), x5);
  v128.store(dst + 5 * ms, v128.and(i16x8.add(e, o), mask));
  v128.store(dst + 6 * ms, v128.and(i16x8.sub(e, o), mask));
}

/**
 * i8_winograd_1d: for each weight panel in [panelStart, panelEnd) (clipped to ceil(n/8)): U′, the
 * α GEMMs M′_i = V′_i · U′_i, Y′ = Ã M′, acc, then i8_gemm's requantize epilogue into the in-line
 * outputs (positions < outLen) of every tile of lines [line0, line1).
 *   c:   position j of line l, global column k at cPtr + l·outLineBytes + j·outStepBytes + k.
 *   res: u8 at the same outputs (resPtr 0 = none) with its own step/line bytes; may alias c exactly.
 *   scratch: i8_winograd_1d_scratch_bytes(r, T, channels) bytes.
 * Per element exactly i8_gemm's rule. Limits: r 3 or 7, channels even, 2 ≤ channels ≤
 * i8_winograd_1d_max_channels(r) (else returns without writing). Reads V′, the panels, res up to
 * 7 bytes past the last column when n % 8 ≠ 0. Writes scratch and the outputs × columns < n.
 * Threads: split over line blocks (each with its own V′) and/or panel ranges; every split gives
 * the same bytes.
 */
export function i8_winograd_1d(
  r: i32, vPtr: usize, vMatrixStrideBytes: i32, channels: i32,
  wPackedPtr: usize, panelStart: i32, panelEnd: i32, n: i32,
  tilesPerLine: i32, line0: i32, line1: i32, outLen: i32,
  cPtr: usize, outStepBytes: i32, outLineBytes: i32, outZero: i32, lo: i32, hi: i32,
  resPtr: usize, resStepBytes: i32, resLineBytes: i32, resZero: i32, resScale: f32,
  scratchPtr: usize,
): void {
  if (r == 7) {
    winograd1d<u8>(
      7, vPtr, vMatrixStrideBytes, channels, wPackedPtr, panelStart, panelEnd, n, tilesPerLine, line0, line1, outLen,
      cPtr, outStepBytes, outLineBytes, outZero, lo, hi, resPtr, resStepBytes, resLineBytes, resZero, resScale, 0, 0, scratchPtr,
    );
  } else if (r == 3) {
    winograd1d<u8>(
      3, vPtr, vMatrixStrideBytes, channels, wPackedPtr, panelStart, panelEnd, n, tilesPerLine, line0, line1, outLen,
      cPtr, outStepBytes, outLineBytes, outZero, lo, hi, resPtr, resStepBytes, resLineBytes, resZero, resScale, 0, 0, scratchPtr,
    );
  }
}

/** i8_winograd_1d's accumulators with i8_gemm_f32's epilogue (f32 out, 4 bytes per column, clamp [lo, hi]; no residual). */
export function i8_winograd_1d_f32(
  r: i32, vPtr: usize, vMatrixStrideBytes: i32, channels: i32,
  wPackedPtr: usize, panelStart: i32, panelEnd: i32, n: i32,
  tilesPerLine: i32, line0: i32, line1: i32, outLen: i32,
  cPtr: usize, outStepBytes: i32, outLineBytes: i32, lo: f32, hi: f32,
  scratchPtr: usize,
): void {
  if (r == 7) {
    winograd1d<f32>(
      7, vPtr, vMatrixStrideBytes, channels, wPackedPtr, panelStart, panelEnd, n, tilesPerLine, line0, line1, outLen,
      cPtr, outStepBytes, outLineBytes, 0, 0, 0, 0, 0, 0, 0, 0, lo, hi, scratchPtr,
    );
  } else if (r == 3) {
    winograd1d<f32>(
      3, vPtr, vMatrixStrideBytes, channels, wPackedPtr, panelStart, panelEnd, n, tilesPerLine, line0, line1, outLen,
      cPtr, outStepBytes, outLineBytes, 0, 0, 0, 0, 0, 0, 0, 0, lo, hi, scratchPtr,
    );
  }
}

/** The driver of both exports (T: C's element type; r a constant at each call site), as i8-winograd.ts's `winograd`. */
// @ts-ignore: decorator
@inline function winograd1d<T>(
  r: i32, vPtr: usize, vMatrixStrideBytes: i32, channels: i32,
  wPackedPtr: usize, panelStart: i32, panelEnd: i32, n: i32,
  tilesPerLine: i32, line0: i32, line1: i32, outLen: i32,
  cPtr: usize, outStepBytes: i32, outLineBytes: i32, outZero: i32, lo: i32, hi: i32,
  resPtr: usize, resStepBytes: i32, resLineBytes: i32, resZero: i32, resScale: f32,
  loF: f32, hiF: f32, scratchPtr: usize,
): void {
  if (!fits(r, channels) || (channels & 1) != 0) return;
  if (tilesPerLine < 1 || line1 <= line0) return;
  const pStart = max(panelStart, 0);
  const pEnd = min(panelEnd, (n + NR - 1) / NR);
  if (pStart >= pEnd) return;
  const alpha = r == 7 ? 8 : 6;
  const m = r == 7 ? 2 : 4;
  const cp = padded(channels);
  const groups = cp >> 3;
  const tiles = (line1 - line0) * tilesPerLine;
  const blocks = (tiles + 3) >> 2;
  const uMatrixBytes = <usize>(cp << 4);
  const u = scratchPtr;
  const mm = u + <usize>alpha * uMatrixBytes;
  const mMatrixBytes = <usize>(blocks * ACC_BYTES);
  const acc = mm + <usize>alpha * mMatrixBytes;
  const vms = <usize>vMatrixStrideBytes;
  // i8_gemm_panel_bytes(r·C) for even C; tap j's k-pair for channel pair c/2 at + 8·(j·C + c).
  const panelBytes = <usize>(PANEL_HEAD_BYTES + 8 * r * channels);
  const tapBytes = <usize>(channels << 3);
  const os = <usize>outStepBytes;
  const rs = <usize>resStepBytes;
  const loV = f32x4.splat(<f32>(lo - outZero));
  const hiV = f32x4.splat(<f32>(hi - outZero));
  const oz = i32x4.splat(outZero);
  const rz = i32x4.splat(resZero);
  const rsc = f32x4.splat(resScale);
  const vlo = f32x4.splat(loF);
  const vhi = f32x4.splat(hiF);
  for (let p = pStart; p < pEnd; p++) {
    const w = wPackedPtr + <usize>p * panelBytes;
    for (let t = 0; t < channels >> 1; t++) {
      const g = w + PANEL_HEAD_BYTES + (<usize>t << 4);
      const d = u + (<usize>t << 5);
      if (r == 7) {
        weightF27(g, tapBytes, false, d, uMatrixBytes);
        weightF27(g, tapBytes, true, d + 16, uMatrixBytes);
      } else {
        sgRow(d, uMatrixBytes, tap(g, false), tap(g + tapBytes, false), tap(g + 2 * tapBytes, false));
        sgRow(d + 16, uMatrixBytes, tap(g, true), tap(g + tapBytes, true), tap(g + 2 * tapBytes, true));
      }
    }
    zeroPairs(u, channels >> 1, cp >> 1, alpha, uMatrixBytes);
    for (let i = 0; i < alpha; i++) {
      gemm4x8i16(vPtr + <usize>i * vms, blocks, u + <usize>i * uMatrixBytes, groups, mm + <usize>i * mMatrixBytes);
    }
    const b0 = v128.load(w);
    const b1 = v128.load(w, 16);
    const s0 = v128.load(w, 64);
    const s1 = v128.load(w, 80);
    const nc = min(NR, n - p * NR);
    const col = <usize>(p * NR) * sizeof<T>();
    let q = 0;
    for (let l = line0; l < line1; l++) {
      const cLine = cPtr + <usize>l * <usize>outLineBytes + col;
      const rLine = resPtr + <usize>l * <usize>resLineBytes + col;
      for (let t = 0; t < tilesPerLine; t++) {
        const mq = mm + <usize>(q >> 2) * ACC_BYTES + (<usize>(q & 3) << 5);
        for (let h: usize = 0; h < 32; h += 16) {
          if (r == 7) outputF27(mq + h, mMatrixBytes, acc + h);
          // Y′ = 24·acc = 2³·3·acc; 3 · 2863311531 = 2·2³² + 1.
          else at43(
            v128.load(mq + h), v128.load(mq + h + mMatrixBytes), v128.load(mq + h + 2 * mMatrixBytes), v128.load(mq + h + 3 * mMatrixBytes),
            v128.load(mq + h + 4 * mMatrixBytes), v128.load(mq + h + 5 * mMatrixBytes), acc + h, 32, true, -1431655765, 3,
          );
        }
        const count = min(m, outLen - m * t);
        for (let k = 0; k < count; k++) {
          const a = acc + (<usize>k << 5);
          const pos = <usize>(m * t + k);
          if (isFloat<T>()) {
            storeRowF32(cLine + pos * os, v128.load(a), v128.load(a, 16), b0, b1, s0, s1, vlo, vhi, nc);
          } else {
            storeRow(cLine + pos * os, resPtr != 0 ? rLine + pos * rs : 0, v128.load(a), v128.load(a, 16), b0, b1, s0, s1, loV, hiV, oz, rz, rsc, nc);
          }
        }
        q++;
      }
    }
  }
}

/**
 * F(2, 7)'s SG on one half's seven taps (g + j·tapBytes), U′_i at d + i·ms: the ±pairs of rows
 * share even/odd parts (Horner in powers of 2 and 4).
 */
// @ts-ignore: decorator
@inline function weightF27(g: usize, tapBytes: usize, high: bool, d: usize, ms: usize): void {
  const g0 = tap(g, high), g1 = tap(g + tapBytes, high), g2 = tap(g + 2 * tapBytes, high), g3 = tap(g + 3 * tapBytes, high);
  const g4 = tap(g + 4 * tapBytes, high), g5 = tap(g + 5 * tapBytes, high), g6 = tap(g + 6 * tapBytes, high);
  v128.store(d, i16x8.neg(g0));
  v128.store(d + 7 * ms, g6);
  // U′1,2 = −(E ± O), E = g0 + g2 + g4 + g6, O = g1 + g3 + g5.
  let e = i16x8.add(i16x8.add(g0, g2), i16x8.add(g4, g6));
  let o = i16x8.add(i16x8.add(g1, g3), g5);
  v128.store(d + ms, i16x8.neg(i16x8.add(e, o)));
  v128.store(d + 2 * ms, i16x8.sub(o, e));
  // U′3,4 = E ± O, E = g0 + 4g2 + 16g4 + 64g6, O = 2g1 + 8g3 + 32g5.
  e = i16x8.add(g0, i16x8.shl(i16x8.add(g2, i16x8.shl(i16x8.add(g4, i16x8.shl(g6, 2)), 2)), 2));
  o = i16x8.shl(i16x8.add(g1, i16x8.shl(i16x8.add(g3, i16x8.shl(g5, 2)), 2)), 1);
  v128.store(d + 3 * ms, i16x8.add(e, o));
  v128.store(d + 4 * ms, i16x8.sub(e, o));
  // U′5,6 = E ± O, E = 64g0 + 16g2 + 4g4 + g6, O = 32g1 + 8g3 + 2g5.
  e = i16x8.add(g6, i16x8.shl(i16x8.add(g4, i16x8.shl(i16x8.add(g2, i16x8.shl(g0, 2)), 2)), 2));
  o = i16x8.shl(i16x8.add(g5, i16x8.shl(i16x8.add(g3, i16x8.shl(g1, 2)), 2)), 1);
  v128.store(d + 5 * ms, i16x8.add(e, o));
  v128.store(d + 6 * ms, i16x8.sub(e, o));
}

/**
 * F(2, 7)'s output for one i32x4 half of a tile (M′_i at m + i·ms): y0 = 90m0 + 20(m1 + m2) +
 * (m3 + m4) + 2(m5 + m6), y1 = 20(m1 − m2) + 2(m3 − m4) + (m5 − m6) + 90m7 (= 360·acc), then
 * acc = (y · 45⁻¹) >> 3 into dst (output 0) and dst + 32 (output 1).
 */
// @ts-ignore: decorator
@inline function outputF27(m: usize, ms: usize, dst: usize): void {
  const m1 = v128.load(m + ms), m2 = v128.load(m + 2 * ms), m3 = v128.load(m + 3 * ms), m4 = v128.load(m + 4 * ms);
  const m5 = v128.load(m + 5 * ms), m6 = v128.load(m + 6 * ms);
  const k20 = i32x4.splat(20), k90 = i32x4.splat(90);
  const y0 = i32x4.add(
    i32x4.add(i32x4.mul(v128.load(m), k90), i32x4.mul(i32x4.add(m1, m2), k20)),
    i32x4.add(i32x4.add(m3, m4), i32x4.shl(i32x4.add(m5, m6), 1)),
  );
  const y1 = i32x4.add(
    i32x4.add(i32x4.mul(i32x4.sub(m1, m2), k20), i32x4.shl(i32x4.sub(m3, m4), 1)),
    i32x4.add(i32x4.sub(m5, m6), i32x4.mul(v128.load(m + 7 * ms), k90)),
  );
  // 45 · 2767867813 = 29·2³² + 1: the inverse of 45 modulo 2³².
  const inv45 = i32x4.splat(-1527099483);
  v128.store(dst, i32x4.shr_s(i32x4.mul(y0, inv45), 3));
  v128.store(dst, i32x4.shr_s(i32x4.mul(y1, inv45), 3), 32);
}
