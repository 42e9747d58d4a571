/**
 * `npx tsx bench/int8-winograd.ts [-- --model googlenet,inception_v3 --size px --threads 1,2
 * --rounds n --warmup n --primer n --calibration n --build auto|baseline|relaxed --profile
 * --layers --json]`
 *
 * int8 Winograd — 2-D F(2×2, 3×3) / F(4×4, 3×3) and 1-D F(2, 7) / F(4, 3) (assembly/i8-winograd.ts,
 * i8-winograd-1d.ts) — against the im2col + i8_gemm path it replaces, and int8 against f32, in one
 * process:
 *
 * 1. **Sessions**: per network and thread count, three sessions side by side — f32, int8 with
 *    int8 Winograd (the default) and int8 without it (`winograd: false`: every u8 conv by
 *    i8_gemm; the f32 session keeps its own Winograd) — timed by the harness
 *    (bench/harness/interleave.ts): warm-up, then rounds of one run each, the starting session
 *    rotating, each timed run right after `primer` untimed runs of the same session. p50 of each
 *    and the paired ratios int8/f32 (goal ≤ 0.75, issue 21) and Winograd on/off, with bootstrap
 *    95 % intervals (bench/harness/stats.ts). The two int8 sessions must return the same logits
 *    bits (the kernels are exact); the row says so.
 * 2. **Profile** (`--profile`, one thread): `session.profile()` of the three sessions, alternating
 *    the order over `--profile-runs` rounds, median per step: every step that runs by int8
 *    Winograd, with the same node's time on the im2col path and in f32.
 * 3. **Layers** (`--layers`, one thread): single-conv graphs (input → the conv → a 1×1 conv, so
 *    the conv's output is u8): 3×3 at maps of 3×3 to 28×28, 1×7 / 7×1 at 3×3 to 17×17, 1×3 / 3×1
 *    at 2×2 to 8×8, the conv step timed inline (fastest of 10 × `--profile-runs` runs) by im2col +
 *    i8_gemm, by each Winograd form forced on, and by the default choice: where the thresholds of
 *    src/graph/int8/steps-int8.ts (`I8_WINOGRAD_THRESHOLDS`, `i8WinogradTileFor`) sit.
 *
 * Seeded weights; calibration on `--calibration` seeded inputs (seeds 1000…), timed on seed 42.
 */
import { Arena } from '../src/bindings/arena.js';
import { runProgramInline, type StepProfile } from '../src/bindings/executor.js';
import { features } from '../src/bindings/features.js';
import { asKernels } from '../src/bindings/program.js';
import { compileKernelModule, instantiateKernels } from '../src/bindings/wasm-module.js';
import { pads } from '../src/graph/geometry.js';
import { calibrationRanges } from '../src/graph/int8/calibrate.js';
import { i8WinogradMaxChannels } from '../src/bindings/kernels/int8.js';
import { compileInt8Graph } from '../src/graph/int8/compile-int8.js';
import { I8_WINOGRAD_THRESHOLDS } from '../src/graph/int8/steps-int8.js';
import type { I8WinogradThresholds } from '../src/graph/tuning.js';
import { ALL_PASSES } from '../src/graph/passes.js';
import { stageInput } from '../src/graph/program-io.js';
import { Graph } from '../src/graph/graph.js';
import { buildNetwork, MODELS, variantInfo } from '../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../src/inception/seeded-weights.js';
import { createSession, type Session } from '../src/session.js';
import {
  fnVariant, interleave, markdownTable, median, ms, pairedRatio, parseOrExit, progress, ratioCell, timeCell, timeStats,
  type PairedRatio, type TimeStats,
} from './harness/index.js';

