import { seededInputNCHW } from '../inception/seeded-weights.js';
import { createSession } from '../session.js';
import { median } from '../util/stats.js';
import { intOption, registryOption, round1 as round, threadsOption, type CliCommand, type Values } from './command.js';

async function run(v: Values): Promise<void> {
  const { model, variant, inputSize } = registryOption(v, 'inception_v3');
  const runs = intOption(v, 'runs', 5, 1);
  const threads = threadsOption(v);
  const t0 = performance.now();
  const session = await createSession({ model, variant, inputSize, threads, weights: 'seeded' });
  try {
    const setupMs = performance.now() - t0;
    const [n, c, h, w] = session.info.inputShape;
    const input = seededInputNCHW(n, c, h, w);
    const times: number[] = [];
    let logits: Float32Array = new Float32Array();
    for (let i = 0; i < runs + 1; i++) {
      const t = performance.now();
      logits = (await session.run(input)).logits;
      times.push(performance.now() - t);
    }
    const p50 = median(times.slice(1));
    let top = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[top]) top = i;
    const result = {
      model, inputShape: session.info.inputShape, weights: 'seeded (deterministic, not trained)', threads: session.info.threads,
      build: session.info.build, setupMs: round(setupMs), firstRunMs: round(times[0]), p50Ms: round(p50),
      gflops: round((2 * session.info.macs) / (p50 * 1e6)), peakArenaBytes: session.info.peakArenaBytes, top1: top,
    };
    if (v.json) return console.log(JSON.stringify(result, null, 2));
    console.log(`${model} [${result.inputShape.join(', ')}] with seeded weights — ${result.threads} thread(s), ${result.build} SIMD build`);
    console.log(`setup ${result.setupMs} ms, first run ${result.firstRunMs} ms, p50 of ${runs} runs ${result.p50Ms} ms, ${result.gflops} GFLOP/s`);
    console.log(`activation arena peak ${(result.peakArenaBytes / 2 ** 20).toFixed(1)} MiB; top-1 class index ${top} (weights are synthetic, so the class means nothing)`);
    console.log('\nTo classify a real photo, bring real weights: see README "Weights from PyTorch and Keras".');
  } finally {
    await session.dispose();
  }
}

export const demo: CliCommand = {
  summary: 'build a network with seeded weights, run it on a synthetic input, print latency and GFLOP/s',
  usage: 'inception-wasm demo [--model inception_v3] [--variant v] [--size s] [--threads n] [--runs n] [--json]',
  options: { model: { type: 'string' }, variant: { type: 'string' }, size: { type: 'string' }, threads: { type: 'string' }, runs: { type: 'string' }, json: { type: 'boolean' } },
  run,
};
