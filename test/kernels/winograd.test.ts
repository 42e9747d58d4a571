/**
 * Winograd convolution against the float64 direct convolution reference (test/reference/conv.ts),
 * for each build, driven by the engine's own task runner (runTask):
 *  - 2-D F(2×2, 3×3), F(4×4, 3×3) and F(6×6, 3×3): f32_winograd_pack, f32_winograd_input_3x3,
 *    16 / 36 / 64 × f32_gemm, f32_winograd_output_3x3 (a WinogradStep), every 3×3 case with all
 *    three tiles;
 *  - 1-D F(6, 7), F(4, 7) and F(4, 3) for 1×7/7×1 and 1×3/3×1: f32_winograd_pack,
 *    f32_winograd_input_1d, α × f32_gemm, f32_winograd_output_1d (a Winograd1dStep), lines along W
 *    and along H, every 1×7/7×1 case with both tiles.
 * Grid: odd output sizes (partial last tile), maps smaller than a tile and windows wider than the
 * line, SAME / VALID / asymmetric pads, C < 4 (the one-lane paths) and C % 4 ≠ 0 (the overlapping
 * last vector), batch 2, input pixel stride > C (NaN guards in the gap — a read of it poisons the
 * result), output written as a channel slice of a wider map (guards in the gap catch stray
 * writes), ReLU / two-sided clamp, BatchNorm folded at packing (OIHW weights), random
 * shapes from fixed seeds. Each case runs as one task per image and split into one line (tile
 * row) × one panel per task: the two must agree bit for bit (what makes thread counts bit-identical).
 *
 * Tolerance, two checks. (1) Per element: every intermediate the algorithm computes (transformed
 * inputs Bᵀ d B, weights G w Gᵀ, their products summed over Cin, the output transform) is bounded
 * by its part of T = |b| + |Aᵀ|[Σ_c (|G||w_c||G|ᵀ) ⊙ (|Bᵀ||d_c||Bᵀ|ᵀ)]|Aᵀ|ᵀ, the sum of the
 * magnitudes of the terms that output adds up, computed in float64 from this case's own inputs
 * and folded weights (winogradAbsTerms). Each rounding moves an output by at most u·T, so to first
 * order |got − ref| ≤ (Cin + 2(α_h + α_w) + 3)·u·T: Cin for the GEMM sum, α per pass of each
 * transform (two passes each, α = 1 along the unit axis of a 1-D conv), 3 for the rounding of
 * the packed weights and the bias and of the reference. Measured errors stay below 5% of it; a
 * bound from worst-case gains instead (|x|, |w| ≤ 1) exceeds typical outputs (~1) for F(4×4) and
 * F(6×6) and let a tap or bias index error through, while this one is ~1e-4 to 1e-2 of them
 * (~0.1 for the F(6×6) C 64 case, where T is largest). (2) The relative RMS error must stay below
 * 1e-5 (measured ~1e-7 to 1e-6): the sharper check where T is large, and it sees a fault that
 * moves many outputs each by less than their bound. Both were checked against injected index errors (one weight tap swapped in
 * the reference, the bias read one channel off): each caught every case the fault changed.
 */
import { describe, expect, it } from 'vitest';
import { runTask } from '../../src/bindings/interpreter.js';
import { asKernels, type View, type Winograd1dStep, type WinogradStep } from '../../src/bindings/program.js';
import { stepScratch } from '../../src/bindings/scratch.js';
import {
  WINOGRAD_1D_TILES, WINOGRAD_2X2_G, winograd1dMatrices, winograd1dTile, winogradBlockFloats, winogradMatrixStrideBytes, winogradPackedFloats,
  winogradScratchBytes,
} from '../../src/bindings/kernels/winograd.js';
import { resolveWindow, type Padding } from '../../src/graph/geometry.js';
import {
  assertBitwiseEqual, assertKernelOutput, forEachBuild, randomArray, seededRandom, StridedView, type KernelEnv,
} from '../helpers/kernel-env.js';
import { convNhwcReference } from '../reference/conv.js';

