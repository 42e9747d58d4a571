/**
 * u8_im2col_nhwc: gathers the convolution windows of output rows [oyStart, oyEnd) of one u8
 * image into i8_gemm A rows (`[M][K]` u8, K = kernelH·kernelW·channels in (ky, kx, c) order):
 *
 *   dst[r][(ky·kernelW + kx)·channels + c] = in[iy][ix][c]   if 0 ≤ iy < inH and 0 ≤ ix < inW,
 *                                            padValue        otherwise,
 *   r = (oy − oyStart)·outW + ox,  iy = oy·strideH − padTop + ky,  ix = ox·strideW − padLeft + kx.
 *
 * padValue is the input's zero point (0..255; only the low byte is used): a padded tap then
 * stands for the real value 0, as the float convolution's zero padding does, and i8_gemm
 * subtracts the same zero point from it. Bottom/right padding is implied by inH/inW and the output
 * size (geometry.ts); dilation is 1.
 *
 * Layout:
 *   in:  [inH][inW] pixels of one image, pixel stride inPixelStrideBytes (≥ channels), `channels`
 *        bytes each (a channel slice of a wider NHWC map is fine).
 *   dst: [(oyEnd − oyStart)·outW] rows, row stride dstRowStrideBytes (≥ K), K bytes each;
 *        row 0 is output pixel (oyStart, 0).
 * Alignment: none needed. Reads only the windows' in-image bytes; writes exactly K bytes per row,
 * never the gap between rows.
 * Threads: split over output rows (disjoint row blocks and dst blocks); a pure copy, so any split
 * gives the same bytes. A dense map (pixel stride = channels) copies each kernel row's in-image
 * part as one run.
 */
export function u8_im2col_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  outW: i32, oyStart: i32, oyEnd: i32, padValue: i32,
  dstPtr: usize, dstRowStrideBytes: i32,
): void {
  const kernelRowBytes = kernelW * channels;
  const dense = inPixelStrideBytes == channels;
  const fill = i8x16.splat(<i8>padValue);
  let row = dstPtr;
  for (let oy = oyStart; oy < oyEnd; oy++) {
    const iyBase = oy * strideH - padTop;
    for (let ox = 0; ox < outW; ox++) {
      const ixBase = ox * strideW - padLeft;
      const kx0 = max(0, -ixBase);
      const kx1 = min(kernelW, inW - ixBase);
      let d = row;
      for (let ky = 0; ky < kernelH; ky++) {
        const iy = iyBase + ky;
        if (iy < 0 || iy >= inH || kx0 >= kx1) {
          fillRun(d, kernelRowBytes, fill);
        } else {
          fillRun(d, kx0 * channels, fill);
          const src = inPtr + <usize>(iy * inW + ixBase + kx0) * <usize>inPixelStrideBytes;
          const dk = d + <usize>(kx0 * channels);
          if (dense) {
            copyBytes(src, dk, (kx1 - kx0) * channels);
          } else {
            for (let kx = 0; kx < kx1 - kx0; kx++) {
              copyBytes(src + <usize>(kx * inPixelStrideBytes), dk + <usize>(kx * channels), channels);
            }
          }
          fillRun(d + <usize>(kx1 * channels), (kernelW - kx1) * channels, fill);
        }
        d += <usize>kernelRowBytes;
      }
      row += <usize>dstRowStrideBytes;
    }
  }
}

/** Copies n bytes; n ≥ 8 ends with one overlapping vector, so nothing outside the run is touched. */
// @ts-ignore: decorator
@inline function copyBytes(src: usize, dst: usize, n: i32): void {
  if (n >= 16) {
    let i = 0;
    for (; i + 64 <= n; i += 64) {
      const o = <usize>i;
      const a = v128.load(src + o);
      const b = v128.load(src + o, 16);
      const c = v128.load(src + o, 32);
      const e = v128.load(src + o, 48);
      v128.store(dst + o, a);
      v128.store(dst + o, b, 16);
      v128.store(dst + o, c, 32);
      v128.store(dst + o, e, 48);
    }
    for (; i + 16 <= n; i += 16) v128.store(dst + <usize>i, v128.load(src + <usize>i));
    if (i < n) v128.store(dst + <usize>(n - 16), v128.load(src + <usize>(n - 16)));
  } else if (n >= 8) {
    store<u64>(dst, load<u64>(src));
    store<u64>(dst + <usize>(n - 8), load<u64>(src + <usize>(n - 8)));
  } else {
    for (let i = 0; i < n; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
  }
}

/** Stores n copies of the pad byte (fill = its splat), overlapping last vector as in copyBytes. */
// @ts-ignore: decorator
@inline function fillRun(dst: usize, n: i32, fill: v128): void {
  if (n >= 16) {
    let i = 0;
    for (; i + 16 <= n; i += 16) v128.store(dst + <usize>i, fill);
    if (i < n) v128.store(dst + <usize>(n - 16), fill);
  } else if (n >= 8) {
    v128.store64_lane(dst, fill, 0);
    v128.store64_lane(dst + <usize>(n - 8), fill, 0);
  } else {
    const b = <u8>i8x16.extract_lane_u(fill, 0);
    for (let i = 0; i < n; i++) store<u8>(dst + <usize>i, b);
  }
}
