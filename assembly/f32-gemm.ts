/**
 * f32_gemm: C = epilogue(A · W + bias), W pre-packed by f32_pack_gemm_weights in NR = 8 column
 * panels, A copied into the caller's scratch in blocks of MR = 4 rows, computed in 4 × 8 tiles by
 * one micro-kernel, `f32_gemm_4x8` (f32x4.relaxed_madd in the relaxed build, mul then add in the
 * baseline). MR = f32_gemm_mr() = 4 in both builds.
 *
 *   acc[i][j] = Σ_k A[i][k] · W[k][j]            (f32, k ascending, one accumulator per (i, j))
 *   x        = acc[i][j] + bias[j]
 *   C[i][j]  = clamp(res[i][j] + resScale · x, lo, hi)   when resPtr != 0 (Inception-ResNet residual)
 *   C[i][j]  = clamp(x, lo, hi)                           otherwise
 *   ReLU: lo = 0, hi = +inf; no activation: lo = −inf, hi = +inf. NaN propagates through the clamp.
 *
 * Layouts (strides in bytes; 4-byte alignment suffices, loads/stores are unaligned v128):
 *   a:       [m][k] floats, row stride aRowStrideBytes ≥ 4k (an NHWC view, an im2col block).
 *   wPacked: [ceil(n/8)] panels, each bias[8] then [k][8] weights, zero-padded past column n:
 *            panel p starts at wPackedPtr + p · (8 + 8k) · 4 and holds columns p·8 … p·8 + 7.
 *   c:       [m][n] floats, row stride cRowStrideBytes (e.g. a channel slice of a concat).
 *   res:     [m][n] floats, row stride resRowStrideBytes; may alias c exactly (each element is
 *            read before it is written); any other overlap with c is unsupported.
 *   aPack:   scratch of f32_gemm_pack_bytes(m, k) bytes, overlapping none of the above: a 4 × 8
 *            accumulator tile (128 bytes), then one chunk of A rows as [rows/4][k][4] (a short
 *            last block repeats its last row); contents on return unspecified.
 *
 * k ≥ 1 (k < 1 returns without writing). Reads: A and W exactly; res up to 12 bytes past the last column of a row when n % 4 != 0.
 * Writes: aPack, and only C rows [0, m) × columns of panels [panelStart, panelEnd) clipped to n —
 * never past column n or row m (row tails: the repeated rows' stores are skipped; column tails:
 * partial stores).
 *
 * Threads: split over outputs only — row blocks (offset aPtr, cPtr, resPtr by the block's first
 * row) and/or panel ranges, each thread with its own aPack. Each output element is computed by
 * the same instruction sequence whatever the split, so results are bit-identical at any thread
 * count.
 *
 * Why this shape (measured on the 2-vCPU EPYC dev VM, Node 20; machine code read from the JIT's
 * code space):
 *  - 4 × 8: V8 schedules every load of the first copy of an unrolled k-loop before its
 *    multiply-adds, so that copy holds 2·MR accumulators + MR broadcasts + 2 weight vectors: MR = 4
 *    uses 14 of V8's 15 allocatable xmm registers; 5×8 and 6×8 with broadcast loads (17 and 20
 *    live) spill accumulators through the stack and run at half speed (`node --print-wasm-code`
 *    shows it). A 5 × 8 that loads rows 0–3 of a k-step as one vector and broadcasts them by lane
 *    shuffles (pure, placed next to their FMAs; row 4 a broadcast load) fits in 15 with no spill
 *    and ten accumulator chains: 1.04–1.10× this kernel's GFLOP/s at v3's 1225-row shapes on a
 *    quiet core, equal when the SMT sibling is busy; whole Inception-v3, paired (`npx tsx bench/ab.ts
 *    --tree-a <this kernel> --model inception_v3 --threads 1,2 --rounds 40`): 0.976 [0.950, 1.011]
 *    at 1 thread, 0.965 [0.911, 1.005] at 2 — not a reliable 3 %, so not adopted. A non-inlined
 *    micro-kernel (its k-loop at a function's top level) measured 0.5–0.7× (6 × 8) and 0.6–1.07×
 *    (5 × 8).
 *  - The k-loop sits inside a loop over row blocks (f32_gemm_4x8, which Binaryen inlines into the
 *    driver's chunk and panel loops): V8's unroll budget grows with loop depth, and a k-loop at a
 *    function's top level is not unrolled at all — it then runs a stack check and its own
 *    bookkeeping every k-step (24 instructions per 8 FMAs). Nested, it is unrolled four times:
 *    one stack check per four k-steps.
 *  - Packed A: the four broadcasts of a k-step read one pointer at constant offsets, no
 *    row-base + k-offset `leal`s: 18 instructions per 8 FMAs in all (was 24). Where the core runs
 *    at full speed both versions reach the FMA bound; where it is shared (a busy SMT sibling on the
 *    host — the dev VM spends long phases so, and the bench's medians with it) the front end is the
 *    bound and this f32_gemm is 1.08–1.15× faster than the strided, not-unrolled one (both
 *    modules in one process, best rate per second of interleaved calls). The copy costs one
 *    instruction per float (4 × 4 transposes) and is reused by every panel of the chunk.
 *  - The accumulators reach the epilogue through aPack (8 stores and loads per tile), so the
 *    epilogue stays a called function outside the loop nest. Do not unroll k by hand: V8 unrolls
 *    that again and the hoisted loads of its first copy spill (4×8 unrolled by 2: relaxed 44 → 21
 *    GFLOP/s).
 *  - Rows are processed in chunks whose A block fits in L2 (CHUNK_BYTES), packed once per chunk,
 *    panels inside a chunk: A comes from memory once, W panels are re-read from L2/L3 once per
 *    chunk.
 */

