/**
 * Every int8 step of real network programs, recomputed by the plain-TS integer references
 * (program-oracle.ts) from the bytes it read and the weights the arena holds, must write exactly
 * the reference's bytes (u8) or bits (f32), and nothing outside its outputs:
 *  - GoogLeNet (Caffe) at 64 px, batch 2 with two different images: LRN between a dequantize and
 *    a quantize, convs writing f32 for the LRN and the classifier, ceil-mode max pools, concat slices;
 *  - Inception-v3 (TF) at 75 px: average pools without the padding count, strided max pools,
 *    1×7/7×1 windows, merged sibling 1×1 convs;
 *  - Inception-ResNet-v2 at 75 px: the residual epilogue (in place over its input), scaled.
 * int8 Winograd steps (stride-1 3×3 convs from 16 tiles) are held to the same reference as the
 * GEMM: the direct convolution's integer sums and epilogue.
 * Small graphs, batch 2, in every build: the mini network (test/graph/mini.ts: depthwise and LRN
 * in f32 between conversions, both average-pool modes, a residual), an all-u8 residual block, and
 * a concat slice read by a second op (a strided input).
 * A further test checks the packed weights themselves against the layer quantisation contract
 * (quantizeLayerRef), from the f32 weights, so the per-step check does not rest on what was packed.
 */
import { describe, expect, it } from 'vitest';
import { I8_PANEL_HEAD_BYTES, i8PanelBytes, packedI8GemmBytes } from '../../src/bindings/kernels/int8.js';
import type { ConvOp } from '../../src/graph/algorithm.js';
import { gemmDims } from '../../src/graph/algorithm.js';
import type { WeightMap } from '../../src/graph/compile.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import type { Graph } from '../../src/graph/graph.js';
import { BUILDS } from '../helpers/kernel-env.js';
import { miniNetwork } from '../graph/mini.js';
import { i8WeightsKN, packI8PanelsRef, quantizeLayerRef } from '../reference/int8.js';
import { checkEveryInt8Step, compileInt8Program, rangesFor, type Int8Program, type StepCoverage } from './program-oracle.js';
import { everyWinogradForm, residualGraph, sharedBranchGraph } from './small-graphs.js';

interface Case {
  model: string;
  variant?: string;
  size: number;
  batch: number;
  /** Coverage the walk must reach (so a network change cannot silently skip a path). */
  expect: (c: StepCoverage) => void;
}

const CASES: Case[] = [
  {
    model: 'googlenet', variant: 'caffe', size: 64, batch: 2,
    expect: (c) => {
      expect(c.checked.dequantize, 'dequantize before an LRN').toBeGreaterThan(0);
      expect(c.checked.quantize, 'quantize of the input and after each LRN').toBeGreaterThanOrEqual(3);
      expect(c.checked.u8MaxPool).toBeGreaterThan(0);
      expect(c.checked.u8GlobalAvgPool).toBe(1);
      expect(c.f32Outputs, 'convs writing f32 (before an LRN, the classifier)').toBeGreaterThanOrEqual(2);
      expect(c.winogradSteps, 'int8 Winograd steps').toBeGreaterThan(0);
      expect(c.winogradF32, 'an int8 Winograd step writing f32 (conv2 before the LRN)').toBeGreaterThan(0);
      expect(c.stridedOutputs, 'convs writing concat slices').toBeGreaterThan(0);
      expect(c.mergedSteps).toBeGreaterThan(0);
      expect(c.nonzeroInputZero, 'convs on inputs with a nonzero zero point').toBeGreaterThan(0);
    },
  },
  {
    model: 'inception_v3', variant: 'tf', size: 75, batch: 1,
    expect: (c) => {
      expect(c.avgPoolsExcludingPad, 'avg pools with count_include_pad = false').toBeGreaterThan(0);
      expect(c.stridedPools, 'stride-2 max pools').toBeGreaterThan(0);
      expect(c.im2colSteps).toBeGreaterThan(0);
      expect(c.winogradSteps).toBeGreaterThan(0);
      expect(c.mergedSteps).toBeGreaterThan(0);
      expect(c.f32Outputs).toBe(1);
    },
  },
  {
    model: 'inception_resnet_v2', size: 75, batch: 1,
    expect: (c) => {
      expect(c.residualOutputs, 'convs with a fused residual').toBeGreaterThanOrEqual(20);
      expect(c.mergedSteps).toBeGreaterThan(0);
      expect(c.stridedOutputs).toBeGreaterThan(0);
    },
  },
];

