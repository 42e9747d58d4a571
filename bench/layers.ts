/**
 * `npm run bench:layers [-- --model googlenet --size px --threads 1,2 --runs n --warmup n --primer n
 * --build auto|baseline|relaxed --out dir --name stem --json]`
 *
 * Per-layer comparison of our engine with onnxruntime-node (native, MLAS) on one network, in one
 * process, on the same graph, weights and input (our ONNX export, bench/peers/write-case.ts):
 *
 * - **per layer**, one thread on both sides: our per-step times (`session.profile`, which times each
 *   step on the calling thread) beside ORT's per-node kernel times (its profiler, one intra-op
 *   thread, bench/peers/ort-profile.ts); `runs` rounds alternating which side goes first, the
 *   median per step and per node. Steps and nodes are matched through the graph's node names
 *   (bench/peers/layer-match.ts), so what one side fuses (our merged sibling 1×1 convs, folded BN
 *   and ReLU; ORT's Conv+BN+ReLU) is one row. Rows are sorted by the gap ours − native (ms), with
 *   its cumulative share of the total gap (it passes 100 % before the rows where ours is faster);
 * - **whole run**, at each `--threads` count: ours and ORT (the bench's native session options)
 *   timed interleaved by the harness, p50 each and the paired ratio ours/native;
 * - **ceiling**: our SIMD peak loop (the bench module of the session's build, one thread) sampled
 *   right before and after our profile in every per-layer round (bench/layers-peak.ts), its median
 *   the peak; per row our and native GFLOP/s, the row's time with its convs at that peak and that
 *   floor over native; per network the least ours / native this engine's approach can reach on this
 *   machine and the share of native time in layers native runs faster than our peak allows
 *   (bench/layers-ceiling.ts).
 *
 * Both outputs are checked against each other first (max |Δ| ≤ tolerance · std of our logits).
 * Results: `<out>/<name>.md` and `.json` (default bench/results/layers-<model>-<size>); the
 * markdown on stdout (or the JSON with --json).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeCost } from '../src/graph/cost.js';
import { MODELS } from '../src/inception/models.js';
import { createSession, type Session } from '../src/session.js';
import {
  fnVariant, interleave, markdownTable, median, ms, pairedRatio, parseOptions, percentile, progress, ratioCell, timeStats, type PairedRatio,
} from './harness/index.js';
import { HelpRequested, UsageError } from './harness/args.js';
import {
  boundAtPeak, ceilingFields, ceilingLine, ceilingSummary, gflopsOf, stepFloor, winogradPlansByStepName, winogradRules, type CeilingFields, type CeilingSummary,
} from './layers-ceiling.js';
import { createPeakProbe, peakResult, type PeakResult } from './layers-peak.js';
import { readCaseInput, readCaseWeights } from './peers/artifacts.js';
import { benchCase } from './peers/case-graph.js';
import { matchLayers, type LayerRow } from './peers/layer-match.js';
import { createOrtProfiler } from './peers/ort-profile.js';
import { ortNodeModule, ortNodeSessionOptions, runner } from './peers/runtime-ort.js';
import { checkOutput, type OutputCheck } from './peers/stats.js';
import { writeCaseFiles } from './peers/write-case.js';

export const LAYERS_SCHEMA = 'inception-wasm/bench-layers@2';

export interface LayersOptions {
  model: string;
  /** Square input size (default: the network's standard size). */
  inputSize?: number;
  /** Thread counts of the whole-run comparison (the per-layer table is one thread). */
  threads: readonly number[];
  runs: number;
  warmup: number;
  /** Untimed runs right before each timed whole run. */
  primer: number;
  build: 'auto' | 'baseline' | 'relaxed';
  /** ORT's logits must be within tolerance · std of ours. */
  tolerance: number;
  command: string;
  progress?: (line: string) => void;
}

