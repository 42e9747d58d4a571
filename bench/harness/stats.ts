/**
 * Statistics of benchmark timings: a summary per variant (median, p10/p90, min) and the paired
 * ratio of two variants timed round by round.
 *
 * Paired ratio: for rounds i = 1..n, r_i = num_i / den_i, where num_i and den_i ran moments apart
 * in the same round (bench/harness/interleave.ts); load that drifts across rounds scales both and
 * cancels in r_i, so the median of r_i is steadier than median(num) / median(den). Its interval is
 * a percentile bootstrap of that median (resampling rounds with replacement, a fixed seed, so the
 * same timings always give the same interval).
 */
import { median, percentile } from '../../src/util/stats.js';
import { mulberry32 } from '../../src/util/prng.js';

export { median, percentile };

export interface TimeStats {
  /** Timed runs. */
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
}

/** Median, p10, p90 and min of `times` (all NaN when empty). */
export function timeStats(times: readonly number[]): TimeStats {
  return {
    n: times.length, median: median(times), p10: percentile(times, 0.1), p90: percentile(times, 0.9),
    min: times.length ? Math.min(...times) : NaN,
  };
}

export interface PairedRatio {
  /** Median over rounds of num_i / den_i. */
  median: number;
  /** Bootstrap interval of that median at `confidence`. */
  lo: number;
  hi: number;
  confidence: number;
  /** Rounds paired (the per-round ratios below). */
  rounds: number;
  ratios: number[];
}

export interface PairedOptions {
  /** Coverage of the interval (default 0.95). */
  confidence?: number;
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** PRNG seed of the resampling (default 1). */
  seed?: number;
}

/**
 * The paired ratio num/den (module comment); undefined unless both have the same, non-zero number
 * of runs (a variant that failed mid-way has no pairs).
 */
export function pairedRatio(num: readonly number[], den: readonly number[], options: PairedOptions = {}): PairedRatio | undefined {
  if (num.length === 0 || num.length !== den.length) return undefined;
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? 2000;
  const ratios = num.map((x, i) => x / den[i]!);
  const next = mulberry32(options.seed ?? 1);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(ratios.length);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < ratios.length; i++) sample[i] = ratios[Math.floor(next() * ratios.length)]!;
    medians[b] = median(sample);
  }
  const tail = (1 - confidence) / 2;
  const bootstrapped = Array.from(medians);
  return {
    median: median(ratios), lo: percentile(bootstrapped, tail), hi: percentile(bootstrapped, 1 - tail), confidence,
    rounds: ratios.length, ratios,
  };
}
