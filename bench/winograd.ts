/**
 * `npx tsx bench/winograd.ts [--model m,…] [--threads n] [--rounds r] [--layers]`: the same
 * network with Winograd convs (3×3: F(4×4) / F(2×2), 1×7/7×1: F(6, 7) / F(4, 7), 1×3/3×1: F(4, 3)) and with
 * every conv direct (im2col + GEMM), both sessions in this process, runs interleaved so machine
 * load hits both alike. Prints p50 and best ms per variant and the paired ratio winograd / direct.
 *
 * --layers (one thread): per-step times of both programs, each step's minimum over `rounds`
 * profiles, for every conv that runs by Winograd — the per-layer ratios the plan thresholds in
 * src/graph/compile.ts come from.
 */
import { createSession, type Session } from '../src/session.js';
import { fnVariant, interleave, ms, pairedRatio, parseOrExit, ratioCell, timeStats } from './harness/index.js';

const values = parseOrExit({
  model: { type: 'strings', default: ['googlenet', 'inception_v3', 'inception_v4', 'inception_resnet_v2'], help: 'networks' },
  threads: { type: 'int', default: 1, min: 1, help: 'threads per session (end to end; --layers uses 1)' },
  rounds: { type: 'int', default: 7, min: 1, help: 'interleaved rounds (profiles with --layers)' },
  layers: { type: 'boolean', help: 'per-layer times of the Winograd convs instead of end to end' },
}, process.argv.slice(2), {
  command: 'npx tsx bench/winograd.ts',
  summary: 'Winograd against direct convs (im2col + GEMM) on the same network, both sessions in this process, interleaved.',
});
const rounds = values.rounds;

async function endToEnd(model: string, sessions: Session[]): Promise<void> {
  const [info] = sessions[0]!.inputs;
  const input = new Float32Array(info!.shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
  const [direct, wino] = await interleave(sessions.map((s, i) => fnVariant(i ? 'winograd' : 'direct', () => s.run(input))), { rounds, warmup: 1 });
  const [d, w] = [timeStats(direct!), timeStats(wino!)];
  console.log(
    `${model} threads ${values.threads}: direct p50 ${ms(d.median)} ms (best ${ms(d.min)}), ` +
      `winograd p50 ${ms(w.median)} ms (best ${ms(w.min)}), paired ratio winograd/direct ${ratioCell(pairedRatio(wino!, direct!))}`,
  );
}

async function layers(model: string, sessions: Session[]): Promise<void> {
  const best = sessions.map(() => new Map<string, number>());
  const kinds = new Map<string, string>();
  for (let r = 0; r < rounds; r++) {
    for (const [i, s] of sessions.entries()) {
      for (const p of await s.profile()) {
        best[i]!.set(p.name, Math.min(best[i]!.get(p.name) ?? Infinity, p.ms));
        if (i === 1) kinds.set(p.name, p.kind);
      }
    }
  }
  let direct = 0;
  let wino = 0;
  for (const [name, kind] of kinds) {
    direct += best[0]!.get(name) ?? 0;
    wino += best[1]!.get(name) ?? 0;
    if (!kind.startsWith('winograd')) continue;
    const [d, w] = [best[0]!.get(name)!, best[1]!.get(name)!];
    console.log(`  ${name.padEnd(44)} ${kind.padEnd(10)} direct ${d.toFixed(2).padStart(7)} ms  winograd ${w.toFixed(2).padStart(7)} ms  ${(w / d).toFixed(2)}`);
  }
  console.log(`${model}: sum of per-step minima, direct ${direct.toFixed(1)} ms, winograd ${wino.toFixed(1)} ms, ratio ${(wino / direct).toFixed(3)}`);
}

for (const model of values.model) {
  const threads = values.layers ? 1 : values.threads;
  const sessions = await Promise.all([false, true].map((winograd) => createSession({ model, threads, winograd, weights: 'seeded' })));
  if (values.layers) await layers(model, sessions);
  else await endToEnd(model, sessions);
  for (const s of sessions) await s.dispose();
}
