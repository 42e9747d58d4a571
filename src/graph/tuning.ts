/**
 * Every performance threshold of the compiler, in one record. None of them changes a result
 * except the algorithm choice (Winograd or not, and which tile): tasks are split over outputs,
 * never over a reduction, so the split thresholds move work between threads, not arithmetic
 * between outputs. The Winograd thresholds depend on the layer alone (never on threads or batch),
 * so a network's outputs are bit-identical at any thread count and batch.
 *
 * Where the values come from: measured on a 2-vCPU AMD EPYC VM (Zen 3, 512 KiB L2 per core) with
 * the bench command named on each field. On another machine they are starting points: override
 * them per compile (`CompileOptions.tuning`) and measure with the same command.
 */

export interface RedoneCost {
  /** Winograd input transform, per transformed value. */
  winogradInput: number;
  /** im2col copy plus A pack, per copied value. */
  im2col: number;
  /** A pack of a direct (1×1) conv, per value. */
  pack: number;
}

/** Fewest tiles per image for each int8 Winograd form (Infinity: never that form). */
export interface I8WinogradThresholds {
  /** 2-D F(2×2, 3×3): 2 × 2 tiles. */
  tiles2: number;
  /** 2-D F(4×4, 3×3): 4 × 4 tiles. */
  tiles4: number;
  /** 1-D F(2, 7) and F(4, 3): tiles of 2 or 4 outputs along the lines. */
  tiles1d: number;
  /** F(2×2) only where it needs at most this share of the direct convolution's multiplies. */
  f2MaxShare: number;
}

