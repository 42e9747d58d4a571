/**
 * An oracle for int8 programs: compiles a graph to an int8 program, then walks it step by step
 * and recomputes every int8 step (i8conv, i8winograd, i8winograd1d, u8 pools, quantize, dequantize) with the
 * plain-TS integer references (test/reference/int8.ts) from
 *  - the activation bytes as they were just before the step (a snapshot of the whole arena of
 *    activations, so in-place outputs, shared buffers and residuals read what the kernel read),
 *  - the packed weights of the layer in the arena (`Int8Layer.panels`),
 *  - each value's quantisation (`int8.values`) and the op's own parameters (window, pads, clamp,
 *    residual scale), never the step's copies of them: a wrong zero point, bound or panel range
 *    in a step is a wrong output here.
 * The step's output bytes must equal the reference's exactly (u8 bytes; f32 bit patterns), and no
 * byte of the activations outside the op's output views may change. An int8 Winograd step is held
 * to the same reference as the GEMM (the direct convolution's integer sums): its contract is the
 * `i8conv` step's output bytes.
 */
import { expect } from 'vitest';
import { Arena } from '../../src/bindings/arena.js';
import { runProgramInline } from '../../src/bindings/executor.js';
import { features } from '../../src/bindings/features.js';
import { packedI8GemmBytes } from '../../src/bindings/kernels/int8.js';
import { asKernels, viewElementBytes, type Kernels, type QuantParams, type Step, type View } from '../../src/bindings/program.js';
import { compileKernelModule, instantiateKernels, type KernelBuild } from '../../src/bindings/wasm-module.js';
import type { ConvOp } from '../../src/graph/algorithm.js';
import type { WeightMap } from '../../src/graph/compile.js';
import type { Graph } from '../../src/graph/graph.js';
import { calibrationRanges } from '../../src/graph/int8/calibrate.js';
import { compileInt8Graph, type CompiledInt8Graph } from '../../src/graph/int8/compile-int8.js';
import type { ValueRange } from '../../src/graph/int8/quant-params.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { opOutputs, type Clamp, type Op } from '../../src/graph/ops.js';
import { ALL_PASSES } from '../../src/graph/passes.js';
import { stageInput } from '../../src/graph/program-io.js';
import {
  dequantizeRef, i8GemmF32Ref, i8GemmRef, quantizeRef, u8AvgPoolRef, u8GlobalAvgPoolRef, u8Im2colRef, u8MaxPoolRef, unpackI8PanelsRef,
  type WindowGeometry,
} from '../reference/int8.js';

/**
 * Every step kind: checked here ('int8') or an f32 step an int8 program may hold between
 * conversions ('f32', compared to nothing here). A Record over the union, so a new step kind does
 * not compile until it is classified — an int8 kind added without a reference cannot pass unchecked.
 */
const STEP_CLASS: Record<Step['kind'], 'int8' | 'f32'> = {
  i8conv: 'int8', i8winograd: 'int8', i8winograd1d: 'int8', u8MaxPool: 'int8', u8AvgPool: 'int8', u8GlobalAvgPool: 'int8', quantize: 'int8', dequantize: 'int8',
  conv: 'f32', winograd: 'f32', winograd1d: 'f32', dwconv: 'f32', maxPool: 'f32', avgPool: 'f32', globalAvgPool: 'f32',
  batchNorm: 'f32', add: 'f32', copy: 'f32', lrn: 'f32', softmax: 'f32',
};

export const INT8_STEP_KINDS: ReadonlySet<Step['kind']> = new Set(
  (Object.keys(STEP_CLASS) as Step['kind'][]).filter((kind) => STEP_CLASS[kind] === 'int8'),
);

export interface Int8Program {
  k: Kernels;
  arena: Arena;
  compiled: CompiledInt8Graph;
  graph: Graph;
}

const modules = new Map<KernelBuild, Promise<WebAssembly.Module>>();

/** The (cached) unshared kernel module of a build. */
export function kernelModule(build: KernelBuild): Promise<WebAssembly.Module> {
  let m = modules.get(build);
  if (!m) {
    m = features().then(() => compileKernelModule({ build, shared: false }));
    modules.set(build, m);
  }
  return m;
}

