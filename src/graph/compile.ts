/**
 * Compiling a graph: lower → passes → plan memory → pack weights → a flat `Program` of kernel
 * steps with every byte offset resolved (src/bindings/program.ts). Done once per session; `run()`
 * walks the program and allocates nothing.
 *
 * Arena layout (byte offsets from the arena): packed weights | activations (planned) |
 * NCHW input staging | per-thread scratch.
 */

import type { Arena } from '../bindings/arena.js';
import { depthwiseWeightsFromTorch } from '../bindings/kernels/conv.js';
import { packedGemmWeightsFloats } from '../bindings/kernels/gemm.js';
import { batchNormScaleShift } from '../bindings/kernels/normalize.js';
import {
  WINOGRAD_2X2_G, winograd1dMatrices, winograd1dTile, winogradBlockFloats, winogradPackedFloats, winogradScratchBytes,
} from '../bindings/kernels/winograd.js';
import {
  pixelTasks, panelGroupCount, PANEL_WIDTH, stepScratch, type Clamp, type ConvOutput, type Kernels, type Program,
  type Step, type View,
} from '../bindings/program.js';
import type { Graph } from './graph.js';
import { GraphError } from './graph.js';
import type { BatchNormNode, ConvNode, FcNode, ValueId } from './nodes.js';
import { lowerGraph, type ConvPart, type Op } from './ops.js';
import { ALL_PASSES, runPasses, type PassName } from './passes.js';
import { planMemory, type MemoryPlan } from './planner.js';
import { markStepGroups, scheduleOps } from './schedule.js';

/** Named tensors in framework layout (conv OIHW, fc [out, in], BN/bias [C]). */
export type WeightMap = ReadonlyMap<string, Float32Array>;

export interface CompileOptions {
  passes?: readonly PassName[];
  /** Threads that will run the program (one scratch block each). */
  threads: number;
  /** MR of the GEMM build in use. */
  gemmMr: number;
  /**
   * Run stride-1 3×3 convs by Winograd F(2×2, 3×3) (default true): 2.25× fewer multiplies;
   * results differ from the direct path by rounding (relative ~1e-6 per layer).
   */
  winograd?: boolean;
}

export interface CompiledGraph {
  program: Program;
  plan: MemoryPlan;
  ops: Op[];
  /** NHWC view of the graph input inside the activations. */
  input: View;
  /** Dense NCHW staging buffer for the input, transposed into `input` before the program runs. */
  inputNchwOffset: number;
  /** View of the main output. */
  output: View;
  weightBytes: number;
}

/** im2col and Winograd blocks are sized to keep a thread's scratch within this (about the 512 KiB L2 of the Zen 3 dev VM). */
const SCRATCH_TARGET_BYTES = 512 * 1024;
/**
 * Fewest micro-kernel tiles (of MR rows) per direct-conv row block: small maps (8×8: 16 tiles)
 * take two blocks of 8 tiles, not 4-row blocks that each stream the whole weight matrix
 * (Inception-ResNet-v2 conv2d_7b, 1×1 2080 → 1536 at 8×8: 14.7 → 11.1 ms, one thread).
 */
const DIRECT_MIN_TILES = 8;
/** Fewest GEMM rows per im2col task, and the scratch it may take to get them. */
const IM2COL_MIN_ROWS = 64;
const SCRATCH_MAX_BYTES = 1024 * 1024;
/** Fewest tiles (GEMM rows) per Winograd task where the map has them: 8 micro-kernel tiles of 4 rows. */
const WINOGRAD_MIN_TILES = 32;
/** Most row blocks per direct conv (each a task, or several with panel groups). */
const DIRECT_MAX_ROW_BLOCKS = 24;

const F32 = 4;

/** The memory plan alone (no kernels, no weights): what `info` reports as the arena peak. */
export function planGraph(g: Graph, passes: readonly PassName[] = ALL_PASSES): MemoryPlan {
  return lowerAndPlan(g, passes).plan;
}

