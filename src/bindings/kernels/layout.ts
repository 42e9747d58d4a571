/**
 * Typed access to the layout kernels (contracts in assembly/f32-transpose.ts). Both move one
 * image; split a conversion across threads by channel ranges (see the kernel contracts).
 */

export interface LayoutKernels {
  /** Dense NCHW image `[channels][height][width]` → NHWC view (pixel stride in bytes ≥ 4·channels). Bit-exact. */
  f32_nchw_to_nhwc(
    inPtr: number, channels: number, height: number, width: number,
    outPtr: number, outPixelStrideBytes: number,
  ): void;
  /** NHWC view (pixel stride in bytes ≥ 4·channels) → dense NCHW image `[channels][height][width]`. Bit-exact. */
  f32_nhwc_to_nchw(
    inPtr: number, inPixelStrideBytes: number, channels: number, height: number, width: number,
    outPtr: number,
  ): void;
}

export function layoutKernels(exports: WebAssembly.Exports): LayoutKernels {
  return exports as unknown as LayoutKernels;
}
