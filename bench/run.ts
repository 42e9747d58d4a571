/**
 * `npm run bench [-- --model m|all --threads 1,2 --precision f32,int8 --browser --runs n --warmup n --primer n
 * --size px --no-peers --runtimes ort-web,tfjs-wasm,ort-node --ours auto|src|dist --build auto|baseline|relaxed --json
 * --out dir --name stem --relaxed-simd --tolerance t --int8-tolerance t --calibration n --chromium path]`;
 * `--render results/x.json` re-renders x.md and x.svg from an earlier run.
 *
 * End-to-end latency of the Inception networks, ours side by side with the peers, in one run.
 * For each network (batch 1, its standard size unless --size), each precision and each thread
 * count, every runtime runs in its own fresh child process (bench/peers/child.ts) — or with
 * --browser in its own fresh headless Chromium page (bench/peers/browser-host.ts) — on the same
 * files: our graph, its seeded weights, our ONNX export of both, one input
 * (bench/peers/artifacts.ts); for int8 also the calibration images and our int8 session's QDQ
 * export (bench/peers/write-int8.ts), which the onnxruntime rows run; TF.js has no int8 row.
 *
 * 1. runtimes start one after another; each one's **cold start** is spawn (page open) → first output;
 * 2. each peer's first output is checked against ours of the same precision (max |Δ| ≤ tolerance ·
 *    std of our logits; --tolerance for f32, --int8-tolerance for int8, where the peers' integer
 *    kernels round differently) before any timing; a peer that disagrees gets no timings;
 * 3. warm-up runs, then `runs` timed runs interleaved round-robin over the runtimes (rotating the
 *    order each round, a 30 ms pause before each), so load on a shared machine hits every runtime alike;
 *    each timed run directly follows `primer` untimed runs in the same process (default 1): a core that
 *    idled while the other runtimes ran is awake again, so the timing is the steady-state latency of
 *    back-to-back inference (on the 2-vCPU dev VM a run after ≥ 0.5 s idle took 1.3–1.5× as long as
 *    back to back — a fixed wake-up cost that weighs most on the fastest runtime; first runs and cold
 *    starts are reported separately);
 * 4. p50/p90, GFLOP/s (2·MACs / p50), peak RSS per child (Node only), our arena peak, build and
 *    feature probe (relaxed SIMD, the int8 relaxed dot) per platform; where one of our runs goes
 *    (per step kind, one thread).
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
import { browserUnavailable, DEFAULT_CHROMIUM, launchBrowserHost } from './peers/browser-host.js';
import { benchCase } from './peers/case-graph.js';
import { renderChartSvg } from './peers/chart.js';
import { nodeHost, type RuntimeHost } from './peers/host.js';
import { renderMarkdown } from './peers/report.js';
import { RESULT_SCHEMA, type BenchResult, type BenchRow, type NetworkInfo } from './peers/results.js';
import { runCase } from './peers/run-case.js';
import { oursSource, type OursSource } from './peers/runtime-ours.js';
import { NO_INT8, PRECISIONS, RUNTIME_ORDER, RUNTIMES, runtimeUnavailable, type Precision, type RuntimeId } from './peers/runtimes.js';
import { writeCaseFiles } from './peers/write-case.js';
import { CALIBRATION_IMAGES, writeInt8Files } from './peers/write-int8.js';
import { HelpRequested, parseOptions, UsageError } from './harness/index.js';

export const BENCH_MODELS = ['googlenet', 'inception_v3', 'inception_v4', 'inception_resnet_v2'] as const;

export interface BenchOptions {
  models: readonly string[];
  /** Square input size for every network (default: each network's standard size). */
  inputSize?: number;
  threads: readonly number[];
  /** f32 (the default), int8, or both: every case runs once per precision. */
  precisions: readonly Precision[];
  /** Run every runtime in headless Chromium (one page each) instead of Node child processes. */
  browser: boolean;
  /** The Chromium binary for --browser (Debian's package; never a download). */
  chromium: string;
  runs: number;
  warmup: number;
  /** Untimed runs right before each timed run, in the same child. */
  primer: number;
  /** Run the peers (those installed) and onnxruntime-node. */
  peers: boolean;
  /** Restrict the runtimes (ours always runs: it is the reference). */
  runtimes?: readonly RuntimeId[];
  /** An f32 peer passes when max |Δ| ≤ tolerance · std(our logits). */
  tolerance: number;
  /** An int8 peer passes when max |Δ| ≤ int8Tolerance · std(our int8 logits). */
  int8Tolerance: number;
  /** Calibration images of the int8 rows. */
  calibrationImages: number;
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
  models: BENCH_MODELS, threads: [1, 2], precisions: ['f32'], browser: false, chromium: DEFAULT_CHROMIUM, runs: 10, warmup: 2, primer: 1,
  peers: true, tolerance: 1e-3, int8Tolerance: 0.05, calibrationImages: CALIBRATION_IMAGES, ours: 'auto', oursBuild: 'auto', nodeFlags: [],
};

