/**
 * Soak: many consecutive runs on one 2-thread session. Outputs stay bit-identical, the arena does
 * not grow (run() allocates nothing in wasm memory), and RSS stops growing after warm-up.
 * SOAK_RUNS=n runs longer (default 1000).
 */
import { describe, expect, it } from 'vitest';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';

const RUNS = Number(process.env.SOAK_RUNS ?? 1000);
const WARMUP = 100;
/** RSS may wander by GC timing; a leak of even 1 KiB per run would exceed this over 900 runs. */
const RSS_DRIFT_LIMIT_BYTES = 24 << 20;

describe('soak', () => {
  it(`${RUNS} runs of googlenet 32x32 at 2 threads: identical outputs, no wasm memory growth, bounded RSS drift`, async () => {
    const session = await createSession({ model: 'googlenet', inputSize: 32, threads: 2 });
    try {
      const input = seededInputNCHW(1, 3, 32, 32);
      const first = (await session.run(input)).logits;
      const bytes = new Uint32Array(first.buffer);
      let memoryAfterWarmup = 0;
      let rssAfterWarmup = 0;
      let rssMax = 0;
      for (let i = 1; i < RUNS; i++) {
        const out = new Uint32Array((await session.run(input)).logits.buffer);
        if (!out.every((v, j) => v === bytes[j])) throw new Error(`run ${i} differs from run 0`);
        if (i === WARMUP) {
          memoryAfterWarmup = session.memoryBytes;
          rssAfterWarmup = process.memoryUsage().rss;
        }
        if (i > WARMUP && i % 50 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
      }
      const drift = rssMax - rssAfterWarmup;
      console.log(`soak: ${RUNS} runs, RSS after warm-up ${(rssAfterWarmup / 2 ** 20).toFixed(1)} MiB, max drift ${(drift / 2 ** 20).toFixed(1)} MiB`);
      expect(session.memoryBytes).toBe(memoryAfterWarmup);
      expect(drift).toBeLessThan(RSS_DRIFT_LIMIT_BYTES);
    } finally {
      await session.dispose();
    }
  });
});
