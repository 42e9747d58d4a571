// Elementwise kernels over NHWC views: the unfused residual add and a scale/clamp/copy.

/**
 * f32_add_nhwc: y[p, c] = clamp(a[p, c] + scale·b[p, c], lo, hi) for p < pixels, c < channels.
 *
 * Math: `scale·b` is rounded to f32, then the sum (two roundings; one when scale = 1, since
 * 1·b is exact). No fused multiply-add in either build: the op is bound by memory, not
 * arithmetic, and both builds give bit-identical results. No activation: lo = −∞, hi = +∞;
 * ReLU: lo = 0. The clamp is v < lo ? lo : v, then hi < v ? hi : v — f32x4.pmax/pmin, one
 * instruction each on x64; f32x4.max/min, with their NaN and ±0 rules, made a clamped copy ~4×
 * slower (V8, Node 20 x64). So NaN passes through, and ReLU keeps −0 as −0.
 * Layout:
 *   a: [pixels] pixels, pixel stride aPixelStrideBytes, `channels` floats each;
 *   b: [pixels] pixels, pixel stride bPixelStrideBytes, `channels` floats each;
 *   y: [pixels] pixels, pixel stride yPixelStrideBytes, `channels` floats each.
 *   Strides are in bytes, ≥ 4·channels (views: a branch's channel slice of a concat).
 * Alignment: 4 bytes; loads and stores are unaligned v128.
 * In place: y == a (same stride) or y == b (same stride) is allowed; other overlaps are not.
 * Reads: nothing outside the `channels` floats of each pixel (no read past an input).
 * Writes: exactly y[p, 0..channels) for each pixel; never the gap between pixels nor past y.
 * Threads: split over pixel ranges [p0, p1): offset a, b, y by p0 pixel strides and pass
 *   pixels = p1 − p0 (rows of an image are such ranges: a view's pixels are evenly spaced).
 */
export function f32_add_nhwc(
  aPtr: usize, bPtr: usize, yPtr: usize,
  pixels: i32, channels: i32,
  aPixelStrideBytes: i32, bPixelStrideBytes: i32, yPixelStrideBytes: i32,
  scale: f32, lo: f32, hi: f32,
): void {
  const vs = f32x4.splat(scale);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let a = aPtr;
  let b = bPtr;
  let y = yPtr;
  for (let p = 0; p < pixels; p++) {
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const o = <usize>c << 2;
      const v = f32x4.add(v128.load(a + o), f32x4.mul(vs, v128.load(b + o)));
      v128.store(y + o, f32x4.pmin(f32x4.pmax(v, vlo), vhi));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      store<f32>(y + o, clamp(load<f32>(a + o) + scale * load<f32>(b + o), lo, hi));
    }
    a += <usize>aPixelStrideBytes;
    b += <usize>bPixelStrideBytes;
    y += <usize>yPixelStrideBytes;
  }
}

/**
 * f32_scale_nhwc: y[p, c] = clamp(scale·a[p, c], lo, hi) for p < pixels, c < channels.
 *
 * Why a graph needs it: a standalone ReLU node (scale 1, lo 0, hi +∞) in an unfused graph, and a
 * strided copy between views (scale 1, lo −∞, hi +∞: 1·a is exact, so the copy is bit-exact
 * except that a signalling NaN may come out quiet), e.g. flatten or a concat input that could not
 * be written in place. One rounding (the product; none when scale = 1). Clamp as in f32_add_nhwc.
 * Layout:
 *   a: [pixels] pixels, pixel stride aPixelStrideBytes, `channels` floats each;
 *   y: [pixels] pixels, pixel stride yPixelStrideBytes, `channels` floats each (strides in bytes).
 * Alignment: 4 bytes; loads and stores are unaligned v128.
 * In place: y == a with the same stride is allowed; other overlaps are not.
 * Reads: nothing outside the `channels` floats of each pixel (no read past an input).
 * Writes: exactly y[p, 0..channels) for each pixel; never the gap between pixels nor past y.
 * Threads: split over pixel ranges [p0, p1): offset a and y by p0 pixel strides, pixels = p1 − p0.
 * Argument order follows f32_add_nhwc.
 */
export function f32_scale_nhwc(
  aPtr: usize, yPtr: usize,
  pixels: i32, channels: i32,
  aPixelStrideBytes: i32, yPixelStrideBytes: i32,
  scale: f32, lo: f32, hi: f32,
): void {
  const vs = f32x4.splat(scale);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let a = aPtr;
  let y = yPtr;
  for (let p = 0; p < pixels; p++) {
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const o = <usize>c << 2;
      v128.store(y + o, f32x4.pmin(f32x4.pmax(f32x4.mul(vs, v128.load(a + o)), vlo), vhi));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      store<f32>(y + o, clamp(scale * load<f32>(a + o), lo, hi));
    }
    a += <usize>aPixelStrideBytes;
    y += <usize>yPixelStrideBytes;
  }
}

/**
 * The scalar twin of the SIMD clamp f32x4.pmin(f32x4.pmax(v, lo), hi): v < lo ? lo : v, then
 * hi < v ? hi : v. NaN passes through; −0 stays −0 when lo = 0.
 */
// @ts-ignore: decorator
@inline
function clamp(v: f32, lo: f32, hi: f32): f32 {
  const u = v < lo ? lo : v;
  return hi < u ? hi : u;
}
