/**
 * Typed access to the convolution helper kernels (contracts in assembly/f32-im2col.ts and
 * assembly/f32-dwconv.ts), and the host-side repacking of depthwise weights into the kernel's
 * `[kernelH][kernelW][inChannels·multiplier]` layout.
 *
 * Output addressing shared by dwconv and the pool kernels: `outPtr` is pixel (0, 0) of the image
 * and pixel (oy, ox) lives at `outPtr + (oy·outW + ox)·outPixelStrideBytes`. im2col instead writes
 * a row block into scratch: row `(oy − oyStart)·outW + ox` at `dstPtr + row·dstRowStrideBytes`.
 */

export interface ConvKernels {
  /**
   * GEMM rows for output rows [oyStart, oyEnd): K = kernelH·kernelW·channels floats per row in
   * (ky, kx, c) order, zeros where the window leaves the image. Byte strides; one image.
   */
  f32_im2col_nhwc(
    inPtr: number, inPixelStrideBytes: number, inH: number, inW: number, channels: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    outW: number, oyStart: number, oyEnd: number,
    dstPtr: number, dstRowStrideBytes: number,
  ): void;

  /**
   * Depthwise convolution, output channel `ci·multiplier + j` reads input channel ci; weights
   * `[kernelH][kernelW][inChannels·multiplier]`; `biasPtr` 0 = no bias; clamp to [lo, hi]
   * (−Infinity/Infinity for none). Rows [oyStart, oyEnd) of one image.
   */
  f32_dwconv_nhwc(
    inPtr: number, inPixelStrideBytes: number, inH: number, inW: number, inChannels: number, multiplier: number,
    kernelH: number, kernelW: number, strideH: number, strideW: number, padTop: number, padLeft: number,
    outW: number, oyStart: number, oyEnd: number,
    wPtr: number, biasPtr: number, outPtr: number, outPixelStrideBytes: number, lo: number, hi: number,
  ): void;
}

export function convKernels(exports: WebAssembly.Exports): ConvKernels {
  return exports as unknown as ConvKernels;
}

/**
 * PyTorch depthwise weight `[Cin·multiplier][1][kernelH][kernelW]` (Conv2d with groups = Cin,
 * output channel o = ci·multiplier + j) → kernel layout `[kernelH][kernelW][Cin·multiplier]`.
 */
export function depthwiseWeightsFromTorch(
  weight: ArrayLike<number>, inChannels: number, multiplier: number, kernelH: number, kernelW: number,
): Float32Array {
  const outChannels = inChannels * multiplier;
  const taps = kernelH * kernelW;
  if (weight.length !== outChannels * taps) {
    throw new RangeError(`inception-wasm: depthwise weight has ${weight.length} values, expected ${outChannels}·${kernelH}·${kernelW}`);
  }
  const out = new Float32Array(outChannels * taps);
  for (let o = 0; o < outChannels; o++) for (let t = 0; t < taps; t++) out[t * outChannels + o] = weight[o * taps + t];
  return out;
}

