/**
 * f32_batchnorm_nhwc (with the host fold `batchNormScaleShift`) against test/reference/batchnorm.ts,
 * which evaluates the unfolded definition in f64, for every build.
 *
 * Tolerance (u = 2⁻²⁴): y = fl(fl(x·S) + T) with S = fl(s), T = fl(t), s = γ/√(var+ε), t = β − mean·s.
 * Rounding S and the product each cost ≤ u·|x·s|, rounding T ≤ u·|t|, the sum ≤ u·|y|; so
 * |y − ref| ≤ u·(2·|x·s| + |t|) + u·|ref| — a couple of ulps of the largest term. Checked with the
 * case's largest 2·|x·s| + |t| (+0.01% for second-order terms and the f64 fold).
 */
import { describe, expect, it } from 'vitest';
import { batchNormScaleShift, normalizeKernels, type BatchNormParams } from '../../src/bindings/kernels/normalize.js';
import {
  assertKernelOutput, forEachBuild, Guarded, randomArray, runOnceAndInPieces, seededRandom, StridedView, type KernelEnv,
} from '../helpers/kernel-env.js';
import { batchNormReference } from '../reference/batchnorm.js';
import type { ClampBounds } from '../reference/elementwise.js';

const U = 2 ** -24;
const NONE: ClampBounds = { lo: -Infinity, hi: Infinity };
const RELU: ClampBounds = { lo: 0, hi: Infinity };

interface BnCase {
  name: string;
  pixels: number;
  channels: number;
  clamp: ClampBounds;
  eps: number;
  noGamma?: boolean;
  noBeta?: boolean;
  inExtra?: number;
  outExtra?: number;
  inPlace?: boolean;
  /** Pixel ranges the work is split into (threads, or per-image calls for a batch); default 3. */
  pieces?: number;
}

const CASES: BnCase[] = [
  { name: 'bn C=1 eps 1e-5 9 pixels', pixels: 9, channels: 1, clamp: NONE, eps: 1e-5 },
  { name: 'bn C=3 relu eps 1e-3 (tf-slim) 7 pixels', pixels: 7, channels: 3, clamp: RELU, eps: 1e-3 },
  { name: 'bn C=5 relu no gamma (tf-slim scale=False) in stride 8 out stride 7', pixels: 12, channels: 5, clamp: RELU, eps: 1e-3, noGamma: true, inExtra: 3, outExtra: 2 },
  { name: 'bn C=17 no beta relu6 in place stride 20', pixels: 10, channels: 17, clamp: { lo: 0, hi: 6 }, eps: 1e-5, noBeta: true, inExtra: 3, inPlace: true },
  { name: 'bn C=32 relu batch 2 of 3x5 per-image calls (v3 stem width)', pixels: 30, channels: 32, clamp: RELU, eps: 1e-3, pieces: 2 },
  { name: 'bn C=192 eps 1e-5 out a channel slice of stride 256', pixels: 6, channels: 192, clamp: RELU, eps: 1e-5, outExtra: 64 },
  { name: 'bn C=2048 1 pixel', pixels: 1, channels: 2048, clamp: NONE, eps: 1e-3, pieces: 1 },
  ...randomCases(10, 0xb17),
];

function randomCases(count: number, seed: number): BnCase[] {
  const { next, int } = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const c: BnCase = {
      name: '', pixels: int(1, 30), channels: int(1, 80), clamp: next() < 0.5 ? RELU : NONE, eps: next() < 0.5 ? 1e-3 : 1e-5,
      noGamma: next() < 0.2, noBeta: next() < 0.2, inExtra: int(0, 4), outExtra: int(0, 4), inPlace: next() < 0.2, pieces: int(1, 4),
    };
    c.name = `random bn C=${c.channels} ${c.pixels} pixels${c.clamp === RELU ? ' relu' : ''}${c.noGamma ? ' no gamma' : ''}` +
      `${c.noBeta ? ' no beta' : ''} strides +${c.inExtra}/+${c.outExtra}${c.inPlace ? ' in place' : ''} in ${c.pieces} pieces`;
    return c;
  });
}

function runCase(env: KernelEnv, c: BnCase): void {
  const { arena } = env;
  const k = normalizeKernels(env.exports);
  const { pixels, channels, clamp } = c;
  const seed = pixels * 101 + channels;
  const stats: BatchNormParams = {
    gamma: c.noGamma ? undefined : randomArray(channels, seed + 1, 0.2, 2),
    beta: c.noBeta ? undefined : randomArray(channels, seed + 2, -1, 1),
    mean: randomArray(channels, seed + 3, -1, 1),
    var: randomArray(channels, seed + 4, 0.01, 3),
    eps: c.eps,
  };
  const x = randomArray(pixels * channels, seed, -3, 3);
  const ref = batchNormReference(x, channels, stats, clamp);
  const { scale, shift } = batchNormScaleShift(stats);
  let largest = 0;
  for (let i = 0; i < x.length; i++) {
    const ch = i % channels;
    const s = (stats.gamma ? stats.gamma[ch] : 1) / Math.sqrt(stats.var[ch] + c.eps);
    const t = (stats.beta ? stats.beta[ch] : 0) - stats.mean[ch] * s;
    largest = Math.max(largest, 2 * Math.abs(x[i] * s) + Math.abs(t));
  }
  const tol = { abs: 1.0001 * U * largest, rel: 1.0001 * U };

  const scaleBlock = new Guarded(arena, channels, scale);
  const shiftBlock = new Guarded(arena, channels, shift);
  runOnceAndInPieces(c.name, pixels, c.pieces ?? 3, (ranges, label) => {
    const xv = new StridedView(arena, pixels, channels, channels + (c.inExtra ?? 0), x);
    const yv = c.inPlace ? xv : new StridedView(arena, pixels, channels, channels + (c.outExtra ?? 0));
    for (const [p0, count] of ranges) {
      k.f32_batchnorm_nhwc(xv.ptr + p0 * xv.pixelStrideBytes, xv.pixelStrideBytes, count, channels,
        scaleBlock.ptr, shiftBlock.ptr, yv.ptr + p0 * yv.pixelStrideBytes, yv.pixelStrideBytes, clamp.lo, clamp.hi);
    }
    return assertKernelOutput(yv, ref, label, { inputs: [xv], tol });
  });
}

forEachBuild('batchnorm kernel (%s)', (env) => {
  for (const c of CASES) it(c.name, () => runCase(env, c));
});

describe('batchNormScaleShift', () => {
  it('folds γ, β, mean, var, ε into scale = γ/√(var+ε), shift = β − mean·scale', () => {
    const { scale, shift } = batchNormScaleShift({ gamma: [2, 4], beta: [0.5, -1], mean: [1, -2], var: [3, 3], eps: 1 });
    expect(Array.from(scale)).toEqual([1, 2]);
    expect(Array.from(shift)).toEqual([-0.5, 3]);
  });

  it('treats absent γ as 1 and absent β as 0', () => {
    const { scale, shift } = batchNormScaleShift({ mean: [4], var: [15], eps: 1 });
    expect(Array.from(scale)).toEqual([0.25]);
    expect(Array.from(shift)).toEqual([-1]);
  });

  it('names the tensor whose length differs from mean', () => {
    expect(() => batchNormScaleShift({ gamma: [1, 2, 3], mean: [0, 0], var: [1, 1], eps: 1e-5 })).toThrow(/gamma has 3 values, mean has 2/);
    expect(() => batchNormScaleShift({ mean: [0, 0], var: [1], eps: 1e-5 })).toThrow(/var has 1 values, mean has 2/);
  });
});
