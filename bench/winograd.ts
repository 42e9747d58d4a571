/**
 * `npx tsx bench/winograd.ts [--model m,…] [--threads n] [--rounds r] [--layers]`: the same
 * network with Winograd convs (3×3: F(4×4) / F(2×2), 1×7/7×1: F(6, 7) / F(4, 7), 1×3/3×1: F(4, 3)) and with
 * every conv direct (im2col + GEMM), both sessions in this process, runs interleaved so machine
 * load hits both alike. Prints p50 and best ms per variant and the ratio winograd / direct.
 *
 * --layers (one thread): per-step times of both programs, each step's minimum over `rounds`
 * profiles, for every conv that runs by Winograd — the per-layer ratios the plan thresholds in
 * src/graph/compile.ts come from.
 */
import { parseArgs } from 'node:util';
import { createSession, type Session } from '../src/session.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'googlenet,inception_v3,inception_v4,inception_resnet_v2' },
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '7' },
    layers: { type: 'boolean', default: false },
  },
});

const rounds = Number(values.rounds);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function endToEnd(model: string, sessions: Session[]): Promise<void> {
  const [info] = sessions[0].inputs;
  const input = new Float32Array(info.shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
  const times: number[][] = [[], []];
  for (const s of sessions) await s.run(input);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      await sessions[i].run(input);
      times[i].push(performance.now() - t0);
    }
  }
  const [direct, wino] = times.map(median);
  console.log(
    `${model} threads ${values.threads}: direct p50 ${direct.toFixed(1)} ms (best ${Math.min(...times[0]).toFixed(1)}), ` +
      `winograd p50 ${wino.toFixed(1)} ms (best ${Math.min(...times[1]).toFixed(1)}), ratio ${(wino / direct).toFixed(3)}`,
  );
}

function layers(model: string, sessions: Session[]): void {
  const best = sessions.map(() => new Map<string, number>());
  const kinds = new Map<string, string>();
  for (let r = 0; r < rounds; r++) {
    sessions.forEach((s, i) => {
      for (const p of s.profile(1)) {
        best[i].set(p.name, Math.min(best[i].get(p.name) ?? Infinity, p.ms));
        if (i === 1) kinds.set(p.name, p.kind);
      }
    });
  }
  let direct = 0;
  let wino = 0;
  for (const [name, kind] of kinds) {
    direct += best[0].get(name) ?? 0;
    wino += best[1].get(name) ?? 0;
    if (!kind.startsWith('winograd')) continue;
    const [d, w] = [best[0].get(name)!, best[1].get(name)!];
    console.log(`  ${name.padEnd(44)} ${kind.padEnd(10)} direct ${d.toFixed(2).padStart(7)} ms  winograd ${w.toFixed(2).padStart(7)} ms  ${(w / d).toFixed(2)}`);
  }
  console.log(`${model}: sum of per-step minima, direct ${direct.toFixed(1)} ms, winograd ${wino.toFixed(1)} ms, ratio ${(wino / direct).toFixed(3)}`);
}

for (const model of values.model.split(',')) {
  const threads = values.layers ? 1 : Number(values.threads);
  const sessions = await Promise.all([false, true].map((winograd) => createSession({ model, threads, winograd })));
  if (values.layers) layers(model, sessions);
  else await endToEnd(model, sessions);
  for (const s of sessions) await s.dispose();
}
