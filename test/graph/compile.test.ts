/**
 * The engine path (lower → passes → plan → pack → kernel steps) against the whole-graph reference,
 * on small graphs that use every node kind in the ways the networks do: asymmetric and SAME pads,
 * stride 2, ceil mode, both count_include_pad settings, depthwise with a multiplier, concat of
 * branches, a scaled residual, LRN, FC, softmax, batch 2, odd channel counts.
 *
 * Tolerance: each conv/FC output is an f32 sum of up to K products; the engine folds BN into the
 * weights (one extra rounding per weight) and sums in a different order than the reference, so
 * errors are ~K·2⁻²⁴ relative to Σ|x·w| per layer and compound mildly over the ~10 layers here:
 * 2e-5 relative to the output's scale (max |value|) is ~50× the observed error and far below any
 * real bug (a wrong pad or channel moves values by ~1e-1 of scale).
 */
import { describe, expect, it } from 'vitest';
import { Arena } from '../../src/bindings/arena.js';
import { runTask } from '../../src/bindings/interpreter.js';
import { asKernels, type Step } from '../../src/bindings/program.js';
import { compileKernelModule, instantiateKernels, type KernelBuild } from '../../src/bindings/wasm-module.js';
import { compileGraph } from '../../src/graph/compile.js';
import { outputImage, stageInput } from '../../src/graph/program-io.js';
import { panelsPerTaskFor } from '../../src/graph/task-split.js';
import { runProgramInline } from '../../src/bindings/executor.js';
import type { Graph } from '../../src/graph/graph.js';
import { miniNetwork } from './mini.js';
import { buildNetwork } from '../../src/inception/models.js';
import { ALL_PASSES, type PassName } from '../../src/graph/passes.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { features } from '../../src/bindings/features.js';
import { BUILDS, GUARD_BITS, randomArray } from '../helpers/kernel-env.js';
import { referenceGraph } from '../reference/graph.js';

async function engineRun(g: Graph, build: KernelBuild, input: Float32Array, passes: readonly PassName[]) {
  await features();
  const arena = new Arena({ shared: false });
  const k = asKernels(instantiateKernels(await compileKernelModule({ build, shared: false }), arena.memory));
  const c = compileGraph(g, seededWeights(g.weights, 7), k, arena, { passes, threads: 1, gemmMr: k.f32_gemm_mr() });
  stageInput(k, arena, c, input, 'nchw');
  runProgramInline(k, c.program);
  const o = c.output;
  const classes = o.height * o.width * o.channels;
  const out = new Float32Array(o.batch * classes);
  for (let n = 0; n < o.batch; n++) out.set(outputImage(arena, c, n), n * classes);
  return { out, compiled: c };
}

function nchwToNhwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
  return y;
}

const passSets: [string, readonly PassName[]][] = [
  ['all passes', ALL_PASSES],
  ['no passes', []],
  ...ALL_PASSES.map((p): [string, readonly PassName[]] => [`only ${p}`, [p]]),
];

