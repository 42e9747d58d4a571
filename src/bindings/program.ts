/**
 * A program: the flat list of kernel steps a session runs, with every byte offset resolved.
 * The graph layer compiles a graph into a program once; `run()` only walks it.
 *
 * Every step is split into `tasks` independent pieces over its *outputs* (row blocks, panel
 * groups, channel ranges) — never over a reduction — and the split depends only on the shapes, not
 * on the thread count, so each output element is computed by the same instruction sequence
 * whatever thread runs it: results are bit-identical at any thread count.
 *
 * Programs are plain data (structured-cloneable) so that workers receive them once, at load.
 */

import type { ConvKernels } from './kernels/conv.js';
import type { ElementwiseKernels } from './kernels/elementwise.js';
import { GEMM_NR, gemmPanels, type GemmKernels } from './kernels/gemm.js';
import type { LayoutKernels } from './kernels/layout.js';
import type { NormalizeKernels } from './kernels/normalize.js';
import type { PoolKernels } from './kernels/pool.js';
import {
  winogradBlockFloats, winogradMatrixStrideBytes, winogradScratchBytes, type Winograd1dKernels, type WinogradKernels,
} from './kernels/winograd.js';

/**
 * An NHWC tensor in memory: `batch` images of `height × width` pixels, pixel `(n, y, x)` at
 * `offset + n·imageStrideBytes + (y·width + x)·pixelStrideBytes`, `channels` floats per pixel.
 */
