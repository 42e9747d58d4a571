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

// The 1-D transforms of f32-winograd-1d.ts (F(4, 3) and F(6, 3) also serve F(4×4, 3×3) and F(6×6, 3×3)
// in f32-winograd-2d.ts).
// The ±p rows of Bᵀ share their even-index coefficients and negate the odd ones (Π_{l≠j}(x − p_l)
// for −p is that of +p at −x), so each pair costs one even and one odd sum: V_{±p} = E ± O.


/** F(4, 3) input transform of one tile, 4 channels (or lane 0); ±p rows paired as in input1dF47. */
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


/**
 * F(6, 3) input transform of one tile (8 inputs, all loaded before any store, so it may run in
 * place), 4 channels (or lane 0), points 0, ±1, ±2, ±½, ∞; ±p rows paired as in input1dF47.
 * Serves F(6×6, 3×3) in f32-winograd-2d.ts.
 */
// @ts-ignore: decorator
@inline export function input1dF63(p: usize, step: usize, valid: i32, dst: usize, ms: usize, one: bool): void {
  const d0 = ld(p, (valid & 1) != 0, one), d1 = ld(p + step, (valid & 2) != 0, one);
  const d2 = ld(p + 2 * step, (valid & 4) != 0, one), d3 = ld(p + 3 * step, (valid & 8) != 0, one);
  const d4 = ld(p + 4 * step, (valid & 16) != 0, one), d5 = ld(p + 5 * step, (valid & 32) != 0, one);
  const d6 = ld(p + 6 * step, (valid & 64) != 0, one), d7 = ld(p + 7 * step, (valid & 128) != 0, one);
  st(dst, f32x4.add(f32x4.mul(k4(5.25), f32x4.sub(d2, d4)), f32x4.sub(d6, d0)), one);
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
  st(dst + 7 * ms, f32x4.add(f32x4.mul(k4(5.25), f32x4.sub(d3, d5)), f32x4.sub(d7, d1)), one);
}

/**
 * F(6, 3) output transform of one tile: y_i = M_0·[i = 0] + Σ_p p^i·(M_{+p} ± M_{−p}) + M_7·[i = 5],
 * p = 1, 2, ½. M_7 is loaded after the stores of y_0 … y_4, so the row pass may run in place.
 */
