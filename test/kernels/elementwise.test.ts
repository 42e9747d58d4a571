/**
 * f32_add_nhwc and f32_scale_nhwc against test/reference/elementwise.ts, for every build.
 *
 * Tolerances (u = 2⁻²⁴, the unit roundoff; the kernels take `scale` as f32, so the reference gets
 * fround(scale)):
 *  - add, scale = 1: exact to one rounding, |y − ref| ≤ u·|ref| (1·b is exact, the sum rounds once).
 *  - add, scale ≠ 1: |y − ref| ≤ u·|ref| + u(1 + 2u)·max|scale·b| — the product rounds once (u·|scale·b|),
 *    then the sum (u·|ref + that error|).
 *  - scale: |y − ref| ≤ u·|ref| (one rounding); scale = 1 is a copy: bitwise.
 * The clamp is exact and 1-Lipschitz, so it does not widen any bound.
 */
import { expect, it } from 'vitest';
import { elementwiseKernels } from '../../src/bindings/kernels/elementwise.js';
import { assertKernelOutput, forEachBuild, randomArray, runOnceAndInPieces, seededRandom, StridedView, type KernelEnv } from '../helpers/kernel-env.js';
import { addReference, scaleReference, type ClampBounds } from '../reference/elementwise.js';

const U = 2 ** -24;
const NONE: ClampBounds = { lo: -Infinity, hi: Infinity };
const RELU: ClampBounds = { lo: 0, hi: Infinity };

interface AddCase {
  name: string;
  pixels: number;
  channels: number;
  scale: number;
  clamp: ClampBounds;
  /** Extra floats per pixel of a, b, y (the gaps hold guard NaNs). */
  aExtra?: number;
  bExtra?: number;
  yExtra?: number;
  /** y is the same view as a (or b). */
  inPlace?: 'a' | 'b';
  /** Pixel ranges the work is split into (as threads or per-image calls would); default 3. */
  pieces?: number;
}

const ADD_CASES: AddCase[] = [
  { name: 'add C=1 7 pixels', pixels: 7, channels: 1, scale: 1, clamp: NONE },
  { name: 'add C=3 relu 11 pixels', pixels: 11, channels: 3, scale: 1, clamp: RELU },
  { name: 'add C=5 scale 0.17 relu a/b/y strides 8/7/9 (IR-v2 block35)', pixels: 13, channels: 5, scale: 0.17, clamp: RELU, aExtra: 3, bExtra: 2, yExtra: 4 },
  { name: 'add C=17 scale 0.1 in place y=a stride 20', pixels: 9, channels: 17, scale: 0.1, clamp: NONE, aExtra: 3, inPlace: 'a' },
  { name: 'add C=17 scale 0.2 relu in place y=b', pixels: 9, channels: 17, scale: 0.2, clamp: RELU, inPlace: 'b' },
  { name: 'add C=64 clamp [−0.5, 0.25] batch 2 of 5x3 per-image calls', pixels: 30, channels: 64, scale: 1, clamp: { lo: -0.5, hi: 0.25 }, pieces: 2 },
  { name: 'add C=2080 scale 1 relu 2 pixels y stride 2088 (IR-v2 block8 width)', pixels: 2, channels: 2080, scale: 1, clamp: RELU, yExtra: 8 },
  { name: 'add C=4 scale −3 1 pixel', pixels: 1, channels: 4, scale: -3, clamp: NONE, pieces: 1 },
  ...randomAddCases(10, 0xadd),
];

function randomAddCases(count: number, seed: number): AddCase[] {
  const { next, int } = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const c: AddCase = {
      name: '', pixels: int(1, 40), channels: int(1, 70), scale: next() < 0.4 ? 1 : Math.fround(next() * 2 - 1),
      clamp: next() < 0.5 ? RELU : NONE, aExtra: int(0, 5), bExtra: int(0, 5), yExtra: int(0, 5), pieces: int(1, 4),
    };
    c.name = `random add C=${c.channels} ${c.pixels} pixels scale ${c.scale.toPrecision(3)}${c.clamp === RELU ? ' relu' : ''} ` +
      `strides +${c.aExtra}/+${c.bExtra}/+${c.yExtra} in ${c.pieces} pieces`;
    return c;
  });
}

function runAddCase(env: KernelEnv, c: AddCase): void {
  const { arena } = env;
  const k = elementwiseKernels(env.exports);
  const { pixels, channels, clamp } = c;
  const scale = Math.fround(c.scale);
  const a = randomArray(pixels * channels, pixels * 31 + channels, -2, 2);
  const b = randomArray(pixels * channels, pixels * 37 + channels + 1, -2, 2);
  const ref = addReference(a, b, scale, clamp);
  const maxProduct = b.reduce((m, v) => Math.max(m, Math.abs(scale * v)), 0);
  const tol = scale === 1 ? { abs: 0, rel: U } : { abs: U * (1 + 2 * U) * maxProduct, rel: U };

  runOnceAndInPieces(c.name, pixels, c.pieces ?? 3, (ranges, label) => {
    const av = new StridedView(arena, pixels, channels, channels + (c.aExtra ?? 0), a);
    const bv = new StridedView(arena, pixels, channels, channels + (c.bExtra ?? 0), b);
    const yv = c.inPlace === 'a' ? av : c.inPlace === 'b' ? bv : new StridedView(arena, pixels, channels, channels + (c.yExtra ?? 0));
    for (const [p0, count] of ranges) {
      k.f32_add_nhwc(
        av.ptr + p0 * av.pixelStrideBytes, bv.ptr + p0 * bv.pixelStrideBytes, yv.ptr + p0 * yv.pixelStrideBytes,
        count, channels, av.pixelStrideBytes, bv.pixelStrideBytes, yv.pixelStrideBytes, scale, clamp.lo, clamp.hi,
      );
    }
    return assertKernelOutput(yv, ref, label, { inputs: [av, bv], tol });
  });
}

