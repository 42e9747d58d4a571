/**
 * f32_lrn_nhwc against test/reference/lrn.ts (the ONNX LRN definition in f64), for every build.
 * The kernel takes alpha, beta, k as f32, so the reference gets their fround values.
 *
 * Tolerance, relative (u = 2⁻²⁴, m = window length min(size, C)):
 * |y − ref| ≤ (beta·(m + 3) + 5)·u·|ref|.
 *  - d = k + alpha/size·Σx²: the m squares and m − 1 additions of positive terms (≤ m·u), alpha/size
 *    rounded to f32, the product, the add of k (3u): ≤ (m + 3)·u relative; d^−beta multiplies it by beta.
 *  - beta = 0.75: √d, √√d, their product and the division add ≤ 4.5u; other beta: f64 exp/ln
 *    (error < 1e-10) and one rounding to f32: ≤ 1.01u. 5u covers both.
 * Inputs span [−3, 3] and some cases use alpha ≥ 1, so the window sum moves the result by far
 * more than the tolerance: a wrong window (off by one channel, wrong edge clipping) fails.
 */
import { expect, it } from 'vitest';
import { normalizeKernels } from '../../src/bindings/kernels/normalize.js';
import { assertKernelOutput, forEachBuild, randomArray, runOnceAndInPieces, seededRandom, StridedView, type KernelEnv } from '../helpers/kernel-env.js';
import { lrnReference, type LrnParams } from '../reference/lrn.js';

const U = 2 ** -24;
const CAFFE: LrnParams = { size: 5, alpha: 1e-4, beta: 0.75, k: 1 };

interface LrnCase {
  name: string;
  pixels: number;
  channels: number;
  params: LrnParams;
  inExtra?: number;
  outExtra?: number;
  /** Pixel ranges the work is split into (threads, or per-image calls for a batch); default 3. */
  pieces?: number;
}

const CASES: LrnCase[] = [
  { name: 'lrn size 5 α 1e-4 β 0.75 k 1 C=64 (GoogLeNet norm1)', pixels: 24, channels: 64, params: CAFFE },
  { name: 'lrn size 5 α 1e-4 β 0.75 k 1 C=192 in/out strides 200/256 (GoogLeNet norm2)', pixels: 8, channels: 192, params: CAFFE, inExtra: 8, outExtra: 64 },
  { name: 'lrn size 5 α 2 β 0.75 k 1 C=17 in/out strides 20/19', pixels: 11, channels: 17, params: { ...CAFFE, alpha: 2 }, inExtra: 3, outExtra: 2 },
  { name: 'lrn size 5 α 1 β 0.75 C=8 (two SIMD groups, both touch an edge)', pixels: 5, channels: 8, params: { ...CAFFE, alpha: 1 }, inExtra: 1 },
  { name: 'lrn size 5 α 1 β 0.75 C=9 batch 2 of 2x3 per-image calls', pixels: 12, channels: 9, params: { ...CAFFE, alpha: 1 }, inExtra: 2, pieces: 2 },
  { name: 'lrn size 5 α 1 C=3 (window wider than C)', pixels: 7, channels: 3, params: { ...CAFFE, alpha: 1 }, inExtra: 1, outExtra: 1 },
  { name: 'lrn size 5 α 1 C=1', pixels: 9, channels: 1, params: { ...CAFFE, alpha: 1 }, inExtra: 2 },
  { name: 'lrn size 4 (1 before, 2 after) α 1 C=13', pixels: 6, channels: 13, params: { size: 4, alpha: 1, beta: 0.75, k: 1 }, inExtra: 3 },
  { name: 'lrn size 1 α 1 C=5', pixels: 6, channels: 5, params: { size: 1, alpha: 1, beta: 0.75, k: 1 }, inExtra: 3 },
  { name: 'lrn size 3 α 0.5 β 0.5 k 2 C=17 (general beta)', pixels: 10, channels: 17, params: { size: 3, alpha: 0.5, beta: 0.5, k: 2 }, inExtra: 3 },
  { name: 'lrn size 5 α 1 β 1 k 1 C=9 (general beta)', pixels: 7, channels: 9, params: { size: 5, alpha: 1, beta: 1, k: 1 }, outExtra: 3 },
  { name: 'lrn size 7 α 3 β 0.6 k 1.5 C=33 (general beta)', pixels: 5, channels: 33, params: { size: 7, alpha: 3, beta: 0.6, k: 1.5 }, inExtra: 1, outExtra: 1 },
  { name: 'lrn size 11 α 1 C=8 (window wider than C, even C)', pixels: 4, channels: 8, params: { size: 11, alpha: 1, beta: 0.75, k: 1 }, inExtra: 4 },
  ...randomCases(10, 0x1e4),
];

