/**
 * `npm run bench [-- --model m|all --threads 1,2 --runs n --warmup n --primer n --size px --no-peers
 * --runtimes ort-web,tfjs-wasm,ort-node --ours auto|src|dist --build auto|baseline|relaxed --json --out dir --name stem --relaxed-simd
 * --tolerance t]`; `--render results/x.json` re-renders x.md and x.svg from an earlier run.
 *
 * End-to-end latency of the Inception networks, ours side by side with the peers, in one run.
 * For each network (batch 1, its standard size unless --size) and each thread count, every runtime
 * runs in its own fresh child process (bench/peers/child.ts) on the same files — our graph, its
 * seeded weights, our ONNX export of both, one input (bench/peers/artifacts.ts):
 *
 * 1. children start one after another; each one's **cold start** is spawn → first output;
 * 2. each peer's first output is checked against ours (max |Δ| ≤ tolerance · std of our logits)
 *    before any timing; a peer that disagrees gets no timings;
 * 3. warm-up runs, then `runs` timed runs interleaved round-robin over the children (rotating the
 *    order each round, a 30 ms pause before each), so load on a shared machine hits every runtime alike;
 *    each timed run directly follows `primer` untimed runs in the same child (default 1): a core that
 *    idled while the other runtimes ran is awake again, so the timing is the steady-state latency of
 *    back-to-back inference (on the 2-vCPU dev VM a run after ≥ 0.5 s idle took 1.3–1.5× as long as
 *    back to back — a fixed wake-up cost that weighs most on the fastest runtime; first runs and cold
 *    starts are reported separately);
 * 4. p50/p90, GFLOP/s (2·MACs / p50), peak RSS per child, our arena peak and build; where one of
 *    our runs goes (per step kind, one thread).
 *
 * Results: `<out>/<name>.json`, `.md` (tables) and `.svg` (bar chart); the markdown table on stdout
 * (or the JSON with --json). Progress on stderr when it is a terminal.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { graphCost } from '../src/graph/cost.js';
import { MODELS } from '../src/inception/models.js';
import { benchCase } from './peers/case-graph.js';
import { RuntimeChild } from './peers/child-process.js';
import { renderChartSvg } from './peers/chart.js';
import { renderMarkdown } from './peers/report.js';
import { RESULT_SCHEMA, type BenchResult, type BenchRow, type NetworkInfo } from './peers/results.js';
import { oursSource, type OursSource } from './peers/runtime-ours.js';
import { RUNTIME_ORDER, RUNTIMES, runtimeUnavailable, type RuntimeId } from './peers/runtimes.js';
import { checkOutput } from './peers/stats.js';
import { writeCaseFiles } from './peers/write-case.js';
import { HelpRequested, interleave, pairedRatio, parseOptions, timeStats, UsageError, type Variant } from './harness/index.js';

export const BENCH_MODELS = ['googlenet', 'inception_v3', 'inception_v4', 'inception_resnet_v2'] as const;

/** Pause before each timed run, so no runtime's idle threads are still spinning when the next starts. */
const SETTLE_MS = 30;

export interface BenchOptions {
  models: readonly string[];
  /** Square input size for every network (default: each network's standard size). */
  inputSize?: number;
  threads: readonly number[];
  runs: number;
  warmup: number;
  /** Untimed runs right before each timed run, in the same child. */
  primer: number;
  /** Run the peers (those installed) and onnxruntime-node. */
  peers: boolean;
  /** Restrict the runtimes (ours always runs: it is the reference). */
  runtimes?: readonly RuntimeId[];
  /** A peer passes when max |Δ| ≤ tolerance · std(our logits). */
  tolerance: number;
  /** Our engine from src/ (through tsx), dist/ (compiled), or 'auto': dist/ when built and fresh. */
  ours: 'auto' | OursSource;
  /** Our kernel build: 'auto' (relaxed SIMD where it compiles; the peers ship no relaxed build) or fixed. */
  oursBuild: 'auto' | 'baseline' | 'relaxed';
  /** Extra Node flags for every child (e.g. --experimental-wasm-relaxed-simd). */
  nodeFlags: readonly string[];
  /** The command line, recorded in the results. */
  command: string;
  progress?: (line: string) => void;
}

export const DEFAULT_OPTIONS: Omit<BenchOptions, 'command'> = {
  models: BENCH_MODELS, threads: [1, 2], runs: 10, warmup: 2, primer: 1, peers: true, tolerance: 1e-3, ours: 'auto', oursBuild: 'auto', nodeFlags: [],
};

