/**
 * The worker pool against a plain-JS run of the same program, and its failure modes.
 *
 * The programs are chains of `add` steps (the kernel every build has today): step i reads the
 * output of step i−1 shifted by a few pixels, so each task reads pixels other tasks (other threads)
 * wrote in the step before, and writes the buffer step i−1 read (ping-pong): a missing or leaky
 * barrier shows as a bitwise difference. Tasks per step range from 1 to 1200; some steps are empty.
 * Scales are powers of two, so the f64 reference rounded once to f32 is exact (53 ≥ 2·24 + 2 bits).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Arena } from '../../src/bindings/arena.js';
import { poolControlBytes, WorkerPool } from '../../src/bindings/pool.js';
import { pixelTasks, type AddStep, type Program, type View } from '../../src/bindings/program.js';
import { compileKernelModule } from '../../src/bindings/wasm-module.js';
import { mulberry32 } from '../../src/util/prng.js';
import { randomArray } from '../helpers/kernel-env.js';
import { addReference } from '../reference/elementwise.js';

const GUARD_BITS = 0x7fa1b2c3;
const MAX_STEPS = 256;
const PIXELS_PER_TASK = [1, 3, 16, 64, 100, 250, 999, 5000];
const SCALES = [1, 0.5, -2, 0.25];
const CLAMPS = [
  { lo: -Infinity, hi: Infinity },
  { lo: 0, hi: Infinity },
  { lo: -3.5, hi: 6 },
];

interface ChainShape {
  seed: number;
  steps: number;
  pixels: number;
  channels: number;
  pixelStride: number;
  pixelsPerTask?: readonly number[];
}

/** A chained add program in `arena`, its memory region and the expected bits of that region. */
interface Chain {
  program: Program;
  start: number;
  end: number;
  expected: Uint32Array;
  /** Overwrites the ping-pong bodies with a guard pattern (outputs must be rewritten by a run). */
  clearOutputs(): void;
  /** The region's bits now. */
  bits(): Uint32Array;
}

function buildChain(arena: Arena, shape: ChainShape): Chain {
  const { seed, steps, pixels, channels, pixelStride } = shape;
  const maxShift = 37;
  const floats = (pixels + maxShift) * pixelStride;
  const input = arena.putF32(randomArray(floats, seed + 1, -4, 4));
  const b = arena.putF32(randomArray(floats, seed + 2, -1, 1));
  // Pixels [pixels, pixels + maxShift) of the ping-pong buffers are read (shifted views) but never written.
  const ping = [arena.putF32(randomArray(floats, seed + 3)), arena.putF32(randomArray(floats, seed + 4))];
  const start = input;
  const end = ping[1] + floats * 4;
  const view = (offset: number, width: number): View => ({
    offset, batch: 1, height: 1, width, channels,
    pixelStrideBytes: pixelStride * 4, imageStrideBytes: width * pixelStride * 4,
  });
  const next = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  const program: Program = { steps: [], scratchOffset: 0, scratchBytesPerThread: 0, gemmPackOffset: 0, gemmMr: 6 };
  let current = input;
  for (let i = 0; i < steps; i++) {
    const empty = i % 9 === 4;
    const dest = current === ping[0] ? ping[1] : ping[0];
    const width = empty ? 0 : pixels;
    const out = view(dest, width);
    const pixelsPerTask = pick(shape.pixelsPerTask ?? PIXELS_PER_TASK);
    const step: AddStep = {
      kind: 'add',
      name: `add ${i}`,
      a: view(current + Math.floor(next() * (maxShift + 1)) * pixelStride * 4, width),
      b: view(b + Math.floor(next() * (maxShift + 1)) * pixelStride * 4, width),
      out,
      scale: pick(SCALES),
      clamp: pick(CLAMPS),
      pixelsPerTask,
      tasks: pixelTasks(out, pixelsPerTask),
      macs: 0,
    };
    program.steps.push(step);
    if (!empty) current = dest;
  }
  const bits = () => new Uint32Array(arena.memory.buffer.slice(start, end));
  const clearOutputs = () => {
    for (const p of ping) new Uint32Array(arena.memory.buffer, p, pixels * pixelStride).fill(GUARD_BITS);
  };
  clearOutputs();
  const memory = new Float32Array(arena.memory.buffer.slice(0, end));
  referenceRun(memory, program);
  return { program, start, end, expected: new Uint32Array(memory.buffer, start, (end - start) / 4).slice(), clearOutputs, bits };
}

