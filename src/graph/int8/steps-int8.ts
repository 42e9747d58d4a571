/**
 * Step builders of the ops that run on u8 values in an int8 program: a conv/FC op as one int8
 * GEMM step (`i8conv`: direct on the u8 input, or over a u8 im2col block) or, for a stride-1 3×3,
 * 1×7/7×1 or 1×3/3×1 conv where it pays, one int8 Winograd step (`i8winograd`: F(2×2, 3×3) or
 * F(4×4, 3×3); `i8winograd1d`: F(2, 7) or F(4, 3) along the kernel's axis — the same output bytes
 * on the same packed panels), and u8 max/avg/global average pooling. Each takes the op's views (one
 * byte per element), its values' quantisation and its packed int8 weights; the task split follows
 * the f32 builders' rules (task-split.ts), so it moves no arithmetic between outputs and the bytes
 * are the same at any thread count.
 */

import {
  I8_GEMM_NR, i8Winograd1dMaxChannels, i8Winograd1dScratchBytes, i8Winograd1dShape, i8WinogradMaxChannels, i8WinogradScratchBytes,
  i8WinogradVBytes, type I8Winograd1dR, type I8WinogradTile,
} from '../../bindings/kernels/int8.js';
import {
  panelGroupCount, type I8ConvOutput, type QuantParams, type Step, type View,
} from '../../bindings/program.js';
import { convAlgorithm, type ConvOp } from '../algorithm.js';
import { GraphError, type ValueId } from '../nodes.js';
import type { Op } from '../ops.js';
import { elements, gemmSplit, gemmWindow, packedAs, type StepContext, type StepInputs } from '../steps.js';
import { ceilDiv, evenBlocks, panelsPerTaskFor, rowsPerTaskFor } from '../task-split.js';
import { DEFAULT_TUNING, type I8WinogradThresholds, type Tuning } from '../tuning.js';
import type { DType } from './values.js';

/** What an int8 step builder needs besides the f32 context: each value's element type and quantisation. */
export interface Int8StepContext extends StepContext {
  dtype(v: ValueId): DType;
  quant(v: ValueId): QuantParams;
  /** Rows per int8 micro-kernel tile (i8_gemm_mr): direct row blocks are multiples of it. */
  int8Mr: number;
  /**
   * Where convs run by int8 Winograd (`i8WinogradTileFor`, `i8Winograd1dFor`): `i16` for convs whose
   * direct form is i8_gemm, `dot` for those on the relaxed dot (`dotConvs`); false: every conv
   * direct. The bytes are the same.
   */
  winograd: false | { i16: I8WinogradThresholds; dot: I8WinogradThresholds };
  /** The conv ops whose `i8conv` step runs the relaxed-dot kernels (compile-int8.ts `packInt8Program`); the bytes are the same. */
  dotConvs: ReadonlySet<Op>;
}

/** The int8 Winograd thresholds of the default tuning (tuning.ts `int8Winograd`). */
export const I8_WINOGRAD_THRESHOLDS: Readonly<I8WinogradThresholds> = DEFAULT_TUNING.int8Winograd;

/**
 * The int8 Winograd tile of a conv op, or undefined for i8_gemm: one dense stride-1 3×3 conv part
 * (a fused residual and f32 output are fine: the epilogue is i8_gemm's) with an even C (channel
 * pairs share a packed k-pair) and ≥ `winogradMinChannels` channels in and out. Counting the
 * multiplies per channel pair — tiles · α² against the direct outH·outW·9 — F(4×4) where
 * C ≤ 114 (its sums stay exact), the map has `tiles4` 4 × 4 tiles and F(4×4) needs under 4/5 of
 * F(2×2)'s multiplies (its output transform costs more: at 10×10, 324 against 400, the two ran
 * alike); else F(2×2) where C ≤ 1827, the map has `tiles2` 2 × 2 tiles and F(2×2) needs at most
 * `f2MaxShare` of the direct multiplies (3/4 for i8_gemm: a 3×3 map's 64 of 81 is out). The choice depends on the layer alone, and
 * the bytes are the same whichever it is.
 */
export function i8WinogradTileFor(op: ConvOp, t: Tuning, thresholds: I8WinogradThresholds = I8_WINOGRAD_THRESHOLDS): I8WinogradTile | undefined {
  if (op.parts.length !== 1) return undefined;
  const layer = op.parts[0].layer;
  if (layer.kind !== 'conv' || layer.groups !== 1 || layer.kernelH !== 3 || layer.kernelW !== 3) return undefined;
  if (layer.strideH !== 1 || layer.strideW !== 1) return undefined;
  const c = layer.inChannels;
  if (c % 2 !== 0 || c < t.winogradMinChannels || layer.outChannels < t.winogradMinChannels) return undefined;
  const [, outH, outW] = layer.shape;
  const tiles = (tile: number) => ceilDiv(outH, tile) * ceilDiv(outW, tile);
  const multiplies = (tile: number) => tiles(tile) * (tile + 2) ** 2;
  if (c <= i8WinogradMaxChannels(4) && tiles(4) >= thresholds.tiles4 && 5 * multiplies(4) < 4 * multiplies(2)) return 4;
  if (c <= i8WinogradMaxChannels(2) && tiles(2) >= thresholds.tiles2 && multiplies(2) <= thresholds.f2MaxShare * 9 * outH * outW) return 2;
  return undefined;
}

