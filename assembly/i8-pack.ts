import { PANEL_HEAD_BYTES } from './i8-epilogue';

/**
 * i8_pack_gemm_weights: int8 conv / FC weights → i8_gemm panels (see i8-gemm.ts).
 *
 *   GEMM row k = (ky · kernelW + kx) · inChannels + ci   (matches NHWC u8_im2col rows), column o.
 *   W[k][o]     = src[o][ci][ky][kx]
 *   bias[o]     = biasPtr ? bias[o] : 0            (i32, quantised at aScale · wScale[o])
 *   colSum[o]   = Σ_k W[k][o]                      (i32, exact: |Σ| ≤ K · 128)
 *   qSum[o]     = Σ_k max(−W[k][o], 0)             (i32, exact: ≤ K · 128; the relaxed-dot GEMM's correction, i8-gemm-dot.ts)
 *   scale[o]    = scale[o]                          (f32: aScale · wScale[o] / outScale, the requantize factor)
 *   Columns past outChannels and an odd K's last k-pair are zero (bias, colSum, scale, qSum too).
 *
 * Layouts:
 *   src:   OIHW [outChannels][inChannels][kernelH][kernelW] i8 (FC [out][in]).
 *   bias:  [outChannels] i32 (0 = absent); scale: [outChannels] f32 (required). 4-byte alignment.
 *   dst:   ceil(outChannels / 8) panels of i8_gemm_panel_bytes(K) bytes, K = kernelH·kernelW·inChannels:
 *          the head (i8-epilogue.ts PANEL_HEAD_BYTES = 128: bias i32[8], colSum i32[8], scale f32[8],
 *          qSum i32[8]), then [ceil(K/2)][8][2] i8 (k-pair t, column j at bytes 128 + 16t + 2j and
 *          128 + 16t + 2j + 1). 16-byte aligned dst keeps the panels aligned.
 *
 * Reads exactly its inputs; writes exactly the dst block, which must not overlap an input.
 * K outside [1, 65536] (i8_gemm's limit) writes nothing.
 * Threads: run once per weight tensor at load time (scalar copy); different tensors may be
 * packed on different threads.
 */
export function i8_pack_gemm_weights(
  srcPtr: usize,
  outChannels: i32, inChannels: i32, kernelH: i32, kernelW: i32,
  biasPtr: usize, scalePtr: usize,
  dstPtr: usize,
): void {
  const k = kernelH * kernelW * inChannels;
  if (k < 1 || k > 65536) return;
  const kp = (k + 1) >> 1;
  const panels = (outChannels + 7) >> 3;
  const panelBytes = <usize>(PANEL_HEAD_BYTES + 16 * kp);
  const hw = kernelH * kernelW;
  for (let p = 0; p < panels; p++) {
    const panel = dstPtr + <usize>p * panelBytes;
    const wBase = panel + PANEL_HEAD_BYTES;
    for (let j = 0; j < 8; j++) {
      const o = p * 8 + j;
      const head = panel + (<usize>j << 2);
      const col = wBase + (<usize>j << 1);
      if (o >= outChannels) {
        store<i32>(head, 0);
        store<i32>(head, 0, 32);
        store<f32>(head, 0, 64);
        store<i32>(head, 0, 96);
        for (let t = 0; t < kp; t++) store<u16>(col + (<usize>t << 4), 0);
        continue;
      }
      let sum = 0;
      let neg = 0;
      for (let ky = 0; ky < kernelH; ky++) {
        for (let kx = 0; kx < kernelW; kx++) {
          const tap = ky * kernelW + kx;
          for (let ci = 0; ci < inChannels; ci++) {
            const v = load<i8>(srcPtr + <usize>((o * inChannels + ci) * hw + tap));
            const r = tap * inChannels + ci;
            store<i8>(col + (<usize>(r >> 1) << 4) + <usize>(r & 1), v);
            sum += <i32>v;
            neg += max(-<i32>v, 0);
          }
        }
      }
      if (k & 1) store<i8>(col + (<usize>(kp - 1) << 4), 0, 1);
      store<i32>(head, biasPtr != 0 ? load<i32>(biasPtr + (<usize>o << 2)) : 0);
      store<i32>(head, sum, 32);
      store<f32>(head, load<f32>(scalePtr + (<usize>o << 2)), 64);
      store<i32>(head, neg, 96);
    }
  }
}
