/** The benchmark result as markdown: setup, summary table with ratios and the goal, detail, profile. */
import { RUNTIME_ORDER, RUNTIMES } from './runtimes.js';
import { summarize, type BenchResult, type BenchRow } from './results.js';
import { pairedRatio } from '../harness/stats.js';

const MiB = 2 ** 20;
const fmt = (v: number | undefined, digits = 1) => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const ms = (v: number | undefined) => (v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const yesNo = (v: boolean | undefined) => (v === undefined ? '—' : v ? 'yes' : '**no**');

function runtimeCell(row: BenchRow | undefined): string {
  if (!row) return '';
  if (row.p50Ms === undefined) return row.error?.startsWith('output differs') ? 'mismatch' : 'not run';
  const ratio = row.role === 'ours' ? '' : ` (${fmt(row.oursOverThis, 2)}×)`;
  const thr = row.threadsUsed !== undefined && row.threadsUsed !== row.threads ? ` [${row.threadsUsed} thr]` : '';
  return `${ms(row.p50Ms)}${ratio}${thr}`;
}

/** The row's paired ratio (recomputed from the run times, so older result files get it too). */
function paired(result: BenchResult, row: BenchRow): number | undefined {
  const ours = result.rows.find((r) => r.role === 'ours' && r.model === row.model && r.inputSize === row.inputSize && r.threads === row.threads);
  return row.oursOverThisPaired ?? (ours ? pairedRatio(ours.timesMs, row.timesMs)?.median : undefined);
}

/** Markdown for `result`; `chartFile` is the SVG written next to it (embedded as an image). */
export function renderMarkdown(result: BenchResult, chartFile?: string): string {
  const m = result.machine;
  const o = result.options;
  const present = RUNTIME_ORDER.filter((id) => result.rows.some((r) => r.runtime === id));
  const out: string[] = [];
  out.push('# Inception networks end to end: inception-wasm and its peers', '');
  out.push(
    `${result.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${m.cpu} · ${m.cores} cores · Node ${m.node} · ${m.platform} · ` +
      `load average ${m.loadAvgStart.map((l) => l.toFixed(1)).join('/')} at start, ${m.loadAvgEnd.map((l) => l.toFixed(1)).join('/')} at end`,
    '',
    `Command: \`${result.command}\``,
    '',
    `Batch 1, seeded weights, the same graph, weights and input for every runtime (peers run our ONNX export or a TF.js ` +
      `graph built from the same weights). Each runtime runs in its own fresh process; a peer's first output must match ours ` +
      `(max |Δ| ≤ ${o.tolerance} × std of our logits) before it is timed. ${o.runs} timed runs after ${o.warmup} warm-up runs, ` +
      `interleaved round-robin across the runtimes of a case${(o.primer ?? 0) > 0 ? `, each right after ${o.primer} untimed run${o.primer === 1 ? '' : 's'} in the same process (steady-state latency: the core is awake)` : ''}; median (p50) in ms. Ratio = ours / that runtime (< 1: ours is faster); ` +
      `"paired" = the median over rounds of the ratio within a round, which cancels load that drifts between rounds. ` +
      `Cold start = process spawn → first output: Node and tsx start-up (${ms(m.processStartupMs)} ms for a child that loads no runtime), ` +
      `the runtime's import, session creation from the files, the first run. Our engine ran from ${o.oursFrom}/` +
      `${o.oursFromWhy ? ` (${o.oursFromWhy})` : ''}.`,
    '',
  );
  if (result.rows.some((r) => r.role === 'ours' && r.build === 'relaxed')) {
    out.push(
      'Our engine ran its relaxed-SIMD build (fused multiply-add); onnxruntime-web 1.30 and tfjs-backend-wasm 4.22 ship ' +
        'baseline SIMD128 binaries only. `--build baseline` compares like for like.',
      '',
    );
  }
  if (chartFile) out.push(`![median latency per network, runtime and thread count](${chartFile})`, '');

  out.push('## Median latency (ms), ours / that runtime in parentheses', '');
  out.push(`| network | threads | ${present.map((id) => RUNTIMES[id].label).join(' | ')} | ours vs 1 thread | p50 ≤ 0.5× faster peer | cold start below peers |`);
  out.push(`|---|---|${present.map(() => '---|').join('')}---|---|---|`);
  const summaries = summarize(result);
  for (const s of summaries) {
    const cells = present.map((id) => runtimeCell(s.byRuntime[id]));
    const one = summaries.find((o) => o.model === s.model && o.inputSize === s.inputSize && o.threads === 1)?.ours?.p50Ms;
    const speedup = one !== undefined && s.ours?.p50Ms !== undefined && s.threads > 1 ? `${fmt(one / s.ours.p50Ms, 2)}×` : '—';
    out.push(`| ${s.model} ${s.inputSize} | ${s.threads} | ${cells.join(' | ')} | ${speedup} | ${yesNo(s.latencyGoalMet)} | ${yesNo(s.coldStartGoalMet)} |`);
  }
  out.push('');

  out.push('## Detail', '');
  out.push('| network | thr | runtime | version | build | thr used | cold start ms | import + load ms | first run ms | p50 ms | p90 ms | GFLOP/s | peak RSS MiB | arena MiB | ours/this | ours/this paired | output vs ours (max \\|Δ\\|/std) |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of result.rows) {
    const check = r.check ? `${r.check.relative.toExponential(1)} ${r.check.ok ? 'ok' : 'FAIL'}` : r.role === 'ours' ? 'reference' : '—';
    out.push(
      `| ${r.model} ${r.inputSize} | ${r.threads} | ${r.label} | ${r.version ?? '—'} | ${r.build ?? '—'} | ${r.threadsUsed ?? '—'} | ` +
        `${ms(r.coldStartMs)} | ${ms(r.importMs === undefined ? undefined : r.importMs + (r.loadMs ?? 0))} | ${ms(r.firstRunMs)} | ${ms(r.p50Ms)} | ${ms(r.p90Ms)} | ${fmt(r.gflops)} | ` +
        `${r.peakRssBytes === undefined ? '—' : fmt(r.peakRssBytes / MiB, 0)} | ${r.arenaBytes === undefined ? '—' : fmt(r.arenaBytes / MiB)} | ` +
        `${fmt(r.oursOverThis, 2)} | ${fmt(paired(result, r), 2)} | ${check} |`,
    );
  }
  out.push('');

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
    if (r.error) notes.add(`${r.label} (${r.model}, ${r.threads} thr): ${r.error.split('\n')[0]}`);
  }
  if (notes.size > 0) out.push('## Notes', '', ...[...notes].map((n) => `- ${n}`), '');
  return out.join('\n');
}
