/**
 * References for the elementwise ops on dense NHWC data (any shape: the ops are per element),
 * in float64. Clamp bounds default to none.
 */

export interface ClampBounds {
  lo: number;
  hi: number;
}

const NO_CLAMP: ClampBounds = { lo: -Infinity, hi: Infinity };

function clamp(v: number, { lo, hi }: ClampBounds): number {
  return Math.min(Math.max(v, lo), hi);
}

/** y = clamp(a + scale·b, lo, hi) elementwise (Inception-ResNet residual: scale = the block's scale, ReLU). */
export function addReference(
  a: ArrayLike<number>, b: ArrayLike<number>, scale = 1, bounds: ClampBounds = NO_CLAMP,
): Float64Array {
  if (a.length !== b.length) throw new Error(`addReference: ${a.length} vs ${b.length} values`);
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = clamp(a[i] + scale * b[i], bounds);
  return y;
}

/** y = clamp(scale·a, lo, hi) elementwise (ReLU: scale 1, lo 0). */
export function scaleReference(a: ArrayLike<number>, scale = 1, bounds: ClampBounds = NO_CLAMP): Float64Array {
  const y = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) y[i] = clamp(scale * a[i], bounds);
  return y;
}