/**
 * The int8 1-D Winograd form of a conv op, or undefined: one dense stride-1 1×r or r×1 conv part
 * (r = 7: F(2, 7); r = 3: F(4, 3)) with no padding across the kernel's axis, an even C within
 * `i8Winograd1dMaxChannels(r)` and ≥ `winogradMinChannels` channels in and out, and `tiles1d`
 * tiles per image. The choice depends on the layer alone; the bytes are the same either way.
 */
export function i8Winograd1dFor(op: ConvOp, t: Tuning, thresholds: I8WinogradThresholds = I8_WINOGRAD_THRESHOLDS): { r: I8Winograd1dR; axis: 'w' | 'h' } | undefined {
  if (op.parts.length !== 1) return undefined;
  const layer = op.parts[0].layer;
  if (layer.kind !== 'conv' || layer.groups !== 1 || layer.strideH !== 1 || layer.strideW !== 1) return undefined;
  const { kernelH: kh, kernelW: kw, pads } = layer;
  const axis = kh === 1 && pads.top === 0 && pads.bottom === 0 ? 'w' : kw === 1 && pads.left === 0 && pads.right === 0 ? 'h' : undefined;
  const r = axis === 'w' ? kw : axis === 'h' ? kh : 0;
  if (axis === undefined || (r !== 3 && r !== 7)) return undefined;
  const c = layer.inChannels;
  if (c % 2 !== 0 || c > i8Winograd1dMaxChannels(r) || c < t.winogradMinChannels || layer.outChannels < t.winogradMinChannels) return undefined;
  const [, outH, outW] = layer.shape;
  const { m } = i8Winograd1dShape(r);
  const tiles = axis === 'w' ? outH * ceilDiv(outW, m) : outW * ceilDiv(outH, m);
  return tiles >= thresholds.tiles1d ? { r, axis } : undefined;
}

/** The integer bounds [lo, hi] of a real clamp [lo, hi] on a u8 value at `q` (ReLU: [zeroPoint, 255]). */
export function integerClamp(clamp: { lo: number; hi: number }, q: QuantParams): { lo: number; hi: number } {
  const bound = (x: number, fallback: number) =>
    Number.isFinite(x) ? Math.min(255, Math.max(0, Math.round(x / q.scale) + q.zeroPoint)) : fallback;
  return { lo: bound(clamp.lo, 0), hi: bound(clamp.hi, 255) };
}

/** The output segment of one conv part: its view, panel range, element type, zero point, integer (or f32) bounds and residual. */
function i8ConvOutput(op: ConvOp, part: ConvOp['parts'][number], panelStart: number, c: Int8StepContext): I8ConvOutput {
  const out = c.view(part.output);
  const f32 = c.dtype(part.output) === 'f32';
  if (f32 && part.residual) throw new GraphError(`int8 conv '${op.name}': a fused residual needs a u8 output`);
  const q = f32 ? undefined : c.quant(part.output);
  const bounds = q ? integerClamp(part.clamp, q) : { lo: part.clamp.lo, hi: part.clamp.hi };
  const residual = part.residual && q
    ? { view: c.view(part.residual.value), zeroPoint: c.quant(part.residual.value).zeroPoint, scale: Math.fround(c.quant(part.residual.value).scale / q.scale) }
    : undefined;
  return {
    out, panelStart, panelEnd: panelStart + ceilDiv(out.channels, I8_GEMM_NR), f32, zeroPoint: q ? q.zeroPoint : 0, lo: bounds.lo, hi: bounds.hi,
    ...(residual ? { residual } : {}),
  };
}

/**
 * An int8 Winograd step of `tile` (i8WinogradTileFor): blocks of tile rows whose V and kernel
 * scratch fit `scratchTargetBytes`, hold ≥ `int8WinogradTaskPixels` output pixels and give each image
 * ≥ `winogradBlocksPerImage` blocks where the map allows (as task-split.ts's winogradSplit); the
 * panels split into groups as `panelsPerTaskFor` finds it pays (each group redoes its block's
 * input transform).
 */
