/**
 * Per-thread scratch: what each step's task needs in its thread's block (sized once by the
 * compiler, `stepScratch`) and where the pieces lie in it (read by the interpreter). Thread t owns
 * [scratchOffset + t·scratchBytesPerThread, +scratchBytesPerThread): first the im2col block or
 * Winograd V and M, then f32_gemm's A-pack area at `gemmPackOffset`.
 */

import { winogradScratchBytes } from './kernels/winograd.js';
import { PANEL_WIDTH, type Program, type Step, type Winograd1dStep, type WinogradStep } from './program.js';
import { assertNever } from '../util/assert-never.js';

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
    case 'dwconv':
    case 'maxPool':
    case 'avgPool':
    case 'globalAvgPool':
    case 'batchNorm':
    case 'add':
    case 'copy':
    case 'lrn':
    case 'softmax':
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