/** Runs the benchmark (see the module comment) and returns the result record. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.progress ?? (() => undefined);
  const startedAt = new Date().toISOString();
  const loadAvgStart = os.loadavg();
  const runtimes: RuntimeId[] = RUNTIME_ORDER.filter((id) => id === 'ours' || (options.peers && (options.runtimes?.includes(id) ?? true)));
  const rows: BenchRow[] = [];
  const networks: NetworkInfo[] = [];
  const profiles: BenchResult['profiles'] = {};
  const unavailable = new Map<RuntimeId, string>();
  for (const id of runtimes) {
    const why = runtimeUnavailable(id);
    if (why) {
      unavailable.set(id, why);
      log(`skipping ${RUNTIMES[id].label}: ${why}`);
    }
  }
  const ours = oursSource(options.ours);
  log(`ours from ${ours.source}/${ours.why ? ` (${ours.why})` : ''}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'inception-wasm-bench-'));
  let processStartupMs = NaN;
  try {
    for (const id of runtimes.filter((r) => !unavailable.has(r))) {
      await RuntimeChild.prime({ runtime: id, caseDir: work, threads: 1, oursFrom: ours.source }, options.nodeFlags);
    }
    processStartupMs = await RuntimeChild.startupMs(options.nodeFlags);
    log(`child process start-up (node + tsx, no runtime): ${processStartupMs.toFixed(0)} ms`);
    for (const model of options.models) {
      const c = benchCase(model, options.inputSize);
      log(`${model} ${c.inputSize}px: writing graph, weights, ONNX export`);
      const { files, graph } = writeCaseFiles(c, path.join(work, `${model}-${c.inputSize}`));
      const cost = graphCost(graph);
      networks.push({ model, variant: c.variant, inputSize: c.inputSize, params: cost.params, macs: cost.macs });
      for (const threads of options.threads) {
        const caseRows = await runCase({
          model, inputSize: c.inputSize, threads, macs: cost.macs, caseDir: files.dir, runtimes, unavailable, options, log, profiles, oursFrom: ours.source,
        });
        rows.push(...caseRows);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return {
    schema: RESULT_SCHEMA, startedAt, finishedAt: new Date().toISOString(), command: options.command,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, platform: `${os.platform()} ${os.arch()}`,
      memoryBytes: os.totalmem(), loadAvgStart, loadAvgEnd: os.loadavg(), processStartupMs,
    },
    options: {
      models: [...options.models], inputSize: options.inputSize, threads: [...options.threads], runs: options.runs, warmup: options.warmup,
      primer: options.primer, peers: options.peers, tolerance: options.tolerance, nodeFlags: [...options.nodeFlags], oursFrom: ours.source, oursFromWhy: ours.why,
      oursBuild: options.oursBuild,
    },
    networks, rows, profiles,
  };
}

interface CaseContext {
  model: string;
  inputSize: number;
  threads: number;
  macs: number;
  caseDir: string;
  runtimes: RuntimeId[];
  unavailable: Map<RuntimeId, string>;
  options: BenchOptions;
  log: (line: string) => void;
  profiles: BenchResult['profiles'];
  oursFrom: OursSource;
}

/** One network at one thread count: start every runtime, check, time interleaved, collect. */
async function runCase(ctx: CaseContext): Promise<BenchRow[]> {
  const { model, inputSize, threads, options, log } = ctx;
  const rows: BenchRow[] = [];
  const live: { row: BenchRow; child: RuntimeChild }[] = [];
  let reference: Float32Array | undefined;
  try {
    for (const id of ctx.runtimes) {
      const info = RUNTIMES[id];
      const row: BenchRow = { model, inputSize, threads, runtime: id, label: info.label, role: info.role, notes: [], timesMs: [] };
      rows.push(row);
      if (ctx.unavailable.has(id)) {
        row.error = ctx.unavailable.get(id);
        continue;
      }
      if (id !== 'ours' && reference === undefined) {
        row.error = 'no reference output (ours failed)';
        continue;
      }
      log(`${model} ×${threads}: starting ${info.label}`);
      try {
        const { child, ready, coldStartMs } = await RuntimeChild.start({ runtime: id, caseDir: ctx.caseDir, threads, oursFrom: ctx.oursFrom, oursBuild: options.oursBuild }, options.nodeFlags);
        Object.assign(row, {
          version: ready.version, build: ready.build, threadsUsed: ready.threads, notes: ready.notes, arenaBytes: ready.arenaBytes,
          coldStartMs, processStartToOutputMs: ready.processStartToOutputMs, importMs: ready.importMs, loadMs: ready.loadMs,
          firstRunMs: ready.firstRunMs, osThreadsAdded: ready.osThreadsAdded,
        });
        if (id === 'ours') reference = ready.logits;
        else {
          row.check = checkOutput(reference!, ready.logits, options.tolerance);
          if (!row.check.ok) {
            row.error = `output differs from ours: max |Δ| ${row.check.maxAbsDiff.toExponential(2)} = ${row.check.relative.toExponential(2)} × std (tolerance ${options.tolerance})`;
            row.peakRssBytes = await child.finish().catch(() => undefined);
            continue;
          }
        }
        live.push({ row, child });
      } catch (e) {
        row.error = (e as Error).message.split('\n').slice(0, 6).join('\n');
        log(`${model} ×${threads}: ${info.label} failed: ${row.error}`);
      }
    }
    // Each child is a variant: warm-up and primer runs are 'warmup' requests, a timed run is one
    // 'time' request (the child times the run itself, without the IPC round trip).
    const timing = [...live];
    const variants = timing.map(({ row, child }): Variant => ({
      name: row.label,
      warm: async (runs) => void (runs > 0 && (await child.request({ type: 'warmup', runs }, 'warmedUp'))),
      time: async () => (await child.request({ type: 'time' }, 'timed')).ms,
    }));
    const times = await interleave(variants, {
      rounds: options.runs, warmup: options.warmup, primer: options.primer,
      // Let the previous runtime's pool threads stop spinning and sleep before the next one runs.
      settleMs: SETTLE_MS,
      /** A child that fails mid-way loses its timings (its row says why); the others go on. */
      onError(variant, e) {
        const entry = timing[variants.indexOf(variant)]!;
        entry.row.error = (e as Error).message.split('\n').slice(0, 6).join('\n');
        entry.child.kill();
        live.splice(live.indexOf(entry), 1);
        log(`${model} ×${threads}: ${entry.row.label} failed: ${entry.row.error}`);
      },
      onRound: (round, ms) => log(`${model} ×${threads}: round ${round + 1}/${options.runs} ` +
        timing.flatMap(({ row }, i) => (Number.isNaN(ms[i]) ? [] : [`${row.runtime} ${ms[i]!.toFixed(0)}`])).join(', ')),
    });
    timing.forEach(({ row }, i) => (row.timesMs = times[i]!));
    const ours = live.find(({ row }) => row.role === 'ours');
    if (ours && ctx.profiles[model] === undefined) {
      try {
        const { split } = await ours.child.request({ type: 'profile' }, 'profiled');
        if (split) ctx.profiles[model] = split;
      } catch (e) {
        log(`${model}: profiling ours failed: ${(e as Error).message}`);
      }
    }
    for (const entry of [...live]) entry.row.peakRssBytes = await entry.child.finish().catch(() => undefined);
  } finally {
    for (const { child } of live) child.kill();
  }
  for (const row of rows) {
    if (row.timesMs.length === 0) continue;
    const t = timeStats(row.timesMs);
    row.p50Ms = t.median;
    row.p90Ms = t.p90;
    row.minMs = t.min;
    row.gflops = (2 * ctx.macs) / (row.p50Ms * 1e6);
  }
  const oursRow = rows.find((r) => r.role === 'ours');
  for (const row of rows) {
    if (oursRow?.p50Ms === undefined || row.p50Ms === undefined) continue;
    row.oursOverThis = oursRow.p50Ms / row.p50Ms;
    row.oursOverThisPaired = pairedRatio(oursRow.timesMs, row.timesMs)?.median;
  }
  return rows;
}

