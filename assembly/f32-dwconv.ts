/**
 * f32_dwconv_nhwc: depthwise convolution with channel multiplier m ≥ 1 (PyTorch groups = Cin,
 * TF depthwise_conv2d; BN-Inception's separable stem is 3 → 24 channels, m = 8, 7×7/2 SAME):
 *
 *   out[oy][ox][o] = clamp(Σ_{ky,kx in image} in[iy][ix][ci] · w[ky][kx][o] + bias[o], lo, hi),
 *   o = ci·m + j (j < m),  iy = oy·strideH − padTop + ky,  ix = ox·strideW − padLeft + kx,
 *   for oy in [oyStart, oyEnd), ox in [0, outW), o in [0, Cin·m).
 *
 * Out-of-image taps contribute nothing (zero padding); bottom/right padding is implied by inH/inW
 * and the output size (from geometry.ts); dilation is 1. The sum runs over the in-image taps in
 * (ky, kx) order in f32 (fused multiply-add in the relaxed build), then the bias is added, then
 * the clamp (lo = −∞, hi = +∞ for none).
 *
 * Layout:
 *   in:   [inH][inW] pixels of one image, pixel stride inPixelStrideBytes, inChannels floats each.
 *   w:    [kernelH][kernelW][inChannels·m] dense — PyTorch [Cin·m][1][kh][kw] and TF
 *         [kh][kw][Cin][m] convert with src/bindings/kernels/conv.ts.
 *   bias: [inChannels·m], or 0 for none.
 *   out:  [outH][outW] pixels of one image, pixel stride outPixelStrideBytes, Cin·m floats each;
 *         outPtr is pixel (0, 0) of the image and output pixel (oy, ox) is written at
 *         outPtr + (oy·outW + ox)·outPixelStrideBytes (the same absolute-row addressing as the pool
 *         kernels), so a row block writes only its own rows.
 * Alignment: 4 bytes suffice (unaligned v128 loads/stores).
 * Reads nothing past any input (channel tails are scalar); never writes outside the Cin·m output
 * floats of pixels in rows [oyStart, oyEnd).
 * Threads: split over output rows [oyStart, oyEnd) only (a channel split would move channels
 * between the vector and the scalar-tail paths, which round differently in the relaxed build);
 * row splits are bit-identical at any thread count.
 *
 * Paths: m = 1 loads 4 input channels per vector; m a multiple of 4 splats each vector's one
 * input channel (the stem); other m gather 4 scalars per vector. Blocks of 16 output channels
 * (4 accumulators), then 8 (splat path), then 4, then a scalar tail.
 */
export function f32_dwconv_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, inChannels: i32, multiplier: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  outW: i32, oyStart: i32, oyEnd: i32,
  wPtr: usize, biasPtr: usize, outPtr: usize, outPixelStrideBytes: i32, lo: f32, hi: f32,
): void {
  const outChannels = inChannels * multiplier;
  const pix = <usize>inPixelStrideBytes;
  const inRowBytes = <usize>inW * pix;
  const wTapBytes = <usize>(outChannels << 2);
  const wRowBytes = <usize>kernelW * wTapBytes;
  for (let oy = oyStart; oy < oyEnd; oy++) {
    const iyBase = oy * strideH - padTop;
    const ky0 = max(0, -iyBase);
    const ky1 = min(kernelH, inH - iyBase);
    for (let ox = 0; ox < outW; ox++) {
      const ixBase = ox * strideW - padLeft;
      const kx0 = max(0, -ixBase);
      const kx1 = min(kernelW, inW - ixBase);
      const out = outPtr + <usize>(oy * outW + ox) * <usize>outPixelStrideBytes;
      const rows = max(0, ky1 - ky0);
      const cols = max(0, kx1 - kx0);
      const src = rows * cols == 0 ? inPtr : inPtr + <usize>(iyBase + ky0) * inRowBytes + <usize>(ixBase + kx0) * pix;
      const wts = wPtr + <usize>ky0 * wRowBytes + <usize>kx0 * wTapBytes;
      if (multiplier == 1) {
        dwPixelContiguous(src, inRowBytes, pix, rows, cols, wts, wRowBytes, wTapBytes, outChannels, biasPtr, out, lo, hi);
      } else if ((multiplier & 3) == 0) {
        dwPixelSplat(src, inRowBytes, pix, rows, cols, wts, wRowBytes, wTapBytes, outChannels, multiplier, biasPtr, out, lo, hi);
      } else {
        dwPixelGather(src, inRowBytes, pix, rows, cols, wts, wRowBytes, wTapBytes, outChannels, multiplier, biasPtr, out, lo, hi);
      }
    }
  }
}