/** Lowering, passes, op schedule (schedule.ts) and the memory plan that follows the schedule. */
function lowerAndPlan(g: Graph, passes: readonly PassName[]) {
  const lowered = runPasses(g, { ops: lowerGraph(g), aliases: new Map() }, passes);
  const scheduled = scheduleOps(g, lowered.ops, lowered.aliases);
  return {
    ops: scheduled.ops,
    aliases: lowered.aliases,
    plan: planMemory(g, scheduled.ops, lowered.aliases, scheduled.groups),
  };
}

export function compileGraph(g: Graph, weights: WeightMap, k: Kernels, arena: Arena, options: CompileOptions): CompiledGraph {
  if (g.inputs.length !== 1) throw new GraphError(`a session runs graphs with one input, this one has ${g.inputs.length}`);
  const lowered = lowerAndPlan(g, options.passes ?? ALL_PASSES);
  const plan = lowered.plan;

  const weightStart = arena.mark();
  const useWinograd = options.winograd ?? true;
  const plans = lowered.ops.map((op) => (useWinograd ? winogradPlan(op) : undefined));
  const packed = lowered.ops.map((op, i) => packOpWeights(op, weights, k, arena, plans[i]));
  const weightBytes = arena.mark() - weightStart;

  const activations = arena.alloc(plan.peakBytes);
  const view = (v: ValueId): View => {
    const local = plan.view(v);
    return { ...local, offset: local.offset + activations };
  };
  const input = view(g.inputs[0]);
  const inputNchwOffset = arena.allocF32(input.batch * input.height * input.width * input.channels);

  const steps: Step[] = [];
  let scratchBytes = 0;
  let packBytes = 0;
  lowered.ops.forEach((op, i) => {
    for (const step of opSteps(op, packed[i], view, options.gemmMr, options.threads, plans[i])) {
      const { bufferBytes, gemm } = stepScratch(step);
      scratchBytes = Math.max(scratchBytes, bufferBytes);
      if (gemm) packBytes = Math.max(packBytes, k.f32_gemm_pack_bytes(gemm.rows, gemm.depth));
      steps.push(step);
    }
  });
  markStepGroups(steps);
  // Each thread's scratch: im2col / Winograd buffers, then f32_gemm's A-pack area.
  const gemmPackOffset = Math.ceil(scratchBytes / 64) * 64;
  const scratchPerThread = gemmPackOffset + Math.ceil(packBytes / 64) * 64;
  const scratchOffset = arena.alloc(scratchPerThread * options.threads);

  return {
    program: { steps, scratchOffset, scratchBytesPerThread: scratchPerThread, gemmPackOffset, gemmMr: options.gemmMr },
    plan,
    ops: lowered.ops,
    input,
    inputNchwOffset,
    output: view(g.output),
    weightBytes,
  };
}

// ---- weights -------------------------------------------------------------------------------

interface PackedWeights {
  /** Conv/FC: the packed GEMM panels (all parts back to back); depthwise: `[kh][kw][C·m]`. */
  weights: number;
  /** Depthwise bias, standalone BN scale. */
  aux1: number;
  /** Standalone BN shift. */
  aux2: number;
}

const NONE: PackedWeights = { weights: 0, aux1: 0, aux2: 0 };

function tensor(weights: WeightMap, name: string | undefined, expected: number, owner: string): Float32Array | undefined {
  if (name === undefined) return undefined;
  const t = weights.get(name);
  if (!t) throw new GraphError(`weight '${name}' (for '${owner}') is missing`);
  if (t.length !== expected) {
    throw new GraphError(`weight '${name}' (for '${owner}') has ${t.length} values, expected ${expected}`);
  }
  return t;
}

function depthwise(layer: ConvNode | FcNode): ConvNode | undefined {
  return layer.kind === 'conv' && layer.groups !== 1 ? layer : undefined;
}

/** GEMM geometry of a conv/FC layer: [outChannels, inChannels, kernelH, kernelW]. */
function gemmDims(layer: ConvNode | FcNode): [number, number, number, number] {
  return layer.kind === 'fc'
    ? [layer.outFeatures, layer.inFeatures, 1, 1]
    : [layer.outChannels, layer.inChannels, layer.kernelH, layer.kernelW];
}

/** A BatchNorm node's statistics, looked up and length-checked. */
function batchNormStats(bn: BatchNormNode, weights: WeightMap) {
  const c = bn.channels;
  return {
    gamma: tensor(weights, bn.gamma, c, bn.name), beta: tensor(weights, bn.beta, c, bn.name),
    mean: tensor(weights, bn.mean, c, bn.name)!, var: tensor(weights, bn.var, c, bn.name)!, eps: bn.eps,
  };
}

