/**
 * i8_gemm_dot, i8_gemm_dot_f32: i8_gemm and i8_gemm_f32 (i8-gemm.ts) summed with
 * i32x4.relaxed_dot_i8x16_i7x16_add_s — the same bytes from the same packed panels, for weights
 * in [−127, 127]. Relaxed builds only: scripts/build-wasm.mjs adds this file as an entry of the
 * relaxed targets (an `export *` in index.ts cannot be conditional, and the instruction does not
 * compile without relaxed SIMD), so a baseline module has no such export.
 *
 *   acc[i][j] = Σ_k A[i][k] · W[k][j]                 exact modulo 2³², as i8_gemm's micro-kernel
 *   then i8_gemm's epilogue (i8-epilogue.ts epilogue4 / epilogueF32) unchanged: the zero-point
 *   fold with colSum, bias, scale, residual, rounding, clamp. Every output byte (u8) or f32 value
 *   is the one i8_gemm / i8_gemm_f32 store for the same arguments.
 *
 * The relaxed dot: lane j = c[j] + Σ_{q<4} a[4j+q]·b[4j+q], a i8; every CPU agrees when b is in
 * [0, 127] (x86 pmaddubsw / vpdpbusd read b unsigned, Arm sdot signed; pmaddubsw's i16 pair sums
 * stay below 2 · 128 · 127 < 2¹⁵, so they do not saturate). Neither u8 activations nor i8 weights
 * are 7-bit, so with x = A − 128 (the byte A ^ 0x80, exact i8) and s[k][j] = (W < 0 ? 0xFF : 0):
 *   a = x ^ s  (x where W ≥ 0, ~x = −x − 1 where W < 0: exact i8 either way)
 *   b = |W|    (in [0, 127] because W ≠ −128)
 *   a·b = x·W where W ≥ 0, (−x − 1)(−W) = x·W + W where W < 0, so per column
 *   S = Σ_k a·b = Σ_k x·W − qSum      (qSum = Σ_k max(−W, 0), from the panel head)
 *   Σ_k A·W = Σ_k (x + 128)·W = S + qSum + 128·colSum
 * The accumulators start at qSum + 128·colSum (|·| < 2³¹ for k ≤ 65536), so the tile handed to
 * the epilogue is i8_gemm's. One relaxed dot (16 products) and one xor per weight vector and row:
 * 4 k × 4 columns × 1 row, against 2 × 4 columns × 1 row per dot_i16x8_s + add in i8_gemm. s and
 * |W| are made once per panel and chunk (splitPanel) rather than in the k-loop: there the shuffles,
 * compares and abs per k-quad took vector slots the dots need (measured in Chromium on this
 * AVX-VNNI CPU: 1.3× the GEMM's throughput).
 *
 * Limits: i8_gemm's, plus every weight in [−127, 127] (a −128 gives |W| = 128, not 7-bit: the
 * result is then the CPU's; the host runs i8_gemm for such a conv), and a runtime that computes
 * the instruction as specified (src/bindings/features.ts `relaxedDotI8`: Node 20's V8 does not).
 *
 * Layouts: i8_gemm's (a [m][k] u8, wPacked panels of i8_pack_gemm_weights with their qSum, c and
 * res as i8_gemm or i8_gemm_f32); aPack is i8_gemm_pack_bytes(m, k) bytes, whose relaxed-build
 * size covers this kernel's use of it: the same accumulator tiles and rows per chunk as i8_gemm,
 * then the chunk's rows as [rows/4][ceil(k/4)][4] u32 words, each word four x bytes
 * (A[4t..4t+3] ^ 0x80; bytes past k are 0 and meet zero weights), then one panel split into sign
 * masks and magnitudes, [ceil(k/4)][4][16] bytes (splitPanel). Contents on return unspecified.
 * Reads: A and W exactly (an odd ceil(k/2)'s last k-quad loads its one k-pair only). res as i8_gemm.
 * Writes: aPack, and only C rows [0, m) × columns of panels [panelStart, panelEnd) clipped to n.
 *
 * Threads: as i8_gemm — split over outputs only (row blocks, panel ranges), each thread its own
 * aPack; the sums are exact and the epilogue per element, so every split gives the same bytes.
 */

import { ACC_BYTES, chunkRows, epilogueBlocks, MAX_K, MR, NR, packedRows, PANEL_HEAD_BYTES } from './i8-epilogue';
import { i8_gemm_panel_bytes } from './i8-gemm';
import { storeTile4x8, storeTransposed4x4 } from './transpose4x4';

/** Offsets in the panel head (i8-epilogue.ts PANEL_HEAD_BYTES). */
@inline const COLSUM: i32 = 32;
@inline const QSUM: i32 = 96;

