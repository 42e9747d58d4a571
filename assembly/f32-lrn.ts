// Local response normalisation across channels (the original Caffe GoogLeNet, after conv1 and conv2).

/**
 * f32_lrn_nhwc: out[p, c] = in[p, c] / (k + alpha/size · Σ_{c' ∈ W(c)} in[p, c']²)^beta,
 * W(c) = [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉] ∩ [0, channels) — the ONNX LRN definition
 * (onnx.ai operators/LRN; Caffe ACROSS_CHANNELS is the same for its odd sizes). size ≥ 1, even
 * sizes allowed; k > 0 (so the base is positive; ONNX bias, Caffe k, default 1).
 *
 * Math: the window sum is accumulated in f32 in ascending c' (the same order in every lane and in
 * the scalar edges, so a channel's result does not depend on where it falls in a SIMD group), then
 * d = k + (alpha/size)·sum, alpha/size rounded to f32 once.
 *   beta = 0.75 (Caffe, ONNX default): in / (√d·√√d), f32, SIMD.
 *   any other beta: in·exp(−beta·ln d) in f64, scalar, with this file's own ln/exp (the std
 *   library's pull in lookup tables = data segments, which the module may not have); their
 *   truncation error is below 1e-10, so the result is the f64 value rounded once to f32.
 * Layout:
 *   in:  [pixels] pixels, pixel stride inPixelStrideBytes, `channels` floats each;
 *   out: [pixels] pixels, pixel stride outPixelStrideBytes, `channels` floats each (bytes).
 * Alignment: 4 bytes; loads and stores are unaligned v128.
 * Not in place: out[p] holds d before the final value, so out must not overlap in.
 * Reads: nothing outside the `channels` floats of each input pixel (edges are scalar).
 * Writes: exactly out[p, 0..channels) for each pixel; never the gap between pixels nor past out.
 * Threads: split over pixel ranges [p0, p1): offset in and out by p0 pixel strides and pass
 *   pixels = p1 − p0 (the reduction is across channels of one pixel, so never split channels).
 */
export function f32_lrn_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, pixels: i32, channels: i32,
  size: i32, alpha: f32, beta: f32, k: f32,
  outPtr: usize, outPixelStrideBytes: i32,
): void {
  const before = (size - 1) >> 1;
  const after = size - 1 - before;
  const alphaOverSize = alpha / <f32>size;
  const vk = f32x4.splat(k);
  const va = f32x4.splat(alphaOverSize);
  let x = inPtr;
  let y = outPtr;
  for (let p = 0; p < pixels; p++) {
    let c = 0;
    for (; c < channels && c < before; c++) {
      store<f32>(y + (<usize>c << 2), k + alphaOverSize * sumOfSquares(x, c - before, c + after, channels));
    }
    for (; c + 4 + after <= channels; c += 4) {
      let acc = f32x4.splat(0);
      let q = x + (<usize>(c - before) << 2);
      for (let i = 0; i < size; i++) {
        const v = v128.load(q);
        acc = f32x4.add(acc, f32x4.mul(v, v));
        q += 4;
      }
      v128.store(y + (<usize>c << 2), f32x4.add(vk, f32x4.mul(va, acc)));
    }
    for (; c < channels; c++) {
      store<f32>(y + (<usize>c << 2), k + alphaOverSize * sumOfSquares(x, c - before, c + after, channels));
    }

    if (beta == 0.75) {
      c = 0;
      for (; c + 4 <= channels; c += 4) {
        const o = <usize>c << 2;
        const s = f32x4.sqrt(v128.load(y + o));
        v128.store(y + o, f32x4.div(v128.load(x + o), f32x4.mul(s, f32x4.sqrt(s))));
      }
      for (; c < channels; c++) {
        const o = <usize>c << 2;
        const s = sqrt<f32>(load<f32>(y + o));
        store<f32>(y + o, load<f32>(x + o) / (s * sqrt<f32>(s)));
      }
    } else {
      const negBeta = -<f64>beta;
      for (c = 0; c < channels; c++) {
        const o = <usize>c << 2;
        const d = <f64>load<f32>(y + o);
        store<f32>(y + o, <f32>(<f64>load<f32>(x + o) * expF64(negBeta * lnPositiveF64(d))));
      }
    }
    x += <usize>inPixelStrideBytes;
    y += <usize>outPixelStrideBytes;
  }
}

/** Σ x[c']² for c' in [first, last] ∩ [0, channels), ascending, in f32. */
// @ts-ignore: decorator
@inline
function sumOfSquares(x: usize, first: i32, last: i32, channels: i32): f32 {
  const end = min(last, channels - 1);
  let acc: f32 = 0;
  for (let c = max(first, 0); c <= end; c++) {
    const v = load<f32>(x + (<usize>c << 2));
    acc += v * v;
  }
  return acc;
}

/**
 * ln d for a positive normal f64 (every positive f32 is one): d = 2^e·m, m ∈ [√½, √2),
 * ln m = 2·atanh(s), s = (m−1)/(m+1), |s| ≤ 0.172, series to s¹¹ (truncation < 2e-11).
 */
// @ts-ignore: decorator
@inline
function lnPositiveF64(d: f64): f64 {
  const bits = reinterpret<u64>(d);
  let e = <i32>((bits >> 52) & 0x7ff) - 1023;
  let m = reinterpret<f64>((bits & 0x000fffffffffffff) | 0x3ff0000000000000);
  if (m > 1.4142135623730951) {
    m *= 0.5;
    e += 1;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  const series = 1 + s2 * (1.0 / 3 + s2 * (1.0 / 5 + s2 * (1.0 / 7 + s2 * (1.0 / 9 + s2 * (1.0 / 11)))));
  return <f64>e * 0.6931471805599453 + 2 * s * series;
}

/**
 * e^t in f64 for |t| ≤ 700 (clamped beyond; callers round to f32, where that is 0 or ∞):
 * t = n·ln2 + r, |r| ≤ ln2/2, Taylor to r¹⁰ (truncation < 2e-13), times 2^n built from bits.
 */
// @ts-ignore: decorator
@inline
function expF64(t: f64): f64 {
  const u = min(max(t, -700.0), 700.0);
  const n = nearest<f64>(u * 1.4426950408889634);
  const r = u - n * 0.6931471805599453;
  const q = 1 + r * (1 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 +
    r * (1.0 / 5040 + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800))))))))));
  return q * reinterpret<f64>(<u64>(<i64>n + 1023) << 52);
}
