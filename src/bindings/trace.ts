/**
 * A run's timeline per thread: for every step and thread, when the thread reached the step, when
 * it had run its last task of it, when it left the barrier after it, and how many tasks it ran.
 * `profile({ threads: true })` reads it to show where threads wait (session.ts); the workers and
 * the one-thread path record it through the executor's hooks, so a traced run executes the same
 * tasks in the same way as any other run, with clock reads per step (never per task).
 *
 * Layout: float64 `[threads][steps][TRACE_FIELDS]` in the program's memory, thread t's block
 * written only by thread t. Times are `performance.timeOrigin + performance.now()` in ms, so the
 * clocks of different workers compare (each worker has its own origin). The recorder zeroes
 * nothing: the caller clears the area before each run.
 */

import { outputShape, type StepHooks, type StepProfile, type ThreadStepTiming } from './executor.js';
import type { Program } from './program.js';

/** Per thread and step: start, tasks end, barrier left, tasks run. */
export const TRACE_FIELDS = 4;
const START = 0;
const TASKS_END = 1;
const RELEASED = 2;
const TASKS = 3;

/** Bytes of a trace of `threads` threads over a program of `steps` steps. */
export function traceBytes(threads: number, steps: number): number {
  return threads * steps * TRACE_FIELDS * 8;
}

/** Thread `thread`'s record inside the trace area at byte `offset` (8-aligned) of `buffer`. */
export function threadRecord(buffer: ArrayBufferLike, offset: number, thread: number, steps: number): Float64Array {
  return new Float64Array(buffer, offset + thread * steps * TRACE_FIELDS * 8, steps * TRACE_FIELDS);
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * `base` (how this thread claims tasks and meets the others) with this thread's timeline written
 * into `record`. A step without a barrier after it (`overlapsNext`, or the last) is left when its
 * tasks end.
 */
export function tracedHooks(base: StepHooks, program: Program, record: Float64Array): StepHooks {
  const { nextTask, barrier } = base;
  let current = 0;
  return {
    nextTask: nextTask && ((s) => {
      const task = nextTask(s);
      if (task < program.steps[s].tasks) record[s * TRACE_FIELDS + TASKS]++;
      return task;
    }),
    beforeStep: (s, step) => {
      current = s;
      record[s * TRACE_FIELDS + START] = now();
      if (!nextTask) record[s * TRACE_FIELDS + TASKS] = step.tasks;
      base.beforeStep?.(s, step);
    },
    afterStep: (s, step) => {
      base.afterStep?.(s, step);
      record[s * TRACE_FIELDS + TASKS_END] = record[s * TRACE_FIELDS + RELEASED] = now();
    },
    barrier: barrier && (() => {
      const ok = barrier();
      record[current * TRACE_FIELDS + RELEASED] = now();
      return ok;
    }),
  };
}

/** The hooks of a traced run on the calling thread alone (thread 0 of the trace at byte `offset`). */
export function inlineTraceHooks(program: Program, buffer: ArrayBufferLike, offset: number): StepHooks {
  return tracedHooks({}, program, threadRecord(buffer, offset, 0, program.steps.length));
}

/** The run a trace describes: its wall time and, per step, the threads' timings. */
export interface ThreadTrace {
  /** From the origin to the last thread's end of the last step. */
  runMs: number;
  steps: ThreadStepTiming[][];
}

/**
 * Reads a complete trace of `threads` threads (every thread walked every step), in ms from
 * `origin` (on the trace's clock; default: the first thread's start of step 0).
 */
export function readTrace(buffer: ArrayBufferLike, offset: number, threads: number, steps: number, origin?: number): ThreadTrace {
  const records = Array.from({ length: threads }, (_, t) => threadRecord(buffer, offset, t, steps));
  let first = Infinity;
  let end = -Infinity;
  for (const r of records) {
    first = Math.min(first, r[START]);
    end = Math.max(end, r[(steps - 1) * TRACE_FIELDS + RELEASED]);
  }
  origin ??= first;
  return {
    runMs: steps === 0 ? 0 : end - origin,
    steps: Array.from({ length: steps }, (_, s) => records.map((r) => ({
      startMs: r[s * TRACE_FIELDS + START] - origin,
      tasksEndMs: r[s * TRACE_FIELDS + TASKS_END] - origin,
      releasedMs: r[s * TRACE_FIELDS + RELEASED] - origin,
      tasks: r[s * TRACE_FIELDS + TASKS],
    }))),
  };
}

/**
 * A step's profile from a traced run: `ms` from the first thread's start of the step to the last
 * thread's end of its tasks (steps that overlap share time), with each thread's timing.
 */
export function tracedStepProfile(base: Omit<StepProfile, 'ms' | 'gflops'>, threads: ThreadStepTiming[]): StepProfile {
  const ms = Math.max(...threads.map((t) => t.tasksEndMs)) - Math.min(...threads.map((t) => t.startMs));
  return { ...base, ms, gflops: ms > 0 ? (2 * base.macs) / (ms * 1e6) : 0, threads };
}

/**
 * `repeats` traced runs of `program` on `threads` threads, times in ms from the moment each run
 * was started (after staging) (`run` starts one with its trace at
 * `traceOffset`, `traceBytes(threads, steps)` bytes of `memory`; `stage` writes the input before
 * each); every step's profile from the fastest run.
 */
export async function profileThreads(
  program: Program, threads: number, repeats: number, memory: WebAssembly.Memory, traceOffset: number,
  run: (traceOffset: number) => Promise<void>, stage: () => void,
): Promise<StepProfile[]> {
  const steps = program.steps.length;
  let best: ThreadTrace | undefined;
  for (let r = 0; r < repeats; r++) {
    stage();
    new Float64Array(memory.buffer, traceOffset, traceBytes(threads, steps) / 8).fill(0);
    // Times from the moment the run is started: a thread's start of step 0 shows its wake-up.
    const origin = now();
    await run(traceOffset);
    const trace = readTrace(memory.buffer, traceOffset, threads, steps, origin);
    if (!best || trace.runMs < best.runMs) best = trace;
  }
  return program.steps.map((step, s) => tracedStepProfile({ name: step.name, kind: step.kind, shape: outputShape(step), macs: step.macs }, best!.steps[s]));
}
