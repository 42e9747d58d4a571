/**
 * The executor: the one loop that walks a program's steps and runs their tasks. Every path runs
 * a program through `runSteps` — the pool's workers (worker.ts), the one-thread path, debug mode
 * and `profile()` — and differs only in its hooks: how a thread claims tasks (in order, or from a
 * shared atomic counter), how threads meet between steps, and what is observed after a step
 * (finiteness checks, timings). So a step runs the same tasks, by the same interpreter, whichever
 * path runs it.
 *
 * Groups: a step marked `overlapsNext` is followed directly by the next; after any other step but
 * the last, the walk calls `barrier` (threads meet there; one thread needs none).
 */

import type { Arena } from './arena.js';
import { runTask } from './interpreter.js';
import { stepAccess, viewElementBytes, type Kernels, type Program, type Step } from './program.js';
import { describeError } from './protocol.js';

/** What differs between the walkers of a program. Hooks run per step, never per task. */
export interface StepHooks {
  /**
   * The task this thread runs next in step `s`; a value ≥ the step's `tasks` ends this thread's
   * part of the step. Default: every task, in order (one thread runs them all).
   */
  nextTask?(s: number): number;
  /**
   * Waits for the other threads after a step the next one depends on; false ends the walk (the
   * run failed on another thread). Default: none (one thread).
   */
  barrier?(): boolean;
  beforeStep?(s: number, step: Step): void;
  /** After this thread's part of step `s`, before any barrier. May throw to stop the walk. */
  afterStep?(s: number, step: Step): void;
}

/** A task threw (a kernel trap): which step and task, and the cause. */
export class TaskError extends Error {
  constructor(
    readonly step: number,
    readonly stepName: string,
    readonly task: number,
    cause: unknown,
  ) {
    super(`step ${step} '${stepName}' task ${task}: ${describeError(cause)}`, { cause });
    this.name = 'TaskError';
  }

  /** `step s 'name' task t`. */
  get where(): string {
    return `step ${this.step} '${this.stepName}' task ${this.task}`;
  }
}

/**
 * Walks `program` on the calling thread as thread `thread` (selects its scratch). Returns false
 * when a barrier reported a failure elsewhere, true when every step was walked; a failing task
 * throws a TaskError.
 */
export function runSteps(k: Kernels, program: Program, thread: number, hooks: StepHooks = {}): boolean {
  const { steps } = program;
  const { nextTask, barrier, beforeStep, afterStep } = hooks;
  for (let s = 0; s < steps.length; s++) {
    const step = steps[s];
    beforeStep?.(s, step);
    let task = -1;
    try {
      if (nextTask) {
        while ((task = nextTask(s)) < step.tasks) runTask(k, program, step, task, thread);
      } else {
        for (task = 0; task < step.tasks; task++) runTask(k, program, step, task, thread);
      }
    } catch (e) {
      throw new TaskError(s, step.name, task, e);
    }
    afterStep?.(s, step);
    if (barrier && s + 1 < steps.length && !step.overlapsNext && !barrier()) return false;
  }
  return true;
}

/**
 * Runs every task of every step in order on the calling thread (thread 0). A failing task throws
 * an Error naming the step and task, with the kernel's error as `cause`.
 */
export function runProgramInline(k: Kernels, program: Program, hooks?: Pick<StepHooks, 'beforeStep' | 'afterStep'>): void {
  try {
    runSteps(k, program, 0, hooks);
  } catch (e) {
    if (!(e instanceof TaskError)) throw e;
    throw new Error(`inception-wasm: ${e.where} failed: ${describeError(e.cause)}`, { cause: e.cause });
  }
}

/**
 * Debug execution: runs on the calling thread and checks each step's outputs right after it
 * runs; throws at the first non-finite value, naming the step (= graph node name) and position.
 */
export function runProgramChecked(k: Kernels, program: Program, arena: Arena): void {
  runProgramInline(k, program, { afterStep: (_, step) => checkFinite(step, arena) });
}

function checkFinite(step: Step, arena: Arena): void {
  for (const v of stepAccess(step).writes) {
    if (viewElementBytes(v) !== 4) continue; // u8 values are finite by construction
    for (let n = 0; n < v.batch; n++) {
      for (let p = 0; p < v.height * v.width; p++) {
        const values = arena.f32(v.offset + n * v.imageStrideBytes + p * v.pixelStrideBytes, v.channels);
        for (let c = 0; c < v.channels; c++) {
          if (!Number.isFinite(values[c])) {
            throw new Error(
              `inception-wasm: node '${step.name}' (${step.kind}) produced ${values[c]} at image ${n}, ` +
                `pixel (${Math.floor(p / v.width)}, ${p % v.width}), channel ${c}: the first non-finite value of this run`,
            );
          }
        }
      }
    }
  }
}

export interface StepProfile {
  name: string;
  kind: Step['kind'];
  /** Output shape `[N, H, W, C]` of the step's (first) output. */
  shape: number[];
  ms: number;
  macs: number;
  gflops: number;
  /** `profile({ threads: true })` only: each thread's part of the step (trace.ts). */
  threads?: ThreadStepTiming[];
}

/** One thread's part of one step in a traced run, in ms from the moment the run was started (step 0's start includes the thread's wake-up). */
export interface ThreadStepTiming {
  startMs: number;
  /** When it had run its last task of the step (`tasksEndMs − startMs` includes its claims of tasks). */
  tasksEndMs: number;
  /** When it left the barrier after the step (= `tasksEndMs` where the next step follows directly). */
  releasedMs: number;
  /** Tasks of the step this thread ran. */
  tasks: number;
}

/** Output shape `[N, H, W, C]` of a step's outputs (channels summed over a merged step's parts). */
export function outputShape(step: Step): number[] {
  const writes = stepAccess(step).writes;
  const v = writes[0];
  return [v.batch, v.height, v.width, writes.reduce((s, w) => s + w.channels, 0)];
}

/**
 * Times each step on the calling thread (`repeats` runs, the fastest kept per step). Step times
 * with one thread; GFLOP/s counts 2 FLOPs per multiply-add. `stage` runs before every repeat
 * (untimed) to write the input again: a step may reuse the input's memory for its output. The
 * caller must own the program's memory for the duration (no run in flight on other threads).
 */
export function profileProgram(k: Kernels, program: Program, repeats = 1, stage?: () => void): StepProfile[] {
  const best = new Array<number>(program.steps.length).fill(Infinity);
  let t0 = 0;
  const timing: StepHooks = {
    beforeStep: () => {
      t0 = performance.now();
    },
    afterStep: (s) => {
      best[s] = Math.min(best[s], performance.now() - t0);
    },
  };
  for (let r = 0; r < repeats; r++) {
    stage?.();
    runProgramInline(k, program, timing);
  }
  return program.steps.map((step, i) => ({
    name: step.name,
    kind: step.kind,
    shape: outputShape(step),
    ms: best[i],
    macs: step.macs,
    gflops: best[i] > 0 ? (2 * step.macs) / (best[i] * 1e6) : 0,
  }));
}
