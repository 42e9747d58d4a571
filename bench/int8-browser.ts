/**
 * `npx tsx bench/int8-browser.ts [-- --model googlenet,inception_v3 --size px --threads 1,2 --rounds n --warmup n
 * --primer n --calibration n --variants int8-dot,int8-i16,f32[,int8-dot-nowino,int8-i16-nowino] --settle ms
 * --profile repeats --chromium path --json --out dir --name stem --progress]`
 *
 * The int8 GEMM on the relaxed dot against the i16 one and against f32, paired in ONE headless
 * Chromium page (Debian's chromium driven by playwright-core, as test/browser/ does), the page
 * cross-origin isolated (scripts/serve-example.mjs) so threads work. Per network and thread count
 * the page holds one session per variant, all on the same graph, seeded weights and input:
 *   int8-dot          precision 'int8', build 'relaxed': its `i8conv` steps run i8_gemm_dot*
 *                     where `features().relaxedDotI8` holds (Chromium: yes; reported per row)
 *   int8-i16          precision 'int8', build 'baseline': i8_gemm (dot_i16x8_s) everywhere
 *   f32               precision 'f32',  build 'relaxed'
 *   int8-*-nowino     the same with `winograd: false` (int8 3×3 / 1×7 convs on i8conv too)
 * int8 sessions calibrate on `--calibration` inputs seededInputNCHW(…, CALIBRATION_SEED + i) (as
 * bench/int8-session.ts). Before timing, every int8 session's logits must be the same bytes
 * (the dot and i16 paths are exact), and the table says so. Timing: bench/harness's interleave —
 * warm-up, then rounds of one run per variant, round-robin with the starting variant rotating,
 * each timed run right after `primer` untimed runs of the same session, `settle` ms of pause before
 * it — each run timed inside the page (performance.now around `session.run`); p50 per variant and
 * paired ratios with their bootstrap 95 % intervals (bench/harness/stats.ts).
 *
 * `--profile n` also profiles every session after the rounds on its threads (`session.profile({
 * repeats: n, threads: true })`: the fastest of n traced runs) and prints per row each session's
 * run time, each thread's time in tasks and waiting at barriers, and a table of steps joined by
 * name (span ms, int8 over f32, mean wait after the step): where an int8 network gains less than
 * the whole-run ratio, and whether its threads wait.
 *
 * Loads the engine from dist/ (`npm run build`; refused when dist/ is older than src/). Markdown
 * on stdout (the JSON with --json); `--out dir` also writes <dir>/<name>.md and .json.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODELS, variantInfo } from '../src/inception/models.js';
import {
  interleave, markdownTable, ms, pairedRatio, parseOrExit, progress, ratioCell, timeStats, type PairedRatio, type TimeStats, type Variant,
} from './harness/index.js';
import { CALIBRATION_SEED } from './int8-session.js';
// @ts-expect-error — a plain .mjs script without type declarations
import { startServer } from '../scripts/serve-example.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const VARIANTS = ['int8-dot', 'int8-i16', 'f32', 'int8-dot-nowino', 'int8-i16-nowino'] as const;
type VariantName = (typeof VARIANTS)[number];
const CONFIG: Record<VariantName, { precision: 'int8' | 'f32'; build: 'relaxed' | 'baseline'; winograd: boolean }> = {
  'int8-dot': { precision: 'int8', build: 'relaxed', winograd: true },
  'int8-i16': { precision: 'int8', build: 'baseline', winograd: true },
  f32: { precision: 'f32', build: 'relaxed', winograd: true },
  'int8-dot-nowino': { precision: 'int8', build: 'relaxed', winograd: false },
  'int8-i16-nowino': { precision: 'int8', build: 'baseline', winograd: false },
};
/** The ratios each row reports, where both variants ran. */
const RATIOS: Array<[VariantName, VariantName]> = [
  ['int8-dot', 'int8-i16'], ['int8-dot', 'f32'], ['int8-i16', 'f32'],
  ['int8-dot-nowino', 'int8-dot'], ['int8-i16-nowino', 'int8-i16'], ['int8-dot-nowino', 'f32'],
];
const REQUEST_MS = 30 * 60_000;

