/** Small statistics for the benchmark: percentiles of run times and the output check against ours. */

/** The q-quantile (0 ≤ q ≤ 1) of `values` by linear interpolation between order statistics. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * Median over rounds of ours[i] / theirs[i], for runs interleaved round by round: each ratio pairs
 * two runs made moments apart, so load that drifts across rounds cancels. Undefined unless both
 * have the same number of runs.
 */
export function pairedRatio(ours: readonly number[], theirs: readonly number[]): number | undefined {
  if (ours.length === 0 || ours.length !== theirs.length) return undefined;
  return percentile(ours.map((o, i) => o / theirs[i]), 0.5);
}

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
