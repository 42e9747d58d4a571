/**
 * A program: the flat list of kernel steps a session runs, with every byte offset resolved — the
 * format the compiler writes (src/graph/compile.ts), the interpreter runs (interpreter.ts) and the
 * scheduler reads (`stepAccess`). The graph layer compiles a graph into a program once; `run()`
 * only walks it.
 *
 * Every step is split into `tasks` independent pieces over its *outputs* (row blocks, panel
 * groups, channel ranges) — never over a reduction. The split depends on the shapes and on the
 * thread count (panel groups are formed only where threads would idle), but each output element
 * is computed by the same instruction sequence whatever the split and whatever thread runs it:
 * results are bit-identical at any thread count.
 *
 * Programs are plain data (structured-cloneable) so that workers receive them once, at load.
 */

import type { ConvKernels } from './kernels/conv.js';
import type { ElementwiseKernels } from './kernels/elementwise.js';
import { GEMM_NR, type GemmKernels } from './kernels/gemm.js';
import type { LayoutKernels } from './kernels/layout.js';
import type { LrnParams, NormalizeKernels } from './kernels/normalize.js';
import type { PoolKernels } from './kernels/pool.js';
import type { I8Winograd1dR, I8WinogradTile, Int8Kernels } from './kernels/int8.js';
import type { Winograd1dKernels, WinogradKernels } from './kernels/winograd.js';
import { assertNever } from '../util/assert-never.js';

/**
 * An NHWC tensor in memory: `batch` images of `height × width` pixels, pixel `(n, y, x)` at
 * `offset + n·imageStrideBytes + (y·width + x)·pixelStrideBytes`, `channels` elements per pixel:
 * f32 (4 bytes), or u8 (1 byte, `elementBytes: 1`) in an int8 program.
 */
export interface View {
  offset: number;
  batch: number;
  height: number;
  width: number;
  channels: number;
  pixelStrideBytes: number;
  imageStrideBytes: number;
  /** 1 for a u8 view; absent = 4 (f32). */
  elementBytes?: 1;
}

/** Bytes per element of a view: 4 (f32) or 1 (u8). */
export function viewElementBytes(v: View): number {
  return v.elementBytes ?? 4;
}

/** Clamp bounds of a fused activation: ReLU = [0, +∞), none = (−∞, +∞). */
export interface Clamp {
  lo: number;
  hi: number;
}

/** Fields every step has: its name (the graph node's), task count, and MACs (for the profile). */
interface StepCommon {
  name: string;
  tasks: number;
  macs: number;
  /**
   * Threads go on to the next step without waiting for this one's other tasks to finish: the
   * compiler sets it when the next step neither reads anything written since the last barrier nor
   * writes anything read or written since then (src/graph/schedule.ts `markStepGroups`). Absent: a barrier.
   */
  overlapsNext?: boolean;
}

