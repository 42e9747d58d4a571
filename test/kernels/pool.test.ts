/**
 * f32_maxpool_nhwc, f32_avgpool_nhwc and f32_global_avgpool_nhwc against test/reference/pool.ts,
 * for every build.
 *
 * Tolerances:
 *  - max pool: exact (bitwise) — a max only selects one of its inputs.
 *  - avg / global pool, per output: (n + 2)·2⁻²⁴·Σ|x|/divisor, n = summed taps. A recursive f32 sum
 *    of n terms is within γ_{n−1}·Σ|x| of the exact sum (Higham §4.2); the division and the
 *    reference's own rounding to f32 add u·|result| each, and |result| ≤ Σ|x|/divisor. Checked
 *    against the case's largest Σ|x|/divisor.
 */
import { describe, expect, it } from 'vitest';
import { poolKernels } from '../../src/bindings/kernels/pool.js';
import { pads, resolveWindow, type Padding, type Pads, type Window2d } from '../../src/graph/geometry.js';
import { assertBitwiseEqual, assertWholeAndSplit, forEachBuild, Guarded, randomArray, seededRandom, StridedView, type KernelEnv } from '../helpers/kernel-env.js';
import { avgPoolNhwcReference, globalAvgPoolNhwcReference, maxPoolNhwcReference } from '../reference/pool.js';

const U = 2 ** -24;

interface PoolCase {
  name: string;
  op: 'max' | 'avg';
  countIncludePad?: boolean;
  inH: number;
  inW: number;
  channels: number;
  window: Window2d;
  batch?: number;
  /** Extra floats per input / output pixel (the gaps hold guard NaNs). */
  inExtra?: number;
  outExtra?: number;
  /** Seeds about one input in eight with NaN (two payloads, both signs), ±0 or ±∞. */
  specials?: boolean;
}

function win(k: number | [number, number], s: number | [number, number], padding: Padding, ceilMode = false): Window2d {
  const [kernelH, kernelW] = typeof k === 'number' ? [k, k] : k;
  const [strideH, strideW] = typeof s === 'number' ? [s, s] : s;
  return { kernelH, kernelW, strideH, strideW, padding, ceilMode };
}

const asym = (top: number, left: number, bottom: number, right: number): Pads => ({ top, left, bottom, right });

