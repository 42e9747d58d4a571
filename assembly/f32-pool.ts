// Pooling over NHWC maps, SIMD across channels. All three kernels address their output the same
// way as f32_dwconv_nhwc: outPtr is pixel (0, 0) of the image, output pixel (oy, ox) lives at
// outPtr + (oy·outW + ox)·outPixelStrideBytes. Window sums and maxima run over the taps in
// (ky, kx) order, 16 channels (4 vectors) at a time, then 4, then a scalar tail, so a value never
// depends on how the caller splits the rows or the channels.

/**
 * f32_maxpool_nhwc: out[oy][ox][c] = max over in-image taps of in[iy][ix][c]
 * (iy = oy·strideH − padTop + ky, ix = ox·strideW − padLeft + kx; padding is −∞, so it never
 * wins; a window with no in-image tap yields −∞, which geometry.ts sizes never produce).
 * NaN propagates (wasm f32.max), as in PyTorch.
 *
 * Layout:
 *   in:  [inH][inW] pixels of one image, pixel stride inPixelStrideBytes, `channels` floats each.
 *   out: [outH][outW] pixels, pixel stride outPixelStrideBytes, `channels` floats each; rows
 *        [oyStart, oyEnd) are written (absolute addressing, see above).
 * Bottom/right padding and ceil mode are implied by the output size, which the caller takes from
 * geometry.ts (`resolveWindow`).
 * Alignment: 4 bytes. Reads nothing past the input; writes only `channels` floats of each output
 * pixel in the row range.
 * Threads: split over output rows; a caller may also split channels by offsetting both pointers
 * by 4·c0 bytes and passing a smaller `channels`. Exact (no rounding), so any split is bitwise equal.
 * A 3×3 window with all taps in the image takes an unrolled path (the same maxima).
 */
export function f32_maxpool_nhwc(
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
      if (kernelH == 3 && kernelW == 3 && iy0 == iyBase && iy1 == iyBase + 3 && ix0 == ixBase && ix1 == ixBase + 3) {
        // Interior 3×3 window (all taps in the image): the nine taps unrolled.
        const p = inPtr + <usize>iyBase * rowBytes + <usize>ixBase * pix;
        for (; c + 16 <= channels; c += 16) {
          const q = p + <usize>(c << 2);
          const o = out + <usize>(c << 2);
          v128.store(o, max9(q, pix, rowBytes));
          v128.store(o, max9(q + 16, pix, rowBytes), 16);
          v128.store(o, max9(q + 32, pix, rowBytes), 32);
          v128.store(o, max9(q + 48, pix, rowBytes), 48);
        }
        for (; c + 4 <= channels; c += 4) v128.store(out + <usize>(c << 2), max9(p + <usize>(c << 2), pix, rowBytes));
      }
      for (; c + 16 <= channels; c += 16) {
        const base = inPtr + <usize>(c << 2);
        let m0 = f32x4.splat(f32.NEGATIVE_INFINITY);
        let m1 = m0;
        let m2 = m0;
        let m3 = m0;
        for (let iy = iy0; iy < iy1; iy++) {
          let p = base + <usize>iy * rowBytes + <usize>ix0 * pix;
          for (let ix = ix0; ix < ix1; ix++) {
            m0 = f32x4.max(m0, v128.load(p));
            m1 = f32x4.max(m1, v128.load(p, 16));
            m2 = f32x4.max(m2, v128.load(p, 32));
            m3 = f32x4.max(m3, v128.load(p, 48));
            p += pix;
          }
        }
        const q = out + <usize>(c << 2);
        v128.store(q, m0);
        v128.store(q, m1, 16);
        v128.store(q, m2, 32);
        v128.store(q, m3, 48);
      }
      for (; c + 4 <= channels; c += 4) {
        const base = inPtr + <usize>(c << 2);
        let m = f32x4.splat(f32.NEGATIVE_INFINITY);
        for (let iy = iy0; iy < iy1; iy++) {
          let p = base + <usize>iy * rowBytes + <usize>ix0 * pix;
          for (let ix = ix0; ix < ix1; ix++) {
            m = f32x4.max(m, v128.load(p));
            p += pix;
          }
        }
        v128.store(out + <usize>(c << 2), m);
      }
      for (; c < channels; c++) {
        const base = inPtr + <usize>(c << 2);
        let m: f32 = f32.NEGATIVE_INFINITY;
        for (let iy = iy0; iy < iy1; iy++) {
          let p = base + <usize>iy * rowBytes + <usize>ix0 * pix;
          for (let ix = ix0; ix < ix1; ix++) {
            m = max(m, load<f32>(p));
            p += pix;
          }
        }
        store<f32>(out + <usize>(c << 2), m);
      }
    }
  }
}

/** Maximum of the 3×3 taps p + {0, 1, 2}·pix + {0, 1, 2}·rowBytes (4 channels). */
// @ts-ignore: decorator
@inline function max9(p: usize, pix: usize, rowBytes: usize): v128 {
  const r1 = p + rowBytes;
  const r2 = r1 + rowBytes;
  let m = f32x4.max(f32x4.max(v128.load(p), v128.load(p + pix)), v128.load(p + 2 * pix));
  m = f32x4.max(m, f32x4.max(f32x4.max(v128.load(r1), v128.load(r1 + pix)), v128.load(r1 + 2 * pix)));
  return f32x4.max(m, f32x4.max(f32x4.max(v128.load(r2), v128.load(r2 + pix)), v128.load(r2 + 2 * pix)));
}

