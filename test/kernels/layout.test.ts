/**
 * f32_nchw_to_nhwc and f32_nhwc_to_nchw against test/reference/layout.ts, for every build.
 * Tolerance: none — a layout change copies bits, so every output is compared as a 32-bit pattern
 * (the inputs hold a signalling NaN with payload, −0, a subnormal and ±∞ besides random values).
 * Every conversion also runs split into channel ranges at awkward cuts, as threads would run it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { layoutKernels } from '../../src/bindings/kernels/layout.js';
import { mulberry32 } from '../../src/util/prng.js';
import { assertNoStrayWrites, BUILDS, Guarded, kernelEnv, randomArray, StridedView, type KernelEnv } from '../helpers/kernel-env.js';
import { nchwToNhwcReference, nhwcToNchwReference } from '../reference/layout.js';

const SPECIAL_BITS = [0x7f800001, 0xffc12345, 0x80000000, 0x00000001, 0x7f800000, 0xff800000];

interface LayoutCase {
  name: string;
  channels: number;
  height: number;
  width: number;
  /** Extra floats per NHWC pixel (the gaps hold guard NaNs). */
  nhwcExtra?: number;
  /** Channel cuts of the split run (besides 0 and C). */
  cuts?: number[];
}

const CASES: LayoutCase[] = [
  { name: 'C=3 299x299 (the input image)', channels: 3, height: 299, width: 299, cuts: [1] },
  { name: 'C=3 224x224 NHWC stride 4', channels: 3, height: 224, width: 224, nhwcExtra: 1, cuts: [2] },
  { name: 'C=2048 8x8 (v3/v4 features)', channels: 2048, height: 8, width: 8, cuts: [5, 1024, 1031] },
  { name: 'C=1024 7x7 NHWC stride 1056 (GoogLeNet features, P % 4 = 1)', channels: 1024, height: 7, width: 7, nhwcExtra: 32, cuts: [3, 516] },
  { name: 'C=1 5x3', channels: 1, height: 5, width: 3 },
  { name: 'C=5 7x5 NHWC stride 8 (P % 4 = 3)', channels: 5, height: 7, width: 5, nhwcExtra: 3, cuts: [1] },
  { name: 'C=17 6x6 NHWC stride 19', channels: 17, height: 6, width: 6, nhwcExtra: 2, cuts: [4, 9] },
  { name: 'C=4 1x1', channels: 4, height: 1, width: 1, cuts: [3] },
  { name: 'C=8 2x2 (one block of 4 pixels)', channels: 8, height: 2, width: 2, cuts: [4] },
  ...randomCases(10, 0x1a7),
];

function randomCases(count: number, seed: number): LayoutCase[] {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return Array.from({ length: count }, () => {
    const c: LayoutCase = { name: '', channels: int(1, 40), height: int(1, 11), width: int(1, 11), nhwcExtra: int(0, 5) };
    c.cuts = [int(0, c.channels)];
    c.name = `random C=${c.channels} ${c.height}x${c.width} NHWC stride +${c.nhwcExtra} cut at ${c.cuts[0]}`;
    return c;
  });
}

/** Random f32 bit patterns with the special values sprinkled in. */
function randomBits(count: number, seed: number): Int32Array {
  const bits = new Int32Array(randomArray(count, seed, -100, 100).buffer);
  const next = mulberry32(seed + 1);
  for (const special of SPECIAL_BITS) bits[Math.floor(next() * count)] = special | 0;
  return bits;
}

function writeNhwcBits(env: KernelEnv, view: StridedView, bits: Int32Array): void {
  const body = env.arena.i32(view.ptr, view.pixels * view.pixelStride);
  for (let p = 0; p < view.pixels; p++) body.set(bits.subarray(p * view.channels, (p + 1) * view.channels), p * view.pixelStride);
}

function readNhwcBits(env: KernelEnv, view: StridedView): Int32Array {
  const body = env.arena.i32(view.ptr, view.pixels * view.pixelStride);
  const out = new Int32Array(view.pixels * view.channels);
  for (let p = 0; p < view.pixels; p++) out.set(body.subarray(p * view.pixelStride, p * view.pixelStride + view.channels), p * view.channels);
  return out;
}

