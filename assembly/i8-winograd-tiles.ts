// The pieces the int8 Winograd kernels share (i8-winograd.ts: 2-D, i8-winograd-1d.ts: 1-D; the
// matrices and the exactness argument are in their contracts): the 4 × 8 i16 micro-kernel, and
// the per-tile transforms of F(2×2, 3×3) (α = 4) and F(4×4, 3×3) (α = 6) — input patch → V,
// 3×3 weights → U′, M′ → accumulators — each on 8 channels at once (i16x8 for V and U′, two i32x4
// halves for M′). Not re-exported by index.ts: nothing here is a kernel, and every function is
// inlined into its callers.

import { ACC_BYTES, NR, PANEL_HEAD_BYTES } from './i8-epilogue';
import { storeTile4x8, storeTransposed4x4 } from './transpose4x4';

/** Channels padded to whole 8-channel groups (V and U′ lay channels out in groups of 8). */
// @ts-ignore: decorator
@inline export function padded(channels: i32): i32 {
  return (channels + 7) & ~7;
}

/** Zeroes channel pairs [from, to) of `matrices` U′ matrices (u + ξ·ms; a pair is 32 bytes), the padding up to cp. */
/** Bytes of one transformed-input matrix of `tiles` tiles: ceil(tiles/4) blocks of 8·cp bytes. */
// @ts-ignore: decorator
@inline export function vMatrixBytes(tiles: i32, channels: i32): i32 {
  return ((tiles + 3) >> 2) * (padded(channels) << 3);
}

/**
 * Scratch of one int8 Winograd task: U′ (`matrices` · 16·cp bytes), M′ (`matrices` ·
 * ceil(tiles/4) · 128) and one tile's accumulator rows (`outputs` rows of 32 bytes).
 */
// @ts-ignore: decorator
@inline export function taskScratchBytes(matrices: i32, tiles: i32, channels: i32, outputs: i32): i32 {
  return matrices * (padded(channels) << 4) + matrices * (((tiles + 3) >> 2) << 7) + (outputs << 5);
}

// @ts-ignore: decorator
@inline export function zeroPairs(u: usize, from: i32, to: i32, matrices: i32, ms: usize): void {
  const zero = i16x8.splat(0);
  for (let t = from; t < to; t++) {
    const d = u + (<usize>t << 5);
    for (let xi = 0; xi < matrices; xi++) {
      v128.store(d + <usize>xi * ms, zero);
      v128.store(d + <usize>xi * ms, zero, 16);
    }
  }
}

/** Patch pixel `p` as 8 u16 lanes, or the zero point `z` where it is outside the image. */
// @ts-ignore: decorator
@inline export function px(p: usize, ok: bool, z: v128): v128 {
  return ok ? v128.load8x8_u(p) : z;
}

/**
 * F(2×2) input tile, 8 channels: t = x B per patch row (a, b, c, d) = (x0 − x2, x1 + x2,
 * x2 − x1, x1 − x3), V = Bᵀ t, −4z at ξ = 5, lanes outside `mask` zeroed, 16 stores ms apart.
 */
