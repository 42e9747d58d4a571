/**
 * Memory growth per run, measured so that a small steady leak shows: after warm-up, every `every`
 * runs a full garbage collection is forced and the live JS memory (heap used + external, which
 * holds ArrayBuffer backing stores) and RSS are sampled; the growth is the least-squares slope of
 * each over the run index. A forced GC leaves only what is reachable, so a retained 1 KiB per run
 * adds ~1 KiB per run to the slope while GC timing adds nothing; RSS also counts the worker
 * threads' heaps and wasm memory but keeps freed pages, so its slope is noisier and its bound looser.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** The engine's `gc()`: the global one under `--expose-gc`, else enabled at run time. */
export function forcedGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') return existing;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

export interface GrowthOptions {
  runs: number;
  /** Runs before the first sample (caches, JIT, pools settle). */
  warmup: number;
  /** Runs between samples (each sample costs a full GC). */
  every: number;
}

export interface Growth {
  /** Least-squares slope of heap used + external after a forced GC, bytes per run. */
  liveBytesPerRun: number;
  /** Least-squares slope of RSS after a forced GC, bytes per run. */
  rssBytesPerRun: number;
  samples: number;
  /** Live bytes and RSS at the first sample. */
  liveBytesAtWarmup: number;
  rssAtWarmup: number;
}

/** Least-squares slope of y over x. */
export function slope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n < 2 || y.length !== n) throw new RangeError(`slope needs ≥ 2 paired samples, got ${n} and ${y.length}`);
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  return sxy / sxx;
}

/** Calls `run(i)` for i = 0 … runs−1 and measures the memory growth per run after warm-up. */
export async function measureGrowth(run: (i: number) => Promise<void>, { runs, warmup, every }: GrowthOptions): Promise<Growth> {
  if (runs - warmup < 4 * every) throw new RangeError(`measureGrowth: ${runs} runs leave fewer than 4 samples after ${warmup} warm-up runs every ${every}`);
  const gc = forcedGc();
  const at: number[] = [];
  const live: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    await run(i);
    if (i + 1 >= warmup && (i + 1 - warmup) % every === 0) {
      const [l, r] = await settledMemory(gc);
      at.push(i + 1);
      live.push(l);
      rss.push(r);
    }
  }
  return {
    liveBytesPerRun: slope(at, live), rssBytesPerRun: slope(at, rss), samples: at.length,
    liveBytesAtWarmup: live[0]!, rssAtWarmup: rss[0]!,
  };
}

/**
 * Live bytes and RSS after forced GCs, each the least of `READINGS` readings a macrotask apart:
 * ArrayBuffer backing stores are freed by a sweeper after gc() returns, and a message in flight
 * may hold a buffer at one reading; both only ever add, so the least reading is the retained memory.
 */
async function settledMemory(gc: () => void): Promise<[number, number]> {
  let live = Infinity;
  let rss = Infinity;
  for (let k = 0; k < READINGS; k++) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    const m = process.memoryUsage();
    live = Math.min(live, m.heapUsed + m.external);
    rss = Math.min(rss, m.rss);
  }
  return [live, rss];
}

const READINGS = 2;
