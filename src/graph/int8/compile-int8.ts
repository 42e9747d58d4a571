/**
 * Compiling a graph to an int8 program: lower → passes (as for f32) → int8 lowering
 * (lower-int8.ts: each op's form, buffer element types, conversions, quantisation from the
 * calibration ranges) → schedule and memory plan over the int8 values (u8 buffers one byte per
 * element) → pack weights (int8 panels for u8 convs, f32 for the rest) → steps (each op's int8
 * step builder from INT8_FORMS, or its f32 one) → program. The result has the same shape as an
 * f32 CompiledGraph: `run()` stages f32 input and reads f32 output either way.
 */

import type { Arena } from '../../bindings/arena.js';
import { relaxedDotI8Probe } from '../../bindings/features.js';
import type { Kernels, View } from '../../bindings/program.js';
import { INT8_FORMS, opSteps } from '../../ops/index.js';
import type { Int8StepBuilder } from '../../ops/op-def.js';
import { convAlgorithm, type ConvAlgorithm } from '../algorithm.js';
import { assembleProgram, lowerWithPasses, placeActivations, type CompiledGraph, type CompileOptions } from '../compile.js';
import type { Graph } from '../graph.js';
import { GraphError, type ValueId } from '../nodes.js';
import type { Op } from '../ops.js';
import { packOpWeights, type PackedWeights, type WeightMap } from '../pack-weights.js';
import { ALL_PASSES } from '../passes.js';
import { planMemory, type MemoryPlan } from '../planner.js';
import { scheduleOps } from '../schedule.js';
import { resolveTuning, type I8WinogradThresholds, type Tuning } from '../tuning.js';
import { lowerInt8 } from './lower-int8.js';
import { packInt8Conv, type Int8Layer } from './pack-int8.js';
import type { ValueRange } from './quant-params.js';
import type { Int8StepContext } from './steps-int8.js';
import type { Int8Values } from './values.js';

export interface Int8CompileOptions extends CompileOptions {
  /** Calibrated range of every value (calibrate.ts), for the same graph and passes. */
  ranges: ReadonlyMap<ValueId, ValueRange>;
  /** A quantized model file's per-channel weight scales, by weight name (pack-int8.ts). */
  weightScales?: ReadonlyMap<string, Float32Array>;
  /**
   * Run stride-1 3×3, 1×7/7×1 and 1×3/3×1 u8 convs by int8 Winograd where steps-int8.ts
   * (`i8WinogradTileFor`, `i8Winograd1dFor`) picks a form (thresholds given here override its
   * tiles per image, for benches); default `winograd` (true). The output bytes are the same either way.
   */
  int8Winograd?: boolean | I8WinogradThresholds;
  /**
   * `i8conv` steps on the relaxed-dot kernels (`int8DotAvailable`). 'auto' (default): where the kernel
   * module has them (a relaxed build) and this runtime computes the instruction right
   * (`relaxedDotI8Probe`); false: never. true: wherever the module has them, without asking the
   * runtime — for compiling in a runtime that cannot run them (tests of the rule); running such a
   * program there gives wrong bytes. The output bytes are the same on either kernel.
   */
  int8Dot?: 'auto' | boolean;
}

export interface CompiledInt8Graph extends CompiledGraph {
  int8: {
    values: Int8Values;
    /** Every quantized conv/FC layer (one per part of each u8 conv op). */
    layers: Int8Layer[];
    /** The ops that run on u8 values. */
    u8Ops: ReadonlySet<Op>;
  };
}

/** true: the tuning's thresholds per direct kernel; given thresholds serve both (benches). */
function int8WinogradOption(o: boolean | I8WinogradThresholds, tuning: Tuning): Int8StepContext['winograd'] {
  if (o === false) return false;
  return o === true ? { i16: tuning.int8Winograd, dot: tuning.int8WinogradDot } : { i16: o, dot: o };
}

/**
 * Whether `i8conv` steps may run the relaxed-dot kernels (i8_gemm_dot*, assembly/i8-gemm-dot.ts):
 * the module exports them (only the relaxed builds do) and, for 'auto', this runtime gives the
 * known answer of the `relaxedDotI8` probe (Node 20's V8 does not: there it is i8_gemm always).
 */