export interface Tuning {
  /**
   * A thread's im2col block or Winograd V + M is sized to stay within this (bytes): the L2 of one
   * core, so the GEMM reads its A rows from cache. Trades larger blocks (fewer redone weight
   * reads) against cache misses. `npx tsx bench/winograd.ts --layers`, `npm run bench:models`.
   */
  scratchTargetBytes: number;
  /**
   * The scratch an im2col block may take (bytes) to reach `im2colMinRows` rows (small maps with a
   * deep K: 17×17 stride-2 reductions). `npm run bench:models`.
   */
  scratchMaxBytes: number;
  /**
   * Fewest GEMM rows per im2col task where `scratchMaxBytes` allows: each weight panel is reused
   * by that many rows (16 micro-kernel tiles of 4). `npm run bench:models`.
   */
  im2colMinRows: number;
  /**
   * Fewest micro-kernel tiles (of MR rows) per direct (1×1) conv row block: small maps (8×8: 16
   * tiles) take two blocks of 8 tiles, not 4-row blocks that each stream the whole weight matrix
   * (Inception-ResNet-v2 conv2d_7b, 1×1 2080 → 1536 at 8×8: 14.7 → 11.1 ms, one thread).
   * `npm run bench:models -- --models inception_resnet_v2`.
   */
  directMinTiles: number;
  /**
   * Most row blocks per direct conv: enough tasks to balance threads taken dynamically, few enough
   * that each block amortises the weight reads. `npm run bench:models -- --threads 1,2`.
   */
  directMaxRowBlocks: number;
  /**
   * Row blocks per image for steps split by output rows (im2col convs where the scratch allows,
   * depthwise convs, pools): enough tasks to balance threads on one image. `npm run bench:models -- --threads 1,2`.
   */
  rowBlocksPerImage: number;
  /**
   * Per-pixel steps (BatchNorm, add, copy, LRN): pixel ranges of at least `minPixelsPerTask`
   * pixels, about `pixelBlocksPerImage` of them per image; smaller tasks cost more in hand-out than
   * they gain in balance. `npm run bench:models -- --threads 1,2`.
   */
  minPixelsPerTask: number;
  pixelBlocksPerImage: number;
  /** Channels per global-average-pool task (a memory-bound reduction over H·W per channel). `npm run bench:models`. */
  channelsPerGlobalPoolTask: number;
  /**
   * Fewest tiles (GEMM rows) per Winograd task where the map has them (8 micro-kernel tiles of 4
   * rows), and the row blocks per image it aims for. `npx tsx bench/winograd.ts --layers`.
   */
  winogradMinTiles: number;
  winogradBlocksPerImage: number;
  /**
   * Fewest input and output channels for Winograd: below it the transforms cost more than the
   * multiplies they save. `npx tsx bench/winograd.ts --layers`.
   */
  winogradMinChannels: number;
  /**
   * 3×3 convs take F(4×4, 3×3) from this many 4×4 tiles per image (its 36 transformed weight
   * blocks are then reused by enough GEMM rows), else F(2×2, 3×3) from this many 2×2 tiles, else
   * the direct path. Per layer on GoogLeNet (`npx tsx bench/winograd.ts --model googlenet --layers`):
   * F(4×4) 0.46–0.5× the direct time at 56×56 and 28×28, F(2×2) 0.63–0.8× at 14×14, and 1.0–1.3×
   * at 7×7 (16 tiles: each transformed weight is used by too few rows).
   */
  winograd4x4MinTiles: number;
  winograd2x2MinTiles: number;
  /**
   * F(6×6, 3×3) instead of F(4×4) needs, besides fewer GEMM rows × 64 matrices than F(4×4)'s rows
   * × 36: this many 6×6 tiles per image (its weights are 64/36 of F(4×4)'s and need the rows to
   * reuse them); this many row blocks in its one-thread split (a 35×35 map is one block of 36
   * tiles, which leaves a second thread idle or splits into panel groups); at most this many
   * output channels (with threads, each panel group of a task redoes the input transform, α² = 64
   * matrices of it). Per layer, one thread, F(6×6) / F(4×4): 147×147 32 → 64 0.89–0.93, 71×71
   * 64 → 96 0.87–0.91 (`npx tsx bench/winograd.ts --model inception_v3 --layers`); 35×35 64 → 96
   * and 56×56 64 → 192 were slower whole-run at two threads (`npx tsx bench/winograd.ts --threads 2`).
   */
  winograd6x6MinTiles: number;
  winograd6x6MinRowBlocks: number;
  winograd6x6MaxOutChannels: number;
  /**
   * Fixed work a task redoes per row of its row block when a step's weight panels are split into
   * groups, in MAC-equivalents per unit of the GEMM's depth (per input channel for Winograd, per
   * K for im2col and direct convs), next to PANEL_WIDTH MACs per depth unit for each panel it
   * computes (`panelsPerTaskFor`). Measured by running a two-thread program on one thread against
   * the one-thread program (all tasks inline, paired medians, googlenet and Inception-v3): a redone
   * Winograd input transform 1.5 ns per value against 0.05 ns per GEMM MAC; a redone im2col copy
   * plus A pack 1.06 ns per value against 0.07 ns per MAC; a redone A pack of a 1×1 conv
   * 0.20–0.24 ns per value against 0.07 ns per MAC. `npm run bench:models -- --threads 1,2`.
   */
  redoneCost: RedoneCost;
  /**
   * Fewest weight panels per panel group: each group's GEMM needs enough columns to amortise its
   * A pack (Winograd and im2col), while a direct conv's groups redo only that pack.
   */
  winogradMinPanels: number;
  im2colMinPanels: number;
  directMinPanels: number;
  /**
   * Fewest tiles per image for each int8 Winograd form (int8 programs, src/graph/int8/steps-int8.ts).
   * The transformed weights are recomputed per task and panel from the i8 panels
   * (assembly/i8-winograd.ts), which a map of few tiles amortises badly (one F(4×4) tile on a 4×4
   * map: 1.4× the im2col time). One thread, single convs against im2col + i8_gemm
   * (`npx tsx bench/int8-winograd.ts --layers`): F(2×2) 0.62–0.69× from 4 tiles (4×4, 6×6 maps),
   * 0.83–0.87× at 5×5 (9 tiles, over a third of their outputs past the map), 1.0× at 3×3 (which
   * `i8WinogradTileFor`'s multiply rule excludes); F(4×4) 0.41–0.49× from 4 tiles on a 7×7 map,
   * where F(2×2) is 0.52–0.62×; F(2, 7) 0.61–0.66× from 28 tiles (7×7), 0.77–0.85× at 15 (5×5),
   * 1–3× at 6 (3×3); F(4, 3) 0.52–0.69× from 12 tiles (6×6), 0.7–1.7× at 4 (4×4). No result
   * depends on it: every form gives the direct convolution's bytes.
   */
  int8Winograd: I8WinogradThresholds;
  /**
   * The same for a conv whose direct form runs on the relaxed dot (i8_gemm_dot, 1.7–2.2× i8_gemm's
   * GEMM in Chromium on an AVX-VNNI CPU), against which the i16 Winograd GEMMs win less: no 1-D
   * form (F(2, 7) on v3's 17×17 maps measured 1.22–1.32× the direct dot conv, F(4, 3) at 8×8
   * 1.03–1.07×) and F(2×2) only at ≤ ½ of the direct multiplies (googlenet's 7×7 maps, 0.58 of
   * them: 1.14–1.19×; 14×14 and larger, 0.44–0.51: 0.60–0.99×). Per layer, one thread, Chromium 156
   * (session.profile() of int8 sessions with and without `winograd`, googlenet 224 and v3 299);
   * whole networks: `npx tsx bench/int8-browser.ts --variants int8-dot,int8-dot-nowino,…`.
   */
  int8WinogradDot: I8WinogradThresholds;
  /**
   * Output pixels per int8 Winograd task where the map has them (64 F(2×2), 16 F(4×4), 128 F(2, 7)
   * or 64 F(4, 3) tiles): the per-panel weight transform is then a few % of the multiply-adds.
   * `npx tsx bench/int8-winograd.ts --layers`.
   */
  int8WinogradTaskPixels: number;
  /**
   * Initial size of a session's wasm memory (bytes). Only a start: the arena grows the memory as
   * weights, activations and scratch are allocated (each grow costs milliseconds whatever its
   * size, so a start that holds the first weights saves the early small grows). No result depends
   * on it.
   */
  initialArenaBytes: number;
}