describe('compiled graph vs reference (mini network: dwconv, 1x7/7x1, asymmetric pads, LRN, ceil pools, concat, residual, FC, softmax)', () => {
  for (const build of BUILDS) {
    for (const [label, passes] of passSets) {
      it(`${build}, ${label}, batch 2, 23x19 input`, async () => {
        const [n, h, w] = [2, 23, 19];
        const g = miniNetwork(n, h, w);
        // Logits before softmax are what we compare; check the softmax'd output too.
        const input = randomArray(n * 3 * h * w, 11);
        const ref = referenceGraph(g, seededWeights(g.weights, 7), nchwToNhwc(input, n, 3, h, w)).get(g.output)!;
        const { out } = await engineRun(g, build, input, passes);
        let scale = 0;
        for (const v of ref) scale = Math.max(scale, Math.abs(v));
        let worst = 0;
        for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(out[i] - ref[i]));
        expect(worst / scale, `max |engine − reference| / max |reference| (scale ${scale})`).toBeLessThan(2e-5);
      });
    }
  }

  it('the planner reuses memory: peak below the sum of activations', async () => {
    const g = miniNetwork(2, 23, 19);
    const { compiled } = await engineRun(g, 'baseline', randomArray(2 * 3 * 23 * 19, 1), ALL_PASSES);
    expect(compiled.plan.peakBytes).toBeLessThan(compiled.plan.totalBytes);
  });

  it('passes remove the fused ops (BN, ReLU, add, concat) and merge sibling 1x1 convs', async () => {
    const g = miniNetwork(1, 23, 19);
    const { compiled } = await engineRun(g, 'baseline', randomArray(3 * 23 * 19, 1), ALL_PASSES);
    const kinds = compiled.ops.map((o) => o.kind);
    expect(kinds).not.toContain('batchNorm');
    expect(kinds).not.toContain('add');
    expect(kinds).not.toContain('concat');
    expect(kinds.filter((k) => k === 'clamp')).toEqual([]);
    const merged = compiled.ops.find((o) => o.kind === 'conv' && o.parts.length === 3);
    expect(merged, 'mixed.b1 + b2a + b3a merged into one GEMM').toBeDefined();
    const residual = compiled.ops.find((o) => o.kind === 'conv' && o.parts.some((p) => p.residual));
    expect(residual?.name).toBe('res.up');
  });
});

describe('task split by thread count', () => {
  // Panel groups let threads share a step with few row blocks, but each group redoes its block's
  // input transform, im2col copy or A pack; panelsPerTaskFor splits only where its time model
  // says the balance is worth that.
  const groupsOf = (panels: readonly number[], perTask: number) => panels.reduce((n, p) => n + Math.ceil(p / perTask), 0);

  it('panelsPerTaskFor: no split on one thread or where threads divide the row blocks; splits one row block over two threads', () => {
    for (const fixed of [0, 0.5, 4]) {
      for (const panels of [[40], [8, 12, 2], [1], [125]]) {
        const most = Math.max(...panels);
        expect(panelsPerTaskFor(1, panels, 1, fixed, 1)).toBe(most);
        expect(panelsPerTaskFor(3, panels, 1, fixed, 4)).toBe(most);
        for (const [rowTasks, threads] of [[2, 2], [6, 2], [22, 2], [3, 3], [12, 3]]) {
          expect(panelsPerTaskFor(rowTasks, panels, threads, fixed, 1), `${rowTasks} blocks ${threads} threads ${panels}`).toBe(most);
        }
      }
      // One block of 40 panels on two threads: two groups of 20 (both threads busy, one redone transform).
      expect(panelsPerTaskFor(1, [40], 2, fixed, 4)).toBe(20);
      expect(panelsPerTaskFor(1, [40], 3, fixed, 4)).toBe(14);
    }
    // Never below minPanels: 6 panels, one block, 4 threads, at least 4 panels per group.
    expect(panelsPerTaskFor(1, [6], 4, 0, 4)).toBe(6);
    expect(panelsPerTaskFor(1, [8], 4, 0, 4)).toBe(4);
  });

  it('panelsPerTaskFor: more redone work per group never gives more groups; 5 blocks on two threads split only while it is cheap', () => {
    for (const [rowTasks, threads, panels] of [[1, 2, [40]], [5, 2, [24]], [3, 2, [12, 4]], [7, 3, [63]]] as const) {
      let previous = Infinity;
      for (const fixed of [0, 0.25, 0.5, 1, 2, 4, 8, 16, 64]) {
        const groups = groupsOf(panels, panelsPerTaskFor(rowTasks, panels, threads, fixed, 1));
        expect(groups, `${rowTasks} blocks ${panels} fixed ${fixed}`).toBeLessThanOrEqual(previous);
        previous = groups;
      }
    }
    // 5 blocks of 24 panels on 2 threads: no split costs 3 · (f + 24); two groups 5 · (f + 12).
    expect(panelsPerTaskFor(5, [24], 2, 1, 4)).toBe(12);
    expect(panelsPerTaskFor(5, [24], 2, 12, 4)).toBe(24);
  });

  it('compiled programs: one thread never splits panels; two threads split only steps with an odd number of row blocks', async () => {
    await features();
    const g = buildNetwork('inception_resnet_v2', { inputSize: 139 });
    const weights = seededWeights(g.weights, 7);
    const panelsOf = (s: Step) => (s.kind === 'conv' || s.kind === 'i8conv' ? s.outputs.map((o) => o.panelEnd - o.panelStart) : [Math.ceil(s.out.channels / 8)]);
    const compiledModule = await compileKernelModule({ build: 'baseline', shared: false });
    const splits = (threads: number) => {
      const arena = new Arena({ shared: false });
      const k = asKernels(instantiateKernels(compiledModule, arena.memory));
      const c = compileGraph(g, weights, k, arena, { passes: ALL_PASSES, threads, gemmMr: k.f32_gemm_mr() });
      return c.program.steps
        .filter((s) => s.kind === 'winograd' || s.kind === 'winograd1d' || s.kind === 'conv')
        .map((s) => {
          const panels = panelsOf(s);
          const perTask = (s as { panelsPerTask: number }).panelsPerTask;
          const groups = groupsOf(panels, perTask);
          return { name: s.name, split: perTask < Math.max(...panels), rowBlocks: s.tasks / groups, tasks: s.tasks };
        });
    };
    const one = splits(1);
    const two = splits(2);
    expect(one.length).toBeGreaterThan(100);
    expect(one.filter((s) => s.split)).toEqual([]);
    const twoSplit = two.filter((s) => s.split);
    expect(twoSplit.length).toBeGreaterThan(0);
    for (const s of twoSplit) expect(s.rowBlocks % 2, `${s.name}: ${s.rowBlocks} row blocks`).toBe(1);
    // Every step with a single row block has two tasks or more on two threads (a second thread would idle).
    const single = two.filter((t) => t.rowBlocks === 1);
    expect(single.length).toBeGreaterThan(0);
    for (const s of single) expect(s.tasks, s.name).toBeGreaterThanOrEqual(2);
  });
});

