/**
 * Running a compiled program on the calling thread (threads = 1, and profiling). The threaded
 * path walks the same steps in the worker pool (src/bindings/pool.ts).
 */

import { runTask, type Kernels, type Program, type Step } from '../bindings/program.js';

/** Runs every task of every step in order on the calling thread (thread index `thread`). */
export function runProgramInline(k: Kernels, program: Program, thread = 0): void {
  for (const step of program.steps) {
    for (let t = 0; t < step.tasks; t++) runTask(k, program, step, t, thread);
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
  const v = step.kind === 'conv' ? step.outputs[0].out : 'out' in step ? step.out : step.kind === 'nhwcToNchw' ? step.input : undefined;
  if (!v) return [];
  const channels = step.kind === 'conv' ? step.outputs.reduce((s, o) => s + o.out.channels, 0) : v.channels;
  return [v.batch, v.height, v.width, channels];
}

/**
 * Times each step on the calling thread (`repeats` runs, the fastest kept per step). Step times
 * with one thread; GFLOP/s counts 2 FLOPs per multiply-add.
 */
export function profileProgram(k: Kernels, program: Program, repeats = 1): StepProfile[] {
  const best = new Array<number>(program.steps.length).fill(Infinity);
  for (let r = 0; r < repeats; r++) {
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
