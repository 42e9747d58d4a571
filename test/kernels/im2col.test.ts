/**
 * f32_im2col_nhwc against im2colNhwcReference, for every build. Tolerance: exact (bitwise) — the
 * kernel only copies floats and writes +0 for padding.
 */
import { it } from 'vitest';
import { convKernels } from '../../src/bindings/kernels/conv.js';
import { pads, resolveWindow, type Padding, type Window2d } from '../../src/graph/geometry.js';
import { assertWholeAndSplit, forEachBuild, randomArray, seededRandom, StridedView, type KernelEnv } from '../helpers/kernel-env.js';
import { im2colNhwcReference } from '../reference/conv.js';

interface Im2colCase {
  name: string;
  inH: number;
  inW: number;
  channels: number;
  window: Window2d;
  batch?: number;
  /** Extra floats per input pixel (pixel stride = channels + inExtra; the gap holds guard NaNs). */
  inExtra?: number;
  /** Extra floats per dst row (row stride = K + rowExtra). */
  rowExtra?: number;
}

function win(k: [number, number], s: [number, number], padding: Padding): Window2d {
  return { kernelH: k[0], kernelW: k[1], strideH: s[0], strideW: s[1], padding };
}

const CASES: Im2colCase[] = [
  { name: 'stem 7x7 s2 SAME pads(2,2,3,3) C=3 dense 16x16', inH: 16, inW: 16, channels: 3, window: win([7, 7], [2, 2], 'same') },
  { name: 'stem 7x7 s2 pads(3) C=3 dense 15x17 batch 2', inH: 15, inW: 17, channels: 3, window: win([7, 7], [2, 2], pads(3)), batch: 2 },
  { name: 'stem 7x7 s2 pads(3) C=3 in stride 4, rows +5', inH: 11, inW: 9, channels: 3, window: win([7, 7], [2, 2], pads(3)), inExtra: 1, rowExtra: 5 },
  { name: '1x1 s2 C=17 in stride 20 9x9', inH: 9, inW: 9, channels: 17, window: win([1, 1], [2, 2], 'valid'), inExtra: 3 },
  { name: '1x1 s2 C=32 dense 8x8 batch 2 rows +4', inH: 8, inW: 8, channels: 32, window: win([1, 1], [2, 2], 'valid'), batch: 2, rowExtra: 4 },
  { name: '3x3 s1 pads(1) C=5 in stride 7 rows +3', inH: 6, inW: 7, channels: 5, window: win([3, 3], [1, 1], pads(1)), inExtra: 2, rowExtra: 3 },
  { name: '3x3 s1 pads(1) C=1 dense 5x4', inH: 5, inW: 4, channels: 1, window: win([3, 3], [1, 1], pads(1)) },
  { name: '3x3 s2 VALID C=32 dense 17x17', inH: 17, inW: 17, channels: 32, window: win([3, 3], [2, 2], 'valid') },
  { name: '3x3 s2 SAME pads(0,0,1,1) C=17 dense 14x14', inH: 14, inW: 14, channels: 17, window: win([3, 3], [2, 2], 'same') },
  { name: '3x3 s2 pads(1,0,2,1) C=5 in stride 8', inH: 9, inW: 8, channels: 5, window: win([3, 3], [2, 2], { top: 1, left: 0, bottom: 2, right: 1 }), inExtra: 3 },
  { name: '5x5 s1 pads(2) C=1 dense 7x6', inH: 7, inW: 6, channels: 1, window: win([5, 5], [1, 1], pads(2)) },
  { name: '5x5 s1 pads(2) C=48 in stride 52 6x6', inH: 6, inW: 6, channels: 48, window: win([5, 5], [1, 1], pads(2)), inExtra: 4 },
  { name: '7x7 s1 pads(3) C=4 dense 9x9', inH: 9, inW: 9, channels: 4, window: win([7, 7], [1, 1], pads(3)) },
  { name: '1x7 s1 pads(0,3) C=17 in stride 19 8x8', inH: 8, inW: 8, channels: 17, window: win([1, 7], [1, 1], pads(0, 3)), inExtra: 2 },
  { name: '7x1 s1 pads(3,0) C=5 dense 8x5', inH: 8, inW: 5, channels: 5, window: win([7, 1], [1, 1], pads(3, 0)) },
  { name: '1x3 s1 pads(0,1) C=3 in stride 5 4x6', inH: 4, inW: 6, channels: 3, window: win([1, 3], [1, 1], pads(0, 1)), inExtra: 2 },
  { name: '3x1 s1 pads(1,0) C=3 dense 6x4', inH: 6, inW: 4, channels: 3, window: win([3, 1], [1, 1], pads(1, 0)) },
  { name: '3x3 s(1,2) pads(1) C=7 dense 6x9', inH: 6, inW: 9, channels: 7, window: win([3, 3], [1, 2], pads(1)) },
  { name: '5x5 s1 pads(2) C=3 kernel wider than image 3x2', inH: 3, inW: 2, channels: 3, window: win([5, 5], [1, 1], pads(2)) },
  ...randomCases(12, 0x1c01),
];