export const DEFAULT_TUNING: Readonly<Tuning> = Object.freeze({
  scratchTargetBytes: 512 * 1024,
  scratchMaxBytes: 1024 * 1024,
  im2colMinRows: 64,
  directMinTiles: 8,
  directMaxRowBlocks: 24,
  rowBlocksPerImage: 16,
  minPixelsPerTask: 64,
  pixelBlocksPerImage: 8,
  channelsPerGlobalPoolTask: 256,
  winogradMinTiles: 32,
  winogradBlocksPerImage: 8,
  winogradMinChannels: 8,
  winograd4x4MinTiles: 32,
  winograd2x2MinTiles: 25,
  winograd6x6MinTiles: 36,
  winograd6x6MinRowBlocks: 4,
  winograd6x6MaxOutChannels: 128,
  redoneCost: Object.freeze({ winogradInput: 30, im2col: 15, pack: 3 }),
  winogradMinPanels: 4,
  im2colMinPanels: 4,
  directMinPanels: 1,
  int8Winograd: Object.freeze({ tiles2: 4, tiles4: 4, tiles1d: 12, f2MaxShare: 3 / 4 }),
  int8WinogradDot: Object.freeze({ tiles2: 4, tiles4: 4, tiles1d: Infinity, f2MaxShare: 1 / 2 }),
  int8WinogradTaskPixels: 256,
  initialArenaBytes: 16 << 20,
});

/** The defaults with `overrides` applied (`redoneCost` merged field by field). */
export function resolveTuning(overrides?: Partial<Tuning>): Readonly<Tuning> {
  if (!overrides) return DEFAULT_TUNING;
  return {
    ...DEFAULT_TUNING, ...overrides, redoneCost: { ...DEFAULT_TUNING.redoneCost, ...overrides.redoneCost },
    int8Winograd: { ...DEFAULT_TUNING.int8Winograd, ...overrides.int8Winograd },
    int8WinogradDot: { ...DEFAULT_TUNING.int8WinogradDot, ...overrides.int8WinogradDot },
  };
}