/** Calibration ranges of `g` over NCHW `inputs`, by the f32 program of `build`. */
export async function rangesFor(g: Graph, weights: WeightMap, inputs: Float32Array[], build: KernelBuild = 'baseline'): Promise<Map<ValueId, ValueRange>> {
  return calibrationRanges(g, weights, inputs, 'nchw', { module: await kernelModule(build), shared: false, passes: ALL_PASSES });
}

/** An int8 program of `g` for one thread, in its own arena (`int8Winograd` as compileInt8Graph's, default on). */
export async function compileInt8Program(
  g: Graph, weights: WeightMap, ranges: ReadonlyMap<ValueId, ValueRange>, build: KernelBuild = 'baseline', int8Winograd?: boolean,
  weightScales?: ReadonlyMap<string, Float32Array>,
): Promise<Int8Program> {
  const arena = new Arena({ shared: false });
  const k = asKernels(instantiateKernels(await kernelModule(build), arena.memory));
  const compiled = compileInt8Graph(g, weights, k, arena, {
    passes: ALL_PASSES, threads: 1, gemmMr: k.f32_gemm_mr(), ranges, ...(int8Winograd === undefined ? {} : { int8Winograd }),
    ...(weightScales ? { weightScales } : {}),
  });
  return { k, arena, compiled, graph: g };
}

/** Stages NCHW `input`, runs the whole program inline and returns a copy of the output (all images). */
export function runInt8Program(p: Int8Program, input: Float32Array): Float32Array {
  stageInput(p.k, p.arena, p.compiled, input, 'nchw');
  runProgramInline(p.k, p.compiled.program);
  return new Float32Array(denseBytes(p.arena.u8(0, p.arena.memory.buffer.byteLength), 0, p.compiled.output).buffer);
}

/** The values of a view, dense `[batch][H][W][C]`, as raw bytes (f32 views: 4 bytes per value), from `mem` based at `base`. */
export function denseBytes(mem: Uint8Array, base: number, v: View): Uint8Array {
  const rowBytes = v.channels * viewElementBytes(v);
  const out = new Uint8Array(v.batch * v.height * v.width * rowBytes);
  let at = 0;
  for (let n = 0; n < v.batch; n++) {
    for (let p = 0; p < v.height * v.width; p++) {
      const from = v.offset - base + n * v.imageStrideBytes + p * v.pixelStrideBytes;
      out.set(mem.subarray(from, from + rowBytes), at);
      at += rowBytes;
    }
  }
  return out;
}

/** What the walk met: checked steps per kind, and the layouts and epilogues they covered. */
export interface StepCoverage {
  int8Steps: number;
  checked: Partial<Record<Step['kind'], number>>;
  /** i8conv outputs into a channel slice (pixel stride > channels), merged steps (> 1 output), … */
  stridedOutputs: number;
  stridedInputs: number;
  mergedSteps: number;
  /** i8winograd and i8winograd1d steps (checked against the direct convolution's reference), those with a residual, with f32 output. */
  winogradSteps: number;
  winogradResiduals: number;
  winogradF32: number;
  residualOutputs: number;
  f32Outputs: number;
  im2colSteps: number;
  /** Convs whose input zero point is not 0 (the column-sum correction matters). */
  nonzeroInputZero: number;
  avgPoolsExcludingPad: number;
  stridedPools: number;
  bytesChecked: number;
}

/** Integer bounds of a real clamp on a u8 value: the u8 codes whose real values lie in [lo, hi]. */
function integerBounds(c: Clamp, q: QuantParams): { lo: number; hi: number } {
  const code = (x: number) => Math.min(255, Math.max(0, Math.round(x / q.scale) + q.zeroPoint));
  return { lo: Number.isFinite(c.lo) ? code(c.lo) : 0, hi: Number.isFinite(c.hi) ? code(c.hi) : 255 };
}

function sameBytes(got: Uint8Array, want: Uint8Array, v: View, label: string): void {
  if (got.length !== want.length) throw new Error(`${label}: ${got.length} bytes, reference ${want.length}`);
  const eb = viewElementBytes(v);
  let bad = 0;
  let first = -1;
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== want[i]) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad === 0) return;
  const e = Math.floor(first / eb);
  const c = e % v.channels;
  const pixel = Math.floor(e / v.channels);
  const n = Math.floor(pixel / (v.height * v.width));
  const yx = pixel % (v.height * v.width);
  const value = (b: Uint8Array) => (eb === 1 ? b[e] : new Float32Array(b.buffer, b.byteOffset + e * 4, 1)[0]);
  throw new Error(
    `${label}: ${bad}/${got.length} bytes differ from the reference; first at image ${n}, pixel (${Math.floor(yx / v.width)}, ${yx % v.width}), ` +
      `channel ${c}: got ${value(got)}, want ${value(want)}`,
  );
}

