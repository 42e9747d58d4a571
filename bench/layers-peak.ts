/**
 * Our SIMD peak loop, sampled inside bench:layers right around each per-layer round, so the floor
 * (bench/layers-ceiling.ts) is measured under the same load as the layers it bounds.
 *
 * The loop is `f32_peak_madd` of the bench module of the session's build (build/bench-<build>.wasm,
 * bench/peak.ts), on the calling thread: the thread `session.profile()` runs the steps on. Each
 * sample is one call of about `sampleMs`; the figure is the median of all samples.
 */
import { Arena } from '../src/bindings/arena.js';
import { instantiateKernels, type KernelBuild } from '../src/bindings/wasm-module.js';
import { median } from './harness/index.js';
import { compileBenchModule, peakKernels, peakMaddFlops } from './peak.js';

export interface PeakProbe {
  build: KernelBuild;
  chains: number;
  /** Iterations per sample, set once so that a sample takes about `sampleMs`. */
  iterations: number;
  /** GFLOP/s of every sample so far. */
  samples: number[];
  /** Takes `count` samples; returns their GFLOP/s. */
  sample(count: number): number[];
}

/** The part of a run's result that describes the peak loop. */
export interface PeakResult {
  build: KernelBuild;
  /** Median of `samples`. */
  gflops: number;
  samples: number[];
  iterations: number;
  chains: number;
}

/** Calls before sampling: V8 runs a wasm function in Liftoff until it tiers up, on a later call (no OSR). */
const WARM_CALLS = 30;
const WARM_ITERATIONS = 200_000;

/** A probe over the bench module of `build`, warmed up and calibrated to about `sampleMs` a sample. */
export async function createPeakProbe(build: KernelBuild, sampleMs = 10): Promise<PeakProbe> {
  const arena = new Arena({ shared: true });
  const g = peakKernels(instantiateKernels(await compileBenchModule(build), arena.memory));
  const chains = g.f32_peak_chains();
  let sink = 0;
  for (let i = 0; i < WARM_CALLS; i++) sink += g.f32_peak_madd(WARM_ITERATIONS);
  const t0 = performance.now();
  sink += g.f32_peak_madd(10 * WARM_ITERATIONS);
  const calibrationMs = Math.max(performance.now() - t0, 1e-3);
  const iterations = Math.max(WARM_ITERATIONS, Math.round((10 * WARM_ITERATIONS * sampleMs) / calibrationMs));
  if (!Number.isFinite(sink)) throw new Error('f32_peak_madd returned a non-finite checksum');
  const flops = peakMaddFlops(iterations, chains);
  const probe: PeakProbe = {
    build, chains, iterations, samples: [],
    sample(count) {
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const start = performance.now();
        sink += g.f32_peak_madd(iterations);
        out.push(flops / ((performance.now() - start) * 1e6));
      }
      probe.samples.push(...out);
      return out;
    },
  };
  return probe;
}

export function peakResult(probe: PeakProbe): PeakResult {
  if (probe.samples.length === 0) throw new Error('the peak loop was never sampled');
  return { build: probe.build, gflops: median(probe.samples), samples: [...probe.samples], iterations: probe.iterations, chains: probe.chains };
}
