// The 4 × 4 transpose of 32-bit lanes that both GEMM A packers (f32-gemm.ts, i8-gemm.ts) store
// for each k-group of four rows. Not re-exported by index.ts: inlined into its callers.

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