const programs = new Map<Case, Promise<{ p: Int8Program; weights: WeightMap }>>();

/** The int8 program of a case (compiled once per file: the pack test reuses the first). */
function program(cs: Case): Promise<{ p: Int8Program; weights: WeightMap }> {
  let r = programs.get(cs);
  if (!r) {
    r = (async () => {
      const g = buildNetwork(cs.model, { variant: cs.variant, inputSize: cs.size, batch: cs.batch });
      const weights = seededWeights(g.weights);
      const [, h, w, ch] = g.shape(g.inputs[0]);
      // Calibration on images other than the ones checked: values outside the calibrated range clamp.
      const calibration = [11, 12].map((seed) => seededInputNCHW(1, ch, h, w, seed));
      return { p: await compileInt8Program(g, weights, await rangesFor(g, weights, calibration)), weights };
    })();
    programs.set(cs, r);
  }
  return r;
}

/** Checks every int8 step of `g` on a batch of distinct images; returns the coverage. */
function checkAll(p: Int8Program): StepCoverage {
  const [n, h, w, ch] = p.graph.shape(p.graph.inputs[0]);
  // Distinct images per batch entry (seed per image), so an image mix-up shows.
  const input = new Float32Array(n * ch * h * w);
  for (let b = 0; b < n; b++) input.set(seededInputNCHW(1, ch, h, w, 100 + b), b * ch * h * w);
  const cover = checkEveryInt8Step(p, input);
  const checked = Object.values(cover.checked).reduce((s, x) => s + x, 0);
  expect(checked, 'every int8 step was checked').toBe(cover.int8Steps);
  const convSteps = p.compiled.program.steps.filter((s) => s.kind === 'i8conv' || s.kind === 'i8winograd' || s.kind === 'i8winograd1d').length;
  expect((cover.checked.i8conv ?? 0) + (cover.checked.i8winograd ?? 0) + (cover.checked.i8winograd1d ?? 0), 'every int8 conv step').toBe(convSteps);
  return cover;
}

const SMALL: Array<{ name: string; graph: () => Graph; expect: (c: StepCoverage) => void }> = [
  {
    name: 'mini network (batch 2, 23x19)', graph: () => miniNetwork(2, 23, 19),
    expect: (c) => {
      expect(c.residualOutputs).toBe(1);
      expect(c.avgPoolsExcludingPad).toBe(1);
      expect(c.checked.u8AvgPool, 'both count_include_pad modes').toBe(2);
      expect(c.f32Outputs, 'the conv before the LRN and the FC').toBe(2);
    },
  },
  {
    name: 'all-u8 residual block (batch 2, 20x20)', graph: () => residualGraph(2).g,
    expect: (c) => {
      expect(c.residualOutputs).toBe(1);
      expect(c.winogradResiduals, 'the residual epilogue of an int8 Winograd step').toBe(1);
      expect(c.mergedSteps).toBe(1);
      expect(c.avgPoolsExcludingPad).toBe(1);
      expect(c.checked.quantize, 'only the input is converted').toBe(1);
    },
  },
  {
    name: 'every int8 Winograd form: 1×7, 7×1, 1×3, 3×1, 3×3 with residuals, f32 output', graph: everyWinogradForm,
    expect: (c) => {
      expect(c.checked.i8winograd1d, 'the four 1-D convs').toBe(4);
      expect(c.checked.i8winograd, 'the two 3×3 convs').toBe(2);
      expect(c.winogradResiduals).toBe(2);
      expect(c.winogradF32, 'the output conv writes f32').toBe(1);
    },
  },
  {
    name: 'concat slice read by a pool, concat output (batch 2)', graph: () => sharedBranchGraph(2),
    expect: (c) => {
      expect(c.stridedInputs, 'the pool reads a slice').toBeGreaterThan(0);
      expect(c.checked.dequantize, 'the u8 output concat').toBe(1);
    },
  },
];

