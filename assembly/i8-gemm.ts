/**
 * i8_gemm: u8 activations × i8 weights → i32 accumulators, then a fused requantize epilogue to
 * u8; i8_gemm_f32 (contract at its export): the same sums with an f32 epilogue, for a last layer
 * whose output leaves the quantized domain. W is pre-packed by i8_pack_gemm_weights (i8-pack.ts)
 * in NR = 8 column panels, A copied into the caller's scratch in blocks of MR = 4 rows, computed
 * in 4 × 8 tiles by one micro-kernel, `i8_gemm_4x8`. MR = i8_gemm_mr() = 4 in every build. The
 * per-element epilogue is i8-epilogue.ts's, shared with the int8 Winograd kernels (i8-winograd.ts,
 * i8-winograd-1d.ts), which reuse these panels and must give the same bytes.
 *
 *   acc[i][j]  = Σ_k (A[i][k] − aZero) · W[k][j]                      exact, in i32
 *              = Σ_k A[i][k] · W[k][j] − aZero · colSum[j]          (colSum = Σ_k W[k][j], from the pack)
 *   y          = acc[i][j] + bias[j]                                  i32 (wraps modulo 2³²: see limits)
 *   real       = f32(y) · scale[j]                                    f32, one rounding each
 *   real       = real + f32(res[i][j] − resZero) · resScale           when resPtr != 0 (f32 mul, then f32 add)
 *   C[i][j]    = clamp(nearest(real) + outZero, lo, hi)               nearest = round half to even
 *   ReLU: lo = outZero; no activation: lo = 0, hi = 255. A NaN `real` (only from a non-finite
 *   scale) stores lo. Every f32 operation is a plain IEEE mul or add (never fused), so the bytes
 *   are the same in every build and equal to a scalar evaluation in that order.
 *
 * Limits (the caller's to keep; nothing is checked per element):
 *   1 ≤ k ≤ 65536: |Σ_k (A − aZero)·W| ≤ 65536 · 255 · 128 < 2³¹, so acc is exact (the folded
 *   form wraps in between, but modular arithmetic returns the exact value when it fits);
 *   |acc + bias| < 2³¹ (bias is quantised at aScale·wScale, so this holds for any sane model);
 *   0 ≤ aZero, outZero, resZero ≤ 255; 0 ≤ lo ≤ hi ≤ 255; any i8 weight (−128 included).
 *   k outside [1, 65536] returns without writing.
 *
 * Layouts (strides in bytes; 1-byte alignment suffices, loads/stores are unaligned):
 *   a:       [m][k] u8, row stride aRowStrideBytes ≥ k (an NHWC view, a u8_im2col block).
 *   wPacked: [ceil(n/8)] panels; panel p at wPackedPtr + p · (128 + 16·ceil(k/2)):
 *            bias i32[8], colSum i32[8], scale f32[8], qSum i32[8] (unused here), then
 *            [ceil(k/2)][8][2] i8: for the k-pair (2t, 2t+1), column j's two weights at bytes 2j,
 *            2j+1 (an odd k's last pair and the columns past n are zero; see i8_pack_gemm_weights).
 *   c:       [m][n] u8, row stride cRowStrideBytes (e.g. a channel slice of a concat).
 *   res:     [m][n] u8, row stride resRowStrideBytes; may alias c exactly (each element is read
 *            before it is written); any other overlap with c is unsupported.
 *   aPack:   scratch of i8_gemm_pack_bytes(m, k) bytes, overlapping none of the above: a 4 × 8
 *            i32 accumulator tile (128 bytes) per row block of the chunk, then one chunk of A
 *            rows as [rows/4][ceil(k/2)][4] u32 words, each word two zero-extended u16 (A[2t]
 *            low, A[2t+1] high; a short last block repeats its last row); contents on return
 *            unspecified.
 * Reads: A and W exactly; res up to 7 bytes past the last column of a row when n % 8 != 0 (never
 * used). Writes: aPack, and only C rows [0, m) × columns of panels [panelStart, panelEnd)
 * clipped to n — never past column n or row m.
 *
 * Threads: split over outputs only — row blocks (offset aPtr, cPtr, resPtr by the block's first
 * row) and/or panel ranges, each thread with its own aPack. Integer sums are exact and the
 * epilogue is per element, so every split gives the same bytes.
 *
 * Instruction choice. Baseline (every build): A as u16 pairs, W sign-extended to i16 on load
 * (v128.load8x8_s), and i32x4.dot_i16x8_s: lane j = a[2t]·w[2t][j] + a[2t+1]·w[2t+1][j], at most
 * 2 · 255 · 128 in magnitude, exact on every CPU. One k-pair of a 4 × 8 tile is 4 broadcasts,
 * 2 weight loads, 8 dots and 8 adds: 64 multiply-adds in 22 instructions, against 32 in 22 for
 * f32_gemm's baseline — the same register budget as f32_gemm's 4 × 8 (8 accumulators, 2 weight
 * vectors, 1 broadcast of V8's 15 xmm registers).
 *
 * The relaxed build runs this same path; its i8_gemm_dot / i8_gemm_dot_f32 (i8-gemm-dot.ts,
 * exported by the relaxed modules only) give the same bytes on the same panels with
 * i32x4.relaxed_dot_i8x16_i7x16_add_s, where the host has checked that the runtime computes that
 * instruction right (src/bindings/features.ts `relaxedDotI8`) and the conv has no −128 weight.
 */