const values = parseOrExit({
  model: { type: 'strings', default: ['googlenet', 'inception_v3'], choices: Object.keys(MODELS), help: 'networks' },
  size: { type: 'int', min: 1, help: 'square input size (default: each network\'s standard size)' },
  threads: { type: 'ints', default: [1, 2], min: 1, help: 'thread counts' },
  rounds: { type: 'int', default: 12, min: 1, help: 'timed rounds (each session once per round)' },
  warmup: { type: 'int', default: 2, min: 0, help: 'untimed runs of each session first' },
  primer: { type: 'int', default: 1, min: 0, help: 'untimed runs of a session right before each of its timed runs' },
  calibration: { type: 'int', default: 2, min: 1, help: 'seeded calibration inputs of the int8 sessions' },
  build: { type: 'string', default: 'auto', choices: ['auto', 'baseline', 'relaxed'], help: 'kernel build' },
  profile: { type: 'boolean', help: 'per-step profile of the Winograd layers, one thread' },
  'profile-runs': { type: 'int', default: 5, min: 1, help: 'profile rounds (median per step over them)' },
  layers: { type: 'boolean', help: 'single-conv graphs at small maps: Winograd on/off, one thread' },
  json: { type: 'boolean', help: 'print the results as JSON' },
}, process.argv.slice(2), {
  command: 'npx tsx bench/int8-winograd.ts --',
  summary: 'int8 Winograd on/off and int8 vs f32 sessions, interleaved in one process; optional per-step profile and small-map layer sweep.',
});
const build = values.build as 'auto' | 'baseline' | 'relaxed';
const log = progress;

interface SpeedRow {
  model: string;
  inputSize: number;
  threads: number;
  f32: TimeStats;
  int8: TimeStats;
  int8NoWinograd: TimeStats;
  int8VsF32?: PairedRatio;
  winogradOnOff?: PairedRatio;
  noWinogradVsF32?: PairedRatio;
  sameLogits: boolean;
  winogradSteps: number;
}

const bitsEqual = (a: Float32Array, b: Float32Array) => {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

async function sessions(graph: Graph, weights: Map<string, Float32Array>, calibration: Float32Array[], threads: number): Promise<[Session, Session, Session]> {
  const int8 = { precision: 'int8' as const, calibration: { inputs: calibration } };
  return [
    await createSession({ graph, weights, threads, build }),
    await createSession({ graph, weights, threads, build, ...int8 }),
    await createSession({ graph, weights, threads, build, ...int8, winograd: false }),
  ];
}

/** Sums each step name's median time over the runs (steps of one node share its name). */
function perName(runs: readonly StepProfile[][]): Map<string, { kind: string; ms: number }> {
  const out = new Map<string, { kind: string; ms: number }>();
  runs[0]!.forEach((step, i) => {
    const e = out.get(step.name) ?? { kind: step.kind, ms: 0 };
    e.ms += median(runs.map((r) => r[i]!.ms));
    out.set(step.name, e);
  });
  return out;
}

async function profiles(list: readonly Session[], input: Float32Array, runs: number): Promise<Array<Map<string, { kind: string; ms: number }>>> {
  const all = list.map((): StepProfile[][] => []);
  for (const s of list) await s.profile({ input, repeats: 1 });
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < list.length; j++) {
      const i = (j + r) % list.length;
      all[i]!.push(await list[i]!.profile({ input, repeats: 2 }));
    }
  }
  return all.map(perName);
}

const speed: SpeedRow[] = [];
const profileRows: string[][] = [];
for (const model of values.model) {
  const graph = buildNetwork(model, { inputSize: values.size });
  const px = values.size ?? (variantInfo(model).inputSize[0] as number);
  const weights = seededWeights(graph.weights);
  const calibration = Array.from({ length: values.calibration }, (_, i) => seededInputNCHW(1, 3, px, px, 1000 + i));
  const input = seededInputNCHW(1, 3, px, px, 42);
  for (const threads of values.threads) {
    log(`${model} ${px}px ×${threads}: creating f32, int8 and int8 without Winograd`);
    const [f, q, qOff] = await sessions(graph, weights, calibration, threads);
    try {
      const [tf, tq, tOff] = await interleave(
        [fnVariant('f32', () => f.run(input)), fnVariant('int8', () => q.run(input)), fnVariant('int8 no Winograd', () => qOff.run(input))],
        { rounds: values.rounds, warmup: values.warmup, primer: values.primer, onRound: (r, t) => log(`${model} ×${threads} round ${r + 1}: ${t.map(ms).join(' / ')} ms`) },
      ) as [number[], number[], number[]];
      const yq = (await q.run(input)).logits;
      const yOff = (await qOff.run(input)).logits;
      const steps = (await q.profile({ input, repeats: 1 })).filter((s) => s.kind === 'i8winograd' || s.kind === 'i8winograd1d').length;
      speed.push({
        model, inputSize: px, threads: q.info.threads, f32: timeStats(tf), int8: timeStats(tq), int8NoWinograd: timeStats(tOff),
        int8VsF32: pairedRatio(tq, tf), winogradOnOff: pairedRatio(tq, tOff), noWinogradVsF32: pairedRatio(tOff, tf),
        sameLogits: bitsEqual(yq, yOff), winogradSteps: steps,
      });
      if (values.profile && threads === 1) {
        log(`${model}: profiling`);
        const [pf, pq, pOff] = await profiles([f, q, qOff], input, values['profile-runs']);
        for (const [name, e] of pq!) {
          if (e.kind !== 'i8winograd' && e.kind !== 'i8winograd1d') continue;
          const off = pOff!.get(name)?.ms ?? NaN;
          const fm = pf!.get(name);
          profileRows.push([model, `${name} (${e.kind})`, ms(e.ms), ms(off), (e.ms / off).toFixed(2), fm ? `${ms(fm.ms)} (${fm.kind})` : '—', fm ? (e.ms / fm.ms).toFixed(2) : '—']);
        }
      }
    } finally {
      await Promise.all([f.dispose(), q.dispose(), qOff.dispose()]);
    }
  }
}

