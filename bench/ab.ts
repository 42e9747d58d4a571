/**
 * `npx tsx bench/ab.ts [--a "k=v,…"] [--b "k=v,…"] [--tree-a dir] [--tree-b dir] [--model m,…]
 * [--size px,…] [--threads n,…] [--batch n] [--rounds n] [--json]`: a paired A/B measurement in one
 * process, of
 *  - two option sets on one tree (`--a winograd=false --b winograd=true`; keys: winograd, build,
 *    threads), or
 *  - two trees: this working tree against another checkout of the repository (`--tree-b dir`: a git
 *    worktree, or `git archive <rev> | tar -x -C dir`), each engine imported from its own src/ through
 *    tsx and running its own build/ kernels. A tree needs `build/` (`node scripts/build-wasm.mjs`
 *    run in it) and must resolve this repository's packages (a node_modules there, or a symlink to
 *    this one's: no `npm ci` needed); ab.ts says so when either is missing.
 *
 * For each network × size × thread count both sessions are created, run once each (the primer
 * that compiles and warms them), then timed in rounds: each round runs A and B back to back on the
 * same input, alternating which goes first, each timed run right after `primer` untimed ones of
 * the same session (bench/harness/interleave.ts). Reported: median A, median B (with p10–p90), the
 * median of the per-round ratios B/A with a bootstrap interval (bench/harness/stats.ts), the rounds,
 * and whether the two outputs are bit-identical (else max |Δ| / std of A's logits).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkOutput } from './peers/stats.js';
import {
  HelpRequested, interleave, markdownTable, nearest, pairedRatio, parseOptions, progress, ratioCell, timeCell, timeStats,
  UsageError, type PairedRatio, type TimeStats, type Variant,
} from './harness/index.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The session options an A/B side may set (on top of model, size, threads and batch). */
export interface SideOptions {
  winograd?: boolean;
  build?: 'auto' | 'baseline' | 'relaxed';
  threads?: number;
}

const SIDE_KEYS: Record<keyof SideOptions, (raw: string) => SideOptions[keyof SideOptions]> = {
  winograd: (raw) => {
    if (raw !== 'true' && raw !== 'false') throw new UsageError(`winograd must be true or false, got '${raw}'`);
    return raw === 'true';
  },
  build: (raw) => {
    if (raw !== 'auto' && raw !== 'baseline' && raw !== 'relaxed') throw new UsageError(`build must be auto, baseline or relaxed, got '${raw}'`);
    return raw;
  },
  threads: (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`threads must be an integer ≥ 0, got '${raw}'`);
    return n;
  },
};