import { ACC_BYTES, chunkRows, epilogueBlocks, MAX_K, MR, NR, packedRows, PANEL_HEAD_BYTES } from './i8-epilogue';
import { storeTile4x8, storeTransposed4x4 } from './transpose4x4';

/** MR of this build: rows per micro-kernel tile (the host sizes row blocks with it). */
export function i8_gemm_mr(): i32 {
  return MR;
}

/** Bytes of one packed panel of depth k: the head, then ceil(k/2) k-pairs of 16 bytes. */
export function i8_gemm_panel_bytes(k: i32): i32 {
  if (k < 1) return 0;
  return PANEL_HEAD_BYTES + ((k + 1) >> 1) * 16;
}

/**
 * Scratch bytes i8_gemm and i8_gemm_f32 need at aPackPtr for m rows of depth k: accumulator tiles
 * and one chunk of packed rows. In the relaxed builds, enough for i8_gemm_dot too (i8-gemm-dot.ts:
 * the same tiles, rows of ceil(k/4) words, then one panel's weights as sign masks and magnitudes,
 * 64 bytes per k-quad).
 */
export function i8_gemm_pack_bytes(m: i32, k: i32): i32 {
  if (m < 1 || k < 1 || k > MAX_K) return 0;
  const rows = packedRows(m, k);
  const bytes = rows / MR * ACC_BYTES + rows * (((k + 1) >> 1) << 2);
  if (!ASC_FEATURE_RELAXED_SIMD) return bytes;
  const quads = (k + 3) >> 2;
  return max(bytes, rows / MR * ACC_BYTES + rows * (quads << 2) + (quads << 6));
}

/** Rows [0, m) × panels [panelStart, panelEnd) (clipped to ceil(n/8)); contract above. */
export function i8_gemm(
  aPtr: usize, aRowStrideBytes: i32, aZero: i32,
  wPackedPtr: usize, k: i32,
  cPtr: usize, cRowStrideBytes: i32, outZero: i32, lo: i32, hi: i32,
  resPtr: usize, resRowStrideBytes: i32, resZero: i32, resScale: f32,
  m: i32, panelStart: i32, panelEnd: i32, n: i32,
  aPackPtr: usize,
): void {
  gemm<u8>(
    aPtr, aRowStrideBytes, aZero, wPackedPtr, k, cPtr, cRowStrideBytes,
    outZero, lo, hi, resPtr, resRowStrideBytes, resZero, resScale, 0, 0,
    m, panelStart, panelEnd, n, aPackPtr,
  );
}

