/**
 * `npm run bench:kernels [-- --builds baseline,relaxed] [--max-time 1] [--rounds 1] [--filter 1225x] [--json]`
 *
 * Single-threaded f32_gemm over the GEMM shapes of Inception-v3 at 299×299 (derived from
 * `buildNetwork('inception_v3')`: for every conv, M = outH·outW, N = outChannels,
 * K = kernelH·kernelW·inChannels; plus the classifier, M = 1), deduplicated, for each build, with
 * benchmark.js. Each shape is reported as ms (mean), GFLOP/s and % of the SIMD peak loop
 * (f32_peak_madd, in the bench modules only: bench/peak.ts) of the same build, re-measured before every shape (both builds alternate shape by
 * shape); also the fastest sample over the fastest peak sample, steadier on a shared machine.
 * With --rounds R the whole sweep runs R times and each shape keeps its fastest round; ratios are
 * taken against the highest peak of the whole run, so extra rounds cannot inflate them.
 * Goal, not a test: ≥ 75 % of peak where M ≥ 1000, N ≥ 64, K ≥ 192.
 * A is dense `[M][K]` (an im2col block), C dense `[M][N]`, ReLU epilogue, no residual.
 */
import Benchmark from 'benchmark';
import { Arena } from '../src/bindings/arena.js';
import { features } from '../src/bindings/features.js';
import { gemmFlops, gemmPanels, packedGemmWeightsFloats, type GemmKernels } from '../src/bindings/kernels/gemm.js';
import { instantiateKernels, type KernelBuild } from '../src/bindings/wasm-module.js';
import { buildNetwork } from '../src/inception/models.js';
import { mulberry32 } from '../src/util/prng.js';
import { parseOrExit } from './harness/index.js';
import { compileBenchModule, peakMaddFlops, type PeakKernels } from './peak.js';

const values = parseOrExit({
  builds: { type: 'strings', default: ['baseline', 'relaxed'], choices: ['baseline', 'relaxed'], help: 'kernel builds, alternating shape by shape' },
  'max-time': { type: 'number', default: 1, positive: true, help: 'benchmark.js seconds per measurement' },
  filter: { type: 'string', default: '', help: 'only shapes whose MxNxK contains this text' },
  rounds: { type: 'int', default: 1, min: 1, help: 'sweeps; each shape keeps its fastest' },
  json: { type: 'boolean', help: 'print peaks and rows as JSON' },
}, process.argv.slice(2), {
  command: 'npm run bench:kernels --',
  summary: "Single-threaded GEMM at Inception-v3's conv shapes against the SIMD peak loop of the same build (benchmark.js).",
});
const maxTimeS = values['max-time'];
const rounds = values.rounds;

/** The GEMM and the peak loop of one bench module. */
type BenchKernels = GemmKernels & PeakKernels;

interface GemmShape {
  m: number;
  n: number;
  k: number;
  /** How many layers of the network have this shape. */
  count: number;
  /** First layer with this shape. */
  example: string;
}

/** Deduplicated GEMM shapes of Inception-v3 at 299×299, batch 1, in network order. */
function inceptionV3GemmShapes(): GemmShape[] {
  const g = buildNetwork('inception_v3', { inputSize: 299 });
  const shapes = new Map<string, GemmShape>();
  const add = (m: number, n: number, k: number, name: string): void => {
    const key = `${m}x${n}x${k}`;
    const s = shapes.get(key);
    if (s) s.count++;
    else shapes.set(key, { m, n, k, count: 1, example: name });
  };
  for (const node of g.nodes) {
    if (node.kind === 'conv' && node.groups === 1) {
      const [, outH, outW, outChannels] = node.shape;
      add(outH * outW, outChannels, node.kernelH * node.kernelW * node.inChannels, node.name);
    } else if (node.kind === 'fc') {
      add(node.shape[0], node.outFeatures, node.inFeatures, node.name);
    }
  }
  return [...shapes.values()];
}

function fill(arena: Arena, ptr: number, count: number, seed: number): void {
  const next = mulberry32(seed);
  const view = arena.f32(ptr, count);
  for (let i = 0; i < count; i++) view[i] = next() - 0.5;
}

