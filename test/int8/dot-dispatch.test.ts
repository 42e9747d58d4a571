/**
 * Which `i8conv` steps run the relaxed-dot kernels (assembly/i8-gemm-dot.ts), decided at compile
 * time (compile-int8.ts `int8DotAvailable`, pack-int8.ts `panelsDotSafe`), checked here in Node
 * without running the instruction (Node 20's V8 computes it wrong; the kernels themselves are
 * tested in Chromium, test/browser/int8-dot*.test.ts):
 *  - 'auto' follows the runtime's known-answer probe: false in Node 20, so every step is i8_gemm;
 *  - a module without the kernels (a baseline build) never gets them, even when forced;
 *  - forced on the relaxed module: every i8conv step but one whose packed weights hold a −128
 *    (planted at the packing kernel's input), which stays on i8_gemm;
 *  - the −128 scan reads the weights only (head bytes of 0x80 are bias/scale bits, not weights);
 *  - a program compiled for the dot kernels refuses to run on a module that lacks them;
 *  - int8 Winograd on dot convs follows tuning.ts `int8WinogradDot` (no 1-D form, F(2×2) only at
 *    ≤ ½ of the direct multiplies), on i8_gemm convs `int8Winograd`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Arena } from '../../src/bindings/arena.js';
import { runProgramInline } from '../../src/bindings/executor.js';
import { features, relaxedDotI8Probe } from '../../src/bindings/features.js';
import { packedI8GemmBytes } from '../../src/bindings/kernels/int8.js';
import { asKernels, type I8ConvStep, type Kernels } from '../../src/bindings/program.js';
import { instantiateKernels, type KernelBuild } from '../../src/bindings/wasm-module.js';
import { compileInt8Graph, int8DotAvailable, type CompiledInt8Graph } from '../../src/graph/int8/compile-int8.js';
import { panelsDotSafe } from '../../src/graph/int8/pack-int8.js';
import type { ValueRange } from '../../src/graph/int8/quant-params.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { ALL_PASSES } from '../../src/graph/passes.js';
import { DEFAULT_TUNING } from '../../src/graph/tuning.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { packI8PanelsRef } from '../reference/int8.js';
import { kernelModule, rangesFor } from './program-oracle.js';
import { concatGraph } from './small-graphs.js';

const { g } = concatGraph();
const weights = seededWeights(g.weights, 11);
let ranges: Map<ValueId, ValueRange>;

/** The `head` conv (3×3, 21 → 12 channels): the one conv the −128 is planted in. */
const HEAD = { out: 12, in: 21, kh: 3, kw: 3 };

interface Compiled {
  k: Kernels;
  arena: Arena;
  compiled: CompiledInt8Graph;
  i8conv: I8ConvStep[];
}

/** Compiles the graph on `build`'s module; `plant` puts a −128 into the head conv's weights as the packing kernel reads them. */
async function compile(build: KernelBuild, int8Dot: 'auto' | boolean | undefined, plant = false): Promise<Compiled> {
  const arena = new Arena({ shared: false });
  const k = asKernels(instantiateKernels(await kernelModule(build), arena.memory));
  const packing: Kernels = {
    ...k,
    i8_pack_gemm_weights(src, out, inChannels, kh, kw, bias, scale, dst) {
      if (plant && out === HEAD.out && inChannels === HEAD.in && kh === HEAD.kh && kw === HEAD.kw) arena.u8(src + 5, 1)[0] = 0x80;
      k.i8_pack_gemm_weights(src, out, inChannels, kh, kw, bias, scale, dst);
    },
  };
  const compiled = compileInt8Graph(g, weights, packing, arena, {
    passes: ALL_PASSES, threads: 1, gemmMr: k.f32_gemm_mr(), ranges, int8Winograd: false, ...(int8Dot === undefined ? {} : { int8Dot }),
  });
  const i8conv = compiled.program.steps.filter((s): s is I8ConvStep => s.kind === 'i8conv');
  return { k, arena, compiled, i8conv };
}