/** A spatial window with its resolved top/left pads (bottom/right follow from the output size). */
interface StepWindow {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** One GEMM destination of a (possibly merged) convolution: panels [panelStart, panelEnd) → `out`. */
export interface ConvOutput {
  /** `out.channels` = the columns this segment writes. */
  out: View;
  panelStart: number;
  panelEnd: number;
  clamp: Clamp;
  /** Inception-ResNet residual: out = clamp(res + resScale·(acc + bias)). */
  residual?: { view: View; scale: number };
}

/**
 * Convolution as GEMM. `direct`: a 1×1 stride-1 unpadded conv (or an FC layer) whose input view
 * *is* the A matrix (M = batch·H·W rows, row stride = pixel stride). Otherwise im2col copies a
 * block of `rowsPerTask` output rows of one image into the thread's scratch, then the GEMM runs.
 * Several outputs = sibling convs merged into one weight block (same input, same window).
 */
export interface ConvStep extends StepCommon, StepWindow {
  kind: 'conv';
  input: View;
  outputs: ConvOutput[];
  weightsOffset: number;
  /** GEMM depth K = kernelH·kernelW·inChannels. */
  depth: number;
  outH: number;
  outW: number;
  direct: boolean;
  /** direct: A rows per task (multiple of MR); im2col: output rows (of one image) per task. */
  rowsPerTask: number;
  /** Panels per task within each output segment. */
  panelsPerTask: number;
}

/**
 * A stride-1 3×3 convolution by Winograd F(2×2, 3×3), F(4×4, 3×3) or F(6×6, 3×3) (assembly/f32-winograd-2d.ts;
 * `tile` = output pixels per tile side, α = tile + 2): per task, the input transform of
 * `tileRowsPerTask` tile rows of one image into scratch (V, α² × T × inChannels), α² GEMMs over a
 * panel group into scratch (M, α² × T × the group's columns), then the output transform with
 * bias and clamp into `out`. `macs` counts the direct convolution's MACs.
 */
export interface WinogradStep extends StepCommon, WinogradTiling {
  kind: 'winograd';
  tile: 2 | 4 | 6;
  input: View;
  out: View;
  clamp: Clamp;
  /** α² packed GEMM blocks (K = inChannels), then the bias (`biasOffset`). */
  weightsOffset: number;
  biasOffset: number;
}

/** A 3×3 Winograd step's tiles (f32 and int8): the map in `tile`-pixel tiles, split into tile-row blocks × panel groups. */
interface WinogradTiling {
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
  tilesH: number;
  tilesW: number;
  tileRowsPerTask: number;
  panelsPerTask: number;
}

/**
 * A stride-1 1×r or r×1 convolution by 1-D Winograd F(m, r) (assembly/f32-winograd-1d.ts). The map
 * is walked as *lines* along the kernel's axis (rows for 1×r, columns for r×1; byte steps below);
 * per task, the input transform of `linesPerTask` lines of one image into scratch (V, α × T ×
 * inChannels), α GEMMs over a panel group (M, α × T × the group's columns), then the output
 * transform with bias and clamp (α = 12: F(6, 7), α = 10: F(4, 7), α = 6: F(4, 3)). `macs` counts the direct convolution's MACs.
 */
export interface Winograd1dStep extends StepCommon, Winograd1dLines {
  kind: 'winograd1d';
  input: View;
  out: View;
  clamp: Clamp;
  weightsOffset: number;
  biasOffset: number;
  alpha: number;
}

/**
 * A 1-D Winograd step's walk (f32 and int8): `lines` lines of `tilesPerLine` tiles along the
 * kernel's axis, byte steps along (`*StepBytes`) and across (`*LineBytes`) lines per image, split
 * into line blocks × panel groups.
 */
interface Winograd1dLines {
  /** Padding before the first position along the axis. */
  pad: number;
  inLen: number;
  inStepBytes: number;
  inLineBytes: number;
  outLen: number;
  outStepBytes: number;
  outLineBytes: number;
  lines: number;
  tilesPerLine: number;
  linesPerTask: number;
  panelsPerTask: number;
}

export interface DwConvStep extends StepCommon, StepWindow {
  kind: 'dwconv';
  input: View;
  out: View;
  multiplier: number;
  weightsOffset: number;
  /** 0 = none. */
  biasOffset: number;
  clamp: Clamp;
  rowsPerTask: number;
}

export interface PoolStep extends StepCommon, StepWindow {
  kind: 'maxPool' | 'avgPool';
  input: View;
  out: View;
  padBottom: number;
  padRight: number;
  countIncludePad: boolean;
  rowsPerTask: number;
}

export interface GlobalAvgPoolStep extends StepCommon {
  kind: 'globalAvgPool';
  input: View;
  out: View;
  channelsPerTask: number;
}

/** Per-pixel ops over `batch·H·W` pixels split into pixel ranges. */
export interface BatchNormStep extends StepCommon {
  kind: 'batchNorm';
  input: View;
  out: View;
  scaleOffset: number;
  shiftOffset: number;
  clamp: Clamp;
  pixelsPerTask: number;
}

export interface AddStep extends StepCommon {
  kind: 'add';
  a: View;
  b: View;
  out: View;
  scale: number;
  clamp: Clamp;
  pixelsPerTask: number;
}

/** `out = clamp(x)`: a standalone ReLU, or a view-to-view copy (concat input not written in place). */
export interface CopyStep extends StepCommon {
  kind: 'copy';
  input: View;
  out: View;
  clamp: Clamp;
  pixelsPerTask: number;
}

export interface LrnStep extends StepCommon, LrnParams {
  kind: 'lrn';
  input: View;
  out: View;
  pixelsPerTask: number;
}

/** Softmax over the channels of each pixel (rows = batch·H·W). */
export interface SoftmaxStep extends StepCommon {
  kind: 'softmax';
  input: View;
  out: View;
  rowsPerTask: number;
}

/**
 * Per-tensor affine quantisation of a u8 value: real = scale·(q − zeroPoint), q ∈ [0, 255]
 * (src/graph/int8/quant-params.ts chooses them from calibration).
 */
export interface QuantParams {
  scale: number;
  zeroPoint: number;
}

/**
 * One destination of an int8 conv step: panels [panelStart, panelEnd) → `out`, u8 (requantized
 * at `zeroPoint`, clamped to the integer bounds [lo, hi]) or f32 (`f32: true`: real values clamped
 * to [lo, hi], no zero point; no residual).
 */
export interface I8ConvOutput {
  out: View;
  panelStart: number;
  panelEnd: number;
  f32: boolean;
  zeroPoint: number;
  lo: number;
  hi: number;
  /** u8 residual: out = requant(conv·scale + (res − zeroPoint)·scale) (the scales are in the panels). */
  residual?: { view: View; zeroPoint: number; scale: number };
}

/**
 * Convolution as an int8 GEMM (assembly/i8-gemm.ts): u8 input at zero point `inputZero` (also the
 * im2col padding: real 0), packed i8 weight panels with i32 bias and f32 requantize scales.
 * `direct` and the row/panel split as ConvStep; im2col rows are u8 (depth bytes each).
 */
export interface I8ConvStep extends StepCommon, StepWindow {
  kind: 'i8conv';
  input: View;
  inputZero: number;
  outputs: I8ConvOutput[];
  weightsOffset: number;
  depth: number;
  outH: number;
  outW: number;
  direct: boolean;
  rowsPerTask: number;
  panelsPerTask: number;
  /**
   * Run by i8_gemm_dot / i8_gemm_dot_f32 (the relaxed dot, assembly/i8-gemm-dot.ts) instead of
   * i8_gemm / i8_gemm_f32: the same bytes. Decided once, at compile time: the module has the
   * kernels and the runtime computes the instruction right (compile-int8.ts `int8DotAvailable`),
   * and the op's packed weights hold no −128 (pack-int8.ts `panelsDotSafe`).
   */
  dot: boolean;
}

/**
 * A stride-1 3×3 int8 conv by Winograd F(2×2, 3×3) or F(4×4, 3×3) (`tile`, assembly/i8-winograd.ts)
 * on the conv's own i8_gemm panels: per task, the input transform of `tileRowsPerTask` tile rows
 * of one image into the thread's scratch (V), then per panel of the task's group the transformed
 * weights, (tile + 2)² i16 GEMMs, the output transform and i8_gemm's epilogue into `out` (u8 or f32, zero point, bounds
 * and residual as an `i8conv` output whose panels start at 0). The output bytes equal those of the
 * `i8conv` step of the same op. `macs` counts the direct convolution's MACs.
 */
export interface I8WinogradStep extends StepCommon, WinogradTiling, Omit<I8ConvOutput, 'panelStart' | 'panelEnd'> {
  kind: 'i8winograd';
  tile: I8WinogradTile;
  input: View;
  inputZero: number;
  weightsOffset: number;
}

/**
 * A stride-1 1×r or r×1 int8 conv by 1-D Winograd F(2, 7) (r = 7) or F(4, 3) (r = 3)
 * (assembly/i8-winograd-1d.ts) on the conv's own i8_gemm panels. The map is walked as *lines* along
 * the kernel's axis (rows for 1×r, columns for r×1; byte steps below, per image): per task, the
 * input transform of `linesPerTask` lines into scratch (V′), then per panel of the task's group
 * the transformed weights, α i16 GEMMs, the output transform and i8_gemm's epilogue into `out`
 * (as an `i8conv` output whose panels start at 0; a residual is read at its own steps). The
 * output bytes equal those of the `i8conv` step of the same op. `macs` counts the direct MACs.
 */
export interface I8Winograd1dStep extends StepCommon, Winograd1dLines, Omit<I8ConvOutput, 'panelStart' | 'panelEnd'> {
  kind: 'i8winograd1d';
  r: I8Winograd1dR;
  input: View;
  inputZero: number;
  weightsOffset: number;
  resStepBytes: number;
  resLineBytes: number;
}

/** Max or average pooling on u8 values (assembly/u8-pool.ts); input and output share their quantisation. */
export interface U8PoolStep extends StepCommon, StepWindow {
  kind: 'u8MaxPool' | 'u8AvgPool';
  input: View;
  out: View;
  padBottom: number;
  padRight: number;
  countIncludePad: boolean;
  /** The zero point: a padded tap's value when counted. */
  padValue: number;
  rowsPerTask: number;
}

export interface U8GlobalAvgPoolStep extends StepCommon {
  kind: 'u8GlobalAvgPool';
  input: View;
  out: View;
  channelsPerTask: number;
}

/** f32 → u8 (`quantize`) or u8 → f32 (`dequantize`) of a view, per pixel range. */
export interface ConvertStep extends StepCommon {
  kind: 'quantize' | 'dequantize';
  input: View;
  out: View;
  params: QuantParams;
  pixelsPerTask: number;
}

export type Step =
  | ConvStep
  | WinogradStep
  | Winograd1dStep
  | DwConvStep
  | PoolStep
  | GlobalAvgPoolStep
  | BatchNormStep
  | AddStep
  | CopyStep
  | LrnStep
  | SoftmaxStep
  | I8ConvStep
  | I8WinogradStep
  | I8Winograd1dStep
  | U8PoolStep
  | U8GlobalAvgPoolStep
  | ConvertStep;

export interface Program {
  steps: Step[];
  /** Per-thread scratch: thread t owns [scratchOffset + t·scratchBytesPerThread, +scratchBytesPerThread). */
  scratchOffset: number;
  scratchBytesPerThread: number;
  /** Where f32_gemm's A-pack area starts inside each thread's scratch (after im2col / Winograd buffers). */
  gemmPackOffset: number;
  /** MR of the GEMM build the program was planned for (direct conv row blocks are multiples of it). */
  gemmMr: number;
}

/** The kernel exports the interpreter calls, plus the layout transposes the session stages input with. */
export type Kernels = GemmKernels & ConvKernels & WinogradKernels & Winograd1dKernels & PoolKernels & ElementwiseKernels & NormalizeKernels &
  LayoutKernels & Int8Kernels;

export function asKernels(exports: WebAssembly.Exports): Kernels {
  return exports as unknown as Kernels;
}

/** The activation memory a step reads and writes (weights and per-thread scratch aside). */
export function stepAccess(step: Step): { reads: View[]; writes: View[] } {
  switch (step.kind) {
    case 'conv':
      return {
        reads: [step.input, ...step.outputs.flatMap((o) => (o.residual ? [o.residual.view] : []))],
        writes: step.outputs.map((o) => o.out),
      };
    case 'i8conv':
      return {
        reads: [step.input, ...step.outputs.flatMap((o) => (o.residual ? [o.residual.view] : []))],
        writes: step.outputs.map((o) => o.out),
      };
    case 'i8winograd':
    case 'i8winograd1d':
      return { reads: [step.input, ...(step.residual ? [step.residual.view] : [])], writes: [step.out] };
    case 'add':
      return { reads: [step.a, step.b], writes: [step.out] };
    case 'winograd':
    case 'winograd1d':
    case 'dwconv':
    case 'maxPool':
    case 'avgPool':
    case 'globalAvgPool':
    case 'batchNorm':
    case 'copy':
    case 'lrn':
    case 'softmax':
    case 'u8MaxPool':
    case 'u8AvgPool':
    case 'u8GlobalAvgPool':
    case 'quantize':
    case 'dequantize':
      return { reads: [step.input], writes: [step.out] };
    default:
      return assertNever(step, 'step kind');
  }
}

/** Columns per packed GEMM panel (the GEMM's NR). */
export const PANEL_WIDTH = GEMM_NR;

/** Pixel `p` of a view, counting pixels across images (`p = n·H·W + y·W + x`). */
export function pixelPtr(v: View, p: number): number {
  const perImage = v.height * v.width;
  const n = Math.floor(p / perImage);
  return v.offset + n * v.imageStrideBytes + (p - n * perImage) * v.pixelStrideBytes;
}

/** Task count of a per-pixel step: tasks never straddle images. */
export function pixelTasks(v: View, pixelsPerTask: number): number {
  return v.batch * Math.ceil((v.height * v.width) / pixelsPerTask);
}

/** Segments × panel groups, in a fixed order, for a conv step's outputs. */
export function panelGroupCount(outputs: readonly { panelStart: number; panelEnd: number }[], panelsPerTask: number): number {
  let groups = 0;
  for (const o of outputs) groups += Math.ceil((o.panelEnd - o.panelStart) / panelsPerTask);
  return groups;
}

/**
 * Output rows of a row-block task: tasks = batch · ceil(outH / rowsPerTask), image-major.
 * Returns [image, oyStart, oyEnd).
 */
export function rowBlock(outH: number, rowsPerTask: number, task: number): [number, number, number] {
  const blocks = Math.ceil(outH / rowsPerTask);
  const oyStart = (task % blocks) * rowsPerTask;
  return [Math.floor(task / blocks), oyStart, Math.min(oyStart + rowsPerTask, outH)];
}

/** [image, c0, c1) of a global-pool task (f32 and u8): tasks = batch · ceil(channels / channelsPerTask), image-major. */
export function channelBlock(channels: number, channelsPerTask: number, task: number): [number, number, number] {
  const groups = Math.ceil(channels / channelsPerTask), c0 = (task % groups) * channelsPerTask;
  return [Math.floor(task / groups), c0, Math.min(c0 + channelsPerTask, channels)];
}

/**
 * Pixel range of a per-pixel task. Tasks never straddle images, so a range is contiguous in
 * memory at a fixed pixel stride: tasks = batch · ceil(H·W / pixelsPerTask).
 */
export function pixelRange(v: View, pixelsPerTask: number, task: number): [number, number] {
  const perImage = v.height * v.width;
  const perImageTasks = Math.ceil(perImage / pixelsPerTask);
  const n = Math.floor(task / perImageTasks);
  const start = (task % perImageTasks) * pixelsPerTask;
  return [n * perImage + start, Math.min(pixelsPerTask, perImage - start)];
}