function i8WinogradSteps(op: ConvOp, tile: I8WinogradTile, panels: number, c: Int8StepContext): Step[] {
  const t = c.tuning;
  const part = op.parts[0];
  const layer = part.layer;
  if (layer.kind !== 'conv') throw new GraphError(`int8 Winograd '${op.name}': not a conv`);
  const input = c.view(op.input);
  const { panelStart: _start, panelEnd: _end, ...output } = i8ConvOutput(op, part, 0, c);
  const { height: outH, width: outW } = output.out;
  const tilesH = ceilDiv(outH, tile);
  const tilesW = ceilDiv(outW, tile);
  const lineBytes = (tile + 2) ** 2 * i8WinogradVBytes(tilesW, input.channels) + i8WinogradScratchBytes(tile, tilesW, input.channels);
  const forScratch = Math.max(1, Math.floor(t.scratchTargetBytes / lineBytes));
  const forTiles = ceilDiv(t.int8WinogradTaskPixels / tile ** 2, tilesW);
  const tileRowsPerTask = evenBlocks(tilesH, Math.min(tilesH, Math.max(forTiles, Math.min(forScratch, ceilDiv(tilesH, t.winogradBlocksPerImage)))));
  const rowTasks = output.out.batch * ceilDiv(tilesH, tileRowsPerTask);
  const outPanels = ceilDiv(output.out.channels, I8_GEMM_NR);
  const panelsPerTask = panelsPerTaskFor(rowTasks, [outPanels], c.threads, t.redoneCost.winogradInput / I8_GEMM_NR, t.winogradMinPanels);
  return [{
    kind: 'i8winograd', name: op.name, tile, input, inputZero: c.quant(op.input).zeroPoint, ...output, weightsOffset: panels,
    padTop: layer.pads.top, padLeft: layer.pads.left, outH, outW, tilesH, tilesW, tileRowsPerTask, panelsPerTask,
    tasks: rowTasks * ceilDiv(outPanels, panelsPerTask), macs: output.out.batch * outH * outW * 9 * input.channels * output.out.channels,
  }];
}

/**
 * An int8 1-D Winograd step (i8Winograd1dFor): lines along the kernel's axis (input and output
 * steps from the views, so channel slices are fine), blocks of lines whose V′ and kernel scratch
 * fit `scratchTargetBytes`, hold ≥ `int8WinogradTaskPixels` outputs and give each image
 * ≥ `winogradBlocksPerImage` blocks where the map allows; panels split as i8WinogradSteps.
 */
function i8Winograd1dSteps(op: ConvOp, form: { r: I8Winograd1dR; axis: 'w' | 'h' }, panels: number, c: Int8StepContext): Step[] {
  const t = c.tuning;
  const part = op.parts[0];
  const layer = part.layer;
  if (layer.kind !== 'conv') throw new GraphError(`int8 Winograd '${op.name}': not a conv`);
  const { r, axis } = form;
  const input = c.view(op.input);
  const { panelStart: _start, panelEnd: _end, ...output } = i8ConvOutput(op, part, 0, c);
  const out = output.out;
  const res = output.residual?.view;
  const alongW = axis === 'w';
  // Along the axis: the next pixel (w) or row (h); across: the next row (w) or pixel (h).
  const steps = (v: View) => (alongW
    ? { step: v.pixelStrideBytes, line: v.width * v.pixelStrideBytes }
    : { step: v.width * v.pixelStrideBytes, line: v.pixelStrideBytes });
  const inSteps = steps(input);
  const outSteps = steps(out);
  const resSteps = res ? steps(res) : { step: 0, line: 0 };
  const { m, alpha } = i8Winograd1dShape(r);
  const lines = alongW ? out.height : out.width;
  const outLen = alongW ? out.width : out.height;
  const tilesPerLine = ceilDiv(outLen, m);
  const lineBytes = alpha * i8WinogradVBytes(tilesPerLine, input.channels) + i8Winograd1dScratchBytes(r, tilesPerLine, input.channels);
  const forScratch = Math.max(1, Math.floor(t.scratchTargetBytes / lineBytes));
  const forTiles = ceilDiv(t.int8WinogradTaskPixels / m, tilesPerLine);
  const linesPerTask = evenBlocks(lines, Math.min(lines, Math.max(forTiles, Math.min(forScratch, ceilDiv(lines, t.winogradBlocksPerImage)))));
  const rowTasks = out.batch * ceilDiv(lines, linesPerTask);
  const outPanels = ceilDiv(out.channels, I8_GEMM_NR);
  const panelsPerTask = panelsPerTaskFor(rowTasks, [outPanels], c.threads, t.redoneCost.winogradInput / I8_GEMM_NR, t.winogradMinPanels);
  return [{
    kind: 'i8winograd1d', name: op.name, r, input, inputZero: c.quant(op.input).zeroPoint, ...output, weightsOffset: panels,
    pad: alongW ? layer.pads.left : layer.pads.top, inLen: alongW ? input.width : input.height, inStepBytes: inSteps.step,
    inLineBytes: inSteps.line, outLen, outStepBytes: outSteps.step, outLineBytes: outSteps.line, resStepBytes: resSteps.step,
    resLineBytes: resSteps.line, lines, tilesPerLine, linesPerTask, panelsPerTask,
    tasks: rowTasks * ceilDiv(outPanels, panelsPerTask), macs: out.batch * out.height * out.width * r * input.channels * out.channels,
  }];
}

