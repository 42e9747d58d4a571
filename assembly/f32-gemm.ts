/**
 * f32_gemm: C = epilogue(A · W + bias), W pre-packed by f32_pack_gemm_weights in NR = 8 column
 * panels, computed in MR × 8 tiles by one micro-kernel per build: `f32_gemm_4x8` (mul + add) and
 * `f32_gemm_4x8_fma` (f32x4.relaxed_madd). MR = f32_gemm_mr() = 4 in both builds.
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
 *
 * k ≥ 1 (k < 1 returns without writing). Reads: A and W exactly; res up to 12 bytes past the last column of a row when n % 4 != 0.
 * Writes: only C rows [0, m) × columns of panels [panelStart, panelEnd) clipped to n — never past
 * column n or row m (row tails: row pointers alias the last row and its stores are skipped;
 * column tails: partial stores).
 *
 * Threads: split over outputs only — row blocks (offset aPtr, cPtr, resPtr by the block's first
 * row) and/or panel ranges. Each output element is computed by the same instruction sequence
 * whatever the split, so results are bit-identical at any thread count.
 *
 * Why this shape (measured on the 2-vCPU EPYC dev VM, Node 20, bench/kernels.ts):
 *  - 4 × 8: TurboFan schedules every load of the k-loop body before its multiply-adds, so the
 *    live v128 values are 2·MR accumulators + MR broadcasts + 2 weight vectors. MR = 4 uses 14
 *    of V8's 15 allocatable xmm registers; 5×8 and 6×8 spill accumulators and run at half speed.
 *  - A is addressed as rowBase + k-offset (one shared induction variable, `leal` per row)
 *    instead of four incremented row pointers, and row bases come from arithmetic, not selects,
 *    so V8 knows they are zero-extended: 22 instead of 27 instructions per 8 FMAs
 *    (relaxed 35 → 43 GFLOP/s, front-end bound before).
 *  - The micro-kernel is one small function, not inlined (two call sites keep Binaryen from
 *    inlining it), so the driver's state cannot crowd its loop. (The 5×8/6×8 prototype halved
 *    its speed when inlined or k-unrolled; with 4×8 inlining measured within noise.) Do not
 *    unroll k: the hoisted loads double and spill (4×8 unrolled by 2: relaxed 44 → 21 GFLOP/s).
 *  - Rows are processed in chunks whose A block fits in L2 (CHUNK_BYTES), panels inside a chunk:
 *    A comes from memory once, W panels are re-read from L2/L3 once per chunk.
 */

@inline const NR: i32 = 8;
@inline const MR: i32 = 4;
/** A rows per chunk: as many as fit in this many bytes (about half of a 512 KiB L2). */
@inline const CHUNK_BYTES: i32 = 262144;

/** MR of this build: rows per micro-kernel tile (the host sizes row blocks with it). */
export function f32_gemm_mr(): i32 {
  return MR;
}

/** Rows [0, m) × panels [panelStart, panelEnd) (clipped to ceil(n/8)); contract above. */
export function f32_gemm(
  aPtr: usize, aRowStrideBytes: i32,
  wPackedPtr: usize, k: i32,
  cPtr: usize, cRowStrideBytes: i32,
  resPtr: usize, resRowStrideBytes: i32, resScale: f32,
  lo: f32, hi: f32,
  m: i32, panelStart: i32, panelEnd: i32, n: i32,
): void {
  if (k < 1) return;
  const pStart = max(panelStart, 0);
  const pEnd = min(panelEnd, (n + NR - 1) / NR);
  const panelBytes = <usize>(NR + NR * k) << 2;
  const chunk = max(MR, CHUNK_BYTES / (k << 2) / MR * MR);
  for (let i0 = 0; i0 < m; i0 += chunk) {
    const i1 = min(m, i0 + chunk);
    for (let p = pStart; p < pEnd; p++) {
      const w = wPackedPtr + <usize>p * panelBytes;
      const col = <usize>(p * NR) << 2;
      const nc = min(NR, n - p * NR);
      let i = i0;
      for (; i + MR <= i1; i += MR) {
        tile(
          aPtr + <usize>(i * aRowStrideBytes), aRowStrideBytes, MR, w, k,
          cPtr + <usize>(i * cRowStrideBytes) + col, cRowStrideBytes,
          resPtr != 0 ? resPtr + <usize>(i * resRowStrideBytes) + col : 0, resRowStrideBytes,
          resScale, lo, hi, nc,
        );
      }
      if (i < i1) {
        tile(
          aPtr + <usize>(i * aRowStrideBytes), aRowStrideBytes, i1 - i, w, k,
          cPtr + <usize>(i * cRowStrideBytes) + col, cRowStrideBytes,
          resPtr != 0 ? resPtr + <usize>(i * resRowStrideBytes) + col : 0, resRowStrideBytes,
          resScale, lo, hi, nc,
        );
      }
    }
  }
}

