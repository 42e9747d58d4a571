/**
 * CompileOptions.tuning: every threshold of the compiler can be overridden for an experiment, the
 * override reaches the steps it governs, and thresholds that only split the work (row blocks,
 * pixel ranges, channel ranges) never change a result: tasks are split over outputs, never over a
 * reduction.
 */
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/bindings/arena.js';
import { features } from '../../src/bindings/features.js';
import { asKernels, type PoolStep, type Step } from '../../src/bindings/program.js';
import { compileKernelModule, instantiateKernels } from '../../src/bindings/wasm-module.js';
import { compileGraph, type CompileOptions } from '../../src/graph/compile.js';
import { outputImage, stageInput } from '../../src/graph/program-io.js';
import { runProgramInline } from '../../src/bindings/executor.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';

const graph = buildNetwork('googlenet', { inputSize: 64, batch: 2 });
const weights = seededWeights(graph.weights, 7);

/** Compiles googlenet 64×64 (batch 2) on one thread with `tuning`, runs it, returns the steps and logits. */
async function compileAndRun(tuning: CompileOptions['tuning']): Promise<{ steps: Step[]; logits: Float32Array }> {
  await features();
  const arena = new Arena({ shared: false });
  const k = asKernels(instantiateKernels(await compileKernelModule({ build: 'baseline', shared: false }), arena.memory));
  const c = compileGraph(graph, weights, k, arena, { threads: 2, gemmMr: k.f32_gemm_mr(), tuning });
  const x = c.input;
  stageInput(k, arena, c, seededInputNCHW(x.batch, x.channels, x.height, x.width), 'nchw');
  runProgramInline(k, c.program);
  const o = c.output;
  const classes = o.height * o.width * o.channels;
  const logits = new Float32Array(o.batch * classes);
  for (let n = 0; n < o.batch; n++) logits.set(outputImage(arena, c, n), n * classes);
  return { steps: c.program.steps, logits };
}

describe('CompileOptions.tuning', () => {
  it('a split threshold reaches its steps: rowBlocksPerImage sets the pools\' row blocks', async () => {
    const { steps } = await compileAndRun({ rowBlocksPerImage: 2 });
    const pools = steps.filter((s): s is PoolStep => s.kind === 'maxPool' || s.kind === 'avgPool');
    expect(pools.length).toBeGreaterThan(0);
    for (const s of pools) {
      expect(s.rowsPerTask, s.name).toBe(Math.ceil(s.out.height / 2));
      expect(s.tasks, s.name).toBe(s.out.batch * Math.ceil(s.out.height / s.rowsPerTask));
    }
  });

  it('an algorithm threshold reaches the choice: winogradMinChannels = ∞ leaves no Winograd step', async () => {
    const defaults = await compileAndRun(undefined);
    expect(defaults.steps.some((s) => s.kind === 'winograd')).toBe(true);
    const { steps } = await compileAndRun({ winogradMinChannels: Infinity });
    expect(steps.filter((s) => s.kind === 'winograd' || s.kind === 'winograd1d').map((s) => s.name)).toEqual([]);
  });

  it('split-only thresholds change the task lists but not one bit of the logits', async () => {
    const base = await compileAndRun(undefined);
    const split = await compileAndRun({
      rowBlocksPerImage: 3, pixelBlocksPerImage: 3, minPixelsPerTask: 16, channelsPerGlobalPoolTask: 40,
      directMaxRowBlocks: 5, scratchTargetBytes: 96 * 1024, winogradBlocksPerImage: 3,
      redoneCost: { winogradInput: 0, im2col: 0, pack: 0 },
    });
    const tasks = (r: { steps: Step[] }) => r.steps.map((s) => s.tasks);
    expect(tasks(split)).not.toEqual(tasks(base));
    expect(split.steps.map((s) => s.kind)).toEqual(base.steps.map((s) => s.kind));
    expect(Buffer.from(split.logits.buffer).equals(Buffer.from(base.logits.buffer))).toBe(true);
  });
});