interface WinogradCase {
  name: string;
  /** Kernel [kh, kw]: [3, 3] (2-D) or 1×r / r×1 (1-D F(m, 7), F(4, 3)); default 3×3. */
  kernel?: [number, number];
  /** 3×3: output tile side, 2 = F(2×2, 3×3), 4 = F(4×4, 3×3), 6 = F(6×6, 3×3); 1-D: outputs per tile m (default 4). */
  tile?: 2 | 4 | 6;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  padding: Padding;
  batch?: number;
  /** Extra floats per input pixel (NaN guards). */
  inExtra?: number;
  /** Extra floats per output pixel (the output is a slice of a wider map). */
  outExtra?: number;
  lo?: number;
  hi?: number;
  bias?: boolean;
  bn?: boolean;
}

const CASES_3X3: WinogradCase[] = [
  { name: 'SAME 6x7 C 8→8', inH: 6, inW: 7, inC: 8, outC: 8, padding: 'same', bias: true },
  { name: 'VALID 5x5 (odd 3x3 out) C 5→3', inH: 5, inW: 5, inC: 5, outC: 3, padding: 'valid', bias: true },
  { name: 'pads(0,1,2,1) 7x6 C 3→17 ReLU', inH: 7, inW: 6, inC: 3, outC: 17, padding: { top: 0, left: 1, bottom: 2, right: 1 }, lo: 0, bias: true },
  { name: 'SAME 9x9 C 12→20 batch 2, in stride +3, out slice +9, BN', inH: 9, inW: 9, inC: 12, outC: 20, padding: 'same', batch: 2, inExtra: 3, outExtra: 9, lo: 0, bias: true, bn: true },
  { name: 'SAME 1x1 C 4→8', inH: 1, inW: 1, inC: 4, outC: 8, padding: 'same' },
  { name: 'SAME 2x3 C 1→2 clamp', inH: 2, inW: 3, inC: 1, outC: 2, padding: 'same', lo: -0.3, hi: 0.4, bias: true },
  { name: 'SAME 17x17 C 32→40 BN', inH: 17, inW: 17, inC: 32, outC: 40, padding: 'same', bn: true },
  { name: 'pads(2,0,0,2) 8x11 C 19→33 out slice +3', inH: 8, inW: 11, inC: 19, outC: 33, padding: { top: 2, left: 0, bottom: 0, right: 2 }, outExtra: 3, bias: true },
  { name: 'SAME 12x13 (only the last patch row/column of the last F(6x6) tile in the pad) C 6→10', inH: 12, inW: 13, inC: 6, outC: 10, padding: 'same', bias: true },
  { name: 'SAME 8x8 C 64→72 ReLU (late-map shape, panel split)', inH: 8, inW: 8, inC: 64, outC: 72, padding: 'same', lo: 0, bias: true },
  ...randomCases(8, 0x3a3),
];

