import { foldBatchNorm } from './fold';

/**
 * f32_pack_gemm_weights: conv / FC weights → f32_gemm panels, with BatchNorm folded in.
 *
 *   GEMM row k = (ky · kernelW + kx) · inChannels + ci   (matches NHWC im2col rows), column o.
 *   No BN (meanPtr == 0): w'[k][o] = w[o][ci][ky][kx],                 b'[o] = bias[o]
 *   BN:  s[o] = γ[o] / √(var[o] + eps),  w'[k][o] = w · s[o],          b'[o] = (bias[o] − mean[o]) · s[o] + β[o]
 *   bias absent = 0, γ absent = 1, β absent = 0. Each folded value is computed in f64 and rounded
 *   to f32 once.
 *
 * Layouts (float32, 4-byte alignment):
 *   src: OIHW [outChannels][inChannels][kernelH][kernelW]  (ONNX, PyTorch; FC [out][in]; importers of
 *        HWIO formats transpose on the host first)
 *   bias, gamma, beta, mean, var: [outChannels] each (0 = absent; var is read only with mean).
 *   dst: [ceil(outChannels / 8)] panels of bias[8] then [K][8] weights, K = kernelH·kernelW·inChannels,
 *        columns past outChannels zero — ceil(O/8) · (8 + 8K) floats (see f32_gemm).
 *
 * Reads exactly its inputs; writes exactly the dst block. dst must not overlap any input.
 * Threads: run once per weight tensor at load time (pure scalar copy, memory-bound); different
 * tensors may be packed on different threads.
 */
export function f32_pack_gemm_weights(
  srcPtr: usize,
  outChannels: i32, inChannels: i32, kernelH: i32, kernelW: i32,
  biasPtr: usize, gammaPtr: usize, betaPtr: usize, meanPtr: usize, varPtr: usize, eps: f64,
  dstPtr: usize,
): void {
  const k = kernelH * kernelW * inChannels;
  const panels = (outChannels + 7) >> 3;
  const panelFloats = 8 + 8 * k;
  const hw = kernelH * kernelW;
  for (let p = 0; p < panels; p++) {
    const panel = dstPtr + (<usize>(p * panelFloats) << 2);
    for (let j = 0; j < 8; j++) {
      const o = p * 8 + j;
      if (o >= outChannels) {
        store<f32>(panel + (<usize>j << 2), 0);
        for (let r = 0; r < k; r++) store<f32>(panel + (<usize>(8 + r * 8 + j) << 2), 0);
        continue;
      }
      const s = foldBatchNorm(<usize>o << 2, biasPtr, gammaPtr, betaPtr, meanPtr, varPtr, eps, panel + (<usize>j << 2));
      for (let ky = 0; ky < kernelH; ky++) {
        for (let kx = 0; kx < kernelW; kx++) {
          const tap = ky * kernelW + kx;
          for (let ci = 0; ci < inChannels; ci++) {
            const v = <f64>load<f32>(srcPtr + (<usize>((o * inChannels + ci) * hw + tap) << 2));
            const r = tap * inChannels + ci;
            store<f32>(panel + (<usize>(8 + r * 8 + j) << 2), meanPtr != 0 ? <f32>(v * s) : <f32>v);
          }
        }
      }
    }
  }
}

