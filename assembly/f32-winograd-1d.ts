import { input1dF43, input1dF47, input1dF67, output1dF43, output1dF47, output1dF67 } from './winograd-common';

/**
 * One-dimensional Winograd F(m, r) for 1×r and r×1 stride-1 convs (the 1×7/7×1 and 1×3/3×1
 * convs of Inception-v3/v4/ResNet-v2): two transforms, selected by α = m + r − 1,
 *
 *   α = 12: F(6, 7), points 0, 1, −1, 2, −2, ½, −½, 3, −3, ¼, −¼, ∞;
 *   α = 10: F(4, 7), points 0, 1, −1, 2, −2, ½, −½, 3, −3, ∞;   α = 6: F(4, 3), points 0, 1, −1, 2, −2, ∞,
 *   y = Aᵀ [ (G g) ⊙ (Bᵀ d) ]   per tile of m outputs along the kernel's axis, summed over
 *   input channels; d = the α inputs the tile reads, g = the r filter taps. Bᵀ row j holds the
 *   coefficients of Π_{l≠j}(x − p_l) (last row: Π_l(x − p_l)), Aᵀ[i][j] = p_j^i (last column
 *   [i = m − 1]); G (f64, given to f32_winograd_pack) = src/bindings/kernels/winograd.ts
 *   winograd1dMatrices, which derives all three from the same points.
 *
 * The map is seen as *lines* along the kernel's axis: for a 1×r conv a line is an image row
 * (element step = pixel stride, line step = row stride), for r×1 a column (element step = row
 * stride, line step = pixel stride). Tile t of a line covers outputs t·m … t·m + m − 1 and reads
 * inputs t·m − pad … t·m − pad + α − 1 (zero outside [0, inLen)); tilesPerLine = ceil(outLen / m).
 * Across lines nothing is padded (the other kernel extent is 1).
 */

/**
 * f32_winograd_input_1d: V = Bᵀ d for the tiles of lines [lineStart, lineEnd) of one image
 * (α = 12: F(6, 7); α = 10: F(4, 7); α = 6: F(4, 3); other α: returns without writing).
 *
 *   V_j[q][c], q = (line − lineStart)·tilesPerLine + t, at dstPtr + j·dstMatrixStrideBytes +
 *   q·dstRowStrideBytes + 4c, for j < α, c < channels.
 *   Input element i of a line at inPtr + line·inLineBytes + i·inStepBytes (channels floats).
 *
 * Reads only in-range elements' first `channels` floats; writes exactly `channels` floats per
 * (j, q) row. Threads: split over lines (disjoint dst blocks); any split gives identical bytes.
 */
export function f32_winograd_input_1d(
  inPtr: usize, inStepBytes: i32, inLineBytes: i32, inLen: i32, channels: i32, pad: i32,
  alpha: i32, tilesPerLine: i32, lineStart: i32, lineEnd: i32,
  dstPtr: usize, dstRowStrideBytes: i32, dstMatrixStrideBytes: i32,
): void {
  if (alpha != 12 && alpha != 10 && alpha != 6) return;
  const m = alpha == 12 ? 6 : 4;
  const step = <usize>inStepBytes;
  const ms = <usize>dstMatrixStrideBytes;
  let dst = dstPtr;
  for (let line = lineStart; line < lineEnd; line++) {
    const lineBase = inPtr + <usize>line * <usize>inLineBytes;
    for (let t = 0; t < tilesPerLine; t++) {
      const i0 = t * m - pad;
      // Bit i: element i of the tile is inside the line.
      let valid = 0;
      for (let i = 0; i < alpha; i++) valid |= i32(i0 + i >= 0 && i0 + i < inLen) << i;
      const base = lineBase + <usize>i0 * step;
      if (channels >= 4) {
        for (let c = 0; c < channels; c += 4) {
          const o = <usize>min(c, channels - 4) << 2;
          if (alpha == 12) input1dF67(base + o, step, valid, dst + o, ms, false);
          else if (alpha == 10) input1dF47(base + o, step, valid, dst + o, ms, false);
          else input1dF43(base + o, step, valid, dst + o, ms, false);
        }
      } else {
        for (let c = 0; c < channels; c++) {
          const o = <usize>c << 2;
          if (alpha == 12) input1dF67(base + o, step, valid, dst + o, ms, true);
          else if (alpha == 10) input1dF47(base + o, step, valid, dst + o, ms, true);
          else input1dF43(base + o, step, valid, dst + o, ms, true);
        }
      }
      dst += <usize>dstRowStrideBytes;
    }
  }
}



/**
 * f32_winograd_output_1d: y = clamp(Aᵀ M + bias, lo, hi) for the tiles of lines
 * [lineStart, lineEnd) of one image (α = 12: F(6, 7); α = 10: F(4, 7); α = 6: F(4, 3); other α: no writes).
 *
 *   M_j[q][c] at srcPtr + j·srcMatrixStrideBytes + q·srcRowStrideBytes + 4c (q as the input
 *   transform's), c < channels; bias [channels] (0 = none).
 *   Output element e of a line at outPtr + line·outLineBytes + e·outStepBytes, stored for e < outLen.
 *
 * Writes exactly `channels` floats of each in-range output; reads exactly M and bias.
 * Threads: split over lines and/or channel ranges; every output is computed by the same sequence
 * whatever the split.
 */
export function f32_winograd_output_1d(
  srcPtr: usize, srcRowStrideBytes: i32, srcMatrixStrideBytes: i32, channels: i32, biasPtr: usize,
  alpha: i32, tilesPerLine: i32, lineStart: i32, lineEnd: i32, outLen: i32,
  outPtr: usize, outStepBytes: i32, outLineBytes: i32, lo: f32, hi: f32,
): void {
  if (alpha != 12 && alpha != 10 && alpha != 6) return;
  const m = alpha == 12 ? 6 : 4;
  const ms = <usize>srcMatrixStrideBytes;
  const step = <usize>outStepBytes;
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let src = srcPtr;
  for (let line = lineStart; line < lineEnd; line++) {
    const lineBase = outPtr + <usize>line * <usize>outLineBytes;
    for (let t = 0; t < tilesPerLine; t++) {
      const e0 = t * m;
      const count = min(m, outLen - e0);
      const out = lineBase + <usize>e0 * step;
      if (channels >= 4) {
        for (let c = 0; c < channels; c += 4) {
          const o = <usize>min(c, channels - 4) << 2;
          const b = biasPtr != 0 ? v128.load(biasPtr + o) : f32x4.splat(0);
          if (alpha == 12) output1dF67(src + o, ms, b, vlo, vhi, count, out + o, step, false);
          else if (alpha == 10) output1dF47(src + o, ms, b, vlo, vhi, count, out + o, step, false);
          else output1dF43(src + o, ms, b, vlo, vhi, count, out + o, step, false);
        }
      } else {
        for (let c = 0; c < channels; c++) {
          const o = <usize>c << 2;
          const b = biasPtr != 0 ? v128.load32_splat(biasPtr + o) : f32x4.splat(0);
          if (alpha == 12) output1dF67(src + o, ms, b, vlo, vhi, count, out + o, step, true);
          else if (alpha == 10) output1dF47(src + o, ms, b, vlo, vhi, count, out + o, step, true);
          else output1dF43(src + o, ms, b, vlo, vhi, count, out + o, step, true);
        }
      }
      src += <usize>srcRowStrideBytes;
    }
  }
}



