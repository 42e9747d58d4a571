/**
 * `npm run bench:int8 [-- --model m,… --size px --threads 1,2 --calibration n --rounds n --warmup n
 * --primer n --build auto|baseline|relaxed --rss model|none --rss-size px --rss-threads n
 * --rss-modes dropped,cleared,cleared-mmap --profile
 * --profile-runs n --profile-repeats n --json --out dir --name stem --progress]`
 *
 * An int8 session (`precision: 'int8'`) against the f32 session of the same network, graph and
 * seeded weights, in one process:
 *
 * 1. **Weight bytes**: `session.info.weightBytes` of each, and int8/f32 (goal ≤ 0.30). The int8
 *    session calibrates on `--calibration` inputs `seededInputNCHW(…, seed CALIBRATION_SEED + i)`.
 * 2. **Speed**: per thread count, both sessions created side by side and timed by the harness
 *    (bench/harness/interleave.ts): warm-up, then rounds of one f32 and one int8 run, alternating
 *    which goes first, each timed run right after `primer` untimed runs of the same session. p50
 *    of each and the paired ratio int8/f32 with its bootstrap 95 % interval (bench/harness/stats.ts;
 *    goal ≤ 0.75). Both run `seededInputNCHW` at the fixture seed, which is not a calibration input;
 *    SQNR of the int8 logits against the f32 logits is 10·log10(Σy² / Σ(y − ŷ)²).
 * 3. **Memory**: each precision loaded in a fresh child process (`node --expose-gc`, tsx, this
 *    file with RSS_CHILD_ENV set): graph, seeded weights and calibration inputs are built inside
 *    one function that returns only the session, so the bench holds no reference to the f32
 *    weight map afterwards; then `gc()` a few times and `process.memoryUsage()` after load and
 *    after one run, the peak RSS of the whole load (`resourceUsage().maxRSS`) and the session's
 *    `memoryBytes` (goal: int8 RSS after load ≤ 200 MB). In RSS_MODES: 'dropped' is that alone;
 *    'cleared' also empties the weight Map and the calibration array once the session exists,
 *    which frees them even if the engine still references the containers; 'cleared-mmap' adds
 *    GLIBC_TUNABLES's fixed mmap threshold, so freed tensors go back to the OS rather than stay
 *    in malloc's heap (glibc raises its threshold after the first large free).
 * 4. **Profile** (one thread), for every network where int8's paired median is above 1 at some
 *    thread count, or all with `--profile`: `session.profile()` of both, `--profile-runs` rounds
 *    alternating the order, median per step, steps summed per name (names are the graph nodes';
 *    int8's quantize/dequantize conversions have their own `<value>/quantize` names).
 *
 * The markdown on stdout (the JSON with --json); `--out dir` also writes `<dir>/<name>.md` and
 * `.json` (default name int8-session). Progress on stderr when it is a terminal, or with --progress.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StepProfile } from '../src/bindings/executor.js';
import { buildNetwork, MODELS, variantInfo } from '../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../src/inception/seeded-weights.js';
import { createSession, type Session } from '../src/session.js';
import {
  interleave, fnVariant, markdownTable, median, ms, pairedRatio, parseOrExit, progress, ratioCell, timeCell, timeStats,
  type PairedRatio, type TimeStats,
} from './harness/index.js';

export const INT8_SESSION_SCHEMA = 'inception-wasm/bench-int8-session@1';
/** Calibration input i is seededInputNCHW at seed CALIBRATION_SEED + i: never the timed input's seed (42). */
export const CALIBRATION_SEED = 1000;
export const GOALS = { weightRatio: 0.3, speedRatio: 0.75, rssBytes: 200e6 } as const;
const RSS_CHILD_ENV = 'INCEPTION_INT8_RSS_CHILD';
const THIS_FILE = fileURLToPath(import.meta.url);
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const DEFAULT_MODELS = ['googlenet', 'inception_v3', 'inception_v4', 'inception_resnet_v2'];
type Build = 'auto' | 'baseline' | 'relaxed';

