/**
 * The output check of the end-to-end benchmark: a peer's logits against ours. (Timing statistics
 * are the harness's: bench/harness/stats.ts.)
 */

export interface OutputCheck {
  /** max |peer − ours| over the logits. */
  maxAbsDiff: number;
  /** Standard deviation of our logits (the scale the difference is judged on). */
  referenceStd: number;
  /** maxAbsDiff / referenceStd. */
  relative: number;
  tolerance: number;
  ok: boolean;
}

/**
 * Compares a peer's logits with ours: passes when max |Δ| ≤ `tolerance` · std(ours). Lengths must
 * match; a NaN anywhere fails.
 */
export function checkOutput(ours: Float32Array, theirs: Float32Array, tolerance: number): OutputCheck {
  if (ours.length !== theirs.length) {
    return { maxAbsDiff: Infinity, referenceStd: NaN, relative: Infinity, tolerance, ok: false };
  }
  let mean = 0;
  for (const v of ours) mean += v;
  mean /= ours.length;
  let variance = 0;
  let maxAbsDiff = 0;
  for (let i = 0; i < ours.length; i++) {
    variance += (ours[i] - mean) ** 2;
    const d = Math.abs(ours[i] - theirs[i]);
    maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
  }
  const referenceStd = Math.sqrt(variance / ours.length);
  const relative = maxAbsDiff / referenceStd;
  return { maxAbsDiff, referenceStd, relative, tolerance, ok: relative <= tolerance };
}
