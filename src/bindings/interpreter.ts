/**
 * The task interpreter: runs task `task` of a step on the calling thread, on the kernels of that
 * thread's module instance. The same function runs every task on every path (inline, workers,
 * debug, profile), so a result never depends on which path or thread ran it.
 */

import { gemmPanels } from './kernels/gemm.js';
import { winogradBlockFloats, winogradMatrixStrideBytes } from './kernels/winograd.js';
import { gemmConvTask, lineBlockTask } from './conv-task.js';
import { runI8ConvTask, runI8Winograd1dTask, runI8WinogradTask, runU8Task } from './interpreter-int8.js';
import {
  channelBlock, pixelPtr, pixelRange, rowBlock, PANEL_WIDTH, type ConvStep, type Kernels, type Program, type Step, type View,
  type Winograd1dStep, type WinogradStep,
} from './program.js';
import { gemmPackPtr, threadScratchPtr, winogradGroupColumns, winogradMatrices, winogradTiles } from './scratch.js';
import { assertNever } from '../util/assert-never.js';

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
      const [n, c0, c1] = channelBlock(x.channels, step.channelsPerTask, task);
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
    case 'i8conv':
      return runI8ConvTask(k, program, step, task, thread);
    case 'i8winograd':
      return runI8WinogradTask(k, program, step, task, thread);
    case 'i8winograd1d':
      return runI8Winograd1dTask(k, program, step, task, thread);
    case 'u8MaxPool':
    case 'u8AvgPool':
    case 'u8GlobalAvgPool':
    case 'quantize':
    case 'dequantize':
      return runU8Task(k, step, task);
    default:
      return assertNever(step, 'step kind');
  }
}


function runConvTask(k: Kernels, program: Program, step: ConvStep, task: number, thread: number): void {
  const t = gemmConvTask(program, step, task, thread, 4);
  const { aPtr, aStride, rows, firstPixel, panelStart, panelEnd } = t;
  const o = step.outputs[t.segment];
  if (t.image >= 0) {
    const x = step.input;
    k.f32_im2col_nhwc(
      x.offset + t.image * x.imageStrideBytes, x.pixelStrideBytes, x.height, x.width, x.channels, step.kernelH,
      step.kernelW, step.strideH, step.strideW, step.padTop, step.padLeft, step.outW, t.oyStart, t.oyEnd, aPtr, aStride,
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
  const b = lineBlockTask(lines, linesPerTask, gemmPanels(n), step.panelsPerTask, task);
  const t = TASK;
  t.image = b.image;
  t.line0 = b.line0;
  t.line1 = b.line1;
  t.panelStart = b.panelStart;
  t.panelEnd = b.panelEnd;
  t.c0 = t.panelStart * PANEL_WIDTH;
  t.channels = Math.min(t.panelEnd * PANEL_WIDTH, n) - t.c0;
  const tiles = winogradTiles(step);
  const groupColumns = winogradGroupColumns(step);
  t.v = threadScratchPtr(program, thread);
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