/** How a conv runs by Winograd: F(2×2, 4×4 or 6×6, 3×3), or 1-D F(m, r) along W (1×r) or H (r×1). */
export type WinogradPlan = { dims: 2; tile: 2 | 4 | 6 } | { dims: 1; axis: 'w' | 'h'; r: number; m: number };

/**
 * 3×3 convs take F(4×4, 3×3) from this many 4×4 tiles per image (square maps from 21×21: its 36
 * transformed weight blocks are then reused by enough GEMM rows), else F(2×2, 3×3) from this many
 * 2×2 tiles (9×9 to 20×20), else the direct path (8×8 and smaller). Measured per layer on GoogLeNet
 * (`npx tsx bench/winograd.ts --model googlenet --layers`): F(4×4) 0.46–0.5× the direct time at
 * 56×56 and 28×28, F(2×2) 0.63–0.8× at 14×14, and 1.0–1.3× at 7×7 (16 tiles: each transformed
 * weight is used by too few rows).
 */
const WINOGRAD_4X4_MIN_TILES = 32;
const WINOGRAD_2X2_MIN_TILES = 25;
const WINOGRAD_6X6_MIN_TILES = 36;
const WINOGRAD_6X6_MIN_ROW_BLOCKS = 4;
const WINOGRAD_6X6_MAX_OUT_CHANNELS = 128;

/**
 * F(6×6, 3×3) instead of F(4×4): where its GEMM rows × 64 matrices are fewer than F(4×4)'s rows ×
 * 36 (147×147: 625 · 64 vs 1369 · 36, 0.81×; 71×71: 0.79×), with ≥ 36 tiles per image (its
 * weights are 64/36 of F(4×4)'s and need the rows to reuse them), ≥ 4 row blocks in its split
 * (a 35×35 map is one block of 36 tiles, which leaves a second thread idle or splits into panel
 * groups; 71×71 has 4) and ≤ 128 output channels (with threads, a panel group of a task redoes
 * the input transform, α² = 64 matrices of it).
 * The choice depends on the layer alone, never on the thread count or batch, so outputs stay
 * bit-identical across both. Measured (per-step minima, one thread, F(6×6) / F(4×4)): 147×147
 * 32 → 64 0.89–0.93, 71×71 64 → 96 0.87–0.91; two threads, whole networks, paired: v4 0.963, IRv2
 * 0.973. Without the last two conditions: 35×35 64 → 96 at two threads and 56×56 64 → 192 went slower
 * (googlenet and v4 whole-run 1.03–1.045 at two threads).
 */
function winograd6x6Pays(tiles: (t: number) => number, inChannels: number, outChannels: number, outH: number, outW: number): boolean {
  if (tiles(6) < WINOGRAD_6X6_MIN_TILES || tiles(6) * 64 >= tiles(4) * 36 || outChannels > WINOGRAD_6X6_MAX_OUT_CHANNELS) return false;
  // Row blocks of one image (they do not depend on threads): the choice must not depend on threads or batch.
  const split = winogradSplit(1, Math.ceil(outH / 6), Math.ceil(outW / 6), 64, inChannels, outChannels, 1);
  return split.rowTasks >= WINOGRAD_6X6_MIN_ROW_BLOCKS;
}

/**
 * Convs that run by Winograd: one (unmerged) dense stride-1 conv without a fused residual, wide
 * enough on both sides for the transforms to pay (≥ 8 channels in and out), with a 3×3 kernel
 * (2-D) or a 1×3/1×7/3×1/7×1 kernel and no padding across the kernel's axis (1-D).
 */