/** Runs the add steps of `program` one after another on a copy of the memory, in plain JS. */
function referenceRun(memory: Float32Array, program: Program): void {
  for (const step of program.steps) {
    if (step.kind !== 'add') throw new Error(`referenceRun: only add steps, got ${step.kind}`);
    const { a, b, out } = step;
    const channels = out.channels;
    const pixels = out.batch * out.height * out.width;
    const gather = (v: View): Float64Array => {
      const dense = new Float64Array(pixels * channels);
      for (let p = 0; p < pixels; p++) {
        const base = (v.offset + p * v.pixelStrideBytes) / 4;
        for (let c = 0; c < channels; c++) dense[p * channels + c] = memory[base + c];
      }
      return dense;
    };
    const y = addReference(gather(a), gather(b), step.scale, step.clamp);
    for (let p = 0; p < pixels; p++) {
      const base = (out.offset + p * out.pixelStrideBytes) / 4;
      for (let c = 0; c < channels; c++) memory[base + c] = y[p * channels + c];
    }
  }
}

/** Index and both values of the first differing word, or undefined. */
function firstDifference(actual: Uint32Array, expected: Uint32Array): string | undefined {
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) return `word ${i}: 0x${actual[i].toString(16)}, expected 0x${expected[i].toString(16)}`;
  }
  return actual.length === expected.length ? undefined : `length ${actual.length}, expected ${expected.length}`;
}

const SMALL: ChainShape = { seed: 11, steps: 60, pixels: 1200, channels: 19, pixelStride: 24 };

let module: WebAssembly.Module;
let arena: Arena;
const pools = new Map<number, WorkerPool>();

/** A pool over `arena` with its own control block. */
async function newPool(threads: number, extra: Partial<Parameters<typeof WorkerPool.create>[0]> = {}): Promise<WorkerPool> {
  const controlOffset = arena.alloc(poolControlBytes(MAX_STEPS));
  return WorkerPool.create({ module, memory: arena.memory, threads, controlOffset, maxSteps: MAX_STEPS, ...extra });
}

beforeAll(async () => {
  module = await compileKernelModule({ build: 'baseline', shared: true });
  arena = new Arena({ shared: true, initialBytes: 1 << 20 });
  // Pools first, programs after: the memory grows under running workers. The 2-thread pool
  // signals completion by Atomics.waitAsync (the default), the 3-thread one by message.
  const created = await Promise.all([newPool(1), newPool(2, { completion: 'waitAsync' }), newPool(3, { completion: 'message' })]);
  created.forEach((p, i) => pools.set(i + 1, p));
});

afterAll(async () => {
  await Promise.all([...pools.values()].map((p) => p.dispose()));
});

