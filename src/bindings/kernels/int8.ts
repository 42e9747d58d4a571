/**
 * Typed access to the 8-bit kernels: u8 × i8 GEMM with its requantize epilogue and weight
 * packing, u8 im2col, int8 Winograd F(2×2, 3×3) on the same packed weights, u8 pooling, and
 * f32 ↔ u8 quantisation (contracts in assembly/i8-gemm.ts, i8-pack.ts, i8-im2col.ts,
 * i8-winograd.ts, u8-pool.ts, quantize.ts), plus the host-side sizes that go with them.
 * Pointers are byte offsets into the kernel memory, strides bytes. Every kernel is integer-exact:
 * the same bytes in every build and for every split of rows, panels or channels.
 */

/** Columns per packed int8 weight panel. */
export const I8_GEMM_NR = 8;
/**
 * Bytes of a panel's head: bias i32[8], colSum i32[8], scale f32[8], qSum i32[8] (Σ_k max(−W, 0),
 * the relaxed-dot GEMM's correction; assembly/i8-epilogue.ts PANEL_HEAD_BYTES).
 */
export const I8_PANEL_HEAD_BYTES = 128;
/** Largest GEMM depth whose i32 sums are exact (65536 · 255 · 128 < 2³¹). */
export const I8_GEMM_MAX_K = 65536;

/** The arguments of `i8_gemm` and `i8_gemm_dot` (u8 epilogue, optional residual). */
type I8Gemm = (
  aPtr: number, aRowStrideBytes: number, aZero: number,
  wPackedPtr: number, k: number,
  cPtr: number, cRowStrideBytes: number, outZero: number, lo: number, hi: number,
  resPtr: number, resRowStrideBytes: number, resZero: number, resScale: number,
  m: number, panelStart: number, panelEnd: number, n: number,
  aPackPtr: number,
) => void;

/** The arguments of `i8_gemm_f32` and `i8_gemm_dot_f32` (f32 epilogue). */
type I8GemmF32 = (
  aPtr: number, aRowStrideBytes: number, aZero: number,
  wPackedPtr: number, k: number,
  cPtr: number, cRowStrideBytes: number, lo: number, hi: number,
  m: number, panelStart: number, panelEnd: number, n: number,
  aPackPtr: number,
) => void;