/**
 * Walks the program on `input` (NCHW, the planned batch) and checks every int8 step against the
 * references; returns what it covered. Throws at the first step that differs.
 */
export function checkEveryInt8Step(p: Int8Program, input: Float32Array): StepCoverage {
  const { k, arena, compiled: c } = p;
  const { layers } = c.int8;
  const local = c.plan.view(p.graph.inputs[0]);
  const base = c.input.offset - local.offset;
  const size = c.plan.peakBytes;
  const cover: StepCoverage = {
    int8Steps: c.program.steps.filter((s) => INT8_STEP_KINDS.has(s.kind)).length, checked: {}, stridedOutputs: 0, stridedInputs: 0,
    mergedSteps: 0, winogradSteps: 0, winogradResiduals: 0, winogradF32: 0, residualOutputs: 0, f32Outputs: 0, im2colSteps: 0,
    nonzeroInputZero: 0, avgPoolsExcludingPad: 0, stridedPools: 0, bytesChecked: 0,
  };
  const panelsBefore = layers.map((l) => arena.u8(l.panels, packedI8GemmBytes(l.outChannels, l.depth)).slice());
  let before = new Uint8Array(0);
  const read = (v: View) => denseBytes(before, base, v);
  const readNow = (v: View) => denseBytes(arena.u8(base, size), base, v);

  stageInput(k, arena, c, input, 'nchw');
  runProgramInline(k, c.program, {
    beforeStep: (_, step) => {
      if (INT8_STEP_KINDS.has(step.kind)) before = arena.u8(base, size).slice();
    },
    afterStep: (s, step) => {
      if (!Object.hasOwn(STEP_CLASS, step.kind)) throw new Error(`step ${s} '${step.name}': unknown step kind '${String(step.kind)}'`);
      if (!INT8_STEP_KINDS.has(step.kind)) return;
      const op = c.ops[c.stepOps[s]];
      const label = `step ${s} '${step.name}' (${step.kind})`;
      checkStep(p, op, step, read, readNow, label, cover);
      // Nothing outside the op's outputs changed.
      const allowed = new Uint8Array(size);
      for (const v of opOutputs(op)) {
        const o = c.view(v);
        const rowBytes = o.channels * viewElementBytes(o);
        for (let n = 0; n < o.batch; n++) {
          for (let px = 0; px < o.height * o.width; px++) {
            const at = o.offset - base + n * o.imageStrideBytes + px * o.pixelStrideBytes;
            allowed.fill(1, at, at + rowBytes);
          }
        }
      }
      const now = arena.u8(base, size);
      for (let i = 0; i < size; i++) {
        if (!allowed[i] && now[i] !== before[i]) throw new Error(`${label}: wrote activation byte ${i} outside its outputs (${before[i]} → ${now[i]})`);
      }
      cover.checked[step.kind] = (cover.checked[step.kind] ?? 0) + 1;
    },
  });
  layers.forEach((l, i) => {
    if (!arena.u8(l.panels, panelsBefore[i].length).every((b, j) => b === panelsBefore[i][j])) throw new Error(`the packed weights of '${l.name}' changed during the run`);
  });
  return cover;
}