export const INT8_BROWSER_OPTIONS = {
  model: { type: 'strings', default: ['googlenet', 'inception_v3'], choices: Object.keys(MODELS), help: 'networks' },
  size: { type: 'int', min: 1, help: "square input size (default: each network's standard size)" },
  threads: { type: 'ints', default: [1, 2], min: 1, help: 'thread counts' },
  variants: { type: 'strings', default: ['int8-dot', 'int8-i16', 'f32'], choices: VARIANTS, help: 'sessions to time (module comment)' },
  calibration: { type: 'int', default: 2, min: 1, help: 'seeded calibration inputs of the int8 sessions' },
  rounds: { type: 'int', default: 12, min: 1, help: 'timed rounds (one run of each variant)' },
  warmup: { type: 'int', default: 2, min: 0, help: 'untimed runs of each session first' },
  primer: { type: 'int', default: 1, min: 0, help: 'untimed runs of a session right before each of its timed runs' },
  settle: { type: 'int', default: 30, min: 0, help: 'ms of pause before each timed run' },
  profile: { type: 'int', min: 1, help: 'after timing, per-step profile of every session (repeats per step)' },
  chromium: { type: 'string', default: '/usr/bin/chromium', help: 'Chromium executable' },
  json: { type: 'boolean', help: 'print the result JSON instead of the markdown' },
  out: { type: 'string', help: 'also write <out>/<name>.md and .json' },
  name: { type: 'string', default: 'int8-browser', help: 'results file stem' },
  progress: { type: 'boolean', help: 'progress lines on stderr even when it is not a terminal' },
} as const;

const SCRIPT = {
  command: 'npx tsx bench/int8-browser.ts',
  summary: 'int8 on the relaxed dot vs int8 on i16 vs f32, paired in one headless Chromium page.',
};

export interface Int8BrowserRow {
  model: string;
  inputSize: number;
  threads: number;
  /** Per variant: build, the relaxed-dot probe, p50 etc. and the raw times. */
  variants: Record<string, { build: string; relaxedDotI8: boolean; stats: TimeStats; timesMs: number[] }>;
  ratios: Record<string, PairedRatio | undefined>;
  /** Every int8 session's logits are the same bytes. */
  int8BytesEqual: boolean;
  /** With --profile: per variant, each step of the fastest traced run: name, kind, span ms, and per thread busy/wait ms and tasks. */
  profile?: Record<string, Array<{ name: string; kind: string; ms: number; threads: Array<{ startMs: number; busyMs: number; waitMs: number; tasks: number }> }>>;
}

export interface Int8BrowserResult {
  schema: 'inception-wasm/bench-int8-browser@1';
  command: string;
  chromium: string;
  cpu: string;
  cores: number;
  rows: Int8BrowserRow[];
}

/** What the page returns when it creates the sessions of one row. */
interface PageRow {
  info: Record<string, { build: string; relaxedDotI8: boolean }>;
  logits: Record<string, string>;
}

/**
 * In the page: creates one session per variant (dist/index.js) on `model` at `size`, keeps them in
 * `window.__bench`, and returns each one's build, probe and logits (base64) on the timed input.
 */
async function pageCreate(arg: { model: string; size: number; threads: number; calibration: number; seed0: number; variants: string[]; config: typeof CONFIG }): Promise<PageRow> {
  const load = new Function('url', 'return import(url)') as (url: string) => Promise<any>;
  const lib = await load('/dist/index.js');
  const s = arg.size;
  const inputs = Array.from({ length: arg.calibration }, (_, i) => lib.seededInputNCHW(1, 3, s, s, arg.seed0 + i));
  const input = lib.seededInputNCHW(1, 3, s, s);
  const sessions: Record<string, any> = {};
  const out: PageRow = { info: {}, logits: {} };
  for (const name of arg.variants) {
    const c = arg.config[name as VariantName];
    const session = await lib.createSession({
      model: arg.model, inputSize: s, weights: 'seeded', threads: arg.threads, build: c.build, winograd: c.winograd, warn: () => undefined,
      ...(c.precision === 'int8' ? { precision: 'int8', calibration: { inputs } } : {}),
    });
    sessions[name] = session;
    const { logits } = await session.run(input);
    const bytes = new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength);
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    out.logits[name] = btoa(text);
    out.info[name] = { build: session.info.build, relaxedDotI8: session.info.features.relaxedDotI8 === true };
  }
  (globalThis as any).__bench = { sessions, input };
  return out;
}

/** In the page: `runs` runs of one session; the ms of the last one. */
async function pageRun(arg: { name: string; runs: number }): Promise<number> {
  const { sessions, input } = (globalThis as any).__bench;
  let ms = 0;
  for (let i = 0; i < arg.runs; i++) {
    const t0 = performance.now();
    await sessions[arg.name].run(input);
    ms = performance.now() - t0;
  }
  return ms;
}

/** In the page: every session's traced profile on its threads (the fastest of `repeats` runs). */
async function pageProfile(arg: { repeats: number }): Promise<NonNullable<Int8BrowserRow['profile']>> {
  const { sessions } = (globalThis as any).__bench;
  const out: NonNullable<Int8BrowserRow['profile']> = {};
  for (const [name, session] of Object.entries(sessions)) {
    const steps = await (session as any).profile({ repeats: arg.repeats, threads: true });
    out[name] = steps.map((p: any) => ({
      name: p.name, kind: p.kind, ms: p.ms,
      threads: p.threads.map((t: any) => ({ startMs: t.startMs, busyMs: t.tasksEndMs - t.startMs, waitMs: t.releasedMs - t.tasksEndMs, tasks: t.tasks })),
    }));
  }
  return out;
}