interface Row {
  build: KernelBuild;
  shape: string;
  count: number;
  example: string;
  ms: number;
  rmePct: number;
  gflops: number;
  bestGflops: number;
  pctPeak: number;
  /** Fastest GEMM sample over fastest peak sample: steadier than means on a shared machine. */
  bestPctPeak: number;
  goal: boolean;
}

function runBench(name: string, fn: () => void, maxTime = maxTimeS): Benchmark {
  const bench = new Benchmark(name, fn, { maxTime, minSamples: 5 });
  bench.run();
  if (bench.error) throw bench.error;
  return bench;
}

interface Rate {
  /** GFLOP/s from the mean time. */
  mean: number;
  /** GFLOP/s from the fastest sample. */
  best: number;
}

function rate(b: Benchmark, flops: number): Rate {
  return { mean: flops / b.stats.mean / 1e9, best: flops / Math.min(...b.stats.sample) / 1e9 };
}

function measurePeak(g: BenchKernels, build: string): Rate {
  const iterations = 1_000_000;
  const b = runBench(`${build} peak`, () => g.f32_peak_madd(iterations), Math.min(maxTimeS, 0.5));
  return rate(b, peakMaddFlops(iterations, g.f32_peak_chains()));
}

const feats = await features();
const builds = (values.builds as KernelBuild[]).filter((build) => {
  if (build !== 'relaxed' || feats.relaxedSimd) return true;
  console.log(`# ${build}: skipped (relaxed SIMD unavailable in this runtime)`);
  return false;
});
const shapes = inceptionV3GemmShapes().filter((s) => `${s.m}x${s.n}x${s.k}`.includes(values.filter));
const rows: Row[] = [];
const peaks: Record<string, Rate> = {};

console.log(`# npm run bench:kernels -- ${process.argv.slice(2).join(' ')}`.trimEnd());
console.log(`# Node ${process.version}, ${feats.cores} cores, benchmark.js maxTime ${maxTimeS} s, 1 thread, ${shapes.length} shapes`);

// Both builds run over one memory, shape by shape, each next to a fresh measurement of its own peak
// loop: on a shared machine the load changes by the minute, and a ratio measured minutes apart
// would mostly measure that.
const arena = new Arena({ shared: true, initialBytes: 64 << 20 });
const kernels: Array<{ build: KernelBuild; g: BenchKernels }> = [];
for (const build of builds) {
  const exports = instantiateKernels(await compileBenchModule(build), arena.memory);
  // One export object, typed as the module's GEMM and its peak loop.
  kernels.push({ build, g: exports as unknown as BenchKernels });
}

// Warm-up: enough calls for V8 to tier the kernels up from Liftoff to TurboFan.
{
  const mark = arena.mark();
  const [m, n, k] = [64, 64, 64];
  const a = arena.allocF32(m * k), w = arena.allocF32(packedGemmWeightsFloats(n, k)), c = arena.allocF32(m * n);
  for (const { g } of kernels) {
    const pack = arena.alloc(g.f32_gemm_pack_bytes(m, k));
    for (let i = 0; i < 200; i++) {
      g.f32_gemm(a, k * 4, w, k, c, n * 4, 0, 0, 1, 0, Infinity, m, 0, gemmPanels(n), n, pack);
      g.f32_peak_madd(10_000);
    }
  }
  arena.release(mark);
  await new Promise((resolve) => setTimeout(resolve, 200));
}

