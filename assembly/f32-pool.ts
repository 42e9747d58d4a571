// Pooling over NHWC maps, SIMD across channels. All three kernels address their output the same
// way as f32_dwconv_nhwc: outPtr is pixel (0, 0) of the image, output pixel (oy, ox) lives at
// outPtr + (oy·outW + ox)·outPixelStrideBytes. Window sums run over the taps in (ky, kx) order,
// 16 channels (4 vectors) at a time, then 4, then a scalar tail, so a value never depends on how
// the caller splits the rows or the channels; maxima are exact, so their order never matters.

/**
 * f32_maxpool_nhwc: out[oy][ox][c] = max over in-image taps of in[iy][ix][c]
 * (iy = oy·strideH − padTop + ky, ix = ox·strideW − padLeft + kx; padding is −∞, so it never
 * wins; a window with no in-image tap yields −∞, which geometry.ts sizes never produce).
 * NaN propagates (wasm f32.max: a NaN tap makes the output NaN; its sign and payload are the
 * engine's, as WebAssembly leaves them open), as in PyTorch. Otherwise max is exact, commutative
 * and associative (−0 < +0), so the order of the taps cannot change a bit of a non-NaN output.
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
 *
 * Windows 3 wide at strideW 1, up to 3 high (Inception's branch pools: 3×3 s1 p1) run
 * separably on the output columns whose window lies inside the image horizontally: per input
 * column, the max over the row's in-image taps (the column max), then per output the max of 3
 * column maxima, sliding along the row in registers so each column max is computed once per
 * output row (3 loads + 4 max per 4 channels of output, against 9 + 8). The edge columns and the
 * channel tail (< 4) take the direct path. At strideW 2 the same scheme (6 loads + 6 max) measured
 * no faster than the direct path on GoogLeNet's and Inception-v3's stride-2 pools and slower on
 * the largest maps, so stride 2 stays direct.
 */
export function f32_maxpool_nhwc(
  inPtr: usize, inPixelStrideBytes: i32, inH: i32, inW: i32, channels: i32,
  kernelH: i32, kernelW: i32, strideH: i32, strideW: i32, padTop: i32, padLeft: i32,
  outW: i32, oyStart: i32, oyEnd: i32,
  outPtr: usize, outPixelStrideBytes: i32,
): void {
  const rowBytes = <usize>inW * <usize>inPixelStrideBytes;
  const pix = <usize>inPixelStrideBytes;
  const outPix = <usize>outPixelStrideBytes;
  // Output columns whose window [ox·strideW − padLeft, +3) lies in [0, inW): [oxLo, oxHi).
  let oxLo = 0;
  let oxHi = 0;
  if (kernelW == 3 && kernelH <= 3 && strideW == 1 && inW >= 3) {
    oxLo = min(outW, padLeft);
    oxHi = max(oxLo, min(outW, inW - 2 + padLeft));
  }
  const vecChannels = channels & ~3;
  const chunk = max(4, MAXPOOL_CHUNK_BYTES / max(1, channels * 4));
  for (let oy = oyStart; oy < oyEnd; oy++) {
    const iyBase = oy * strideH - padTop;
    const iy0 = max(0, iyBase);
    const iy1 = min(inH, iyBase + kernelH);
    const rowOut = outPtr + <usize>(oy * outW) * outPix;
    if (oxHi <= oxLo || iy1 <= iy0 || vecChannels == 0) {
      for (let ox = 0; ox < outW; ox++) maxPixelDirect(inPtr, pix, rowBytes, inW, iy0, iy1, ox * strideW - padLeft, kernelW, kernelH, iyBase, 0, channels, pixelOut(rowOut, ox, outPix));
      continue;
    }
    for (let ox = 0; ox < oxLo; ox++) maxPixelDirect(inPtr, pix, rowBytes, inW, iy0, iy1, ox * strideW - padLeft, kernelW, kernelH, iyBase, 0, channels, pixelOut(rowOut, ox, outPix));
    for (let ox = oxHi; ox < outW; ox++) maxPixelDirect(inPtr, pix, rowBytes, inW, iy0, iy1, ox * strideW - padLeft, kernelW, kernelH, iyBase, 0, channels, pixelOut(rowOut, ox, outPix));
    // The 1–3 in-image rows; a missing row repeats one present (max(x, x) = x, NaN stays NaN).
    const r0 = inPtr + <usize>iy0 * rowBytes + <usize>(oxLo - padLeft) * pix;
    const r1 = iy1 - iy0 > 1 ? r0 + rowBytes : r0;
    const r2 = iy1 - iy0 > 2 ? r1 + rowBytes : r1;
    // Chunks of `chunk` output columns, every channel block per chunk: the chunk's input columns
    // stay in L1 across the channel blocks and the next chunk continues the same memory stream.
    for (let x0 = 0; x0 < oxHi - oxLo; x0 += chunk) {
      const n = min(chunk, oxHi - oxLo - x0);
      const inOff = <usize>x0 * pix;
      const o0 = rowOut + <usize>(oxLo + x0) * outPix;
      maxRow3(r0 + inOff, r1 + inOff, r2 + inOff, pix, o0, outPix, n, vecChannels);
    }
    if (vecChannels < channels) {
      for (let ox = oxLo; ox < oxHi; ox++) maxPixelDirect(inPtr, pix, rowBytes, inW, iy0, iy1, ox * strideW - padLeft, kernelW, kernelH, iyBase, vecChannels, channels, pixelOut(rowOut, ox, outPix));
    }
  }
}