export function winogradPlan(op: Op): WinogradPlan | undefined {
  if (op.kind !== 'conv' || op.parts.length !== 1) return undefined;
  const { layer, residual } = op.parts[0];
  if (layer.kind !== 'conv' || layer.groups !== 1 || residual !== undefined) return undefined;
  if (layer.strideH !== 1 || layer.strideW !== 1 || layer.inChannels < 8 || layer.outChannels < 8) return undefined;
  const { kernelH: kh, kernelW: kw, pads } = layer;
  const [, outH, outW] = layer.shape;
  const tiles = (t: number) => Math.ceil(outH / t) * Math.ceil(outW / t);
  if (kh === 3 && kw === 3) {
    if (winograd6x6Pays(tiles, layer.inChannels, layer.outChannels, outH, outW)) return { dims: 2, tile: 6 };
    if (tiles(4) >= WINOGRAD_4X4_MIN_TILES) return { dims: 2, tile: 4 };
    return tiles(2) >= WINOGRAD_2X2_MIN_TILES ? { dims: 2, tile: 2 } : undefined;
  }
  const mW = kh === 1 && pads.top === 0 && pads.bottom === 0 ? winograd1dTile(kw, outW) : undefined;
  if (mW) return { dims: 1, axis: 'w', r: kw, m: mW };
  const mH = kw === 1 && pads.left === 0 && pads.right === 0 ? winograd1dTile(kh, outH) : undefined;
  if (mH) return { dims: 1, axis: 'h', r: kh, m: mH };
  return undefined;
}

function packOpWeights(op: Op, weights: WeightMap, k: Kernels, arena: Arena, winograd?: WinogradPlan): PackedWeights {
  if (op.kind === 'batchNorm') {
    const { scale, shift } = batchNormScaleShift(batchNormStats(op.node, weights));
    return { weights: 0, aux1: arena.putF32(scale), aux2: arena.putF32(shift) };
  }
  if (op.kind !== 'conv') return NONE;
  const first = op.parts[0].layer;
  const dw = depthwise(first);
  if (dw) return packDepthwise(op.parts[0], dw, weights, arena);
  const [, inChannels, kernelH, kernelW] = gemmDims(first);
  if (winograd) return packWinograd(op.parts[0], inChannels, winograd, weights, k, arena);
  const depth = kernelH * kernelW * inChannels;
  const total = op.parts.reduce((sum, p) => sum + packedGemmWeightsFloats(gemmDims(p.layer)[0], depth), 0);
  const dst = arena.allocF32(total);
  let at = dst;
  for (const part of op.parts) {
    const [outChannels] = gemmDims(part.layer);
    const mark = arena.mark();
    const put = (name: string | undefined, count: number) => {
      const t = tensor(weights, name, count, part.layer.name);
      return t ? arena.putF32(t) : 0;
    };
    const w = put(part.layer.weight, outChannels * depth);
    const bias = put(part.layer.bias, outChannels);
    const bn = part.bn;
    k.f32_pack_gemm_weights(
      w, 0, outChannels, inChannels, kernelH, kernelW, bias,
      bn ? put(bn.gamma, outChannels) : 0, bn ? put(bn.beta, outChannels) : 0,
      bn ? put(bn.mean, outChannels) : 0, bn ? put(bn.var, outChannels) : 0, bn ? bn.eps : 0, at,
    );
    arena.release(mark);
    at += packedGemmWeightsFloats(outChannels, depth) * F32;
  }
  return { weights: dst, aux1: 0, aux2: 0 };
}

/**
 * Winograd blocks + bias (aux1) of a conv, BatchNorm folded by the pack kernel.
 */
function packWinograd(
  part: ConvPart, inChannels: number, plan: WinogradPlan, weights: WeightMap, k: Kernels, arena: Arena,
): PackedWeights {
  const layer = part.layer as ConvNode;
  const outChannels = layer.outChannels;
  const taps = layer.kernelH * layer.kernelW;
  const mats = plan.dims === 1 ? winograd1dMatrices(plan.m, plan.r) : undefined;
  const alpha2d = plan.dims === 2 ? plan.tile + 2 : 0;
  const blocks = mats ? mats.alpha : alpha2d ** 2;
  const dst = arena.allocF32(winogradPackedFloats(blocks, outChannels, inChannels));
  const mark = arena.mark();
  const put = (name: string | undefined, count: number) => {
    const t = tensor(weights, name, count, layer.name);
    return t ? arena.putF32(t) : 0;
  };
  const bn = part.bn;
  const w = put(layer.weight, outChannels * inChannels * taps);
  const b = put(layer.bias, outChannels);
  const [gamma, beta, mean, variance] = bn
    ? [put(bn.gamma, outChannels), put(bn.beta, outChannels), put(bn.mean, outChannels), put(bn.var, outChannels)]
    : [0, 0, 0, 0];
  const gValues = mats ? mats.g : alpha2d === 4 ? WINOGRAD_2X2_G : winograd1dMatrices(alpha2d - 2, 3).g;
  const g = arena.alloc(gValues.length * 8);
  new Float64Array(arena.memory.buffer, g, gValues.length).set(gValues);
  k.f32_winograd_pack(
    w, 0, outChannels, inChannels, layer.kernelH, layer.kernelW, mats ? mats.alpha : alpha2d, g, b, gamma, beta, mean,
    variance, bn ? bn.eps : 0, dst,
  );
  arena.release(mark);
  return { weights: dst, aux1: dst + blocks * winogradBlockFloats(outChannels, inChannels) * F32, aux2: 0 };
}

