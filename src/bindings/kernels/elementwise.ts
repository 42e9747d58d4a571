/** Typed access to the elementwise kernels (contracts in assembly/f32-elementwise.ts). */

export interface ElementwiseKernels {
  /**
   * y[p, c] = clamp(a[p, c] + scale·b[p, c], lo, hi) over `pixels` NHWC pixels of `channels`
   * floats; pixel strides in bytes. In place: y == a or y == b (same stride).
   */
  f32_add_nhwc(
    aPtr: number, bPtr: number, yPtr: number,
    pixels: number, channels: number,
    aPixelStrideBytes: number, bPixelStrideBytes: number, yPixelStrideBytes: number,
    scale: number, lo: number, hi: number,
  ): void;
  /**
   * y[p, c] = clamp(scale·a[p, c], lo, hi): standalone ReLU (1, 0, +∞) and strided view copies
   * (1, −∞, +∞). Pixel strides in bytes. In place: y == a (same stride).
   */
  f32_scale_nhwc(
    aPtr: number, yPtr: number,
    pixels: number, channels: number,
    aPixelStrideBytes: number, yPixelStrideBytes: number,
    scale: number, lo: number, hi: number,
  ): void;
}

export function elementwiseKernels(exports: WebAssembly.Exports): ElementwiseKernels {
  return exports as unknown as ElementwiseKernels;
}
