/**
 * f32_pack_gemm_weights against the reference fold/packing (test/reference/gemm.ts), for each
 * build: both source layouts, with and without bias / BatchNorm / γ / β, shapes with output
 * channels below, at and above a panel and K from 1 to 75.
 *
 * Tolerance: none — bitwise equality. Kernel and reference evaluate the same float64 expressions
 * in the same order (s = γ/√(var+ε), w·s, (b − mean)·s + β; √ and the basic operations are
 * correctly rounded in both) and round to f32 once, so any difference is a bug.
 */
import { describe, expect, it } from 'vitest';
import { gemmKernels, packedGemmWeightsFloats, WeightLayout } from '../../src/bindings/kernels/gemm.js';
import { BUILDS, Guarded, assertNoStrayWrites, kernelEnv, randomArray, type KernelEnv } from '../helpers/kernel-env.js';
import { gemmRef, gemmWeightsRef, packGemmWeightsRef, type BatchNormParams, type WeightLayoutRef } from '../reference/gemm.js';

type BnKind = 'none' | 'torch' | 'tfNoGamma' | 'noGammaNoBeta';

interface PackCase {
  layout: WeightLayoutRef;
  outChannels: number;
  inChannels: number;
  kernelH: number;
  kernelW: number;
  bias: boolean;
  bn: BnKind;
}

const SHAPES: Array<[number, number, number, number]> = [
  [1, 1, 1, 1], [7, 3, 3, 3], [8, 5, 1, 7], [9, 4, 7, 1], [17, 3, 5, 5], [33, 2, 3, 3],
];
const OPTIONS: Array<{ bias: boolean; bn: BnKind }> = [
  { bias: false, bn: 'none' }, { bias: true, bn: 'none' }, { bias: false, bn: 'torch' },
  { bias: true, bn: 'torch' }, { bias: false, bn: 'tfNoGamma' }, { bias: true, bn: 'noGammaNoBeta' },
];

function cases(): PackCase[] {
  const out: PackCase[] = [];
  for (const layout of [0, 1] as const)
    for (const [outChannels, inChannels, kernelH, kernelW] of SHAPES)
      for (const o of OPTIONS) out.push({ layout, outChannels, inChannels, kernelH, kernelW, ...o });
  return out;
}

function caseName(c: PackCase): string {
  return `pack ${c.layout === 0 ? 'OIHW' : 'HWIO'} O=${c.outChannels} I=${c.inChannels} ${c.kernelH}x${c.kernelW}` +
    ` bias=${c.bias ? 'yes' : 'no'} bn=${c.bn}`;
}

function bnParams(kind: BnKind, channels: number, seed: number): BatchNormParams | undefined {
  if (kind === 'none') return undefined;
  return {
    gamma: kind === 'torch' ? randomArray(channels, seed, 0.5, 1.5) : undefined,
    beta: kind === 'torch' || kind === 'tfNoGamma' ? randomArray(channels, seed + 1) : undefined,
    mean: randomArray(channels, seed + 2),
    var: randomArray(channels, seed + 3, 0.01, 2),
    eps: 1e-3,
  };
}

/** Runs the kernel on `src` and returns the packed floats (checking guards and that all were written). */
function packWithKernel(env: KernelEnv, src: Float32Array, c: PackCase, bias?: Float32Array, bn?: BatchNormParams): Float32Array {
  const { arena } = env;
  const put = (data?: ArrayLike<number>): number => (data ? arena.putF32(data) : 0);
  const k = c.kernelH * c.kernelW * c.inChannels;
  const dst = new Guarded(arena, packedGemmWeightsFloats(c.outChannels, k));
  gemmKernels(env.exports).f32_pack_gemm_weights(
    put(src), c.layout, c.outChannels, c.inChannels, c.kernelH, c.kernelW,
    put(bias), put(bn?.gamma), put(bn?.beta), put(bn?.mean), put(bn?.var), bn?.eps ?? 0, dst.ptr,
  );
  expect(dst.untouched(), `${caseName(c)}: every packed float written`).toEqual([]);
  assertNoStrayWrites(dst, caseName(c));
  return dst.read();
}

/** [O][I][kh][kw] → [kh][kw][I][O]. */
function oihwToHwio(src: Float32Array, o: number, i: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++) out[((y * kw + x) * i + b) * o + a] = src[((a * i + b) * kh + y) * kw + x];
  return out;
}

const bitsOf = (f: Float32Array): Uint32Array => new Uint32Array(f.buffer, f.byteOffset, f.length);

