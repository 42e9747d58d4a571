/**
 * `npm run bench:models [-- --models a,b --threads 1,2 --rounds n --json]`: each network at its
 * standard size, batch 1, seeded weights: p50/p90 latency per thread count, GFLOP/s (2·MACs /
 * p50), the speed-up of each thread count over the first one (paired over the same rounds: the
 * sessions of one network run interleaved), the activation arena peak, and where the first thread
 * count's time goes (per step kind, from the profile). Not a test.
 */
import type { StepProfile } from '../src/bindings/executor.js';
import { seededInputNCHW } from '../src/inception/seeded-weights.js';
import { createSession, type Session } from '../src/session.js';
import { fnVariant, interleave, markdownTable, ms, pairedRatio, parseOrExit, progress, ratioCell, timeStats, type PairedRatio } from './harness/index.js';

const values = parseOrExit({
  models: { type: 'strings', default: ['googlenet', 'inception_v3', 'inception_v4', 'inception_resnet_v2'], help: 'networks' },
  threads: { type: 'ints', default: [1], min: 1, help: 'thread counts, timed interleaved' },
  rounds: { type: 'int', default: 10, min: 1, help: 'interleaved rounds (one timed run per thread count each)' },
  json: { type: 'boolean', help: 'print the rows as JSON' },
}, process.argv.slice(2), {
  command: 'npm run bench:models --',
  summary: 'Our engine alone: latency per network and thread count, GFLOP/s, speed-up over the first thread count, time split per step kind.',
});

interface Row {
  model: string;
  threads: number;
  build: string;
  p50Ms: number;
  p90Ms: number;
  gflops: number;
  /** Time at the first thread count over this one, paired by round. */
  speedup?: PairedRatio;
  peakArenaBytes: number;
}

const rows: Row[] = [];
const splits: Record<string, Record<string, number>> = {};

for (const model of values.models) {
  const sessions: Session[] = [];
  try {
    for (const threads of values.threads) sessions.push(await createSession({ model, threads, weights: 'seeded' }));
    const [n, c, h, w] = sessions[0]!.info.inputShape as [number, number, number, number];
    const input = seededInputNCHW(n, c, h, w);
    const times = await interleave(sessions.map((s, i) => fnVariant(`${values.threads[i]}`, () => s.run(input))), { rounds: values.rounds, warmup: 2 });
    sessions.forEach((session, i) => {
      const t = timeStats(times[i]!);
      rows.push({
        model, threads: session.info.threads, build: session.info.build, p50Ms: t.median, p90Ms: t.p90,
        gflops: (2 * session.info.macs) / (t.median * 1e6), speedup: i > 0 ? pairedRatio(times[0]!, times[i]!) : undefined,
        peakArenaBytes: session.info.peakArenaBytes,
      });
      progress(`${model} threads=${values.threads[i]}: p50 ${ms(t.median)} ms`);
    });
    const profile: StepProfile[] = await sessions[0]!.profile({ input, repeats: 3 });
    const total = profile.reduce((s, p) => s + p.ms, 0);
    const byKind: Record<string, number> = {};
    for (const p of profile) byKind[p.kind] = (byKind[p.kind] ?? 0) + p.ms / total;
    splits[model] = byKind;
  } finally {
    for (const s of sessions) await s.dispose();
  }
}

if (values.json) {
  console.log(JSON.stringify({ rows, splits }, null, 2));
} else {
  console.log(markdownTable(
    ['network', 'threads', 'build', 'p50 ms', 'p90 ms', 'GFLOP/s', `× vs ${values.threads[0]} thread(s), paired [95 %]`, 'arena MiB'],
    rows.map((r) => [
      r.model, String(r.threads), r.build, ms(r.p50Ms), ms(r.p90Ms), r.gflops.toFixed(1), ratioCell(r.speedup), (r.peakArenaBytes / 2 ** 20).toFixed(1),
    ]),
    [1, 3, 4, 5, 7],
  ));
  console.log(`\nTime split, ${values.threads[0]} thread(s) (share of profiled time per step kind):`);
  for (const [model, byKind] of Object.entries(splits)) {
    const parts = Object.entries(byKind).sort((a, b) => b[1] - a[1]).map(([k, s]) => `${k} ${(100 * s).toFixed(1)}%`);
    console.log(`- ${model}: ${parts.join(', ')}`);
  }
}