const CASES: PoolCase[] = [
  // GoogLeNet (torchvision/Caffe: ceil mode).
  { name: 'maxpool 3x3 s2 p0 ceil C=17 14x14 → 7x7 (GoogLeNet maxpool1-3)', op: 'max', inH: 14, inW: 14, channels: 17, window: win(3, 2, pads(0), true) },
  { name: 'maxpool 3x3 s2 p0 ceil C=5 15x13 odd (partial last window)', op: 'max', inH: 15, inW: 13, channels: 5, window: win(3, 2, pads(0), true) },
  { name: 'maxpool 2x2 s2 p0 ceil C=33 7x7 → 4x4 (GoogLeNet maxpool4, odd)', op: 'max', inH: 7, inW: 7, channels: 33, window: win(2, 2, pads(0), true) },
  { name: 'maxpool 2x2 s2 p0 ceil C=20 14x14 → 7x7 batch 2', op: 'max', inH: 14, inW: 14, channels: 20, window: win(2, 2, pads(0), true), batch: 2 },
  { name: 'maxpool 3x3 s1 p1 ceil C=23 in stride 30 out stride 25 (GoogLeNet branch pool)', op: 'max', inH: 7, inW: 7, channels: 23, window: win(3, 1, pads(1), true), inExtra: 7, outExtra: 2 },
  // Inception-v3.
  { name: 'maxpool 3x3 s2 floor C=3 17x17 → 8x8 (v3)', op: 'max', inH: 17, inW: 17, channels: 3, window: win(3, 2, 'valid') },
  { name: 'avgpool 3x3 s1 p1 count_include_pad C=17 8x8 (v3 / torchvision)', op: 'avg', countIncludePad: true, inH: 8, inW: 8, channels: 17, window: win(3, 1, pads(1)) },
  { name: 'avgpool 3x3 s1 p1 ceil count_include_pad C=5 7x7 (Caffe BN-Inception)', op: 'avg', countIncludePad: true, inH: 7, inW: 7, channels: 5, window: win(3, 1, pads(1), true) },
  // Inception-v4 / IR-v2 / TF.
  { name: 'avgpool 3x3 s1 p1 exclude pad C=20 in stride 24 (v4/IRv2)', op: 'avg', countIncludePad: false, inH: 6, inW: 9, channels: 20, window: win(3, 1, pads(1)), inExtra: 4 },
  { name: 'avgpool 3x3 s1 SAME exclude pad C=1 5x5 (tf-slim)', op: 'avg', countIncludePad: false, inH: 5, inW: 5, channels: 1, window: win(3, 1, 'same') },
  { name: 'maxpool 3x3 s2 SAME pads(0,0,1,1) C=17 14x14 (TF extra pixel bottom/right)', op: 'max', inH: 14, inW: 14, channels: 17, window: win(3, 2, 'same') },
  { name: 'maxpool 3x3 s2 SAME pads(1,1,1,1) C=5 13x13 (TF odd size)', op: 'max', inH: 13, inW: 13, channels: 5, window: win(3, 2, 'same') },
  { name: 'avgpool 3x3 s2 SAME pads(0,0,1,1) exclude pad C=17 10x12', op: 'avg', countIncludePad: false, inH: 10, inW: 12, channels: 17, window: win(3, 2, 'same') },
  { name: 'avgpool 3x3 s2 SAME pads(0,0,1,1) count_include_pad C=6 10x10', op: 'avg', countIncludePad: true, inH: 10, inW: 10, channels: 6, window: win(3, 2, 'same') },
  { name: 'maxpool 2x2 s2 SAME C=3 7x7 → 4x4 pads(0,0,1,1)', op: 'max', inH: 7, inW: 7, channels: 3, window: win(2, 2, 'same') },
  { name: 'avgpool 8x8 VALID C=37 8x8 → 1x1 (v3 head)', op: 'avg', countIncludePad: true, inH: 8, inW: 8, channels: 37, window: win(8, 1, 'valid') },
  { name: 'avgpool 8x8 VALID exclude pad C=36 in stride 40 batch 2', op: 'avg', countIncludePad: false, inH: 8, inW: 8, channels: 36, window: win(8, 1, 'valid'), inExtra: 4, batch: 2 },
  { name: 'avgpool 5x5 s3 VALID C=16 14x14 → 4x4 (GoogLeNet aux)', op: 'avg', countIncludePad: true, inH: 14, inW: 14, channels: 16, window: win(5, 3, 'valid') },
  // Ceil mode: the window that would start in the bottom/right padding is dropped; overhang past the padding is not counted.
  { name: 'avgpool 2x2 s2 p1 ceil count_include_pad C=5 5x5 → 3x3 (last window dropped)', op: 'avg', countIncludePad: true, inH: 5, inW: 5, channels: 5, window: win(2, 2, pads(1), true) },
  { name: 'maxpool 2x2 s2 p1 ceil C=4 5x5 → 3x3 (last window dropped)', op: 'max', inH: 5, inW: 5, channels: 4, window: win(2, 2, pads(1), true) },
  { name: 'avgpool 3x3 s2 p1 ceil count_include_pad C=7 6x6 → 4x4 (overhang not counted)', op: 'avg', countIncludePad: true, inH: 6, inW: 6, channels: 7, window: win(3, 2, pads(1), true) },
  { name: 'avgpool 3x3 s2 p1 ceil exclude pad C=7 6x6 → 4x4', op: 'avg', countIncludePad: false, inH: 6, inW: 6, channels: 7, window: win(3, 2, pads(1), true) },
  // Asymmetric explicit pads, odd sizes, strided views.
  { name: 'maxpool 3x3 s2 pads(0,1,0,1) ceil C=17 9x8', op: 'max', inH: 9, inW: 8, channels: 17, window: win(3, 2, asym(0, 1, 0, 1), true) },
  { name: 'avgpool 3x3 s2 pads(1,0,1,1) count_include_pad C=19 in/out strided 9x7', op: 'avg', countIncludePad: true, inH: 9, inW: 7, channels: 19, window: win(3, 2, asym(1, 0, 1, 1)), inExtra: 1, outExtra: 5 },
  { name: 'avgpool 3x2 s(1,2) pads(1,0,1,1) exclude pad C=3 5x6 batch 2', op: 'avg', countIncludePad: false, inH: 5, inW: 6, channels: 3, window: win([3, 2], [1, 2], asym(1, 0, 1, 1)), batch: 2, outExtra: 1 },
  { name: 'maxpool 3x3 s2 p0 ceil C=5 2x2 → 1x1 (window longer than the input)', op: 'max', inH: 2, inW: 2, channels: 5, window: win(3, 2, pads(0), true) },
  { name: 'avgpool 3x3 s2 p0 ceil count_include_pad C=6 2x3 → 1x1 (window longer than the input)', op: 'avg', countIncludePad: true, inH: 2, inW: 3, channels: 6, window: win(3, 2, pads(0), true) },
  { name: 'maxpool 3x3 s1 p1 C=1 1x1 image', op: 'max', inH: 1, inW: 1, channels: 1, window: win(3, 1, pads(1)) },
  // 3×3 at stride 1 and 2 (the separable path): interiors of 0, 1, 2 and many columns, 16-channel
  // blocks + 4-channel blocks + a scalar tail, edge rows with 1 or 2 in-image taps.
  { name: 'maxpool 3x3 s1 p1 C=37 13x11 in/out strided (branch pool)', op: 'max', inH: 13, inW: 11, channels: 37, window: win(3, 1, pads(1)), inExtra: 3, outExtra: 1 },
  { name: 'maxpool 3x3 s1 p0 C=16 5x3 → 3x1 (one interior column)', op: 'max', inH: 5, inW: 3, channels: 16, window: win(3, 1, pads(0)) },
  { name: 'maxpool 3x3 s1 p1 C=20 2x2 (no interior column, 2 rows)', op: 'max', inH: 2, inW: 2, channels: 20, window: win(3, 1, pads(1)) },
  { name: 'maxpool 3x3 s1 p1 C=8 3x4 (two interior columns)', op: 'max', inH: 3, inW: 4, channels: 8, window: win(3, 1, pads(1)) },
  { name: 'maxpool 3x3 s2 p0 ceil C=64 23x25 (GoogLeNet maxpool1, partial last window)', op: 'max', inH: 23, inW: 25, channels: 64, window: win(3, 2, pads(0), true) },
  { name: 'maxpool 3x3 s2 valid C=35 17x18 (v3 reduction, even width)', op: 'max', inH: 17, inW: 18, channels: 35, window: win(3, 2, 'valid'), inExtra: 1 },
  { name: 'maxpool 3x3 s2 SAME pads(1,1,1,1) C=19 11x9', op: 'max', inH: 11, inW: 9, channels: 19, window: win(3, 2, 'same'), outExtra: 3 },
  { name: 'maxpool 3x3 s(1,2) p1 C=12 6x9', op: 'max', inH: 6, inW: 9, channels: 12, window: win(3, [1, 2], pads(1)) },
  { name: 'maxpool 3x3 s(2,1) pads(0,1,1,0) ceil C=21 7x8', op: 'max', inH: 7, inW: 8, channels: 21, window: win(3, [2, 1], asym(0, 1, 1, 0), true) },
  { name: 'maxpool 3x3 s2 p1 C=6 1x7 (single row)', op: 'max', inH: 1, inW: 7, channels: 6, window: win(3, 2, pads(1)) },
  // NaN propagates from any in-image tap (never from padding), −0 < +0, ±∞ are ordinary values.
  { name: 'maxpool 3x3 s1 p1 specials C=37 12x10', op: 'max', inH: 12, inW: 10, channels: 37, window: win(3, 1, pads(1)), specials: true },
  { name: 'maxpool 3x3 s2 p0 ceil specials C=23 14x15 strided', op: 'max', inH: 14, inW: 15, channels: 23, window: win(3, 2, pads(0), true), specials: true, inExtra: 2 },
  { name: 'maxpool 3x3 s2 SAME specials C=16 9x9', op: 'max', inH: 9, inW: 9, channels: 16, window: win(3, 2, 'same'), specials: true },
  { name: 'maxpool 2x2 s2 ceil specials C=9 7x7 (direct path)', op: 'max', inH: 7, inW: 7, channels: 9, window: win(2, 2, pads(0), true), specials: true },
  ...randomCases(14, 0x9001),
];

