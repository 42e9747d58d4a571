/**
 * Reading a classifier's output: softmax over logits and the top-k classes with their names.
 */

/** Numerically stable softmax of one row (float64 sums), as a new Float32Array. */
export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  for (let i = 0; i < logits.length; i++) out[i] = Math.exp(logits[i] - max) / sum;
  return out;
}

export interface TopClass {
  /** Output index (for a 1001-output tf-slim network, index 0 is the background class). */
  index: number;
  label: string;
  probability: number;
}

/**
 * The `k` highest scores of `probabilities`, best first (ties: lower index first), named from
 * `labels` when given (else 'class <index>'). Throws when `labels` is given with the wrong length.
 */
export function topK(probabilities: ArrayLike<number>, k: number, labels?: readonly string[]): TopClass[] {
  if (labels && labels.length !== probabilities.length) {
    throw new Error(`${labels.length} labels for ${probabilities.length} outputs; the label list must have one name per output`);
  }
  const order = Array.from({ length: probabilities.length }, (_, i) => i);
  order.sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((index) => ({
    index, label: labels?.[index] ?? `class ${index}`, probability: probabilities[index],
  }));
}
