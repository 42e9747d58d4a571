/**
 * Typed access to the pooling kernels (contracts in assembly/f32-pool.ts). NHWC, one image per
 * call, byte strides. Output addressing (as dwconv): `outPtr` is pixel (0, 0) of the image and
 * pixel (oy, ox) lives at `outPtr + (oy·outW + ox)·outPixelStrideBytes`; rows [oyStart, oyEnd)
 * are written. Take outW/outH and the pads from geometry.ts `resolveWindow` (ceil mode, SAME).
 */

export interface PoolKernels {
  /** Max over the in-image taps of each window (padding never wins). */
  f32_maxpool_nhwc(
    inPtr: number, inPixelStrideBytes: number, inH: number, inW: number, channels: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    outW: number, oyStart: number, oyEnd: number,
    outPtr: number, outPixelStrideBytes: number,
  ): void;

  /**
   * Window sum of in-image taps divided by: countIncludePad 1 — the window clipped to the padded
   * extent (PyTorch default, Caffe); 0 — the in-image tap count (TF/Keras, timm v4/IRv2).
   */
  f32_avgpool_nhwc(
    inPtr: number, inPixelStrideBytes: number, inH: number, inW: number, channels: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number,
    padTop: number, padLeft: number, padBottom: number, padRight: number, countIncludePad: 0 | 1,
    outW: number, oyStart: number, oyEnd: number,
    outPtr: number, outPixelStrideBytes: number,
  ): void;

  /**
   * Mean over `pixels` pixels into `channels` dense floats at outPtr. Split across threads by
   * channel ranges: offset both pointers by 4·c0 bytes and pass channels = c1 − c0.
   */
  f32_global_avgpool_nhwc(inPtr: number, inPixelStrideBytes: number, pixels: number, channels: number, outPtr: number): void;
}

export function poolKernels(exports: WebAssembly.Exports): PoolKernels {
  return exports as unknown as PoolKernels;
}