function randomCases(count: number, seed: number): PoolCase[] {
  const { next, int } = seededRandom(seed);
  const cases: PoolCase[] = [];
  while (cases.length < count) {
    const kh = int(1, 5);
    const kw = int(1, 5);
    // PyTorch/ONNX keep pads ≤ kernel/2, so every window holds an in-image element.
    const p = asym(int(0, kh >> 1), int(0, kw >> 1), int(0, kh >> 1), int(0, kw >> 1));
    const op = next() < 0.5 ? 'max' : 'avg';
    const c: PoolCase = {
      name: '', op, countIncludePad: next() < 0.5,
      inH: int(1, 13), inW: int(1, 13), channels: int(1, 40),
      window: win([kh, kw], [int(1, 3), int(1, 3)], p, next() < 0.5),
      batch: int(1, 2), inExtra: int(0, 3), outExtra: int(0, 3),
    };
    const { outH, outW } = resolveWindow(c.inH, c.inW, c.window);
    if (outH === 0 || outW === 0) continue;
    const w = c.window;
    c.name = `random ${op}pool ${kh}x${kw} s(${w.strideH},${w.strideW}) pads(${p.top},${p.left},${p.bottom},${p.right})` +
      `${w.ceilMode ? ' ceil' : ''}${op === 'avg' ? (c.countIncludePad ? ' count_include_pad' : ' exclude pad') : ''} ` +
      `C=${c.channels} ${c.inH}x${c.inW} strides +${c.inExtra}/+${c.outExtra} batch ${c.batch}`;
    cases.push(c);
  }
  return cases;
}

