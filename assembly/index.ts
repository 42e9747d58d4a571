// The kernel module: every exported function is a kernel with the contract written above it in
// its file. One source, four builds (scripts/build-wasm.mjs); `ASC_FEATURE_RELAXED_SIMD` selects
// the fused multiply-add paths at compile time. The SIMD peak loop (f32-peak.ts) is not exported
// here: it is benchmark code, built only into the bench modules (build/bench-*.wasm). Nor is the
// int8 GEMM on the relaxed dot (i8-gemm-dot.ts): scripts/build-wasm.mjs adds it as an entry of the
// relaxed targets only, since its instruction does not compile in the baseline ones.
export * from './f32-gemm';
export * from './f32-pack';
export * from './f32-im2col';
export * from './f32-dwconv';
export * from './f32-pool';
export * from './f32-batchnorm';
export * from './f32-elementwise';
export * from './f32-lrn';
export * from './f32-softmax';
export * from './f32-transpose';
export * from './f32-winograd-1d';
export * from './f32-winograd-2d';
export * from './f32-winograd-pack';
// 8-bit kernels (u8 activations, i8 weights): GEMM with a requantize epilogue, its weight
// packing, im2col, Winograd (2-D F(2×2)/F(4×4, 3×3), 1-D F(2, 7)/F(4, 3)) on the same packed
// weights, pooling, and f32 ↔ u8 quantisation. Integer-exact: the same bytes in every build.
export * from './i8-gemm';
export * from './i8-pack';
export * from './i8-im2col';
export * from './i8-winograd';
export * from './i8-winograd-1d';
export * from './u8-pool';
export * from './quantize';
