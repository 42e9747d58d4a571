/**
 * Typed access to the GEMM family: the packed-panel GEMM and weight packing (with BatchNorm fold)
 * (contracts in assembly/f32-gemm.ts, f32-pack.ts), plus the host-side arithmetic that goes with
 * them: packed sizes, row blocks, FLOP counts. The SIMD peak loop is benchmark code (bench/peak.ts).
 */

/** Columns per packed weight panel. */
export const GEMM_NR = 8;

export interface GemmKernels {
  /**
   * C[i][j] = clamp((res[i][j] + resScale·)?(Σ_k A[i][k]·W[k][j] + bias[j]), lo, hi) for rows
   * [0, m) and the columns of panels [panelStart, panelEnd) clipped to n; `resPtr` 0 = no
   * residual (may equal `cPtr` with the same stride). `aPackPtr`: the caller's scratch of
   * `f32_gemm_pack_bytes(m, k)` bytes, where A is copied in blocks of MR rows (each thread its
   * own). Pointers are byte offsets, strides bytes.
   */
  f32_gemm(
    aPtr: number, aRowStrideBytes: number,
    wPackedPtr: number, k: number,
    cPtr: number, cRowStrideBytes: number,
    resPtr: number, resRowStrideBytes: number, resScale: number,
    lo: number, hi: number,
    m: number, panelStart: number, panelEnd: number, n: number,
    aPackPtr: number,
  ): void;
  /** Scratch bytes f32_gemm needs at `aPackPtr` for m rows of depth k (0 when m or k < 1). */
  f32_gemm_pack_bytes(m: number, k: number): number;
  /** Rows per micro-kernel tile in this build; row blocks that are multiples of it keep tiles full. */
  f32_gemm_mr(): number;
  /**
   * Packs conv/FC weights, OIHW `[out][in][kh][kw]` (an FC weight `[out][in]` with kh = kw = 1), into `packedGemmWeightsFloats(outChannels,
   * kernelH·kernelW·inChannels)` floats at `dstPtr`, folding BatchNorm when `meanPtr` != 0:
   * w' = w·γ/√(var+eps), b' = (b − mean)·γ/√(var+eps) + β (f64, rounded once). 0 = absent
   * (bias 0, γ 1, β 0).
   */
  f32_pack_gemm_weights(
    srcPtr: number,
    outChannels: number, inChannels: number, kernelH: number, kernelW: number,
    biasPtr: number, gammaPtr: number, betaPtr: number, meanPtr: number, varPtr: number, eps: number,
    dstPtr: number,
  ): void;
}

export function gemmKernels(exports: WebAssembly.Exports): GemmKernels {
  return exports as unknown as GemmKernels;
}

/** Number of 8-column panels for n output columns. */
export function gemmPanels(n: number): number {
  return Math.ceil(n / GEMM_NR);
}

/** Floats of a packed weight block: ceil(n/8) panels of bias[8] + k·8 weights. */
export function packedGemmWeightsFloats(n: number, k: number): number {
  return gemmPanels(n) * (GEMM_NR + GEMM_NR * k);
}

/** Floating-point operations of one GEMM (a multiply-add counts 2). */
export function gemmFlops(m: number, n: number, k: number): number {
  return 2 * m * n * k;
}

/**
 * Splits rows [0, m) into at most `parts` blocks whose sizes are multiples of `mr` (except the
 * last), for handing out as thread tasks; returns [start, end) pairs. Results do not depend on
 * the split (each output is computed the same way), only speed does.
 */
export function gemmRowBlocks(m: number, mr: number, parts: number): Array<[number, number]> {
  const tiles = Math.ceil(m / mr);
  const count = Math.max(1, Math.min(parts, tiles));
  const blocks: Array<[number, number]> = [];
  for (let b = 0; b < count; b++) {
    const start = Math.floor((b * tiles) / count) * mr;
    const end = Math.min(m, Math.floor(((b + 1) * tiles) / count) * mr);
    if (end > start) blocks.push([start, end]);
  }
  return blocks;
}