// @ts-ignore: decorator
@inline export function inputTile2(
  p: usize, ps: usize, rowBytes: usize, rows: i32, cols: i32, z: v128, mask: v128, dst: usize, ms: usize,
): void {
  const z4 = i16x8.shl(z, 2);
  const c0 = (cols & 1) != 0, c1 = (cols & 2) != 0, c2 = (cols & 4) != 0, c3 = (cols & 8) != 0;
  let ok = (rows & 1) != 0;
  let x0 = px(p, ok && c0, z), x1 = px(p + ps, ok && c1, z), x2 = px(p + 2 * ps, ok && c2, z), x3 = px(p + 3 * ps, ok && c3, z);
  const r0a = i16x8.sub(x0, x2), r0b = i16x8.add(x1, x2), r0c = i16x8.sub(x2, x1), r0d = i16x8.sub(x1, x3);
  let q = p + rowBytes;
  ok = (rows & 2) != 0;
  x0 = px(q, ok && c0, z); x1 = px(q + ps, ok && c1, z); x2 = px(q + 2 * ps, ok && c2, z); x3 = px(q + 3 * ps, ok && c3, z);
  const r1a = i16x8.sub(x0, x2), r1b = i16x8.add(x1, x2), r1c = i16x8.sub(x2, x1), r1d = i16x8.sub(x1, x3);
  q += rowBytes;
  ok = (rows & 4) != 0;
  x0 = px(q, ok && c0, z); x1 = px(q + ps, ok && c1, z); x2 = px(q + 2 * ps, ok && c2, z); x3 = px(q + 3 * ps, ok && c3, z);
  const r2a = i16x8.sub(x0, x2), r2b = i16x8.add(x1, x2), r2c = i16x8.sub(x2, x1), r2d = i16x8.sub(x1, x3);
  v128.store(dst, v128.and(i16x8.sub(r0a, r2a), mask));
  v128.store(dst + ms, v128.and(i16x8.sub(r0b, r2b), mask));
  v128.store(dst + 2 * ms, v128.and(i16x8.sub(r0c, r2c), mask));
  v128.store(dst + 3 * ms, v128.and(i16x8.sub(r0d, r2d), mask));
  v128.store(dst + 4 * ms, v128.and(i16x8.add(r1a, r2a), mask));
  v128.store(dst + 5 * ms, v128.and(i16x8.sub(i16x8.add(r1b, r2b), z4), mask));
  v128.store(dst + 6 * ms, v128.and(i16x8.add(r1c, r2c), mask));
  v128.store(dst + 7 * ms, v128.and(i16x8.add(r1d, r2d), mask));
  v128.store(dst + 8 * ms, v128.and(i16x8.sub(r2a, r1a), mask));
  v128.store(dst + 9 * ms, v128.and(i16x8.sub(r2b, r1b), mask));
  v128.store(dst + 10 * ms, v128.and(i16x8.sub(r2c, r1c), mask));
  v128.store(dst + 11 * ms, v128.and(i16x8.sub(r2d, r1d), mask));
  q += rowBytes;
  ok = (rows & 8) != 0;
  x0 = px(q, ok && c0, z); x1 = px(q + ps, ok && c1, z); x2 = px(q + 2 * ps, ok && c2, z); x3 = px(q + 3 * ps, ok && c3, z);
  v128.store(dst + 12 * ms, v128.and(i16x8.sub(r1a, i16x8.sub(x0, x2)), mask));
  v128.store(dst + 13 * ms, v128.and(i16x8.sub(r1b, i16x8.add(x1, x2)), mask));
  v128.store(dst + 14 * ms, v128.and(i16x8.sub(r1c, i16x8.sub(x2, x1)), mask));
  v128.store(dst + 15 * ms, v128.and(i16x8.sub(r1d, i16x8.sub(x1, x3)), mask));
}

/**
 * F(4, 3)'s Bᵀ on six i16x8 vectors d0…d5 at p, p + step, …, stored at dst, dst + ms, …:
 *   V0 = 4(d0 − d2) + (d4 − d2)        V1, V2 = (d4 − 4d2) ± (d3 − 4d1)
 *   V3, V4 = (d4 − d2) ± 2(d3 − d1)    V5 = 4(d1 − d3) + (d5 − d3)
 * i16 arithmetic wraps, and the results fit (module comment of i8-winograd.ts), so they are exact.
 * `corr` is subtracted from V1 (the zero point's 36z at ξ = 7 in the column pass, else 0); `mask` zeroes lanes.
 */
// @ts-ignore: decorator
@inline export function bt43(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, dst: usize, ms: usize, corr: v128, mask: v128): void {
  const e = i16x8.sub(d4, d2);
  v128.store(dst, v128.and(i16x8.add(i16x8.shl(i16x8.sub(d0, d2), 2), e), mask));
  const e4 = i16x8.sub(d4, i16x8.shl(d2, 2));
  const o4 = i16x8.sub(d3, i16x8.shl(d1, 2));
  v128.store(dst + ms, v128.and(i16x8.sub(i16x8.add(e4, o4), corr), mask));
  v128.store(dst + 2 * ms, v128.and(i16x8.sub(e4, o4), mask));
  const o2 = i16x8.shl(i16x8.sub(d3, d1), 1);
  v128.store(dst + 3 * ms, v128.and(i16x8.add(e, o2), mask));
  v128.store(dst + 4 * ms, v128.and(i16x8.sub(e, o2), mask));
  v128.store(dst + 5 * ms, v128.and(i16x8.add(i16x8.shl(i16x8.sub(d1, d3), 2), i16x8.sub(d5, d3)), mask));
}