/**
 * i8_gemm_f32: the sums of i8_gemm with an f32 epilogue instead of the requantize one.
 *
 *   acc[i][j] = Σ_k (A[i][k] − aZero) · W[k][j]     exactly as i8_gemm (zero point folded by colSum)
 *   y         = acc[i][j] + bias[j]                  i32, wrapping modulo 2³² exactly as i8_gemm
 *   x         = f32(y) · scale[j]                    one f32 multiply, never fused; may round to ±∞
 *   C[i][j]   = min(max(x, lo), hi)                  as f32: max(x, lo) = x < lo ? lo : x,
 *                                                    min(x, hi) = hi < x ? hi : x (f32x4.pmax/pmin)
 *   No activation: lo = −∞, hi = +∞; ReLU: lo = 0, hi = +∞. As in f32_gemm, NaN propagates through
 *   the clamp: a NaN x (only from a non-finite scale: 0 · ±∞, or a NaN scale) is stored as NaN.
 *   Its sign and payload are the CPU's (wasm leaves them unspecified); every non-NaN result is
 *   the same bits in every build and on every CPU. A −0 (a zero or underflowed product of
 *   negative sign) stays −0 at lo = 0.
 *
 * Limits: 1 ≤ k ≤ 65536 (otherwise returns without writing); 0 ≤ aZero ≤ 255; lo ≤ hi, neither
 * NaN; any i8 weight (−128 included); bias and scale as packed (any f32 scale).
 *
 * Layouts (strides in bytes; 1-byte alignment suffices, loads/stores are unaligned):
 *   a:       [m][k] u8, row stride aRowStrideBytes ≥ k, as i8_gemm.
 *   wPacked: [ceil(n/8)] panels of i8_pack_gemm_weights, as i8_gemm (scale: the head's f32[8]).
 *   c:       [m][n] f32, row stride cRowStrideBytes ≥ 4n (e.g. a slice of a wider f32 tensor).
 *   aPack:   scratch of i8_gemm_pack_bytes(m, k) bytes, as i8_gemm.
 * Reads: A and W exactly. Writes: aPack, and only C rows [0, m) × columns of panels
 * [panelStart, panelEnd) clipped to n — never past column n or row m.
 *
 * Threads: split over outputs only — row blocks (offset aPtr and cPtr by the block's first row)
 * and/or panel ranges, each thread with its own aPack: every split gives the same bytes.
 */
export function i8_gemm_f32(
  aPtr: usize, aRowStrideBytes: i32, aZero: i32,
  wPackedPtr: usize, k: i32,
  cPtr: usize, cRowStrideBytes: i32, lo: f32, hi: f32,
  m: i32, panelStart: i32, panelEnd: i32, n: i32,
  aPackPtr: usize,
): void {
  gemm<f32>(
    aPtr, aRowStrideBytes, aZero, wPackedPtr, k, cPtr, cRowStrideBytes,
    0, 0, 0, 0, 0, 0, 0, lo, hi,
    m, panelStart, panelEnd, n, aPackPtr,
  );
}

/**
 * The driver of both exports; T, C's element type (u8 or f32), picks the epilogue at compile
 * time. outZero … resScale feed the u8 epilogue, loF and hiF the f32 one; each export passes
 * zeros for the other's. Per chunk of A rows: pack them, then per panel one micro-kernel call
 * over the chunk's row blocks and one epilogue per block. Inlined, so each export compiles to
 * its own loop with nothing of the other's.
 */
// @ts-ignore: decorator
@inline function gemm<T>(
  aPtr: usize, aRowStrideBytes: i32, aZero: i32,
  wPackedPtr: usize, k: i32,
  cPtr: usize, cRowStrideBytes: i32,
  outZero: i32, lo: i32, hi: i32, resPtr: usize, resRowStrideBytes: i32, resZero: i32, resScale: f32,
  loF: f32, hiF: f32,
  m: i32, panelStart: i32, panelEnd: i32, n: i32,
  aPackPtr: usize,
): void {
  if (k < 1 || k > MAX_K) return;
  const pStart = max(panelStart, 0);
  const pEnd = min(panelEnd, (n + NR - 1) / NR);
  if (pStart >= pEnd) return;
  const panelBytes = <usize>i8_gemm_panel_bytes(k);
  const kp = (k + 1) >> 1;
  const chunk = chunkRows(k);
  const acc = aPackPtr;
  const packed = aPackPtr + <usize>(packedRows(m, k) / MR * ACC_BYTES);
  for (let i0 = 0; i0 < m; i0 += chunk) {
    const i1 = min(m, i0 + chunk);
    const blocks = (i1 - i0 + MR - 1) / MR;
    packRows(aPtr + <usize>(i0 * aRowStrideBytes), aRowStrideBytes, i1 - i0, k, packed);
    for (let p = pStart; p < pEnd; p++) {
      const w = wPackedPtr + <usize>p * panelBytes;
      const col = <usize>(p * NR) * sizeof<T>();
      const nc = min(NR, n - p * NR);
      i8_gemm_4x8(packed, blocks, w, kp, acc);
      epilogueBlocks<T>(
        acc, i0, i1, w, aZero, cPtr, cRowStrideBytes, col, outZero, lo, hi, resPtr, resRowStrideBytes, resZero, resScale, loF, hiF, nc,
      );
    }
  }
}