export interface Int8Kernels {
  /**
   * C[i][j] = clamp(nearest(f32(Σ_k (A[i][k] − aZero)·W[k][j] + bias[j]) · scale[j]
   * (+ f32(res[i][j] − resZero) · resScale)) + outZero, lo, hi) as u8, for rows [0, m) and the
   * columns of panels [panelStart, panelEnd) clipped to n; `resPtr` 0 = no residual (may equal
   * `cPtr` with the same stride). `aPackPtr`: the caller's scratch of `i8_gemm_pack_bytes(m, k)`
   * bytes (each thread its own). 1 ≤ k ≤ 65536, 0 ≤ lo ≤ hi ≤ 255.
   */
  i8_gemm: I8Gemm;
  /**
   * The sums of `i8_gemm` with an f32 epilogue (a quantized network's classifier): C[i][j] =
   * min(max(f32(y) · scale[j], lo), hi) as f32, y = Σ_k (A[i][k] − aZero)·W[k][j] + bias[j] in i32
   * (wrapping as i8_gemm), one f32 multiply (never fused), max(x, lo) = x < lo ? lo : x and
   * min(x, hi) = hi < x ? hi : x, so NaN (only from a non-finite scale) is stored as NaN (sign and
   * payload the CPU's) and −0 stays −0 at lo = 0. C is `[m][n]` f32 at `cRowStrideBytes` (≥ 4n,
   * no alignment needed). Rows, panels, weights, scratch (`i8_gemm_pack_bytes`) and limits as
   * `i8_gemm`; lo ≤ hi (±Infinity allowed, no NaN). Every split of rows or panels gives the same
   * bits.
   */
  i8_gemm_f32: I8GemmF32;
  /**
   * `i8_gemm` summed with i32x4.relaxed_dot_i8x16_i7x16_add_s (assembly/i8-gemm-dot.ts): the same
   * bytes for weights in [−127, 127], on a runtime that computes the instruction right
   * (`Features.relaxedDotI8`). Exported by the relaxed modules only (absent from the baseline
   * ones); same arguments and scratch (`i8_gemm_pack_bytes`).
   */
  i8_gemm_dot?: I8Gemm;
  /** `i8_gemm_f32` on the relaxed dot, as `i8_gemm_dot` is `i8_gemm` (relaxed modules only). */
  i8_gemm_dot_f32?: I8GemmF32;
  /** Scratch bytes i8_gemm needs at `aPackPtr` for m rows of depth k (0 when m < 1 or k outside [1, 65536]). */
  i8_gemm_pack_bytes(m: number, k: number): number;
  /** Bytes of one packed panel of depth k (128 + 16·ceil(k/2)). */
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
  /**
   * int8 Winograd F(2×2, 3×3) (`tile` 2) or F(4×4, 3×3) (`tile` 4) input transform
   * (assembly/i8-winograd.ts): V = Bᵀ (x − zero) B of the output tiles of tile rows
   * [tyStart, tyEnd) of one u8 image, as (tile + 2)² i16 matrices `vMatrixStrideBytes` apart
   * (≥ `i8WinogradVBytes(T, channels)`, T = tiles). 2 ≤ channels ≤ `i8WinogradMaxChannels(tile)`.
   */
  i8_winograd_input_3x3(
    tile: number, inPtr: number, inPixelStrideBytes: number, inH: number, inW: number, channels: number,
    padTop: number, padLeft: number, zero: number, tilesW: number, tyStart: number, tyEnd: number,
    vPtr: number, vMatrixStrideBytes: number,
  ): void;
  /**
   * The rest of an int8 Winograd task for panels [panelStart, panelEnd) of the conv's i8_gemm
   * panels (K = 9·channels, channels even): U′ per panel, (tile + 2)² i16 GEMMs, the output
   * transform and i8_gemm's requantize epilogue into the in-range pixels of the tiles; output
   * pixel (oy, ox), global column j at `cPtr + (oy·outW + ox)·cPixelStrideBytes + j` (`resPtr`
   * likewise, 0 = none). The same bytes as u8_im2col + i8_gemm. `scratchPtr`:
   * `i8WinogradScratchBytes(tile, T, channels)` bytes.
   */
  i8_winograd_3x3(
    tile: number, vPtr: number, vMatrixStrideBytes: number, channels: number,
    wPackedPtr: number, panelStart: number, panelEnd: number, n: number,
    tilesW: number, tyStart: number, tyEnd: number, outH: number, outW: number,
    cPtr: number, cPixelStrideBytes: number, outZero: number, lo: number, hi: number,
    resPtr: number, resPixelStrideBytes: number, resZero: number, resScale: number,
    scratchPtr: number,
  ): void;
  /** `i8_winograd_3x3` with i8_gemm_f32's epilogue (f32 out, 4 bytes per column, clamp [lo, hi]; no residual). */
  i8_winograd_3x3_f32(
    tile: number, vPtr: number, vMatrixStrideBytes: number, channels: number,
    wPackedPtr: number, panelStart: number, panelEnd: number, n: number,
    tilesW: number, tyStart: number, tyEnd: number, outH: number, outW: number,
    cPtr: number, cPixelStrideBytes: number, lo: number, hi: number,
    scratchPtr: number,
  ): void;
  /** Largest input channel count of an int8 Winograd tile (`i8WinogradMaxChannels` without an instance). */
  i8_winograd_max_channels(tile: number): number;
  /** Bytes of one int8 Winograd V matrix (0 outside the limits); `i8WinogradVBytes` without an instance. */
  i8_winograd_v_bytes(tile: number, tiles: number, channels: number): number;
  /** Scratch bytes of `i8_winograd_3x3`; `i8WinogradScratchBytes` without an instance. */
  i8_winograd_scratch_bytes(tile: number, tiles: number, channels: number): number;
  /**
   * int8 1-D Winograd input transform (assembly/i8-winograd-1d.ts): F(2, 7) (r = 7) or F(4, 3)
   * (r = 3) along lines — position k of line l at `inPtr + l·inLineBytes + k·inStepBytes` — of
   * lines [line0, line1) of one image, as α (8 or 6) i16 matrices `vMatrixStrideBytes` apart
   * (≥ `i8WinogradVBytes(T, channels)`). 2 ≤ channels ≤ `i8Winograd1dMaxChannels(r)`.
   */
  i8_winograd_input_1d(
    r: number, inPtr: number, inStepBytes: number, inLineBytes: number, inLen: number, channels: number, pad: number, zero: number,
    tilesPerLine: number, line0: number, line1: number, vPtr: number, vMatrixStrideBytes: number,
  ): void;
  /**
   * The rest of an int8 1-D Winograd task for panels [panelStart, panelEnd) of the conv's i8_gemm
   * panels (K = r·channels, channels even), with i8_gemm's requantize epilogue: output position j
   * of line l, global column k at `cPtr + l·outLineBytes + j·outStepBytes + k` (`resPtr` likewise
   * with its own steps, 0 = none). `scratchPtr`: `i8Winograd1dScratchBytes(r, T, channels)` bytes.
   */
  i8_winograd_1d(
    r: number, vPtr: number, vMatrixStrideBytes: number, channels: number,
    wPackedPtr: number, panelStart: number, panelEnd: number, n: number,
    tilesPerLine: number, line0: number, line1: number, outLen: number,
    cPtr: number, outStepBytes: number, outLineBytes: number, outZero: number, lo: number, hi: number,
    resPtr: number, resStepBytes: number, resLineBytes: number, resZero: number, resScale: number,
    scratchPtr: number,
  ): void;
  /** `i8_winograd_1d` with i8_gemm_f32's epilogue (f32 out, 4 bytes per column, clamp [lo, hi]; no residual). */
  i8_winograd_1d_f32(
    r: number, vPtr: number, vMatrixStrideBytes: number, channels: number,
    wPackedPtr: number, panelStart: number, panelEnd: number, n: number,
    tilesPerLine: number, line0: number, line1: number, outLen: number,
    cPtr: number, outStepBytes: number, outLineBytes: number, lo: number, hi: number,
    scratchPtr: number,
  ): void;
  i8_winograd_1d_max_channels(r: number): number;
  i8_winograd_1d_v_bytes(r: number, tiles: number, channels: number): number;
  i8_winograd_1d_scratch_bytes(r: number, tiles: number, channels: number): number;
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

/** The output tile sides of the int8 Winograd kernels: F(2×2, 3×3) and F(4×4, 3×3). */
export type I8WinogradTile = 2 | 4;

/**
 * Most input channels of an int8 Winograd conv: its transformed sums are 4·acc (tile 2) or
 * 576·acc (tile 4, recovered as 64·acc), exact while 4·9·C·255·128 < 2³¹ (C ≤ 1827) or
 * 64·9·C·255·128 < 2³¹ (C ≤ 114) (assembly/i8-winograd.ts). The kernels also need C even.
 */
export function i8WinogradMaxChannels(tile: I8WinogradTile): number {
  return tile === 2 ? 1827 : 114;
}

/** Input channels padded to whole 8-channel groups, as the int8 Winograd kernels lay V and U′ out. */
function i8WinogradChannels(channels: number): number {
  return Math.ceil(channels / 8) * 8;
}

/** Bytes of one int8 Winograd V matrix: ceil(tiles/4) blocks of 8·cp bytes (the kernel's i8_winograd_v_bytes; the same for both tiles). */
export function i8WinogradVBytes(tiles: number, channels: number): number {
  return Math.ceil(tiles / 4) * 8 * i8WinogradChannels(channels);
}

/** Scratch of i8_winograd_3x3: U′ ((tile + 2)² matrices of 16·cp bytes), M′ ((tile + 2)² × ceil(tiles/4) 4 × 8 i32 tiles) and one tile's accumulators. */
export function i8WinogradScratchBytes(tile: I8WinogradTile, tiles: number, channels: number): number {
  const matrices = (tile + 2) ** 2;
  return matrices * 16 * i8WinogradChannels(channels) + matrices * 128 * Math.ceil(tiles / 4) + 32 * tile * tile;
}

/** Kernel lengths of the int8 1-D Winograd kernels: F(2, 7) for 1×7 / 7×1, F(4, 3) for 1×3 / 3×1. */
export type I8Winograd1dR = 3 | 7;

/** Most input channels of an int8 1-D Winograd conv (360·acc or 24·acc recovered as 8·acc: 8·r·C·255·128 < 2³¹); C must also be even. */
export function i8Winograd1dMaxChannels(r: I8Winograd1dR): number {
  return r === 7 ? 1174 : 2741;
}

/** Transformed matrices of an int8 1-D Winograd tile (α = m + r − 1) and its outputs m. */
export function i8Winograd1dShape(r: I8Winograd1dR): { alpha: number; m: number } {
  return r === 7 ? { alpha: 8, m: 2 } : { alpha: 6, m: 4 };
}

/** Scratch of i8_winograd_1d: U′ (α matrices of 16·cp bytes), M′ (α × ceil(tiles/4) 4 × 8 i32 tiles) and one tile's m accumulator rows. */
export function i8Winograd1dScratchBytes(r: I8Winograd1dR, tiles: number, channels: number): number {
  const { alpha, m } = i8Winograd1dShape(r);
  return alpha * 16 * i8WinogradChannels(channels) + alpha * 128 * Math.ceil(tiles / 4) + 32 * m;
}