/** 10·log10(Σy² / Σ(y − ŷ)²) of `test` against `reference` (Infinity when equal), in float64. */
export function sqnrDb(reference: Float32Array, test: Float32Array): number {
  if (reference.length !== test.length) throw new Error(`sqnr: ${reference.length} reference values, ${test.length} test values`);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i]! * reference[i]!;
    noise += (reference[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/** 'met' when the whole interval is at or under the goal, 'missed' when all of it is above, else 'unclear'. */
export function verdict(p: Pick<PairedRatio, 'lo' | 'hi'> | undefined, goal: number): 'met' | 'missed' | 'unclear' | '—' {
  if (p === undefined) return '—';
  return p.hi <= goal ? 'met' : p.lo > goal ? 'missed' : 'unclear';
}

/** The `--calibration` inputs of a graph with planned NCHW input `shape`. */
export function calibrationInputs(shape: readonly number[], count: number): Float32Array[] {
  const [n, c, h, w] = shape as [number, number, number, number];
  return Array.from({ length: count }, (_, i) => seededInputNCHW(n, c, h, w, CALIBRATION_SEED + i));
}

function plannedInputShape(model: string, size: number | undefined): [number, number, number, number] {
  const px = size ?? (variantInfo(model).inputSize[0] as number);
  return [1, 3, px, px];
}

const int8Options = (shape: readonly number[], calibration: number) =>
  ({ precision: 'int8' as const, calibration: { inputs: calibrationInputs(shape, calibration) } });

// ---------------------------------------------------------------------------------------------
// Memory: one child process per precision.

export const RSS_MODES = ['dropped', 'cleared', 'cleared-mmap'] as const;
export type RssMode = (typeof RSS_MODES)[number];
/** 'cleared-mmap' runs the child with this environment variable (glibc's default initial threshold, fixed). */
const FIXED_MMAP_THRESHOLD = 'glibc.malloc.mmap_threshold=131072';

export interface RssChildArgs { model: string; size?: number; precision: 'f32' | 'int8'; mode: RssMode; threads: number; calibration: number; build: Build }

export interface RssResult extends RssChildArgs {
  inputSize: number;
  /** After importing the engine, before building anything (Node + tsx + modules). */
  rssStartBytes: number;
  rssAfterLoadBytes: number;
  rssAfterRunBytes: number;
  /** Peak RSS of the child up to after the run (includes the f32 weight map and calibration while they lived). */
  peakRssBytes: number;
  heapUsedAfterLoadBytes: number;
  externalAfterLoadBytes: number;
  /** JS ArrayBuffers alive after load: the f32 weight map and calibration inputs if anything still holds them. */
  arrayBuffersAfterLoadBytes: number;
  memoryBytes: number;
  weightBytes: number;
}

async function settleGc(times = 4): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('int8-session: the RSS child needs node --expose-gc');
  for (let i = 0; i < times; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Builds graph, f32 weight map and calibration inputs here and returns only the session: the caller keeps nothing else. */
async function loadForRss(a: RssChildArgs): Promise<Session> {
  const graph = buildNetwork(a.model, { inputSize: a.size });
  const weights = seededWeights(graph.weights);
  const inputs = a.precision === 'int8' ? calibrationInputs(plannedInputShape(a.model, a.size), a.calibration) : [];
  const session = await createSession({
    graph, weights, threads: a.threads, build: a.build, ...(a.precision === 'int8' ? { precision: 'int8' as const, calibration: { inputs } } : {}),
  });
  if (a.mode !== 'dropped') {
    weights.clear();
    inputs.length = 0;
  }
  return session;
}

async function rssChild(a: RssChildArgs): Promise<RssResult> {
  await settleGc();
  const rssStartBytes = process.memoryUsage().rss;
  const session = await loadForRss(a);
  await settleGc();
  const afterLoad = process.memoryUsage();
  const [n, c, h, w] = session.info.inputShape as [number, number, number, number];
  await session.run(seededInputNCHW(n, c, h, w));
  await settleGc();
  const rssAfterRunBytes = process.memoryUsage().rss;
  const result: RssResult = {
    ...a, inputSize: h, rssStartBytes, rssAfterLoadBytes: afterLoad.rss, rssAfterRunBytes, peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedAfterLoadBytes: afterLoad.heapUsed, externalAfterLoadBytes: afterLoad.external, arrayBuffersAfterLoadBytes: afterLoad.arrayBuffers, memoryBytes: session.memoryBytes,
    weightBytes: session.info.weightBytes,
  };
  await session.dispose();
  return result;
}

/** Runs rssChild in a fresh `node --expose-gc` process; its one stdout line is the result JSON. */
function measureRss(a: RssChildArgs): Promise<RssResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--expose-gc', '--import', TSX_LOADER, THIS_FILE], {
      env: { ...process.env, [RSS_CHILD_ENV]: JSON.stringify(a), ...(a.mode === 'cleared-mmap' ? { GLIBC_TUNABLES: FIXED_MMAP_THRESHOLD } : {}) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    proc.stderr.setEncoding('utf8').on('data', (s: string) => (err = (err + s).slice(-4000)));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)!) as RssResult);
      else reject(new Error(`int8-session: RSS child (${a.model} ${a.precision} ${a.mode}) exited ${signal ?? `with code ${code}`}: ${err.trim()}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Weight bytes, speed, accuracy, profile: both sessions in this process.

export interface SpeedRow {
  threads: number;
  f32: TimeStats;
  int8: TimeStats;
  /** Median over rounds of int8/f32 with its 95 % interval. */
  ratio: PairedRatio | undefined;
  f32TimesMs: number[];
  int8TimesMs: number[];
  sqnrDb: number;
  /** int8 logits bitwise equal to those at the first thread count (threads never change results). */
  int8SameAsFirstThreads: boolean;
}

export interface ProfileRow {
  name: string;
  int8Kinds: string;
  int8Ms: number;
  /** '' and NaN when f32 has no step of that name (int8's conversions). */
  f32Kinds: string;
  f32Ms: number;
}

export interface ModelResult {
  model: string;
  inputSize: number;
  build: string;
  f32: { weightBytes: number; memoryBytes: number; createMs: number };
  int8: { weightBytes: number; memoryBytes: number; createMs: number };
  weightRatio: number;
  speed: SpeedRow[];
  /** One thread; every int8 step name, slowest first, and f32-only names after them. */
  profile?: { runs: number; repeats: number; rows: ProfileRow[]; int8TotalMs: number; f32TotalMs: number; conversionsMs: number };
}

export interface Int8SessionOptions {
  models: readonly string[];
  size?: number;
  threads: readonly number[];
  calibration: number;
  rounds: number;
  warmup: number;
  primer: number;
  build: Build;
  rss?: { model: string; size?: number; threads: number; modes: readonly RssMode[] };
  profile: boolean;
  profileRuns: number;
  /** Runs per step within one profile round, the fastest kept. */
  profileRepeats: number;
  command: string;
  log: (line: string) => void;
}

export interface Int8SessionResult {
  schema: typeof INT8_SESSION_SCHEMA;
  startedAt: string;
  finishedAt: string;
  command: string;
  machine: { cpu: string; cores: number; node: string; loadAvgStart: number[]; loadAvgEnd: number[] };
  options: Omit<Int8SessionOptions, 'log' | 'command'>;
  models: ModelResult[];
  rss: RssResult[];
  failures: Failure[];
}

/** Sums each step name's median time (steps of one node share its name) in first-seen order. */
function perName(runs: readonly StepProfile[][]): Map<string, { kinds: Set<string>; ms: number }> {
  const out = new Map<string, { kinds: Set<string>; ms: number }>();
  runs[0]!.forEach((step, i) => {
    const entry = out.get(step.name) ?? { kinds: new Set<string>(), ms: 0 };
    entry.kinds.add(step.kind);
    entry.ms += median(runs.map((r) => r[i]!.ms));
    out.set(step.name, entry);
  });
  return out;
}

/** Matches int8 and f32 profiles by step name (see perName). */
export function profileRows(int8Runs: readonly StepProfile[][], f32Runs: readonly StepProfile[][]): ProfileRow[] {
  const q = perName(int8Runs);
  const f = perName(f32Runs);
  const rows: ProfileRow[] = [...q].map(([name, e]) => ({
    name, int8Kinds: [...e.kinds].join('+'), int8Ms: e.ms, f32Kinds: [...(f.get(name)?.kinds ?? [])].join('+'), f32Ms: f.get(name)?.ms ?? NaN,
  }));
  rows.sort((a, b) => b.int8Ms - a.int8Ms);
  for (const [name, e] of f) if (!q.has(name)) rows.push({ name, int8Kinds: '', int8Ms: NaN, f32Kinds: [...e.kinds].join('+'), f32Ms: e.ms });
  return rows;
}

async function profilePair(o: Int8SessionOptions, model: string, graph: ReturnType<typeof buildNetwork>, weights: Map<string, Float32Array>, shape: number[], input: Float32Array): Promise<NonNullable<ModelResult['profile']>> {
  const f = await createSession({ graph, weights, threads: 1, build: o.build });
  const q = await createSession({ graph, weights, threads: 1, build: o.build, ...int8Options(shape, o.calibration) });
  try {
    for (let i = 0; i < o.warmup; i++) {
      await f.profile({ input, repeats: 1 });
      await q.profile({ input, repeats: 1 });
    }
    const fRuns: StepProfile[][] = [];
    const qRuns: StepProfile[][] = [];
    for (let r = 0; r < o.profileRuns; r++) {
      const repeats = o.profileRepeats;
      if (r % 2 === 0) fRuns.push(await f.profile({ input, repeats }));
      qRuns.push(await q.profile({ input, repeats }));
      if (r % 2 === 1) fRuns.push(await f.profile({ input, repeats }));
      o.log(`${model}: profile round ${r + 1}/${o.profileRuns}`);
    }
    const rows = profileRows(qRuns, fRuns);
    const sum = (xs: number[]) => xs.filter(Number.isFinite).reduce((a, b) => a + b, 0);
    return {
      runs: o.profileRuns, repeats: o.profileRepeats, rows, int8TotalMs: sum(rows.map((r) => r.int8Ms)), f32TotalMs: sum(rows.map((r) => r.f32Ms)),
      conversionsMs: sum(rows.filter((r) => /^(quantize|dequantize)$/.test(r.int8Kinds)).map((r) => r.int8Ms)),
    };
  } finally {
    await f.dispose();
    await q.dispose();
  }
}

/** A measurement that threw: recorded and skipped, so one failure does not lose the rest of a long run. */
export interface Failure { what: string; error: string }

async function attempt<T>(what: string, failures: Failure[], log: (line: string) => void, job: () => Promise<T>): Promise<T | undefined> {
  try {
    return await job();
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    log(`${what} failed: ${error}`);
    failures.push({ what, error });
    return undefined;
  }
}

async function measureModel(o: Int8SessionOptions, model: string, failures: Failure[]): Promise<ModelResult | undefined> {
  const graph = buildNetwork(model, { inputSize: o.size });
  const weights = seededWeights(graph.weights);
  const shape = plannedInputShape(model, o.size);
  const input = seededInputNCHW(shape[0], shape[1], shape[2], shape[3]);
  const speed: SpeedRow[] = [];
  let sizes: Pick<ModelResult, 'f32' | 'int8' | 'build'> | undefined;
  let firstInt8: Float32Array | undefined;
  for (const threads of o.threads) await attempt(`${model} ×${threads}`, failures, o.log, async () => {
    o.log(`${model} ${shape[2]}px ×${threads}: creating f32 and int8 (${o.calibration} calibration inputs) sessions`);
    const sessions: Session[] = [];
    /** Creates a session (disposed in `finally`) and times its creation. */
    const open = async (extra: object): Promise<[Session, number]> => {
      const t0 = performance.now();
      sessions.push(await createSession({ graph, weights, threads, build: o.build, ...extra }));
      return [sessions.at(-1)!, performance.now() - t0];
    };
    try {
      const [f, fCreate] = await open({});
      const [q, qCreate] = await open(int8Options(shape, o.calibration));
      sizes ??= {
        build: f.info.build,
        f32: { weightBytes: f.info.weightBytes, memoryBytes: f.memoryBytes, createMs: fCreate },
        int8: { weightBytes: q.info.weightBytes, memoryBytes: q.memoryBytes, createMs: qCreate },
      };
      const [fTimes, qTimes] = await interleave([fnVariant('f32', () => f.run(input)), fnVariant('int8', () => q.run(input))], {
        rounds: o.rounds, warmup: o.warmup, primer: o.primer,
        onRound: (r, t) => o.log(`${model} ×${threads}: round ${r + 1}/${o.rounds}: f32 ${ms(t[0]!)}, int8 ${ms(t[1]!)}`),
      }) as [number[], number[]];
      const yF = (await f.run(input)).logits;
      const yQ = (await q.run(input)).logits;
      firstInt8 ??= yQ;
      speed.push({
        threads: q.info.threads, f32: timeStats(fTimes), int8: timeStats(qTimes), ratio: pairedRatio(qTimes, fTimes),
        f32TimesMs: fTimes, int8TimesMs: qTimes, sqnrDb: sqnrDb(yF, yQ),
        int8SameAsFirstThreads: yQ.length === firstInt8.length && yQ.every((x, i) => Object.is(x, firstInt8![i])),
      });
    } finally {
      for (const s of sessions) await s.dispose();
    }
  });
  if (!sizes) return undefined;
  const result: ModelResult = { model, inputSize: shape[2], ...sizes, weightRatio: sizes.int8.weightBytes / sizes.f32.weightBytes, speed };
  if (o.profile || speed.some((s) => (s.ratio?.median ?? 0) > 1)) {
    o.log(`${model}: profiling both at one thread`);
    result.profile = await attempt(`${model} profile`, failures, o.log, () => profilePair(o, model, graph, weights, shape, input));
  }
  return result;
}

/** Runs everything in the module comment. */
export async function runInt8Session(o: Int8SessionOptions): Promise<Int8SessionResult> {
  const startedAt = new Date().toISOString();
  const loadAvgStart = os.loadavg();
  const models: ModelResult[] = [];
  const failures: Failure[] = [];
  for (const model of o.models) {
    const m = await attempt(model, failures, o.log, () => measureModel(o, model, failures));
    if (m) models.push(m);
  }
  const rss: RssResult[] = [];
  if (o.rss) {
    const { modes, ...where } = o.rss;
    for (const mode of modes) {
      for (const precision of ['f32', 'int8'] as const) {
        o.log(`RSS: ${where.model} ${precision} ${mode} in a fresh process`);
        const x = await attempt(`RSS ${where.model} ${precision} ${mode}`, failures, o.log, () => measureRss({ ...where, precision, mode, calibration: o.calibration, build: o.build }));
        if (x) rss.push(x);
      }
    }
  }
  const { log: _log, command, ...options } = o;
  return {
    schema: INT8_SESSION_SCHEMA, startedAt, finishedAt: new Date().toISOString(), command,
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, loadAvgStart, loadAvgEnd: os.loadavg() },
    options, models, rss, failures,
  };
}

// ---------------------------------------------------------------------------------------------
// Report.

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const db = (x: number) => (x === Infinity ? '∞' : x.toFixed(1));
const ratio = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');

function profileTable(rows: readonly ProfileRow[]): string {
  return markdownTable(
    ['step (graph node)', 'int8 kind', 'int8 ms', 'f32 kind', 'f32 ms', 'int8/f32', 'int8 − f32 ms'],
    rows.map((r) => [r.name, r.int8Kinds || '—', ms(r.int8Ms), r.f32Kinds || '—', ms(r.f32Ms), ratio(r.int8Ms / r.f32Ms), ms(r.int8Ms - r.f32Ms)]),
    [2, 4, 5, 6],
  );
}

export function renderInt8SessionMarkdown(r: Int8SessionResult): string {
  const o = r.options;
  const out: string[] = ['# int8 sessions against f32: weight bytes, speed, memory', ''];
  out.push(
    `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${r.machine.cpu} · ${r.machine.cores} cores · Node ${r.machine.node} · load average ` +
      `${r.machine.loadAvgStart.map((l) => l.toFixed(1)).join('/')} at start, ${r.machine.loadAvgEnd.map((l) => l.toFixed(1)).join('/')} at end`, '',
    `Command: \`${r.command}\``, '',
    `Seeded (untrained) weights; int8 calibrated on ${o.calibration} seeded inputs (seeds ${CALIBRATION_SEED}…${CALIBRATION_SEED + o.calibration - 1}); ` +
      `timed and compared on \`seededInputNCHW\` (seed 42, not a calibration input). Batch 1. Build: ${r.models[0]?.build ?? '—'}. MB = 10⁶ bytes.`, '',
  );
  out.push('## Weight bytes', '');
  out.push(markdownTable(
    ['network', 'input', 'f32 weights MB', 'int8 weights MB', 'int8/f32', `goal ≤ ${GOALS.weightRatio}`, 'f32 wasm memory MB', 'int8 wasm memory MB', 'f32 create ms', 'int8 create ms (incl. calibration)'],
    r.models.map((m) => [
      m.model, `${m.inputSize}×${m.inputSize}`, mb(m.f32.weightBytes), mb(m.int8.weightBytes), m.weightRatio.toFixed(3), m.weightRatio <= GOALS.weightRatio ? 'met' : 'missed',
      mb(m.f32.memoryBytes), mb(m.int8.memoryBytes), ms(m.f32.createMs), ms(m.int8.createMs),
    ]),
    [2, 3, 4, 6, 7, 8, 9],
  ), '');
  out.push('## Speed', '');
  out.push(
    `${o.rounds} rounds after ${o.warmup} warm-up run(s) each: one f32 and one int8 run per round, alternating which goes first, each timed run right ` +
      `after ${o.primer} untimed run(s) of the same session. int8/f32 is the median of the per-round ratios with its bootstrap 95 % interval; ` +
      `the goal is "met" when the whole interval is ≤ ${GOALS.speedRatio}, "missed" when all of it is above. SQNR: int8 logits against f32's.`, '',
  );
  out.push(markdownTable(
    ['network', 'input', 'threads', 'f32 ms: p50 (p10–p90, min)', 'int8 ms: p50 (p10–p90, min)', 'int8/f32 paired [95 %]', `goal ≤ ${GOALS.speedRatio}`, 'SQNR dB', 'int8 same at every thread count'],
    r.models.flatMap((m) => m.speed.map((s) => [
      m.model, `${m.inputSize}×${m.inputSize}`, String(s.threads), timeCell(s.f32), timeCell(s.int8), ratioCell(s.ratio), verdict(s.ratio, GOALS.speedRatio),
      db(s.sqnrDb), s.int8SameAsFirstThreads ? 'yes' : 'NO',
    ])),
    [2, 7],
  ), '');
  if (r.rss.length > 0) {
    out.push('## Memory', '');
    out.push(
      'Each session loaded in a fresh `node --expose-gc` process (tsx), with seeded weights passed as a Map; the bench keeps no reference to ' +
        'the Map or the calibration inputs once the session exists; `gc()` ×4, then `process.memoryUsage()`. Modes: **dropped** = that alone; ' +
        '**cleared** = also `weights.clear()` and the calibration array emptied (frees the tensors even where the engine still holds the containers); ' +
        `**cleared-mmap** = cleared, in a process run with \`GLIBC_TUNABLES=${FIXED_MMAP_THRESHOLD}\` (freed tensors return to the OS instead of staying in malloc's heap). ` +
        '"start" is the process before building anything (Node, tsx, the engine\'s modules); "peak" is its maximum RSS up to after the run; ' +
        `"ArrayBuffers" counts JS buffers still alive after load (the f32 weight map, if retained). Goal: int8 RSS after load ≤ ${mb(GOALS.rssBytes)} MB.`, '',
    );
    out.push(markdownTable(
      ['precision', 'mode', 'network', 'input', 'threads', 'RSS start MB', 'RSS after load MB', 'RSS after one run MB', 'peak RSS MB', 'ArrayBuffers after load MB', 'session memoryBytes MB', 'weight MB', 'goal'],
      r.rss.map((x) => [
        x.precision, x.mode, x.model, `${x.inputSize}×${x.inputSize}`, String(x.threads), mb(x.rssStartBytes), mb(x.rssAfterLoadBytes), mb(x.rssAfterRunBytes),
        mb(x.peakRssBytes), mb(x.arrayBuffersAfterLoadBytes), mb(x.memoryBytes), mb(x.weightBytes),
        x.precision === 'int8' ? (x.rssAfterLoadBytes <= GOALS.rssBytes ? 'met' : 'missed') : '—',
      ]),
      [4, 5, 6, 7, 8, 9, 10, 11],
    ), '');
  }
  if (r.failures.length > 0) out.push('## Failures', '', ...r.failures.map((f) => `- ${f.what}: ${f.error.split('\n')[0]}`), '');
  for (const m of r.models) {
    if (!m.profile) continue;
    const p = m.profile;
    out.push(`## Where the time goes: ${m.model} ${m.inputSize}×${m.inputSize}, one thread`, '');
    out.push(
      `\`session.profile({ repeats: ${p.repeats} })\` of both (fastest of ${p.repeats} per step), ${p.runs} rounds alternating the order, median per step over the rounds, steps summed per graph-node name. ` +
        `Step sums: int8 ${ms(p.int8TotalMs)} ms (of which quantize/dequantize ${ms(p.conversionsMs)} ms), f32 ${ms(p.f32TotalMs)} ms.`, '',
      '10 slowest int8 steps:', '', profileTable(p.rows.filter((x) => Number.isFinite(x.int8Ms)).slice(0, 10)), '',
      '10 largest int8 − f32 gaps:', '',
      profileTable([...p.rows].filter((x) => Number.isFinite(x.int8Ms - x.f32Ms)).sort((a, b) => (b.int8Ms - b.f32Ms) - (a.int8Ms - a.f32Ms)).slice(0, 10)), '',
    );
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Command line.

const SCRIPT = {
  command: 'npm run bench:int8 --',
  summary: 'int8 against f32 sessions: weight bytes, interleaved speed with a paired ratio, SQNR, RSS in a fresh process, and a per-step profile where int8 is slower.',
};

export const INT8_SESSION_OPTIONS = {
  model: { type: 'strings', default: DEFAULT_MODELS, choices: Object.keys(MODELS), help: 'networks' },
  size: { type: 'int', min: 1, help: 'square input size (default: each network\'s standard size)' },
  threads: { type: 'ints', default: [1, 2], min: 1, help: 'thread counts' },
  calibration: { type: 'int', default: 4, min: 1, help: 'seeded calibration inputs of the int8 sessions' },
  rounds: { type: 'int', default: 20, min: 1, help: 'timed rounds (one f32 and one int8 run each)' },
  warmup: { type: 'int', default: 2, min: 0, help: 'untimed runs of each session first' },
  primer: { type: 'int', default: 1, min: 0, help: 'untimed runs of a session right before each of its timed runs' },
  build: { type: 'string', default: 'auto', choices: ['auto', 'baseline', 'relaxed'], help: 'kernel build' },
  rss: { type: 'string', default: 'inception_resnet_v2', choices: ['none', ...Object.keys(MODELS)], help: 'network whose f32 and int8 RSS are measured in fresh processes (none: skip)' },
  'rss-size': { type: 'int', min: 1, help: 'its square input size (default: its standard size)' },
  'rss-threads': { type: 'int', default: 1, min: 1, help: 'threads of the RSS sessions' },
  'rss-modes': { type: 'strings', default: RSS_MODES, choices: RSS_MODES, help: 'what is released after load (module comment)' },
  profile: { type: 'boolean', help: 'profile every network (default: only where int8 is slower at some thread count)' },
  'profile-runs': { type: 'int', default: 5, min: 1, help: 'profile rounds (median per step over them)' },
  'profile-repeats': { type: 'int', default: 2, min: 1, help: 'runs per step within a round, the fastest kept' },
  json: { type: 'boolean', help: 'print the result JSON instead of the markdown' },
  out: { type: 'string', help: 'also write <out>/<name>.md and .json' },
  name: { type: 'string', default: 'int8-session', help: 'results file stem' },
  progress: { type: 'boolean', help: 'progress lines on stderr even when it is not a terminal' },
} as const;

async function main(argv: string[]): Promise<number> {
  const v = parseOrExit(INT8_SESSION_OPTIONS, argv, SCRIPT);
  const result = await runInt8Session({
    models: v.model, size: v.size, threads: v.threads, calibration: v.calibration, rounds: v.rounds, warmup: v.warmup, primer: v.primer,
    build: v.build as Build, rss: v.rss === 'none' ? undefined : { model: v.rss, size: v['rss-size'], threads: v['rss-threads'], modes: v['rss-modes'] as RssMode[] },
    profile: v.profile, profileRuns: v['profile-runs'], profileRepeats: v['profile-repeats'], command: ['npx tsx bench/int8-session.ts', ...argv].join(' '),
    log: v.progress ? (line) => process.stderr.write(`${line}\n`) : progress,
  });
  const markdown = renderInt8SessionMarkdown(result);
  if (v.out !== undefined) {
    const stem = path.join(v.out, v.name);
    mkdirSync(v.out, { recursive: true });
    writeFileSync(`${stem}.json`, JSON.stringify(result, null, 2) + '\n');
    writeFileSync(`${stem}.md`, markdown);
    console.error(`bench:int8: wrote ${stem}.json, ${stem}.md`);
  }
  console.log(v.json ? JSON.stringify(result, null, 2) : markdown);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) {
  const child = process.env[RSS_CHILD_ENV];
  if (child !== undefined) console.log(JSON.stringify(await rssChild(JSON.parse(child) as RssChildArgs)));
  else process.exitCode = await main(process.argv.slice(2));
}
