/**
 * How a step is split into tasks: row blocks, pixel ranges, channel ranges and panel groups, with
 * the cost model that decides when splitting a step's weight panels pays. Every split is over a
 * step's outputs, never over a reduction, so it moves work between threads and never changes a
 * result; thresholds come from the `Tuning` record (tuning.ts).
 */

import { winogradScratchBytes } from '../bindings/kernels/winograd.js';
import { PANEL_WIDTH, type View } from '../bindings/program.js';
import type { Tuning } from './tuning.js';

const F32 = 4;

export const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/** The block size ≤ `most` that splits `total` into as few blocks as `most` does, as evenly as possible. */
export const evenBlocks = (total: number, most: number) => ceilDiv(total, ceilDiv(total, most));

/** Pixels per task of a per-pixel step over `v`. */
export function pixelsPerTaskFor(v: View, t: Tuning): number {
  return Math.max(t.minPixelsPerTask, ceilDiv(v.height * v.width, t.pixelBlocksPerImage));
}

/** Output rows per task of a step split by rows (depthwise convs, pools). */
export function rowsPerTaskFor(outH: number, t: Tuning): number {
  return Math.max(1, ceilDiv(outH, t.rowBlocksPerImage));
}

/**
 * Panels per task for a step of `rowTasks` equal row blocks whose outputs have `panels[i]`
 * weight panels each (a merged conv has one entry per output): the split with the least
 * modelled time on `threads` threads. Splitting the panels into groups lets threads share a step
 * with few row blocks, but every group redoes its row block's fixed work (`fixedPerPanelWork`:
 * that work over one panel's MACs, a `Tuning.redoneCost` / PANEL_WIDTH), so with `groups` groups
 * in all,
 *   time ∝ ⌈rowTasks · groups / threads⌉ · (fixedPerPanelWork + total panels / groups)
 * (tasks taken dynamically; the busiest thread runs the rounded-up share). Candidates are
 * balanced groups (⌈most / G⌉ panels for G = 1, 2, …) of at least `minPanels` panels; ties keep
 * fewer groups. Consequences: one thread, or a row-block count that threads divide, never splits;
 * one row block on two threads splits in two. The split depends on `threads`, but it moves no
 * arithmetic between outputs, so results stay bit-identical at any thread count.
 */
export function panelsPerTaskFor(
  rowTasks: number, panels: readonly number[], threads: number, fixedPerPanelWork: number, minPanels: number,
): number {
  const most = Math.max(...panels);
  if (threads === 1) return most;
  const total = panels.reduce((a, b) => a + b, 0);
  let best = most;
  let bestTime = Infinity;
  for (let g = 1, previous = 0; g <= most; g++) {
    const perTask = ceilDiv(most, g);
    if (perTask === previous) continue;
    previous = perTask;
    if (perTask < minPanels) break;
    let groups = 0;
    for (const p of panels) groups += ceilDiv(p, perTask);
    const time = ceilDiv(rowTasks * groups, threads) * (fixedPerPanelWork + total / groups);
    if (time < bestTime) {
      bestTime = time;
      best = perTask;
    }
  }
  return best;
}

export interface WinogradSplit {
  linesPerTask: number;
  rowTasks: number;
  panelsPerTask: number;
  tasks: number;
}

/**
 * Task split of a Winograd conv over `lines` tile rows (2-D) or lines (1-D) of `tilesPerLine`
 * tiles each: blocks of lines whose V and M fit `scratchTargetBytes`, hold ≥ `winogradMinTiles`
 * tiles (GEMM rows) and give each image ≥ `winogradBlocksPerImage` blocks where the map allows;
 * the panels are split as `panelsPerTaskFor` finds it pays (each group redoes its block's input
 * transform).
 */
export function winogradSplit(
  batch: number, lines: number, tilesPerLine: number, matrices: number, inChannels: number, outChannels: number,
  threads: number, t: Tuning,
): WinogradSplit {
  const panels = ceilDiv(outChannels, PANEL_WIDTH);
  const lineBytes = winogradScratchBytes(tilesPerLine, inChannels, outChannels, matrices);
  const forScratch = Math.max(1, Math.floor(t.scratchTargetBytes / lineBytes));
  const forRows = ceilDiv(t.winogradMinTiles, tilesPerLine);
  const linesPerTask = evenBlocks(lines, Math.min(lines, Math.max(forRows, Math.min(forScratch, ceilDiv(lines, t.winogradBlocksPerImage)))));
  const rowTasks = batch * ceilDiv(lines, linesPerTask);
  const panelsPerTask = panelsPerTaskFor(rowTasks, [panels], threads, t.redoneCost.winogradInput / PANEL_WIDTH, t.winogradMinPanels);
  return { linesPerTask, rowTasks, panelsPerTask, tasks: rowTasks * ceilDiv(panels, panelsPerTask) };
}

/** Row split of a direct (1×1) conv over `pixels` A rows: blocks of whole MR-row tiles. */
export function directRowsPerTask(pixels: number, mr: number, t: Tuning): number {
  const tiles = ceilDiv(pixels, mr);
  const rowBlocks = Math.min(t.directMaxRowBlocks, Math.max(1, Math.floor(tiles / t.directMinTiles)));
  return mr * ceilDiv(tiles, rowBlocks);
}

/**
 * Output rows per im2col task: blocks small enough for `scratchTargetBytes` and numerous enough
 * to balance threads (`rowBlocksPerImage`), but at least `im2colMinRows` GEMM rows where
 * `scratchMaxBytes` allows, so each weight panel is used by enough micro-kernel tiles. Where a
 * map has too few blocks (late 7×7/8×8 layers), panel groups take over (`panelsPerTaskFor`).
 */
export function im2colRowsPerTask(outH: number, outW: number, depth: number, t: Tuning): number {
  const rowBytes = outW * depth * F32;
  const rowsForScratch = Math.max(1, Math.floor(t.scratchTargetBytes / rowBytes));
  const rowsForMinimum = Math.min(ceilDiv(t.im2colMinRows, outW), Math.max(1, Math.floor(t.scratchMaxBytes / rowBytes)));
  return evenBlocks(outH, Math.min(outH, Math.max(rowsForMinimum, Math.min(rowsForScratch, rowsPerTaskFor(outH, t)))));
}
