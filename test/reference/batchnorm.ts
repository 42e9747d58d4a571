/**
 * Reference inference BatchNorm on dense NHWC data `[..., channels]`, in float64, straight from
 * the definition (not the folded scale/shift form the kernel uses):
 * y = clamp((x − mean[c]) / √(var[c] + eps) · gamma[c] + beta[c], lo, hi); gamma absent = 1, beta absent = 0.
 */
import type { ClampBounds } from './elementwise.js';

export interface BatchNormStats {
  gamma?: ArrayLike<number>;
  beta?: ArrayLike<number>;
  mean: ArrayLike<number>;
  var: ArrayLike<number>;
  eps: number;
}

export function batchNormReference(
  x: ArrayLike<number>, channels: number, stats: BatchNormStats,
  bounds: ClampBounds = { lo: -Infinity, hi: Infinity },
): Float64Array {
  if (x.length % channels !== 0) throw new Error(`batchNormReference: ${x.length} values is not a multiple of ${channels}`);
  const y = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    const gamma = stats.gamma ? stats.gamma[c] : 1;
    const beta = stats.beta ? stats.beta[c] : 0;
    const v = ((x[i] - stats.mean[c]) / Math.sqrt(stats.var[c] + stats.eps)) * gamma + beta;
    y[i] = Math.min(Math.max(v, bounds.lo), bounds.hi);
  }
  return y;
}
