/**
 * `npx tsx bench/loader.ts`: the cost per JS→wasm call of `@assemblyscript/loader` against plain
 * `WebAssembly.Instance` exports, on one small kernel call (the engine makes one call per task).
 * The reason the engine instantiates without the loader is in the README.
 */
import * as loader from '@assemblyscript/loader';
import { Arena } from '../src/bindings/arena.js';
import { compileKernelModule, instantiateKernels } from '../src/bindings/wasm-module.js';

const module = await compileKernelModule({ build: 'baseline', shared: true });
const arena = new Arena({ shared: true });
const plain = instantiateKernels(module, arena.memory) as unknown as { f32_add_nhwc: (...a: number[]) => void };
const viaLoader = (await loader.instantiate<typeof plain>(module, { env: { memory: arena.memory } })).exports;
const a = arena.putF32(new Float32Array(4).fill(1));
const CALLS = 2_000_000;

function nsPerCall(f: (...a: number[]) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i++) f(a, a, a, 1, 4, 16, 16, 16, 0, -Infinity, Infinity);
  return ((performance.now() - t0) * 1e6) / CALLS;
}

const rounds: [number, number][] = [];
for (let r = 0; r < 5; r++) rounds.push([nsPerCall(plain.f32_add_nhwc), nsPerCall(viaLoader.f32_add_nhwc)]);
const best = (i: 0 | 1) => Math.min(...rounds.map((x) => x[i]));
console.log(`plain exports: ${best(0).toFixed(1)} ns/call; @assemblyscript/loader: ${best(1).toFixed(1)} ns/call (best of 5 × ${CALLS} calls of a 4-float add)`);