// @ts-ignore: decorator
@inline export function output1dF63(
  m: usize, ms: usize, b: v128, vlo: v128, vhi: v128, count: i32, out: usize, step: usize, one: bool,
): void {
  const m1 = ld(m + ms, true, one), m2 = ld(m + 2 * ms, true, one), m3 = ld(m + 3 * ms, true, one);
  const m4 = ld(m + 4 * ms, true, one), m5 = ld(m + 5 * ms, true, one), m6 = ld(m + 6 * ms, true, one);
  const s1 = f32x4.add(m1, m2), s2 = f32x4.add(m3, m4), sh = f32x4.add(m5, m6);
  const t1 = f32x4.sub(m1, m2), t2 = f32x4.sub(m3, m4), th = f32x4.sub(m5, m6);
  clampStore(out, f32x4.add(f32x4.add(ld(m, true, one), s1), f32x4.add(s2, sh)), b, vlo, vhi, one);
  if (count > 1) clampStore(out + step, f32x4.add(f32x4.add(t1, f32x4.mul(k4(2), t2)), f32x4.mul(k4(0.5), th)), b, vlo, vhi, one);
  if (count > 2) clampStore(out + 2 * step, f32x4.add(f32x4.add(s1, f32x4.mul(k4(4), s2)), f32x4.mul(k4(0.25), sh)), b, vlo, vhi, one);
  if (count > 3) clampStore(out + 3 * step, f32x4.add(f32x4.add(t1, f32x4.mul(k4(8), t2)), f32x4.mul(k4(0.125), th)), b, vlo, vhi, one);
  if (count > 4) clampStore(out + 4 * step, f32x4.add(f32x4.add(s1, f32x4.mul(k4(16), s2)), f32x4.mul(k4(0.0625), sh)), b, vlo, vhi, one);
  if (count > 5) {
    const y5 = f32x4.add(f32x4.add(f32x4.add(t1, f32x4.mul(k4(32), t2)), f32x4.mul(k4(0.03125), th)), ld(m + 7 * ms, true, one));
    clampStore(out + 5 * step, y5, b, vlo, vhi, one);
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

/**
 * F(4, 7) input transform of one tile (10 inputs), 4 channels (or lane 0), points 0, ±1, ±2,
 * ±½, ±3, ∞; the ±p rows share their even-index coefficients and negate the odd ones:
 * V_{±p} = E_p ± O_p.
 */
// @ts-ignore: decorator
@inline export function input1dF47(p: usize, step: usize, valid: i32, dst: usize, ms: usize, one: bool): void {
  const d0 = ld(p, (valid & 1) != 0, one), d1 = ld(p + step, (valid & 2) != 0, one);
  const d2 = ld(p + 2 * step, (valid & 4) != 0, one), d3 = ld(p + 3 * step, (valid & 8) != 0, one);
  const d4 = ld(p + 4 * step, (valid & 16) != 0, one), d5 = ld(p + 5 * step, (valid & 32) != 0, one);
  const d6 = ld(p + 6 * step, (valid & 64) != 0, one), d7 = ld(p + 7 * step, (valid & 128) != 0, one);
  const d8 = ld(p + 8 * step, (valid & 256) != 0, one), d9 = ld(p + 9 * step, (valid & 512) != 0, one);
  st(dst, f32x4.add(f32x4.add(f32x4.sub(f32x4.mul(k4(9), d0), f32x4.mul(k4(48.25), d2)), f32x4.sub(f32x4.mul(k4(52.5), d4), f32x4.mul(k4(14.25), d6))), d8), one);
  pair(dst + ms, ms, d1, d2, d3, d4, d5, d6, d7, d8, -9, -9, 39.25, 39.25, -13.25, -13.25, 1, one);
  pair(dst + 3 * ms, ms, d1, d2, d3, d4, d5, d6, d7, d8, -4.5, -2.25, 23, 11.5, -20.5, -10.25, 2, one);
  pair(dst + 5 * ms, ms, d1, d2, d3, d4, d5, d6, d7, d8, -18, -36, 24.5, 49, -7, -14, 0.5, one);
  pair(dst + 7 * ms, ms, d1, d2, d3, d4, d5, d6, d7, d8, -3, -1, 15.75, 5.25, -15.75, -5.25, 3, one);
  st(dst + 9 * ms, f32x4.add(f32x4.add(f32x4.sub(f32x4.mul(k4(9), d1), f32x4.mul(k4(48.25), d3)), f32x4.sub(f32x4.mul(k4(52.5), d5), f32x4.mul(k4(14.25), d7))), d9), one);
}

/**
 * Rows +p, −p of an F(4, 7) Bᵀ: coefficients c1 … c7 of d1 … d7 for +p (d8 has 1); the −p row
 * negates the odd ones. E = c2·d2 + c4·d4 + c6·d6 + d8, O = c1·d1 + c3·d3 + c5·d5 + c7·d7.
 */
// @ts-ignore: decorator
@inline function pair(
  dst: usize, ms: usize, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d6: v128, d7: v128, d8: v128,
  c1: f32, c2: f32, c3: f32, c4: f32, c5: f32, c6: f32, c7: f32, one: bool,
): void {
  const e = f32x4.add(f32x4.add(f32x4.mul(k4(c2), d2), f32x4.mul(k4(c4), d4)), f32x4.add(f32x4.mul(k4(c6), d6), d8));
  const o = f32x4.add(f32x4.add(f32x4.mul(k4(c1), d1), f32x4.mul(k4(c3), d3)), f32x4.add(f32x4.mul(k4(c5), d5), f32x4.mul(k4(c7), d7)));
  st(dst, f32x4.add(e, o), one);
  st(dst + ms, f32x4.sub(e, o), one);
}

/** F(4, 7) output transform of one tile: y_i = Σ_p p^i·(M_{+p} ± M_{−p}) (+ M_9 for i = 3). */
// @ts-ignore: decorator
@inline export function output1dF47(
  m: usize, ms: usize, b: v128, vlo: v128, vhi: v128, count: i32, out: usize, step: usize, one: bool,
): void {
  const m1 = ld(m + ms, true, one), m2 = ld(m + 2 * ms, true, one), m3 = ld(m + 3 * ms, true, one), m4 = ld(m + 4 * ms, true, one);
  const m5 = ld(m + 5 * ms, true, one), m6 = ld(m + 6 * ms, true, one), m7 = ld(m + 7 * ms, true, one), m8 = ld(m + 8 * ms, true, one);
  const s1 = f32x4.add(m1, m2), s2 = f32x4.add(m3, m4), sh = f32x4.add(m5, m6), s3 = f32x4.add(m7, m8);
  const t1 = f32x4.sub(m1, m2), t2 = f32x4.sub(m3, m4), th = f32x4.sub(m5, m6), t3 = f32x4.sub(m7, m8);
  clampStore(out, f32x4.add(f32x4.add(ld(m, true, one), f32x4.add(s1, s2)), f32x4.add(sh, s3)), b, vlo, vhi, one);
  if (count > 1) {
    const y1 = f32x4.add(f32x4.add(t1, f32x4.mul(k4(2), t2)), f32x4.add(f32x4.mul(k4(0.5), th), f32x4.mul(k4(3), t3)));
    clampStore(out + step, y1, b, vlo, vhi, one);
  }
  if (count > 2) {
    const y2 = f32x4.add(f32x4.add(s1, f32x4.mul(k4(4), s2)), f32x4.add(f32x4.mul(k4(0.25), sh), f32x4.mul(k4(9), s3)));
    clampStore(out + 2 * step, y2, b, vlo, vhi, one);
  }
  if (count > 3) {
    const y3 = f32x4.add(f32x4.add(f32x4.add(t1, f32x4.mul(k4(8), t2)), f32x4.add(f32x4.mul(k4(0.125), th), f32x4.mul(k4(27), t3))), ld(m + 9 * ms, true, one));
    clampStore(out + 3 * step, y3, b, vlo, vhi, one);
  }
}

/**
 * F(6, 7) input transform of one tile (12 inputs), 4 channels (or lane 0), points 0, ±1, ±2,
 * ±½, ±3, ±¼, ∞; the ±p rows paired as in input1dF47 (E_p ± O_p).
 */
// @ts-ignore: decorator
@inline export function input1dF67(p: usize, step: usize, valid: i32, dst: usize, ms: usize, one: bool): void {
  const d0 = ld(p, (valid & 1) != 0, one), d1 = ld(p + step, (valid & 2) != 0, one);
  const d2 = ld(p + 2 * step, (valid & 4) != 0, one), d3 = ld(p + 3 * step, (valid & 8) != 0, one);
  const d4 = ld(p + 4 * step, (valid & 16) != 0, one), d5 = ld(p + 5 * step, (valid & 32) != 0, one);
  const d6 = ld(p + 6 * step, (valid & 64) != 0, one), d7 = ld(p + 7 * step, (valid & 128) != 0, one);
  const d8 = ld(p + 8 * step, (valid & 256) != 0, one), d9 = ld(p + 9 * step, (valid & 512) != 0, one);
  const d10 = ld(p + 10 * step, (valid & 1024) != 0, one), d11 = ld(p + 11 * step, (valid & 2048) != 0, one);
  st(dst, edge67(d0, d2, d4, d6, d8, d10), one);
  pair67(dst + ms, ms, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, 0.5625, 0.5625, -11.453125, -11.453125, 40.078125, 40.078125, -13.3125, -13.3125, 1, one);
  pair67(dst + 3 * ms, ms, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, 0.28125, 0.140625, -5.9375, -2.96875, 24.28125, 12.140625, -20.625, -10.3125, 2, one);
  pair67(dst + 5 * ms, ms, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, 1.125, 2.25, -19.53125, -39.0625, 24.9375, 49.875, -7.03125, -14.0625, 0.5, one);
  pair67(dst + 7 * ms, ms, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, 0.1875, 0.0625, -3.984375, -1.328125, 16.734375, 5.578125, -15.9375, -5.3125, 3, one);
  pair67(dst + 9 * ms, ms, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, 2.25, 9, -12.0625, -48.25, 13.125, 52.5, -3.5625, -14.25, 0.25, one);
  st(dst + 11 * ms, edge67(d1, d3, d5, d7, d9, d11), one);
}

/** Rows 0 and ∞ of the F(6, 7) Bᵀ: −0.5625·x0 + 12.015625·x1 − 51.53125·x2 + 53.390625·x3 − 14.3125·x4 + x5. */
// @ts-ignore: decorator
@inline function edge67(x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128): v128 {
  return f32x4.add(
    f32x4.add(f32x4.sub(f32x4.mul(k4(12.015625), x1), f32x4.mul(k4(0.5625), x0)), f32x4.sub(f32x4.mul(k4(53.390625), x3), f32x4.mul(k4(51.53125), x2))),
    f32x4.sub(x5, f32x4.mul(k4(14.3125), x4)),
  );
}

/**
 * Rows +p, −p of the F(6, 7) Bᵀ: coefficients c1 … c9 of d1 … d9 for +p (d10 has 1); the −p row
 * negates the odd ones. E = c2·d2 + c4·d4 + c6·d6 + c8·d8 + d10, O = c1·d1 + c3·d3 + c5·d5 + c7·d7 + c9·d9.
 */
// @ts-ignore: decorator
@inline function pair67(
  dst: usize, ms: usize, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, d6: v128, d7: v128, d8: v128, d9: v128, d10: v128,
  c1: f32, c2: f32, c3: f32, c4: f32, c5: f32, c6: f32, c7: f32, c8: f32, c9: f32, one: bool,
): void {
  const e = f32x4.add(
    f32x4.add(f32x4.add(f32x4.mul(k4(c2), d2), f32x4.mul(k4(c4), d4)), f32x4.add(f32x4.mul(k4(c6), d6), f32x4.mul(k4(c8), d8))), d10,
  );
  const o = f32x4.add(
    f32x4.add(f32x4.add(f32x4.mul(k4(c1), d1), f32x4.mul(k4(c3), d3)), f32x4.add(f32x4.mul(k4(c5), d5), f32x4.mul(k4(c7), d7))),
    f32x4.mul(k4(c9), d9),
  );
  st(dst, f32x4.add(e, o), one);
  st(dst + ms, f32x4.sub(e, o), one);
}

/**
 * F(6, 7) output transform of one tile: y_i = M_0·[i = 0] + Σ_p p^i·(M_{+p} ± M_{−p}) + M_11·[i = 5],
 * p = 1, 2, ½, 3, ¼ (sums for even i, differences for odd i).
 */
// @ts-ignore: decorator
@inline export function output1dF67(
  m: usize, ms: usize, b: v128, vlo: v128, vhi: v128, count: i32, out: usize, step: usize, one: bool,
): void {
  const m1 = ld(m + ms, true, one), m2 = ld(m + 2 * ms, true, one), m3 = ld(m + 3 * ms, true, one), m4 = ld(m + 4 * ms, true, one);
  const m5 = ld(m + 5 * ms, true, one), m6 = ld(m + 6 * ms, true, one), m7 = ld(m + 7 * ms, true, one), m8 = ld(m + 8 * ms, true, one);
  const m9 = ld(m + 9 * ms, true, one), m10 = ld(m + 10 * ms, true, one);
  const s1 = f32x4.add(m1, m2), s2 = f32x4.add(m3, m4), sh = f32x4.add(m5, m6), s3 = f32x4.add(m7, m8), sq = f32x4.add(m9, m10);
  const t1 = f32x4.sub(m1, m2), t2 = f32x4.sub(m3, m4), th = f32x4.sub(m5, m6), t3 = f32x4.sub(m7, m8), tq = f32x4.sub(m9, m10);
  clampStore(out, f32x4.add(f32x4.add(ld(m, true, one), f32x4.add(s1, s2)), f32x4.add(f32x4.add(sh, s3), sq)), b, vlo, vhi, one);
  if (count > 1) clampStore(out + step, powers67(t1, t2, th, t3, tq, 2, 0.5, 3, 0.25), b, vlo, vhi, one);
  if (count > 2) clampStore(out + 2 * step, powers67(s1, s2, sh, s3, sq, 4, 0.25, 9, 0.0625), b, vlo, vhi, one);
  if (count > 3) clampStore(out + 3 * step, powers67(t1, t2, th, t3, tq, 8, 0.125, 27, 0.015625), b, vlo, vhi, one);
  if (count > 4) clampStore(out + 4 * step, powers67(s1, s2, sh, s3, sq, 16, 0.0625, 81, 0.00390625), b, vlo, vhi, one);
  if (count > 5) {
    const y5 = f32x4.add(powers67(t1, t2, th, t3, tq, 32, 0.03125, 243, 0.0009765625), ld(m + 11 * ms, true, one));
    clampStore(out + 5 * step, y5, b, vlo, vhi, one);
  }
}

/** x1 + a2·x2 + ah·xh + a3·x3 + aq·xq (one output row of the F(6, 7) Aᵀ, the point-1 term first). */
// @ts-ignore: decorator
@inline function powers67(x1: v128, x2: v128, xh: v128, x3: v128, xq: v128, a2: f32, ah: f32, a3: f32, aq: f32): v128 {
  return f32x4.add(
    f32x4.add(f32x4.add(x1, f32x4.mul(k4(a2), x2)), f32x4.add(f32x4.mul(k4(ah), xh), f32x4.mul(k4(a3), x3))),
    f32x4.mul(k4(aq), xq),
  );
}
