/**
 * f32_dwconv_nhwc against convNhwcReference (groups = Cin, OIHW weights converted by
 * depthwiseWeightsFromTorch), for every build.
 *
 * Tolerance per output: (n + 2)·2⁻²⁴·(|bias| + Σ|x·w|), n = taps + 1 summed terms. An f32 dot
 * product of n terms (each product rounded, each add rounded; a fused multiply-add only removes
 * roundings) is within γ_n·Σ|terms| ≈ n·u·Σ|terms| of the exact sum (Higham, Accuracy and
 * Stability, §3.1); the reference's one rounding to f32 adds u·|result| ≤ u·Σ|terms|; the clamp
 * is 1-Lipschitz. Checked against the case's largest Σ|terms|.
 */
import { describe, expect, it } from 'vitest';
import { convKernels, depthwiseWeightsFromTorch } from '../../src/bindings/kernels/conv.js';
import { pads, resolveWindow, type Padding, type Pads, type Window2d } from '../../src/graph/geometry.js';
import { assertWholeAndSplit, forEachBuild, randomArray, seededRandom, StridedView, type KernelEnv } from '../helpers/kernel-env.js';
import { convNhwcReference } from '../reference/conv.js';

const U = 2 ** -24;

interface DwconvCase {
  name: string;
  inH: number;
  inW: number;
  inChannels: number;
  multiplier: number;
  window: Window2d;
  bias: boolean;
  lo?: number;
  hi?: number;
  batch?: number;
  /** Extra floats per input / output pixel (the gaps hold guard NaNs). */
  inExtra?: number;
  outExtra?: number;
}

function win(k: [number, number], s: [number, number], padding: Padding): Window2d {
  return { kernelH: k[0], kernelW: k[1], strideH: s[0], strideW: s[1], padding };
}

const asym = (top: number, left: number, bottom: number, right: number): Pads => ({ top, left, bottom, right });

const CASES: DwconvCase[] = [
  { name: 'stem 7x7 s2 SAME pads(2,2,3,3) 3→24 mult 8 bias ReLU 16x16', inH: 16, inW: 16, inChannels: 3, multiplier: 8, window: win([7, 7], [2, 2], 'same'), bias: true, lo: 0 },
  { name: 'stem 7x7 s2 SAME pads(3,3,3,3) 3→24 mult 8 15x15 out stride 40 batch 2', inH: 15, inW: 15, inChannels: 3, multiplier: 8, window: win([7, 7], [2, 2], 'same'), bias: true, batch: 2, outExtra: 16 },
  { name: 'stem 7x7 s2 pads(3) mult 8 no bias in stride 4 13x11', inH: 13, inW: 11, inChannels: 3, multiplier: 8, window: win([7, 7], [2, 2], pads(3)), bias: false, inExtra: 1 },
  { name: 'mult 1 3x3 s1 pads(1) C=17 bias in stride 20 out stride 21', inH: 7, inW: 6, inChannels: 17, multiplier: 1, window: win([3, 3], [1, 1], pads(1)), bias: true, inExtra: 3, outExtra: 4 },
  { name: 'mult 1 3x3 s2 SAME pads(0,0,1,1) C=5 no bias 10x10', inH: 10, inW: 10, inChannels: 5, multiplier: 1, window: win([3, 3], [2, 2], 'same'), bias: false },
  { name: 'mult 1 3x3 s2 pads(1,0,2,1) C=32 bias ReLU6 9x8', inH: 9, inW: 8, inChannels: 32, multiplier: 1, window: win([3, 3], [2, 2], asym(1, 0, 2, 1)), bias: true, lo: 0, hi: 6 },
  { name: 'mult 1 1x1 s2 C=4 bias 5x5', inH: 5, inW: 5, inChannels: 4, multiplier: 1, window: win([1, 1], [2, 2], 'valid'), bias: true },
  { name: 'mult 1 3x3 pads(1) C=1 image 2x2', inH: 2, inW: 2, inChannels: 1, multiplier: 1, window: win([3, 3], [1, 1], pads(1)), bias: true },
  { name: 'mult 2 5x5 s2 pads(1,2,2,1) C=5 (gather, tail 2) bias', inH: 9, inW: 10, inChannels: 5, multiplier: 2, window: win([5, 5], [2, 2], asym(1, 2, 2, 1)), bias: true, inExtra: 2 },
  { name: 'mult 3 3x3 pads(1) C=3 clamp [-0.25, 0.5] out stride 11', inH: 5, inW: 6, inChannels: 3, multiplier: 3, window: win([3, 3], [1, 1], pads(1)), bias: true, lo: -0.25, hi: 0.5, outExtra: 2 },
  { name: 'mult 4 1x7 pads(0,3) C=1 batch 2', inH: 4, inW: 9, inChannels: 1, multiplier: 4, window: win([1, 7], [1, 1], pads(0, 3)), bias: false, batch: 2 },
  { name: 'mult 4 3x3 s2 pads(1) C=6 → 24 (splat 16 + 8) bias out stride 26', inH: 7, inW: 8, inChannels: 6, multiplier: 4, window: win([3, 3], [2, 2], pads(1)), bias: true, outExtra: 2 },
  { name: 'mult 4 3x3 pads(0,1,2,1) C=5 → 20 (splat 16 + 4)', inH: 5, inW: 6, inChannels: 5, multiplier: 4, window: win([3, 3], [1, 1], asym(0, 1, 2, 1)), bias: false, inExtra: 1 },
  { name: 'mult 8 7x1 pads(3,0) C=2 bias', inH: 9, inW: 3, inChannels: 2, multiplier: 8, window: win([7, 1], [1, 1], pads(3, 0)), bias: true },
  { name: 'mult 1 5x5 s1 pads(2) C=23 batch 2 in/out strided', inH: 6, inW: 5, inChannels: 23, multiplier: 1, window: win([5, 5], [1, 1], pads(2)), bias: true, batch: 2, inExtra: 1, outExtra: 3 },
  ...randomCases(10, 0xd1ce),
];