/** --browser without a usable Chromium: the benchmark is skipped (main prints `message`, exits 0). */
export class BenchSkipped extends Error {
  override name = 'BenchSkipped';
}

/** The runtimes of a run: ours, then the peers asked for that have a form on the platform. */
export function benchRuntimes(options: Pick<BenchOptions, 'peers' | 'runtimes' | 'browser'>): RuntimeId[] {
  return RUNTIME_ORDER.filter((id) =>
    id === 'ours' || (options.peers && (options.runtimes?.includes(id) ?? true) && (!options.browser || RUNTIMES[id].browser)));
}

/**
 * Why each runtime has no timings in a case of `precision`: `unavailable` (packages missing), and
 * for int8 NO_INT8 for a runtime without an int8 form, or the QDQ export's failure for the ones
 * that would run it. Ours is never marked here: its own failure is its row's error.
 */
export function caseUnavailable(
  runtimes: readonly RuntimeId[], unavailable: ReadonlyMap<RuntimeId, string>, precision: Precision, qdqError?: string,
): Map<RuntimeId, string> {
  const out = new Map(unavailable);
  if (precision !== 'int8') return out;
  for (const id of runtimes) {
    if (out.has(id) || id === 'ours') continue;
    if (!RUNTIMES[id].int8) out.set(id, NO_INT8);
    else if (qdqError) out.set(id, qdqError);
  }
  return out;
}