/** NaNs with different payloads and signs, signed zeros and infinities, as raw bits. */
const SPECIAL_BITS = [0x7fc00000, 0xffc00000, 0x7fc01234, 0xff800001, 0x80000000, 0x00000000, 0x7f800000, 0xff800000];

function seedSpecials(input: Float32Array, seed: number): void {
  const { next, int } = seededRandom(seed);
  const bits = new Uint32Array(input.buffer, input.byteOffset, input.length);
  for (let i = 0; i < bits.length; i++) if (next() < 0.125) bits[i] = SPECIAL_BITS[int(0, SPECIAL_BITS.length - 1)]!;
}

/** Rewrites every NaN value of `view` (not its gaps) as the canonical quiet NaN. */
function canonicalizeNaNs(env: KernelEnv, view: StridedView): void {
  const body = new Float32Array(env.arena.memory.buffer, view.ptr, view.pixels * view.pixelStride);
  for (let p = 0; p < view.pixels; p++) {
    for (let ch = 0; ch < view.channels; ch++) if (Number.isNaN(body[p * view.pixelStride + ch])) body[p * view.pixelStride + ch] = NaN;
  }
}

const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, v), 0);

function runPoolCase(env: KernelEnv, c: PoolCase): void {
  const { arena } = env;
  const k = poolKernels(env.exports);
  const batch = c.batch ?? 1;
  const { inH, inW, channels, window: w } = c;
  const { outH, outW, pads: p } = resolveWindow(inH, inW, w);
  const inStride = channels + (c.inExtra ?? 0);
  const outStride = channels + (c.outExtra ?? 0);
  const input = randomArray(batch * inH * inW * channels, inH * 7919 + inW * 131 + channels);
  if (c.specials) seedSpecials(input, inH * 31 + channels);
  const params = { input, batch, inH, inW, channels, window: w };
  const ref = c.op === 'max' ? maxPoolNhwcReference(params) : avgPoolNhwcReference({ ...params, countIncludePad: c.countIncludePad! });
  const inView = new StridedView(arena, batch * inH * inW, channels, inStride, input);
  const blocks = [[0, outH], [0, Math.floor(outH / 2)], [Math.floor(outH / 2), outH - 1], [outH - 1, outH]];
  const whole = new StridedView(arena, batch * outH * outW, channels, outStride);
  const split = new StridedView(arena, batch * outH * outW, channels, outStride);
  blocks.forEach(([y0, y1], i) => {
    const out = i === 0 ? whole : split;
    for (let n = 0; n < batch; n++) {
      const inPtr = inView.ptr + n * inH * inW * inStride * 4;
      const outPtr = out.ptr + n * outH * outW * outStride * 4;
      if (c.op === 'max') {
        k.f32_maxpool_nhwc(inPtr, inStride * 4, inH, inW, channels, w.kernelH, w.kernelW, w.strideH, w.strideW,
          p.top, p.left, outW, y0, y1, outPtr, outStride * 4);
      } else {
        k.f32_avgpool_nhwc(inPtr, inStride * 4, inH, inW, channels, w.kernelH, w.kernelW, w.strideH, w.strideW,
          p.top, p.left, p.bottom, p.right, c.countIncludePad ? 1 : 0, outW, y0, y1, outPtr, outStride * 4);
      }
    }
  });
  if (c.specials) {
    // NaN bits are the one thing WebAssembly leaves open: the row split must still give the same
    // bits, then every NaN counts as the canonical one against the reference.
    assertBitwiseEqual(split.read(), whole.read(), `${c.name}: row blocks vs one call (raw NaN bits)`);
    canonicalizeNaNs(env, whole);
    canonicalizeNaNs(env, split);
  }
  // A max is exact (bitwise); an average is within its bound.
  const tol = c.op === 'max' ? undefined : { abs: (w.kernelH * w.kernelW + 2) * U * maxAbs(ref.absSum) };
  assertWholeAndSplit(c.name, 'row blocks', whole, split, ref.output, tol);
}