interface ScaleCase {
  name: string;
  pixels: number;
  channels: number;
  scale: number;
  clamp: ClampBounds;
  aExtra?: number;
  yExtra?: number;
  inPlace?: boolean;
}

const SCALE_CASES: ScaleCase[] = [
  { name: 'relu (scale 1, lo 0) C=17 in/out strides 20/19', pixels: 9, channels: 17, scale: 1, clamp: RELU, aExtra: 3, yExtra: 2 },
  { name: 'copy (scale 1, no clamp) C=3 into a channel slice of stride 8', pixels: 14, channels: 3, scale: 1, clamp: NONE, yExtra: 5 },
  { name: 'scale 0.3 relu6 C=5 in place', pixels: 6, channels: 5, scale: 0.3, clamp: { lo: 0, hi: 6 }, inPlace: true },
  { name: 'scale −1.7 C=1 11 pixels', pixels: 11, channels: 1, scale: -1.7, clamp: NONE },
  { name: 'relu C=64 batch 2 of 3x3', pixels: 18, channels: 64, scale: 1, clamp: RELU },
];

function runScaleCase(env: KernelEnv, c: ScaleCase): void {
  const { arena } = env;
  const k = elementwiseKernels(env.exports);
  const { pixels, channels, clamp } = c;
  const scale = Math.fround(c.scale);
  const a = randomArray(pixels * channels, pixels * 41 + channels, -8, 8);
  const ref = scaleReference(a, scale, clamp);
  const av = new StridedView(arena, pixels, channels, channels + (c.aExtra ?? 0), a);
  const yv = c.inPlace ? av : new StridedView(arena, pixels, channels, channels + (c.yExtra ?? 0));
  // Two pixel ranges, as two threads would run it.
  const half = Math.floor(pixels / 2);
  for (const [p0, count] of [[0, half], [half, pixels - half]]) {
    k.f32_scale_nhwc(av.ptr + p0 * av.pixelStrideBytes, yv.ptr + p0 * yv.pixelStrideBytes, count, channels,
      av.pixelStrideBytes, yv.pixelStrideBytes, scale, clamp.lo, clamp.hi);
  }
  // scale = 1 is a copy (with the clamp): bitwise.
  assertKernelOutput(yv, ref, c.name, { inputs: [av], tol: scale === 1 ? undefined : { abs: 0, rel: U } });
}

forEachBuild('elementwise kernels (%s)', (env) => {
  for (const c of ADD_CASES) it(c.name, () => runAddCase(env, c));
  for (const c of SCALE_CASES) it(c.name, () => runScaleCase(env, c));

  it('add keeps NaN and clamps ±∞ (relu)', () => {
    const { arena } = env;
    const k = elementwiseKernels(env.exports);
    const a = [NaN, Infinity, -Infinity, 1, 2, NaN, -Infinity];
    const b = [1, 1, 1, NaN, -Infinity, 0, 5];
    const av = new StridedView(arena, 1, a.length, a.length, a);
    const bv = new StridedView(arena, 1, b.length, b.length, b);
    const yv = new StridedView(arena, 1, a.length, a.length);
    k.f32_add_nhwc(av.ptr, bv.ptr, yv.ptr, 1, a.length, 0, 0, 0, 1, 0, Infinity);
    expect(Array.from(yv.read())).toEqual([NaN, Infinity, 0, NaN, 0, NaN, 0]);
  });

  it('scale as ReLU: NaN passes, −∞ → 0, −0 stays −0 (the pmax clamp), in SIMD lanes and the scalar tail', () => {
    const { arena } = env;
    const k = elementwiseKernels(env.exports);
    const a = [-0, NaN, -Infinity, Infinity, -2, 3, -0, NaN, -5];
    const expected = [-0, NaN, 0, Infinity, 0, 3, -0, NaN, 0];
    const av = new StridedView(arena, 1, a.length, a.length, a);
    const yv = new StridedView(arena, 1, a.length, a.length);
    k.f32_scale_nhwc(av.ptr, yv.ptr, 1, a.length, 0, 0, 1, 0, Infinity);
    const y = yv.read();
    expect(expected.every((v, i) => Object.is(v, y[i])), `got ${Array.from(y, (v) => (Object.is(v, -0) ? '-0' : v))}`).toBe(true);
  });
});