function packDepthwise(part: ConvPart, layer: ConvNode, weights: WeightMap, arena: Arena): PackedWeights {
  const multiplier = layer.outChannels / layer.inChannels;
  const taps = layer.kernelH * layer.kernelW;
  const w = depthwiseWeightsFromTorch(
    tensor(weights, layer.weight, layer.outChannels * taps, layer.name)!, layer.inChannels, multiplier,
    layer.kernelH, layer.kernelW,
  );
  const rawBias = tensor(weights, layer.bias, layer.outChannels, layer.name);
  const bias = new Float64Array(layer.outChannels);
  if (rawBias) bias.set(rawBias);
  if (part.bn) {
    const { scale, shift } = batchNormScaleShift(batchNormStats(part.bn, weights));
    for (let o = 0; o < layer.outChannels; o++) {
      for (let t = 0; t < taps; t++) w[t * layer.outChannels + o] *= scale[o];
      bias[o] = bias[o] * scale[o] + shift[o];
    }
  }
  const needsBias = rawBias !== undefined || part.bn !== undefined;
  return { weights: arena.putF32(w), aux1: needsBias ? arena.putF32(bias) : 0, aux2: 0 };
}

// ---- steps ---------------------------------------------------------------------------------

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);
/** The block size ≤ `most` that splits `total` into as few blocks as `most` does, as evenly as possible. */
const evenBlocks = (total: number, most: number) => ceilDiv(total, ceilDiv(total, most));
const pixelsPerTaskFor = (v: View) => Math.max(64, ceilDiv(v.height * v.width, 8));
const copyClamp = (c: Clamp): Clamp => ({ lo: c.lo, hi: c.hi });