/** Runs the benchmark (see the module comment) and returns the result record. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.progress ?? (() => undefined);
  const startedAt = new Date().toISOString();
  const loadAvgStart = os.loadavg();
  const runtimes = benchRuntimes(options);
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
  if (options.browser) {
    const why = await browserUnavailable(options.chromium);
    if (why) throw new BenchSkipped(`--browser skipped: ${why}`);
  }
  const ours = oursSource(options.ours);
  log(`ours from ${ours.source}/${ours.why ? ` (${ours.why})` : ''}`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'inception-wasm-bench-'));
  let host: RuntimeHost | undefined;
  let processStartupMs = NaN;
  try {
    host = options.browser ? await launchBrowserHost({ chromium: options.chromium, root: work, log }) : nodeHost(options.nodeFlags);
    for (const id of runtimes.filter((r) => !unavailable.has(r))) {
      await host.prime({ runtime: id, caseDir: work, threads: 1, oursFrom: ours.source });
    }
    processStartupMs = await host.startupMs();
    log(`${options.browser ? 'page open (no runtime)' : 'child process start-up (node + tsx, no runtime)'}: ${processStartupMs.toFixed(0)} ms`);
    for (const model of options.models) {
      const c = benchCase(model, options.inputSize);
      log(`${model} ${c.inputSize}px: writing graph, weights, ONNX export`);
      const { files, graph, weights } = writeCaseFiles(c, path.join(work, `${model}-${c.inputSize}`));
      const cost = graphCost(graph);
      networks.push({ model, variant: c.variant, inputSize: c.inputSize, params: cost.params, macs: cost.macs });
      let f32Reference: Float32Array | undefined;
      for (const precision of options.precisions) {
        let qdqError: string | undefined;
        if (precision === 'int8') {
          log(`${model} ${c.inputSize}px: calibrating our int8 session on ${options.calibrationImages} images, exporting its QDQ model`);
          // A session that cannot be built here leaves the peers without a QDQ file; ours' own row then says why it failed.
          qdqError = await writeInt8Files(c, graph, weights, files, options.calibrationImages)
            .then((r) => r.qdqError, (e: Error) => `our int8 session (for the QDQ export) failed: ${e.message.split('\n')[0]}`);
          if (qdqError) log(`${model}: ${qdqError}`);
        }
        for (const threads of options.threads) {
          const { rows: caseRows, reference } = await runCase({
            model, inputSize: c.inputSize, threads, precision, macs: cost.macs, caseDir: files.dir, runtimes, unavailable: caseUnavailable(runtimes, unavailable, precision, qdqError), host,
            runs: options.runs, warmup: options.warmup, primer: options.primer,
            tolerance: precision === 'int8' ? options.int8Tolerance : options.tolerance,
            oursFrom: ours.source, oursBuild: options.oursBuild, log, profiles, f32Reference,
          });
          if (precision === 'f32') f32Reference ??= reference;
          rows.push(...caseRows);
        }
      }
    }
  } finally {
    await host?.close().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
  const features: BenchResult['features'] = {};
  for (const r of rows) if (r.role === 'ours' && r.features && r.platform) features[r.platform] ??= r.features;
  return {
    schema: RESULT_SCHEMA, startedAt, finishedAt: new Date().toISOString(), command: options.command,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, platform: `${os.platform()} ${os.arch()}`,
      memoryBytes: os.totalmem(), loadAvgStart, loadAvgEnd: os.loadavg(), processStartupMs, browser: host?.description,
    },
    options: {
      models: [...options.models], inputSize: options.inputSize, threads: [...options.threads], runs: options.runs, warmup: options.warmup,
      primer: options.primer, peers: options.peers, tolerance: options.tolerance, nodeFlags: [...options.nodeFlags], oursFrom: ours.source, oursFromWhy: ours.why,
      oursBuild: options.oursBuild, precisions: [...options.precisions], platform: options.browser ? 'chromium' : 'node',
      int8Tolerance: options.int8Tolerance, calibrationImages: options.calibrationImages,
    },
    networks, rows, profiles, features,
  };
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
  summary: 'End-to-end latency of the networks, ours side by side with onnxruntime-web, tfjs-backend-wasm and onnxruntime-node, each in its own process (or, with --browser, each in its own headless Chromium page).',
};

/** The options of `npm run bench` / `inception-wasm bench` (src/commands/bench.ts passes them on). */
export const BENCH_OPTIONS = {
  model: { type: 'strings', choices: ['all', ...Object.keys(MODELS)], help: `networks, or all (default ${BENCH_MODELS.join(',')})` },
  threads: { type: 'ints', default: DEFAULT_OPTIONS.threads, min: 1, help: 'thread counts' },
  precision: { type: 'strings', default: DEFAULT_OPTIONS.precisions, choices: PRECISIONS, help: 'precisions: f32, int8 (ours calibrated; onnxruntime runs our QDQ export; no TF.js row)' },
  browser: { type: 'boolean', help: 'run ours, onnxruntime-web and tfjs-backend-wasm in headless Chromium, one page each (skipped without Chromium)' },
  chromium: { type: 'string', default: DEFAULT_OPTIONS.chromium, help: 'the Chromium binary for --browser' },
  runs: { type: 'int', default: DEFAULT_OPTIONS.runs, min: 1, help: 'timed rounds, interleaved over the runtimes' },
  warmup: { type: 'int', default: DEFAULT_OPTIONS.warmup, min: 0, help: 'untimed runs per runtime before the first round' },
  primer: { type: 'int', default: DEFAULT_OPTIONS.primer, min: 0, help: 'untimed runs right before each timed run, same process' },
  size: { type: 'int', min: 1, help: 'square input size for every network (default: each one\'s standard size)' },
  peers: { type: 'boolean', help: 'run the peers (the default)' },
  'no-peers': { type: 'boolean', help: 'ours only' },
  runtimes: { type: 'strings', choices: RUNTIME_ORDER, help: 'restrict the runtimes (ours always runs: it is the reference)' },
  ours: { type: 'string', default: 'auto', choices: ['auto', 'src', 'dist'], help: 'our engine from src/ (tsx), dist/, or auto: dist/ when built and fresh' },
  build: { type: 'string', default: 'auto', choices: ['auto', 'baseline', 'relaxed'], help: 'our kernel build' },
  tolerance: { type: 'number', default: DEFAULT_OPTIONS.tolerance, positive: true, help: 'an f32 peer passes when max |Δ| ≤ tolerance · std(our logits)' },
  'int8-tolerance': { type: 'number', default: DEFAULT_OPTIONS.int8Tolerance, positive: true, help: 'an int8 peer passes when max |Δ| ≤ this · std(our int8 logits)' },
  calibration: { type: 'int', default: DEFAULT_OPTIONS.calibrationImages, min: 1, help: 'calibration images of the int8 rows (seeded, none the timed input)' },
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
  if (values.browser && values['relaxed-simd']) throw new UsageError('--relaxed-simd is a Node flag; Chromium has relaxed SIMD on (drop one)');
  const options: BenchOptions = {
    ...DEFAULT_OPTIONS,
    models, threads: values.threads, tolerance: values.tolerance, runtimes: values.runtimes as RuntimeId[] | undefined,
    precisions: [...new Set(values.precision as Precision[])], browser: values.browser, chromium: values.chromium,
    int8Tolerance: values['int8-tolerance'], calibrationImages: values.calibration,
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
  let result: BenchResult;
  try {
    result = await runBench(parsed.options);
  } catch (e) {
    if (!(e instanceof BenchSkipped)) throw e;
    console.error(`bench: ${e.message}`);
    return 0;
  }
  const written = writeResults(result, parsed.outDir, parsed.name);
  if (parsed.json) console.log(JSON.stringify(result, null, 2));
  else console.log(renderMarkdown(result, path.basename(written.svg)));
  console.error(`bench: wrote ${written.json}, ${written.md}, ${written.svg}`);
  return result.rows.some((r) => r.role === 'ours' && r.error) ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
