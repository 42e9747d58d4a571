// The per-element epilogue shared by the int8 convolutions (i8-gemm.ts: i8_gemm, i8_gemm_f32;
// i8-winograd.ts: i8_winograd_3x3, i8_winograd_3x3_f32): from an exact i32 accumulator row of ≤ 8
// output channels to stored u8 (requantized) or f32 values. One copy of the arithmetic, so an
// output is the same bytes whichever kernel summed its accumulator. Not re-exported by index.ts:
// nothing here is a kernel, and every function is inlined into its callers.
//
// Per element (see i8_gemm's contract for the whole rule):
//   y = acc + bias (i32, wraps), real = f32(y) · scale (one rounding each), + f32(res − resZero) ·
//   resScale when a residual is read, then nearest-even, + zero point, clamp (u8); or
//   min(max(f32(y) · scale, lo), hi) stored as f32.

import { storeBytes, toU8 } from './u8-common';

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