const CASES_1D: WinogradCase[] = [
  // 1-D: F(6, 7) and F(4, 7) for 1×7 / 7×1, F(4, 3) for 1×3 / 3×1, lines along W or H.
  { name: '1x7 SAME 17x17 C 12→20 bias', kernel: [1, 7], inH: 17, inW: 17, inC: 12, outC: 20, padding: 'same', bias: true },
  { name: '7x1 SAME 17x17 C 12→20 ReLU', kernel: [7, 1], inH: 17, inW: 17, inC: 12, outC: 20, padding: 'same', lo: 0 },
  { name: '1x7 VALID 3x9 (odd 3 out) C 5→3', kernel: [1, 7], inH: 3, inW: 9, inC: 5, outC: 3, padding: 'valid', bias: true },
  { name: '7x1 pads(4,0,2,0) 6x5 C 3→9 clamp, batch 2, in +2, out +3', kernel: [7, 1], inH: 6, inW: 5, inC: 3, outC: 9, padding: { top: 4, left: 0, bottom: 2, right: 0 }, lo: -0.2, hi: 0.3, batch: 2, inExtra: 2, outExtra: 3, bias: true },
  { name: '1x7 SAME 2x1 (window wider than the line) C 8→8 BN', kernel: [1, 7], inH: 2, inW: 1, inC: 8, outC: 8, padding: 'same', bn: true },
  { name: '1x3 SAME 8x8 C 64→72 ReLU (panel split)', kernel: [1, 3], inH: 8, inW: 8, inC: 64, outC: 72, padding: 'same', lo: 0, bias: true },
  { name: '3x1 SAME 8x8 C 17→33 BN out +5', kernel: [3, 1], inH: 8, inW: 8, inC: 17, outC: 33, padding: 'same', bn: true, outExtra: 5 },
  { name: '1x3 pads(0,2,0,0) 5x7 C 1→2', kernel: [1, 3], inH: 5, inW: 7, inC: 1, outC: 2, padding: { top: 0, left: 2, bottom: 0, right: 0 }, bias: true },
  { name: '3x1 VALID 9x4 (odd 7 out) C 6→5 batch 2 in +1', kernel: [3, 1], inH: 9, inW: 4, inC: 6, outC: 5, padding: 'valid', batch: 2, inExtra: 1 },
  { name: '1x7 SAME 1x13 (two F(6,7) tiles, last one partial) C 4→8', kernel: [1, 7], inH: 1, inW: 13, inC: 4, outC: 8, padding: 'same', bias: true },
  { name: '1x7 SAME 2x14 (only the last input of the last F(6,7) tile in the pad) C 5→6', kernel: [1, 7], inH: 2, inW: 14, inC: 5, outC: 6, padding: 'same', bias: true },
  { name: '7x1 SAME 18x3 (three full F(6,7) tiles) C 9→16 ReLU out +2', kernel: [7, 1], inH: 18, inW: 3, inC: 9, outC: 16, padding: 'same', lo: 0, outExtra: 2 },
  ...randomCases1d(8, 0x1d1d),
];

const CASES: WinogradCase[] = [
  ...([2, 4, 6] as const).flatMap((tile) => CASES_3X3.map((c) => ({ ...c, tile, name: `F(${tile}x${tile},3x3) ${c.name}` }))),
  ...CASES_1D.flatMap((c) => {
    const r = Math.max(...c.kernel!);
    return WINOGRAD_1D_TILES[r].map((tile) => ({ ...c, tile: tile as 4 | 6, name: `F(${tile},${r}) ${c.name}` }));
  }),
];

function randomCases1d(count: number, seed: number): WinogradCase[] {
  const { int } = seededRandom(seed);
  const out: WinogradCase[] = [];
  while (out.length < count) {
    const r = [3, 7][int(0, 1)];
    const alongW = int(0, 1) === 1;
    const before = int(0, r - 1);
    const after = int(0, r - 1);
    const p = alongW ? { top: 0, left: before, bottom: 0, right: after } : { top: before, left: 0, bottom: after, right: 0 };
    const c: WinogradCase = {
      name: '', kernel: alongW ? [1, r] : [r, 1], padding: p, inH: int(1, 12), inW: int(1, 12), inC: int(1, 20),
      outC: int(1, 20), batch: int(1, 2), inExtra: int(0, 1) * int(1, 4), outExtra: int(0, 1) * int(1, 5),
      lo: int(0, 1) ? 0 : undefined, bias: int(0, 1) === 1, bn: int(0, 1) === 1,
    };
    if ((alongW ? c.inW : c.inH) + before + after < r) continue;
    c.name = `random ${c.kernel![0]}x${c.kernel![1]} ${c.inH}x${c.inW} pads(${p.top},${p.left},${p.bottom},${p.right}) ` +
      `C ${c.inC}→${c.outC} batch ${c.batch} in +${c.inExtra} out +${c.outExtra}${c.lo === 0 ? ' ReLU' : ''}` +
      `${c.bias ? ' bias' : ''}${c.bn ? ' BN' : ''}`;
    out.push(c);
  }
  return out;
}

