/**
 * f32_pack_gemm_weights against the reference fold/packing (test/reference/gemm.ts), for each
 * build: OIHW weights (the only layout the kernel reads: importers transpose on the host), with and without bias / BatchNorm / γ / β, shapes with output
 * channels below, at and above a panel and K from 1 to 75.
 *
 * Tolerance: none — bitwise equality. Kernel and reference evaluate the same float64 expressions
 * in the same order (s = γ/√(var+ε), w·s, (b − mean)·s + β; √ and the basic operations are
 * correctly rounded in both) and round to f32 once, so any difference is a bug.
 */
import { describe, expect, it } from 'vitest';
import { gemmKernels, packedGemmWeightsFloats } from '../../src/bindings/kernels/gemm.js';
import { BUILDS, Guarded, assertNoStrayWrites, kernelEnv, randomArray, type KernelEnv } from '../helpers/kernel-env.js';
import { gemmRef, gemmWeightsRef, packGemmWeightsRef, type BatchNormParams } from '../reference/gemm.js';

type BnKind = 'none' | 'torch' | 'tfNoGamma' | 'noGammaNoBeta';

interface PackCase {
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
  for (const [outChannels, inChannels, kernelH, kernelW] of SHAPES)
    for (const o of OPTIONS) out.push({ outChannels, inChannels, kernelH, kernelW, ...o });
  return out;
}

function caseName(c: PackCase): string {
  return `pack OIHW O=${c.outChannels} I=${c.inChannels} ${c.kernelH}x${c.kernelW}` +
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
    put(src), c.outChannels, c.inChannels, c.kernelH, c.kernelW,
    put(bias), put(bn?.gamma), put(bn?.beta), put(bn?.mean), put(bn?.var), bn?.eps ?? 0, dst.ptr,
  );
  expect(dst.untouched(), `${caseName(c)}: every packed float written`).toEqual([]);
  assertNoStrayWrites(dst, caseName(c));
  return dst.read();
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
          const src = randomArray(count, count);
          const bias = c.bias ? randomArray(c.outChannels, 99) : undefined;
          const bn = bnParams(c.bn, c.outChannels, 200);
          const got = packWithKernel(env, src, c, bias, bn);
          const want = packGemmWeightsRef(src, c.outChannels, c.inChannels, c.kernelH, c.kernelW, bias, bn);
          expect(bitsOf(got)).toEqual(bitsOf(want));
        } finally {
          env.arena.release(mark);
        }
      });
    }

    it('packed conv+BN+ReLU through f32_gemm equals relu(BN(conv)) computed unfolded (1x1, O=13, I=40, M=9)', async () => {
      const env = await kernelEnv(build);
      const mark = env.arena.mark();
      try {
        const [o, i, m] = [13, 40, 9];
        const c: PackCase = { outChannels: o, inChannels: i, kernelH: 1, kernelW: 1, bias: true, bn: 'torch' };
        const w = randomArray(o * i, 10);
        const bias = randomArray(o, 11);
        const bn = bnParams('torch', o, 12)!;
        const packed = env.arena.putF32(packWithKernel(env, w, c, bias, bn));
        const x = randomArray(m * i, 13);
        const out = new Guarded(env.arena, m * o);
        const g = gemmKernels(env.exports);
        g.f32_gemm(env.arena.putF32(x), i * 4, packed, i, out.ptr, o * 4, 0, 0, 1, 0, Infinity, m, 0, 2, o, env.arena.alloc(g.f32_gemm_pack_bytes(m, i)));
        // Unfolded: conv (no BN) in f64, then BN and ReLU in f64.
        const plain = gemmWeightsRef(w, o, i, 1, 1, bias);
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
