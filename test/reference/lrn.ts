/**
 * Reference local response normalisation across channels on dense NHWC data `[pixels, channels]`,
 * in float64, as the ONNX LRN operator defines it (Caffe ACROSS_CHANNELS for odd sizes):
 * y[c] = x[c] / (k + alpha/size · Σ_{c'} x[c']²)^beta over
 * c' ∈ [max(0, c − ⌊(size−1)/2⌋), min(C−1, c + ⌈(size−1)/2⌉)].
 */

import type { LrnParams } from '../../src/bindings/kernels/normalize.js';

export type { LrnParams };

export function lrnReference(x: ArrayLike<number>, channels: number, p: LrnParams): Float64Array {
  if (x.length % channels !== 0) throw new Error(`lrnReference: ${x.length} values is not a multiple of ${channels}`);
  const before = Math.floor((p.size - 1) / 2);
  const after = Math.ceil((p.size - 1) / 2);
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let j = Math.max(0, c - before); j <= Math.min(channels - 1, c + after); j++) sum += x[base + j] ** 2;
      y[base + c] = x[base + c] / Math.pow(p.k + (p.alpha / p.size) * sum, p.beta);
    }
  }
  return y;
}
