/**
 * f32_nchw_to_nhwc and f32_nhwc_to_nchw against test/reference/layout.ts, for every build.
 * Tolerance: none — a layout change copies bits, so every output is compared as a 32-bit pattern
 * (the inputs hold a signalling NaN with payload, −0, a subnormal and ±∞ besides random values).
 * Every conversion also runs split into channel ranges at awkward cuts, as threads would run it.
 */
import { it } from 'vitest';
import { layoutKernels } from '../../src/bindings/kernels/layout.js';
import { assertKernelOutput, forEachBuild, Guarded, randomArray, seededRandom, StridedView, type KernelEnv } from '../helpers/kernel-env.js';
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
  const { int } = seededRandom(seed);
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
  const { next } = seededRandom(seed + 1);
  for (const special of SPECIAL_BITS) bits[Math.floor(next() * count)] = special | 0;
  return bits;
}

/** The same bits as f32 (StridedView and Guarded copy bit patterns; the comparison is bitwise). */
const asF32 = (bits: Int32Array) => new Float32Array(bits.buffer, bits.byteOffset, bits.length);

function channelRanges(channels: number, cuts: number[] = []): [number, number][] {
  const points = [...new Set([0, ...cuts.filter((c) => c > 0 && c < channels), channels])].sort((a, b) => a - b);
  return points.slice(1).map((end, i) => [points[i], end]);
}

/** Runs a conversion whole and split at the case's channel cuts: `run(ranges, label)` makes the calls into a fresh output and checks it. */
function runSplits(direction: string, c: LayoutCase, run: (ranges: [number, number][], label: string) => void): void {
  for (const ranges of [channelRanges(c.channels), channelRanges(c.channels, c.cuts)]) {
    run(ranges, `${direction} ${c.name} (${ranges.length} channel range${ranges.length > 1 ? 's' : ''})`);
  }
}

function runNchwToNhwc(env: KernelEnv, c: LayoutCase): void {
  const { arena } = env;
  const k = layoutKernels(env.exports);
  const { channels, height, width } = c;
  const pixels = height * width;
  const bits = randomBits(channels * pixels, channels * 7 + height * 3 + width);
  const expected = asF32(nchwToNhwcReference(bits, channels, height, width));
  const input = new Guarded(arena, channels * pixels, asF32(bits));
  const planeBytes = pixels * 4;
  runSplits('nchw→nhwc', c, (ranges, label) => {
    const out = new StridedView(arena, pixels, channels, channels + (c.nhwcExtra ?? 0));
    for (const [c0, c1] of ranges) {
      k.f32_nchw_to_nhwc(input.ptr + c0 * planeBytes, c1 - c0, height, width, out.ptr + c0 * 4, out.pixelStrideBytes);
    }
    assertKernelOutput(out, expected, label, { inputs: [input] });
  });
}

function runNhwcToNchw(env: KernelEnv, c: LayoutCase): void {
  const { arena } = env;
  const k = layoutKernels(env.exports);
  const { channels, height, width } = c;
  const pixels = height * width;
  const bits = randomBits(channels * pixels, channels * 5 + height * 11 + width);
  const expected = asF32(nhwcToNchwReference(bits, channels, height, width));
  const input = new StridedView(arena, pixels, channels, channels + (c.nhwcExtra ?? 0), asF32(bits));
  const planeBytes = pixels * 4;
  runSplits('nhwc→nchw', c, (ranges, label) => {
    const out = new Guarded(arena, channels * pixels);
    for (const [c0, c1] of ranges) {
      k.f32_nhwc_to_nchw(input.ptr + c0 * 4, input.pixelStrideBytes, c1 - c0, height, width, out.ptr + c0 * planeBytes);
    }
    assertKernelOutput(out, expected, label, { inputs: [input] });
  });
}

forEachBuild('layout kernels (%s)', (env) => {
  for (const c of CASES) {
    it(`nchw→nhwc ${c.name}`, () => runNchwToNhwc(env, c));
    it(`nhwc→nchw ${c.name}`, () => runNhwcToNchw(env, c));
  }
});