for (const build of BUILDS) {
  describe(`f32_pack_gemm_weights (${build})`, () => {
    for (const c of cases()) {
      it(caseName(c), async () => {
        const env = await kernelEnv(build);
        const mark = env.arena.mark();
        try {
          const count = c.outChannels * c.inChannels * c.kernelH * c.kernelW;
          const src = randomArray(count, count + c.layout * 7);
          const bias = c.bias ? randomArray(c.outChannels, 99) : undefined;
          const bn = bnParams(c.bn, c.outChannels, 200);
          const got = packWithKernel(env, src, c, bias, bn);
          const want = packGemmWeightsRef(src, c.layout, c.outChannels, c.inChannels, c.kernelH, c.kernelW, bias, bn);
          expect(bitsOf(got)).toEqual(bitsOf(want));
        } finally {
          env.arena.release(mark);
        }
      });
    }

    it('OIHW and its HWIO transpose pack identically (conv 3x5, O=11, I=6, BN)', async () => {
      const env = await kernelEnv(build);
      const mark = env.arena.mark();
      try {
        const [o, i, kh, kw] = [11, 6, 3, 5];
        const oihw = randomArray(o * i * kh * kw, 5);
        const bn = bnParams('torch', o, 6);
        const base = { outChannels: o, inChannels: i, kernelH: kh, kernelW: kw, bias: true, bn: 'torch' as const };
        const bias = randomArray(o, 7);
        const a = packWithKernel(env, oihw, { ...base, layout: 0 }, bias, bn);
        const b = packWithKernel(env, oihwToHwio(oihw, o, i, kh, kw), { ...base, layout: 1 }, bias, bn);
        expect(bitsOf(b)).toEqual(bitsOf(a));
      } finally {
        env.arena.release(mark);
      }
    });

    it('FC [out][in] (OIHW 1x1) and Keras Dense [in][out] (HWIO 1x1) pack identically (out=1001, in=20)', async () => {
      const env = await kernelEnv(build);
      const mark = env.arena.mark();
      try {
        const [o, i] = [1001, 20];
        const fc = randomArray(o * i, 8);
        const bias = randomArray(o, 9);
        const base = { outChannels: o, inChannels: i, kernelH: 1, kernelW: 1, bias: true, bn: 'none' as const };
        const a = packWithKernel(env, fc, { ...base, layout: WeightLayout.OIHW }, bias);
        const b = packWithKernel(env, oihwToHwio(fc, o, i, 1, 1), { ...base, layout: WeightLayout.HWIO }, bias);
        expect(bitsOf(b)).toEqual(bitsOf(a));
      } finally {
        env.arena.release(mark);
      }
    });

    it('packed conv+BN+ReLU through f32_gemm equals relu(BN(conv)) computed unfolded (1x1, O=13, I=40, M=9)', async () => {
      const env = await kernelEnv(build);
      const mark = env.arena.mark();
      try {
        const [o, i, m] = [13, 40, 9];
        const c: PackCase = { layout: 0, outChannels: o, inChannels: i, kernelH: 1, kernelW: 1, bias: true, bn: 'torch' };
        const w = randomArray(o * i, 10);
        const bias = randomArray(o, 11);
        const bn = bnParams('torch', o, 12)!;
        const packed = env.arena.putF32(packWithKernel(env, w, c, bias, bn));
        const x = randomArray(m * i, 13);
        const out = new Guarded(env.arena, m * o);
        const g = gemmKernels(env.exports);
        g.f32_gemm(env.arena.putF32(x), i * 4, packed, i, out.ptr, o * 4, 0, 0, 1, 0, Infinity, m, 0, 2, o, env.arena.alloc(g.f32_gemm_pack_bytes(m, i)));
        // Unfolded: conv (no BN) in f64, then BN and ReLU in f64.
        const plain = gemmWeightsRef(w, 0, o, i, 1, 1, bias);
        const conv = gemmRef(x, plain.w, plain.bias, m, o, i, { lo: -Infinity, hi: Infinity });
        const got = out.read();
        for (let p = 0; p < m; p++) {
          for (let ch = 0; ch < o; ch++) {
            const s = bn.gamma![ch] / Math.sqrt(bn.var[ch] + bn.eps);
            const want = Math.max((conv.out[p * o + ch] - bn.mean[ch]) * s + bn.beta![ch], 0);
            // f32 rounding of w·s and b′ (1 u each) plus the K-term accumulation bound of gemm.test.ts.
            const tol = 2 * (i + 6) * 2 ** -24 * (Math.abs(s) * (conv.magnitude[p * o + ch] + Math.abs(bn.mean[ch])) + Math.abs(bn.beta![ch]));
            expect(Math.abs(got[p * o + ch] - want), `pixel ${p} channel ${ch}`).toBeLessThanOrEqual(tol);
          }
        }
      } finally {
        env.arena.release(mark);
      }
    });
  });
}