// @ts-ignore: decorator
@inline function madd(x: v128, w: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, w, acc);
  return f32x4.add(acc, f32x4.mul(x, w));
}

// @ts-ignore: decorator
@inline function finish(acc: v128, biasPtr: usize, o: i32, out: usize, lo: f32, hi: f32): void {
  if (biasPtr != 0) acc = f32x4.add(acc, v128.load(biasPtr + <usize>(o << 2)));
  v128.store(out + <usize>(o << 2), f32x4.min(f32x4.max(acc, f32x4.splat(lo)), f32x4.splat(hi)));
}

/** Output channels [o0, outChannels) one at a time; `src` is the first in-image tap's pixel. */
function dwPixelScalar(
  src: usize, inRowBytes: usize, pix: usize, rows: i32, cols: i32,
  wts: usize, wRowBytes: usize, wTapBytes: usize, o0: i32, outChannels: i32, multiplier: i32,
  biasPtr: usize, out: usize, lo: f32, hi: f32,
): void {
  for (let o = o0; o < outChannels; o++) {
    const ci = <usize>((o / multiplier) << 2);
    let acc: f32 = 0;
    let inRow = src + ci;
    let wRow = wts + <usize>(o << 2);
    for (let ky = 0; ky < rows; ky++) {
      let p = inRow;
      let q = wRow;
      for (let kx = 0; kx < cols; kx++) {
        acc += load<f32>(p) * load<f32>(q);
        p += pix;
        q += wTapBytes;
      }
      inRow += inRowBytes;
      wRow += wRowBytes;
    }
    if (biasPtr != 0) acc += load<f32>(biasPtr + <usize>(o << 2));
    store<f32>(out + <usize>(o << 2), min(max(acc, lo), hi));
  }
}

/** multiplier 1: output channel o reads input channel o. */
function dwPixelContiguous(
  src: usize, inRowBytes: usize, pix: usize, rows: i32, cols: i32,
  wts: usize, wRowBytes: usize, wTapBytes: usize, outChannels: i32,
  biasPtr: usize, out: usize, lo: f32, hi: f32,
): void {
  let o = 0;
  for (; o + 16 <= outChannels; o += 16) {
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let inRow = src + <usize>(o << 2);
    let wRow = wts + <usize>(o << 2);
    for (let ky = 0; ky < rows; ky++) {
      let p = inRow;
      let q = wRow;
      for (let kx = 0; kx < cols; kx++) {
        a0 = madd(v128.load(p), v128.load(q), a0);
        a1 = madd(v128.load(p, 16), v128.load(q, 16), a1);
        a2 = madd(v128.load(p, 32), v128.load(q, 32), a2);
        a3 = madd(v128.load(p, 48), v128.load(q, 48), a3);
        p += pix;
        q += wTapBytes;
      }
      inRow += inRowBytes;
      wRow += wRowBytes;
    }
    finish(a0, biasPtr, o, out, lo, hi);
    finish(a1, biasPtr, o + 4, out, lo, hi);
    finish(a2, biasPtr, o + 8, out, lo, hi);
    finish(a3, biasPtr, o + 12, out, lo, hi);
  }
  for (; o + 4 <= outChannels; o += 4) {
    let a = f32x4.splat(0);
    let inRow = src + <usize>(o << 2);
    let wRow = wts + <usize>(o << 2);
    for (let ky = 0; ky < rows; ky++) {
      let p = inRow;
      let q = wRow;
      for (let kx = 0; kx < cols; kx++) {
        a = madd(v128.load(p), v128.load(q), a);
        p += pix;
        q += wTapBytes;
      }
      inRow += inRowBytes;
      wRow += wRowBytes;
    }
    finish(a, biasPtr, o, out, lo, hi);
  }
  if (o < outChannels) dwPixelScalar(src, inRowBytes, pix, rows, cols, wts, wRowBytes, wTapBytes, o, outChannels, 1, biasPtr, out, lo, hi);
}