/**
 * Copies `rows` u8 rows of A (row stride aStride) into blocks of 4 rows, [ceil(k/2)][4] u32
 * words each (two zero-extended u16 per word), back to back from dst; a short last block repeats
 * its last row, an odd k's last word has a zero high half. 8 bytes of a row at a time (4 words),
 * transposed 4 × 4; the k % 8 tail one word at a time. Reads exactly k bytes per row.
 */
function packRows(a: usize, aStride: i32, rows: i32, k: i32, dst: usize): void {
  const sa = <usize>aStride;
  const k8 = <usize>(k & ~7);
  const kb = <usize>k;
  for (let i = 0; i < rows; i += MR) {
    const left = rows - i;
    const r0 = a + <usize>i * sa;
    const r1 = r0 + (sa & -<usize>(left > 1));
    const r2 = r1 + (sa & -<usize>(left > 2));
    const r3 = r2 + (sa & -<usize>(left > 3));
    let o: usize = 0;
    for (; o < k8; o += 8) {
      const v0 = v128.load8x8_u(r0 + o);
      const v1 = v128.load8x8_u(r1 + o);
      const v2 = v128.load8x8_u(r2 + o);
      const v3 = v128.load8x8_u(r3 + o);
      storeTransposed4x4(dst, v0, v1, v2, v3);
      dst += 64;
    }
    for (; o < kb; o += 2) {
      const two = o + 1 < kb;
      store<u32>(dst, pairWord(r0 + o, two));
      store<u32>(dst, pairWord(r1 + o, two), 4);
      store<u32>(dst, pairWord(r2 + o, two), 8);
      store<u32>(dst, pairWord(r3 + o, two), 12);
      dst += 16;
    }
  }
}

/** p[0] | p[1] << 16 (p[1] only when `two`: an odd k's last byte pairs with zero). */
// @ts-ignore: decorator
@inline function pairWord(p: usize, two: bool): u32 {
  const lo = <u32>load<u8>(p);
  return two ? lo | (<u32>load<u8>(p, 1) << 16) : lo;
}

/**
 * 4 × 8 micro-kernel over `blocks` packed blocks of A ([kp][4] words each, back to back from
 * `ap`) and the k-pairs of one packed panel (`w`, past its head): block b's i32 sums go to
 * acc + 128·b (row-major 4 × 8). The loop over blocks nests the k-loop, as in f32_gemm_4x8
 * (V8 unrolls nested loops, not top-level ones). Inlined into each export's panel loop, where
 * it sits with one caller per export.
 */
// @ts-ignore: decorator
@inline function i8_gemm_4x8(ap: usize, blocks: i32, w: usize, kp: i32, acc: usize): void {
  const blockBytes = <usize>kp << 4;
  for (let b = 0; b < blocks; b++) {
    let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
    let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
    let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
    let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
    let wp = w + PANEL_HEAD_BYTES;
    const end = ap + blockBytes;
    do {
      const w0 = v128.load8x8_s(wp);
      const w1 = v128.load8x8_s(wp, 8);
      let x = v128.load32_splat(ap);
      c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, w0));
      c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, w1));
      x = v128.load32_splat(ap, 4);
      c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, w0));
      c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, w1));
      x = v128.load32_splat(ap, 8);
      c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, w0));
      c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, w1));
      x = v128.load32_splat(ap, 12);
      c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, w0));
      c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, w1));
      ap += 16;
      wp += 16;
    } while (ap != end);
    storeTile4x8(acc, c00, c01, c10, c11, c20, c21, c30, c31);
    acc += ACC_BYTES;
  }
}