/** Parses an option set `k=v,k=v` (empty: no options). */
export function parseSide(flag: string, text: string): SideOptions {
  const side: Record<string, unknown> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const parse = SIDE_KEYS[key as keyof SideOptions];
    if (!parse) {
      const near = nearest(key, Object.keys(SIDE_KEYS));
      throw new UsageError(`${flag}: unknown option '${key}'${near ? `; did you mean ${near}?` : ''} (one of: ${Object.keys(SIDE_KEYS).join(', ')})`);
    }
    if (eq < 0) throw new UsageError(`${flag}: '${key}' needs a value (${key}=…)`);
    try {
      side[key] = parse(item.slice(eq + 1));
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`);
    }
  }
  return side as SideOptions;
}

export const AB_OPTIONS = {
  a: { type: 'string', default: '', help: 'side A\'s session options, k=v,… (winograd, build, threads)' },
  b: { type: 'string', default: '', help: 'side B\'s session options, k=v,…' },
  'tree-a': { type: 'string', help: 'side A\'s checkout of the repository (default: this tree)' },
  'tree-b': { type: 'string', help: 'side B\'s checkout of the repository (default: this tree)' },
  model: { type: 'strings', default: ['googlenet'], help: 'networks' },
  size: { type: 'ints', min: 1, help: 'square input sizes (default: each network\'s standard size)' },
  threads: { type: 'ints', default: [1], min: 0, help: 'thread counts (0 = one per core); a side\'s threads=n overrides' },
  batch: { type: 'int', default: 1, min: 1, help: 'images per run' },
  rounds: { type: 'int', default: 10, min: 1, help: 'timed rounds (one A and one B run each)' },
  primer: { type: 'int', default: 1, min: 0, help: 'untimed runs of a session right before each of its timed runs' },
  json: { type: 'boolean', help: 'print the result as JSON' },
} as const;

const SCRIPT = {
  command: 'npx tsx bench/ab.ts',
  summary: 'Paired A/B timing in one process: two option sets on this tree, or this tree against another checkout.',
};

export interface AbSide {
  /** The checkout the engine is imported from. */
  tree: string;
  options: SideOptions;
}

export interface AbOptions {
  a: AbSide;
  b: AbSide;
  models: readonly string[];
  /** undefined: the network's standard size. */
  sizes: readonly (number | undefined)[];
  threads: readonly number[];
  batch: number;
  rounds: number;
  primer: number;
  command: string;
}

export function parseAbArgs(argv: readonly string[]): AbOptions & { json: boolean } {
  const v = parseOptions(AB_OPTIONS, argv, SCRIPT);
  const tree = (dir: string | undefined) => (dir === undefined ? REPO_ROOT : path.resolve(dir));
  return {
    a: { tree: tree(v['tree-a']), options: parseSide('--a', v.a) },
    b: { tree: tree(v['tree-b']), options: parseSide('--b', v.b) },
    models: v.model, sizes: v.size ?? [undefined], threads: v.threads, batch: v.batch, rounds: v.rounds, primer: v.primer,
    json: v.json, command: ['npx tsx bench/ab.ts', ...argv].join(' '),
  };
}

/** The part of an engine's session API the A/B uses (stable across revisions). */
interface EngineSession {
  info: { inputShape: number[]; threads: number; build: string };
  run(input: Float32Array): Promise<{ logits: Float32Array }>;
  dispose(): Promise<void>;
}
type CreateSession = (options: Record<string, unknown>) => Promise<EngineSession>;

const engines = new Map<string, Promise<CreateSession>>();

/** createSession of the checkout at `tree`, imported from its src/ (this process runs under tsx). */
export function loadEngine(tree: string): Promise<CreateSession> {
  let engine = engines.get(tree);
  if (!engine) {
    engine = (async () => {
      const session = path.join(tree, 'src', 'session.ts');
      if (!existsSync(session)) throw new Error(`ab: ${tree} is not a checkout of this repository (no src/session.ts)`);
      if (!existsSync(path.join(tree, 'build', 'baseline-shared.wasm'))) {
        throw new Error(`ab: ${tree} has no kernel build: run \`node scripts/build-wasm.mjs\` in it (with node_modules there or a symlink to this tree's)`);
      }
      try {
        return ((await import(pathToFileURL(session).href)) as { createSession: CreateSession }).createSession;
      } catch (e) {
        const missing = /Cannot find (?:package|module) '([^']+)'/.exec((e as Error).message)?.[1];
        if (missing) throw new Error(`ab: ${tree} cannot resolve '${missing}': link this tree's packages there (\`ln -s ${path.join(REPO_ROOT, 'node_modules')} ${path.join(tree, 'node_modules')}\`)`);
        throw e;
      }
    })();
    engines.set(tree, engine);
  }
  return engine;
}

export interface AbRow {
  model: string;
  /** Input size as planned (the network's standard size when not given). */
  inputShape: number[];
  threads: { a: number; b: number };
  batch: number;
  build: { a: string; b: string };
  timesA: number[];
  timesB: number[];
  /** Which side ran first in each round. */
  firstInRound: ('a' | 'b')[];
  a: TimeStats;
  b: TimeStats;
  /** Median over rounds of B/A, with its interval. */
  ratio: PairedRatio;
  /** Outputs of one run of each: bitwise equal, else max |Δ| / std of A's logits. */
  outputs: { identical: boolean; maxAbsDiffOverStd: number };
}

export interface AbResult {
  command: string;
  a: AbSide;
  b: AbSide;
  rounds: number;
  primer: number;
  rows: AbRow[];
}

/** A deterministic input of `n` floats in [−1, 1] (the same for both sides). */
function abInput(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37));
}

