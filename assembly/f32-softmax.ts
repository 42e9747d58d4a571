// Softmax over the rows of a matrix: the classifier's last step.

/**
 * f32_softmax: out[r, i] = e^(in[r, i] − m_r) / Σ_j e^(in[r, j] − m_r), m_r = max_j in[r, j],
 * for r < rows, i < n.
 *
 * Math: the max is exact; x − m is rounded to f32; e^(x − m) by this file's expNonPositive (Cephes
 * expf reduction and polynomial, ≤ ~2 ulp; the std library's expf pulls in a lookup table = a data
 * segment, which the module may not have); the sum of the exponentials is accumulated in f64 (in
 * a fixed order given by n alone), rounded once to f32 as 1/sum, and each exponential is
 * multiplied by it in f32. Results below e^−87.34 (< 2^−126) flush to 0. A row containing NaN or
 * +∞ gives NaN.
 * Layout:
 *   in:  [rows] rows, row stride inRowStrideBytes, n floats each;
 *   out: [rows] rows, row stride outRowStrideBytes, n floats each (strides in bytes, ≥ 4·n).
 *   An NHWC view [pixels, C] with softmax over C is rows = pixels, n = C, stride = pixel stride.
 * Alignment: 4 bytes; loads and stores are unaligned v128.
 * In place: out == in with the same stride is allowed; other overlaps are not.
 * Reads: nothing outside the n floats of each row (the n % 4 tail is loaded lane by lane).
 * Writes: exactly out[r, 0..n) for each row; never between rows nor past out.
 * Threads: split over row ranges [r0, r1): offset in and out by r0 row strides and pass
 *   rows = r1 − r0 (a row's reduction is never split).
 */
export function f32_softmax(
  inPtr: usize, inRowStrideBytes: i32, rows: i32, n: i32,
  outPtr: usize, outRowStrideBytes: i32,
): void {
  if (n <= 0) return;
  let x = inPtr;
  let y = outPtr;
  for (let r = 0; r < rows; r++) {
    let vmax = f32x4.splat(-Infinity);
    let i = 0;
    for (; i + 4 <= n; i += 4) vmax = f32x4.max(vmax, v128.load(x + (<usize>i << 2)));
    let m = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)),
      max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    for (; i < n; i++) m = max(m, load<f32>(x + (<usize>i << 2)));
    const vm = f32x4.splat(m);

    let sumLow = f64x2.splat(0);
    let sumHigh = f64x2.splat(0);
    for (i = 0; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const e = expNonPositive(f32x4.sub(v128.load(x + o), vm));
      v128.store(y + o, e);
      sumLow = f64x2.add(sumLow, f64x2.promote_low_f32x4(e));
      sumHigh = f64x2.add(sumHigh, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 2, 3)));
    }
    const rest = n - i;
    if (rest > 0) {
      const o = <usize>i << 2;
      let v = f32x4.splat(-Infinity);
      v = f32x4.replace_lane(v, 0, load<f32>(x + o));
      if (rest > 1) v = f32x4.replace_lane(v, 1, load<f32>(x + o + 4));
      if (rest > 2) v = f32x4.replace_lane(v, 2, load<f32>(x + o + 8));
      const e = expNonPositive(f32x4.sub(v, vm));
      store<f32>(y + o, f32x4.extract_lane(e, 0));
      if (rest > 1) store<f32>(y + o + 4, f32x4.extract_lane(e, 1));
      if (rest > 2) store<f32>(y + o + 8, f32x4.extract_lane(e, 2));
      sumLow = f64x2.add(sumLow, f64x2.promote_low_f32x4(e));
      sumHigh = f64x2.add(sumHigh, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 2, 3)));
    }
    const sum = (f64x2.extract_lane(sumLow, 0) + f64x2.extract_lane(sumLow, 1)) +
      (f64x2.extract_lane(sumHigh, 0) + f64x2.extract_lane(sumHigh, 1));
    const inv = <f32>(1.0 / sum);
    const vinv = f32x4.splat(inv);
    for (i = 0; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.mul(v128.load(y + o), vinv));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, load<f32>(y + o) * inv);
    }
    x += <usize>inRowStrideBytes;
    y += <usize>outRowStrideBytes;
  }
}

/**
 * e^x per lane for x ≤ 0 (−∞ gives 0, NaN gives NaN), Cephes expf (S. Moshier, cephes/single/expf.c):
 * x = n·ln2 + r with ln2 split in C1 = 0.693359375 (exact n·C1) and C2, |r| ≤ ln2/2,
 * e^r ≈ 1 + r + r²·P(r) with Cephes' degree-5 minimax P, times 2^n built in the exponent bits.
 * x < −87.3365 (result < 2^−126) gives 0, so 2^n stays a normal number.
 */
// @ts-ignore: decorator
@inline
function expNonPositive(x: v128): v128 {
  const lowest = f32x4.splat(-87.33654);
  const u = f32x4.max(x, lowest);
  const n = f32x4.nearest(f32x4.mul(u, f32x4.splat(1.44269504)));
  let r = f32x4.sub(u, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(1.9875691500e-4), r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, scale), f32x4.lt(x, lowest));
}