@inline function tile(
  a: usize, aStride: i32, rows: i32, w: usize, k: i32,
  c: usize, cStride: i32, res: usize, resStride: i32, resScale: f32, lo: f32, hi: f32, nc: i32,
): void {
  if (ASC_FEATURE_RELAXED_SIMD) f32_gemm_4x8_fma(a, aStride, rows, w, k, c, cStride, res, resStride, resScale, lo, hi, nc);
  else f32_gemm_4x8(a, aStride, rows, w, k, c, cStride, res, resStride, resScale, lo, hi, nc);
}

/**
 * MR × 8 micro-kernel: rows [0, rows) of A (rows ≤ 4; the missing rows re-read the last row and
 * are not stored) times one packed panel `w`, then the epilogue into nc ≤ 8 columns of C.
 */
function f32_gemm_4x8(
  a: usize, aStride: i32, rows: i32, w: usize, k: i32,
  c: usize, cStride: i32, res: usize, resStride: i32, resScale: f32, lo: f32, hi: f32, nc: i32,
): void {
  const sa = <usize>aStride;
  const a0 = a;
  const a1 = a0 + (sa & -<usize>(rows > 1));
  const a2 = a1 + (sa & -<usize>(rows > 2));
  const a3 = a2 + (sa & -<usize>(rows > 3));
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let wp = w + 32;
  let o: usize = 0;
  const end = <usize>k << 2;
  do {
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0 + o);
    c00 = f32x4.add(c00, f32x4.mul(x, w0));
    c01 = f32x4.add(c01, f32x4.mul(x, w1));
    x = v128.load32_splat(a1 + o);
    c10 = f32x4.add(c10, f32x4.mul(x, w0));
    c11 = f32x4.add(c11, f32x4.mul(x, w1));
    x = v128.load32_splat(a2 + o);
    c20 = f32x4.add(c20, f32x4.mul(x, w0));
    c21 = f32x4.add(c21, f32x4.mul(x, w1));
    x = v128.load32_splat(a3 + o);
    c30 = f32x4.add(c30, f32x4.mul(x, w0));
    c31 = f32x4.add(c31, f32x4.mul(x, w1));
    o += 4;
    wp += 32;
  } while (o != end);
  epilogue4(w, c, cStride, res, resStride, resScale, lo, hi, nc, rows, c00, c01, c10, c11, c20, c21, c30, c31);
}

/** f32_gemm_4x8 with fused multiply-add (relaxed SIMD). */
function f32_gemm_4x8_fma(
  a: usize, aStride: i32, rows: i32, w: usize, k: i32,
  c: usize, cStride: i32, res: usize, resStride: i32, resScale: f32, lo: f32, hi: f32, nc: i32,
): void {
  const sa = <usize>aStride;
  const a0 = a;
  const a1 = a0 + (sa & -<usize>(rows > 1));
  const a2 = a1 + (sa & -<usize>(rows > 2));
  const a3 = a2 + (sa & -<usize>(rows > 3));
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let wp = w + 32;
  let o: usize = 0;
  const end = <usize>k << 2;
  do {
    const w0 = v128.load(wp);
    const w1 = v128.load(wp, 16);
    let x = v128.load32_splat(a0 + o);
    c00 = f32x4.relaxed_madd(x, w0, c00);
    c01 = f32x4.relaxed_madd(x, w1, c01);
    x = v128.load32_splat(a1 + o);
    c10 = f32x4.relaxed_madd(x, w0, c10);
    c11 = f32x4.relaxed_madd(x, w1, c11);
    x = v128.load32_splat(a2 + o);
    c20 = f32x4.relaxed_madd(x, w0, c20);
    c21 = f32x4.relaxed_madd(x, w1, c21);
    x = v128.load32_splat(a3 + o);
    c30 = f32x4.relaxed_madd(x, w0, c30);
    c31 = f32x4.relaxed_madd(x, w1, c31);
    o += 4;
    wp += 32;
  } while (o != end);
  epilogue4(w, c, cStride, res, resStride, resScale, lo, hi, nc, rows, c00, c01, c10, c11, c20, c21, c30, c31);
}

/** Bias (panel head at w), residual, clamp and store of the first `rows` rows of a 4×8 tile. */
@inline function epilogue4(
  w: usize, c: usize, cStride: i32, res: usize, resStride: i32, resScale: f32, lo: f32, hi: f32,
  nc: i32, rows: i32,
  c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
): void {
  const b0 = v128.load(w);
  const b1 = v128.load(w, 16);
  const vs = f32x4.splat(resScale);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  const cs = <usize>cStride;
  const rs = res != 0 ? <usize>resStride : 0;
  storeRow(c, res, c00, c01, b0, b1, vs, vlo, vhi, nc);
  if (rows > 1) storeRow(c + cs, res + rs, c10, c11, b0, b1, vs, vlo, vhi, nc);
  if (rows > 2) storeRow(c + 2 * cs, res + 2 * rs, c20, c21, b0, b1, vs, vlo, vhi, nc);
  if (rows > 3) storeRow(c + 3 * cs, res + 3 * rs, c30, c31, b0, b1, vs, vlo, vhi, nc);
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
