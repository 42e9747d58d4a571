/**
 * int8 Winograd (2-D F(2×2, 3×3) and F(4×4, 3×3), 1-D F(2, 7) and F(4, 3)) in whole networks:
 * GoogLeNet at 96 px, Inception-v3 at 139 px (its 1×7 / 7×1 convs at 7×7) and a small graph with
 * every form, fused residuals and an f32 output (seeded weights, two seeded calibration inputs)
 * compiled with int8 Winograd on and off from the same calibration ranges must give
 *  - the same bytes at every conv that runs by Winograd: each `i8winograd` step's output, read
 *    right after the step, equals the output of the `i8conv` step of the same node in the program
 *    without Winograd (the planner reuses buffers, so a value is compared when it is written);
 *  - the same output bits (logits);
 * and sessions (`createSession({ precision: 'int8', winograd })`) at 1 and 2 threads must return
 * the same output bits with and without it. The on-program must really hold the Winograd steps
 * each case claims (and the off-program none), or the comparison proves nothing.
 */
import { everyWinogradForm as everyForm } from '../int8/small-graphs.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/bindings/arena.js';
import { runProgramInline } from '../../src/bindings/executor.js';
import { features } from '../../src/bindings/features.js';
import { asKernels, viewElementBytes, type Kernels, type Step, type View } from '../../src/bindings/program.js';
import { compileKernelModule, instantiateKernels } from '../../src/bindings/wasm-module.js';
import type { WeightMap } from '../../src/graph/compile.js';
import { pads } from '../../src/graph/geometry.js';
import { Graph } from '../../src/graph/graph.js';
import { calibrationRanges } from '../../src/graph/int8/calibrate.js';
import { compileInt8Graph, type CompiledInt8Graph } from '../../src/graph/int8/compile-int8.js';
import type { ValueRange } from '../../src/graph/int8/quant-params.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { ALL_PASSES } from '../../src/graph/passes.js';
import { stageInput } from '../../src/graph/program-io.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';

/** The bytes of a view's values, dense `[batch][H][W][C]` (f32: 4 bytes each). */
function viewBytes(arena: Arena, v: View): Uint8Array {
  const rowBytes = v.channels * viewElementBytes(v);
  const out = new Uint8Array(v.batch * v.height * v.width * rowBytes);
  for (let n = 0, at = 0; n < v.batch; n++) {
    for (let p = 0; p < v.height * v.width; p++, at += rowBytes) out.set(arena.u8(v.offset + n * v.imageStrideBytes + p * v.pixelStrideBytes, rowBytes), at);
  }
  return out;
}

interface Run {
  compiled: CompiledInt8Graph;
  /** Output bytes of each int8 conv step (i8winograd or i8conv), by step name, right after it ran. */
  convOutputs: Map<string, Uint8Array>;
  logits: Uint32Array;
}

async function compileAndRun(g: Graph, weights: WeightMap, ranges: ReadonlyMap<ValueId, ValueRange>, int8Winograd: boolean, input: Float32Array): Promise<Run> {
  await features();
  const arena = new Arena({ shared: false });
  const k: Kernels = asKernels(instantiateKernels(await compileKernelModule({ build: 'baseline', shared: false }), arena.memory));
  const compiled = compileInt8Graph(g, weights, k, arena, { passes: ALL_PASSES, threads: 1, gemmMr: k.f32_gemm_mr(), ranges, int8Winograd });
  const convOutputs = new Map<string, Uint8Array>();
  stageInput(k, arena, compiled, input, 'nchw');
  runProgramInline(k, compiled.program, {
    afterStep: (_, step) => {
      if (step.kind === 'i8winograd' || step.kind === 'i8winograd1d') convOutputs.set(step.name, viewBytes(arena, step.out));
      else if (step.kind === 'i8conv' && step.outputs.length === 1) convOutputs.set(step.name, viewBytes(arena, step.outputs[0].out));
    },
  });
  return { compiled, convOutputs, logits: new Uint32Array(viewBytes(arena, compiled.output).slice().buffer) };
}

