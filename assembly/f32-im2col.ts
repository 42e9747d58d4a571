/**
 * f32_im2col_nhwc: gathers the convolution windows of output rows [oyStart, oyEnd) of one image
 * into GEMM rows (A operand, `[M][K]` with K = kernelH·kernelW·channels in (ky, kx, c) order):
 *
 *   dst[r][(ky·kernelW + kx)·channels + c] = in[iy][ix][c]   if 0 ≤ iy < inH and 0 ≤ ix < inW,
 *                                            0               otherwise (padding),
 *   r = (oy − oyStart)·outW + ox,  iy = oy·strideH − padTop + ky,  ix = ox·strideW − padLeft + kx,
 *   for oy in [oyStart, oyEnd), ox in [0, outW).
 *
 * Bottom/right padding is implied by inH/inW and the output size (take outW and the row range
 * from geometry.ts); dilation is 1.
 *
 * Layout:
 *   in:  [inH][inW] pixels of one image, pixel stride inPixelStrideBytes (≥ 4·channels),
 *        `channels` floats each (a channel slice of a wider NHWC map is fine).
 *   dst: [(oyEnd − oyStart)·outW] rows, row stride dstRowStrideBytes (≥ 4·K), K floats each.
 *        Row 0 is output pixel (oyStart, 0): dst is the caller's scratch for this row block.
 * Alignment: 4 bytes suffice (unaligned v128 loads/stores).
 * Reads only inside the windows' in-image pixels (nothing past the input); writes exactly K
 * floats per row, never the gap between rows or anything past the last row.
 * Threads: split over output rows (disjoint [oyStart, oyEnd) blocks with disjoint dst blocks);
 * it only copies, so any split gives identical bytes.
 *
 * When the pixel stride equals the channel count (a dense map), the in-image part of each kernel
 * row is one contiguous run of (kx1 − kx0)·channels floats and is copied as such (the C = 3 stem
 * then copies 21-float runs instead of seven 3-float ones).
 */
export function f32_im2col_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  outW: i32, oyStart: i32, oyEnd: i32,
  dstPtr: usize, dstRowStrideBytes: i32,
): void {
  const tapBytes = channels << 2;
  const kernelRowFloats = kernelW * channels;
  const dense = inPixelStrideBytes == tapBytes;
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
          zeroRun(d, kernelRowFloats);
        } else {
          zeroRun(d, kx0 * channels);
          const src = inPtr + <usize>(iy * inW + ixBase + kx0) * <usize>inPixelStrideBytes;
          const dk = d + <usize>(kx0 * tapBytes);
          if (dense) {
            copyRun(src, dk, (kx1 - kx0) * channels);
          } else {
            for (let kx = 0; kx < kx1 - kx0; kx++) {
              copyRun(src + <usize>(kx * inPixelStrideBytes), dk + <usize>(kx * tapBytes), channels);
            }
          }
          zeroRun(d + <usize>(kx1 * tapBytes), (kernelW - kx1) * channels);
        }
        d += <usize>(kernelRowFloats << 2);
      }
      row += <usize>dstRowStrideBytes;
    }
  }
}

/** Copies n floats; n ≥ 4 ends with one overlapping vector, so nothing outside the run is touched. */
// @ts-ignore: decorator
@inline function copyRun(src: usize, dst: usize, n: i32): void {
  if (n >= 4) {
    let i = 0;
    for (; i + 16 <= n; i += 16) {
      const o = <usize>(i << 2);
      const a = v128.load(src + o);
      const b = v128.load(src + o, 16);
      const c = v128.load(src + o, 32);
      const e = v128.load(src + o, 48);
      v128.store(dst + o, a);
      v128.store(dst + o, b, 16);
      v128.store(dst + o, c, 32);
      v128.store(dst + o, e, 48);
    }
    for (; i + 4 <= n; i += 4) {
      const o = <usize>(i << 2);
      v128.store(dst + o, v128.load(src + o));
    }
    if (i < n) {
      const o = <usize>((n - 4) << 2);
      v128.store(dst + o, v128.load(src + o));
    }
  } else {
    for (let i = 0; i < n; i++) {
      const o = <usize>(i << 2);
      store<f32>(dst + o, load<f32>(src + o));
    }
  }
}

/** Stores n zero floats (overlapping last vector as in copyRun). */
// @ts-ignore: decorator
@inline function zeroRun(dst: usize, n: i32): void {
  if (n >= 4) {
    const z = i32x4.splat(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(dst + <usize>(i << 2), z);
    if (i < n) v128.store(dst + <usize>((n - 4) << 2), z);
  } else {
    for (let i = 0; i < n; i++) store<f32>(dst + <usize>(i << 2), 0);
  }
}