function randomCases(count: number, seed: number): LrnCase[] {
  const { next, int } = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const beta = next() < 0.5 ? 0.75 : Math.fround(0.3 + next());
    const params = { size: int(1, 9), alpha: Math.fround(next() * 2), beta, k: Math.fround(0.5 + next() * 2) };
    const c: LrnCase = { name: '', pixels: int(1, 20), channels: int(1, 70), params, inExtra: int(0, 4), outExtra: int(0, 4), pieces: int(1, 4) };
    c.name = `random lrn size ${params.size} α ${params.alpha.toPrecision(3)} β ${beta.toPrecision(3)} k ${params.k.toPrecision(3)} ` +
      `C=${c.channels} ${c.pixels} pixels strides +${c.inExtra}/+${c.outExtra} in ${c.pieces} pieces`;
    return c;
  });
}

function runCase(env: KernelEnv, c: LrnCase): void {
  const { arena } = env;
  const k = normalizeKernels(env.exports);
  const { pixels, channels } = c;
  const p = { size: c.params.size, alpha: Math.fround(c.params.alpha), beta: Math.fround(c.params.beta), k: Math.fround(c.params.k) };
  const x = randomArray(pixels * channels, pixels * 211 + channels * 3 + p.size, -3, 3);
  const ref = lrnReference(x, channels, p);
  const m = Math.min(p.size, channels);
  const tol = { abs: 0, rel: (p.beta * (m + 3) + 5) * U };

  const xv = new StridedView(arena, pixels, channels, channels + (c.inExtra ?? 0), x);
  runOnceAndInPieces(c.name, pixels, c.pieces ?? 3, (ranges, label) => {
    const yv = new StridedView(arena, pixels, channels, channels + (c.outExtra ?? 0));
    for (const [p0, count] of ranges) {
      k.f32_lrn_nhwc(xv.ptr + p0 * xv.pixelStrideBytes, xv.pixelStrideBytes, count, channels, p.size, p.alpha, p.beta, p.k,
        yv.ptr + p0 * yv.pixelStrideBytes, yv.pixelStrideBytes);
    }
    return assertKernelOutput(yv, ref, label, { inputs: [xv], tol });
  });
}

forEachBuild('lrn kernel (%s)', (env) => {
  for (const c of CASES) it(c.name, () => runCase(env, c));

  it('a channel gives the same bits wherever it falls (SIMD group or scalar edge)', () => {
    // The same 5 values centred in C=9 (channel 4: SIMD group 2..5) and in C=5 (channel 2: scalar):
    // the centre channel sees the same window in the same order, so the results are identical.
    const { arena } = env;
    const kern = normalizeKernels(env.exports);
    const window = [0.5, -1.25, 2, 0.75, -1.5];
    const wide = new StridedView(arena, 1, 9, 9, [0, 0, ...window, 0, 0]);
    const narrow = new StridedView(arena, 1, 5, 5, window);
    const wideOut = new StridedView(arena, 1, 9, 9);
    const narrowOut = new StridedView(arena, 1, 5, 5);
    kern.f32_lrn_nhwc(wide.ptr, 36, 1, 9, 5, 1, 0.75, 1, wideOut.ptr, 36);
    kern.f32_lrn_nhwc(narrow.ptr, 20, 1, 5, 5, 1, 0.75, 1, narrowOut.ptr, 20);
    expect(Object.is(wideOut.read()[4], narrowOut.read()[2])).toBe(true);
  });
});