export function int8DotAvailable(k: Kernels, option: 'auto' | boolean = 'auto'): boolean {
  if (option === false || typeof k.i8_gemm_dot !== 'function' || typeof k.i8_gemm_dot_f32 !== 'function') return false;
  if (option === true) return true;
  const { got, want } = relaxedDotI8Probe();
  return got === want;
}

/**
 * Packs every op's weights: int8 panels for u8 convs, f32 for the rest. `dotConvs`: the u8 convs
 * whose packed weights allow the relaxed-dot GEMM (no −128), when `dot` says it is available.
 */
function packInt8Program(
  ops: readonly Op[], u8Ops: ReadonlySet<Op>, values: Int8Values, plan: MemoryPlan, weights: WeightMap, k: Kernels, arena: Arena,
  useWinograd: boolean, tuning: Tuning, fileWeightScales: ReadonlyMap<string, Float32Array> | undefined, dot: boolean,
): { packed: PackedWeights[]; algorithms: Array<ConvAlgorithm | undefined>; layers: Int8Layer[]; dotConvs: Set<Op> } {
  const layers: Int8Layer[] = [];
  const algorithms: Array<ConvAlgorithm | undefined> = [];
  const dotConvs = new Set<Op>();
  const packed = ops.map((op, i) => {
    if (u8Ops.has(op) && op.kind === 'conv') {
      const r = packInt8Conv(op, weights, k, arena, (v) => values.quant(v), (v) => plan.view(v).elementBytes !== 1, fileWeightScales);
      layers.push(...r.layers);
      if (dot && r.dotSafe) dotConvs.add(op);
      return r.packed;
    }
    algorithms[i] = op.kind === 'conv' ? convAlgorithm(op, useWinograd, tuning) : undefined;
    return packOpWeights(op, algorithms[i], weights, k, arena);
  });
  return { packed, algorithms, layers, dotConvs };
}

export function compileInt8Graph(g: Graph, weights: WeightMap, k: Kernels, arena: Arena, options: Int8CompileOptions): CompiledInt8Graph {
  if (g.inputs.length !== 1) throw new GraphError(`a session runs graphs with one input, this one has ${g.inputs.length}`);
  const tuning = resolveTuning(options.tuning);
  const lowered = lowerInt8(g, lowerWithPasses(g, options.passes ?? ALL_PASSES), options.ranges);
  const { values, u8Ops } = lowered;
  const scheduled = scheduleOps(values, lowered.ops, lowered.aliases);
  const ops = scheduled.ops;
  const plan = planMemory(values, ops, lowered.aliases, scheduled.groups);

  const weightStart = arena.mark();
  const useWinograd = options.winograd ?? true;
  const { packed, algorithms, layers, dotConvs } = packInt8Program(
    ops, u8Ops, values, plan, weights, k, arena, useWinograd, tuning, options.weightScales, int8DotAvailable(k, options.int8Dot),
  );
  const weightBytes = arena.mark() - weightStart;

  const { view, input, inputNchwOffset } = placeActivations(plan, g.inputs[0], arena);
  const context: Int8StepContext = {
    view, mr: options.gemmMr, threads: options.threads, tuning, int8Mr: k.i8_gemm_mr(), winograd: int8WinogradOption(options.int8Winograd ?? useWinograd, tuning), dotConvs,
    // A value's element type is its buffer's, which its view carries.
    dtype: (v) => (plan.view(v).elementBytes === 1 ? 'u8' : 'f32'), quant: (v) => values.quant(v),
  };
  const { program, stepOps } = assembleProgram(ops, (op, i) => {
    const inputs = { packed: packed[i], algorithm: algorithms[i] };
    if (!u8Ops.has(op)) return opSteps(op, inputs, context);
    const form = INT8_FORMS[op.kind];
    if (typeof form === 'string') throw new GraphError(`int8: op '${op.name}' (${op.kind}) has no u8 form`);
    return (form.steps as Int8StepBuilder<typeof op.kind>)(op as never, inputs, context);
  }, k, arena, options);

  return {
    program, stepOps, view, plan, ops, input, inputNchwOffset, output: view(lowered.output), weightBytes,
    int8: { values, layers, u8Ops },
  };
}