function opSteps(
  op: Op, packed: PackedWeights, view: (v: ValueId) => View, mr: number, threads: number, winograd?: WinogradPlan,
): Step[] {
  const name = op.name;
  switch (op.kind) {
    case 'conv':
      if (winograd?.dims === 2) return [winogradStep(op, packed, view, winograd, threads)];
      if (winograd?.dims === 1) return [winograd1dStep(op, packed, view, winograd, threads)];
      return [convStep(op, packed, view, mr, threads)];
    case 'batchNorm': {
      const input = view(op.input);
      const pixelsPerTask = pixelsPerTaskFor(input);
      return [{
        kind: 'batchNorm', name, input, out: view(op.output), scaleOffset: packed.aux1, shiftOffset: packed.aux2,
        clamp: copyClamp(op.clamp), pixelsPerTask, tasks: pixelTasks(input, pixelsPerTask),
        macs: elements(input),
      }];
    }
    case 'clamp':
      return [copyStep(name, view(op.input), view(op.output), op.clamp)];
    case 'add': {
      const out = view(op.output);
      const pixelsPerTask = pixelsPerTaskFor(out);
      return [{
        kind: 'add', name, a: view(op.a), b: view(op.b), out, scale: op.scale, clamp: copyClamp(op.clamp),
        pixelsPerTask, tasks: pixelTasks(out, pixelsPerTask), macs: elements(out),
      }];
    }
    case 'concat': {
      const out = view(op.output);
      return op.inputs.map((v, i) => {
        const input = view(v);
        const slice = { ...out, offset: out.offset + op.channelOffsets[i] * F32, channels: input.channels };
        return copyStep(`${name}[${i}]`, input, slice, { lo: -Infinity, hi: Infinity });
      });
    }
    case 'maxPool':
    case 'avgPool': {
      const input = view(op.input);
      const out = view(op.output);
      const n = op.node;
      const rowsPerTask = Math.max(1, ceilDiv(out.height, 16));
      return [{
        kind: op.kind, name, input, out, kernelH: n.kernelH, kernelW: n.kernelW, strideH: n.strideH, strideW: n.strideW,
        padTop: n.pads.top, padLeft: n.pads.left, padBottom: n.pads.bottom, padRight: n.pads.right,
        countIncludePad: op.kind === 'avgPool' ? op.node.countIncludePad : false, rowsPerTask,
        tasks: out.batch * ceilDiv(out.height, rowsPerTask), macs: elements(out) * n.kernelH * n.kernelW,
      }];
    }
    case 'globalAvgPool': {
      const input = view(op.input);
      const channelsPerTask = 256;
      return [{
        kind: 'globalAvgPool', name, input, out: view(op.output), channelsPerTask,
        tasks: input.batch * ceilDiv(input.channels, channelsPerTask), macs: elements(input),
      }];
    }
    case 'lrn': {
      const input = view(op.input);
      const pixelsPerTask = pixelsPerTaskFor(input);
      const n = op.node;
      return [{
        kind: 'lrn', name, input, out: view(op.output), size: n.size, alpha: n.alpha, beta: n.beta, k: n.k,
        pixelsPerTask, tasks: pixelTasks(input, pixelsPerTask), macs: elements(input) * n.size,
      }];
    }
    case 'softmax': {
      const input = view(op.input);
      return [{
        kind: 'softmax', name, input, out: view(op.output), rowsPerTask: 1,
        tasks: pixelTasks(input, 1), macs: elements(input),
      }];
    }
    case 'flatten':
      return [];
  }
}

function elements(v: View): number {
  return v.batch * v.height * v.width * v.channels;
}

/** A view-to-view copy, optionally clamped (a standalone ReLU). */
function copyStep(name: string, input: View, out: View, clamp: Clamp): Step {
  const pixelsPerTask = pixelsPerTaskFor(out);
  return {
    kind: 'copy', name, input, out, clamp: copyClamp(clamp), pixelsPerTask,
    tasks: pixelTasks(out, pixelsPerTask), macs: 0,
  };
}

/**
 * Fixed work a task redoes per row of its row block, in MAC-equivalents per unit of the GEMM's
 * depth (per input channel for Winograd, per K for im2col and direct convs), next to
 * PANEL_WIDTH MACs per depth unit for each weight panel it computes. Measured by running the
 * two-thread program of googlenet on one thread against the one-thread program (all tasks
 * inline, paired medians): a redone Winograd input transform took 1.5 ns per transformed value
 * against 0.05 ns per GEMM MAC (inception4e 3×3: 2 → 20 tasks, +1.28 ms); a redone im2col copy
 * plus A pack 1.06 ns per value against 0.07 ns per MAC (conv1 7×7: 16 → 32 tasks, +1.95 ms); a
 * redone A pack of a 1×1 conv 0.20–0.24 ns per value against 0.07 ns per MAC (googlenet, v3).
 */
const REDONE_COST = { winogradInput: 30, im2col: 15, pack: 3 } as const;