describe.each(BUILDS)('int8 programs of small graphs (%s): every int8 step equals the integer reference', (build) => {
  for (const cs of SMALL) {
    it(cs.name, async () => {
      const g = cs.graph();
      const weights = seededWeights(g.weights, 5);
      const [, h, w, ch] = g.shape(g.inputs[0]);
      const ranges = await rangesFor(g, weights, [1, 2].map((seed) => seededInputNCHW(1, ch, h, w, seed)));
      cs.expect(checkAll(await compileInt8Program(g, weights, ranges, build)));
    });
  }
});

/** Where byte `i` of packed panels of depth k lies (panel, field, column), with both values. */
function describePackedByte(i: number, k: number, got: number, want: number): string {
  const panelBytes = i8PanelBytes(k);
  const panel = Math.floor(i / panelBytes);
  const at = i % panelBytes;
  const head = I8_PANEL_HEAD_BYTES;
  const field = at < 32 ? `bias of column ${at >> 2}` : at < 64 ? `column sum of column ${(at - 32) >> 2}` : at < 96
    ? `scale of column ${(at - 64) >> 2}`
    : at < head ? `qSum of column ${(at - 96) >> 2}`
      : `weight k=${2 * ((at - head) >> 4) + (at & 1)} of column ${((at - head) & 15) >> 1}`;
  return `byte ${i} (panel ${panel}, ${field}): got ${got}, want ${want}`;
}

describe('int8 programs: every int8 step equals the integer reference byte for byte', () => {
  for (const cs of CASES) {
    it(`${cs.model}${cs.variant ? ` (${cs.variant})` : ''} at ${cs.size} px, batch ${cs.batch}`, async () => {
      const { p } = await program(cs);
      // Only the first case's program is reused (by the pack test); let the others' weights go.
      if (cs !== CASES[0]) programs.delete(cs);
      const cover = checkAll(p);
      expect(cover.int8Steps, 'the program has int8 steps').toBeGreaterThan(10);
      cs.expect(cover);
    });
  }

  it('googlenet: the packed weights are the quantisation of the f32 weights (pack-int8 contract)', async () => {
    const { p, weights } = await program(CASES[0]);
    const c = p.compiled;
    const ops = c.ops.filter((op): op is ConvOp => op.kind === 'conv' && c.int8.u8Ops.has(op));
    let layers = 0;
    for (const op of ops) {
      for (const part of op.parts) {
        const layer = c.int8.layers.find((l) => l.output === part.output)!;
        const [outChannels, inChannels, kh, kw] = gemmDims(part.layer);
        const depth = inChannels * kh * kw;
        const get = (name: string | undefined) => (name === undefined ? undefined : weights.get(name)!);
        const bn = part.bn && {
          gamma: get(part.bn.gamma), beta: get(part.bn.beta), mean: get(part.bn.mean)!, var: get(part.bn.var)!, eps: part.bn.eps,
        };
        const inQ = c.int8.values.quant(op.input);
        const outScale = c.view(part.output).elementBytes === 1 ? c.int8.values.quant(part.output).scale : undefined;
        const want = quantizeLayerRef({
          weight: get(part.layer.weight)!, bias: get(part.layer.bias), bn, outChannels, depth, inputScale: inQ.scale, outputScale: outScale,
          residualScale: part.residual?.scale,
        });
        expect(layer.weightScales, `${part.layer.name} weight scales`).toEqual(want.weightScales);
        const packed = p.arena.u8(layer.panels, packedI8GemmBytes(outChannels, depth));
        const ref = packI8PanelsRef(i8WeightsKN(want.q, outChannels, inChannels, kh, kw), want.bias, want.scale, depth, outChannels);
        const bad = packed.findIndex((b, i) => b !== ref[i]);
        expect(bad < 0 ? '' : describePackedByte(bad, depth, packed[bad], ref[bad]), `${part.layer.name}: packed bytes`).toBe('');
        layers++;
      }
    }
    expect(layers, 'every quantized layer').toBe(c.int8.layers.length);
  });
});