const NETS = [
  { name: 'googlenet at 96 px', graph: () => buildNetwork('googlenet', { inputSize: 96 }), forms: ['F(2×2)', 'F(4×4)'], sessions: true, epilogues: false },
  { name: 'inception_v3 at 139 px', graph: () => buildNetwork('inception_v3', { inputSize: 139 }), forms: ['F(4×4)', 'F(2, 7)'], sessions: true, epilogues: false },
  { name: 'a graph of every form', graph: everyForm, forms: ['F(4×4)', 'F(2, 7)', 'F(4, 3)'], sessions: false, epilogues: true },
];

/** The Winograd form of a step, as the cases name them. */
function formOf(step: Step): string | undefined {
  if (step.kind === 'i8winograd') return `F(${step.tile}×${step.tile})`;
  if (step.kind === 'i8winograd1d') return step.r === 7 ? 'F(2, 7)' : 'F(4, 3)';
  return undefined;
}

describe.each(NETS)('int8 Winograd on/off: $name', ({ graph, forms, sessions, epilogues }) => {
  const g = graph();
  const weights = seededWeights(g.weights);
  const [, h, w, c] = g.shape(g.inputs[0]);
  const calibration = [1000, 1001].map((seed) => seededInputNCHW(1, c, h, w, seed));
  const input = seededInputNCHW(1, c, h, w, 42);
  let on: Run;
  let off: Run;

  beforeAll(async () => {
    await features();
    const module = await compileKernelModule({ build: 'baseline', shared: false });
    const ranges = calibrationRanges(g, weights, calibration, 'nchw', { module, shared: false, passes: ALL_PASSES });
    on = await compileAndRun(g, weights, ranges, true, input);
    off = await compileAndRun(g, weights, ranges, false, input);
  }, 120_000);

  it('every Winograd conv writes the same bytes as its im2col + i8_gemm step, and the outputs are the same bits', () => {
    const winograd = on.compiled.program.steps.filter((s) => formOf(s) !== undefined);
    for (const form of forms) expect(winograd.some((s) => formOf(s) === form), `${form} steps in the on-program`).toBe(true);
    expect(off.compiled.program.steps.some((s) => formOf(s) !== undefined), 'Winograd steps in the off-program').toBe(false);
    if (epilogues) {
      // Both step kinds with a fused residual, and an f32 output.
      for (const kind of ['i8winograd', 'i8winograd1d']) {
        expect(winograd.some((s) => s.kind === kind && 'residual' in s && s.residual !== undefined), `${kind} with a residual`).toBe(true);
      }
      expect(winograd.some((s) => 'f32' in s && s.f32), 'a Winograd step with f32 output').toBe(true);
    }
    expect(on.compiled.program.steps.length).toBe(off.compiled.program.steps.length);
    for (const step of winograd) {
      const got = on.convOutputs.get(step.name)!;
      const want = off.convOutputs.get(step.name);
      expect(want, `'${step.name}' is an i8conv step without Winograd`).toBeDefined();
      const differing = got.reduce((n, b, i) => n + (b !== want![i] ? 1 : 0), 0);
      expect(differing, `'${step.name}': bytes that differ of ${got.length}`).toBe(0);
    }
    expect(on.logits.length).toBeGreaterThan(0);
    expect(on.logits.every((bits, i) => bits === off.logits[i]), 'output bits').toBe(true);
  });

  it.runIf(sessions)('sessions at 1 and 2 threads, Winograd on and off, return the same logits bits', async () => {
    const bits: Uint32Array[] = [];
    for (const threads of [1, 2]) {
      for (const winograd of [true, false]) {
        const s = await createSession({ graph: g, weights, threads, precision: 'int8', calibration: { inputs: calibration }, winograd });
        try {
          const y = (await s.run(input)).logits;
          bits.push(new Uint32Array(y.buffer, y.byteOffset, y.length).slice());
        } finally {
          await s.dispose();
        }
      }
    }
    for (let i = 1; i < bits.length; i++) expect(bits[i].every((b, j) => b === bits[0][j]), `session ${i} vs session 0`).toBe(true);
  }, 120_000);
});