function randomCases(count: number, seed: number): WinogradCase[] {
  const { int } = seededRandom(seed);
  const out: WinogradCase[] = [];
  for (let i = 0; i < count; i++) {
    const p = { top: int(0, 2), left: int(0, 2), bottom: int(0, 2), right: int(0, 2) };
    const c: WinogradCase = {
      name: '', inH: int(1, 13), inW: int(1, 13), inC: int(1, 24), outC: int(1, 30), padding: p, batch: int(1, 2),
      inExtra: int(0, 1) * int(1, 4), outExtra: int(0, 1) * int(1, 5), lo: int(0, 1) ? 0 : undefined,
      bias: int(0, 1) === 1, bn: int(0, 1) === 1,
    };
    if (c.inH + p.top + p.bottom < 3 || c.inW + p.left + p.right < 3) {
      i--;
      continue;
    }
    c.name = `random ${c.inH}x${c.inW} pads(${p.top},${p.left},${p.bottom},${p.right}) C ${c.inC}→${c.outC} batch ${c.batch} ` +
      `in +${c.inExtra} out +${c.outExtra}${c.lo === 0 ? ' ReLU' : ''}${c.bias ? ' bias' : ''}${c.bn ? ' BN' : ''}`;
    out.push(c);
  }
  return out;
}

const U = 2 ** -24;