describe('per-thread scratch', () => {
  // im2col blocks, Winograd V and M, and f32_gemm's A-pack area are sized at compile time from
  // what a task will use; an undersized block lets one thread write into the next one's scratch
  // (or, for the last thread, past the scratch). Every task here runs as the last thread, with a
  // guard block allocated right after the scratch.
  for (const [model, inputSize] of [['googlenet', 224], ['inception_resnet_v2', 139], ['inception_v4', 107]] as const) {
    it(`${model} at ${inputSize}: every task stays inside its thread's scratch`, async () => {
      await features();
      const g = buildNetwork(model, { inputSize });
      const arena = new Arena({ shared: false });
      const k = asKernels(instantiateKernels(await compileKernelModule({ build: 'relaxed', shared: false }), arena.memory));
      const threads = 2;
      const c = compileGraph(g, seededWeights(g.weights, 7), k, arena, { passes: ALL_PASSES, threads, gemmMr: k.f32_gemm_mr() });
      const p = c.program;
      const scratchEnd = p.scratchOffset + threads * p.scratchBytesPerThread;
      const guard = arena.alloc(4096);
      expect(guard - scratchEnd).toBeLessThanOrEqual(64);
      const guardWords = new Uint32Array(arena.memory.buffer, scratchEnd, (guard + 4096 - scratchEnd) / 4);
      guardWords.fill(GUARD_BITS);
      expect(p.steps.some((s) => s.kind === 'conv' && !s.direct)).toBe(true);
      for (const step of p.steps) for (let t = 0; t < step.tasks; t++) runTask(k, p, step, t, threads - 1);
      const broken = new Uint32Array(arena.memory.buffer, scratchEnd, guardWords.length).findIndex((w) => w !== GUARD_BITS);
      expect(broken, 'first guard word written past the last thread\'s scratch').toBe(-1);
    });
  }
});
