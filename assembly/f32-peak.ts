/**
 * f32_peak_madd: the machine's SIMD multiply-add peak, to rate the GEMM against in the same run.
 *
 *   12 independent chains x_j ← x_j · m + d (f32x4; FMA `f32x4.relaxed_madd` in the relaxed build,
 *   mul then add in the baseline), `iterations` steps each; returns Σ of all lanes so the work is
 *   not optimised away. FLOPs = iterations × f32_peak_chains() × 4 lanes × 2.
 *
 * Twelve chains cover FMA latency × throughput (4 cycles × 2 pipes) with room to spare and stay
 * under the 15 allocatable xmm registers of V8 (12 accumulators + m + d). In the baseline each
 * chain is mul → add (6 cycles × 2 per cycle = 12 chains); other mul+add loops (mul off the
 * chain, paired mul/add chains) measured the same ~30 GFLOP/s on the dev VM, and the baseline
 * GEMM reaches ~100 % of it: that is this machine's mul+add throughput in V8 code.
 * No memory is read or written; the chains converge to d / (1 − m) and stay finite (and far
 * from subnormal) for any iteration count. One thread per call: run it on each thread for a
 * multi-core figure.
 */

@inline const CHAINS: i32 = 12;

/** Number of independent chains in f32_peak_madd (the host multiplies FLOPs by it). */
export function f32_peak_chains(): i32 {
  return CHAINS;
}

export function f32_peak_madd(iterations: i32): f32 {
  const m = f32x4.splat(0.99999);
  const d = f32x4.splat(1e-6);
  let x0 = f32x4.splat(0.0), x1 = f32x4.splat(0.1), x2 = f32x4.splat(0.2), x3 = f32x4.splat(0.3);
  let x4 = f32x4.splat(0.4), x5 = f32x4.splat(0.5), x6 = f32x4.splat(0.6), x7 = f32x4.splat(0.7);
  let x8 = f32x4.splat(0.8), x9 = f32x4.splat(0.9), x10 = f32x4.splat(1.0), x11 = f32x4.splat(1.1);
  for (let i = 0; i < iterations; i++) {
    if (ASC_FEATURE_RELAXED_SIMD) {
      x0 = f32x4.relaxed_madd(x0, m, d);
      x1 = f32x4.relaxed_madd(x1, m, d);
      x2 = f32x4.relaxed_madd(x2, m, d);
      x3 = f32x4.relaxed_madd(x3, m, d);
      x4 = f32x4.relaxed_madd(x4, m, d);
      x5 = f32x4.relaxed_madd(x5, m, d);
      x6 = f32x4.relaxed_madd(x6, m, d);
      x7 = f32x4.relaxed_madd(x7, m, d);
      x8 = f32x4.relaxed_madd(x8, m, d);
      x9 = f32x4.relaxed_madd(x9, m, d);
      x10 = f32x4.relaxed_madd(x10, m, d);
      x11 = f32x4.relaxed_madd(x11, m, d);
    } else {
      x0 = f32x4.add(f32x4.mul(x0, m), d);
      x1 = f32x4.add(f32x4.mul(x1, m), d);
      x2 = f32x4.add(f32x4.mul(x2, m), d);
      x3 = f32x4.add(f32x4.mul(x3, m), d);
      x4 = f32x4.add(f32x4.mul(x4, m), d);
      x5 = f32x4.add(f32x4.mul(x5, m), d);
      x6 = f32x4.add(f32x4.mul(x6, m), d);
      x7 = f32x4.add(f32x4.mul(x7, m), d);
      x8 = f32x4.add(f32x4.mul(x8, m), d);
      x9 = f32x4.add(f32x4.mul(x9, m), d);
      x10 = f32x4.add(f32x4.mul(x10, m), d);
      x11 = f32x4.add(f32x4.mul(x11, m), d);
    }
  }
  let s = f32x4.add(f32x4.add(f32x4.add(x0, x1), f32x4.add(x2, x3)), f32x4.add(f32x4.add(x4, x5), f32x4.add(x6, x7)));
  s = f32x4.add(s, f32x4.add(f32x4.add(x8, x9), f32x4.add(x10, x11)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