const byKey = new Map<string, Row>();
for (let round = 0; round < rounds; round++) {
  for (const s of shapes) {
    const mark = arena.mark();
    const a = arena.allocF32(s.m * s.k);
    const w = arena.allocF32(packedGemmWeightsFloats(s.n, s.k));
    const c = arena.allocF32(s.m * s.n);
    fill(arena, a, s.m * s.k, 1);
    fill(arena, w, packedGemmWeightsFloats(s.n, s.k), 2);
    const panels = gemmPanels(s.n);
    const shape = `${s.m}x${s.n}x${s.k}`;
    for (const { build, g } of kernels) {
      const pack = arena.alloc(g.f32_gemm_pack_bytes(s.m, s.k));
      const peak = measurePeak(g, build);
      peaks[build] = { mean: Math.max(peaks[build]?.mean ?? 0, peak.mean), best: Math.max(peaks[build]?.best ?? 0, peak.best) };
      const b = runBench(`${build} ${shape}`, () =>
        g.f32_gemm(a, s.k * 4, w, s.k, c, s.n * 4, 0, 0, 1, 0, Infinity, s.m, 0, panels, s.n, pack));
      const r = rate(b, gemmFlops(s.m, s.n, s.k));
      const key = `${build} ${shape}`;
      const seen = byKey.get(key);
      const row: Row = {
        build, shape, count: s.count, example: s.example,
        ms: b.stats.mean * 1e3, rmePct: b.stats.rme,
        gflops: r.mean, bestGflops: Math.max(r.best, seen?.bestGflops ?? 0),
        pctPeak: 0, bestPctPeak: 0,
        goal: s.m >= 1000 && s.n >= 64 && s.k >= 192,
      };
      if (!seen) rows.push(row);
      if (!seen || row.gflops > seen.gflops) byKey.set(key, row);
      else seen.bestGflops = row.bestGflops;
    }
    arena.release(mark);
    if (!values.json) process.stderr.write('.');
  }
}
// Fastest round of each shape against the highest peak seen in the whole run (conservative).
for (let i = 0; i < rows.length; i++) {
  const r = byKey.get(`${rows[i].build} ${rows[i].shape}`)!;
  r.pctPeak = (100 * r.gflops) / peaks[r.build].mean;
  r.bestPctPeak = (100 * r.bestGflops) / peaks[r.build].best;
  rows[i] = r;
}
if (!values.json) process.stderr.write('\n');

if (values.json) {
  console.log(JSON.stringify({ peaks, rows }, null, 2));
} else {
  const active = builds.filter((b) => peaks[b] !== undefined);
  console.log(
    `\npeak loop (f32_peak_madd, GFLOP/s, highest of its per-shape measurements, mean / best sample): ` +
      `${active.map((b) => `${b} ${peaks[b].mean.toFixed(1)} / ${peaks[b].best.toFixed(1)}`).join(', ')}\n`,
  );
  const head = ['M×N×K', 'layers', 'first layer'];
  for (const b of active) head.push(`${b} ms`, `${b} GFLOP/s`, `${b} % peak`, `${b} best GFLOP/s (% best peak)`);
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const s of shapes) {
    const shape = `${s.m}x${s.n}x${s.k}`;
    const cells = [`${s.m}×${s.n}×${s.k}${s.m >= 1000 && s.n >= 64 && s.k >= 192 ? ' *' : ''}`, String(s.count), s.example];
    for (const b of active) {
      const r = rows.find((x) => x.build === b && x.shape === shape)!;
      cells.push(
        `${r.ms.toFixed(3)} ±${r.rmePct.toFixed(1)}%`, r.gflops.toFixed(1), `${r.pctPeak.toFixed(0)}%`,
        `${r.bestGflops.toFixed(1)} (${r.bestPctPeak.toFixed(0)}%)`,
      );
    }
    console.log(`| ${cells.join(' | ')} |`);
  }
  console.log('\n* goal shapes (M ≥ 1000, N ≥ 64, K ≥ 192): ≥ 75 % of the peak loop of the same build');
  for (const b of active) {
    const goal = rows.filter((r) => r.build === b && r.goal);
    const all = rows.filter((r) => r.build === b);
    const totalMs = all.reduce((t, r) => t + r.ms * r.count, 0);
    const flops = shapes.reduce((t, s) => t + gemmFlops(s.m, s.n, s.k) * s.count, 0);
    const worst = goal.length ? Math.min(...goal.map((r) => r.pctPeak)) : NaN;
    const worstBest = goal.length ? Math.min(...goal.map((r) => r.bestPctPeak)) : NaN;
    console.log(
      `${b}: goal shapes ${goal.filter((r) => r.pctPeak >= 75).length}/${goal.length} at ≥ 75 % by means ` +
        `(lowest ${worst.toFixed(0)} %; by best samples ${worstBest.toFixed(0)} %); ` +
        `all ${shapes.reduce((t, s) => t + s.count, 0)} GEMMs of the network: ${totalMs.toFixed(1)} ms, ` +
        `${(flops / totalMs / 1e6).toFixed(1)} GFLOP/s`,
    );
  }
}