/**
 * F(4×4) input tile, 8 channels: Bᵀ along each patch row into V (ξ = 6i + j), then along each
 * column of V in place, with −36z at ξ = 7 and `mask` applied in that second pass.
 */
// @ts-ignore: decorator
@inline export function inputTile4(
  p: usize, ps: usize, rowBytes: usize, rows: i32, cols: i32, z: v128, mask: v128, dst: usize, ms: usize,
): void {
  const all = i16x8.splat(-1);
  const none = i16x8.splat(0);
  const c0 = (cols & 1) != 0, c1 = (cols & 2) != 0, c2 = (cols & 4) != 0, c3 = (cols & 8) != 0, c4 = (cols & 16) != 0, c5 = (cols & 32) != 0;
  for (let i = 0; i < 6; i++) {
    const ok = ((rows >> i) & 1) != 0;
    const q = p + <usize>i * rowBytes;
    bt43(
      px(q, ok && c0, z), px(q + ps, ok && c1, z), px(q + 2 * ps, ok && c2, z), px(q + 3 * ps, ok && c3, z),
      px(q + 4 * ps, ok && c4, z), px(q + 5 * ps, ok && c5, z), dst + <usize>(6 * i) * ms, ms, none, all,
    );
  }
  const z36 = i16x8.mul(z, i16x8.splat(36));
  const step = ms * 6;
  for (let j = 0; j < 6; j++) {
    const col = dst + <usize>j * ms;
    bt43(
      v128.load(col), v128.load(col + step), v128.load(col + 2 * step), v128.load(col + 3 * step), v128.load(col + 4 * step),
      v128.load(col + 5 * step), col, step, j == 1 ? z36 : none, mask,
    );
  }
}

/** Tap ky·3 + kx (at g + tap·tapBytes) of one half (columns 0–3 or 4–7), sign-extended to i16. */
// @ts-ignore: decorator
@inline export function tap(p: usize, high: bool): v128 {
  return high ? i16x8.extend_high_i8x16_s(v128.load(p)) : i16x8.extend_low_i8x16_s(v128.load(p));
}

/** One row (r0, r1, r2) of (2G) g times (2G)ᵀ: U′ at d, d + ms, d + 2ms, d + 3ms. */
// @ts-ignore: decorator
@inline function g2Row(d: usize, ms: usize, r0: v128, r1: v128, r2: v128): void {
  const s = i16x8.add(r0, r2);
  v128.store(d, i16x8.add(r0, r0));
  v128.store(d + ms, i16x8.add(s, r1));
  v128.store(d + 2 * ms, i16x8.sub(s, r1));
  v128.store(d + 3 * ms, i16x8.add(r2, r2));
}

/** F(2×2) U′ = (2G) g (2G)ᵀ of one half into the 16 matrices d + ξ·ms. */
// @ts-ignore: decorator
@inline export function weightHalf2(g: usize, tapBytes: usize, high: bool, d: usize, ms: usize): void {
  const g00 = tap(g, high), g01 = tap(g + tapBytes, high), g02 = tap(g + 2 * tapBytes, high);
  const g10 = tap(g + 3 * tapBytes, high), g11 = tap(g + 4 * tapBytes, high), g12 = tap(g + 5 * tapBytes, high);
  const g20 = tap(g + 6 * tapBytes, high), g21 = tap(g + 7 * tapBytes, high), g22 = tap(g + 8 * tapBytes, high);
  // Row i of (2G) g: 2·g0·, g0· + g1· + g2·, g0· − g1· + g2·, 2·g2· (per column kx).
  g2Row(d, ms, i16x8.add(g00, g00), i16x8.add(g01, g01), i16x8.add(g02, g02));
  const s0 = i16x8.add(g00, g20), s1 = i16x8.add(g01, g21), s2 = i16x8.add(g02, g22);
  g2Row(d + 4 * ms, ms, i16x8.add(s0, g10), i16x8.add(s1, g11), i16x8.add(s2, g12));
  g2Row(d + 8 * ms, ms, i16x8.sub(s0, g10), i16x8.sub(s1, g11), i16x8.sub(s2, g12));
  g2Row(d + 12 * ms, ms, i16x8.add(g20, g20), i16x8.add(g21, g21), i16x8.add(g22, g22));
}

