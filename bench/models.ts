/**
 * `npm run bench:models [-- --models a,b --threads 1,2 --runs n --json]`: each network at its
 * standard size, batch 1, seeded weights: p50/p90 latency per thread count, GFLOP/s (2·MACs /
 * p50), the speed-up of each thread count over 1 thread measured in the same run, the activation
 * arena peak, and where one thread's time goes (per step kind, from the profile). Not a test.
 */
import { parseArgs } from 'node:util';
import { createSession } from '../src/session.js';
import { seededInputNCHW } from '../src/inception/seeded-weights.js';
import type { StepProfile } from '../src/graph/executor.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'googlenet,inception_v3,inception_v4,inception_resnet_v2' },
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const models = values.models!.split(',');
const threadCounts = values.threads!.split(',').map(Number);
const runs = Number(values.runs);

interface Row {
  model: string;
  threads: number;
  build: string;
  p50Ms: number;
  p90Ms: number;
  gflops: number;
  speedup?: number;
  peakArenaBytes: number;
}

const rows: Row[] = [];
const splits: Record<string, Record<string, number>> = {};

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

for (const model of models) {
  for (const threads of threadCounts) {
    const session = await createSession({ model, threads });
    const [n, c, h, w] = session.info.inputShape;
    const input = seededInputNCHW(n, c, h, w);
    await session.run(input);
    await session.run(input);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await session.run(input);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const p50 = percentile(times, 0.5);
    const one = rows.find((r) => r.model === model && r.threads === 1);
    rows.push({
      model, threads: session.info.threads, build: session.info.build, p50Ms: p50, p90Ms: percentile(times, 0.9),
      gflops: (2 * session.info.macs) / (p50 * 1e6), speedup: one ? one.p50Ms / p50 : undefined,
      peakArenaBytes: session.info.peakArenaBytes,
    });
    if (threads === threadCounts[0]) {
      const profile: StepProfile[] = session.profile(3);
      const total = profile.reduce((s, p) => s + p.ms, 0);
      const byKind: Record<string, number> = {};
      for (const p of profile) {
        const key = p.kind === 'conv' ? `conv ${/1x1|direct/.test(p.name) ? '' : ''}` : p.kind;
        byKind[key.trim()] = (byKind[key.trim()] ?? 0) + p.ms / total;
      }
      splits[model] = byKind;
    }
    await session.dispose();
    console.error(`${model} threads=${threads}: p50 ${p50.toFixed(1)} ms`);
  }
}

if (values.json) {
  console.log(JSON.stringify({ rows, splits }, null, 2));
} else {
  console.log('| network | threads | build | p50 ms | p90 ms | GFLOP/s | × vs 1 thread | arena MiB |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.model} | ${r.threads} | ${r.build} | ${r.p50Ms.toFixed(1)} | ${r.p90Ms.toFixed(1)} | ${r.gflops.toFixed(1)} | ${r.speedup ? r.speedup.toFixed(2) : '—'} | ${(r.peakArenaBytes / 2 ** 20).toFixed(1)} |`,
    );
  }
  console.log('\nTime split, one thread (share of profiled time per step kind):');
  for (const [model, byKind] of Object.entries(splits)) {
    const parts = Object.entries(byKind).sort((a, b) => b[1] - a[1]).map(([k, s]) => `${k} ${(100 * s).toFixed(1)}%`);
    console.log(`- ${model}: ${parts.join(', ')}`);
  }
}