export interface TimedUnit {
  name: string;
  kind: string;
  /** Median over the rounds. */
  ms: number;
  msPerRun: number[];
}

export interface StepUnit extends TimedUnit {
  /** The step's MACs as `session.profile()` counts them (direct-convolution MACs for Winograd). */
  macs: number;
}

export interface RankedRow extends LayerRow {
  gapMs: number;
  /** ours / native (Infinity when native is 0). */
  ratio: number;
  /** Sum of gapMs over this and every earlier row, over the total gap. */
  cumulativeGapShare: number;
}

export interface LayersRow extends RankedRow, CeilingFields {}

export interface WholeRun {
  threads: number;
  oursP50Ms: number;
  nativeP50Ms: number;
  /** p50 ours / p50 native. */
  ratio: number;
  paired?: PairedRatio;
  oursTimesMs: number[];
  nativeTimesMs: number[];
}

export interface LayersResult {
  schema: typeof LAYERS_SCHEMA;
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: { cpu: string; cores: number; node: string; loadAvgStart: number[]; loadAvgAfterLayers: number[]; loadAvgEnd: number[] };
  model: string;
  variant: string;
  inputSize: number;
  macs: number;
  runs: number;
  oursBuild: string;
  nativeVersion: string;
  check: OutputCheck;
  /** Our steps and ORT's nodes, in execution order; rows index into these. */
  steps: StepUnit[];
  native: TimedUnit[];
  /** Sorted by gapMs, largest first. */
  rows: LayersRow[];
  totals: { oursMs: number; nativeMs: number; gapMs: number; ratio: number };
  wholeRun: WholeRun[];
  /** Our peak loop, sampled around the per-layer rounds. */
  peak: PeakResult;
  ceiling: CeilingSummary;
}

export const DEFAULT_LAYERS: Omit<LayersOptions, 'command'> = {
  model: 'googlenet', threads: [1], runs: 10, warmup: 2, primer: 1, build: 'auto', tolerance: 1e-3,
};

/** Pause before each timed whole run, so the other runtime's pool threads have gone to sleep. */
const SETTLE_MS = 30;
/** Peak-loop samples right before and again right after our profile in each per-layer round. */
const PEAK_SAMPLES = 2;

const medianPerUnit = (perRun: number[][]) => perRun.map((xs) => median(xs));

/** Sorts rows by gap and adds the ratio and cumulative gap share. */
export function rankRows(rows: readonly LayerRow[]): { rows: RankedRow[]; totals: LayersResult['totals'] } {
  const oursMs = rows.reduce((s, r) => s + r.oursMs, 0);
  const nativeMs = rows.reduce((s, r) => s + r.nativeMs, 0);
  const gapMs = oursMs - nativeMs;
  let cumulative = 0;
  const ranked = rows
    .map((r) => ({ ...r, gapMs: r.oursMs - r.nativeMs, ratio: r.nativeMs > 0 ? r.oursMs / r.nativeMs : r.oursMs > 0 ? Infinity : NaN }))
    .sort((a, b) => b.gapMs - a.gapMs)
    .map((r) => ({ ...r, cumulativeGapShare: (cumulative += r.gapMs) / gapMs }));
  return { rows: ranked, totals: { oursMs, nativeMs, gapMs, ratio: oursMs / nativeMs } };
}