function checkStep(
  p: Int8Program, op: Op, step: Step, read: (v: View) => Uint8Array, readNow: (v: View) => Uint8Array, label: string, cover: StepCoverage,
): void {
  const { compiled: c } = p;
  const quant = (v: ValueId) => c.int8.values.quant(v);
  const compare = (v: View, want: Uint8Array, what: string) => {
    sameBytes(readNow(v), want, v, `${label}${what}`);
    cover.bytesChecked += want.length;
  };
  switch (step.kind) {
    case 'i8conv': {
      if (op.kind !== 'conv') throw new Error(`${label}: from op kind ${op.kind}`);
      checkConv(p, op, step.input, step.outputs, read, compare, label, cover);
      if (op.parts.length > 1) cover.mergedSteps++;
      if (!step.direct) cover.im2colSteps++;
      return;
    }
    case 'i8winograd':
    case 'i8winograd1d': {
      if (op.kind !== 'conv') throw new Error(`${label}: from op kind ${op.kind}`);
      checkConv(p, op, step.input, [step], read, compare, label, cover);
      cover.winogradSteps++;
      if (step.residual) cover.winogradResiduals++;
      if (step.f32) cover.winogradF32++;
      return;
    }
    case 'u8MaxPool':
    case 'u8AvgPool': {
      if (op.kind !== 'maxPool' && op.kind !== 'avgPool') throw new Error(`${label}: from op kind ${op.kind}`);
      const x = c.view(op.input);
      const out = c.view(op.output);
      expect(step.input, `${label} input view`).toEqual(x);
      expect(step.out, `${label} output view`).toEqual(out);
      expect(quant(op.input), `${label}: a u8 pool keeps its input's quantisation`).toEqual(quant(op.output));
      const n = op.node;
      const g: WindowGeometry = {
        inH: x.height, inW: x.width, channels: x.channels, kernelH: n.kernelH, kernelW: n.kernelW, strideH: n.strideH, strideW: n.strideW,
        padTop: n.pads.top, padLeft: n.pads.left, outH: out.height, outW: out.width,
      };
      const xs = read(x);
      const image = x.height * x.width * x.channels;
      const want = new Uint8Array(out.batch * out.height * out.width * out.channels);
      for (let b = 0; b < x.batch; b++) {
        const img = xs.subarray(b * image, (b + 1) * image);
        want.set(
          op.kind === 'maxPool'
            ? u8MaxPoolRef(img, g)
            : u8AvgPoolRef(img, g, n.pads.bottom, n.pads.right, op.node.countIncludePad, quant(op.input).zeroPoint),
          b * out.height * out.width * out.channels,
        );
      }
      if (op.kind === 'avgPool' && !op.node.countIncludePad) cover.avgPoolsExcludingPad++;
      if (n.strideH > 1 || n.strideW > 1) cover.stridedPools++;
      if (x.pixelStrideBytes > x.channels) cover.stridedInputs++;
      compare(out, want, '');
      return;
    }
    case 'u8GlobalAvgPool': {
      if (op.kind !== 'globalAvgPool') throw new Error(`${label}: from op kind ${op.kind}`);
      const x = c.view(op.input);
      const out = c.view(op.output);
      expect(step.input, `${label} input view`).toEqual(x);
      expect(step.out, `${label} output view`).toEqual(out);
      expect(quant(op.input), `${label}: a u8 pool keeps its input's quantisation`).toEqual(quant(op.output));
      const xs = read(x);
      const image = x.height * x.width * x.channels;
      const want = new Uint8Array(x.batch * x.channels);
      for (let b = 0; b < x.batch; b++) want.set(u8GlobalAvgPoolRef(xs.subarray(b * image, (b + 1) * image), x.height * x.width, x.channels), b * x.channels);
      compare(out, want, '');
      return;
    }
    case 'quantize':
    case 'dequantize': {
      if (op.kind !== step.kind) throw new Error(`${label}: from op kind ${op.kind}`);
      const x = c.view(op.input);
      const out = c.view(op.output);
      expect(step.input, `${label} input view`).toEqual(x);
      expect(step.out, `${label} output view`).toEqual(out);
      // The u8 side's quantisation; both sides share it.
      const q = quant(step.kind === 'quantize' ? op.output : op.input);
      expect(viewElementBytes(x), `${label} input element bytes`).toBe(step.kind === 'quantize' ? 4 : 1);
      expect(viewElementBytes(out), `${label} output element bytes`).toBe(step.kind === 'quantize' ? 1 : 4);
      const xs = read(x);
      const want = step.kind === 'quantize'
        ? quantizeRef(new Float32Array(xs.buffer), q.scale, q.zeroPoint)
        : new Uint8Array(dequantizeRef(xs, q.scale, q.zeroPoint).buffer);
      if (x.pixelStrideBytes > x.channels * viewElementBytes(x)) cover.stridedInputs++;
      compare(out, want, '');
      return;
    }
    default:
      throw new Error(`${label}: not an int8 step`);
  }
}

/**
 * A conv op's step (`outputs`: one per part, in part order) against im2col + the GEMM references
 * on the layer's packed panels, with each part's quantisation, clamp and residual from the op.
 */
