/**
 * Running a compiled program on the calling thread (threads = 1, and profiling). The threaded
 * path walks the same steps in the worker pool (src/bindings/pool.ts).
 */

import type { Arena } from '../bindings/arena.js';
import { runTask } from '../bindings/interpreter.js';
import { stepAccess, type Kernels, type Program, type Step, type View } from '../bindings/program.js';

/** Runs every task of every step in order on the calling thread (thread index `thread`). */
export function runProgramInline(k: Kernels, program: Program, thread = 0): void {
  for (const step of program.steps) {
    for (let t = 0; t < step.tasks; t++) runTask(k, program, step, t, thread);
  }
}

/** The views a step writes. */
function stepOutputs(step: Step): View[] {
  return stepAccess(step).writes;
}

/**
 * Debug execution: runs step by step on the calling thread and checks each step's outputs; throws
 * at the first non-finite value, naming the step (= graph node name) and the position.
 */
export function runProgramChecked(k: Kernels, program: Program, arena: Arena): void {
  for (const step of program.steps) {
    for (let t = 0; t < step.tasks; t++) runTask(k, program, step, t, 0);
    for (const v of stepOutputs(step)) {
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
}

export interface StepProfile {
  name: string;
  kind: Step['kind'];
  /** Output shape `[N, H, W, C]` of the step's (first) output. */
  shape: number[];
  ms: number;
  macs: number;
  gflops: number;
}

function outputShape(step: Step): number[] {
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
  for (let r = 0; r < repeats; r++) {
    stage?.();
    program.steps.forEach((step, i) => {
      const t0 = performance.now();
      for (let t = 0; t < step.tasks; t++) runTask(k, program, step, t, 0);
      best[i] = Math.min(best[i], performance.now() - t0);
    });
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