/** Random shapes from a fixed seed: kernels 1/3/5/7 per axis, strides 1/2, pads 0..k−1 per side. */
function randomCases(count: number, seed: number): Im2colCase[] {
  const { int } = seededRandom(seed);
  const cases: Im2colCase[] = [];
  while (cases.length < count) {
    const kh = [1, 3, 5, 7][int(0, 3)];
    const kw = [1, 3, 5, 7][int(0, 3)];
    const p = { top: int(0, kh - 1), left: int(0, kw - 1), bottom: int(0, kh - 1), right: int(0, kw - 1) };
    const c: Im2colCase = {
      name: '',
      inH: int(1, 13), inW: int(1, 13), channels: int(1, 40),
      window: win([kh, kw], [int(1, 2), int(1, 2)], p),
      batch: int(1, 2), inExtra: int(0, 1) * int(1, 5), rowExtra: int(0, 4),
    };
    const { outH, outW } = resolveWindow(c.inH, c.inW, c.window);
    if (outH === 0 || outW === 0) continue;
    const w = c.window;
    c.name = `random ${kh}x${kw} s(${w.strideH},${w.strideW}) pads(${p.top},${p.left},${p.bottom},${p.right}) C=${c.channels} ` +
      `${c.inH}x${c.inW} in stride ${c.channels + c.inExtra!} rows +${c.rowExtra} batch ${c.batch}`;
    cases.push(c);
  }
  return cases;
}

function runCase(env: KernelEnv, c: Im2colCase): void {
  const { arena } = env;
  const k = convKernels(env.exports);
  const batch = c.batch ?? 1;
  const { inH, inW, channels, window: w } = c;
  const { outH, outW, pads: p } = resolveWindow(inH, inW, w);
  const K = w.kernelH * w.kernelW * channels;
  const rows = outH * outW;
  const inStride = channels + (c.inExtra ?? 0);
  const rowStride = K + (c.rowExtra ?? 0);
  const input = randomArray(batch * inH * inW * channels, 0x5eed + inH * 31 + channels);
  const inView = new StridedView(arena, batch * inH * inW, channels, inStride, input);
  const expected = new Float32Array(batch * rows * K);
  for (let n = 0; n < batch; n++) {
    const image = input.subarray(n * inH * inW * channels, (n + 1) * inH * inW * channels);
    expected.set(im2colNhwcReference(image, inH, inW, channels, w).rows, n * rows * K);
  }
  // Whole image per call, then the same rows in three blocks [0, a), [a, b), [b, outH).
  const blocks = [[0, outH], [0, Math.floor(outH / 3)], [Math.floor(outH / 3), Math.floor((2 * outH) / 3)], [Math.floor((2 * outH) / 3), outH]];
  const whole = new StridedView(arena, batch * rows, K, rowStride);
  const split = new StridedView(arena, batch * rows, K, rowStride);
  blocks.forEach(([y0, y1], i) => {
    const dst = i === 0 ? whole : split;
    for (let n = 0; n < batch; n++) {
      k.f32_im2col_nhwc(
        inView.ptr + n * inH * inW * inStride * 4, inStride * 4, inH, inW, channels,
        w.kernelH, w.kernelW, w.strideH, w.strideW, p.top, p.left,
        outW, y0, y1, dst.ptr + (n * rows + y0 * outW) * rowStride * 4, rowStride * 4,
      );
    }
  });
  assertWholeAndSplit(c.name, 'row blocks', whole, split, expected);
}

forEachBuild('f32_im2col_nhwc (%s build)', (env) => {
  it.each(CASES)('$name', (c) => runCase(env, c));
});
