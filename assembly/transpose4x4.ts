// Moves of 4-row tiles the GEMM kernels share: the 4 × 4 transpose of 32-bit lanes their A packers
// (f32-gemm.ts, i8-gemm.ts, i8-gemm-dot.ts, i8-winograd-tiles.ts) store for each k-group of four
// rows, and the store of a 4 × 8 accumulator tile (f32 or i32 lanes) their micro-kernels hand to
// the epilogue. Not re-exported by index.ts: inlined into its callers.

/**
 * Stores the transpose of rows v0..v3 (four 32-bit lanes each) as 64 bytes at dst: lane j of
 * row i lands at dst + 16·j + 4·i, i.e. the four rows' lane j side by side. Exact (a shuffle).
 */
// @ts-ignore: decorator
@inline export function storeTransposed4x4(dst: usize, v0: v128, v1: v128, v2: v128, v3: v128): void {
  const t0 = v128.shuffle<i32>(v0, v1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(v2, v3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(v0, v1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(v2, v3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<i32>(t0, t1, 2, 3, 6, 7), 16);
  v128.store(dst, v128.shuffle<i32>(t2, t3, 0, 1, 4, 5), 32);
  v128.store(dst, v128.shuffle<i32>(t2, t3, 2, 3, 6, 7), 48);
}

/** Stores a 4 × 8 tile of 32-bit lanes row-major as 128 bytes at dst: row i is ci0 (columns 0–3), ci1 (4–7). */
// @ts-ignore: decorator
@inline export function storeTile4x8(
  dst: usize, c00: v128, c01: v128, c10: v128, c11: v128, c20: v128, c21: v128, c30: v128, c31: v128,
): void {
  v128.store(dst, c00);
  v128.store(dst, c01, 16);
  v128.store(dst, c10, 32);
  v128.store(dst, c11, 48);
  v128.store(dst, c20, 64);
  v128.store(dst, c21, 80);
  v128.store(dst, c30, 96);
  v128.store(dst, c31, 112);
}
