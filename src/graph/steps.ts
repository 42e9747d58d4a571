/**
 * The conv family's step builders (one conv op, its packed weights and its algorithm → its kernel
 * step, every byte offset resolved and split into tasks by task-split.ts), and the helpers every
 * op module's step builder uses. The other kinds' builders live in their op modules (src/ops/).
 */

import {
  panelGroupCount, pixelTasks, PANEL_WIDTH, type Clamp, type ConvOutput, type Step, type View,
} from '../bindings/program.js';
import { assertNever } from '../util/assert-never.js';
import { gemmDims, type ConvAlgorithm, type ConvOp, type WinogradPlan } from './algorithm.js';
import { GraphError, type ConvNode, type ValueId } from './nodes.js';
import type { Op } from './ops.js';
import type { PackedWeights } from './pack-weights.js';
import {
  ceilDiv, directRowsPerTask, im2colRowsPerTask, panelsPerTaskFor, pixelsPerTaskFor, rowsPerTaskFor, winogradSplit,
} from './task-split.js';
import type { Tuning } from './tuning.js';

/** What every step builder needs besides the op. */
export interface StepContext {
  view: (v: ValueId) => View;
  /** MR of the GEMM build (direct conv row blocks are multiples of it). */
  mr: number;
  threads: number;
  tuning: Tuning;
}

type Packed<K extends PackedWeights['kind']> = Extract<PackedWeights, { kind: K }>;

/** `packed`, checked to be of the kind the algorithm packed. */
export function packedAs<K extends PackedWeights['kind']>(packed: PackedWeights, kind: K, op: Op): Packed<K> {
  if (packed.kind !== kind) throw new GraphError(`op '${op.name}': packed weights are '${packed.kind}', the step needs '${kind}'`);
  return packed as Packed<K>;
}

/** What a step builder gets from compilation besides the op: its packed weights and, for a conv op, its algorithm. */
export interface StepInputs {
  packed: PackedWeights;
  algorithm: ConvAlgorithm | undefined;
}

/** The steps of a conv engine op (conv or fc layers), by its algorithm. */
export function convSteps(op: ConvOp, inputs: StepInputs, c: StepContext): Step[] {
  const { packed, algorithm } = inputs;
  if (!algorithm) throw new GraphError(`conv op '${op.name}' has no algorithm`);
  switch (algorithm.kind) {
    case 'depthwise':
      return [depthwiseStep(op, algorithm.layer, packedAs(packed, 'depthwise', op), c)];
    case 'winograd':
      return [algorithm.plan.dims === 2
        ? winogradStep(op, packedAs(packed, 'winograd', op), algorithm.plan, c)
        : winograd1dStep(op, packedAs(packed, 'winograd', op), algorithm.plan, c)];
    case 'gemm':
      return [gemmStep(op, packedAs(packed, 'gemm', op), algorithm.direct, c)];
    default:
      return assertNever(algorithm, 'conv algorithm');
  }
}

export function elements(v: View): number {
  return v.batch * v.height * v.width * v.channels;
}

export const copyClamp = (c: Clamp): Clamp => ({ lo: c.lo, hi: c.hi });

/** A view-to-view copy, optionally clamped (a standalone ReLU). */
export function copyStep(name: string, input: View, out: View, clamp: Clamp, t: Tuning): Step {
  const pixelsPerTask = pixelsPerTaskFor(out, t);
  return {
    kind: 'copy', name, input, out, clamp: copyClamp(clamp), pixelsPerTask,
    tasks: pixelTasks(out, pixelsPerTask), macs: 0,
  };
}

function depthwiseStep(op: ConvOp, layer: ConvNode, packed: Packed<'depthwise'>, c: StepContext): Step {
  const part = op.parts[0];
  const out = c.view(part.output);
  const rowsPerTask = rowsPerTaskFor(out.height, c.tuning);
  return {
    kind: 'dwconv', name: op.name, input: c.view(op.input), out, multiplier: layer.outChannels / layer.inChannels,
    kernelH: layer.kernelH, kernelW: layer.kernelW, strideH: layer.strideH, strideW: layer.strideW,
    padTop: layer.pads.top, padLeft: layer.pads.left, weightsOffset: packed.taps, biasOffset: packed.bias,
    clamp: copyClamp(part.clamp), rowsPerTask, tasks: out.batch * ceilDiv(out.height, rowsPerTask),
    macs: elements(out) * layer.kernelH * layer.kernelW,
  };
}

/** What both Winograd step kinds take from a single-part conv op: its layer, its views and the shared step fields. */
function winogradOperands(op: ConvOp, packed: Packed<'winograd'>, view: (v: ValueId) => View) {
  const part = op.parts[0];
  const input = view(op.input);
  const out = view(part.output);
  return {
    layer: part.layer as ConvNode, input, out,
    fields: { name: op.name, input, out, clamp: copyClamp(part.clamp), weightsOffset: packed.blocks, biasOffset: packed.bias },
  };
}

function winogradStep(op: ConvOp, packed: Packed<'winograd'>, plan: Extract<WinogradPlan, { dims: 2 }>, c: StepContext): Step {
  const { layer, out, fields } = winogradOperands(op, packed, c.view);
  const tilesH = ceilDiv(out.height, plan.tile);
  const tilesW = ceilDiv(out.width, plan.tile);
  const split = winogradSplit(out.batch, tilesH, tilesW, (plan.tile + 2) ** 2, layer.inChannels, out.channels, c.threads, c.tuning);
  return {
    kind: 'winograd', ...fields, tile: plan.tile, padTop: layer.pads.top, padLeft: layer.pads.left, outH: out.height, outW: out.width,
    tilesH, tilesW, tileRowsPerTask: split.linesPerTask, panelsPerTask: split.panelsPerTask, tasks: split.tasks,
    macs: elements(out) * 9 * layer.inChannels,
  };
}