import { storeTile4x8, storeTransposed4x4 } from './transpose4x4';

@inline const NR: i32 = 8;
@inline const MR: i32 = 4;
/** A rows per chunk: as many as fit in this many bytes (about half of a 512 KiB L2). */
@inline const CHUNK_BYTES: i32 = 262144;
/** One 4 × 8 accumulator tile, handed from the micro-kernel to the epilogue through aPack. */
@inline const ACC_BYTES: i32 = 128;

/** MR of this build: rows per micro-kernel tile (the host sizes row blocks with it). */
export function f32_gemm_mr(): i32 {
  return MR;
}

/** Scratch bytes f32_gemm needs at aPackPtr for m rows of depth k: one chunk of packed rows. */
export function f32_gemm_pack_bytes(m: i32, k: i32): i32 {
  if (m < 1 || k < 1) return 0;
  const rows = packedRows(m, k);
  return rows / MR * ACC_BYTES + rows * (k << 2);
}

@inline function chunkRows(k: i32): i32 {
  return max(MR, CHUNK_BYTES / (k << 2) / MR * MR);
}

/** Rows of the largest packed chunk of an m-row call: aPack holds their accumulator tiles, then them. */
@inline function packedRows(m: i32, k: i32): i32 {
  return min((m + MR - 1) / MR * MR, chunkRows(k));
}

/** Rows [0, m) × panels [panelStart, panelEnd) (clipped to ceil(n/8)); contract above. */
export function f32_gemm(
  aPtr: usize, aRowStrideBytes: i32,
  wPackedPtr: usize, k: i32,
  cPtr: usize, cRowStrideBytes: i32,
  resPtr: usize, resRowStrideBytes: i32, resScale: f32,
  lo: f32, hi: f32,
  m: i32, panelStart: i32, panelEnd: i32, n: i32,
  aPackPtr: usize,
): void {
  if (k < 1) return;
  const pStart = max(panelStart, 0);
  const pEnd = min(panelEnd, (n + NR - 1) / NR);
  if (pStart >= pEnd) return;
  const panelBytes = <usize>(NR + NR * k) << 2;
  const chunk = chunkRows(k);
  const acc = aPackPtr;
  const packed = aPackPtr + <usize>(packedRows(m, k) / MR * ACC_BYTES);
  for (let i0 = 0; i0 < m; i0 += chunk) {
    const i1 = min(m, i0 + chunk);
    const blocks = (i1 - i0 + MR - 1) / MR;
    packRows(aPtr + <usize>(i0 * aRowStrideBytes), aRowStrideBytes, i1 - i0, k, packed);
    for (let p = pStart; p < pEnd; p++) {
      const w = wPackedPtr + <usize>p * panelBytes;
      const col = <usize>(p * NR) << 2;
      const nc = min(NR, n - p * NR);
      f32_gemm_4x8(packed, blocks, w, k, acc);
      for (let b = 0; b < blocks; b++) {
        const i = i0 + b * MR;
        epilogue4(
          acc + <usize>b * ACC_BYTES, w, cPtr + <usize>(i * cRowStrideBytes) + col, cRowStrideBytes,
          resPtr != 0 ? resPtr + <usize>(i * resRowStrideBytes) + col : 0, resRowStrideBytes, resScale, lo, hi, nc,
          min(MR, i1 - i),
        );
      }
    }
  }
}

/**
 * Copies `rows` rows of A (row stride aStride) into blocks of 4 rows, [k][4] each, back to back
 * from dst; a short last block repeats its last row. 4 × 4 transposes, then one k at a time.
 */
