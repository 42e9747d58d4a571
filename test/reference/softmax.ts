/** Reference softmax over the last axis of dense `[rows, n]` data, in float64 (max-subtracted). */
export function softmaxReference(x: ArrayLike<number>, n: number): Float64Array {
  if (x.length % n !== 0) throw new Error(`softmaxReference: ${x.length} values is not a multiple of ${n}`);
  const y = new Float64Array(x.length);
  for (let base = 0; base < x.length; base += n) {
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, x[base + i]);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.exp(x[base + i] - max);
    for (let i = 0; i < n; i++) y[base + i] = Math.exp(x[base + i] - max) / sum;
  }
  return y;
}