describe('WorkerPool results', () => {
  let chain: Chain;
  beforeAll(() => {
    chain = buildChain(arena, SMALL);
  });

  for (const threads of [1, 2, 3]) {
    it(`a chain of ${SMALL.steps} add steps (1–1200 tasks each) is bitwise the plain-JS result at ${threads} thread(s)`, async () => {
      const pool = pools.get(threads)!;
      expect(pool.threads).toBe(threads);
      await pool.load(chain.program);
      chain.clearOutputs();
      await pool.run();
      expect(firstDifference(chain.bits(), chain.expected)).toBeUndefined();
    });
  }

  for (const threads of [2, 3]) {
    it(`100 consecutive runs at ${threads} threads are all bitwise identical`, async () => {
      const pool = pools.get(threads)!;
      await pool.load(chain.program);
      for (let run = 0; run < 100; run++) {
        chain.clearOutputs();
        await pool.run();
        const diff = firstDifference(chain.bits(), chain.expected);
        if (diff) throw new Error(`run ${run}: ${diff}`);
      }
    });
  }

  for (const threads of [1, 2, 3]) {
    it(`every run() executes each task exactly once: an in-place doubling, loaded once and run 10 times, gives ×1024 (${threads} thread(s))`, async () => {
      const pool = pools.get(threads)!;
      const pixels = 300;
      const offset = arena.putF32(new Float32Array(pixels * 4).fill(1));
      const x: View = { offset, batch: 1, height: 1, width: pixels, channels: 4, pixelStrideBytes: 16, imageStrideBytes: pixels * 16 };
      const double: AddStep = {
        kind: 'add', name: 'double', a: x, b: x, out: x, scale: 1, clamp: CLAMPS[0], pixelsPerTask: 7, tasks: pixelTasks(x, 7), macs: 0,
      };
      await pool.load({ steps: [double], scratchOffset: 0, scratchBytesPerThread: 0, gemmPackOffset: 0, gemmMr: 6 });
      for (let run = 0; run < 10; run++) await pool.run();
      expect(new Set(arena.f32(offset, pixels * 4))).toEqual(new Set([1024]));
    });
  }

  it('concurrent run() and load() calls queue and settle in call order', async () => {
    const pool = pools.get(2)!;
    const other = buildChain(arena, { ...SMALL, seed: 99, steps: 20 });
    const order: string[] = [];
    const track = (label: string, p: Promise<void>) => p.then(() => order.push(label));
    await Promise.all([
      track('load chain', pool.load(chain.program)),
      track('run 1', pool.run()),
      track('run 2', pool.run()),
      track('load other', pool.load(other.program)),
      track('run 3', pool.run()),
    ]);
    expect(order).toEqual(['load chain', 'run 1', 'run 2', 'load other', 'run 3']);
    expect(firstDifference(other.bits(), other.expected)).toBeUndefined();
  });

  it('two pools over one memory, running at the same time, do not interfere', async () => {
    const first = buildChain(arena, { ...SMALL, seed: 21 });
    const second = buildChain(arena, { ...SMALL, seed: 22, channels: 8, pixelStride: 8 });
    const [p2, p3] = [pools.get(2)!, pools.get(3)!];
    await Promise.all([p2.load(first.program), p3.load(second.program)]);
    for (let round = 0; round < 20; round++) {
      first.clearOutputs();
      second.clearOutputs();
      await Promise.all([p2.run(), p3.run()]);
      expect(firstDifference(first.bits(), first.expected)).toBeUndefined();
      expect(firstDifference(second.bits(), second.expected)).toBeUndefined();
    }
  });
});