/** Writes `<dir>/<name>.json`, `.md` and `.svg`; returns their paths. */
export function writeResults(result: BenchResult, dir: string, name: string): { json: string; md: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `${name}.json`), md = path.join(dir, `${name}.md`), svg = path.join(dir, `${name}.svg`);
  writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(md, renderMarkdown(result, `${name}.svg`));
  writeFileSync(svg, renderChartSvg(result));
  return { json, md, svg };
}

const SCRIPT = {
  command: 'npm run bench --',
  summary: 'End-to-end latency of the networks, ours side by side with onnxruntime-web, tfjs-backend-wasm and onnxruntime-node, each in its own process.',
};

/** The options of `npm run bench` / `inception-wasm bench` (src/commands/bench.ts passes them on). */
export const BENCH_OPTIONS = {
  model: { type: 'strings', choices: ['all', ...Object.keys(MODELS)], help: `networks, or all (default ${BENCH_MODELS.join(',')})` },
  threads: { type: 'ints', default: DEFAULT_OPTIONS.threads, min: 1, help: 'thread counts' },
  runs: { type: 'int', default: DEFAULT_OPTIONS.runs, min: 1, help: 'timed rounds, interleaved over the runtimes' },
  warmup: { type: 'int', default: DEFAULT_OPTIONS.warmup, min: 0, help: 'untimed runs per runtime before the first round' },
  primer: { type: 'int', default: DEFAULT_OPTIONS.primer, min: 0, help: 'untimed runs right before each timed run, same process' },
  size: { type: 'int', min: 1, help: 'square input size for every network (default: each one\'s standard size)' },
  peers: { type: 'boolean', help: 'run the peers (the default)' },
  'no-peers': { type: 'boolean', help: 'ours only' },
  runtimes: { type: 'strings', choices: RUNTIME_ORDER, help: 'restrict the runtimes (ours always runs: it is the reference)' },
  ours: { type: 'string', default: 'auto', choices: ['auto', 'src', 'dist'], help: 'our engine from src/ (tsx), dist/, or auto: dist/ when built and fresh' },
  build: { type: 'string', default: 'auto', choices: ['auto', 'baseline', 'relaxed'], help: 'our kernel build' },
  tolerance: { type: 'number', default: DEFAULT_OPTIONS.tolerance, positive: true, help: 'a peer passes when max |Δ| ≤ tolerance · std(our logits)' },
  json: { type: 'boolean', help: 'print the result JSON instead of the markdown table' },
  out: { type: 'string', help: 'results folder (default bench/results)' },
  name: { type: 'string', default: 'latest', help: 'results file stem' },
  'relaxed-simd': { type: 'boolean', help: 'pass --experimental-wasm-relaxed-simd to every child' },
  render: { type: 'string', help: 're-render <x>.md and <x>.svg from an earlier <x>.json (no benchmark)' },
} as const;