/** input → kh×kw conv `conv` (C → N, 'same' padding) → ReLU → 1×1 conv to 8 channels: the conv's output is u8 and read by a u8 conv. */
function layerGraph(size: number, c: number, n: number, kh = 3, kw = 3): Graph {
  const g = new Graph();
  const x = g.input('input', [1, size, size, c]);
  const y = g.relu('relu', g.conv('conv', x, {
    outChannels: n, kernelH: kh, kernelW: kw, padding: pads((kh - 1) / 2, (kw - 1) / 2), weight: 'conv.weight', bias: 'conv.bias',
  }));
  g.markOutput(g.conv('head', y, { outChannels: 8, kernelH: 1, kernelW: 1, weight: 'head.weight' }));
  return g;
}

/**
 * The fastest run (ms) of the step named `conv` in an int8 program of `g` compiled with
 * `int8Winograd` (thresholds of 1 tile force a tile at any map), timed inline, `runs` runs.
 */
async function convStepMs(g: Graph, int8Winograd: false | I8WinogradThresholds, runs: number): Promise<{ ms: number; kind: string }> {
  await features();
  const module = await compileKernelModule({ build: build === 'relaxed' ? 'relaxed' : 'baseline', shared: false });
  const weights = seededWeights(g.weights);
  const [, h, w, c] = g.shape(g.inputs[0]);
  const input = seededInputNCHW(1, c, h, w, 42);
  const ranges = calibrationRanges(g, weights, [seededInputNCHW(1, c, h, w, 1000)], 'nchw', { module, shared: false, passes: ALL_PASSES });
  const arena = new Arena({ shared: false });
  const k = asKernels(instantiateKernels(module, arena.memory));
  const compiled = compileInt8Graph(g, weights, k, arena, { passes: ALL_PASSES, threads: 1, gemmMr: k.f32_gemm_mr(), ranges, int8Winograd });
  const index = compiled.program.steps.findIndex((s) => s.name === 'conv');
  let best = Infinity;
  let t0 = 0;
  for (let r = 0; r < runs; r++) {
    stageInput(k, arena, compiled, input, 'nchw');
    runProgramInline(k, compiled.program, {
      beforeStep: (i) => {
        if (i === index) t0 = performance.now();
      },
      afterStep: (i) => {
        if (i === index) best = Math.min(best, performance.now() - t0);
      },
    });
  }
  const step = compiled.program.steps[index]!;
  const kind = step.kind === 'i8winograd' ? `F(${step.tile}×${step.tile})` : step.kind === 'i8winograd1d' ? `F(${step.r === 7 ? 2 : 4}, ${step.r})` : step.kind;
  return { ms: best, kind };
}