function winograd1dStep(op: ConvOp, packed: Packed<'winograd'>, plan: Extract<WinogradPlan, { dims: 1 }>, c: StepContext): Step {
  const { layer, input: x, out, fields } = winogradOperands(op, packed, c.view);
  const alongW = plan.axis === 'w';
  const alpha = plan.m + plan.r - 1;
  const outLen = alongW ? out.width : out.height;
  const lines = alongW ? out.height : out.width;
  const tilesPerLine = ceilDiv(outLen, plan.m);
  const split = winogradSplit(out.batch, lines, tilesPerLine, alpha, layer.inChannels, out.channels, c.threads, c.tuning);
  return {
    kind: 'winograd1d', ...fields, alpha,
    pad: alongW ? layer.pads.left : layer.pads.top,
    inLen: alongW ? x.width : x.height,
    inStepBytes: alongW ? x.pixelStrideBytes : x.width * x.pixelStrideBytes,
    inLineBytes: alongW ? x.width * x.pixelStrideBytes : x.pixelStrideBytes,
    outLen,
    outStepBytes: alongW ? out.pixelStrideBytes : out.width * out.pixelStrideBytes,
    outLineBytes: alongW ? out.width * out.pixelStrideBytes : out.pixelStrideBytes,
    lines, tilesPerLine, linesPerTask: split.linesPerTask, panelsPerTask: split.panelsPerTask, tasks: split.tasks,
    macs: elements(out) * plan.r * layer.inChannels,
  };
}

/** The GEMM shape of a conv op's (first) layer: kernel, depth K and window (an FC layer: 1×1, no padding). */
export function gemmWindow(op: ConvOp) {
  const first = op.parts[0].layer;
  const [, inChannels, kernelH, kernelW] = gemmDims(first);
  const win = first.kind === 'conv'
    ? { strideH: first.strideH, strideW: first.strideW, pads: first.pads }
    : { strideH: 1, strideW: 1, pads: { top: 0, left: 0, bottom: 0, right: 0 } };
  return {
    kernelH, kernelW, depth: kernelH * kernelW * inChannels,
    strideH: win.strideH, strideW: win.strideW, padTop: win.pads.top, padLeft: win.pads.left,
  };
}

/**
 * The task split of a GEMM conv step (f32 or int8) whose segments have `outputPanels` panels:
 * direct, blocks of whole `mr`-row tiles; im2col, blocks of output rows (`rowBytesDepth` sizes
 * them: the depth in f32 elements a row's bytes correspond to); panel groups where threads
 * would idle.
 */
export function gemmSplit(
  out0: View, outputPanels: readonly number[], direct: boolean, rowBytesDepth: number, mr: number, threads: number, t: Tuning,
): { rowsPerTask: number; rowTasks: number; panelsPerTask: number } {
  const pixels = out0.batch * out0.height * out0.width;
  if (direct) {
    const rowsPerTask = directRowsPerTask(pixels, mr, t);
    const rowTasks = ceilDiv(pixels, rowsPerTask);
    return { rowsPerTask, rowTasks, panelsPerTask: panelsPerTaskFor(rowTasks, outputPanels, threads, t.redoneCost.pack / PANEL_WIDTH, t.directMinPanels) };
  }
  const rowsPerTask = im2colRowsPerTask(out0.height, out0.width, rowBytesDepth, t);
  const rowTasks = out0.batch * ceilDiv(out0.height, rowsPerTask);
  return { rowsPerTask, rowTasks, panelsPerTask: panelsPerTaskFor(rowTasks, outputPanels, threads, t.redoneCost.im2col / PANEL_WIDTH, t.im2colMinPanels) };
}

/** A conv/FC op (one or more merged parts) as GEMM: direct on the input, or over im2col row blocks. */
function gemmStep(op: ConvOp, packed: Packed<'gemm'>, direct: boolean, c: StepContext): Step {
  const { view } = c;
  const input = view(op.input);
  const geometry = gemmWindow(op);

  const outputs: ConvOutput[] = [];
  const outputPanels: number[] = [];
  let panel = 0;
  let outChannelsTotal = 0;
  for (const part of op.parts) {
    const out = view(part.output);
    const panels = ceilDiv(out.channels, PANEL_WIDTH);
    outputs.push({
      out, panelStart: panel, panelEnd: panel + panels, clamp: copyClamp(part.clamp),
      residual: part.residual ? { view: view(part.residual.value), scale: part.residual.scale } : undefined,
    });
    outputPanels.push(panels);
    panel += panels;
    outChannelsTotal += out.channels;
  }
  const out0 = outputs[0].out;
  const split = gemmSplit(out0, outputPanels, direct, geometry.depth, c.mr, c.threads, c.tuning);
  return {
    kind: 'conv', name: op.name, input, outputs, weightsOffset: packed.panels, ...geometry, outH: out0.height, outW: out0.width, direct,
    rowsPerTask: split.rowsPerTask, panelsPerTask: split.panelsPerTask, tasks: split.rowTasks * panelGroupCount(outputs, split.panelsPerTask),
    macs: out0.batch * out0.height * out0.width * geometry.depth * outChannelsTotal,
  };
}