/**
 * Panels per task for a step of `rowTasks` equal row blocks whose outputs have `panels[i]`
 * weight panels each (a merged conv has one entry per output): the split with the least
 * modelled time on `threads` threads. Splitting the panels into groups lets threads share a step
 * with few row blocks, but every group redoes its row block's fixed work (`fixedPerPanelWork`:
 * that work over one panel's MACs, REDONE_COST / PANEL_WIDTH), so with `groups` groups in all,
 *   time ∝ ⌈rowTasks · groups / threads⌉ · (fixedPerPanelWork + total panels / groups)
 * (tasks taken dynamically; the busiest thread runs the rounded-up share). Candidates are
 * balanced groups (⌈most / G⌉ panels for G = 1, 2, …) of at least `minPanels` panels; ties keep
 * fewer groups. Consequences: one thread, or a row-block count that threads divide, never splits;
 * one row block on two threads splits in two.
 * Replaced a rule that split panels until a step had 24 tasks: at two threads it redid
 * transforms and copies for balance the row blocks already gave (whole runs, two threads, paired
 * new/old in one process: googlenet 0.886, v3 0.892, v4 0.846, IRv2 0.972; googlenet at one
 * thread, where direct convs were split too, 0.972). A finer model (list scheduling of unequal
 * last row blocks, splits only for a 5 % gain) measured no better (IRv2 0.993, v3 1.002,
 * googlenet 1.029 against this one). The split moves no arithmetic between outputs, so results
 * stay bit-identical at any thread count.
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

/**
 * Task split of a Winograd conv over `lines` tile rows (2-D) or lines (1-D) of `tilesPerLine`
 * tiles each: blocks of lines whose V and M fit the scratch target, hold ≥ WINOGRAD_MIN_TILES
 * tiles (GEMM rows) and give each image ≥ 8 blocks where the map allows; the panels are split
 * as `panelsPerTaskFor` finds it pays (each group redoes its block's input transform; groups of
 * ≥ 4 panels).
 */
function winogradSplit(
  batch: number, lines: number, tilesPerLine: number, matrices: number, inChannels: number, outChannels: number,
  threads: number,
): { linesPerTask: number; rowTasks: number; panelsPerTask: number; tasks: number } {
  const panels = ceilDiv(outChannels, PANEL_WIDTH);
  const forScratch = Math.max(1, Math.floor(SCRATCH_TARGET_BYTES / winogradScratchBytes(tilesPerLine, inChannels, outChannels, matrices)));
  const forRows = ceilDiv(WINOGRAD_MIN_TILES, tilesPerLine);
  const linesPerTask = evenBlocks(lines, Math.min(lines, Math.max(forRows, Math.min(forScratch, ceilDiv(lines, 8)))));
  const rowTasks = batch * ceilDiv(lines, linesPerTask);
  const panelsPerTask = panelsPerTaskFor(rowTasks, [panels], threads, REDONE_COST.winogradInput / PANEL_WIDTH, 4);
  return { linesPerTask, rowTasks, panelsPerTask, tasks: rowTasks * ceilDiv(panels, panelsPerTask) };
}

/** What both Winograd step kinds take from a single-part conv op: its layer, its views and the shared step fields. */
function winogradOperands(op: Extract<Op, { kind: 'conv' }>, packed: PackedWeights, view: (v: ValueId) => View) {
  const part = op.parts[0];
  const input = view(op.input);
  const out = view(part.output);
  return {
    layer: part.layer as ConvNode, input, out,
    fields: { name: op.name, input, out, clamp: copyClamp(part.clamp), weightsOffset: packed.weights, biasOffset: packed.aux1 },
  };
}

function winogradStep(
  op: Extract<Op, { kind: 'conv' }>, packed: PackedWeights, view: (v: ValueId) => View,
  plan: Extract<WinogradPlan, { dims: 2 }>, threads: number,
): Step {
  const { layer, out, fields } = winogradOperands(op, packed, view);
  const tilesH = ceilDiv(out.height, plan.tile);
  const tilesW = ceilDiv(out.width, plan.tile);
  const split = winogradSplit(out.batch, tilesH, tilesW, (plan.tile + 2) ** 2, layer.inChannels, out.channels, threads);
  return {
    kind: 'winograd', ...fields, tile: plan.tile, padTop: layer.pads.top, padLeft: layer.pads.left, outH: out.height, outW: out.width,
    tilesH, tilesW, tileRowsPerTask: split.linesPerTask, panelsPerTask: split.panelsPerTask, tasks: split.tasks,
    macs: elements(out) * 9 * layer.inChannels,
  };
}

