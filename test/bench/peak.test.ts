/**
 * The bench kernel modules: the SIMD peak loop bench/kernels.ts rates the GEMM against (it lives
 * only in build/bench-*.wasm), and the same kernels as the shipped module of the same build.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileBenchModule, peakKernels } from '../../bench/peak.js';
import { Arena } from '../../src/bindings/arena.js';
import { features } from '../../src/bindings/features.js';
import { defaultKernelUrl, instantiateKernels } from '../../src/bindings/wasm-module.js';

for (const build of ['baseline', 'relaxed'] as const) {
  describe(`bench module (${build})`, () => {
    it('f32_peak_madd has ≥ 10 chains and returns a finite checksum', async () => {
      expect((await features()).relaxedSimd, 'relaxed SIMD must be enabled').toBe(true);
      const arena = new Arena({ shared: true });
      const g = peakKernels(instantiateKernels(await compileBenchModule(build), arena.memory));
      expect(g.f32_peak_chains()).toBeGreaterThanOrEqual(10);
      for (const iterations of [0, 1, 1000, 100_000]) expect(Number.isFinite(g.f32_peak_madd(iterations))).toBe(true);
      expect(g.f32_peak_madd(1000)).not.toBe(g.f32_peak_madd(0));
    });

    it('exports every kernel of the shipped module, plus the peak loop only', async () => {
      const names = (m: WebAssembly.Module) => WebAssembly.Module.exports(m).map((e) => e.name).sort();
      const shipped = names(new WebAssembly.Module(readFileSync(defaultKernelUrl({ build, shared: true }))));
      const bench = names(await compileBenchModule(build));
      expect(bench.filter((n) => !shipped.includes(n))).toEqual(['f32_peak_chains', 'f32_peak_madd']);
      expect(shipped.filter((n) => !bench.includes(n))).toEqual([]);
    });
  });
}