async function pageDispose(): Promise<void> {
  const bench = (globalThis as any).__bench;
  if (!bench) return;
  for (const s of Object.values(bench.sessions)) await (s as any).dispose();
  (globalThis as any).__bench = undefined;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function renderInt8BrowserMarkdown(r: Int8BrowserResult): string {
  const names = [...new Set(r.rows.flatMap((row) => Object.keys(row.variants)))] as VariantName[];
  const ratios = RATIOS.filter(([a, b]) => names.includes(a) && names.includes(b));
  const head = ['network', 'threads', ...names.map((n) => `${n} p50 ms`), ...ratios.map(([a, b]) => `${a}/${b}`), 'int8 bytes equal', 'relaxedDotI8'];
  const rows = r.rows.map((row) => [
    `${row.model}@${row.inputSize}`, String(row.threads),
    ...names.map((n) => (row.variants[n] ? ms(row.variants[n].stats.median) : '—')),
    ...ratios.map(([a, b]) => ratioCell(row.ratios[`${a}/${b}`])),
    row.int8BytesEqual ? 'yes' : '**NO**',
    String(Object.values(row.variants).some((v) => v.relaxedDotI8)),
  ]);
  return [
    `# int8 relaxed dot in Chromium (${r.chromium})`, '',
    `\`${r.command}\` — ${r.cpu}, ${r.cores} cores. Paired ratios: median over rounds [bootstrap 95 %].`, '',
    markdownTable(head, rows, names.map((_, i) => i + 2)), '',
    ...r.rows.flatMap((row) => (row.profile ? profileMarkdown(row) : [])),
  ].join('\n');
}

/**
 * A row's per-step profiles side by side, steps joined by name (an int8 program's own steps, such
 * as the input quantize, have no f32 cell), with each int8 variant over f32 per step and in total.
 */
function profileMarkdown(row: Int8BrowserRow): string[] {
  const profile = row.profile!;
  const names = Object.keys(profile);
  const ms = new Map<string, Map<string, number>>();
  const kinds = new Map<string, string>();
  for (const n of names) {
    for (const p of profile[n]!) {
      if (!ms.has(p.name)) ms.set(p.name, new Map());
      ms.get(p.name)!.set(n, (ms.get(p.name)!.get(n) ?? 0) + p.ms);
      if (n !== 'f32' || !kinds.has(p.name)) kinds.set(p.name, p.kind);
    }
  }
  const over = names.filter((n) => n !== 'f32' && names.includes('f32'));
  const cell = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(3));
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b <= 0 ? '—' : (a / b).toFixed(2));
  const waits = new Map<string, Map<string, number>>();
  for (const n of names) {
    for (const p of profile[n]!) {
      if (!waits.has(p.name)) waits.set(p.name, new Map());
      waits.get(p.name)!.set(n, p.threads.reduce((s, t) => s + t.waitMs, 0) / p.threads.length);
    }
  }
  const rows = [...ms].map(([step, m]) => [
    step, kinds.get(step)!, ...names.map((n) => cell(m.get(n))), ...over.map((n) => ratio(m.get(n), m.get('f32'))),
    ...names.map((n) => cell(waits.get(step)!.get(n))),
  ]);
  const head = ['step', 'kind', ...names.map((n) => `${n} ms`), ...over.map((n) => `${n}/f32`), ...names.map((n) => `${n} wait ms`)];
  // Per session: the traced run's length, and per thread its time in steps' tasks and at barriers.
  const summary = names.map((n) => {
    const steps = profile[n]!;
    const threads = steps[0]!.threads.map((_, t) => ({
      busy: steps.reduce((s, p) => s + p.threads[t]!.busyMs, 0), wait: steps.reduce((s, p) => s + p.threads[t]!.waitMs, 0),
      tasks: steps.reduce((s, p) => s + p.threads[t]!.tasks, 0), start: steps[0]!.threads[t]!.startMs,
    }));
    const last = steps[steps.length - 1]!.threads;
    const runMs = Math.max(...last.map((t) => t.startMs + t.busyMs + t.waitMs));
    return [n, cell(runMs), threads.map((t) => cell(t.busy)).join(' / '), threads.map((t) => cell(t.wait)).join(' / '),
      threads.map((t) => cell(t.start)).join(' / '), threads.map((t) => String(t.tasks)).join(' / ')];
  });
  return [
    `## ${row.model}@${row.inputSize} on ${row.threads} thread(s): traced run (fastest of the repeats)`, '',
    markdownTable(['session', 'run ms', 'in tasks ms (per thread)', 'at barriers ms', 'first start ms', 'tasks'], summary, [1]), '',
    markdownTable(head, rows, [...names, ...over, ...names].map((_, i) => i + 2)), '',
  ];
}