/**
 * One row (r0, r1, r2) of (SG) g times (SG)ᵀ, SG = [1 0 0; −1 −1 −1; −1 1 −1; 1 2 4; 1 −2 4; 0 0 1]:
 * U′ at d + j·ms for j = 0…5.
 */
// @ts-ignore: decorator
@inline export function sgRow(d: usize, ms: usize, r0: v128, r1: v128, r2: v128): void {
  const s = i16x8.add(r0, r2);
  const p = i16x8.add(r0, i16x8.shl(r2, 2));
  const r1x2 = i16x8.add(r1, r1);
  v128.store(d, r0);
  v128.store(d + ms, i16x8.neg(i16x8.add(s, r1)));
  v128.store(d + 2 * ms, i16x8.sub(r1, s));
  v128.store(d + 3 * ms, i16x8.add(p, r1x2));
  v128.store(d + 4 * ms, i16x8.sub(p, r1x2));
  v128.store(d + 5 * ms, r2);
}

/** F(4×4) U′ = (SG) g (SG)ᵀ of one half into the 36 matrices d + ξ·ms (rows of SG g as sgRow's columns). */
// @ts-ignore: decorator
@inline export function weightHalf4(g: usize, tapBytes: usize, high: bool, d: usize, ms: usize): void {
  const g00 = tap(g, high), g01 = tap(g + tapBytes, high), g02 = tap(g + 2 * tapBytes, high);
  const g10 = tap(g + 3 * tapBytes, high), g11 = tap(g + 4 * tapBytes, high), g12 = tap(g + 5 * tapBytes, high);
  const g20 = tap(g + 6 * tapBytes, high), g21 = tap(g + 7 * tapBytes, high), g22 = tap(g + 8 * tapBytes, high);
  const row = ms * 6;
  sgRow(d, ms, g00, g01, g02);
  const s0 = i16x8.add(g00, g20), s1 = i16x8.add(g01, g21), s2 = i16x8.add(g02, g22);
  sgRow(d + row, ms, i16x8.neg(i16x8.add(s0, g10)), i16x8.neg(i16x8.add(s1, g11)), i16x8.neg(i16x8.add(s2, g12)));
  sgRow(d + 2 * row, ms, i16x8.sub(g10, s0), i16x8.sub(g11, s1), i16x8.sub(g12, s2));
  const p0 = i16x8.add(g00, i16x8.shl(g20, 2)), p1 = i16x8.add(g01, i16x8.shl(g21, 2)), p2 = i16x8.add(g02, i16x8.shl(g22, 2));
  const h0 = i16x8.shl(g10, 1), h1 = i16x8.shl(g11, 1), h2 = i16x8.shl(g12, 1);
  sgRow(d + 3 * row, ms, i16x8.add(p0, h0), i16x8.add(p1, h1), i16x8.add(p2, h2));
  sgRow(d + 4 * row, ms, i16x8.sub(p0, h0), i16x8.sub(p1, h1), i16x8.sub(p2, h2));
  sgRow(d + 5 * row, ms, g20, g21, g22);
}

/**
 * F(2×2) output of one tile (its 8 columns of M′_ξ at m + ξ·ms, two i32x4 halves): Aᵀ M′ A >> 2,
 * as a 4 × 8 i32 tile at dst, rows = pixels (0, 0), (0, 1), (1, 0), (1, 1).
 */