function runCase(env: KernelEnv, c: WinogradCase): void {
  const { arena } = env;
  const k = asKernels(env.exports);
  const batch = c.batch ?? 1;
  const [kh, kw] = c.kernel ?? [3, 3];
  const taps = kh * kw;
  const window = { kernelH: kh, kernelW: kw, strideH: 1, strideW: 1, padding: c.padding };
  const { outH, outW, pads } = resolveWindow(c.inH, c.inW, window);
  const seed = c.inH * 1009 + c.inW * 31 + c.inC * 7 + c.outC + kh * 3 + kw;
  const input = randomArray(batch * c.inH * c.inW * c.inC, seed);
  const weight = randomArray(c.outC * c.inC * taps, seed + 1);
  const bias = c.bias ? randomArray(c.outC, seed + 2) : undefined;
  const bn = c.bn
    ? { gamma: randomArray(c.outC, seed + 3), beta: randomArray(c.outC, seed + 4), mean: randomArray(c.outC, seed + 5), var: randomArray(c.outC, seed + 6, 0.5, 1.5), eps: 1e-3 }
    : undefined;

  // The reference sees the folded f64 weights and bias (the fold is part of the packing contract).
  const scale = Float64Array.from({ length: c.outC }, (_, o) => (bn ? bn.gamma[o] / Math.sqrt(bn.var[o] + bn.eps) : 1));
  const refWeight = Float64Array.from(weight, (w, i) => w * scale[Math.floor(i / (c.inC * taps))]);
  const refBias = Float64Array.from({ length: c.outC }, (_, o) =>
    bn ? ((bias?.[o] ?? 0) - bn.mean[o]) * scale[o] + bn.beta[o] : bias?.[o] ?? 0);
  const ref = convNhwcReference({
    input, batch, inH: c.inH, inW: c.inW, inChannels: c.inC, outChannels: c.outC, groups: 1, weight: refWeight,
    bias: refBias, window, lo: c.lo, hi: c.hi,
  });

  const oneD = taps !== 9;
  const r = Math.max(kh, kw);
  const mats = oneD ? winograd1dMatrices(c.tile ?? 4, r) : undefined;
  const tile = (c.tile ?? 2) as 2 | 4 | 6;
  const blocks = mats ? mats.alpha : (tile + 2) ** 2;
  const put = (a?: Float32Array) => (a ? arena.putF32(a) : 0);
  const packed = arena.allocF32(winogradPackedFloats(blocks, c.outC, c.inC));
  const folding = [put(bias), put(bn?.gamma), put(bn?.beta), put(bn?.mean), put(bn?.var), bn?.eps ?? 0] as const;
  const gValues = mats ? mats.g : tile === 2 ? WINOGRAD_2X2_G : winograd1dMatrices(tile, 3).g;
  const g = arena.alloc(gValues.length * 8);
  new Float64Array(arena.memory.buffer, g, gValues.length).set(gValues);
  k.f32_winograd_pack(put(weight), c.outC, c.inC, kh, kw, mats ? mats.alpha : tile + 2, g, ...folding, packed);
  const biasOffset = packed + blocks * winogradBlockFloats(c.outC, c.inC) * 4;

  const inStride = c.inC + (c.inExtra ?? 0);
  const inView = new StridedView(arena, batch * c.inH * c.inW, c.inC, inStride, input);
  const x: View = {
    offset: inView.ptr, batch, height: c.inH, width: c.inW, channels: c.inC, pixelStrideBytes: inStride * 4,
    imageStrideBytes: c.inH * c.inW * inStride * 4,
  };
  const outStride = c.outC + (c.outExtra ?? 0);
  const panels = Math.ceil(c.outC / 8);

  // Per-element error bound (see the header): rounding depth × u × the output's Winograd terms.
  const axis = (k: number) => (k === 1 ? absAxis(1, 1) : absAxis(mats ? mats.m : tile, k));
  const [hAxis, wAxis] = [axis(kh), axis(kw)];
  const terms = winogradAbsTerms({
    input, batch, inH: c.inH, inW: c.inW, inC: c.inC, outC: c.outC, weight: refWeight, bias: refBias, pads, outH, outW, h: hAxis, w: wAxis,
  });
  const depth = c.inC + 2 * (hAxis.alpha + wAxis.alpha) + 3;
  const elementBound = Float64Array.from(terms, (t) => depth * U * t);
  const largestBound = elementBound.reduce((a, b) => Math.max(a, b), 0);
  const alongW = kh === 1;
  const lines = mats ? (alongW ? outH : outW) : Math.ceil(outH / tile);
  const results = ([[lines, panels], [1, 1]] as const).map(([linesPerTask, panelsPerTask]) => {
    const outView = new StridedView(arena, batch * outH * outW, c.outC, outStride);
    const out: View = {
      offset: outView.ptr, batch, height: outH, width: outW, channels: c.outC, pixelStrideBytes: outStride * 4,
      imageStrideBytes: outH * outW * outStride * 4,
    };
    const common = {
      name: c.name, input: x, out, clamp: { lo: c.lo ?? -Infinity, hi: c.hi ?? Infinity }, weightsOffset: packed,
      biasOffset, panelsPerTask, tasks: batch * Math.ceil(lines / linesPerTask) * Math.ceil(panels / panelsPerTask), macs: 0,
    };
    const step: WinogradStep | Winograd1dStep = mats
      ? {
        ...common, kind: 'winograd1d', alpha: mats.alpha, pad: alongW ? pads.left : pads.top,
        inLen: alongW ? c.inW : c.inH, inStepBytes: alongW ? x.pixelStrideBytes : c.inW * x.pixelStrideBytes,
        inLineBytes: alongW ? c.inW * x.pixelStrideBytes : x.pixelStrideBytes, outLen: alongW ? outW : outH,
        outStepBytes: alongW ? out.pixelStrideBytes : outW * out.pixelStrideBytes,
        outLineBytes: alongW ? outW * out.pixelStrideBytes : out.pixelStrideBytes, lines,
        tilesPerLine: Math.ceil((alongW ? outW : outH) / mats.m), linesPerTask,
      }
      : {
        ...common, kind: 'winograd', tile, padTop: pads.top, padLeft: pads.left, outH, outW, tilesH: lines,
        tilesW: Math.ceil(outW / tile), tileRowsPerTask: linesPerTask,
      };
    const { bufferBytes: scratchBytes, gemm: maybeGemm } = stepScratch(step);
    const gemm = maybeGemm!;
    const packBytes = k.f32_gemm_pack_bytes(gemm.rows, gemm.depth);
    const program = {
      steps: [step], scratchOffset: arena.alloc(scratchBytes + packBytes), scratchBytesPerThread: scratchBytes + packBytes,
      gemmPackOffset: scratchBytes, gemmMr: 4,
    };
    for (let t = 0; t < step.tasks; t++) runTask(k, program, step, t, 0);
    const label = `${env.build} ${c.name} (${linesPerTask} lines × ${panelsPerTask} panels per task)`;
    const got = assertKernelOutput(outView, ref.output, label, { inputs: [inView], tol: { abs: largestBound } });
    assertWithinBounds(got, ref.output, elementBound, label);
    assertRmsBelow(got, ref.output, 1e-5, label);
    return got;
  });
  assertBitwiseEqual(results[1], results[0], `${env.build} ${c.name}: split tasks vs one task per image`);
}

