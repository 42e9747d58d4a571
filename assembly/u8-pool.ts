// Pooling over u8 NHWC maps, SIMD across channels (16 per vector, then a scalar tail). Output
// addressing as f32-pool.ts: outPtr is pixel (0, 0) of the image, output pixel (oy, ox) lives at
// outPtr + (oy·outW + ox)·outPixelStrideBytes. Input and output share one scale and zero point
// (pooling commutes with the affine dequantisation, up to the average's rounding), so no
// requantisation happens here. Integer results: any split of rows or channels gives the same bytes.

/**
 * u8_maxpool_nhwc: out[oy][ox][c] = max over in-image taps of in[iy][ix][c]
 * (iy = oy·strideH − padTop + ky, ix = ox·strideW − padLeft + kx). Padding never wins (it is
 * −∞ in the float network; the kernel starts from 0, which no tap is below); a window with no
 * in-image tap yields 0, which geometry.ts sizes never produce. Exact: max commutes with the
 * monotone dequantisation q ↦ (q − zero)·scale.
 *
 * Layout: in [inH][inW] pixels, pixel stride inPixelStrideBytes, `channels` bytes each; out
 * [outH][outW] pixels, pixel stride outPixelStrideBytes; rows [oyStart, oyEnd) are written.
 * Alignment: none needed. Reads nothing past the input; writes only `channels` bytes of each
 * output pixel in the row range.
 * Threads: split over output rows, or channel ranges (offset both pointers by c0, pass a smaller
 * `channels`).
 */
export function u8_maxpool_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  outW: i32, oyStart: i32, oyEnd: i32,
  outPtr: usize, outPixelStrideBytes: i32,
): void {
  const rowBytes = <usize>inW * <usize>inPixelStrideBytes;
  const pix = <usize>inPixelStrideBytes;
  for (let oy = oyStart; oy < oyEnd; oy++) {
    const iyBase = oy * strideH - padTop;
    const iy0 = max(0, iyBase);
    const iy1 = min(inH, iyBase + kernelH);
    for (let ox = 0; ox < outW; ox++) {
      const ixBase = ox * strideW - padLeft;
      const ix0 = max(0, ixBase);
      const ix1 = min(inW, ixBase + kernelW);
      const out = outPtr + <usize>(oy * outW + ox) * <usize>outPixelStrideBytes;
      let c = 0;
      for (; c + 16 <= channels; c += 16) {
        const base = inPtr + <usize>c;
        let m = i8x16.splat(0);
        for (let iy = iy0; iy < iy1; iy++) {
          let p = base + <usize>iy * rowBytes + <usize>ix0 * pix;
          for (let ix = ix0; ix < ix1; ix++) {
            m = i8x16.max_u(m, v128.load(p));
            p += pix;
          }
        }
        v128.store(out + <usize>c, m);
      }
      for (; c < channels; c++) {
        const base = inPtr + <usize>c;
        let m: u32 = 0;
        for (let iy = iy0; iy < iy1; iy++) {
          let p = base + <usize>iy * rowBytes + <usize>ix0 * pix;
          for (let ix = ix0; ix < ix1; ix++) {
            m = max(m, <u32>load<u8>(p));
            p += pix;
          }
        }
        store<u8>(out + <usize>c, <u8>m);
      }
    }
  }
}

/**
 * u8_avgpool_nhwc: out[oy][ox][c] = roundHalfUp(S / count), S = Σ over in-image taps of
 * in[iy][ix][c] + (count − in-image taps) · padValue, with
 *   countIncludePad = 1: count = window clipped to the padded extent (as f32_avgpool_nhwc:
 *     PyTorch count_include_pad=True; padded taps hold padValue = the zero point, the real 0);
 *   countIncludePad = 0: count = in-image taps (padValue unused).
 * roundHalfUp(S / count) = ⌊(2S + count) / (2·count)⌋, which for S ≥ 0 equals TFLite's
 * (S + ⌊count/2⌋) / count (they differ only on exact halves, impossible for odd counts). The sum
 * is an exact i32; the division runs in f32 — t = 2S + count ≤ 511·count < 2²⁴ is exact, the
 * quotient ≤ 255.5 is off by < 2⁻¹⁶ while a non-integer quotient is ≥ 1/(2·count) below the next
 * integer, so truncation gives the exact floor for count < 32768. Larger counts take an exact
 * scalar integer path. count = 0 (no tap) yields 0.
 *
 * Layout, alignment, reads/writes and thread splits: as u8_maxpool_nhwc.
 */
