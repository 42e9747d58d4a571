/**
 * What the results keep of our session, shared by the Node loader (bench/peers/runtime-ours.ts)
 * and the Chromium page (bench/peers/browser-page.ts); no Node imports.
 */
import type { RuntimeFeatures, TimeSplit } from './runtimes.js';

/** The probe answers the results keep (`relaxedDotI8` absent means false: src/bindings/features.ts). */
export function oursFeatures(f: { simd: boolean; relaxedSimd: boolean; relaxedDotI8?: boolean; threads: boolean; cores: number }): RuntimeFeatures {
  return { simd: f.simd, relaxedSimd: f.relaxedSimd, relaxedDotI8: f.relaxedDotI8 ?? false, threads: f.threads, cores: f.cores };
}

/** `session.profile()`'s steps → ms per step kind and the 8 slowest steps. */
export function timeSplit(steps: readonly { name: string; kind: string; shape: number[]; ms: number; gflops: number }[]): TimeSplit {
  const byKindMs: Record<string, number> = {};
  for (const s of steps) byKindMs[s.kind] = (byKindMs[s.kind] ?? 0) + s.ms;
  const slowest = [...steps].sort((a, b) => b.ms - a.ms).slice(0, 8)
    .map(({ name, kind, shape, ms, gflops }) => ({ name, kind, shape, ms, gflops }));
  return { totalMs: steps.reduce((s, p) => s + p.ms, 0), byKindMs, slowest };
}
