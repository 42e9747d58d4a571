// Helpers shared by the Winograd kernels (f32-winograd-1d.ts, f32-winograd-2d.ts); not kernels.
// @ts-ignore: decorator
@inline export function ld(p: usize, ok: bool, one: bool): v128 {
  return ok ? (one ? v128.load32_splat(p) : v128.load(p)) : f32x4.splat(0);
}

// @ts-ignore: decorator
@inline export function st(p: usize, v: v128, one: bool): void {
  if (one) v128.store32_lane(p, v, 0);
  else v128.store(p, v);
}

// @ts-ignore: decorator
@inline export function k4(x: f32): v128 {
  return f32x4.splat(x);
}

// @ts-ignore: decorator
@inline export function clampStore(p: usize, v: v128, b: v128, vlo: v128, vhi: v128, one: bool): void {
  st(p, f32x4.pmin(f32x4.pmax(f32x4.add(v, b), vlo), vhi), one);
}

// The 1-D transforms of f32-winograd-1d.ts (F(4, 3) also serves F(4×4, 3×3) in f32-winograd-2d.ts).

/**
 * F(2, 7) input transform of one tile, 4 channels (or lane 0). Rows of Bᵀ for the points ±p
 * share their even-index coefficients and negate the odd ones: V_{±p} = E_p ± O_p.
 */
// @ts-ignore: decorator
@inline export function input1dF27(p: usize, step: usize, valid: i32, dst: usize, ms: usize, one: bool): void {
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
@inline export function input1dF43(p: usize, step: usize, valid: i32, dst: usize, ms: usize, one: bool): void {
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

/** F(2, 7) output transform of one tile: y0 = Σ_{j<7} M_j, y1 = Σ_j p_j·M_j + M_7 (pairs first). */
// @ts-ignore: decorator
@inline export function output1dF27(
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
@inline export function output1dF43(
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
