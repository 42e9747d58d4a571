import { foldBatchNorm } from './fold';

/**
 * f32_winograd_pack: the weights of a conv that runs by Winograd, transformed and packed for
 * f32_gemm, BatchNorm folded as in f32_pack_gemm_weights.
 *
 *   3×3 (2-D): U_ξ = (G g Gᵀ)[a][b], ξ = α·a + b, α² blocks;
 *   1×r or r×1 (1-D): U_a = Σ_k G[a][k]·g_k, α blocks;
 *   g = the folded filter w·s (f64), U computed in f64 and rounded to f32 once. Block ξ is a
 *   packed f32_gemm weight block with K = inChannels, N = outChannels and zero panel biases:
 *   ceil(outChannels / 8)·(8 + 8·inChannels) floats each, back to back from dstPtr; then the
 *   folded bias b' (outChannels floats).
 *
 * src: OIHW [outChannels][inChannels][kernelH][kernelW]. gPtr: G as α × r f64 values, row-major
 * (r = the kernel extent along a transformed axis). bias, gamma, beta, mean, var: [outChannels]
 * each, 0 = absent (bias 0, γ 1, β 0; no mean: no BN). Writes exactly blocks·blockFloats +
 * outChannels floats; reads exactly its inputs. Threads: run once per weight tensor at load time.
 */
export function f32_winograd_pack(
  srcPtr: usize, outChannels: i32, inChannels: i32, kernelH: i32, kernelW: i32, alpha: i32, gPtr: usize,
  biasPtr: usize, gammaPtr: usize, betaPtr: usize, meanPtr: usize, varPtr: usize, eps: f64,
  dstPtr: usize,
): void {
  const alphaH = kernelH > 1 ? alpha : 1;
  const alphaW = kernelW > 1 ? alpha : 1;
  const r = max(kernelH, kernelW);
  const taps = kernelH * kernelW;
  const blocks = alphaH * alphaW;
  if (blocks > 1 && alphaH > 1 && alphaW > 1 && (kernelH != 3 || kernelW != 3)) return;
  const panels = (outChannels + 7) >> 3;
  const panelFloats = 8 + 8 * inChannels;
  const blockBytes = <usize>(panels * panelFloats) << 2;
  for (let o = 0; o < panels * 8; o++) {
    const head = dstPtr + (<usize>((o >> 3) * panelFloats + (o & 7)) << 2);
    for (let x = 0; x < blocks; x++) store<f32>(head + blockBytes * <usize>x, 0);
    const live = o < outChannels;
    const s = live
      ? foldBatchNorm(<usize>o << 2, biasPtr, gammaPtr, betaPtr, meanPtr, varPtr, eps, dstPtr + blockBytes * <usize>blocks + (<usize>o << 2))
      : 0;
    for (let ci = 0; ci < inChannels; ci++) {
      const at = head + (<usize>(8 + ci * 8) << 2);
      // The taps of filter (o, ci) are contiguous in OIHW.
      const w = srcPtr + (<usize>((o * inChannels + ci) * taps) << 2);
      if (!live) {
        for (let x = 0; x < blocks; x++) store<f32>(at + blockBytes * <usize>x, 0);
      } else if (alphaH > 1 && alphaW > 1) {
        // 3×3, separably: t_a = G[a]·g (a row of 3), then U[a][b] = t_a·G[b].
        for (let a = 0; a < alpha; a++) {
          const ga0 = load<f64>(gPtr + (<usize>(a * 3) << 3));
          const ga1 = load<f64>(gPtr + (<usize>(a * 3 + 1) << 3));
          const ga2 = load<f64>(gPtr + (<usize>(a * 3 + 2) << 3));
          const t0 = ga0 * tap(w, 0) + ga1 * tap(w, 3) + ga2 * tap(w, 6);
          const t1 = ga0 * tap(w, 1) + ga1 * tap(w, 4) + ga2 * tap(w, 7);
          const t2 = ga0 * tap(w, 2) + ga1 * tap(w, 5) + ga2 * tap(w, 8);
          for (let b = 0; b < alpha; b++) {
            const u = load<f64>(gPtr + (<usize>(b * 3) << 3)) * t0 + load<f64>(gPtr + (<usize>(b * 3 + 1) << 3)) * t1 +
              load<f64>(gPtr + (<usize>(b * 3 + 2) << 3)) * t2;
            store<f32>(at + blockBytes * <usize>(a * alpha + b), <f32>(u * s));
          }
        }
      } else {
        for (let a = 0; a < alpha; a++) {
          let u: f64 = 0;
          for (let k = 0; k < r; k++) u += load<f64>(gPtr + (<usize>(a * r + k) << 3)) * tap(w, k);
          store<f32>(at + blockBytes * <usize>a, <f32>(u * s));
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function tap(w: usize, t: i32): f64 {
  return <f64>load<f32>(w + (<usize>t << 2));
}