/** multiplier a multiple of 4: each vector of 4 output channels reads one input channel. */
function dwPixelSplat(
  src: usize, inRowBytes: usize, pix: usize, rows: i32, cols: i32,
  wts: usize, wRowBytes: usize, wTapBytes: usize, outChannels: i32, multiplier: i32,
  biasPtr: usize, out: usize, lo: f32, hi: f32,
): void {
  let o = 0;
  for (; o + 16 <= outChannels; o += 16) {
    const c0 = <usize>((o / multiplier) << 2);
    const c1 = <usize>(((o + 4) / multiplier) << 2);
    const c2 = <usize>(((o + 8) / multiplier) << 2);
    const c3 = <usize>(((o + 12) / multiplier) << 2);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let inRow = src;
    let wRow = wts + <usize>(o << 2);
    for (let ky = 0; ky < rows; ky++) {
      let p = inRow;
      let q = wRow;
      for (let kx = 0; kx < cols; kx++) {
        a0 = madd(v128.load32_splat(p + c0), v128.load(q), a0);
        a1 = madd(v128.load32_splat(p + c1), v128.load(q, 16), a1);
        a2 = madd(v128.load32_splat(p + c2), v128.load(q, 32), a2);
        a3 = madd(v128.load32_splat(p + c3), v128.load(q, 48), a3);
        p += pix;
        q += wTapBytes;
      }
      inRow += inRowBytes;
      wRow += wRowBytes;
    }
    finish(a0, biasPtr, o, out, lo, hi);
    finish(a1, biasPtr, o + 4, out, lo, hi);
    finish(a2, biasPtr, o + 8, out, lo, hi);
    finish(a3, biasPtr, o + 12, out, lo, hi);
  }
  for (; o + 8 <= outChannels; o += 8) {
    const c0 = <usize>((o / multiplier) << 2);
    const c1 = <usize>(((o + 4) / multiplier) << 2);
    let a0 = f32x4.splat(0);
    let a1 = a0;
    let inRow = src;
    let wRow = wts + <usize>(o << 2);
    for (let ky = 0; ky < rows; ky++) {
      let p = inRow;
      let q = wRow;
      for (let kx = 0; kx < cols; kx++) {
        a0 = madd(v128.load32_splat(p + c0), v128.load(q), a0);
        a1 = madd(v128.load32_splat(p + c1), v128.load(q, 16), a1);
        p += pix;
        q += wTapBytes;
      }
      inRow += inRowBytes;
      wRow += wRowBytes;
    }
    finish(a0, biasPtr, o, out, lo, hi);
    finish(a1, biasPtr, o + 4, out, lo, hi);
  }
  for (; o < outChannels; o += 4) {
    const c = <usize>((o / multiplier) << 2);
    let a = f32x4.splat(0);
    let inRow = src + c;
    let wRow = wts + <usize>(o << 2);
    for (let ky = 0; ky < rows; ky++) {
      let p = inRow;
      let q = wRow;
      for (let kx = 0; kx < cols; kx++) {
        a = madd(v128.load32_splat(p), v128.load(q), a);
        p += pix;
        q += wTapBytes;
      }
      inRow += inRowBytes;
      wRow += wRowBytes;
    }
    finish(a, biasPtr, o, out, lo, hi);
  }
}

/** Any other multiplier: the 4 lanes of a vector may read different input channels. */
function dwPixelGather(
  src: usize, inRowBytes: usize, pix: usize, rows: i32, cols: i32,
  wts: usize, wRowBytes: usize, wTapBytes: usize, outChannels: i32, multiplier: i32,
  biasPtr: usize, out: usize, lo: f32, hi: f32,
): void {
  let o = 0;
  for (; o + 4 <= outChannels; o += 4) {
    const c0 = <usize>((o / multiplier) << 2);
    const c1 = <usize>(((o + 1) / multiplier) << 2);
    const c2 = <usize>(((o + 2) / multiplier) << 2);
    const c3 = <usize>(((o + 3) / multiplier) << 2);
    let a = f32x4.splat(0);
    let inRow = src;
    let wRow = wts + <usize>(o << 2);
    for (let ky = 0; ky < rows; ky++) {
      let p = inRow;
      let q = wRow;
      for (let kx = 0; kx < cols; kx++) {
        let x = v128.load32_zero(p + c0);
        x = v128.load32_lane(p + c1, x, 1);
        x = v128.load32_lane(p + c2, x, 2);
        x = v128.load32_lane(p + c3, x, 3);
        a = madd(x, v128.load(q), a);
        p += pix;
        q += wTapBytes;
      }
      inRow += inRowBytes;
      wRow += wRowBytes;
    }
    finish(a, biasPtr, o, out, lo, hi);
  }
  if (o < outChannels) dwPixelScalar(src, inRowBytes, pix, rows, cols, wts, wRowBytes, wTapBytes, o, outChannels, multiplier, biasPtr, out, lo, hi);
}
