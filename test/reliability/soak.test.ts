/**
 * Soak: many consecutive runs on one 2-thread session. Outputs stay bit-identical, the arena does
 * not grow (run() allocates nothing in wasm memory), and memory retained per run stays below a
 * bound a 1 KiB-per-run leak exceeds: the least-squares slope, over the runs after warm-up, of the
 * live JS memory after a forced GC (test/helpers/leak.ts). Measured on this loop: ~50 B/run
 * without a leak (JIT feedback still settling), ~1.2 KiB/run with 1 KiB retained per run, ~4.2
 * KiB/run when every 1000-class logits array is kept. The detector is proved on the same loop with
 * injected leaks, which must fail it. RSS (which also holds the workers' heaps) keeps freed pages
 * and wanders by megabytes, so its slope only bounds large native leaks.
 * SOAK_RUNS=n runs the plain soak longer (default 1000).
 */
import { describe, expect, it } from 'vitest';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { createSession, type RunResult } from '../../src/session.js';
import { measureGrowth, type Growth } from '../helpers/leak.js';

const RUNS = Number(process.env.SOAK_RUNS ?? 1000);
/**
 * The leak proofs run half the default length: a slope does not scale with the run count, and
 * fewer samples only add noise, so a leak caught here is caught by the longer plain soak too.
 */
const PROOF_RUNS = 500;
const WARMUP = 100;
const SAMPLE_EVERY = 30;
/** Half the smallest leak the soak must catch (1 KiB per run), ~10× the slope measured without one. */
const LIVE_BYTES_PER_RUN_LIMIT = 512;
/** RSS slope bound: catches native leaks of ≥ 32 KiB per run; smaller ones drown in page-level noise. */
const RSS_BYTES_PER_RUN_LIMIT = 32 << 10;

interface Soak {
  growth: Growth;
  memoryAfterWarmup: number;
  memoryAtEnd: number;
}

/**
 * `runs` runs of googlenet 32×32 (1000 classes) at 2 threads, each checked bit for bit against the
 * first; `inject` (the leak proofs) sees each result.
 */
async function soak(runs: number, inject?: (result: RunResult) => void): Promise<Soak> {
  const session = await createSession({ model: 'googlenet', inputSize: 32, threads: 2, weights: 'seeded' });
  try {
    const input = seededInputNCHW(1, 3, 32, 32);
    const first = new Uint32Array((await session.run(input)).logits.buffer);
    let memoryAfterWarmup = 0;
    const growth = await measureGrowth(async (i) => {
      const result = await session.run(input);
      const out = new Uint32Array(result.logits.buffer);
      if (out.length !== first.length || !out.every((v, j) => v === first[j])) throw new Error(`soak: run ${i + 1} differs from run 0`);
      inject?.(result);
      if (i + 1 === WARMUP) memoryAfterWarmup = session.memoryBytes;
    }, { runs, warmup: WARMUP, every: SAMPLE_EVERY });
    return { growth, memoryAfterWarmup, memoryAtEnd: session.memoryBytes };
  } finally {
    await session.dispose();
  }
}

/** Why the soak fails, or undefined when it passes. */
function verdict({ growth, memoryAfterWarmup, memoryAtEnd }: Soak): string | undefined {
  const kib = (b: number) => `${(b / 1024).toFixed(2)} KiB`;
  if (memoryAtEnd !== memoryAfterWarmup) return `wasm memory grew from ${memoryAfterWarmup} to ${memoryAtEnd} bytes after warm-up`;
  if (!(growth.liveBytesPerRun < LIVE_BYTES_PER_RUN_LIMIT)) {
    return `live JS memory grows ${kib(growth.liveBytesPerRun)} per run (bound ${kib(LIVE_BYTES_PER_RUN_LIMIT)}): something is retained per run`;
  }
  if (!(growth.rssBytesPerRun < RSS_BYTES_PER_RUN_LIMIT)) {
    return `RSS grows ${kib(growth.rssBytesPerRun)} per run (bound ${kib(RSS_BYTES_PER_RUN_LIMIT)}): native memory is retained per run`;
  }
  return undefined;
}

const describeGrowth = ({ growth }: Soak) =>
  `live ${(growth.liveBytesAtWarmup / 2 ** 20).toFixed(1)} MiB after warm-up, slope ${growth.liveBytesPerRun.toFixed(0)} B/run; ` +
  `RSS ${(growth.rssAtWarmup / 2 ** 20).toFixed(1)} MiB, slope ${growth.rssBytesPerRun.toFixed(0)} B/run (${growth.samples} samples)`;

describe('soak', () => {
  it(`${RUNS} runs of googlenet 32x32 at 2 threads: identical outputs, no wasm memory growth, no memory retained per run`, async () => {
    const result = await soak(RUNS);
    console.log(`soak: ${RUNS} runs, ${describeGrowth(result)}`);
    expect(verdict(result)).toBeUndefined();
  });

  // The same loop with a leak injected: the verdict must name it. Both live-memory paths are
  // covered: a typed array's store is external memory, a plain array's elements are on the heap.
  it.each([
    ['a 1 KiB Float32Array (external backing store)', () => new Float32Array(256)],
    ['a 1 KiB plain array of doubles (JS heap)', () => Array.from({ length: 128 }, (_, i) => i + 0.5)],
  ])(`the detector fails ${PROOF_RUNS} runs that each retain %s`, async (_, leak) => {
    const retained: unknown[] = [];
    const result = await soak(PROOF_RUNS, () => retained.push(leak()));
    console.log(`soak with a 1 KiB leak: ${describeGrowth(result)}`);
    expect(retained).toHaveLength(PROOF_RUNS);
    expect(verdict(result)).toMatch(/^live JS memory grows .* per run/);
  });
});