/** Parses the command line of `npm run bench` / `inception-wasm bench` into options; throws UsageError or HelpRequested. */
export function parseBenchArgs(argv: readonly string[]): { options: BenchOptions; json: boolean; outDir: string; name: string; render?: string } {
  const values = parseOptions(BENCH_OPTIONS, argv, SCRIPT);
  const models = values.model === undefined || values.model.includes('all') ? [...BENCH_MODELS] : values.model;
  if (values.peers && values['no-peers']) throw new UsageError('--peers and --no-peers contradict each other');
  const options: BenchOptions = {
    ...DEFAULT_OPTIONS,
    models, threads: values.threads, tolerance: values.tolerance, runtimes: values.runtimes as RuntimeId[] | undefined,
    ours: values.ours as BenchOptions['ours'], oursBuild: values.build as BenchOptions['oursBuild'],
    inputSize: values.size, runs: values.runs, warmup: values.warmup, primer: values.primer,
    peers: !values['no-peers'],
    nodeFlags: values['relaxed-simd'] ? ['--experimental-wasm-relaxed-simd'] : [],
    command: ['tsx bench/run.ts', ...argv].join(' '),
    progress: process.stderr.isTTY ? (line) => process.stderr.write(`${line}\n`) : undefined,
  };
  const defaultOut = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  return { options, json: values.json, outDir: values.out ?? defaultOut, name: values.name, render: values.render };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(e.message);
      return 0;
    }
    if (!(e instanceof UsageError)) throw e;
    console.error(`bench: ${e.message}`);
    return 2;
  }
  if (parsed.render) {
    // Re-render the markdown and the chart of an earlier run (no benchmark).
    const result = JSON.parse(readFileSync(parsed.render, 'utf8')) as BenchResult;
    const stem = path.join(path.dirname(parsed.render), path.basename(parsed.render, '.json'));
    writeFileSync(`${stem}.md`, renderMarkdown(result, `${path.basename(stem)}.svg`));
    writeFileSync(`${stem}.svg`, renderChartSvg(result));
    console.error(`bench: wrote ${stem}.md, ${stem}.svg from ${parsed.render}`);
    return 0;
  }
  const result = await runBench(parsed.options);
  const written = writeResults(result, parsed.outDir, parsed.name);
  if (parsed.json) console.log(JSON.stringify(result, null, 2));
  else console.log(renderMarkdown(result, path.basename(written.svg)));
  console.error(`bench: wrote ${written.json}, ${written.md}, ${written.svg}`);
  return result.rows.some((r) => r.role === 'ours' && r.error) ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