/**
 * f32_avgpool_nhwc: out[oy][ox][c] = (Σ over in-image taps of in[iy][ix][c]) / divisor, with
 *   countIncludePad = 1: divisor = window clipped to the padded extent
 *     [−padTop, inH + padBottom) × [−padLeft, inW + padRight) (PyTorch count_include_pad=True,
 *     Caffe; with ceil mode the overhang past the padding does not count — geometry.ts
 *     `paddedWindowLength`);
 *   countIncludePad = 0: divisor = number of in-image taps (TF/Keras, timm v4/IRv2).
 * A window with divisor 0 (no in-image tap, excluded padding) yields 0; geometry.ts sizes never
 * produce one. The sum is f32 over (ky, kx) in order, then one division (correctly rounded).
 *
 * Layout, alignment, reads/writes and thread splits: as f32_maxpool_nhwc (rows, or channel
 * ranges by pointer offset). Results are bit-identical for any split.
 */
export function f32_avgpool_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32,
  padTop: i32, padLeft: i32, padBottom: i32, padRight: i32, countIncludePad: i32,
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
      const count = countIncludePad != 0 ? paddedH * paddedW : max(0, iy1 - iy0) * max(0, ix1 - ix0);
      const out = outPtr + <usize>(oy * outW + ox) * <usize>outPixelStrideBytes;
      if (count <= 0) {
        let c = 0;
        for (; c + 4 <= channels; c += 4) v128.store(out + <usize>(c << 2), f32x4.splat(0));
        for (; c < channels; c++) store<f32>(out + <usize>(c << 2), 0);
        continue;
      }
      const d: f32 = <f32>count;
      const vd = f32x4.splat(d);
      let c = 0;
      for (; c + 16 <= channels; c += 16) {
        const base = inPtr + <usize>(c << 2);
        let s0 = f32x4.splat(0);
        let s1 = s0;
        let s2 = s0;
        let s3 = s0;
        for (let iy = iy0; iy < iy1; iy++) {
          let p = base + <usize>iy * rowBytes + <usize>ix0 * pix;
          for (let ix = ix0; ix < ix1; ix++) {
            s0 = f32x4.add(s0, v128.load(p));
            s1 = f32x4.add(s1, v128.load(p, 16));
            s2 = f32x4.add(s2, v128.load(p, 32));
            s3 = f32x4.add(s3, v128.load(p, 48));
            p += pix;
          }
        }
        const q = out + <usize>(c << 2);
        v128.store(q, f32x4.div(s0, vd));
        v128.store(q, f32x4.div(s1, vd), 16);
        v128.store(q, f32x4.div(s2, vd), 32);
        v128.store(q, f32x4.div(s3, vd), 48);
      }
      for (; c + 4 <= channels; c += 4) {
        const base = inPtr + <usize>(c << 2);
        let s = f32x4.splat(0);
        for (let iy = iy0; iy < iy1; iy++) {
          let p = base + <usize>iy * rowBytes + <usize>ix0 * pix;
          for (let ix = ix0; ix < ix1; ix++) {
            s = f32x4.add(s, v128.load(p));
            p += pix;
          }
        }
        v128.store(out + <usize>(c << 2), f32x4.div(s, vd));
      }
      for (; c < channels; c++) {
        const base = inPtr + <usize>(c << 2);
        let s: f32 = 0;
        for (let iy = iy0; iy < iy1; iy++) {
          let p = base + <usize>iy * rowBytes + <usize>ix0 * pix;
          for (let ix = ix0; ix < ix1; ix++) {
            s += load<f32>(p);
            p += pix;
          }
        }
        store<f32>(out + <usize>(c << 2), s / d);
      }
    }
  }
}

/**
 * f32_global_avgpool_nhwc: out[c] = (Σ_{p < pixels} in[p][c]) / pixels, summed in f32 in pixel
 * order (deterministic), then one division.
 *
 * Layout:
 *   in:  [pixels] pixels of one image (H·W; rows must be contiguous at the pixel stride),
 *        pixel stride inPixelStrideBytes, `channels` floats each.
 *   out: [channels] dense floats.
 * Alignment: 4 bytes. Reads nothing past the input; writes exactly `channels` floats.
 * Threads: split over channel ranges — pass inPtr + 4·c0 and outPtr + 4·c0 with channels = c1 − c0
 * (each channel's sum is the same whatever the split: bit-identical at any thread count); batch
 * images are separate calls. Never split over pixels (that would reorder the sum).
 * pixels must be ≥ 1.
 */
export function f32_global_avgpool_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, pixels: i32, channels: i32, outPtr: usize,
): void {
  const pix = <usize>inPixelStrideBytes;
  const d: f32 = <f32>pixels;
  const vd = f32x4.splat(d);
  let c = 0;
  for (; c + 16 <= channels; c += 16) {
    let p = inPtr + <usize>(c << 2);
    let s0 = f32x4.splat(0);
    let s1 = s0;
    let s2 = s0;
    let s3 = s0;
    for (let i = 0; i < pixels; i++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += pix;
    }
    const q = outPtr + <usize>(c << 2);
    v128.store(q, f32x4.div(s0, vd));
    v128.store(q, f32x4.div(s1, vd), 16);
    v128.store(q, f32x4.div(s2, vd), 32);
    v128.store(q, f32x4.div(s3, vd), 48);
  }
  for (; c + 4 <= channels; c += 4) {
    let p = inPtr + <usize>(c << 2);
    let s = f32x4.splat(0);
    for (let i = 0; i < pixels; i++) {
      s = f32x4.add(s, v128.load(p));
      p += pix;
    }
    v128.store(outPtr + <usize>(c << 2), f32x4.div(s, vd));
  }
  for (; c < channels; c++) {
    let p = inPtr + <usize>(c << 2);
    let s: f32 = 0;
    for (let i = 0; i < pixels; i++) {
      s += load<f32>(p);
      p += pix;
    }
    store<f32>(outPtr + <usize>(c << 2), s / d);
  }
}