/** Runs the comparison (module comment). */
export async function runLayers(options: LayersOptions): Promise<LayersResult> {
  const log = options.progress ?? (() => undefined);
  const startedAt = new Date().toISOString();
  const loadAvgStart = os.loadavg();
  const c = benchCase(options.model, options.inputSize);
  const work = mkdtempSync(path.join(os.tmpdir(), 'inception-wasm-layers-'));
  const sessions: Session[] = [];
  const releases: (() => Promise<void>)[] = [];
  try {
    log(`${c.model} ${c.inputSize}px: writing graph, weights, ONNX export`);
    const { files, graph } = writeCaseFiles(c, path.join(work, 'case'));
    const weights = readCaseWeights(files, graph);
    const input = readCaseInput(files);
    const dims = [1, 3, c.inputSize, c.inputSize];
    const { ort, version: nativeVersion } = ortNodeModule();

    // The per-layer pair: our profile (one thread, inline) and ORT profiled at one thread.
    const ours = await createSession({ graph, weights, threads: options.threads[0]!, build: options.build });
    sessions.push(ours);
    const profiler = await createOrtProfiler(files.onnxPath, dims, 1, path.join(work, 'ort'));
    releases.push(() => profiler.release());
    const reference = (await ours.run(input)).logits;
    const check = checkOutput(reference, await profiler.run(input), options.tolerance);
    if (!check.ok) {
      throw new Error(`onnxruntime-node's output differs from ours: max |Δ| ${check.maxAbsDiff.toExponential(2)} = ${check.relative.toExponential(2)} × std (tolerance ${options.tolerance}); the layers would not compare the same work`);
    }
    // The peak loop of our session's build, on this thread (the one profile() runs the steps on).
    const probe = await createPeakProbe(ours.info.build);
    for (let i = 0; i < options.warmup; i++) {
      await ours.profile({ input, repeats: 1 });
      await profiler.run(input);
    }
    let stepNames: { name: string; kind: string; macs: number }[] = [];
    const stepMs: number[][] = [];
    for (let round = 0; round < options.runs; round++) {
      const oursFirst = round % 2 === 0;
      if (!oursFirst) await profiler.run(input);
      probe.sample(PEAK_SAMPLES);
      const steps = await ours.profile({ input, repeats: 1 });
      const peaks = probe.sample(PEAK_SAMPLES);
      if (round === 0) stepNames = steps.map(({ name, kind, macs }) => ({ name, kind, macs }));
      steps.forEach((s, i) => (stepMs[i] ??= []).push(s.ms));
      if (oursFirst) await profiler.run(input);
      log(`${c.model}: per-layer round ${round + 1}/${options.runs}, peak loop ${peaks.map((p) => p.toFixed(1)).join(', ')} GFLOP/s`);
    }
    const loadAvgAfterLayers = os.loadavg();
    const peak = peakResult(probe);
    const { nodes: nativeNodes, graph: ortGraph } = await profiler.finish(options.runs);
    const steps: StepUnit[] = stepNames.map((s, i) => ({ ...s, ms: medianPerUnit(stepMs)[i]!, msPerRun: stepMs[i]! }));
    const native: TimedUnit[] = nativeNodes.map((m) => ({ name: m.name, kind: m.opType, ms: median(m.msPerRun), msPerRun: m.msPerRun }));
    const rows = matchLayers(
      graph.nodes, steps, native.map((m) => ({ name: m.name, opType: m.kind, ms: m.ms })), ortGraph,
      (i) => nodeCost(graph, graph.nodes[i]!).macs,
    );
    const ranked = rankRows(rows);
    const rules = winogradRules(steps, winogradPlansByStepName(graph));
    const floors = steps.map((s, i) => stepFloor(s, peak.gflops, rules[i]));
    const ceilingRows = ranked.rows.map((row) => ({ ...row, ...ceilingFields(row, steps, floors) }));
    const ceiling = ceilingSummary(ceilingRows, steps, floors, peak.gflops);

    // Whole runs at each thread count, ours and ORT interleaved.
    const wholeRun: WholeRun[] = [];
    for (const threads of options.threads) {
      const session = threads === options.threads[0] ? ours : await createSession({ graph, weights, threads, build: options.build });
      if (session !== ours) sessions.push(session);
      const nativeSession = await ort.InferenceSession.create(files.onnxPath, ortNodeSessionOptions(threads));
      releases.push(() => nativeSession.release());
      const runNative = runner(ort, nativeSession, dims);
      const times = await interleave([fnVariant('ours', () => session.run(input)), fnVariant('native', () => runNative(input))], {
        rounds: options.runs, warmup: options.warmup, primer: options.primer, settleMs: SETTLE_MS,
        onRound: (round, t) => log(`${c.model} ×${threads}: whole run ${round + 1}/${options.runs}: ours ${ms(t[0]!)}, native ${ms(t[1]!)}`),
      });
      const o = timeStats(times[0]!).median, n = timeStats(times[1]!).median;
      wholeRun.push({ threads, oursP50Ms: o, nativeP50Ms: n, ratio: o / n, paired: pairedRatio(times[0]!, times[1]!), oursTimesMs: times[0]!, nativeTimesMs: times[1]! });
    }
    return {
      schema: LAYERS_SCHEMA, startedAt, finishedAt: new Date().toISOString(), command: options.command,
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, loadAvgStart, loadAvgAfterLayers, loadAvgEnd: os.loadavg() },
      model: c.model, variant: c.variant, inputSize: c.inputSize, macs: graph.nodes.reduce((s, node) => s + nodeCost(graph, node).macs, 0),
      runs: options.runs, oursBuild: ours.info.build, nativeVersion, check, steps, native, rows: ceilingRows, totals: ranked.totals, wholeRun,
      peak, ceiling,
    };
  } finally {
    for (const release of releases) await release().catch(() => undefined);
    for (const s of sessions) await s.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '—');
