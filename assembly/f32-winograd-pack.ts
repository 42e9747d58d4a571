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
 * src, layout 0 = OIHW [outChannels][inChannels][kernelH][kernelW]; layout 1 = HWIO
 * [kernelH][kernelW][inChannels][outChannels]. gPtr: G as α × r f64 values, row-major
 * (r = the kernel extent along a transformed axis). bias, gamma, beta, mean, var: [outChannels]
 * each, 0 = absent (bias 0, γ 1, β 0; no mean: no BN). Writes exactly blocks·blockFloats +
 * outChannels floats; reads exactly its inputs. Threads: run once per weight tensor at load time.
 */
export function f32_winograd_pack(
  srcPtr: usize, layout: i32, outChannels: i32, inChannels: i32, kernelH: i32, kernelW: i32, alpha: i32, gPtr: usize,
  biasPtr: usize, gammaPtr: usize, betaPtr: usize, meanPtr: usize, varPtr: usize, eps: f64,
  dstPtr: usize,
): void {
  const alphaH = kernelH > 1 ? alpha : 1;
  const alphaW = kernelW > 1 ? alpha : 1;
  const r = max(kernelH, kernelW);
  const taps = kernelH * kernelW;
  const blocks = alphaH * alphaW;
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
      const w = srcPtr + (<usize>(layout == 0 ? (o * inChannels + ci) * taps : ci * outChannels + o) << 2);
      const tapBytes = <usize>(layout == 0 ? 4 : inChannels * outChannels * 4);
      for (let a = 0; a < alphaH; a++) {
        for (let b = 0; b < alphaW; b++) {
          let u: f64 = 0;
          if (live) {
            for (let ky = 0; ky < kernelH; ky++) {
              const gy = kernelH > 1 ? load<f64>(gPtr + (<usize>(a * r + ky) << 3)) : 1;
              for (let kx = 0; kx < kernelW; kx++) {
                const gx = kernelW > 1 ? load<f64>(gPtr + (<usize>(b * r + kx) << 3)) : 1;
                u += gy * gx * <f64>load<f32>(w + tapBytes * <usize>(ky * kernelW + kx));
              }
            }
          }
          store<f32>(at + blockBytes * <usize>(a * alphaW + b), <f32>(u * s));
        }
      }
    }
  }
}