interface GlobalCase {
  name: string;
  pixels: number;
  channels: number;
  batch?: number;
  inExtra?: number;
}

const GLOBAL_CASES: GlobalCase[] = [
  { name: 'global avgpool 8x8 C=2048 (v3/v4 head)', pixels: 64, channels: 2048 },
  { name: 'global avgpool 7x7 C=1024 batch 2 (GoogLeNet head)', pixels: 49, channels: 1024, batch: 2 },
  { name: 'global avgpool 5x5 C=37 in stride 40', pixels: 25, channels: 37, inExtra: 3 },
  { name: 'global avgpool 1 pixel C=3', pixels: 1, channels: 3 },
  { name: 'global avgpool 3x5 C=1 in stride 2', pixels: 15, channels: 1, inExtra: 1 },
  { name: 'global avgpool 6x6 C=23 batch 2 in stride 24', pixels: 36, channels: 23, batch: 2, inExtra: 1 },
];

function runGlobalCase(env: KernelEnv, c: GlobalCase): void {
  const { arena } = env;
  const k = poolKernels(env.exports);
  const batch = c.batch ?? 1;
  const { pixels, channels } = c;
  const inStride = channels + (c.inExtra ?? 0);
  const input = randomArray(batch * pixels * channels, pixels * 613 + channels);
  const ref = globalAvgPoolNhwcReference(input, batch, pixels, channels);
  const inView = new StridedView(arena, batch * pixels, channels, inStride, input);
  const whole = new Guarded(arena, batch * channels);
  const split = new Guarded(arena, batch * channels);
  // Channel ranges at awkward cuts, as a thread split would make them.
  const cuts = [0, Math.min(channels, 5), Math.min(channels, 21), channels];
  for (let n = 0; n < batch; n++) {
    const inPtr = inView.ptr + n * pixels * inStride * 4;
    k.f32_global_avgpool_nhwc(inPtr, inStride * 4, pixels, channels, whole.ptr + n * channels * 4);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [c0, c1] = [cuts[i], cuts[i + 1]];
      k.f32_global_avgpool_nhwc(inPtr + c0 * 4, inStride * 4, pixels, c1 - c0, split.ptr + (n * channels + c0) * 4);
    }
  }
  assertWholeAndSplit(c.name, 'channel ranges', whole, split, ref.output, { abs: (pixels + 2) * U * maxAbs(ref.absSum) });
}

forEachBuild('pooling kernels (%s build)', (env) => {
  it.each(CASES)('$name', (c) => runPoolCase(env, c));
  it.each(GLOBAL_CASES)('$name', (c) => runGlobalCase(env, c));
});

describe('pool references (hand-computed, PyTorch semantics)', () => {
  const ramp4x4 = Array.from({ length: 16 }, (_, i) => i);

  it('maxpool 3x3 s2 ceil on 4x4: the partial last window is kept', () => {
    const r = maxPoolNhwcReference({ input: ramp4x4, batch: 1, inH: 4, inW: 4, channels: 1, window: win(3, 2, pads(0), true) });
    expect([r.outH, r.outW]).toEqual([2, 2]);
    expect(Array.from(r.output)).toEqual([10, 11, 14, 15]);
  });

  it('avgpool 3x3 s1 p1 on a 2x2 map of ones: ÷9 with count_include_pad, ÷4 without', () => {
    const base = { input: [1, 1, 1, 1], batch: 1, inH: 2, inW: 2, channels: 1, window: win(3, 1, pads(1)) };
    expect(Array.from(avgPoolNhwcReference({ ...base, countIncludePad: true }).output)).toEqual(Array(4).fill(Math.fround(4 / 9)));
    expect(Array.from(avgPoolNhwcReference({ ...base, countIncludePad: false }).output)).toEqual([1, 1, 1, 1]);
  });

  it('avgpool 3x3 s2 p1 ceil count_include_pad on 6x6 ones: the overhang past the padding is not counted', () => {
    const r = avgPoolNhwcReference({ input: Array(36).fill(1), batch: 1, inH: 6, inW: 6, channels: 1, window: win(3, 2, pads(1), true), countIncludePad: true });
    expect([r.outH, r.outW]).toEqual([4, 4]);
    // Rows: window 0 covers [−1, 2) → 2 in image of 3; window 3 covers [5, 8) clipped to [5, 7) → 1 in image of 2.
    expect(r.output[0]).toBe(Math.fround(4 / 9));
    expect(r.output[3]).toBe(Math.fround(2 / 6));
    expect(r.output[15]).toBe(Math.fround(1 / 4));
  });
});
