/**
 * Compiling a graph: lower → passes → schedule → plan memory → choose each conv's algorithm
 * (algorithm.ts) → pack weights (pack-weights.ts) → build the steps (steps.ts) → a flat `Program`
 * with every byte offset resolved (src/bindings/program.ts). Done once per session; `run()` walks
 * the program and allocates nothing.
 *
 * Arena layout (byte offsets from the arena): packed weights | activations (planned) |
 * NCHW input staging | per-thread scratch.
 */

import type { Arena } from '../bindings/arena.js';
import type { Kernels, Program, Step, View } from '../bindings/program.js';
import { stepScratch } from '../bindings/scratch.js';
import { convAlgorithm } from './algorithm.js';
import { lowerGraph, opSteps } from '../ops/index.js';
import type { Graph } from './graph.js';
import { GraphError, type ValueId } from './nodes.js';
import type { Op } from './ops.js';
import { packOpWeights, type WeightMap } from './pack-weights.js';
import { ALL_PASSES, runPasses, type PassName } from './passes.js';
import { planMemory, type MemoryPlan } from './planner.js';
import { markStepGroups, scheduleOps } from './schedule.js';
import { resolveTuning, type Tuning } from './tuning.js';

export type { WeightMap };

export interface CompileOptions {
  passes?: readonly PassName[];
  /** Threads that will run the program (one scratch block each). */
  threads: number;
  /** MR of the GEMM build in use. */
  gemmMr: number;
  /**
   * Run stride-1 3×3, 1×7/7×1 and 1×3/3×1 convs by Winograd transforms where algorithm.ts picks
   * them (default true); results differ from the direct path by rounding only.
   */
  winograd?: boolean;
  /** Thresholds to override for an experiment (default: DEFAULT_TUNING, tuning.ts). */
  tuning?: Partial<Tuning>;
}

export interface CompiledGraph {
  program: Program;
  plan: MemoryPlan;
  ops: Op[];
  /** NHWC view of the graph input inside the activations. */
  input: View;
  /** Dense NCHW staging buffer for the input, transposed into `input` before the program runs. */
  inputNchwOffset: number;
  /** View of the main output. */
  output: View;
  weightBytes: number;
  /** The index in `ops` of the op each step of the program belongs to. */
  stepOps: number[];
  /** Where a value lives in the arena. */
  view(v: ValueId): View;
}

/** Scratch blocks start on cache lines. */
const SCRATCH_ALIGN_BYTES = 64;

/** The memory plan alone (no kernels, no weights): what `info` reports as the arena peak. */
export function planGraph(g: Graph, passes: readonly PassName[] = ALL_PASSES): MemoryPlan {
  return lowerAndPlan(g, passes).plan;
}

/** The op list after lowering and the passes (before scheduling). */
export function lowerWithPasses(g: Graph, passes: readonly PassName[]) {
  return runPasses(g, { ops: lowerGraph(g), aliases: new Map() }, passes);
}

/** Lowering, passes, op schedule (schedule.ts) and the memory plan that follows the schedule. */
function lowerAndPlan(g: Graph, passes: readonly PassName[]) {
  const lowered = lowerWithPasses(g, passes);
  const scheduled = scheduleOps(g, lowered.ops, lowered.aliases);
  return {
    ops: scheduled.ops,
    aliases: lowered.aliases,
    plan: planMemory(g, scheduled.ops, lowered.aliases, scheduled.groups),
  };
}

export function compileGraph(g: Graph, weights: WeightMap, k: Kernels, arena: Arena, options: CompileOptions): CompiledGraph {
  if (g.inputs.length !== 1) throw new GraphError(`a session runs graphs with one input, this one has ${g.inputs.length}`);
  const tuning = resolveTuning(options.tuning);
  const lowered = lowerAndPlan(g, options.passes ?? ALL_PASSES);
  const plan = lowered.plan;

  const weightStart = arena.mark();
  const useWinograd = options.winograd ?? true;
  const algorithms = lowered.ops.map((op) => (op.kind === 'conv' ? convAlgorithm(op, useWinograd, tuning) : undefined));
  const packed = lowered.ops.map((op, i) => packOpWeights(op, algorithms[i], weights, k, arena));
  const weightBytes = arena.mark() - weightStart;
  const { view, input, inputNchwOffset } = placeActivations(plan, g.inputs[0], arena);

  const context = { view, mr: options.gemmMr, threads: options.threads, tuning };
  const { program, stepOps } = assembleProgram(
    lowered.ops, (op, i) => opSteps(op, { packed: packed[i], algorithm: algorithms[i] }, context), k, arena, options,
  );
  return {
    program,
    stepOps,
    view,
    plan,
    ops: lowered.ops,
    input,
    inputNchwOffset,
    output: view(g.output),
    weightBytes,
  };
}

/**
 * The activations (the plan's peak) and the input's NCHW staging buffer, placed after the
 * weights; `view` turns the plan's offsets into arena offsets. A function of its own: `view`
 * outlives compilation, and a closure created in the compiling function's scope would keep
 * everything that scope's other closures use — the caller's f32 weight map — alive with it.
 */
export function placeActivations(plan: MemoryPlan, inputValue: ValueId, arena: Arena): { view: (v: ValueId) => View; input: View; inputNchwOffset: number } {
  const activations = arena.alloc(plan.peakBytes);
  const view = (v: ValueId): View => {
    const local = plan.view(v);
    return { ...local, offset: local.offset + activations };
  };
  const input = view(inputValue);
  const inputNchwOffset = arena.allocF32(input.batch * input.height * input.width * input.channels);
  return { view, input, inputNchwOffset };
}

/**
 * The program of a scheduled op list: each op's steps (`stepsOf`), the barrier groups
 * (markStepGroups), and each thread's scratch — im2col / Winograd buffers, then the GEMM's
 * A-pack area (f32_gemm's or i8_gemm's, whichever is larger).
 */
export function assembleProgram(
  ops: readonly Op[], stepsOf: (op: Op, index: number) => Step[], k: Kernels, arena: Arena, options: Pick<CompileOptions, 'threads' | 'gemmMr'>,
): { program: Program; stepOps: number[] } {
  const steps: Step[] = [];
  const stepOps: number[] = [];
  let scratchBytes = 0;
  let packBytes = 0;
  ops.forEach((op, i) => {
    for (const step of stepsOf(op, i)) {
      const { bufferBytes, gemm } = stepScratch(step);
      scratchBytes = Math.max(scratchBytes, bufferBytes);
      if (gemm) {
        packBytes = Math.max(packBytes, gemm.int8 ? k.i8_gemm_pack_bytes(gemm.rows, gemm.depth) : k.f32_gemm_pack_bytes(gemm.rows, gemm.depth));
      }
      steps.push(step);
      stepOps.push(i);
    }
  });
  markStepGroups(steps);
  const align = (bytes: number) => Math.ceil(bytes / SCRATCH_ALIGN_BYTES) * SCRATCH_ALIGN_BYTES;
  const gemmPackOffset = align(scratchBytes);
  const scratchPerThread = gemmPackOffset + align(packBytes);
  const scratchOffset = arena.alloc(scratchPerThread * options.threads);
  return {
    program: { steps, scratchOffset, scratchBytesPerThread: scratchPerThread, gemmPackOffset, gemmMr: options.gemmMr },
    stepOps,
  };
}
