// Layout conversions at the engine's boundary: NCHW (the public API, ONNX/PyTorch) ⇄ NHWC (inside).

/**
 * f32_nchw_to_nhwc: out[y, x, c] = in[c, y, x] for c < channels, y < height, x < width (one image).
 *
 * Exact: a bit copy (v128 shuffles and u32 moves; NaN payloads survive).
 * Layout:
 *   in:  [channels][height][width] floats, dense (channel plane = height·width floats);
 *   out: [height·width] pixels, pixel stride outPixelStrideBytes (≥ 4·channels), `channels`
 *        floats each — may be a view, e.g. a channel slice of a wider tensor.
 * Alignment: 4 bytes; loads and stores are unaligned v128.
 * Blocking: 4 pixels × 4 channels are moved as one in-register 4×4 transpose; the pixel block is
 *   the outer loop, so the writes are sequential and the reads advance 16 bytes in every channel
 *   plane per block (each plane's current cache line is reused by the next 3 blocks while the
 *   C lines fit in L1: C ≤ ~256). No further tiling: these conversions run once per image at the
 *   engine's boundary (C = 3 input images, C = 1024–2048 feature maps of 7×7–8×8), where they
 *   take well under 1 ms (measured ~0.05–0.15 ms for 2048×8×8, ~0.25–0.5 ms for 3×299×299, Node
 *   20 on a loaded 2-core machine) — noise beside the network.
 * Reads: nothing outside the input block. Writes: exactly out[p, 0..channels) for each pixel.
 * Threads: split over channel ranges [c0, c1) (the output's channels): pass
 *   inPtr + c0·height·width·4, channels = c1 − c0, outPtr + 4·c0, the same pixel stride. (Rows
 *   cannot be split by offsetting pointers, because the plane stride is height·width; batch is
 *   split by the caller's per-image pointers.) Range lengths that are multiples of 4 keep every
 *   channel on the 4×4 path.
 */
export function f32_nchw_to_nhwc(
  inPtr: usize, channels: i32, height: i32, width: i32,
  outPtr: usize, outPixelStrideBytes: i32,
): void {
  const planePixels = height * width;
  const planeBytes = <usize>planePixels << 2;
  const pixelStride = <usize>outPixelStrideBytes;
  let p = 0;
  for (; p + 4 <= planePixels; p += 4) {
    const src = inPtr + (<usize>p << 2);
    const dst = outPtr + <usize>p * pixelStride;
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      transpose4x4(src + <usize>c * planeBytes, planeBytes, dst + (<usize>c << 2), pixelStride);
    }
    for (; c < channels; c++) {
      const s = src + <usize>c * planeBytes;
      const d = dst + (<usize>c << 2);
      store<u32>(d, load<u32>(s));
      store<u32>(d + pixelStride, load<u32>(s + 4));
      store<u32>(d + 2 * pixelStride, load<u32>(s + 8));
      store<u32>(d + 3 * pixelStride, load<u32>(s + 12));
    }
  }
  for (; p < planePixels; p++) {
    const src = inPtr + (<usize>p << 2);
    const dst = outPtr + <usize>p * pixelStride;
    for (let c = 0; c < channels; c++) store<u32>(dst + (<usize>c << 2), load<u32>(src + <usize>c * planeBytes));
  }
}

/**
 * f32_nhwc_to_nchw: out[c, y, x] = in[y, x, c] for c < channels, y < height, x < width (one image).
 *
 * Exact: a bit copy (v128 shuffles and u32 moves; NaN payloads survive).
 * Layout:
 *   in:  [height·width] pixels, pixel stride inPixelStrideBytes (≥ 4·channels), `channels`
 *        floats each — may be a view;
 *   out: [channels][height][width] floats, dense (channel plane = height·width floats).
 * Alignment: 4 bytes; loads and stores are unaligned v128.
 * Blocking: as f32_nchw_to_nhwc, mirrored: 4×4 in-register transposes, pixel blocks outermost;
 *   reads stream through the pixels, each 4-pixel block writes one 16-byte piece per plane.
 * Reads: nothing outside the `channels` floats of each input pixel. Writes: exactly the
 *   channels·height·width floats of out.
 * Threads: split over channel ranges [c0, c1) (the output's planes): pass inPtr + 4·c0 (the same
 *   pixel stride), channels = c1 − c0, outPtr + c0·height·width·4.
 */
export function f32_nhwc_to_nchw(
  inPtr: usize, inPixelStrideBytes: i32, channels: i32, height: i32, width: i32,
  outPtr: usize,
): void {
  const planePixels = height * width;
  const planeBytes = <usize>planePixels << 2;
  const pixelStride = <usize>inPixelStrideBytes;
  let p = 0;
  for (; p + 4 <= planePixels; p += 4) {
    const src = inPtr + <usize>p * pixelStride;
    const dst = outPtr + (<usize>p << 2);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      transpose4x4(src + (<usize>c << 2), pixelStride, dst + <usize>c * planeBytes, planeBytes);
    }
    for (; c < channels; c++) {
      const s = src + (<usize>c << 2);
      const d = dst + <usize>c * planeBytes;
      store<u32>(d, load<u32>(s));
      store<u32>(d + 4, load<u32>(s + pixelStride));
      store<u32>(d + 8, load<u32>(s + 2 * pixelStride));
      store<u32>(d + 12, load<u32>(s + 3 * pixelStride));
    }
  }
  for (; p < planePixels; p++) {
    const src = inPtr + <usize>p * pixelStride;
    const dst = outPtr + (<usize>p << 2);
    for (let c = 0; c < channels; c++) store<u32>(dst + <usize>c * planeBytes, load<u32>(src + (<usize>c << 2)));
  }
}

/**
 * Moves a 4×4 block: row i of the source (4 floats at src + i·srcStride) becomes column i of the
 * destination (float i of the 4 rows at dst + j·dstStride).
 */
// @ts-ignore: decorator
@inline
function transpose4x4(src: usize, srcStride: usize, dst: usize, dstStride: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + srcStride);
  const r2 = v128.load(src + 2 * srcStride);
  const r3 = v128.load(src + 3 * srcStride);
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstStride, v128.shuffle<i32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstStride, v128.shuffle<i32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstStride, v128.shuffle<i32>(t1, t3, 2, 3, 6, 7));
}
