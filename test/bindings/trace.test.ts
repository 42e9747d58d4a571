/**
 * `profile({ threads: true })` (src/bindings/trace.ts): a traced run's timeline per thread.
 * Checked against the program the session runs (compiled again here, deterministically, for its
 * task counts and barrier marks): every task of every step is run exactly once across the
 * threads; a thread's times are ordered; no thread starts a step before every thread has finished
 * the step before a barrier; a step without a barrier after it is left when its tasks end. A traced
 * run leaves the session's results bitwise unchanged (the trace area is its own memory).
 */
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/bindings/arena.js';
import type { StepProfile } from '../../src/bindings/executor.js';
import { asKernels, type Program } from '../../src/bindings/program.js';
import { compileKernelModule, instantiateKernels } from '../../src/bindings/wasm-module.js';
import { compileGraph } from '../../src/graph/compile.js';
import { ALL_PASSES } from '../../src/graph/passes.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';

const SIZE = 96;

/** The program a googlenet@SIZE session with seeded weights compiles for `threads` threads. */
async function programFor(threads: number): Promise<Program> {
  const g = buildNetwork('googlenet', { inputSize: SIZE, batch: 1 });
  const arena = new Arena({ shared: false });
  const k = asKernels(instantiateKernels(await compileKernelModule({ build: 'baseline', shared: false }), arena.memory));
  return compileGraph(g, seededWeights(g.weights), k, arena, { passes: ALL_PASSES, threads, gemmMr: k.f32_gemm_mr(), winograd: true }).program;
}

/** Every invariant of a traced profile of `program` on `threads` threads; the message names the step. */
function checkTimeline(steps: StepProfile[], program: Program, threads: number): void {
  expect(steps.map((s) => s.name)).toEqual(program.steps.map((s) => s.name));
  for (let s = 0; s < steps.length; s++) {
    const t = steps[s].threads!;
    const step = program.steps[s];
    const where = `step ${s} '${step.name}'`;
    expect(t, where).toHaveLength(threads);
    expect(t.reduce((n, x) => n + x.tasks, 0), `${where}: tasks run across threads`).toBe(step.tasks);
    for (const x of t) {
      expect(x.startMs, `${where}: start ≥ 0`).toBeGreaterThanOrEqual(0);
      expect(x.tasksEndMs, `${where}: tasks end ≥ start`).toBeGreaterThanOrEqual(x.startMs);
      expect(x.releasedMs, `${where}: barrier left ≥ tasks end`).toBeGreaterThanOrEqual(x.tasksEndMs);
      const barrierAfter = s + 1 < steps.length && !step.overlapsNext;
      if (!barrierAfter) expect(x.releasedMs, `${where}: no barrier after it`).toBe(x.tasksEndMs);
      if (s + 1 < steps.length) {
        const next = steps[s + 1].threads!;
        // The same thread goes on when it leaves (a thread's steps follow one another).
        expect(next[t.indexOf(x)].startMs, `${where}: next step starts after this thread left`).toBeGreaterThanOrEqual(x.releasedMs);
        // A barrier: nobody starts the next step before everyone finished this one.
        if (barrierAfter) {
          const lastEnd = Math.max(...t.map((y) => y.tasksEndMs));
          expect(x.releasedMs, `${where}: barrier left after every thread arrived`).toBeGreaterThanOrEqual(lastEnd);
          expect(next[t.indexOf(x)].startMs, `${where}: start of the next step after the barrier`).toBeGreaterThanOrEqual(lastEnd);
        }
      }
    }
    const span = Math.max(...t.map((x) => x.tasksEndMs)) - Math.min(...t.map((x) => x.startMs));
    expect(steps[s].ms, `${where}: ms is the span of its threads`).toBeCloseTo(span, 9);
  }
}

describe("profile({ threads: true }): each thread's timeline", () => {
  for (const threads of [1, 2]) {
    it(`googlenet@${SIZE} on ${threads} thread(s): every task once, times ordered, barriers respected; results unchanged`, async () => {
      const session = await createSession({ model: 'googlenet', inputSize: SIZE, weights: 'seeded', threads });
      try {
        const input = seededInputNCHW(1, 3, SIZE, SIZE, 3);
        const before = new Uint32Array((await session.run(input)).logits.buffer).slice();
        const steps = await session.profile({ threads: true, repeats: 3 });
        checkTimeline(steps, await programFor(threads), threads);
        const after = new Uint32Array((await session.run(input)).logits.buffer);
        expect(Array.from(after), 'logits after a traced profile').toEqual(Array.from(before));
        // Without the option: each step alone on the calling thread, no timeline.
        expect((await session.profile()).every((p) => p.threads === undefined)).toBe(true);
      } finally {
        await session.dispose();
      }
    }, 120_000);
  }

  it("rejects a non-boolean `threads` by name", async () => {
    const session = await createSession({ model: 'googlenet', inputSize: 32, weights: 'seeded', threads: 1 });
    try {
      await expect(session.profile({ threads: 'yes' as unknown as boolean })).rejects.toThrow(/threads/);
    } finally {
      await session.dispose();
    }
  });
});