function checkConv(
  p: Int8Program, op: ConvOp, stepInput: View, outputs: readonly { out: View; f32: boolean }[], read: (v: View) => Uint8Array,
  compare: (v: View, want: Uint8Array, what: string) => void, label: string, cover: StepCoverage,
): void {
  const { compiled: c, arena } = p;
  const quant = (v: ValueId) => c.int8.values.quant(v);
  const x = c.view(op.input);
  expect(stepInput, `${label} input view`).toEqual(x);
  expect(viewElementBytes(x), `${label}: reads u8`).toBe(1);
  expect(outputs.length, `${label}: one output per part`).toBe(op.parts.length);
  const inQ = quant(op.input);
  const first = op.parts[0].layer;
  const out0 = c.view(op.parts[0].output);
  const g: WindowGeometry = first.kind === 'conv'
    ? {
      inH: x.height, inW: x.width, channels: x.channels, kernelH: first.kernelH, kernelW: first.kernelW, strideH: first.strideH,
      strideW: first.strideW, padTop: first.pads.top, padLeft: first.pads.left, outH: out0.height, outW: out0.width,
    }
    // An FC layer reads `[N, F]` as N pixels of F channels: a 1×1 window.
    : { inH: 1, inW: 1, channels: x.height * x.width * x.channels, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, outH: 1, outW: 1 };
  const depth = g.kernelH * g.kernelW * g.channels;
  const rows = g.outH * g.outW;
  const m = x.batch * rows;
  // A = the im2col rows of every image (a 1×1 stride-1 unpadded window copies the input as is).
  const xs = read(x);
  const image = g.inH * g.inW * g.channels;
  const a = new Uint8Array(m * depth);
  for (let b = 0; b < x.batch; b++) a.set(u8Im2colRef(xs.subarray(b * image, (b + 1) * image), g, inQ.zeroPoint), b * rows * depth);

  op.parts.forEach((part, i) => {
    const o = outputs[i];
    const out = c.view(part.output);
    const what = op.parts.length > 1 ? ` output ${i} '${part.layer.name}'` : '';
    expect(o.out, `${label}${what} view`).toEqual(out);
    const layer = c.int8.layers.find((l) => l.output === part.output);
    if (!layer) throw new Error(`${label}: no Int8Layer writes '${part.layer.name}'`);
    expect(layer.depth, `${label}${what} depth`).toBe(depth);
    expect(layer.outChannels, `${label}${what} channels`).toBe(out.channels);
    expect(layer.input, `${label}${what}: the layer's input quantisation`).toEqual(inQ);
    const n = out.channels;
    const packed = arena.u8(layer.panels, packedI8GemmBytes(n, depth)).slice();
    const { w, bias, scale } = unpackI8PanelsRef(packed, depth, n);
    const isF32 = viewElementBytes(out) === 4;
    expect(o.f32, `${label}${what}: f32 output`).toBe(isF32);
    let want: Uint8Array;
    if (isF32) {
      expect(part.residual, `${label}${what}: an f32 output has no residual`).toBeUndefined();
      expect(layer.output8, `${label}${what}: the layer writes f32`).toBeUndefined();
      want = new Uint8Array(i8GemmF32Ref(a, w, bias, scale, m, n, depth, inQ.zeroPoint, part.clamp.lo, part.clamp.hi).buffer);
      cover.f32Outputs++;
    } else {
      const q = quant(part.output);
      expect(layer.output8, `${label}${what}: the layer's output quantisation`).toEqual(q);
      const { lo, hi } = integerBounds(part.clamp, q);
      const res = part.residual;
      let residual = {};
      if (res) {
        const rq = quant(res.value);
        residual = { res: read(c.view(res.value)), resZero: rq.zeroPoint, resScale: Math.fround(rq.scale / q.scale) };
        expect(layer.residualScale, `${label}${what}: residual scale`).toBe(res.scale);
        cover.residualOutputs++;
      }
      want = i8GemmRef(a, w, bias, scale, m, n, depth, { aZero: inQ.zeroPoint, outZero: q.zeroPoint, lo, hi, ...residual });
    }
    if (out.pixelStrideBytes > out.channels * viewElementBytes(out)) cover.stridedOutputs++;
    compare(out, want, what);
  });
  if (x.pixelStrideBytes > x.channels) cover.stridedInputs++;
  if (inQ.zeroPoint !== 0) cover.nonzeroInputZero++;
}