/** Rows [0, m) × panels [panelStart, panelEnd) (clipped to ceil(n/8)); i8_gemm's contract, weights in [−127, 127]. */
export function i8_gemm_dot(
  aPtr: usize, aRowStrideBytes: i32, aZero: i32,
  wPackedPtr: usize, k: i32,
  cPtr: usize, cRowStrideBytes: i32, outZero: i32, lo: i32, hi: i32,
  resPtr: usize, resRowStrideBytes: i32, resZero: i32, resScale: f32,
  m: i32, panelStart: i32, panelEnd: i32, n: i32,
  aPackPtr: usize,
): void {
  gemmDot<u8>(
    aPtr, aRowStrideBytes, aZero, wPackedPtr, k, cPtr, cRowStrideBytes,
    outZero, lo, hi, resPtr, resRowStrideBytes, resZero, resScale, 0, 0,
    m, panelStart, panelEnd, n, aPackPtr,
  );
}

/** i8_gemm_f32's contract (f32 epilogue, clamp [lo, hi]), weights in [−127, 127]. */
export function i8_gemm_dot_f32(
  aPtr: usize, aRowStrideBytes: i32, aZero: i32,
  wPackedPtr: usize, k: i32,
  cPtr: usize, cRowStrideBytes: i32, lo: f32, hi: f32,
  m: i32, panelStart: i32, panelEnd: i32, n: i32,
  aPackPtr: usize,
): void {
  gemmDot<f32>(
    aPtr, aRowStrideBytes, aZero, wPackedPtr, k, cPtr, cRowStrideBytes,
    0, 0, 0, 0, 0, 0, 0, lo, hi,
    m, panelStart, panelEnd, n, aPackPtr,
  );
}

/**
 * i8_gemm's driver with this file's packer and micro-kernel: per chunk of A rows, pack them as x
 * quads, then per panel its split weights, one micro-kernel call over the chunk's row blocks and
 * one epilogue per block. T (u8 or f32) picks the epilogue at compile time; inlined into each export.
 */
// @ts-ignore: decorator
@inline function gemmDot<T>(
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
  const quads = (k + 3) >> 2;
  const chunk = chunkRows(k);
  const rows = packedRows(m, k);
  const acc = aPackPtr;
  const packed = acc + <usize>(rows / MR * ACC_BYTES);
  const sm = packed + <usize>(rows * (quads << 2));
  for (let i0 = 0; i0 < m; i0 += chunk) {
    const i1 = min(m, i0 + chunk);
    const blocks = (i1 - i0 + MR - 1) / MR;
    packQuads(aPtr + <usize>(i0 * aRowStrideBytes), aRowStrideBytes, i1 - i0, k, packed);
    for (let p = pStart; p < pEnd; p++) {
      const w = wPackedPtr + <usize>p * panelBytes;
      const col = <usize>(p * NR) * sizeof<T>();
      const nc = min(NR, n - p * NR);
      splitPanel(w, kp, sm);
      dot4x8(packed, blocks, w, sm, quads, acc);
      epilogueBlocks<T>(
        acc, i0, i1, w, aZero, cPtr, cRowStrideBytes, col, outZero, lo, hi, resPtr, resRowStrideBytes, resZero, resScale, loF, hiF, nc,
      );
    }
  }
}

/**
 * Copies `rows` u8 rows of A (row stride aStride) into blocks of 4 rows, [ceil(k/4)][4] u32
 * words each: word (t, r) holds row r's A[4t..4t+3] ^ 0x80 (x = A − 128 as i8), bytes past k zero.
 * A short last block repeats its last row. 16 bytes of a row at a time (4 words), transposed
 * 4 × 4; the k % 16 tail one word at a time. Reads exactly k bytes per row.
 */
function packQuads(a: usize, aStride: i32, rows: i32, k: i32, dst: usize): void {
  const sa = <usize>aStride;
  const k16 = <usize>(k & ~15);
  const kb = <usize>k;
  const flip = i8x16.splat(-128);
  for (let i = 0; i < rows; i += MR) {
    const left = rows - i;
    const r0 = a + <usize>i * sa;
    const r1 = r0 + (sa & -<usize>(left > 1));
    const r2 = r1 + (sa & -<usize>(left > 2));
    const r3 = r2 + (sa & -<usize>(left > 3));
    let o: usize = 0;
    for (; o < k16; o += 16) {
      storeTransposed4x4(
        dst, v128.xor(v128.load(r0 + o), flip), v128.xor(v128.load(r1 + o), flip),
        v128.xor(v128.load(r2 + o), flip), v128.xor(v128.load(r3 + o), flip),
      );
      dst += 64;
    }
    for (; o < kb; o += 4) {
      const have = <i32>(kb - o);
      store<u32>(dst, quadWord(r0 + o, have));
      store<u32>(dst, quadWord(r1 + o, have), 4);
      store<u32>(dst, quadWord(r2 + o, have), 8);
      store<u32>(dst, quadWord(r3 + o, have), 12);
      dst += 16;
    }
  }
}

