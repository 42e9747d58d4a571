/**
 * Worker-pool overheads (run with `npm run bench:pool [-- --rounds n]`; no test asserts these numbers):
 *  - barrier: µs per empty step (no task, only the barrier), from a run of 2000 empty steps;
 *  - run(): µs per run() of an empty program (the fork/join round trip alone), and of 200 tiny
 *    steps (one 1-pixel add each: 200 barriers + the round trip);
 * at 1 thread (inline, no worker) and 2 workers, for each completion signal and spin budget.
 * Each figure is the median (and min) over `--rounds` rounds, all configurations interleaved in each
 * round (bench/harness/); the machine is shared, so read ratios within one run rather than absolute values.
 */
import { Arena } from '../src/bindings/arena.js';
import { features } from '../src/bindings/features.js';
import { poolControlBytes, WorkerPool, type Completion } from '../src/bindings/pool.js';
import type { AddStep, Program, View } from '../src/bindings/program.js';
import { compileKernelModule } from '../src/bindings/wasm-module.js';
import { interleave, median, parseOrExit, type Variant } from './harness/index.js';

const { rounds: ROUNDS } = parseOrExit({
  rounds: { type: 'int', default: 25, min: 1, help: 'interleaved rounds per measurement' },
}, process.argv.slice(2), {
  command: 'npm run bench:pool --',
  summary: 'Worker-pool overheads: barrier cost per step and run() round trips, per thread count, completion signal and spin budget.',
});
const EMPTY_STEPS = 2000;
const TINY_STEPS = 200;
const RUNS_PER_BATCH = 50;

const arena = new Arena({ shared: true, initialBytes: 1 << 20 });
const module = await compileKernelModule({ build: 'baseline', shared: true });
const pixel = arena.putF32([1, 2, 3, 4]);
const view = (width: number): View => ({
  offset: pixel, batch: 1, height: 1, width, channels: 4, pixelStrideBytes: 16, imageStrideBytes: 16 * width,
});
const addStep = (width: number): AddStep => ({
  kind: 'add', name: width ? 'tiny' : 'empty', a: view(width), b: view(width), out: view(width), scale: 0,
  clamp: { lo: -Infinity, hi: Infinity }, pixelsPerTask: 1, tasks: width, macs: 0,
});
const program = (steps: AddStep[]): Program => ({ steps, scratchOffset: 0, scratchBytesPerThread: 0, gemmPackOffset: 0, gemmMr: 6 });
const PROGRAMS = {
  empty: program([]),
  barriers: program(Array.from({ length: EMPTY_STEPS }, () => addStep(0))),
  tiny: program(Array.from({ length: TINY_STEPS }, () => addStep(1))),
};

interface Config {
  threads: number;
  completion?: Completion;
  spinMicros?: number;
}

/** µs per `per` for `runs` consecutive runs of `p` (already loaded). */
async function time(pool: WorkerPool, runs: number, per: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await pool.run();
  return ((performance.now() - t0) * 1000) / runs / per;
}

const MEASURES = [
  { program: PROGRAMS.barriers, runs: 2, per: EMPTY_STEPS },
  { program: PROGRAMS.empty, runs: RUNS_PER_BATCH, per: 1 },
  { program: PROGRAMS.tiny, runs: RUNS_PER_BATCH / 5, per: 1 },
];

const configs: Config[] = [
  { threads: 1 },
  { threads: 2, completion: 'message', spinMicros: 0 },
  { threads: 2, completion: 'message', spinMicros: 5 },
  { threads: 2, completion: 'message', spinMicros: 20 },
  { threads: 2, completion: 'waitAsync', spinMicros: 0 },
  { threads: 2, completion: 'waitAsync', spinMicros: 5 },
  { threads: 2, completion: 'waitAsync', spinMicros: 20 },
];
const pools = await Promise.all(
  configs.map((config) =>
    WorkerPool.create({
      module, memory: arena.memory, controlOffset: arena.alloc(poolControlBytes(EMPTY_STEPS)), maxSteps: EMPTY_STEPS, ...config,
    }),
  ),
);
// samples[config][measure] — configs interleaved round by round, so a noisy moment hits all alike.
const samples = configs.map(() => MEASURES.map((): number[] => []));
for (const [m, measure] of MEASURES.entries()) {
  for (const pool of pools) await pool.load(measure.program);
  const variants = pools.map((pool, c): Variant => ({
    name: String(c),
    async warm(runs) {
      for (let i = 0; i < runs; i++) await pool.run();
    },
    time: () => time(pool, measure.runs, measure.per),
  }));
  const times = await interleave(variants, { rounds: ROUNDS, warmup: 3, primer: 3 });
  times.forEach((t, c) => (samples[c][m] = t));
}
await Promise.all(pools.map((p) => p.dispose()));

const stats = (xs: number[]): string => `${median(xs).toFixed(2).padStart(8)} (${Math.min(...xs).toFixed(2)})`;
const f = await features({ relaxedSimd: false });
console.log(`Node ${process.versions.node}, ${f.cores} cores; µs, median (min) of ${ROUNDS} interleaved rounds`);
console.log('threads  completion  spin µs | barrier/step      | run() empty       | run() 200 tiny steps');
for (const [c, config] of configs.entries()) {
  const label = `${String(config.threads).padStart(7)}  ${(config.completion ?? 'inline').padEnd(10)}  ${String(config.spinMicros ?? '-').padStart(7)}`;
  console.log(`${label} | ${samples[c].map(stats).join(' | ')}`);
}