const layerRows: string[][] = [];
const lineRows: string[][] = [];
if (values.layers) {
  const runs = 10 * values['profile-runs'];
  const never = { tiles2: Infinity, tiles4: Infinity, tiles1d: Infinity, f2MaxShare: 3 / 4 };
  for (const size of [3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 28]) {
    for (const [c, n] of [[64, 96], [112, 224], [192, 384]] as const) {
      const g = layerGraph(size, c, n);
      const off = await convStepMs(g, false, runs);
      const f2 = await convStepMs(g, { ...never, tiles2: 1 }, runs);
      const f4 = c <= i8WinogradMaxChannels(4) ? await convStepMs(g, { ...never, tiles4: 1 }, runs) : undefined;
      const auto = await convStepMs(g, I8_WINOGRAD_THRESHOLDS, runs);
      layerRows.push([
        `${size}×${size}`, `${c} → ${n}`, ms(off.ms), `${ms(f2.ms)} (${(f2.ms / off.ms).toFixed(2)})`,
        f4 ? `${ms(f4.ms)} (${(f4.ms / off.ms).toFixed(2)})` : '—', auto.kind,
      ]);
      log(`layer ${size}×${size} ${c}→${n}: off ${ms(off.ms)}, F2 ${ms(f2.ms)}, F4 ${f4 ? ms(f4.ms) : '—'}`);
    }
  }
  for (const [kh, kw, sizes, c, n] of [[1, 7, [3, 5, 7, 9, 12, 17], 160, 160], [7, 1, [3, 5, 7, 9, 12, 17], 192, 192], [1, 3, [2, 3, 4, 6, 8], 384, 384], [3, 1, [2, 3, 4, 6, 8], 384, 384]] as const) {
    for (const size of sizes) {
      const g = layerGraph(size, c, n, kh, kw);
      const off = await convStepMs(g, false, runs);
      const on = await convStepMs(g, { ...never, tiles1d: 1 }, runs);
      const auto = await convStepMs(g, I8_WINOGRAD_THRESHOLDS, runs);
      lineRows.push([`${kh}×${kw}`, `${size}×${size}`, `${c} → ${n}`, ms(off.ms), `${ms(on.ms)} (${(on.ms / off.ms).toFixed(2)})`, auto.kind]);
      log(`layer ${kh}×${kw} ${size}×${size}: off ${ms(off.ms)}, on ${ms(on.ms)}`);
    }
  }
}

if (values.json) {
  console.log(JSON.stringify({ options: values, speed, profile: profileRows, layers: layerRows }, null, 2));
} else {
  const out: string[] = ['# int8 Winograd (F(2×2, 3×3), F(4×4, 3×3), F(2, 7), F(4, 3)) against im2col + i8_gemm, and int8 against f32', ''];
  out.push(
    `Command: \`npx tsx bench/int8-winograd.ts ${process.argv.slice(2).join(' ')}\`. ${values.rounds} rounds after ${values.warmup} warm-up runs, ` +
      `${values.primer} primer run(s) before each timed run; ratios are medians of per-round ratios with bootstrap 95 % intervals.`, '',
  );
  out.push(markdownTable(
    ['network', 'input', 'threads', 'f32 ms', 'int8 ms', 'int8 no-Winograd ms', 'int8/f32', 'Winograd on/off', 'no-Winograd/f32', 'Winograd steps', 'same logits'],
    speed.map((r) => [
      r.model, `${r.inputSize}`, String(r.threads), timeCell(r.f32), timeCell(r.int8), timeCell(r.int8NoWinograd), ratioCell(r.int8VsF32),
      ratioCell(r.winogradOnOff), ratioCell(r.noWinogradVsF32), String(r.winogradSteps), r.sameLogits ? 'yes' : 'NO',
    ]),
    [2, 9],
  ), '');
  if (profileRows.length > 0) {
    out.push('## Winograd steps, one thread (median over profile rounds)', '');
    out.push(markdownTable(['network', 'step', 'int8 Winograd ms', 'int8 im2col ms', 'on/off', 'f32 ms (kind)', 'int8/f32'], profileRows, [2, 3, 4, 6]), '');
  }
  if (layerRows.length > 0) {
    out.push('## Single convs at small maps, one thread', '');
    out.push(markdownTable(['map', 'channels', 'im2col ms', 'F(2×2) ms (/im2col)', 'F(4×4) ms (/im2col)', 'default choice'], layerRows, [2, 3, 4]), '');
    out.push(markdownTable(['kernel', 'map', 'channels', 'im2col ms', '1-D Winograd ms (/im2col)', 'default choice'], lineRows, [3, 4]), '');
  }
  console.log(out.join('\n'));
}
