/**
 * What one task of a conv step covers, the same for f32 and int8 steps. A GEMM conv (`conv`,
 * `i8conv`): row blocks × panel groups, the groups numbered segment by segment
 * (`panelGroupCount`); a row block is `rowsPerTask` A rows of a direct conv, or `rowsPerTask`
 * output rows of one image gathered by im2col into the thread's scratch. A Winograd conv (2-D
 * and 1-D, f32 and int8): line blocks × panel groups (`lineBlockTask`).
 */

import { panelGroupCount, pixelPtr, rowBlock, type View } from './program.js';
import { threadScratchPtr } from './scratch.js';
import type { Program } from './program.js';

interface GemmConvStep {
  input: View;
  outputs: readonly { panelStart: number; panelEnd: number }[];
  panelsPerTask: number;
  direct: boolean;
  rowsPerTask: number;
  depth: number;
  outH: number;
  outW: number;
}

/** One task's share, filled in place (run() allocates nothing per task; one record per module instance, so per thread). */
export interface GemmConvTask {
  /** Index of the output segment, and its panels [panelStart, panelEnd). */
  segment: number;
  panelStart: number;
  panelEnd: number;
  /** The A matrix: `rows` rows from `aPtr`, `aStride` bytes apart; output pixel `firstPixel` is row 0. */
  aPtr: number;
  aStride: number;
  rows: number;
  firstPixel: number;
  /** im2col only (image < 0 for a direct conv): output rows [oyStart, oyEnd) of `image` to gather into `aPtr`. */
  image: number;
  oyStart: number;
  oyEnd: number;
}

const TASK: GemmConvTask = { segment: 0, panelStart: 0, panelEnd: 0, aPtr: 0, aStride: 0, rows: 0, firstPixel: 0, image: -1, oyStart: 0, oyEnd: 0 };

/** Task `task` of `step` on thread `thread`; im2col rows are `elementBytes` per element. */
export function gemmConvTask(program: Program, step: GemmConvStep, task: number, thread: number, elementBytes: number): GemmConvTask {
  const t = TASK;
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
  t.segment = seg;
  t.panelStart = o.panelStart + group * step.panelsPerTask;
  t.panelEnd = Math.min(t.panelStart + step.panelsPerTask, o.panelEnd);
  const x = step.input;
  if (step.direct) {
    t.firstPixel = rowTask * step.rowsPerTask;
    t.rows = Math.min(step.rowsPerTask, x.batch * x.height * x.width - t.firstPixel);
    t.aPtr = pixelPtr(x, t.firstPixel);
    t.aStride = x.pixelStrideBytes;
    t.image = -1;
  } else {
    const [n, oyStart, oyEnd] = rowBlock(step.outH, step.rowsPerTask, rowTask);
    t.aPtr = threadScratchPtr(program, thread);
    t.aStride = step.depth * elementBytes;
    t.rows = (oyEnd - oyStart) * step.outW;
    t.firstPixel = (n * step.outH + oyStart) * step.outW;
    t.image = n;
    t.oyStart = oyStart;
    t.oyEnd = oyEnd;
  }
  return t;
}

/** A Winograd task's share (f32 and int8, 2-D and 1-D): `image`, its lines [line0, line1), panels [panelStart, panelEnd). */
export interface LineBlockTask {
  image: number;
  line0: number;
  line1: number;
  panelStart: number;
  panelEnd: number;
}

const LINE_TASK: LineBlockTask = { image: 0, line0: 0, line1: 0, panelStart: 0, panelEnd: 0 };

/**
 * Task `task` of a step split into line blocks × panel groups: line block ⌊task / groups⌋ —
 * image-major, `linesPerTask` of each image's `lines` lines (tile rows of a 2-D Winograd step,
 * lines of a 1-D one), as `rowBlock` — and panel group task % groups of `panels` panels,
 * `panelsPerTask` each. Filled in place, like `gemmConvTask`.
 */
export function lineBlockTask(lines: number, linesPerTask: number, panels: number, panelsPerTask: number, task: number): LineBlockTask {
  const t = LINE_TASK;
  const groups = Math.ceil(panels / panelsPerTask);
  const rowTask = Math.floor(task / groups);
  const blocks = Math.ceil(lines / linesPerTask);
  t.image = Math.floor(rowTask / blocks);
  t.line0 = (rowTask % blocks) * linesPerTask;
  t.line1 = Math.min(t.line0 + linesPerTask, lines);
  t.panelStart = (task % groups) * panelsPerTask;
  t.panelEnd = Math.min(t.panelStart + panelsPerTask, panels);
  return t;
}