describe('WorkerPool failures', () => {
  for (const completion of ['waitAsync', 'message'] as const) {
    it(`a worker terminated mid-run rejects the run naming it; the next run rebuilds the pool and is correct (completion by ${completion})`, async () => {
      const pool = await newPool(2, { completion });
      try {
        // The kill is requested before the run's first step; the run cannot pass a barrier without
        // worker 1, and 100 steps over 2 MB buffers outlast the termination by far.
        const long = buildChain(arena, { seed: 7, steps: 100, pixels: 32768, channels: 16, pixelStride: 16, pixelsPerTask: [1024, 4096, 9000] });
        await pool.load(long.program);
        const running = pool.run();
        void pool.simulateWorkerCrash(1);
        await expect(running).rejects.toThrow(/worker 1 exited \(code 1\); the pool will be rebuilt/);
        long.clearOutputs();
        await pool.run();
        expect(firstDifference(long.bits(), long.expected)).toBeUndefined();
        expect(pool.threads).toBe(2);
        // A worker dying between runs: the next run rebuilds first.
        await pool.simulateWorkerCrash(0);
        long.clearOutputs();
        await pool.run();
        expect(firstDifference(long.bits(), long.expected)).toBeUndefined();
      } finally {
        await pool.dispose();
      }
    });
  }

  for (const threads of [1, 2]) {
    it(`a kernel trap (out-of-bounds output) rejects with ${threads === 1 ? 'the step' : 'the worker, the step'} and the cause; the pool stays usable (${threads} thread(s))`, async () => {
      const pool = pools.get(threads)!;
      const chain = buildChain(arena, { ...SMALL, seed: 31, steps: 3 });
      const good = chain.program.steps[0] as AddStep;
      const outOfBounds: AddStep = {
        ...good,
        name: 'out of bounds',
        out: { ...good.out, offset: arena.memory.buffer.byteLength + (64 << 20) },
      };
      await pool.load({ ...chain.program, steps: [good, outOfBounds, good] });
      const cause = threads === 1
        ? /step 1 'out of bounds' task \d+ failed: RuntimeError: memory access out of bounds/
        : /worker [01] failed in step 1 'out of bounds' task \d+: RuntimeError: memory access out of bounds/;
      await expect(pool.run()).rejects.toThrow(cause);
      await pool.load(chain.program);
      chain.clearOutputs();
      await pool.run();
      expect(firstDifference(chain.bits(), chain.expected)).toBeUndefined();
    });
  }

  for (const mode of ['dispose', 'forget-dispose']) {
    it(`a process that creates a 2-thread pool, runs and ${mode === 'dispose' ? 'disposes it' : 'never disposes it'} exits by itself`, () => {
      const fixture = fileURLToPath(new URL('./fixtures/pool-exit.ts', import.meta.url));
      const child = spawnSync(process.execPath, ['--import', 'tsx', fixture, mode], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(child.signal, `killed after 20 s; stderr: ${child.stderr}`).toBeNull();
      expect(child.stderr).toBe('');
      expect(child.stdout.trim()).toBe('ran on 2 threads');
      expect(child.status).toBe(0);
    });
  }

  it('run() after dispose() rejects with a clear error', async () => {
    const pool = await newPool(2);
    await pool.dispose();
    await pool.dispose();
    await expect(pool.run()).rejects.toThrow(/WorkerPool has been disposed/);
  });

  it('dispose() during a run rejects that run and the queued ones', async () => {
    const pool = await newPool(2);
    await pool.load(buildChain(arena, { ...SMALL, seed: 41 }).program);
    const running = pool.run();
    const queued = pool.run();
    await pool.dispose();
    await expect(running).rejects.toThrow(/disposed/);
    await expect(queued).rejects.toThrow(/disposed/);
  });

  it('run() before load() and programs longer than maxSteps are refused', async () => {
    const pool = await newPool(2, { maxSteps: 4 });
    try {
      await expect(pool.run()).rejects.toThrow(/run\(\) before load/);
      const chain = buildChain(arena, { ...SMALL, steps: 5 });
      await expect(pool.load(chain.program)).rejects.toThrow(/5 steps but the pool was created for at most 4/);
    } finally {
      await pool.dispose();
    }
  });
});

describe('WorkerPool takes a resolved thread count (the session resolves and warns, once)', () => {
  it('threads 0, -1 and 1.5 are refused, naming the resolved count it needs', async () => {
    for (const threads of [0, -1, 1.5]) {
      await expect(newPool(threads)).rejects.toThrow(
        new RegExp(`the pool's threads must be an integer ≥ 1, got ${threads} \\(createSession resolves threads: 0 to one per core\\)`),
      );
    }
  });

  it('threads: 2 over a plain memory is refused with the fix, never a silent fallback with its own warning', async () => {
    const plain = new Arena({ shared: false });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const attempt = WorkerPool.create({
        module: await compileKernelModule({ build: 'baseline', shared: false }),
        memory: plain.memory,
        threads: 2,
        controlOffset: plain.alloc(poolControlBytes(8)),
        maxSteps: 8,
      });
      await expect(attempt).rejects.toThrow(
        /a pool of 2 threads needs a shared WebAssembly.Memory: create the arena with shared: true, or use threads: 1/,
      );
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('threads: 1 over a plain memory runs inline, bitwise the plain-JS result', async () => {
    const plain = new Arena({ shared: false });
    const pool = await WorkerPool.create({
      module: await compileKernelModule({ build: 'baseline', shared: false }),
      memory: plain.memory,
      threads: 1,
      controlOffset: plain.alloc(poolControlBytes(8)),
      maxSteps: 8,
    });
    const chain = buildChain(plain, { ...SMALL, steps: 8 });
    await pool.load(chain.program);
    await pool.run();
    expect(firstDifference(chain.bits(), chain.expected)).toBeUndefined();
    await pool.dispose();
  });
});