describe('int8: which convs run the relaxed-dot kernels (decided at compile time)', () => {
  beforeAll(async () => {
    await features();
    ranges = await rangesFor(g, weights, [1, 2].map((seed) => seededInputNCHW(1, 3, 12, 12, seed)));
  });

  it("'auto' follows the runtime's relaxed-dot probe (Node 20: wrong answer, so i8_gemm everywhere)", async () => {
    const probe = relaxedDotI8Probe();
    const right = probe.got === probe.want;
    expect((await features()).relaxedDotI8).toBe(right);
    for (const option of [undefined, 'auto'] as const) {
      const { k, i8conv } = await compile('relaxed', option);
      expect(typeof k.i8_gemm_dot, 'the relaxed module exports the kernels').toBe('function');
      expect(int8DotAvailable(k)).toBe(right);
      expect(i8conv.length).toBeGreaterThan(3);
      expect(i8conv.map((s) => s.dot), `steps with int8Dot ${option}`).toEqual(i8conv.map(() => right));
    }
    if (process.versions.node.startsWith('20.')) expect(right, "Node 20's V8 answers the probe wrongly").toBe(false);
  });

  it('a baseline module has no dot kernels: i8_gemm even when forced', async () => {
    const { k, i8conv } = await compile('baseline', true);
    expect(k.i8_gemm_dot).toBeUndefined();
    expect(k.i8_gemm_dot_f32).toBeUndefined();
    expect(i8conv.every((s) => !s.dot)).toBe(true);
  });

  it('forced on the relaxed module: every i8conv step runs the dot kernels; int8Dot false: none', async () => {
    const on = await compile('relaxed', true);
    expect(on.i8conv.length).toBeGreaterThan(3);
    expect(on.i8conv.filter((s) => !s.dot).map((s) => s.name)).toEqual([]);
    // The f32-output FC is among them (i8_gemm_dot_f32).
    expect(on.i8conv.some((s) => s.outputs.some((o) => o.f32) && s.dot)).toBe(true);
    const off = await compile('relaxed', false);
    expect(off.i8conv.filter((s) => s.dot).map((s) => s.name)).toEqual([]);
  });

  it('a conv whose packed weights hold a −128 stays on i8_gemm; the others run the dot kernels', async () => {
    const { i8conv, compiled, arena } = await compile('relaxed', true, true);
    const head = compiled.int8.layers.find((l) => l.name === 'head.conv')!;
    expect(head, 'the head conv is quantized').toBeDefined();
    // The −128 reached the packed panel (a quantizer never writes one: this stands for one that does).
    expect(panelsDotSafe(arena.u8(head.panels, packedI8GemmBytes(head.outChannels, head.depth)), head.outChannels, head.depth)).toBe(false);
    const onI16 = i8conv.filter((s) => !s.dot).map((s) => s.name);
    expect(onI16).toEqual(['head.conv']);
    expect(i8conv.filter((s) => s.dot).length).toBe(i8conv.length - 1);
  });

  it('the −128 scan reads weights only: 0x80 bytes in a head are fine, a −128 anywhere among the weights is not', () => {
    for (const [k, n] of [[1, 1], [9, 7], [18, 17], [65, 24]]) {
      // Bias −128 and colSum/scale bit patterns full of 0x80 bytes; weights in [−127, 127].
      const w = Int8Array.from({ length: k * n }, (_, i) => ((i * 37) % 255) - 127);
      const bias = Int32Array.from({ length: n }, (_, j) => (j % 2 ? -128 : 0x80808080 | 0));
      const scale = Float32Array.from({ length: n }, () => -1.0039215087890625);
      expect(panelsDotSafe(packI8PanelsRef(w, bias, scale, k, n), n, k), `k=${k} n=${n} weights in range`).toBe(true);
      for (const at of [0, k * n - 1, Math.floor((k * n) / 2)]) {
        const bad = w.slice();
        bad[at] = -128;
        expect(panelsDotSafe(packI8PanelsRef(bad, bias, scale, k, n), n, k), `k=${k} n=${n} −128 at ${at}`).toBe(false);
      }
    }
  });

  it('a program compiled for the dot kernels refuses to run on a module without them', async () => {
    const { compiled, arena } = await compile('relaxed', true);
    const baseline = asKernels(instantiateKernels(await kernelModule('baseline'), arena.memory));
    const first = compiled.program.steps.find((s) => s.kind === 'i8conv')!;
    expect(() => runProgramInline(baseline, compiled.program)).toThrow(`int8 conv '${first.name}': compiled for the relaxed-dot kernels, which this kernel module lacks`);
  });

  it('int8 Winograd per direct kernel: dot convs take int8WinogradDot (no 1-D form, F(2×2) at ≤ ½ the multiplies), i8_gemm convs int8Winograd', async () => {
    const programSteps = async (model: string, size: number, int8Dot: boolean) => {
      const net = buildNetwork(model, { inputSize: size });
      const w = seededWeights(net.weights, 5);
      const r = await rangesFor(net, w, [seededInputNCHW(1, 3, size, size, 1)]);
      const arena = new Arena({ shared: false });
      const k = asKernels(instantiateKernels(await kernelModule('relaxed'), arena.memory));
      return compileInt8Graph(net, w, k, arena, { passes: ALL_PASSES, threads: 1, gemmMr: k.f32_gemm_mr(), ranges: r, int8Dot }).program.steps;
    };
    // v3 has the 1×7 / 7×1 convs; googlenet at 224 the 3×3 convs on 7×7 maps (F(2×2): 16·16 of 9·49 multiplies, 0.58).
    const [v3Dot, v3I16] = [await programSteps('inception_v3', 107, true), await programSteps('inception_v3', 107, false)];
    expect(v3I16.filter((s) => s.kind === 'i8winograd1d').length, 'i16: 1-D Winograd on the 1×7 / 7×1 convs').toBeGreaterThan(0);
    expect(v3Dot.filter((s) => s.kind === 'i8winograd1d').map((s) => s.name), 'dot: no 1-D Winograd').toEqual([]);
    const [dot, i16] = [await programSteps('googlenet', 224, true), await programSteps('googlenet', 224, false)];
    const share = (s: (typeof dot)[number]) => {
      if (s.kind !== 'i8winograd' || s.tile !== 2) return 0;
      return (s.tilesH * s.tilesW * 16) / (9 * s.outH * s.outW);
    };
    const f2 = (steps: typeof dot) => steps.filter((s) => s.kind === 'i8winograd' && s.tile === 2);
    for (const s of f2(dot)) expect(share(s), `${s.name}: F(2×2) share on the dot path`).toBeLessThanOrEqual(DEFAULT_TUNING.int8WinogradDot.f2MaxShare);
    for (const s of f2(i16)) expect(share(s), `${s.name}: F(2×2) share on i8_gemm`).toBeLessThanOrEqual(DEFAULT_TUNING.int8Winograd.f2MaxShare);
    const between = f2(i16).filter((s) => share(s) > DEFAULT_TUNING.int8WinogradDot.f2MaxShare).map((s) => s.name);
    expect(between.length, 'googlenet@224 has F(2×2) convs between ½ and ¾ of the direct multiplies').toBeGreaterThan(0);
    const dotNames = new Set(dot.filter((s) => s.kind === 'i8conv').map((s) => s.name));
    expect(between.filter((n) => !dotNames.has(n)), 'those run direct on the dot path').toEqual([]);
  });
});
