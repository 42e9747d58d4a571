/**
 * `npx tsx bench/winograd.ts [--model m,…] [--threads n] [--rounds r]`: whole-network latency
 * with Winograd F(2×2, 3×3) for stride-1 3×3 convs against the same network with every conv
 * direct (im2col + GEMM), both sessions in this process, runs interleaved so load hits both alike.
 * Prints best and median ms per variant and the ratio winograd / direct.
 */
import { parseArgs } from 'node:util';
import { createSession } from '../src/session.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'googlenet,inception_v3,inception_v4,inception_resnet_v2' },
    threads: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '7' },
  },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const model of values.model.split(',')) {
  const threads = Number(values.threads);
  const sessions = await Promise.all([false, true].map((winograd) => createSession({ model, threads, winograd })));
  const [info] = sessions[0].inputs;
  const input = new Float32Array(info.shape.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i));
  const times: number[][] = [[], []];
  for (const s of sessions) await s.run(input);
  for (let r = 0; r < Number(values.rounds); r++) {
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      await sessions[i].run(input);
      times[i].push(performance.now() - t0);
    }
  }
  const [direct, wino] = times.map(median);
  console.log(
    `${model} threads ${threads}: direct p50 ${direct.toFixed(1)} ms (best ${Math.min(...times[0]).toFixed(1)}), ` +
      `winograd p50 ${wino.toFixed(1)} ms (best ${Math.min(...times[1]).toFixed(1)}), ratio ${(wino / direct).toFixed(3)}`,
  );
  for (const s of sessions) await s.dispose();
}
