/**
 * The task interpreter's int8 half: one task of an `i8conv` step (u8 im2col when not direct, then
 * the int8 GEMM with its u8 or f32 epilogue), of an `i8winograd` / `i8winograd1d` step (input
 * transform, then the Winograd GEMMs with the same epilogues), of a u8 pool, or of a
 * quantize/dequantize step.
 * Called by `runTask` (interpreter.ts), so every path runs these tasks the same way.
 */

import { I8_GEMM_NR } from './kernels/int8.js';
import {
  channelBlock, pixelPtr, pixelRange, rowBlock, viewElementBytes, type ConvertStep, type I8ConvStep, type I8Winograd1dStep,
  type I8WinogradStep, type Kernels, type Program, type U8GlobalAvgPoolStep, type U8PoolStep,
} from './program.js';
import { gemmConvTask, lineBlockTask } from './conv-task.js';
import { gemmPackPtr, i8WinogradScratch, threadScratchPtr } from './scratch.js';
import { assertNever } from '../util/assert-never.js';

export function runI8ConvTask(k: Kernels, program: Program, step: I8ConvStep, task: number, thread: number): void {
  const t = gemmConvTask(program, step, task, thread, 1);
  const { aPtr, aStride, rows, firstPixel, panelStart, panelEnd } = t;
  const o = step.outputs[t.segment];
  if (t.image >= 0) {
    const x = step.input;
    k.u8_im2col_nhwc(
      x.offset + t.image * x.imageStrideBytes, x.pixelStrideBytes, x.height, x.width, x.channels, step.kernelH, step.kernelW,
      step.strideH, step.strideW, step.padTop, step.padLeft, step.outW, t.oyStart, t.oyEnd, step.inputZero, aPtr, aStride,
    );
  }
  // C (and the residual) addressed by global panel column: the segment starts at o.panelStart.
  const columnShift = o.panelStart * I8_GEMM_NR * viewElementBytes(o.out);
  const n = o.panelStart * I8_GEMM_NR + o.out.channels;
  const cPtr = pixelPtr(o.out, firstPixel) - columnShift;
  const pack = gemmPackPtr(program, thread);
  if (o.f32) {
    const gemmF32 = step.dot ? dotKernel(k.i8_gemm_dot_f32, step) : k.i8_gemm_f32;
    gemmF32(
      aPtr, aStride, step.inputZero, step.weightsOffset, step.depth, cPtr, o.out.pixelStrideBytes, o.lo, o.hi,
      rows, panelStart, panelEnd, n, pack,
    );
    return;
  }
  const res = o.residual;
  const gemm = step.dot ? dotKernel(k.i8_gemm_dot, step) : k.i8_gemm;
  gemm(
    aPtr, aStride, step.inputZero, step.weightsOffset, step.depth, cPtr, o.out.pixelStrideBytes, o.zeroPoint, o.lo, o.hi,
    res ? pixelPtr(res.view, firstPixel) - o.panelStart * I8_GEMM_NR : 0, res ? res.view.pixelStrideBytes : 0,
    res ? res.zeroPoint : 0, res ? res.scale : 0, rows, panelStart, panelEnd, n, pack,
  );
}

/** A relaxed-dot kernel of the module; a program compiled for it cannot run on a module without it (a baseline build). */
function dotKernel<F>(kernel: F | undefined, step: I8ConvStep): F {
  if (kernel === undefined) throw new Error(`int8 conv '${step.name}': compiled for the relaxed-dot kernels, which this kernel module lacks`);
  return kernel;
}

/**
 * Task `task` of an int8 Winograd step: tile-row block `⌊task / groups⌋` (image-major, as
 * rowBlock) × panel group `task % groups`. V goes to the start of the thread's scratch, the
 * kernel's own scratch after it (scratch.ts `i8WinogradScratch`).
 */
export function runI8WinogradTask(k: Kernels, program: Program, step: I8WinogradStep, task: number, thread: number): void {
  const { input: x, out } = step;
  const { image, line0: ty0, line1: ty1, panelStart: p0, panelEnd: p1 } =
    lineBlockTask(step.tilesH, step.tileRowsPerTask, Math.ceil(out.channels / I8_GEMM_NR), step.panelsPerTask, task);
  const layout = i8WinogradScratch(step);
  const v = threadScratchPtr(program, thread);
  const scratch = v + layout.kernelOffset;
  k.i8_winograd_input_3x3(
    step.tile, x.offset + image * x.imageStrideBytes, x.pixelStrideBytes, x.height, x.width, x.channels, step.padTop, step.padLeft,
    step.inputZero, step.tilesW, ty0, ty1, v, layout.vMatrixBytes,
  );
  const c = out.offset + image * out.imageStrideBytes;
  if (step.f32) {
    k.i8_winograd_3x3_f32(
      step.tile, v, layout.vMatrixBytes, x.channels, step.weightsOffset, p0, p1, out.channels, step.tilesW, ty0, ty1, step.outH, step.outW,
      c, out.pixelStrideBytes, step.lo, step.hi, scratch,
    );
    return;
  }
  const res = step.residual;
  k.i8_winograd_3x3(
    step.tile, v, layout.vMatrixBytes, x.channels, step.weightsOffset, p0, p1, out.channels, step.tilesW, ty0, ty1, step.outH, step.outW,
    c, out.pixelStrideBytes, step.zeroPoint, step.lo, step.hi,
    res ? res.view.offset + image * res.view.imageStrideBytes : 0, res ? res.view.pixelStrideBytes : 0, res ? res.zeroPoint : 0,
    res ? res.scale : 0, scratch,
  );
}

