/**
 * `npx tsx bench/int8.ts [-- --builds baseline,relaxed] [--seconds 0.5] [--json]`
 *
 * Single-threaded i8_gemm (u8 × i8 → u8 with the requantize epilogue) against f32_gemm (ReLU
 * epilogue) at a few Inception-v3 299×299 conv shapes (M = outH·outW, N = out channels,
 * K = kh·kw·in channels), in one process, calls of the two kernels interleaved: the ratio column
 * is same-run and same-shape, which is what survives a shared, noisy machine. Each kernel keeps
 * its fastest call (min over repeats) per shape. GOP/s counts a multiply-add as 2 operations.
 * A and W are seeded; i8 A dense [M][K] u8, f32 A dense [M][K]; outputs dense [M][N].
 */
import { Arena } from '../src/bindings/arena.js';
import { features } from '../src/bindings/features.js';
import { gemmFlops, packedGemmWeightsFloats, type GemmKernels, gemmKernels } from '../src/bindings/kernels/gemm.js';
import { int8Kernels, packedI8GemmBytes, type Int8Kernels } from '../src/bindings/kernels/int8.js';
import { compileKernelModule, instantiateKernels, type KernelBuild } from '../src/bindings/wasm-module.js';
import { mulberry32 } from '../src/util/prng.js';
import { parseOrExit } from './harness/index.js';

const values = parseOrExit({
  builds: { type: 'strings', default: ['baseline', 'relaxed'], choices: ['baseline', 'relaxed'], help: 'kernel builds' },
  seconds: { type: 'number', default: 0.5, positive: true, help: 'time per kernel per shape' },
  json: { type: 'boolean', help: 'print the rows as JSON' },
}, process.argv.slice(2), {
  command: 'npx tsx bench/int8.ts --',
  summary: 'Single-threaded int8 GEMM vs f32 GEMM at Inception-v3 conv shapes, interleaved in one process.',
});

/** Inception-v3 (299×299) conv GEMMs: [name, M, N, K]. */
const SHAPES: Array<[string, number, number, number]> = [
  ['Conv2d_2b_3x3', 147 * 147, 64, 3 * 3 * 32],
  ['Conv2d_4a_3x3', 71 * 71, 192, 3 * 3 * 80],
  ['Mixed_5b 1x1', 35 * 35, 64, 192],
  ['Mixed_6b 1x7', 17 * 17, 128, 7 * 128],
  ['Mixed_7a 3x3 s2', 8 * 8, 320, 3 * 3 * 192],
  ['Mixed_7c 1x1', 8 * 8, 448, 2048],
];

interface Row {
  build: KernelBuild;
  shape: string;
  m: number;
  n: number;
  k: number;
  f32GOps: number;
  i8GOps: number;
  /** f32 time / i8 time (> 1: int8 faster). */
  speedup: number;
}

/** Fastest f32_gemm and i8_gemm call (ms) at one shape, calls interleaved for about `seconds` each. */
async function timeShape(f: GemmKernels, q: Int8Kernels, arena: Arena, m: number, n: number, k: number, seconds: number): Promise<{ bestF: number; bestQ: number }> {
  const mark = arena.mark();
  const next = mulberry32(m ^ (n << 8) ^ k);
  const aF = arena.allocF32(m * k);
  arena.f32(aF, m * k).forEach((_, i, v) => (v[i] = next() - 0.5));
  const wF = arena.allocF32(packedGemmWeightsFloats(n, k));
  arena.f32(wF, packedGemmWeightsFloats(n, k)).forEach((_, i, v) => (v[i] = next() - 0.5));
  const cF = arena.allocF32(m * n);
  const packF = arena.alloc(f.f32_gemm_pack_bytes(m, k));
  const aQ = arena.alloc(m * k);
  arena.u8(aQ, m * k).forEach((_, i, v) => (v[i] = Math.floor(next() * 256)));
  const src = arena.alloc(n * k);
  arena.u8(src, n * k).forEach((_, i, v) => (v[i] = Math.floor(next() * 256)));
  const scale = arena.putF32(Float32Array.from({ length: n }, () => 1e-4));
  const wQ = arena.alloc(packedI8GemmBytes(n, k));
  q.i8_pack_gemm_weights(src, n, k, 1, 1, 0, scale, wQ);
  const cQ = arena.alloc(m * n);
  const packQ = arena.alloc(q.i8_gemm_pack_bytes(m, k));
  const panels = Math.ceil(n / 8);
  const runF = () => f.f32_gemm(aF, 4 * k, wF, k, cF, 4 * n, 0, 0, 1, 0, Infinity, m, 0, panels, n, packF);
  const runQ = () => q.i8_gemm(aQ, k, 128, wQ, k, cQ, n, 0, 0, 255, 0, 0, 0, 1, m, 0, panels, n, packQ);
  let bestF = Infinity;
  let bestQ = Infinity;
  const end = performance.now() + 2000 * seconds;
  for (let i = 0; i < 3 || performance.now() < end; i++) {
    let t = performance.now();
    runF();
    bestF = Math.min(bestF, performance.now() - t);
    t = performance.now();
    runQ();
    bestQ = Math.min(bestQ, performance.now() - t);
  }
  arena.release(mark);
  return { bestF, bestQ };
}

async function benchBuild(build: KernelBuild): Promise<Row[]> {
  const module = await compileKernelModule({ build, shared: true });
  const arena = new Arena({ shared: true, initialBytes: 256 << 20 });
  const exports = instantiateKernels(module, arena.memory);
  const f: GemmKernels = gemmKernels(exports);
  const q: Int8Kernels = int8Kernels(exports);
  const rows: Row[] = [];
  // Warm-up: V8 starts wasm in its baseline compiler and tiers up per function after enough
  // calls; a sweep's first large shape would otherwise time the unoptimised code.
  for (const [, m, n, k] of [['', 64, 64, 64] as const, ...SHAPES]) await timeShape(f, q, arena, m, n, k, 0.05);
  for (const [shape, m, n, k] of SHAPES) {
    const { bestF, bestQ } = await timeShape(f, q, arena, m, n, k, values.seconds);
    const ops = gemmFlops(m, n, k);
    rows.push({ build, shape, m, n, k, f32GOps: ops / bestF / 1e6, i8GOps: ops / bestQ / 1e6, speedup: bestF / bestQ });
  }
  return rows;
}

const feats = await features();
const rows: Row[] = [];
for (const build of values.builds as KernelBuild[]) {
  if (build === 'relaxed' && !feats.relaxedSimd) {
    console.error('relaxed SIMD unavailable: skipping the relaxed build');
    continue;
  }
  rows.push(...(await benchBuild(build)));
}
if (values.json) {
  console.log(JSON.stringify({ relaxedDotI8: feats.relaxedDotI8, rows }, null, 2));
} else {
  console.log(`relaxedDotI8 probe: ${feats.relaxedDotI8} (the int8 kernels use the dot_i16x8_s path in every build)\n`);
  console.log('| build | layer | M×N×K | f32 GOP/s | i8 GOP/s | i8 speed-up |');
  console.log('|---|---|---|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.build} | ${r.shape} | ${r.m}×${r.n}×${r.k} | ${r.f32GOps.toFixed(1)} | ${r.i8GOps.toFixed(1)} | ${r.speedup.toFixed(2)}× |`);
  }
}
