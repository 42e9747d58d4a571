/** Typed access to the elementwise kernels (contracts in assembly/f32-elementwise.ts). */

export interface ElementwiseKernels {
  /** y[p, c] = clamp(a[p, c] + scale·b[p, c], lo, hi) over `pixels` NHWC pixels; strides in bytes. */
  f32_add_nhwc(
    aPtr: number, bPtr: number, yPtr: number,
    pixels: number, channels: number,
    aPixelStrideBytes: number, bPixelStrideBytes: number, yPixelStrideBytes: number,
    scale: number, lo: number, hi: number,
  ): void;
}

export function elementwiseKernels(exports: WebAssembly.Exports): ElementwiseKernels {
  return exports as unknown as ElementwiseKernels;
}