const ratioText = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : x === Infinity ? '∞' : '—');
const macsText = (m: number) => (m === 0 ? '—' : m >= 1e9 ? `${(m / 1e9).toFixed(2)} G` : `${(m / 1e6).toFixed(1)} M`);
const rateText = (x: number) => (Number.isFinite(x) ? x.toFixed(x >= 100 ? 0 : 1) : '—');
const loads = (l: readonly number[]) => l.map((x) => x.toFixed(1)).join('/');

/** The result as markdown: setup, whole-run ratios, the ceiling, per-layer table with totals. */
export function renderLayersMarkdown(r: LayersResult, top = Infinity): string {
  const out: string[] = [];
  const p = r.peak, c = r.ceiling;
  out.push(`# ${r.model} ${r.inputSize}: inception-wasm layer by layer against onnxruntime-node ${r.nativeVersion}`, '');
  out.push(
    `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${r.machine.cpu} · ${r.machine.cores} cores · Node ${r.machine.node} · load average ` +
      `(1/5/15 min) ${loads(r.machine.loadAvgStart)} at start, ${loads(r.machine.loadAvgAfterLayers)} after the per-layer rounds, ` +
      `${loads(r.machine.loadAvgEnd)} at end`,
    '', `Command: \`${r.command}\``, '',
    `One process, the same graph, seeded weights and input; ORT runs our ONNX export (all graph optimisations). Outputs agree: ` +
      `max |Δ| = ${r.check.relative.toExponential(1)} × std of our logits. Our build: ${r.oursBuild}.`, '',
    `**Our SIMD peak loop: ${p.gflops.toFixed(1)} GFLOP/s** (f32_peak_madd of build/bench-${p.build}.wasm: ${p.chains} independent ` +
      `f32x4 multiply-add chains, one thread, measured in this run: median of ${p.samples.length} calls of ${p.iterations} iterations, ` +
      `${PEAK_SAMPLES} right before and ${PEAK_SAMPLES} right after our profile in every per-layer round; p10–p90 ` +
      `${percentile(p.samples, 0.1).toFixed(1)}–${percentile(p.samples, 0.9).toFixed(1)}).`, '',
  );
  out.push('## Whole run', '');
  out.push(markdownTable(
    ['threads', 'ours p50 ms', 'native p50 ms', 'ours / native', 'paired [95 %]'],
    r.wholeRun.map((w) => [String(w.threads), ms(w.oursP50Ms), ms(w.nativeP50Ms), ratioText(w.ratio), ratioCell(w.paired)]),
    [0, 1, 2, 3],
  ), '');
  out.push('## Ceiling, one thread', '');
  out.push(`**${ceilingLine(r.model, c)}**`, '');
  out.push(
    `Per-layer sums, one thread: our GEMM-family steps (im2col/direct GEMM, Winograd, depthwise) take ${ms(c.gemmOursMs)} of our ` +
      `${ms(c.oursMs)} ms and would take ${ms(c.gemmFloorMs)} ms at the peak loop; our other steps (${ms(c.oursMs - c.gemmOursMs)} ms) ` +
      `count at their measured time. Native's per-layer sum is ${ms(c.nativeMs)} ms, of which ${ms(c.nativeMsBeyondPeak)} ms ` +
      `(${pct(c.shareBeyondPeak)}) is in ${c.rowsBeyondPeak} rows native runs in less time than their convs' multiplies take at our ` +
      `peak: no kernel issuing f32x4 multiply-adds closes those rows on this machine. The peak loop is one 128-bit multiply-add ` +
      `stream per chain; native's kernels may use the CPU's wider vectors.`, '',
  );
  const fastest = Math.max(...p.samples);
  const atFastest = boundAtPeak(c, fastest);
  out.push(
    `The peak is the median of its samples, taken under the same load as the layers. At the fastest sample instead ` +
      `(${fastest.toFixed(1)} GFLOP/s) the bound would be ${ms(atFastest.boundMs)} ms: ratio ≥ ${ratioText(atFastest.ratioBound)}.`, '',
  );
  out.push('## Per layer, one thread', '');
  out.push(
    `Medians of ${r.runs} rounds: ours = \`session.profile()\` per step, native = ORT's profiler per node (kernel time). A row is ` +
      `the work both sides do for the same graph nodes (merged or fused units grouped). Sorted by gap = ours − native; ` +
      `"cum. gap" is the running share of the total gap (it exceeds 100 % before the rows where ours is faster).`, '',
    `GFLOP/s = 2 · MACs / ms (direct-convolution MACs; for Winograd rows an effective rate, above the multiplies done). ` +
      `"ours at peak" = 2 · multiplies / peak for each of the row's conv/gemm steps plus the measured time of its other steps ` +
      `("—" for rows without a conv/gemm step, which the bound counts at their measured time); multiplies = the step's MACs, ` +
      `except for Winograd steps: direct MACs / the tile's multiply reduction, given in the kind column (F(m×m, 3×3): 9m²/(m+2)², ` +
      `i.e. F(2×2) 2.25, F(4×4) 4, F(6×6) 5.06; F(m, r): m·r/(m+r−1), i.e. F(4, 3) 2, F(4, 7) 2.8, F(6, 7) 3.5); edge tiles and ` +
      `transforms are not counted, so it stays a lower bound. "floor / native" = ours at peak / native ms; bold where native runs ` +
      `the row in less time than its conv/gemm steps alone take at our peak.`, '',
  );
  const shown = r.rows.slice(0, top);
  const body = shown.map((row) => [
    row.name, `${row.kind || '—'}${row.winograd ? ` ${row.winograd}` : ''}`, row.nativeOps || '—', macsText(row.macs), ms(row.oursMs),
    ms(row.nativeMs), ratioText(row.ratio), rateText(row.oursGflops), rateText(row.nativeGflops), ms(row.atPeakMs),
    row.beyondPeak ? `**${ratioText(row.floorOverNative)}**` : ratioText(row.floorOverNative), ms(row.gapMs), pct(row.cumulativeGapShare),
  ]);
  if (shown.length < r.rows.length) body.push([`… ${r.rows.length - shown.length} more rows`, '', '', '', '', '', '', '', '', '', '', '', '']);
  body.push([
    `**total** (${r.steps.length} steps, ${r.native.length} native nodes)`, '', '', macsText(r.macs), ms(r.totals.oursMs), ms(r.totals.nativeMs),
    ratioText(r.totals.ratio), rateText(gflopsOf(r.macs, r.totals.oursMs)), rateText(gflopsOf(r.macs, r.totals.nativeMs)), ms(c.boundMs),
    ratioText(c.ratioBound), ms(r.totals.gapMs), '100.0 %',
  ]);
  const one = r.wholeRun.find((w) => w.threads === 1);
  if (one) {
    out.push(
      `Per-layer sums against the whole run at one thread: ours ${ms(r.totals.oursMs)} of ${ms(one.oursP50Ms)} ms, native ` +
        `${ms(r.totals.nativeMs)} of ${ms(one.nativeP50Ms)} ms; the rest is time outside the timed kernels (run set-up, ` +
        `ORT's allocations and fences, our input staging) and the profilers' own cost.`, '',
    );
  }
  out.push(markdownTable(
    ['layer', 'ours kind', 'native ops', 'MACs', 'ours ms', 'native ms', 'ours/native', 'ours GFLOP/s', 'native GFLOP/s', 'ours at peak ms',
      'floor / native', 'gap ms', 'cum. gap'],
    body, [3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  ), '');
  return out.join('\n');
}

const SCRIPT = {
  command: 'npm run bench:layers --',
  summary: 'One network layer by layer against onnxruntime-node (native): per-step and per-node times matched by graph node, and the whole-run ratio, in one process.',
};

export const LAYERS_OPTIONS = {
  model: { type: 'string', default: DEFAULT_LAYERS.model, choices: Object.keys(MODELS), help: 'network' },
  size: { type: 'int', min: 1, help: 'square input size (default: the network\'s standard size)' },
  threads: { type: 'ints', default: DEFAULT_LAYERS.threads, min: 1, help: 'thread counts of the whole-run comparison (per layer: always one thread)' },
  runs: { type: 'int', default: DEFAULT_LAYERS.runs, min: 1, help: 'rounds (per layer) and timed runs (whole run)' },
  warmup: { type: 'int', default: DEFAULT_LAYERS.warmup, min: 0, help: 'untimed runs of each side first' },
  primer: { type: 'int', default: DEFAULT_LAYERS.primer, min: 0, help: 'untimed runs right before each timed whole run' },
  build: { type: 'string', default: DEFAULT_LAYERS.build, choices: ['auto', 'baseline', 'relaxed'], help: 'our kernel build' },
  tolerance: { type: 'number', default: DEFAULT_LAYERS.tolerance, positive: true, help: 'ORT passes when max |Δ| ≤ tolerance · std(our logits)' },
  top: { type: 'int', min: 1, help: 'rows printed on stdout (files get all)' },
  json: { type: 'boolean', help: 'print the result JSON instead of the markdown' },
  out: { type: 'string', help: 'results folder (default bench/results)' },
  name: { type: 'string', help: 'results file stem (default layers-<model>-<size>)' },
} as const;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseOptions(LAYERS_OPTIONS, argv, SCRIPT);
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(e.message);
      return 0;
    }
    if (!(e instanceof UsageError)) throw e;
    console.error(`bench:layers: ${e.message}`);
    return 2;
  }
  const result = await runLayers({
    model: values.model, inputSize: values.size, threads: values.threads, runs: values.runs, warmup: values.warmup, primer: values.primer,
    build: values.build as LayersOptions['build'], tolerance: values.tolerance, command: ['tsx bench/layers.ts', ...argv].join(' '), progress,
  });
  const dir = values.out ?? path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  const stem = path.join(dir, values.name ?? `layers-${result.model}-${result.inputSize}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${stem}.json`, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(`${stem}.md`, renderLayersMarkdown(result));
  console.log(values.json ? JSON.stringify(result, null, 2) : renderLayersMarkdown(result, values.top));
  console.error(`bench:layers: wrote ${stem}.json, ${stem}.md`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