function valueIndices(view: StridedView): number[] {
  const out: number[] = [];
  for (let p = 0; p < view.pixels; p++) for (let c = 0; c < view.channels; c++) out.push(p * view.pixelStride + c);
  return out;
}

function expectSameBits(got: Int32Array, expected: Int32Array, label: string): void {
  const bad = got.findIndex((v, i) => v !== expected[i]);
  const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;
  expect(bad, `${label}: first mismatch at [${bad}]: got ${hex(got[bad])}, expected ${hex(expected[bad])}`).toBe(-1);
}

function channelRanges(channels: number, cuts: number[] = []): [number, number][] {
  const points = [...new Set([0, ...cuts.filter((c) => c > 0 && c < channels), channels])].sort((a, b) => a - b);
  return points.slice(1).map((end, i) => [points[i], end]);
}

function runNchwToNhwc(env: KernelEnv, c: LayoutCase): void {
  const { arena } = env;
  const k = layoutKernels(env.exports);
  const mark = arena.mark();
  try {
    const { channels, height, width } = c;
    const pixels = height * width;
    const bits = randomBits(channels * pixels, channels * 7 + height * 3 + width);
    const expected = nchwToNhwcReference(bits, channels, height, width);
    const input = new Guarded(arena, channels * pixels);
    arena.i32(input.ptr, bits.length).set(bits);
    const planeBytes = pixels * 4;
    for (const ranges of [channelRanges(channels), channelRanges(channels, c.cuts)]) {
      const label = `nchw→nhwc ${c.name} (${ranges.length} channel range${ranges.length > 1 ? 's' : ''})`;
      const out = new StridedView(arena, pixels, channels, channels + (c.nhwcExtra ?? 0));
      for (const [c0, c1] of ranges) {
        k.f32_nchw_to_nhwc(input.ptr + c0 * planeBytes, c1 - c0, height, width, out.ptr + c0 * 4, out.pixelStrideBytes);
      }
      assertNoStrayWrites(input, label);
      assertNoStrayWrites(out, label);
      expect(out.block.untouched(valueIndices(out)), `${label}: outputs never written`).toEqual([]);
      expectSameBits(readNhwcBits(env, out), expected, label);
    }
  } finally {
    arena.release(mark);
  }
}

function runNhwcToNchw(env: KernelEnv, c: LayoutCase): void {
  const { arena } = env;
  const k = layoutKernels(env.exports);
  const mark = arena.mark();
  try {
    const { channels, height, width } = c;
    const pixels = height * width;
    const bits = randomBits(channels * pixels, channels * 5 + height * 11 + width);
    const expected = nhwcToNchwReference(bits, channels, height, width);
    const input = new StridedView(arena, pixels, channels, channels + (c.nhwcExtra ?? 0));
    writeNhwcBits(env, input, bits);
    const planeBytes = pixels * 4;
    for (const ranges of [channelRanges(channels), channelRanges(channels, c.cuts)]) {
      const label = `nhwc→nchw ${c.name} (${ranges.length} channel range${ranges.length > 1 ? 's' : ''})`;
      const out = new Guarded(arena, channels * pixels);
      for (const [c0, c1] of ranges) {
        k.f32_nhwc_to_nchw(input.ptr + c0 * 4, input.pixelStrideBytes, c1 - c0, height, width, out.ptr + c0 * planeBytes);
      }
      assertNoStrayWrites(input, label);
      assertNoStrayWrites(out, label);
      expect(out.untouched(), `${label}: outputs never written`).toEqual([]);
      expectSameBits(new Int32Array(arena.i32(out.ptr, channels * pixels)), expected, label);
    }
  } finally {
    arena.release(mark);
  }
}

for (const build of BUILDS) {
  describe(`layout kernels (${build})`, () => {
    let env: KernelEnv;
    beforeAll(async () => {
      env = await kernelEnv(build);
    });
    for (const c of CASES) {
      it(`nchw→nhwc ${c.name}`, () => runNchwToNhwc(env, c));
      it(`nhwc→nchw ${c.name}`, () => runNhwcToNchw(env, c));
    }
  });
}
