// Inference BatchNorm as a per-channel affine map, for graphs where it was not folded into a conv.

/**
 * f32_batchnorm_nhwc: out[p, c] = clamp(in[p, c]·scale[c] + shift[c], lo, hi)
 * for p < pixels, c < channels.
 *
 * Math: the host folds (γ, β, mean, var, ε) into scale = γ/√(var+ε), shift = β − mean·scale
 * (`batchNormScaleShift` in src/bindings/kernels/normalize.ts); here one f32 multiply and one
 * f32 add, unfused in both builds (memory-bound op; both builds give bit-identical results).
 * No activation: lo = −∞, hi = +∞; ReLU: lo = 0. The clamp is f32_add_nhwc's (pmax/pmin): NaN
 * passes through, ReLU keeps −0 as −0.
 * Layout:
 *   in:    [pixels] pixels, pixel stride inPixelStrideBytes, `channels` floats each;
 *   scale: [channels] floats, dense;   shift: [channels] floats, dense;
 *   out:   [pixels] pixels, pixel stride outPixelStrideBytes, `channels` floats each.
 *   Strides are in bytes, ≥ 4·channels.
 * Alignment: 4 bytes; loads and stores are unaligned v128.
 * In place: out == in with the same stride is allowed; other overlaps are not.
 * Reads: nothing outside the `channels` floats of each pixel, of scale and of shift.
 * Writes: exactly out[p, 0..channels) for each pixel; never the gap between pixels nor past out.
 * Threads: split over pixel ranges [p0, p1): offset in and out by p0 pixel strides and pass
 *   pixels = p1 − p0.
 */
export function f32_batchnorm_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, pixels: i32, channels: i32,
  scalePtr: usize, shiftPtr: usize,
  outPtr: usize, outPixelStrideBytes: i32,
  lo: f32, hi: f32,
): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let x = inPtr;
  let y = outPtr;
  for (let p = 0; p < pixels; p++) {
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const o = <usize>c << 2;
      const v = f32x4.add(f32x4.mul(v128.load(x + o), v128.load(scalePtr + o)), v128.load(shiftPtr + o));
      v128.store(y + o, f32x4.pmin(f32x4.pmax(v, vlo), vhi));
    }
    for (; c < channels; c++) {
      const o = <usize>c << 2;
      const v = load<f32>(x + o) * load<f32>(scalePtr + o) + load<f32>(shiftPtr + o);
      store<f32>(y + o, clamp(v, lo, hi));
    }
    x += <usize>inPixelStrideBytes;
    y += <usize>outPixelStrideBytes;
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
