/** The benchmark result as markdown: setup, summary table with ratios and the goal, detail, profile. */
import { NO_INT8, RUNTIME_ORDER, RUNTIMES, type Platform, type RuntimeFeatures } from './runtimes.js';
import { rowPlatform, rowPrecision, sameCase, summarize, type BenchResult, type BenchRow } from './results.js';
import { pairedRatio } from '../harness/stats.js';

const MiB = 2 ** 20;
const fmt = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const ms = (v: number | undefined) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const yesNo = (v: boolean | undefined) => (v === undefined ? '—' : v ? 'yes' : '**no**');

/** Why a row has no time, in a word or two (the full reason is under Notes). */
export function missingCell(row: BenchRow): string {
  if (row.error === NO_INT8) return NO_INT8;
  if (row.error?.startsWith('output differs')) return 'mismatch';
  if (row.error?.startsWith('our QDQ export failed') || row.error?.startsWith('our int8 session')) return 'unavailable (no QDQ file)';
  return 'not run';
}

function runtimeCell(row: BenchRow | undefined): string {
  if (!row) return '';
  if (row.p50Ms === undefined) return missingCell(row);
  const ratio = row.role === 'ours' ? '' : ` (${fmt(row.oursOverThis, 2)}×)`;
  const thr = row.threadsUsed !== undefined && row.threadsUsed !== row.threads ? ` [${row.threadsUsed} thr]` : '';
  return `${ms(row.p50Ms)}${ratio}${thr}`;
}

/** The row's paired ratio (recomputed from the run times, so older result files get it too). */
function paired(result: BenchResult, row: BenchRow): number | undefined {
  const ours = result.rows.find((r) => r.role === 'ours' && sameCase(r, row));
  return row.oursOverThisPaired ?? (ours ? pairedRatio(ours.timesMs, row.timesMs)?.median : undefined);
}

/** The output column: a peer's check against ours, or (ours, int8) how far our int8 logits are from our f32 ones. */
function checkCell(r: BenchRow): string {
  if (r.check) return `${r.check.relative.toExponential(1)} ${r.check.ok ? '≤' : '>'} ${r.check.tolerance} ${r.check.ok ? 'ok' : 'FAIL'}`;
  if (r.role !== 'ours') return r.error && r.p50Ms === undefined ? missingCell(r) : '—';
  return r.int8VsF32 ? `reference (int8 vs our f32: ${r.int8VsF32.relative.toExponential(1)})` : 'reference';
}

const PLATFORM_TEXT: Record<Platform, string> = { node: 'Node (a child process per runtime)', chromium: 'headless Chromium (a page per runtime)' };