function randomCases(count: number, seed: number): DwconvCase[] {
  const { next, int } = seededRandom(seed);
  const cases: DwconvCase[] = [];
  while (cases.length < count) {
    const kh = [1, 3, 5, 7][int(0, 3)];
    const kw = [1, 3, 5, 7][int(0, 3)];
    const p = asym(int(0, kh - 1), int(0, kw - 1), int(0, kh - 1), int(0, kw - 1));
    const c: DwconvCase = {
      name: '',
      inH: int(1, 12), inW: int(1, 12), inChannels: int(1, 20), multiplier: [1, 1, 2, 3, 4, 8][int(0, 5)],
      window: win([kh, kw], [int(1, 2), int(1, 2)], p), bias: next() < 0.5,
      batch: int(1, 2), inExtra: int(0, 3), outExtra: int(0, 3),
    };
    const { outH, outW } = resolveWindow(c.inH, c.inW, c.window);
    if (outH === 0 || outW === 0) continue;
    const w = c.window;
    c.name = `random mult ${c.multiplier} ${kh}x${kw} s(${w.strideH},${w.strideW}) pads(${p.top},${p.left},${p.bottom},${p.right}) ` +
      `C=${c.inChannels} ${c.inH}x${c.inW} ${c.bias ? 'bias' : 'no bias'} strides +${c.inExtra}/+${c.outExtra} batch ${c.batch}`;
    cases.push(c);
  }
  return cases;
}

