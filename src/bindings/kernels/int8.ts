/**
 * Typed access to the 8-bit kernels: u8 × i8 GEMM with its requantize epilogue and weight
 * packing, u8 im2col, u8 pooling, and f32 ↔ u8 quantisation (contracts in assembly/i8-gemm.ts,
 * i8-pack.ts, i8-im2col.ts, u8-pool.ts, quantize.ts), plus the host-side sizes that go with them.
 * Pointers are byte offsets into the kernel memory, strides bytes. Every kernel is integer-exact:
 * the same bytes in every build and for every split of rows, panels or channels.
 */

/** Columns per packed int8 weight panel. */
export const I8_GEMM_NR = 8;
/** Bytes of a panel's head: bias i32[8], colSum i32[8], scale f32[8]. */
export const I8_PANEL_HEAD_BYTES = 96;
/** Largest GEMM depth whose i32 sums are exact (65536 · 255 · 128 < 2³¹). */
export const I8_GEMM_MAX_K = 65536;

export interface Int8Kernels {
  /**
   * C[i][j] = clamp(nearest(f32(Σ_k (A[i][k] − aZero)·W[k][j] + bias[j]) · scale[j]
   * (+ f32(res[i][j] − resZero) · resScale)) + outZero, lo, hi) as u8, for rows [0, m) and the
   * columns of panels [panelStart, panelEnd) clipped to n; `resPtr` 0 = no residual (may equal
   * `cPtr` with the same stride). `aPackPtr`: the caller's scratch of `i8_gemm_pack_bytes(m, k)`
   * bytes (each thread its own). 1 ≤ k ≤ 65536, 0 ≤ lo ≤ hi ≤ 255.
   */
  i8_gemm(
    aPtr: number, aRowStrideBytes: number, aZero: number,
    wPackedPtr: number, k: number,
    cPtr: number, cRowStrideBytes: number, outZero: number, lo: number, hi: number,
    resPtr: number, resRowStrideBytes: number, resZero: number, resScale: number,
    m: number, panelStart: number, panelEnd: number, n: number,
    aPackPtr: number,
  ): void;
  /** Scratch bytes i8_gemm needs at `aPackPtr` for m rows of depth k (0 when m < 1 or k outside [1, 65536]). */
  i8_gemm_pack_bytes(m: number, k: number): number;
  /** Bytes of one packed panel of depth k (96 + 16·ceil(k/2)). */
  i8_gemm_panel_bytes(k: number): number;
  /** Rows per micro-kernel tile; row blocks that are multiples of it keep tiles full. */
  i8_gemm_mr(): number;
  /**
   * Packs i8 OIHW weights `[out][in][kh][kw]` (FC `[out][in]`, kh = kw = 1) with i32 bias
   * (`biasPtr` 0 = none) and f32 requantize scales `[out]` into `packedI8GemmBytes(out, kh·kw·in)`
   * bytes at `dstPtr`.
   */
  i8_pack_gemm_weights(
    srcPtr: number,
    outChannels: number, inChannels: number, kernelH: number, kernelW: number,
    biasPtr: number, scalePtr: number,
    dstPtr: number,
  ): void;
  /** u8 NHWC windows of output rows [oyStart, oyEnd) → GEMM rows of K = kh·kw·channels bytes; padding = `padValue`. */
  u8_im2col_nhwc(
    inPtr: number, inPixelStrideBytes: number, inH: number, inW: number, channels: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    outW: number, oyStart: number, oyEnd: number, padValue: number,
    dstPtr: number, dstRowStrideBytes: number,
  ): void;
  /** Max over the in-image taps (padding never wins), rows [oyStart, oyEnd). */
  u8_maxpool_nhwc(
    inPtr: number, inPixelStrideBytes: number, inH: number, inW: number, channels: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    outW: number, oyStart: number, oyEnd: number,
    outPtr: number, outPixelStrideBytes: number,
  ): void;
  /** ⌊(2S + count)/(2·count)⌋ (round half up) of the window sum S; padded taps count as `padValue` when `countIncludePad`. */
  u8_avgpool_nhwc(
    inPtr: number, inPixelStrideBytes: number, inH: number, inW: number, channels: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, padBottom: number, padRight: number, countIncludePad: number, padValue: number,
    outW: number, oyStart: number, oyEnd: number,
    outPtr: number, outPixelStrideBytes: number,
  ): void;
  /** Per channel, the rounded mean over `pixels` pixels (as u8_avgpool_nhwc), into `channels` dense bytes. */
  u8_global_avgpool_nhwc(inPtr: number, inPixelStrideBytes: number, pixels: number, channels: number, outPtr: number): void;
  /** out[i] = clamp(nearest(in[i] / scale) + zeroPoint, 0, 255) (half to even; NaN → 0). */
  f32_quantize_u8(inPtr: number, count: number, scale: number, zeroPoint: number, outPtr: number): void;
  /** out[i] = f32(in[i] − zeroPoint) · scale. */
  u8_dequantize_f32(inPtr: number, count: number, scale: number, zeroPoint: number, outPtr: number): void;
}

export function int8Kernels(exports: WebAssembly.Exports): Int8Kernels {
  return exports as unknown as Int8Kernels;
}

/** Number of 8-column panels for n output columns. */
export function i8GemmPanels(n: number): number {
  return Math.ceil(n / I8_GEMM_NR);
}

/** Bytes of one packed panel of depth k (the kernel's i8_gemm_panel_bytes, for planning without an instance). */
export function i8PanelBytes(k: number): number {
  return I8_PANEL_HEAD_BYTES + 16 * Math.ceil(k / 2);
}

/** Bytes of a packed int8 weight block: ceil(n/8) panels. */
export function packedI8GemmBytes(n: number, k: number): number {
  return i8GemmPanels(n) * i8PanelBytes(k);
}

/** Integer operations of one int8 GEMM (a multiply-add counts 2, as gemmFlops). */
export function i8GemmOps(m: number, n: number, k: number): number {
  return 2 * m * n * k;
}