async function measure(opts: AbOptions, model: string, size: number | undefined, threads: number): Promise<AbRow> {
  const [createA, createB] = await Promise.all([loadEngine(opts.a.tree), loadEngine(opts.b.tree)]);
  const base = { model, weights: 'seeded' as const, inputSize: size, threads, batch: opts.batch };
  const sessions: EngineSession[] = [];
  try {
    sessions.push(await createA({ ...base, ...opts.a.options }), await createB({ ...base, ...opts.b.options }));
    const [a, b] = sessions as [EngineSession, EngineSession];
    if (a.info.inputShape.join() !== b.info.inputShape.join()) {
      throw new Error(`ab: ${model}: the sides plan different inputs (${a.info.inputShape.join('×')} vs ${b.info.inputShape.join('×')})`);
    }
    const input = abInput(a.info.inputShape.reduce((x, y) => x * y, 1));
    /** Sides in the order their timed runs happened: two per round. */
    const order: ('a' | 'b')[] = [];
    const variant = (side: 'a' | 'b', s: EngineSession): Variant => ({
      name: side,
      async warm(runs) {
        for (let i = 0; i < runs; i++) await s.run(input);
      },
      async time() {
        order.push(side);
        const t0 = performance.now();
        await s.run(input);
        return performance.now() - t0;
      },
    });
    const [timesA, timesB] = await interleave([variant('a', a), variant('b', b)], {
      rounds: opts.rounds, warmup: 1, primer: opts.primer,
      onRound: (round, ms) => progress(`${model} ×${threads}: round ${round + 1}/${opts.rounds} A ${ms[0]!.toFixed(1)} B ${ms[1]!.toFixed(1)}`),
    });
    const [outA, outB] = [(await a.run(input)).logits, (await b.run(input)).logits];
    const identical = outA.length === outB.length && outA.every((x, i) => Object.is(x, outB[i]));
    return {
      model, inputShape: [...a.info.inputShape], threads: { a: a.info.threads, b: b.info.threads }, batch: opts.batch,
      build: { a: a.info.build, b: b.info.build }, timesA: timesA!, timesB: timesB!,
      firstInRound: Array.from({ length: opts.rounds }, (_, r) => order[2 * r]!),
      a: timeStats(timesA!), b: timeStats(timesB!), ratio: pairedRatio(timesB!, timesA!)!,
      outputs: { identical, maxAbsDiffOverStd: identical ? 0 : checkOutput(outA, outB, Infinity).relative },
    };
  } finally {
    for (const s of sessions) await s.dispose();
  }
}

/** Runs the A/B (module comment) over every network × size × thread count. */
export async function runAb(opts: AbOptions): Promise<AbResult> {
  const rows: AbRow[] = [];
  for (const model of opts.models) {
    for (const size of opts.sizes) for (const threads of opts.threads) rows.push(await measure(opts, model, size, threads));
  }
  return { command: opts.command, a: opts.a, b: opts.b, rounds: opts.rounds, primer: opts.primer, rows };
}

const sideText = (s: AbSide) => {
  const tree = s.tree === REPO_ROOT ? 'this tree' : s.tree;
  const options = Object.entries(s.options).map(([k, v]) => `${k}=${v}`).join(',');
  return options ? `${tree}, ${options}` : tree;
};

/** The result as markdown: what A and B are, then one row per measurement. */
export function formatAb(result: AbResult): string {
  const threads = (r: AbRow) => (r.threads.a === r.threads.b ? String(r.threads.a) : `${r.threads.a} / ${r.threads.b}`);
  const outputs = (r: AbRow) => (r.outputs.identical ? 'identical' : `max |Δ| ${r.outputs.maxAbsDiffOverStd.toExponential(1)}·std`);
  return [
    `A: ${sideText(result.a)}`,
    `B: ${sideText(result.b)}`,
    `${result.rounds} rounds, A and B back to back on the same input, alternating which goes first, ${result.primer} untimed run(s) before each timed one`,
    '',
    markdownTable(
      ['network', 'input', 'threads', 'A ms: median (p10–p90, min)', 'B ms: median (p10–p90, min)', 'B/A paired [95 %]', 'rounds', 'outputs'],
      result.rows.map((r) => [r.model, r.inputShape.join('×'), threads(r), timeCell(r.a), timeCell(r.b), ratioCell(r.ratio), String(r.ratio.rounds), outputs(r)]),
      [6],
    ),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    opts = parseAbArgs(argv);
  } catch (e) {
    if (e instanceof HelpRequested) {
      console.log(e.message);
      return 0;
    }
    if (!(e instanceof UsageError)) throw e;
    console.error(`${SCRIPT.command}: ${e.message}`);
    return 2;
  }
  let result;
  try {
    result = await runAb(opts);
  } catch (e) {
    // A tree that cannot be loaded is a plain message; anything else keeps its stack.
    if (!(e as Error).message.startsWith('ab: ')) throw e;
    console.error((e as Error).message);
    return 1;
  }
  console.log(opts.json ? JSON.stringify(result, null, 2) : formatAb(result));
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