function packRows(a: usize, aStride: i32, rows: i32, k: i32, dst: usize): void {
  const sa = <usize>aStride;
  const k4 = <usize>(k & ~3) << 2;
  const kb = <usize>k << 2;
  for (let i = 0; i < rows; i += MR) {
    const left = rows - i;
    const r0 = a + <usize>i * sa;
    const r1 = r0 + (sa & -<usize>(left > 1));
    const r2 = r1 + (sa & -<usize>(left > 2));
    const r3 = r2 + (sa & -<usize>(left > 3));
    let o: usize = 0;
    for (; o < k4; o += 16) {
      const v0 = v128.load(r0 + o);
      const v1 = v128.load(r1 + o);
      const v2 = v128.load(r2 + o);
      const v3 = v128.load(r3 + o);
      storeTransposed4x4(dst, v0, v1, v2, v3);
      dst += 64;
    }
    for (; o < kb; o += 4) {
      store<f32>(dst, load<f32>(r0 + o));
      store<f32>(dst, load<f32>(r1 + o), 4);
      store<f32>(dst, load<f32>(r2 + o), 8);
      store<f32>(dst, load<f32>(r3 + o), 12);
      dst += 16;
    }
  }
}

/**
 * 4 × 8 micro-kernel over `blocks` packed blocks of A ([k][4] each, back to back from `ap`) and
 * the weights of one packed panel (`w`, past its bias): block b's accumulators go to
 * acc + 128·b (row-major 4 × 8). The loop over blocks nests the k-loop, which V8 then unrolls
 * (loop depth sets its unroll budget; see "Why this shape" above).
 */
function f32_gemm_4x8(ap: usize, blocks: i32, w: usize, k: i32, acc: usize): void {
  const blockBytes = <usize>k << 4;
  for (let b = 0; b < blocks; b++) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
    let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
    let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let wp = w + 32;
    const end = ap + blockBytes;
    do {
      const w0 = v128.load(wp);
      const w1 = v128.load(wp, 16);
      let x = v128.load32_splat(ap);
      c00 = madd(x, w0, c00);
      c01 = madd(x, w1, c01);
      x = v128.load32_splat(ap, 4);
      c10 = madd(x, w0, c10);
      c11 = madd(x, w1, c11);
      x = v128.load32_splat(ap, 8);
      c20 = madd(x, w0, c20);
      c21 = madd(x, w1, c21);
      x = v128.load32_splat(ap, 12);
      c30 = madd(x, w0, c30);
      c31 = madd(x, w1, c31);
      ap += 16;
      wp += 32;
    } while (ap != end);
    storeTile4x8(acc, c00, c01, c10, c11, c20, c21, c30, c31);
    acc += ACC_BYTES;
  }
}

/** acc + x · w: fused (relaxed_madd) in the relaxed build, mul then add in the baseline. */
// @ts-ignore: decorator
@inline function madd(x: v128, w: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, w, acc);
  return f32x4.add(acc, f32x4.mul(x, w));
}

/** Bias (panel head at w), residual, clamp and store of the first `rows` rows of the 4 × 8 tile at acc. */
function epilogue4(
  acc: usize, w: usize, c: usize, cStride: i32, res: usize, resStride: i32, resScale: f32, lo: f32, hi: f32,
  nc: i32, rows: i32,
): void {
  const b0 = v128.load(w);
  const b1 = v128.load(w, 16);
  const vs = f32x4.splat(resScale);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const cs = <usize>cStride;
  const rs = res != 0 ? <usize>resStride : 0;
  storeRow(c, res, v128.load(acc), v128.load(acc, 16), b0, b1, vs, vlo, vhi, nc);
  if (rows > 1) storeRow(c + cs, res + rs, v128.load(acc, 32), v128.load(acc, 48), b0, b1, vs, vlo, vhi, nc);
  if (rows > 2) storeRow(c + 2 * cs, res + 2 * rs, v128.load(acc, 64), v128.load(acc, 80), b0, b1, vs, vlo, vhi, nc);
  if (rows > 3) storeRow(c + 3 * cs, res + 3 * rs, v128.load(acc, 96), v128.load(acc, 112), b0, b1, vs, vlo, vhi, nc);
}

/** One row: bias, optional residual (res = 0: none), clamp, full or partial store of nc ≤ 8 columns. */
@inline function storeRow(
  c: usize, res: usize, v0: v128, v1: v128,
  bias0: v128, bias1: v128, scale: v128, vlo: v128, vhi: v128, nc: i32,
): void {
  v0 = f32x4.add(v0, bias0);
  v1 = f32x4.add(v1, bias1);
  if (res != 0) {
    v0 = f32x4.add(v128.load(res), f32x4.mul(scale, v0));
    if (nc > 4) v1 = f32x4.add(v128.load(res, 16), f32x4.mul(scale, v1));
  }
  v0 = f32x4.pmin(f32x4.pmax(v0, vlo), vhi);
  v1 = f32x4.pmin(f32x4.pmax(v1, vlo), vhi);
  if (nc == 8) {
    v128.store(c, v0);
    v128.store(c, v1, 16);
    return;
  }
  let left = nc;
  if (left >= 4) {
    v128.store(c, v0);
    v0 = v1;
    c += 16;
    left -= 4;
  }
  if (left & 2) {
    v128.store64_lane(c, v0, 0);
    v0 = v128.shuffle<f32>(v0, v0, 2, 3, 2, 3);
    c += 8;
  }
  if (left & 1) v128.store32_lane(c, v0, 0);
}
