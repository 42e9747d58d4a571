/**
 * Per-thread scratch: what each step's task needs in its thread's block (sized once by the
 * compiler, `stepScratch`) and where the pieces lie in it (read by the interpreter). Thread t owns
 * [scratchOffset + t·scratchBytesPerThread, +scratchBytesPerThread): first the im2col block or
 * Winograd V and M, then the GEMM's A-pack area (f32_gemm's or i8_gemm's) at `gemmPackOffset`.
 */

import { i8Winograd1dScratchBytes, i8Winograd1dShape, i8WinogradScratchBytes, i8WinogradVBytes } from './kernels/int8.js';
import { winogradScratchBytes } from './kernels/winograd.js';
import { PANEL_WIDTH, type I8Winograd1dStep, type I8WinogradStep, type Program, type Step, type Winograd1dStep, type WinogradStep } from './program.js';
import { assertNever } from '../util/assert-never.js';

/**
 * What a task of `step` needs in its thread's scratch: the im2col block or Winograd V and M
 * (`bufferBytes`, at the start), and the largest f32_gemm it runs (`gemm`, rows × depth), which
 * sizes the A-pack area after the buffers. The one place that knows what a task's GEMM covers.
 */
export function stepScratch(step: Step): { bufferBytes: number; gemm?: { rows: number; depth: number; int8?: true } } {
  switch (step.kind) {
    case 'i8conv': {
      if (step.direct) return { bufferBytes: 0, gemm: { rows: step.rowsPerTask, depth: step.depth, int8: true } };
      const rows = step.rowsPerTask * step.outW;
      return { bufferBytes: rows * step.depth, gemm: { rows, depth: step.depth, int8: true } };
    }
    case 'i8winograd':
    case 'i8winograd1d':
      return { bufferBytes: i8WinogradScratch(step).bytes };
    case 'conv': {
      if (step.direct) return { bufferBytes: 0, gemm: { rows: step.rowsPerTask, depth: step.depth } };
      const rows = step.rowsPerTask * step.outW;
      return { bufferBytes: rows * step.depth * 4, gemm: { rows, depth: step.depth } };
    }
    case 'winograd':
    case 'winograd1d':
      return { bufferBytes: winogradScratch(step).bytes, gemm: { rows: winogradTiles(step), depth: step.input.channels } };
    case 'dwconv':
    case 'maxPool':
    case 'avgPool':
    case 'globalAvgPool':
    case 'batchNorm':
    case 'add':
    case 'copy':
    case 'lrn':
    case 'softmax':
    case 'u8MaxPool':
    case 'u8AvgPool':
    case 'u8GlobalAvgPool':
    case 'quantize':
    case 'dequantize':
      return { bufferBytes: 0 };
    default:
      return assertNever(step, 'step kind');
  }
}

/** The first byte of thread `thread`'s scratch block. */
export function threadScratchPtr(program: Program, thread: number): number {
  return program.scratchOffset + thread * program.scratchBytesPerThread;
}

/** The calling thread's f32_gemm A-pack scratch. */
export function gemmPackPtr(program: Program, thread: number): number {
  return threadScratchPtr(program, thread) + program.gemmPackOffset;
}

/**
 * Scratch layout of an int8 Winograd task: V (α² matrices for 2-D, α for 1-D, `vMatrixBytes`
 * apart, sized for a full task of `tiles` tiles), then the kernel's own scratch at `kernelOffset`.
 */
export function i8WinogradScratch(step: I8WinogradStep | I8Winograd1dStep): { tiles: number; vMatrixBytes: number; kernelOffset: number; bytes: number } {
  const c = step.input.channels;
  const tiles = step.kind === 'i8winograd' ? step.tileRowsPerTask * step.tilesW : step.linesPerTask * step.tilesPerLine;
  const vMatrixBytes = i8WinogradVBytes(tiles, c);
  const matrices = step.kind === 'i8winograd' ? (step.tile + 2) ** 2 : i8Winograd1dShape(step.r).alpha;
  const kernelOffset = matrices * vMatrixBytes;
  const kernelBytes = step.kind === 'i8winograd' ? i8WinogradScratchBytes(step.tile, tiles, c) : i8Winograd1dScratchBytes(step.r, tiles, c);
  return { tiles, vMatrixBytes, kernelOffset, bytes: kernelOffset + kernelBytes };
}

/** Scratch layout of a Winograd task: V then M, each α² (2-D) or α (1-D) matrices of `tiles` rows. */
export function winogradScratch(step: WinogradStep | Winograd1dStep): { tiles: number; groupColumns: number; bytes: number } {
  const tiles = winogradTiles(step);
  const groupColumns = winogradGroupColumns(step);
  return { tiles, groupColumns, bytes: winogradScratchBytes(tiles, step.input.channels, groupColumns, winogradMatrices(step)) };
}

/** Tiles (GEMM rows) of a full task. */
export function winogradTiles(step: WinogradStep | Winograd1dStep): number {
  return step.kind === 'winograd' ? step.tileRowsPerTask * step.tilesW : step.linesPerTask * step.tilesPerLine;
}

/** Transformed matrices (GEMMs) per task: α² (2-D) or α (1-D). */
export function winogradMatrices(step: WinogradStep | Winograd1dStep): number {
  return step.kind === 'winograd' ? (step.tile + 2) ** 2 : step.alpha;
}

/** Columns of M: one panel group's. */
export function winogradGroupColumns(step: WinogradStep | Winograd1dStep): number {
  return Math.min(step.out.channels, step.panelsPerTask * PANEL_WIDTH);
}