/** Markdown for `result`; `chartFile` is the SVG written next to it (embedded as an image). */
export function renderMarkdown(result: BenchResult, chartFile?: string): string {
  const m = result.machine;
  const o = result.options;
  const present = RUNTIME_ORDER.filter((id) => result.rows.some((r) => r.runtime === id));
  const browser = result.rows.some((r) => rowPlatform(r) === 'chromium');
  const int8 = result.rows.some((r) => rowPrecision(r) === 'int8');
  const out: string[] = [];
  out.push('# Inception networks end to end: inception-wasm and its peers', '');
  out.push(
    `${result.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${m.cpu} · ${m.cores} cores · Node ${m.node} · ${m.platform}${m.browser ? ` · ${m.browser}` : ''} · ` +
      `load average ${m.loadAvgStart.map((l) => l.toFixed(1)).join('/')} at start, ${m.loadAvgEnd.map((l) => l.toFixed(1)).join('/')} at end`,
    '',
    `Command: \`${result.command}\``,
    '',
    `Batch 1, seeded weights, the same graph, weights and input for every runtime (peers run our ONNX export or a TF.js ` +
      `graph built from the same weights). Each runtime runs in its own fresh ${browser ? 'page (own browser context and origin, so its own renderer process)' : 'process'}; a peer's first output must match ours ` +
      `(max |Δ| ≤ ${o.tolerance} × std of our logits) before it is timed. ${o.runs} timed runs after ${o.warmup} warm-up runs, ` +
      `interleaved round-robin across the runtimes of a case${(o.primer ?? 0) > 0 ? `, each right after ${o.primer} untimed run${o.primer === 1 ? '' : 's'} in the same ${browser ? 'page' : 'process'} (steady-state latency: the core is awake)` : ''}; median (p50) in ms. Ratio = ours / that runtime (< 1: ours is faster); ` +
      `"paired" = the median over rounds of the ratio within a round, which cancels load that drifts between rounds. ` +
      (browser
        ? `Cold start = new browser context and page → first output: page load (${ms(m.processStartupMs)} ms for a page that loads no runtime), ` +
          `the runtime's code fetched over loopback and compiled, the case files fetched, session creation, the first run. ` +
          `Threads as under Node (the pages are cross-origin isolated); onnxruntime-node is native and has no page form, so ` +
          `Chromium rows have no native ceiling. `
        : `Cold start = process spawn → first output: Node and tsx start-up (${ms(m.processStartupMs)} ms for a child that loads no runtime), ` +
          `the runtime's import, session creation from the files, the first run. `) +
      `Our engine ran from ${o.oursFrom}/${o.oursFromWhy ? ` (${o.oursFromWhy})` : ''}.`,
    '',
  );
  if (int8) {
    out.push(
      `**int8 rows**: ours is \`createSession({ …, precision: 'int8', calibration: { inputs } })\` with ${o.calibrationImages ?? '?'} seeded ` +
        `calibration images (none the timed input); onnxruntime runs the same network as the QDQ model our int8 session exports ` +
        `(\`session.exportOnnx()\`), with its own integer kernels; tfjs-backend-wasm has no int8 path for these graphs (${NO_INT8}). ` +
        `An int8 peer must match our int8 logits within max |Δ| ≤ ${o.int8Tolerance ?? '?'} × std of our int8 logits (the peers' ` +
        `integer kernels round differently); the measured value is in the detail table, next to how far our int8 logits are from our f32 ones. ` +
        `Our int8 cold start includes the calibration (${o.calibrationImages ?? '?'} runs of the f32 program at session creation); ` +
        `onnxruntime loads the already quantised file.`,
      '',
    );
  }
  if (result.rows.some((r) => r.role === 'ours' && r.build === 'relaxed')) {
    out.push(
      'Our engine ran its relaxed-SIMD build (fused multiply-add); onnxruntime-web 1.30 and tfjs-backend-wasm 4.22 ship ' +
        'baseline SIMD128 binaries only. `--build baseline` compares like for like.',
      '',
    );
  }
  const features = Object.entries(result.features ?? {}) as [Platform, RuntimeFeatures][];
  if (features.length > 0) {
    out.push(
      `Our feature probe (src/bindings/features.ts) per platform: ${features.map(([p, f]) =>
        `**${p}** — SIMD ${f.simd ? 'yes' : 'no'}, relaxed SIMD ${f.relaxedSimd ? 'yes' : 'no'}, ` +
        `\`relaxedDotI8\` ${f.relaxedDotI8 ? 'true' : 'false'}, threads ${f.threads ? 'yes' : 'no'}, ${f.cores} cores`).join('; ')}.`,
      '',
    );
  }
  if (chartFile) out.push(`![median latency per network, runtime and thread count](${chartFile})`, '');

  out.push('## Median latency (ms), ours / that runtime in parentheses', '');
  out.push(`| network | threads | platform | precision | ${present.map((id) => RUNTIMES[id].label).join(' | ')} | ours vs 1 thread | p50 ≤ 0.5× faster peer | cold start below peers |`);
  out.push(`|---|---|---|---|${present.map(() => '---|').join('')}---|---|---|`);
  const summaries = summarize(result);
  for (const s of summaries) {
    const cells = present.map((id) => runtimeCell(s.byRuntime[id]));
    const one = summaries.find((c) => c.model === s.model && c.inputSize === s.inputSize && c.precision === s.precision && c.platform === s.platform && c.threads === 1)?.ours?.p50Ms;
    const speedup = one !== undefined && s.ours?.p50Ms !== undefined && s.threads > 1 ? `${fmt(one / s.ours.p50Ms, 2)}×` : '—';
    out.push(`| ${s.model} ${s.inputSize} | ${s.threads} | ${s.platform} | ${s.precision} | ${cells.join(' | ')} | ${speedup} | ${yesNo(s.latencyGoalMet)} | ${yesNo(s.coldStartGoalMet)} |`);
  }
  out.push('');

  out.push('## Detail', '');
  out.push('| network | thr | platform | precision | runtime | version | build | thr used | cold start ms | import + load ms | first run ms | p50 ms | p90 ms | GFLOP/s | peak RSS MiB | arena MiB | ours/this | ours/this paired | output vs ours (max \\|Δ\\|/std) |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of result.rows) {
    out.push(
      `| ${r.model} ${r.inputSize} | ${r.threads} | ${rowPlatform(r)} | ${rowPrecision(r)} | ${r.label} | ${r.version ?? '—'} | ${r.build ?? '—'} | ${r.threadsUsed ?? '—'} | ` +
        `${ms(r.coldStartMs)} | ${ms(r.importMs === undefined ? undefined : r.importMs + (r.loadMs ?? 0))} | ${ms(r.firstRunMs)} | ${ms(r.p50Ms)} | ${ms(r.p90Ms)} | ${fmt(r.gflops)} | ` +
        `${r.peakRssBytes === undefined || r.peakRssBytes === null ? '—' : fmt(r.peakRssBytes / MiB, 0)} | ${r.arenaBytes === undefined ? '—' : fmt(r.arenaBytes / MiB)} | ` +
        `${fmt(r.oursOverThis, 2)} | ${fmt(paired(result, r), 2)} | ${checkCell(r)} |`,
    );
  }
  out.push('');
  if (browser) out.push('Peak RSS: not measured in Chromium (a page cannot see its renderer process).', '');

  const profiles = Object.entries(result.profiles);
  if (profiles.length > 0) {
    out.push('## Where one of our runs goes (one thread, per step kind; best of 3 profiled runs per step)', '');
    for (const [model, p] of profiles) {
      const kinds = Object.entries(p.byKindMs).sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${fmt((100 * v) / p.totalMs)}%`).join(', ');
      const slow = p.slowest.slice(0, 3).map((s) => `${s.name} ${fmt(s.ms)} ms (${fmt(s.gflops)} GFLOP/s)`).join('; ');
      out.push(`- **${model}** (${fmt(p.totalMs)} ms profiled): ${kinds}. Slowest steps: ${slow}.`);
    }
    out.push('');
  }

  const notes = new Set<string>();
  for (const r of result.rows) {
    for (const n of r.notes) notes.add(`${r.label} at ${r.threads} threads: ${n}`);
    if (r.error && r.error !== NO_INT8) notes.add(`${r.label} (${r.model}, ${rowPrecision(r)}, ${r.threads} thr, ${rowPlatform(r)}): ${r.error.split('\n')[0]}`);
  }
  if (notes.size > 0) out.push('## Notes', '', ...[...notes].map((n) => `- ${n}`), '');
  return out.join('\n');
}