/**
 * A conv/FC op (one or more merged parts) as an int8 GEMM step, or as an int8 Winograd step where
 * `i8WinogradTileFor` (3×3) or `i8Winograd1dFor` (1×7, 7×1, 1×3, 3×1) picks a form.
 */
export function i8ConvSteps(op: ConvOp, inputs: StepInputs, c: Int8StepContext): Step[] {
  const packed = packedAs(inputs.packed, 'i8gemm', op);
  const thresholds = c.winograd && (c.dotConvs.has(op) ? c.winograd.dot : c.winograd.i16);
  const tile = thresholds ? i8WinogradTileFor(op, c.tuning, thresholds) : undefined;
  if (tile) return i8WinogradSteps(op, tile, packed.panels, c);
  const line = thresholds ? i8Winograd1dFor(op, c.tuning, thresholds) : undefined;
  if (line) return i8Winograd1dSteps(op, line, packed.panels, c);
  const input = c.view(op.input);
  const geometry = gemmWindow(op);
  const algorithm = convAlgorithm(op, false, c.tuning);
  if (algorithm.kind !== 'gemm') throw new GraphError(`int8 conv '${op.name}': a ${algorithm.kind} conv has no int8 GEMM form`);
  const outputs: I8ConvOutput[] = [];
  let panel = 0;
  let outChannelsTotal = 0;
  for (const part of op.parts) {
    const o = i8ConvOutput(op, part, panel, c);
    outputs.push(o);
    panel = o.panelEnd;
    outChannelsTotal += o.out.channels;
  }
  const out0 = outputs[0].out;
  // u8 im2col rows are a quarter of f32 rows' bytes: split them as f32 rows of depth/4.
  const split = gemmSplit(
    out0, outputs.map((o) => o.panelEnd - o.panelStart), algorithm.direct, ceilDiv(geometry.depth, 4), c.int8Mr, c.threads, c.tuning,
  );
  return [{
    kind: 'i8conv', name: op.name, input, inputZero: c.quant(op.input).zeroPoint, outputs, weightsOffset: packed.panels, ...geometry,
    outH: out0.height, outW: out0.width, direct: algorithm.direct, rowsPerTask: split.rowsPerTask, panelsPerTask: split.panelsPerTask, dot: c.dotConvs.has(op),
    tasks: split.rowTasks * panelGroupCount(outputs, split.panelsPerTask), macs: out0.batch * out0.height * out0.width * geometry.depth * outChannelsTotal,
  }];
}

/** Max or average pooling on u8 values; input and output share one quantisation (quant-params.ts). */
export function u8PoolSteps(op: Extract<Op, { kind: 'maxPool' | 'avgPool' }>, _inputs: StepInputs, c: Int8StepContext): Step[] {
  const input = c.view(op.input);
  const out = c.view(op.output);
  const n = op.node;
  const rowsPerTask = rowsPerTaskFor(out.height, c.tuning);
  return [{
    kind: op.kind === 'maxPool' ? 'u8MaxPool' : 'u8AvgPool', name: op.name, input, out,
    kernelH: n.kernelH, kernelW: n.kernelW, strideH: n.strideH, strideW: n.strideW,
    padTop: n.pads.top, padLeft: n.pads.left, padBottom: n.pads.bottom, padRight: n.pads.right,
    countIncludePad: op.kind === 'avgPool' ? op.node.countIncludePad : false, padValue: c.quant(op.input).zeroPoint, rowsPerTask,
    tasks: out.batch * ceilDiv(out.height, rowsPerTask), macs: elements(out) * n.kernelH * n.kernelW,
  }];
}

export function u8GlobalAvgPoolSteps(op: Extract<Op, { kind: 'globalAvgPool' }>, _inputs: StepInputs, c: Int8StepContext): Step[] {
  const input = c.view(op.input);
  const channelsPerTask = c.tuning.channelsPerGlobalPoolTask;
  return [{
    kind: 'u8GlobalAvgPool', name: op.name, input, out: c.view(op.output), channelsPerTask,
    tasks: input.batch * ceilDiv(input.channels, channelsPerTask), macs: elements(input),
  }];
}