function runCase(env: KernelEnv, c: DwconvCase): void {
  const { arena } = env;
  const k = convKernels(env.exports);
  const batch = c.batch ?? 1;
  const { inH, inW, inChannels, multiplier, window: w } = c;
  const outChannels = inChannels * multiplier;
  const { outH, outW, pads: p } = resolveWindow(inH, inW, w);
  const inStride = inChannels + (c.inExtra ?? 0);
  const outStride = outChannels + (c.outExtra ?? 0);
  const seed = inH * 1009 + inChannels * 17 + multiplier;
  const input = randomArray(batch * inH * inW * inChannels, seed);
  const weightOihw = randomArray(outChannels * w.kernelH * w.kernelW, seed + 1);
  const bias = c.bias ? randomArray(outChannels, seed + 2) : undefined;
  const lo = c.lo ?? -Infinity;
  const hi = c.hi ?? Infinity;
  const ref = convNhwcReference({
    input, batch, inH, inW, inChannels, outChannels, groups: inChannels, weight: weightOihw, bias, window: w, lo, hi,
  });
  const tol = { abs: (ref.terms + 2) * U * ref.absSum.reduce((m, v) => Math.max(m, v), 0) };

  const inView = new StridedView(arena, batch * inH * inW, inChannels, inStride, input);
  const wPtr = arena.putF32(depthwiseWeightsFromTorch(weightOihw, inChannels, multiplier, w.kernelH, w.kernelW));
  const biasPtr = bias ? arena.putF32(bias) : 0;
  const blocks = [[0, outH], [0, Math.floor(outH / 2)], [Math.floor(outH / 2), outH - 1], [outH - 1, outH]];
  const whole = new StridedView(arena, batch * outH * outW, outChannels, outStride);
  const split = new StridedView(arena, batch * outH * outW, outChannels, outStride);
  blocks.forEach(([y0, y1], i) => {
    const out = i === 0 ? whole : split;
    for (let n = 0; n < batch; n++) {
      k.f32_dwconv_nhwc(
        inView.ptr + n * inH * inW * inStride * 4, inStride * 4, inH, inW, inChannels, multiplier,
        w.kernelH, w.kernelW, w.strideH, w.strideW, p.top, p.left, outW, y0, y1,
        wPtr, biasPtr, out.ptr + n * outH * outW * outStride * 4, outStride * 4, lo, hi,
      );
    }
  });
  assertWholeAndSplit(c.name, 'row blocks', whole, split, ref.output, tol);
}

forEachBuild('f32_dwconv_nhwc (%s build)', (env) => {
  it.each(CASES)('$name', (c) => runCase(env, c));
});

describe('depthwise weight layouts', () => {
  const inChannels = 3;
  const multiplier = 8;
  const kh = 7;
  const kw = 5;
  const oihw = randomArray(inChannels * multiplier * kh * kw, 77);

  it('PyTorch [Cin·m][1][kh][kw] → [kh][kw][Cin·m]', () => {
    const packed = depthwiseWeightsFromTorch(oihw, inChannels, multiplier, kh, kw);
    for (let ky = 0; ky < kh; ky++)
      for (let kx = 0; kx < kw; kx++)
        for (let o = 0; o < inChannels * multiplier; o++)
          expect(packed[(ky * kw + kx) * inChannels * multiplier + o]).toBe(oihw[(o * kh + ky) * kw + kx]);
  });

  it('a weight of the wrong size is refused', () => {
    expect(() => depthwiseWeightsFromTorch(oihw.subarray(1), inChannels, multiplier, kh, kw)).toThrow(/depthwise weight/);
  });
});

describe('convNhwcReference (hand-computed)', () => {
  const ones3x3 = { kernelH: 3, kernelW: 3, strideH: 1, strideW: 1 };

  it('correlates (no kernel flip): a centred impulse returns the kernel reversed', () => {
    const input = [0, 0, 0, 0, 1, 0, 0, 0, 0];
    const weight = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const r = convNhwcReference({ input, batch: 1, inH: 3, inW: 3, inChannels: 1, outChannels: 1, groups: 1, weight, window: { ...ones3x3, padding: pads(1) } });
    expect(Array.from(r.output)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('groups = 1 sums over input channels, adds the bias, clamps', () => {
    // One pixel, Cin 2 = [1, 2]; 1x1 weights o0 = [3, 4], o1 = [-5, -6]; bias [0.5, 0.5]; ReLU.
    const r = convNhwcReference({
      input: [1, 2], batch: 1, inH: 1, inW: 1, inChannels: 2, outChannels: 2, groups: 1,
      weight: [3, 4, -5, -6], bias: [0.5, 0.5], window: { kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padding: 'valid' }, lo: 0,
    });
    expect(Array.from(r.output)).toEqual([11.5, 0]);
    expect(r.terms).toBe(3);
  });

  it('depthwise multiplier 2: output channel ci·2 + j reads input channel ci', () => {
    // One pixel, Cin 2 = [10, 100]; 1x1 weights per output channel [1, 2, 3, 4].
    const r = convNhwcReference({
      input: [10, 100], batch: 1, inH: 1, inW: 1, inChannels: 2, outChannels: 4, groups: 2,
      weight: [1, 2, 3, 4], window: { kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padding: 'valid' },
    });
    expect(Array.from(r.output)).toEqual([10, 20, 300, 400]);
  });
});