// @ts-ignore: decorator
@inline export function outputTile2(m: usize, ms: usize, dst: usize): void {
  outputHalf2(m, ms, dst);
  outputHalf2(m + 16, ms, dst + 16);
}

/** s_j = M_0j + M_1j + M_2j (output row 0), d_j = M_1j − M_2j − M_3j (row 1); then the same along j; >> 2. */
// @ts-ignore: decorator
@inline function outputHalf2(m: usize, ms: usize, dst: usize): void {
  let a = v128.load(m + 4 * ms), b = v128.load(m + 8 * ms);
  const s0 = i32x4.add(i32x4.add(v128.load(m), a), b);
  const d0 = i32x4.sub(i32x4.sub(a, b), v128.load(m + 12 * ms));
  a = v128.load(m + 5 * ms); b = v128.load(m + 9 * ms);
  const s1 = i32x4.add(i32x4.add(v128.load(m + ms), a), b);
  const d1 = i32x4.sub(i32x4.sub(a, b), v128.load(m + 13 * ms));
  a = v128.load(m + 6 * ms); b = v128.load(m + 10 * ms);
  const s2 = i32x4.add(i32x4.add(v128.load(m + 2 * ms), a), b);
  const d2 = i32x4.sub(i32x4.sub(a, b), v128.load(m + 14 * ms));
  a = v128.load(m + 7 * ms); b = v128.load(m + 11 * ms);
  const s3 = i32x4.add(i32x4.add(v128.load(m + 3 * ms), a), b);
  const d3 = i32x4.sub(i32x4.sub(a, b), v128.load(m + 15 * ms));
  v128.store(dst, i32x4.shr_s(i32x4.add(i32x4.add(s0, s1), s2), 2));
  v128.store(dst, i32x4.shr_s(i32x4.sub(i32x4.sub(s1, s2), s3), 2), 32);
  v128.store(dst, i32x4.shr_s(i32x4.add(i32x4.add(d0, d1), d2), 2), 64);
  v128.store(dst, i32x4.shr_s(i32x4.sub(i32x4.sub(d1, d2), d3), 2), 96);
}

/**
 * Ã = Aᵀ·diag(6, 4, 4, 1, 1, 24) on six i32x4 vectors (y = Ã m):
 *   y0 = 6m0 + 4a + c,  y1 = 4b + 2d,  y2 = 4a + 4c,  y3 = 4b + 8d + 24m5,
 *   a = m1 + m2, b = m1 − m2, c = m3 + m4, d = m3 − m4; stored at dst, dst + step, … (i32, wrapping).
 * When `last`, each result y = 2^shift·odd·acc (mod 2³²) is turned into acc: ·inv (odd⁻¹ mod
 * 2³²), then >> shift (the contracts of i8-winograd.ts and i8-winograd-1d.ts say when that is exact).
 */
// @ts-ignore: decorator
@inline export function at43(
  m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, dst: usize, step: usize, last: bool, inv: i32, shift: i32,
): void {
  const a = i32x4.add(m1, m2), b = i32x4.sub(m1, m2), c = i32x4.add(m3, m4), d = i32x4.sub(m3, m4);
  const a4 = i32x4.shl(a, 2), b4 = i32x4.shl(b, 2);
  const y0 = i32x4.add(i32x4.add(i32x4.add(i32x4.shl(m0, 2), i32x4.shl(m0, 1)), a4), c);
  const y1 = i32x4.add(b4, i32x4.shl(d, 1));
  const y2 = i32x4.add(a4, i32x4.shl(c, 2));
  const y3 = i32x4.add(i32x4.add(b4, i32x4.shl(d, 3)), i32x4.add(i32x4.shl(m5, 4), i32x4.shl(m5, 3)));
  if (last) {
    const k = i32x4.splat(inv);
    v128.store(dst, i32x4.shr_s(i32x4.mul(y0, k), shift));
    v128.store(dst + step, i32x4.shr_s(i32x4.mul(y1, k), shift));
    v128.store(dst + 2 * step, i32x4.shr_s(i32x4.mul(y2, k), shift));
    v128.store(dst + 3 * step, i32x4.shr_s(i32x4.mul(y3, k), shift));
  } else {
    v128.store(dst, y0);
    v128.store(dst + step, y1);
    v128.store(dst + 2 * step, y2);
    v128.store(dst + 3 * step, y3);
  }
}