async function main(argv: string[]): Promise<number> {
  const v = parseOrExit(INT8_BROWSER_OPTIONS, argv, SCRIPT);
  const log = v.progress ? (line: string) => process.stderr.write(`${line}\n`) : progress;
  if (!existsSync(v.chromium)) throw new Error(`${v.chromium} is absent (apt-get install chromium, or --chromium <path>)`);
  const dist = path.join(ROOT, 'dist', 'index.js');
  if (!existsSync(dist) || statSync(dist).mtimeMs < newestMtimeMs(path.join(ROOT, 'src'))) {
    throw new Error('dist/ is missing or older than src/: run `npm run build` first (the page loads dist/)');
  }
  const { chromium } = await import('playwright-core');
  const server = (await startServer({ port: 0, isolation: true })) as { url: string; close(): Promise<void> };
  const browser = await chromium.launch({
    executablePath: v.chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
  });
  const result: Int8BrowserResult = {
    schema: 'inception-wasm/bench-int8-browser@1', command: ['npx tsx bench/int8-browser.ts', ...argv].join(' '),
    chromium: `Chromium ${browser.version()}`, cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, rows: [],
  };
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // tsx's esbuild keeps function names with a `__name` helper that the serialized page functions call.
    await page.addInitScript('globalThis.__name = (f) => f;');
    await page.goto(`${server.url}package.json`);
    const variants = v.variants as VariantName[];
    for (const model of v.model) {
      const size = v.size ?? (variantInfo(model).inputSize[0] as number);
      for (const threads of v.threads) {
        log(`${model}@${size} × ${threads} threads: creating ${variants.join(', ')}`);
        const created = await withTimeout(page.evaluate(pageCreate, {
          model, size, threads, calibration: v.calibration, seed0: CALIBRATION_SEED, variants, config: CONFIG,
        }), REQUEST_MS, `${model} sessions`);
        const int8 = variants.filter((n) => CONFIG[n].precision === 'int8');
        const int8BytesEqual = int8.every((n) => created.logits[n] === created.logits[int8[0]!]);
        const timed: Variant[] = variants.map((name) => ({
          name,
          async warm(runs) {
            if (runs > 0) await withTimeout(page.evaluate(pageRun, { name, runs }), REQUEST_MS, `${name} warm-up`);
          },
          time: () => withTimeout(page.evaluate(pageRun, { name, runs: 1 }), REQUEST_MS, `${name} run`),
        }));
        const times = await interleave(timed, {
          rounds: v.rounds, warmup: v.warmup, primer: v.primer, settleMs: v.settle,
          onRound: (round, t) => log(`  round ${round + 1}/${v.rounds}: ${t.map((x, i) => `${variants[i]} ${ms(x)}`).join(', ')}`),
        });
        const profile = v.profile === undefined ? undefined
          : await withTimeout(page.evaluate(pageProfile, { repeats: v.profile }), REQUEST_MS, `${model} profile`);
        await page.evaluate(pageDispose);
        const byName = Object.fromEntries(variants.map((n, i) => [n, times[i]!]));
        result.rows.push({
          model, inputSize: size, threads, int8BytesEqual, ...(profile ? { profile } : {}),
          variants: Object.fromEntries(variants.map((n) => [n, { ...created.info[n]!, stats: timeStats(byName[n]!), timesMs: byName[n]! }])),
          ratios: Object.fromEntries(RATIOS.filter(([a, b]) => byName[a] && byName[b]).map(([a, b]) => [`${a}/${b}`, pairedRatio(byName[a]!, byName[b]!)])),
        });
      }
    }
    if (pageErrors.length) throw new Error(`page errors: ${pageErrors.join('; ')}`);
  } finally {
    await browser.close().catch(() => undefined);
    await server.close();
  }
  const markdown = renderInt8BrowserMarkdown(result);
  if (v.out !== undefined) {
    const stem = path.join(v.out, v.name);
    mkdirSync(v.out, { recursive: true });
    writeFileSync(`${stem}.json`, JSON.stringify(result, null, 2) + '\n');
    writeFileSync(`${stem}.md`, markdown);
    console.error(`int8-browser: wrote ${stem}.json, ${stem}.md`);
  }
  console.log(v.json ? JSON.stringify(result, null, 2) : markdown);
  return result.rows.every((row) => row.int8BytesEqual) ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