/** One axis of a separable Winograd tile, F(m, r), as |Bᵀ|, |G|, |Aᵀ|; a 1-D conv's other axis is F(1, 1) (all [1]). */
interface AbsAxis {
  m: number;
  r: number;
  alpha: number;
  bt: Float64Array;
  g: Float64Array;
  at: Float64Array;
}

function absAxis(m: number, r: number): AbsAxis {
  if (r === 1) return { m: 1, r: 1, alpha: 1, bt: Float64Array.of(1), g: Float64Array.of(1), at: Float64Array.of(1) };
  const w = winograd1dMatrices(m, r);
  const abs = (a: ArrayLike<number>) => Float64Array.from(a, Math.abs);
  return { m, r, alpha: w.alpha, bt: abs(w.bt), g: abs(w.g), at: abs(w.at) };
}

interface AbsTermsParams {
  input: Float32Array;
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  /** Folded weights, OIHW, kh = h.r, kw = w.r. */
  weight: Float64Array;
  bias: Float64Array;
  pads: { top: number; left: number };
  outH: number;
  outW: number;
  h: AbsAxis;
  w: AbsAxis;
}

/**
 * Per output (NHWC), the sum of the magnitudes of every term the Winograd algorithm adds:
 * T = |b| + |Aᵀ|[Σ_c (|G| |w_c| |G|ᵀ) ⊙ (|Bᵀ| |d_c| |Bᵀ|ᵀ)]|Aᵀ|ᵀ, in float64, over the tile and
 * input patch that output belongs to (rows y·m − pad …, zeros outside the map). Every computed
 * intermediate is bounded by its part of T, so each rounding moves an output by at most u·T:
 * the first-order error is ≤ (rounding depth)·u·T. T ≥ Σ|x·w| (the direct sum's terms) and
 * exceeds it by the cancellations the transforms introduce.
 */
function winogradAbsTerms(p: AbsTermsParams): Float64Array {
  const { h, w, inC, outC } = p;
  const a2 = h.alpha * w.alpha;
  const uAbs = new Float64Array(outC * inC * a2);
  for (let oc = 0; oc < outC * inC; oc++) {
    for (let i = 0; i < h.alpha; i++) {
      for (let j = 0; j < w.alpha; j++) {
        let sum = 0;
        for (let y = 0; y < h.r; y++) {
          for (let x = 0; x < w.r; x++) sum += h.g[i * h.r + y] * Math.abs(p.weight[(oc * h.r + y) * w.r + x]) * w.g[j * w.r + x];
        }
        uAbs[oc * a2 + i * w.alpha + j] = sum;
      }
    }
  }
  const out = new Float64Array(p.batch * p.outH * p.outW * outC);
  const vAbs = new Float64Array(inC * a2);
  const mAbs = new Float64Array(a2);
  for (let n = 0; n < p.batch; n++) {
    for (let ty = 0; ty * h.m < p.outH; ty++) {
      for (let tx = 0; tx * w.m < p.outW; tx++) {
        vAbs.fill(0);
        for (let a = 0; a < h.alpha; a++) {
          const iy = ty * h.m - p.pads.top + a;
          if (iy < 0 || iy >= p.inH) continue;
          for (let b = 0; b < w.alpha; b++) {
            const ix = tx * w.m - p.pads.left + b;
            if (ix < 0 || ix >= p.inW) continue;
            for (let c = 0; c < inC; c++) {
              const d = Math.abs(p.input[((n * p.inH + iy) * p.inW + ix) * inC + c]);
              for (let i = 0; i < h.alpha; i++) {
                for (let j = 0; j < w.alpha; j++) vAbs[c * a2 + i * w.alpha + j] += h.bt[i * h.alpha + a] * d * w.bt[j * w.alpha + b];
              }
            }
          }
        }
        for (let o = 0; o < outC; o++) {
          mAbs.fill(0);
          for (let c = 0; c < inC; c++) for (let k = 0; k < a2; k++) mAbs[k] += uAbs[(o * inC + c) * a2 + k] * vAbs[c * a2 + k];
          for (let ky = 0; ky < h.m && ty * h.m + ky < p.outH; ky++) {
            for (let kx = 0; kx < w.m && tx * w.m + kx < p.outW; kx++) {
              let t = Math.abs(p.bias[o]);
              for (let i = 0; i < h.alpha; i++) {
                for (let j = 0; j < w.alpha; j++) t += h.at[ky * h.alpha + i] * w.at[kx * w.alpha + j] * mAbs[i * w.alpha + j];
              }
              out[((n * p.outH + ty * h.m + ky) * p.outW + tx * w.m + kx) * outC + o] = t;
            }
          }
        }
      }
    }
  }
  return out;
}