function winograd1dStep(
  op: Extract<Op, { kind: 'conv' }>, packed: PackedWeights, view: (v: ValueId) => View,
  plan: Extract<WinogradPlan, { dims: 1 }>, threads: number,
): Step {
  const { layer, input: x, out, fields } = winogradOperands(op, packed, view);
  const alongW = plan.axis === 'w';
  const alpha = plan.m + plan.r - 1;
  const outLen = alongW ? out.width : out.height;
  const lines = alongW ? out.height : out.width;
  const tilesPerLine = ceilDiv(outLen, plan.m);
  const split = winogradSplit(out.batch, lines, tilesPerLine, alpha, layer.inChannels, out.channels, threads);
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

function convStep(
  op: Extract<Op, { kind: 'conv' }>, packed: PackedWeights, view: (v: ValueId) => View, mr: number, threads: number,
): Step {
  const first = op.parts[0].layer;
  const input = view(op.input);
  const dw = depthwise(first);
  if (dw) {
    const part = op.parts[0];
    const out = view(part.output);
    const rowsPerTask = Math.max(1, ceilDiv(out.height, 16));
    return {
      kind: 'dwconv', name: op.name, input, out, multiplier: dw.outChannels / dw.inChannels,
      kernelH: dw.kernelH, kernelW: dw.kernelW, strideH: dw.strideH, strideW: dw.strideW,
      padTop: dw.pads.top, padLeft: dw.pads.left, weightsOffset: packed.weights, biasOffset: packed.aux1,
      clamp: copyClamp(part.clamp), rowsPerTask, tasks: out.batch * ceilDiv(out.height, rowsPerTask),
      macs: elements(out) * dw.kernelH * dw.kernelW,
    };
  }
  const [, inChannels, kernelH, kernelW] = gemmDims(first);
  const depth = kernelH * kernelW * inChannels;
  const win = first.kind === 'conv'
    ? { strideH: first.strideH, strideW: first.strideW, pads: first.pads }
    : { strideH: 1, strideW: 1, pads: { top: 0, left: 0, bottom: 0, right: 0 } };
  const direct = kernelH === 1 && kernelW === 1 && win.strideH === 1 && win.strideW === 1 &&
    win.pads.top + win.pads.left + win.pads.bottom + win.pads.right === 0;

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
  const outH = out0.height;
  const outW = out0.width;
  const pixels = out0.batch * outH * outW;

  let rowsPerTask: number;
  let rowTasks: number;
  let panelsPerTask: number;
  if (direct) {
    const tiles = ceilDiv(pixels, mr);
    const rowBlocks = Math.min(DIRECT_MAX_ROW_BLOCKS, Math.max(1, Math.floor(tiles / DIRECT_MIN_TILES)));
    rowsPerTask = mr * ceilDiv(tiles, rowBlocks);
    rowTasks = ceilDiv(pixels, rowsPerTask);
    panelsPerTask = panelsPerTaskFor(rowTasks, outputPanels, threads, REDONE_COST.pack / PANEL_WIDTH, 1);
  } else {
    // Row blocks small enough for L2 and numerous enough to balance threads; where a map has
    // too few (late 7×7/8×8 layers), panel groups as panelsPerTaskFor finds they pay (each
    // redoes the im2col copy of its rows).
    const rowsForScratch = Math.max(1, Math.floor(SCRATCH_TARGET_BYTES / (outW * depth * F32)));
    // But at least IM2COL_MIN_ROWS GEMM rows where the scratch allows (small maps with a deep K:
    // 17×17 stride-2 reductions), so each weight panel is used by enough micro-kernel tiles.
    const rowsForMinimum = Math.min(
      ceilDiv(IM2COL_MIN_ROWS, outW), Math.max(1, Math.floor(SCRATCH_MAX_BYTES / (outW * depth * F32))),
    );
    rowsPerTask = evenBlocks(outH, Math.min(outH, Math.max(rowsForMinimum, Math.min(rowsForScratch, Math.max(1, ceilDiv(outH, 16))))));
    rowTasks = out0.batch * ceilDiv(outH, rowsPerTask);
    panelsPerTask = panelsPerTaskFor(rowTasks, outputPanels, threads, REDONE_COST.im2col / PANEL_WIDTH, 4);
  }
  return {
    kind: 'conv', name: op.name, input, outputs, weightsOffset: packed.weights, depth, kernelH, kernelW,
    strideH: win.strideH, strideW: win.strideW, padTop: win.pads.top, padLeft: win.pads.left, outH, outW, direct,
    rowsPerTask, panelsPerTask, tasks: rowTasks * panelGroupCount(outputs, panelsPerTask),
    macs: pixels * depth * outChannelsTotal,
  };
}
