/**
 * Order statistics of timings, shared by the CLI (`demo`) and the benchmark harness (bench/harness/).
 * One definition of a quantile everywhere, so a median printed by `demo` and one in a bench report
 * are the same statistic.
 */

/** The q-quantile (0 ≤ q ≤ 1) of `values` by linear interpolation between order statistics; NaN when empty. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** The median (mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}