/**
 * F(4×4) output of one tile: Ã along each row of M′ (in place: row i's four results over
 * ξ = 6i … 6i + 3), then along each of those four columns into acc, as a 16 × 8 i32 tile at dst
 * (row 4a + b = pixel (a, b), 32 bytes each). M′ is overwritten.
 */
// @ts-ignore: decorator
@inline export function outputTile4(m: usize, ms: usize, dst: usize): void {
  for (let h: usize = 0; h < 32; h += 16) {
    const mh = m + h;
    for (let i = 0; i < 6; i++) {
      const r = mh + <usize>(6 * i) * ms;
      at43(v128.load(r), v128.load(r + ms), v128.load(r + 2 * ms), v128.load(r + 3 * ms), v128.load(r + 4 * ms), v128.load(r + 5 * ms), r, ms, false, 0, 0);
    }
    const step = ms * 6;
    for (let b = 0; b < 4; b++) {
      const col = mh + <usize>b * ms;
      at43(
        v128.load(col), v128.load(col + step), v128.load(col + 2 * step), v128.load(col + 3 * step), v128.load(col + 4 * step),
        // Y′ = 576·acc = 2⁶·9·acc; 9 · 954437177 = 2·2³² + 1.
        v128.load(col + 5 * step), dst + h + (<usize>b << 5), 128, true, 954437177, 6,
      );
    }
  }
}

/**
 * Rewrites ceil(tiles/4) blocks of each of `matrices` V matrices (v + ξ·ms) from the order the
 * tile transforms store — per 8-channel group, [4 tiles][8 channels] i16, one vector per tile —
 * to the micro-kernel's: per group, [4 channel pairs][4 tiles] u32 words (i8_gemm's packed-A
 * order), by a 4 × 4 transpose of 32-bit words per 64-byte group. Exact (a shuffle).
 */
// @ts-ignore: decorator
@inline export function pairMajor(v: usize, matrices: i32, tiles: i32, groups: i32, ms: usize): void {
  const chunks = ((tiles + 3) >> 2) * groups;
  for (let xi = 0; xi < matrices; xi++) {
    let p = v + <usize>xi * ms;
    for (let i = 0; i < chunks; i++) {
      storeTransposed4x4(p, v128.load(p), v128.load(p, 16), v128.load(p, 32), v128.load(p, 48));
      p += 64;
    }
  }
}

/**
 * 4 × 8 i16 micro-kernel: `blocks` blocks of V (4 tiles each, [kp][4] u32 words — channel pair
 * (2t, 2t + 1) of tile slot r at + 16t + 4r — back to back from ap, kp = 4·groups) times one U′
 * matrix ([kp][8][2] i16 at u): block b's i32 sums to acc + 128·b (row-major 4 × 8). i8_gemm_4x8
 * with i16 weights: the same register plan (8 accumulators, 2 weight vectors, 1 broadcast) and
 * instructions per k-pair (4 broadcasts, 2 weight loads, 8 dots, 8 adds), one k-pair per
 * iteration (an unrolled body spills in V8).
 */
// @ts-ignore: decorator
@inline export function gemm4x8i16(ap: usize, blocks: i32, u: usize, groups: i32, acc: usize): void {
  const blockBytes = <usize>groups << 6;
  for (let b = 0; b < blocks; b++) {
    let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
    let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
    let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
    let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
    let wp = u;
    const end = ap + blockBytes;
    do {
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      let x = v128.load32_splat(ap);
      c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, w0));
      c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, w1));
      x = v128.load32_splat(ap, 4);
      c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, w0));
      c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, w1));
      x = v128.load32_splat(ap, 8);
      c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, w0));
      c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, w1));
      x = v128.load32_splat(ap, 12);
      c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, w0));
      c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, w1));
      ap += 16;
      wp += 32;
    } while (ap != end);
    storeTile4x8(acc, c00, c01, c10, c11, c20, c21, c30, c31);
    acc += ACC_BYTES;
  }
}