/**
 * Input bytes per row that one chunk of the separable path spans (about): 3 rows of it stay in L1
 * while every channel block passes over the chunk, so a wide map streams once (16 KB measured
 * faster than 4 KB on GoogLeNet's branch pools; smaller chunks redo more column maxima).
 */
const MAXPOOL_CHUNK_BYTES = 16384;

// @ts-ignore: decorator
@inline function pixelOut(rowOut: usize, ox: i32, outPix: usize): usize {
  return rowOut + <usize>ox * outPix;
}

/** Column max of 4 channels at byte offset `off` of the three row pointers. */
// @ts-ignore: decorator
@inline function colMax(r0: usize, r1: usize, r2: usize, off: usize): v128 {
  return f32x4.max(f32x4.max(v128.load(r0 + off), v128.load(r1 + off)), v128.load(r2 + off));
}

/**
 * out[x] = max(V[x], V[x+1], V[x+2]) for x < n, V[i] the column max of input column i (from the
 * row pointers, pixel stride pix); channels [0, vecChannels), 16 then 4 at a time.
 */
function maxRow3(r0: usize, r1: usize, r2: usize, pix: usize, out: usize, outPix: usize, n: i32, vecChannels: i32): void {
  let c = 0;
  for (; c + 16 <= vecChannels; c += 16) {
    let off = <usize>(c << 2);
    let a0 = colMax(r0, r1, r2, off);
    let a1 = colMax(r0, r1, r2, off + 16);
    let a2 = colMax(r0, r1, r2, off + 32);
    let a3 = colMax(r0, r1, r2, off + 48);
    off += pix;
    let b0 = colMax(r0, r1, r2, off);
    let b1 = colMax(r0, r1, r2, off + 16);
    let b2 = colMax(r0, r1, r2, off + 32);
    let b3 = colMax(r0, r1, r2, off + 48);
    let o = out + <usize>(c << 2);
    for (let x = 0; x < n; x++) {
      off += pix;
      const c0 = colMax(r0, r1, r2, off);
      const c1 = colMax(r0, r1, r2, off + 16);
      const c2 = colMax(r0, r1, r2, off + 32);
      const c3 = colMax(r0, r1, r2, off + 48);
      v128.store(o, f32x4.max(f32x4.max(a0, b0), c0));
      v128.store(o, f32x4.max(f32x4.max(a1, b1), c1), 16);
      v128.store(o, f32x4.max(f32x4.max(a2, b2), c2), 32);
      v128.store(o, f32x4.max(f32x4.max(a3, b3), c3), 48);
      a0 = b0; a1 = b1; a2 = b2; a3 = b3;
      b0 = c0; b1 = c1; b2 = c2; b3 = c3;
      o += outPix;
    }
  }
  for (; c < vecChannels; c += 4) {
    let off = <usize>(c << 2);
    let a = colMax(r0, r1, r2, off);
    off += pix;
    let b = colMax(r0, r1, r2, off);
    let o = out + <usize>(c << 2);
    for (let x = 0; x < n; x++) {
      off += pix;
      const cm = colMax(r0, r1, r2, off);
      v128.store(o, f32x4.max(f32x4.max(a, b), cm));
      a = b;
      b = cm;
      o += outPix;
    }
  }
}

/**
 * The direct max of one output pixel over channels [c0, channels): taps in (ky, kx) order over the
 * in-image rows [iy0, iy1) and columns of [ixBase, ixBase + kernelW); an interior 3×3 window takes
 * the nine taps unrolled (the same maxima).
 */
function maxPixelDirect(
  inPtr: usize, pix: usize, rowBytes: usize, inW: i32, iy0: i32, iy1: i32, ixBase: i32, kernelW: i32,
  kernelH: i32, iyBase: i32, c0: i32, channels: i32, out: usize,
): void {
  const ix0 = max(0, ixBase);
  const ix1 = min(inW, ixBase + kernelW);
  let c = c0;
  if (kernelH == 3 && kernelW == 3 && iy0 == iyBase && iy1 == iyBase + 3 && ix0 == ixBase && ix1 == ixBase + 3) {
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