/** Task `task` of an int8 1-D Winograd step: line block `⌊task / groups⌋` (image-major) × panel group `task % groups`; scratch as runI8WinogradTask. */
export function runI8Winograd1dTask(k: Kernels, program: Program, step: I8Winograd1dStep, task: number, thread: number): void {
  const { input: x, out } = step;
  const { image, line0: l0, line1: l1, panelStart: p0, panelEnd: p1 } =
    lineBlockTask(step.lines, step.linesPerTask, Math.ceil(out.channels / I8_GEMM_NR), step.panelsPerTask, task);
  const layout = i8WinogradScratch(step);
  const v = threadScratchPtr(program, thread);
  const scratch = v + layout.kernelOffset;
  k.i8_winograd_input_1d(
    step.r, x.offset + image * x.imageStrideBytes, step.inStepBytes, step.inLineBytes, step.inLen, x.channels, step.pad, step.inputZero,
    step.tilesPerLine, l0, l1, v, layout.vMatrixBytes,
  );
  const c = out.offset + image * out.imageStrideBytes;
  if (step.f32) {
    k.i8_winograd_1d_f32(
      step.r, v, layout.vMatrixBytes, x.channels, step.weightsOffset, p0, p1, out.channels, step.tilesPerLine, l0, l1, step.outLen,
      c, step.outStepBytes, step.outLineBytes, step.lo, step.hi, scratch,
    );
    return;
  }
  const res = step.residual;
  k.i8_winograd_1d(
    step.r, v, layout.vMatrixBytes, x.channels, step.weightsOffset, p0, p1, out.channels, step.tilesPerLine, l0, l1, step.outLen,
    c, step.outStepBytes, step.outLineBytes, step.zeroPoint, step.lo, step.hi,
    res ? res.view.offset + image * res.view.imageStrideBytes : 0, step.resStepBytes, step.resLineBytes, res ? res.zeroPoint : 0,
    res ? res.scale : 0, scratch,
  );
}

export function runU8Task(k: Kernels, step: U8PoolStep | U8GlobalAvgPoolStep | ConvertStep, task: number): void {
  switch (step.kind) {
    case 'u8MaxPool':
    case 'u8AvgPool': {
      const { input: x, out } = step;
      const [n, oyStart, oyEnd] = rowBlock(out.height, step.rowsPerTask, task);
      const inPtr = x.offset + n * x.imageStrideBytes;
      const outPtr = out.offset + n * out.imageStrideBytes;
      if (step.kind === 'u8MaxPool') {
        k.u8_maxpool_nhwc(
          inPtr, x.pixelStrideBytes, x.height, x.width, x.channels, step.kernelH, step.kernelW, step.strideH, step.strideW,
          step.padTop, step.padLeft, out.width, oyStart, oyEnd, outPtr, out.pixelStrideBytes,
        );
      } else {
        k.u8_avgpool_nhwc(
          inPtr, x.pixelStrideBytes, x.height, x.width, x.channels, step.kernelH, step.kernelW, step.strideH, step.strideW,
          step.padTop, step.padLeft, step.padBottom, step.padRight, step.countIncludePad ? 1 : 0, step.padValue,
          out.width, oyStart, oyEnd, outPtr, out.pixelStrideBytes,
        );
      }
      return;
    }
    case 'u8GlobalAvgPool': {
      const { input: x, out } = step;
      const [n, c0, c1] = channelBlock(x.channels, step.channelsPerTask, task);
      k.u8_global_avgpool_nhwc(
        x.offset + n * x.imageStrideBytes + c0, x.pixelStrideBytes, x.height * x.width, c1 - c0, out.offset + n * out.imageStrideBytes + c0,
      );
      return;
    }
    case 'quantize':
    case 'dequantize': {
      const { input: x, out, params } = step;
      const [p0, count] = pixelRange(out, step.pixelsPerTask, task);
      const convert = step.kind === 'quantize' ? k.f32_quantize_u8 : k.u8_dequantize_f32;
      const dense = x.pixelStrideBytes === x.channels * viewElementBytes(x) && out.pixelStrideBytes === out.channels * viewElementBytes(out);
      if (dense) {
        convert(pixelPtr(x, p0), count * x.channels, params.scale, params.zeroPoint, pixelPtr(out, p0));
        return;
      }
      // A channel slice on either side: one call per pixel.
      for (let p = p0; p < p0 + count; p++) convert(pixelPtr(x, p), x.channels, params.scale, params.zeroPoint, pixelPtr(out, p));
      return;
    }
    default:
      return assertNever(step, 'u8 step kind');
  }
}