/** The x bytes of A[p .. p + min(have, 4)) as one little-endian word, zero past `have`. */
// @ts-ignore: decorator
@inline function quadWord(p: usize, have: i32): u32 {
  let w = <u32>(load<u8>(p) ^ 0x80);
  if (have > 1) w |= <u32>(load<u8>(p, 1) ^ 0x80) << 8;
  if (have > 2) w |= <u32>(load<u8>(p, 2) ^ 0x80) << 16;
  if (have > 3) w |= <u32>(load<u8>(p, 3) ^ 0x80) << 24;
  return w;
}

/**
 * One panel's kp k-pairs (`w` its head) as the micro-kernel reads them: per k-quad t, 64 bytes at
 * dst + 64t — s0, m0 (columns 0–3), s1, m1 (columns 4–7), where lane j of a quad vector holds
 * column j's 4 weights in x-word order (the two k-pair vectors interleaved by 16-bit lanes),
 * s = (W < 0 ? 0xFF : 0) and m = |W|. An odd kp's last quad pairs its last k-pair with zeros (s = m =
 * 0: those products vanish whatever x holds). Done once per panel and chunk, so the k-loop below
 * spends its vector slots on the dots alone.
 */
function splitPanel(w: usize, kp: i32, dst: usize): void {
  const zero = i8x16.splat(0);
  let wp = w + PANEL_HEAD_BYTES;
  const end = wp + (<usize>(kp >> 1) << 5);
  for (; wp != end; wp += 32) {
    splitQuad(v128.load(wp), v128.load(wp, 16), zero, dst);
    dst += 64;
  }
  if (kp & 1) splitQuad(v128.load(wp), zero, zero, dst);
}

/** The 64 bytes of one k-quad from its k-pair vectors e (k = 4t, 4t+1) and o (4t+2, 4t+3); see splitPanel. */
// @ts-ignore: decorator
@inline function splitQuad(e: v128, o: v128, zero: v128, dst: usize): void {
  const lo = i8x16.shuffle(e, o, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  const hi = i8x16.shuffle(e, o, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
  v128.store(dst, i8x16.lt_s(lo, zero));
  v128.store(dst, i8x16.abs(lo), 16);
  v128.store(dst, i8x16.lt_s(hi, zero), 32);
  v128.store(dst, i8x16.abs(hi), 48);
}

/**
 * 4 × 8 micro-kernel over `blocks` blocks of x quads ([quads][4] words each, back to back from
 * `ap`) and one panel split by splitPanel (`sm`, `quads` × 64 bytes; `w` the panel, for its head):
 * block b's tile Σ_k A·W goes to acc + 128·b (row-major 4 × 8). Per k-quad: four weight loads,
 * then per row one broadcast and two xor + relaxed dot. Registers: 8 accumulators, the 4 weight
 * vectors, the broadcast and one xor result (14 of V8's 15 xmm). The loop over blocks nests the
 * k-loop, as in i8_gemm_4x8, so V8 unrolls it.
 */
// @ts-ignore: decorator
@inline function dot4x8(ap: usize, blocks: i32, w: usize, sm: usize, quads: i32, acc: usize): void {
  const blockBytes = <usize>quads << 4;
  for (let b = 0; b < blocks; b++) {
    const init0 = i32x4.add(v128.load(w, QSUM), i32x4.shl(v128.load(w, COLSUM), 7));
    const init1 = i32x4.add(v128.load(w, QSUM + 16), i32x4.shl(v128.load(w, COLSUM + 16), 7));
    let c00 = init0, c01 = init1, c10 = init0, c11 = init1;
    let c20 = init0, c21 = init1, c30 = init0, c31 = init1;
    let wp = sm;
    const end = ap + blockBytes;
    do {
      const s0 = v128.load(wp);
      const m0 = v128.load(wp, 16);
      const s1 = v128.load(wp, 32);
      const m1 = v128.load(wp, 48);
      let x = v128.load32_splat(ap);
      c00 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.xor(x, s0), m0, c00);
      c01 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.xor(x, s1), m1, c01);
      x = v128.load32_splat(ap, 4);
      c10 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.xor(x, s0), m0, c10);
      c11 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.xor(x, s1), m1, c11);
      x = v128.load32_splat(ap, 8);
      c20 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.xor(x, s0), m0, c20);
      c21 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.xor(x, s1), m1, c21);
      x = v128.load32_splat(ap, 12);
      c30 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.xor(x, s0), m0, c30);
      c31 = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.xor(x, s1), m1, c31);
      ap += 16;
      wp += 64;
    } while (ap != end);
    storeTile4x8(acc, c00, c01, c10, c11, c20, c21, c30, c31);
    acc += ACC_BYTES;
  }
}