export interface View {
  offset: number;
  batch: number;
  height: number;
  width: number;
  channels: number;
  pixelStrideBytes: number;
  imageStrideBytes: number;
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
export interface WinogradStep extends StepCommon {
  kind: 'winograd';
  tile: 2 | 4 | 6;
  input: View;
  out: View;
  clamp: Clamp;
  /** 16 packed GEMM blocks (K = inChannels), then the bias (`biasOffset`). */
  weightsOffset: number;
  biasOffset: number;
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
export interface Winograd1dStep extends StepCommon {
  kind: 'winograd1d';
  input: View;
  out: View;
  clamp: Clamp;
  weightsOffset: number;
  biasOffset: number;
  alpha: number;
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

export interface LrnStep extends StepCommon {
  kind: 'lrn';
  input: View;
  out: View;
  size: number;
  alpha: number;
  beta: number;
  k: number;
  pixelsPerTask: number;
}

/** Softmax over the channels of each pixel (rows = batch·H·W). */
export interface SoftmaxStep extends StepCommon {
  kind: 'softmax';
  input: View;
  out: View;
  rowsPerTask: number;
}

/** NCHW dense input (`offset`) → NHWC view; tasks = images. */
export interface NchwToNhwcStep extends StepCommon {
  kind: 'nchwToNhwc';
  inputOffset: number;
  out: View;
}

/** NHWC view → NCHW dense output; tasks = images. */
export interface NhwcToNchwStep extends StepCommon {
  kind: 'nhwcToNchw';
  input: View;
  outputOffset: number;
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
  | NchwToNhwcStep
  | NhwcToNchwStep;

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

export type Kernels = GemmKernels & ConvKernels & WinogradKernels & Winograd1dKernels & PoolKernels & ElementwiseKernels & NormalizeKernels &
  LayoutKernels;

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
    case 'add':
      return { reads: [step.a, step.b], writes: [step.out] };
    case 'nchwToNhwc':
      return { reads: [denseView(step.inputOffset, step.out)], writes: [step.out] };
    case 'nhwcToNchw':
      return { reads: [step.input], writes: [denseView(step.outputOffset, step.input)] };
    default:
      return { reads: [step.input], writes: [step.out] };
  }
}

/** The dense NCHW buffer at `offset` with the element count of `like`, as one flat view. */
function denseView(offset: number, like: View): View {
  const bytes = like.batch * like.height * like.width * like.channels * 4;
  return { offset, batch: 1, height: 1, width: 1, channels: bytes / 4, pixelStrideBytes: bytes, imageStrideBytes: bytes };
}

/** Columns per packed GEMM panel (the GEMM's NR). */
export const PANEL_WIDTH = GEMM_NR;

/** Runs task `task` of `step` on the calling thread (`thread` selects its scratch). */
export function runTask(k: Kernels, program: Program, step: Step, task: number, thread: number): void {
  switch (step.kind) {
    case 'conv':
      return runConvTask(k, program, step, task, thread);
    case 'winograd':
      return runWinogradTask(k, program, step, task, thread);
    case 'winograd1d':
      return runWinograd1dTask(k, program, step, task, thread);
    case 'dwconv': {
      const { input: x, out } = step;
      const [n, oyStart, oyEnd] = rowBlock(out.height, step.rowsPerTask, task);
      k.f32_dwconv_nhwc(
        x.offset + n * x.imageStrideBytes, x.pixelStrideBytes, x.height, x.width, x.channels, step.multiplier,
        step.kernelH, step.kernelW, step.strideH, step.strideW, step.padTop, step.padLeft, out.width, oyStart, oyEnd,
        step.weightsOffset, step.biasOffset, out.offset + n * out.imageStrideBytes, out.pixelStrideBytes,
        step.clamp.lo, step.clamp.hi,
      );
      return;
    }
    case 'maxPool':
    case 'avgPool': {
      const { input: x, out } = step;
      const [n, oyStart, oyEnd] = rowBlock(out.height, step.rowsPerTask, task);
      const inPtr = x.offset + n * x.imageStrideBytes;
      const outPtr = out.offset + n * out.imageStrideBytes;
      if (step.kind === 'maxPool') {
        k.f32_maxpool_nhwc(
          inPtr, x.pixelStrideBytes, x.height, x.width, x.channels, step.kernelH, step.kernelW, step.strideH,
          step.strideW, step.padTop, step.padLeft, out.width, oyStart, oyEnd, outPtr, out.pixelStrideBytes,
        );
      } else {
        k.f32_avgpool_nhwc(
          inPtr, x.pixelStrideBytes, x.height, x.width, x.channels, step.kernelH, step.kernelW, step.strideH,
          step.strideW, step.padTop, step.padLeft, step.padBottom, step.padRight, step.countIncludePad ? 1 : 0,
          out.width, oyStart, oyEnd, outPtr, out.pixelStrideBytes,
        );
      }
      return;
    }
    case 'globalAvgPool': {
      const { input: x, out } = step;
      const groups = Math.ceil(x.channels / step.channelsPerTask);
      const n = Math.floor(task / groups);
      const c0 = (task % groups) * step.channelsPerTask;
      const c1 = Math.min(c0 + step.channelsPerTask, x.channels);
      k.f32_global_avgpool_nhwc(
        x.offset + n * x.imageStrideBytes + c0 * 4, x.pixelStrideBytes, x.height * x.width, c1 - c0,
        out.offset + n * out.imageStrideBytes + c0 * 4,
      );
      return;
    }
    case 'batchNorm': {
      const [p0, count] = pixelRange(step.input, step.pixelsPerTask, task);
      k.f32_batchnorm_nhwc(
        pixelPtr(step.input, p0), step.input.pixelStrideBytes, count, step.input.channels, step.scaleOffset,
        step.shiftOffset, pixelPtr(step.out, p0), step.out.pixelStrideBytes, step.clamp.lo, step.clamp.hi,
      );
      return;
    }
    case 'add': {
      const [p0, count] = pixelRange(step.out, step.pixelsPerTask, task);
      k.f32_add_nhwc(
        pixelPtr(step.a, p0), pixelPtr(step.b, p0), pixelPtr(step.out, p0), count, step.out.channels,
        step.a.pixelStrideBytes, step.b.pixelStrideBytes, step.out.pixelStrideBytes, step.scale, step.clamp.lo,
        step.clamp.hi,
      );
      return;
    }
    case 'copy': {
      const [p0, count] = pixelRange(step.out, step.pixelsPerTask, task);
      k.f32_scale_nhwc(
        pixelPtr(step.input, p0), pixelPtr(step.out, p0), count, step.out.channels, step.input.pixelStrideBytes,
        step.out.pixelStrideBytes, 1, step.clamp.lo, step.clamp.hi,
      );
      return;
    }
    case 'lrn': {
      const [p0, count] = pixelRange(step.input, step.pixelsPerTask, task);
      k.f32_lrn_nhwc(
        pixelPtr(step.input, p0), step.input.pixelStrideBytes, count, step.input.channels, step.size, step.alpha,
        step.beta, step.k, pixelPtr(step.out, p0), step.out.pixelStrideBytes,
      );
      return;
    }
    case 'softmax': {
      const [p0, count] = pixelRange(step.input, step.rowsPerTask, task);
      k.f32_softmax(
        pixelPtr(step.input, p0), step.input.pixelStrideBytes, count, step.input.channels, pixelPtr(step.out, p0),
        step.out.pixelStrideBytes,
      );
      return;
    }
    case 'nchwToNhwc': {
      const o = step.out;
      const imageBytes = o.channels * o.height * o.width * 4;
      k.f32_nchw_to_nhwc(
        step.inputOffset + task * imageBytes, o.channels, o.height, o.width, o.offset + task * o.imageStrideBytes,
        o.pixelStrideBytes,
      );
      return;
    }
    case 'nhwcToNchw': {
      const x = step.input;
      const imageBytes = x.channels * x.height * x.width * 4;
      k.f32_nhwc_to_nchw(
        x.offset + task * x.imageStrideBytes, x.pixelStrideBytes, x.channels, x.height, x.width,
        step.outputOffset + task * imageBytes,
      );
      return;
    }
  }
}

/**
 * Output rows of a row-block task: tasks = batch · ceil(outH / rowsPerTask), image-major.
 * Returns [image, oyStart, oyEnd).
 */
function rowBlock(outH: number, rowsPerTask: number, task: number): [number, number, number] {
  const blocks = Math.ceil(outH / rowsPerTask);
  const oyStart = (task % blocks) * rowsPerTask;
  return [Math.floor(task / blocks), oyStart, Math.min(oyStart + rowsPerTask, outH)];
}

/** Pixel `p` of a view, counting pixels across images (`p = n·H·W + y·W + x`). */
export function pixelPtr(v: View, p: number): number {
  const perImage = v.height * v.width;
  const n = Math.floor(p / perImage);
  return v.offset + n * v.imageStrideBytes + (p - n * perImage) * v.pixelStrideBytes;
}

/**
 * Pixel range of a per-pixel task. Tasks never straddle images, so a range is contiguous in
 * memory at a fixed pixel stride: tasks = batch · ceil(H·W / pixelsPerTask).
 */
function pixelRange(v: View, pixelsPerTask: number, task: number): [number, number] {
  const perImage = v.height * v.width;
  const perImageTasks = Math.ceil(perImage / pixelsPerTask);
  const n = Math.floor(task / perImageTasks);
  const start = (task % perImageTasks) * pixelsPerTask;
  return [n * perImage + start, Math.min(pixelsPerTask, perImage - start)];
}

/** Task count of a per-pixel step. */
export function pixelTasks(v: View, pixelsPerTask: number): number {
  return v.batch * Math.ceil((v.height * v.width) / pixelsPerTask);
}

/** Segments × panel groups, in a fixed order, for a conv step's outputs. */
export function panelGroupCount(outputs: readonly ConvOutput[], panelsPerTask: number): number {
  let groups = 0;
  for (const o of outputs) groups += Math.ceil((o.panelEnd - o.panelStart) / panelsPerTask);
  return groups;
}

function runConvTask(k: Kernels, program: Program, step: ConvStep, task: number, thread: number): void {
  const groups = panelGroupCount(step.outputs, step.panelsPerTask);
  const rowTask = Math.floor(task / groups);
  let group = task % groups;
  let seg = 0;
  for (; seg < step.outputs.length; seg++) {
    const g = Math.ceil((step.outputs[seg].panelEnd - step.outputs[seg].panelStart) / step.panelsPerTask);
    if (group < g) break;
    group -= g;
  }
  const o = step.outputs[seg];
  const panelStart = o.panelStart + group * step.panelsPerTask;
  const panelEnd = Math.min(panelStart + step.panelsPerTask, o.panelEnd);
  const x = step.input;
  let aPtr: number;
  let aStride: number;
  let rows: number;
  let firstPixel: number;
  if (step.direct) {
    firstPixel = rowTask * step.rowsPerTask;
    rows = Math.min(step.rowsPerTask, x.batch * x.height * x.width - firstPixel);
    aPtr = pixelPtr(x, firstPixel);
    aStride = x.pixelStrideBytes;
  } else {
    const [n, oyStart, oyEnd] = rowBlock(step.outH, step.rowsPerTask, rowTask);
    aPtr = program.scratchOffset + thread * program.scratchBytesPerThread;
    aStride = step.depth * 4;
    rows = (oyEnd - oyStart) * step.outW;
    firstPixel = (n * step.outH + oyStart) * step.outW;
    k.f32_im2col_nhwc(
      x.offset + n * x.imageStrideBytes, x.pixelStrideBytes, x.height, x.width, x.channels, step.kernelH,
      step.kernelW, step.strideH, step.strideW, step.padTop, step.padLeft, step.outW, oyStart, oyEnd, aPtr, aStride,
    );
  }
  const res = o.residual;
  k.f32_gemm(
    aPtr, aStride, step.weightsOffset, step.depth, pixelPtr(o.out, firstPixel) - o.panelStart * PANEL_WIDTH * 4,
    o.out.pixelStrideBytes, res ? pixelPtr(res.view, firstPixel) - o.panelStart * PANEL_WIDTH * 4 : 0,
    res ? res.view.pixelStrideBytes : 0, res ? res.scale : 0, o.clamp.lo, o.clamp.hi, rows, panelStart, panelEnd,
    o.panelStart * PANEL_WIDTH + o.out.channels, gemmPackPtr(program, thread),
  );
}

/**
 * What a task of `step` needs in its thread's scratch: the im2col block or Winograd V and M
 * (`bufferBytes`, at the start), and the largest f32_gemm it runs (`gemm`, rows × depth), which
 * sizes the A-pack area after the buffers. The one place that knows what a task's GEMM covers.
 */
export function stepScratch(step: Step): { bufferBytes: number; gemm?: { rows: number; depth: number } } {
  switch (step.kind) {
    case 'conv': {
      if (step.direct) return { bufferBytes: 0, gemm: { rows: step.rowsPerTask, depth: step.depth } };
      const rows = step.rowsPerTask * step.outW;
      return { bufferBytes: rows * step.depth * 4, gemm: { rows, depth: step.depth } };
    }
    case 'winograd':
    case 'winograd1d':
      return { bufferBytes: winogradScratch(step).bytes, gemm: { rows: winogradTiles(step), depth: step.input.channels } };
    default:
      return { bufferBytes: 0 };
  }
}

/** The calling thread's f32_gemm A-pack scratch. */
function gemmPackPtr(program: Program, thread: number): number {
  return program.scratchOffset + thread * program.scratchBytesPerThread + program.gemmPackOffset;
}

/** Scratch layout of a Winograd task: V then M, each 16 (2-D) or α (1-D) matrices of `tiles` rows. */
export function winogradScratch(step: WinogradStep | Winograd1dStep): { tiles: number; groupColumns: number; bytes: number } {
  const tiles = winogradTiles(step);
  const groupColumns = winogradGroupColumns(step);
  return { tiles, groupColumns, bytes: winogradScratchBytes(tiles, step.input.channels, groupColumns, winogradMatrices(step)) };
}

/** Tiles (GEMM rows) of a full task. */
function winogradTiles(step: WinogradStep | Winograd1dStep): number {
  return step.kind === 'winograd' ? step.tileRowsPerTask * step.tilesW : step.linesPerTask * step.tilesPerLine;
}

/** Transformed matrices (GEMMs) per task: α² (2-D) or α (1-D). */
function winogradMatrices(step: WinogradStep | Winograd1dStep): number {
  return step.kind === 'winograd' ? (step.tile + 2) ** 2 : step.alpha;
}

/** Columns of M: one panel group's. */
function winogradGroupColumns(step: WinogradStep | Winograd1dStep): number {
  return Math.min(step.out.channels, step.panelsPerTask * PANEL_WIDTH);
}

/** What one Winograd task covers and where its scratch lives (both step kinds). */
interface WinogradTask {
  image: number;
  /** Lines (1-D) or tile rows (2-D) [line0, line1) of the image. */
  line0: number;
  line1: number;
  panelStart: number;
  panelEnd: number;
  /** First output channel of the panel group, and its channel count. */
  c0: number;
  channels: number;
  /** Scratch: V (matrices × tiles × inChannels) then M (matrices × tiles × groupColumns), matrices winogradMatrixStrideBytes apart. */
  v: number;
  m: number;
  vMatrixBytes: number;
  mMatrixBytes: number;
  mRowBytes: number;
  /** The thread's f32_gemm A-pack area. */
  pack: number;
}

/**
 * The task record, filled in place (run() allocates nothing per task; each worker has its own
 * module instance, so one record per thread).
 */
const TASK: WinogradTask = {
  image: 0, line0: 0, line1: 0, panelStart: 0, panelEnd: 0, c0: 0, channels: 0, v: 0, m: 0, vMatrixBytes: 0,
  mMatrixBytes: 0, mRowBytes: 0, pack: 0,
};

function winogradTask(
  program: Program, step: WinogradStep | Winograd1dStep, task: number, thread: number, lines: number, linesPerTask: number,
): WinogradTask {
  const inC = step.input.channels;
  const n = step.out.channels;
  const groups = Math.ceil(gemmPanels(n) / step.panelsPerTask);
  const rowTask = Math.floor(task / groups);
  // As rowBlock, without its array.
  const blocks = Math.ceil(lines / linesPerTask);
  const t = TASK;
  t.image = Math.floor(rowTask / blocks);
  t.line0 = (rowTask % blocks) * linesPerTask;
  t.line1 = Math.min(t.line0 + linesPerTask, lines);
  t.panelStart = (task % groups) * step.panelsPerTask;
  t.panelEnd = Math.min(t.panelStart + step.panelsPerTask, gemmPanels(n));
  t.c0 = t.panelStart * PANEL_WIDTH;
  t.channels = Math.min(t.panelEnd * PANEL_WIDTH, n) - t.c0;
  const tiles = winogradTiles(step);
  const groupColumns = winogradGroupColumns(step);
  t.v = program.scratchOffset + thread * program.scratchBytesPerThread;
  t.vMatrixBytes = winogradMatrixStrideBytes(tiles, inC);
  t.m = t.v + winogradMatrices(step) * t.vMatrixBytes;
  t.mMatrixBytes = winogradMatrixStrideBytes(tiles, groupColumns);
  t.mRowBytes = groupColumns * 4;
  t.pack = gemmPackPtr(program, thread);
  return t;
}

/** The GEMMs of a Winograd task: M_j (its panel group) = V_j · U_j for every matrix j, `rows` tiles. */
function winogradGemms(k: Kernels, step: WinogradStep | Winograd1dStep, t: WinogradTask, rows: number): void {
  const matrices = winogradMatrices(step);
  const inC = step.input.channels;
  const blockBytes = winogradBlockFloats(step.out.channels, inC) * 4;
  for (let j = 0; j < matrices; j++) {
    k.f32_gemm(
      t.v + j * t.vMatrixBytes, inC * 4, step.weightsOffset + j * blockBytes, inC, t.m + j * t.mMatrixBytes - t.c0 * 4,
      t.mRowBytes, 0, 0, 0, -Infinity, Infinity, rows, t.panelStart, t.panelEnd, step.out.channels, t.pack,
    );
  }
}

function runWinograd1dTask(k: Kernels, program: Program, step: Winograd1dStep, task: number, thread: number): void {
  const { input: x, out } = step;
  const t = winogradTask(program, step, task, thread, step.lines, step.linesPerTask);
  k.f32_winograd_input_1d(
    x.offset + t.image * x.imageStrideBytes, step.inStepBytes, step.inLineBytes, step.inLen, x.channels, step.pad,
    step.alpha, step.tilesPerLine, t.line0, t.line1, t.v, x.channels * 4, t.vMatrixBytes,
  );
  winogradGemms(k, step, t, (t.line1 - t.line0) * step.tilesPerLine);
  k.f32_winograd_output_1d(
    t.m, t.mRowBytes, t.mMatrixBytes, t.channels, step.biasOffset + t.c0 * 4, step.alpha, step.tilesPerLine, t.line0,
    t.line1, step.outLen, out.offset + t.image * out.imageStrideBytes + t.c0 * 4, step.outStepBytes, step.outLineBytes,
    step.clamp.lo, step.clamp.hi,
  );
}

function runWinogradTask(k: Kernels, program: Program, step: WinogradStep, task: number, thread: number): void {
  const { input: x, out } = step;
  const t = winogradTask(program, step, task, thread, step.tilesH, step.tileRowsPerTask);
  k.f32_winograd_input_3x3(
    step.tile, x.offset + t.image * x.imageStrideBytes, x.pixelStrideBytes, x.height, x.width, x.channels, step.padTop,
    step.padLeft, step.tilesW, t.line0, t.line1, t.v, x.channels * 4, t.vMatrixBytes,
  );
  winogradGemms(k, step, t, (t.line1 - t.line0) * step.tilesW);
  k.f32_winograd_output_3x3(
    step.tile, t.m, t.mRowBytes, t.mMatrixBytes, t.channels, step.biasOffset + t.c0 * 4, step.tilesW, t.line0, t.line1,
    step.outH, step.outW, out.offset + t.image * out.imageStrideBytes + t.c0 * 4, out.pixelStrideBytes,
    step.clamp.lo, step.clamp.hi,
  );
}
