// Helpers shared by the 8-bit kernels (i8-gemm.ts, quantize.ts, u8-pool.ts). Not re-exported by
// index.ts: nothing here is a kernel, and every function is inlined into its callers.

/**
 * Eight f32 lanes (f0: lanes 0..3, f1: 4..7) → eight u8 in lanes 0..7: nearest (half to even),
 * clamp to [loF, hiF] = [lo − zero, hi − zero] in f32 (a NaN becomes loF: pmax(loF, NaN) keeps
 * loF), exact conversion to i32 (the values are small integers), + zero, narrow (nothing left
 * to saturate: every value is in [lo, hi] ⊂ [0, 255]).
 */
// @ts-ignore: decorator
@inline export function toU8(f0: v128, f1: v128, loF: v128, hiF: v128, zero: v128): v128 {
  const n0 = f32x4.pmin(hiF, f32x4.pmax(loF, f32x4.nearest(f0)));
  const n1 = f32x4.pmin(hiF, f32x4.pmax(loF, f32x4.nearest(f1)));
  const i0 = i32x4.add(i32x4.trunc_sat_f32x4_s(n0), zero);
  const i1 = i32x4.add(i32x4.trunc_sat_f32x4_s(n1), zero);
  const h = i16x8.narrow_i32x4_s(i0, i1);
  return i8x16.narrow_i16x8_u(h, h);
}

/** Stores bytes 0..nc−1 of v (0 ≤ nc ≤ 8): one 8-byte store, or 4/2/1-byte pieces — nothing past nc. */
// @ts-ignore: decorator
@inline export function storeBytes(c: usize, v: v128, nc: i32): void {
  if (nc == 8) {
    v128.store64_lane(c, v, 0);
    return;
  }
  let left = nc;
  if (left >= 4) {
    v128.store32_lane(c, v, 0);
    v = i64x2.shr_u(v, 32);
    c += 4;
    left -= 4;
  }
  if (left & 2) {
    v128.store16_lane(c, v, 0);
    v = i64x2.shr_u(v, 16);
    c += 2;
  }
  if (left & 1) v128.store8_lane(c, v, 0);
}