/** Asserts |got − ref| ≤ bound elementwise, naming the first offender and the count. */
function assertWithinBounds(got: Float32Array, ref: Float32Array, bound: Float64Array, label: string): void {
  let failures = 0;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs(got[i] - ref[i]);
    if (!(diff <= bound[i])) {
      failures++;
      if (first < 0) first = i;
    }
    if (diff > 0) worst = Math.max(worst, diff / bound[i]);
  }
  if (failures > 0) {
    throw new Error(
      `${label}: ${failures}/${ref.length} values off; first at [${first}]: got ${got[first]}, expected ${ref[first]}, ` +
        `bound ${bound[first].toExponential(2)}; worst |error|/bound ${worst.toExponential(2)}`,
    );
  }
}

function assertRmsBelow(got: Float32Array, ref: Float32Array, limit: number, label: string): void {
  let err = 0;
  let mag = 0;
  for (let i = 0; i < ref.length; i++) {
    err += (got[i] - ref[i]) ** 2;
    mag += ref[i] ** 2;
  }
  const rel = Math.sqrt(err / Math.max(mag, 1e-30));
  if (!(rel <= limit)) throw new Error(`${label}: relative RMS error ${rel.toExponential(2)} > ${limit}`);
}

forEachBuild('Winograd F(2x2,3x3) conv (%s build)', (env) => {
  it.each(CASES)('$name', (c) => runCase(env, c));
});

describe('winograd1dTile', () => {
  it('takes the tile with the fewest GEMM rows × matrices per line, the smaller one on ties', () => {
    const cost = (r: number, m: number, len: number) => Math.ceil(len / m) * (m + r - 1);
    for (let len = 1; len <= 40; len++) {
      const m = winograd1dTile(7, len)!;
      const other = m === 4 ? 6 : 4;
      expect(cost(7, m, len)).toBeLessThanOrEqual(cost(7, other, len));
      if (m === 6) expect(cost(7, 6, len)).toBeLessThan(cost(7, 4, len));
      expect(winograd1dTile(3, len)).toBe(4);
    }
    expect(winograd1dTile(7, 17)).toBe(6); // the 17×17 maps of Inception-v3/v4/ResNet-v2: 36 instead of 50
    expect(winograd1dTile(7, 8)).toBe(4); // 2 × 10 = 20 < 2 × 12
    expect(winograd1dTile(7, 4)).toBe(4);
    expect(winograd1dTile(5, 17)).toBeUndefined();
  });
});

describe('winogradMatrixStrideBytes', () => {
  it('is the matrix rounded up to an odd number of 64-byte lines, so the α² stores of one tile fall in α² different L1 sets', () => {
    for (const [tiles, channels] of [[56, 128], [56, 64], [42, 64], [32, 32], [1, 1], [49, 96], [81, 192], [16, 256]]) {
      const bytes = tiles * channels * 4;
      const stride = winogradMatrixStrideBytes(tiles, channels);
      expect(stride % 64).toBe(0);
      expect((stride / 64) % 2).toBe(1);
      expect(stride).toBeGreaterThanOrEqual(bytes);
      expect(stride - bytes).toBeLessThan(128);
      const sets = new Set(Array.from({ length: 36 }, (_, xi) => ((xi * stride) / 64) % 64));
      expect(sets.size).toBe(36);
    }
    expect(winogradScratchBytes(56, 128, 192, 36)).toBe(36 * (winogradMatrixStrideBytes(56, 128) + winogradMatrixStrideBytes(56, 192)));
  });
});