export function u8_avgpool_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, padBottom: i32, padRight: i32, countIncludePad: i32, padValue: i32,
  outW: i32, oyStart: i32, oyEnd: i32,
  outPtr: usize, outPixelStrideBytes: i32,
): void {
  const rowBytes = <usize>inW * <usize>inPixelStrideBytes;
  const pix = <usize>inPixelStrideBytes;
  for (let oy = oyStart; oy < oyEnd; oy++) {
    const iyBase = oy * strideH - padTop;
    const iy0 = max(0, iyBase);
    const iy1 = min(inH, iyBase + kernelH);
    const paddedH = min(iyBase + kernelH, inH + padBottom) - iyBase;
    for (let ox = 0; ox < outW; ox++) {
      const ixBase = ox * strideW - padLeft;
      const ix0 = max(0, ixBase);
      const ix1 = min(inW, ixBase + kernelW);
      const paddedW = min(ixBase + kernelW, inW + padRight) - ixBase;
      const taps = max(0, iy1 - iy0) * max(0, ix1 - ix0);
      const count = countIncludePad != 0 ? max(0, paddedH * paddedW) : taps;
      const out = outPtr + <usize>(oy * outW + ox) * <usize>outPixelStrideBytes;
      const extra = countIncludePad != 0 ? (count - taps) * (padValue & 255) : 0;
      let c = 0;
      if (count > 0 && count < 32768) {
        for (; c + 16 <= channels; c += 16) {
          const base = inPtr + <usize>c + <usize>iy0 * rowBytes + <usize>ix0 * pix;
          let s0 = i32x4.splat(extra);
          let s1 = s0;
          let s2 = s0;
          let s3 = s0;
          for (let iy = iy0; iy < iy1; iy++) {
            let p = base + <usize>(iy - iy0) * rowBytes;
            for (let ix = ix0; ix < ix1; ix++) {
              const v = v128.load(p);
              const lo = i16x8.extend_low_i8x16_u(v);
              const hi = i16x8.extend_high_i8x16_u(v);
              s0 = i32x4.add(s0, i32x4.extend_low_i16x8_u(lo));
              s1 = i32x4.add(s1, i32x4.extend_high_i16x8_u(lo));
              s2 = i32x4.add(s2, i32x4.extend_low_i16x8_u(hi));
              s3 = i32x4.add(s3, i32x4.extend_high_i16x8_u(hi));
              p += pix;
            }
          }
          v128.store(out + <usize>c, divRound16(s0, s1, s2, s3, count));
        }
      }
      for (; c < channels; c++) {
        const base = inPtr + <usize>c;
        let s: i64 = extra;
        for (let iy = iy0; iy < iy1; iy++) {
          let p = base + <usize>iy * rowBytes + <usize>ix0 * pix;
          for (let ix = ix0; ix < ix1; ix++) {
            s += <i64>load<u8>(p);
            p += pix;
          }
        }
        store<u8>(out + <usize>c, divRoundScalar(s, count));
      }
    }
  }
}

/**
 * u8_global_avgpool_nhwc: out[c] = roundHalfUp((Σ_{p < pixels} in[p][c]) / pixels), rounded as
 * u8_avgpool_nhwc (f32 division below 32768 pixels, exact integers above).
 *
 * Layout: in [pixels] pixels of one image (rows contiguous at the pixel stride), pixel stride
 * inPixelStrideBytes, `channels` bytes each; out [channels] dense bytes. Reads nothing past the
 * input; writes exactly `channels` bytes. Threads: split over channel ranges (offset both
 * pointers by c0); batch images are separate calls. pixels must be ≥ 1 (0 writes zeros).
 */
export function u8_global_avgpool_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, pixels: i32, channels: i32, outPtr: usize,
): void {
  const pix = <usize>inPixelStrideBytes;
  let c = 0;
  if (pixels > 0 && pixels < 32768) {
    for (; c + 16 <= channels; c += 16) {
      let p = inPtr + <usize>c;
      let s0 = i32x4.splat(0);
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      for (let i = 0; i < pixels; i++) {
        const v = v128.load(p);
        const lo = i16x8.extend_low_i8x16_u(v);
        const hi = i16x8.extend_high_i8x16_u(v);
        s0 = i32x4.add(s0, i32x4.extend_low_i16x8_u(lo));
        s1 = i32x4.add(s1, i32x4.extend_high_i16x8_u(lo));
        s2 = i32x4.add(s2, i32x4.extend_low_i16x8_u(hi));
        s3 = i32x4.add(s3, i32x4.extend_high_i16x8_u(hi));
        p += pix;
      }
      v128.store(outPtr + <usize>c, divRound16(s0, s1, s2, s3, pixels));
    }
  }
  for (; c < channels; c++) {
    let p = inPtr + <usize>c;
    let s: i64 = 0;
    for (let i = 0; i < pixels; i++) {
      s += <i64>load<u8>(p);
      p += pix;
    }
    store<u8>(outPtr + <usize>c, divRoundScalar(s, pixels));
  }
}

/** ⌊(2s + count) / (2·count)⌋ for 16 i32 sums (lanes of s0..s3, channel order), 1 ≤ count < 32768: see u8_avgpool_nhwc. */
// @ts-ignore: decorator
@inline function divRound16(s0: v128, s1: v128, s2: v128, s3: v128, count: i32): v128 {
  const vc = i32x4.splat(count);
  const d = f32x4.splat(<f32>(count << 1));
  const q0 = i32x4.trunc_sat_f32x4_s(f32x4.div(f32x4.convert_i32x4_s(i32x4.add(i32x4.shl(s0, 1), vc)), d));
  const q1 = i32x4.trunc_sat_f32x4_s(f32x4.div(f32x4.convert_i32x4_s(i32x4.add(i32x4.shl(s1, 1), vc)), d));
  const q2 = i32x4.trunc_sat_f32x4_s(f32x4.div(f32x4.convert_i32x4_s(i32x4.add(i32x4.shl(s2, 1), vc)), d));
  const q3 = i32x4.trunc_sat_f32x4_s(f32x4.div(f32x4.convert_i32x4_s(i32x4.add(i32x4.shl(s3, 1), vc)), d));
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
}

/** ⌊(2s + count) / (2·count)⌋ in exact integers (count ≤ 0: 0). */
// @ts-ignore: decorator
@inline function divRoundScalar(s: i64, count: i32): u8 {
  if (count <= 0) return 0;
  const c = <i64>count;
  return <u8>((2 * s + c) / (2 * c));
}
