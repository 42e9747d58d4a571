/**
 * The bench kernel modules (build/bench-<build>.wasm, built by scripts/build-wasm.mjs): the shipped
 * kernels plus the SIMD peak loop of assembly/f32-peak.ts, which the GEMM benchmark rates against
 * and the engine never needs. Shared memory only.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileKernelModule, type KernelBuild } from '../src/bindings/wasm-module.js';

export interface PeakKernels {
  /** `iterations` steps of f32_peak_chains() independent f32x4 multiply-add chains; returns a checksum. */
  f32_peak_madd(iterations: number): number;
  /** Number of chains in f32_peak_madd. */
  f32_peak_chains(): number;
}

export function peakKernels(exports: WebAssembly.Exports): PeakKernels {
  return exports as unknown as PeakKernels;
}

/** Floating-point operations of one f32_peak_madd call (4 lanes, multiply + add). */
export function peakMaddFlops(iterations: number, chains: number): number {
  return iterations * chains * 4 * 2;
}

/** Where the bench module of `build` is. */
export function benchKernelUrl(build: KernelBuild): URL {
  return new URL(`../build/bench-${build}.wasm`, import.meta.url);
}

/** Compiles the bench module of `build` (shared memory); says how to build it when it is missing. */
export async function compileBenchModule(build: KernelBuild): Promise<WebAssembly.Module> {
  const url = benchKernelUrl(build);
  if (!existsSync(fileURLToPath(url))) throw new Error(`build/bench-${build}.wasm is missing: run \`npm run build:wasm\` (it builds the bench modules too)`);
  return compileKernelModule({ build, shared: true }, url);
}
