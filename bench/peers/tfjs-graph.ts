/**
 * Our `Graph` as an equivalent TF.js computation with the same weights, for the tfjs-backend-wasm
 * peer: what a converted TF.js model of the same network would run (tfjs-converter folds BN into
 * the conv and fuses the ReLU the same way). Built once (weights turned into tf tensors), then
 * `run()` evaluates node by node and frees each value after its last use.
 *
 * Mapping (NHWC throughout, as tfjs wants):
 * - conv (+ the batchNorm it alone feeds, folded: w' = w·γ/√(var+ε), b' = (b − mean)·γ/√(var+ε) + β)
 *   (+ the relu, or clamp [0, 6], it alone feeds) → `tf.fused.conv2d` (or `tf.fused.depthwiseConv2d` when
 *   groups = inChannels) with the filter in HWIO and the resolved pads as explicit padding;
 * - maxPool → `tf.maxPool` with explicit pads; ceil mode becomes extra bottom/right padding
 *   (padded positions never win a max, so this is exact);
 * - avgPool, count_include_pad = false → `tf.avgPool` with explicit pads (XNNPACK, like TF, divides
 *   by the in-image count); count_include_pad = true → zero `tf.pad` + valid `tf.avgPool`, times a
 *   divisor-correction map where a window reaches past the padded extent (ceil mode);
 * - globalAvgPool → `tf.mean`, lrn → `tf.localResponseNormalization` (TF's alpha = ours/size),
 *   concat → `tf.concat` on channels, add(x, y, s) → `x + s·y`, fc → `tf.fused.matMul` (kernel [in, out]),
 *   flatten → reshape (via NCHW order when H·W > 1), softmax, standalone batchNorm and relu as such,
 *   a standalone clamp → `tf.clipByValue`.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { Graph } from '../../src/graph/graph.js';
import type { ConvNode, GraphNode, ValueId } from '../../src/graph/nodes.js';
import { paddedWindowLength, samePads, type Pads } from '../../src/graph/geometry.js';
import { assertNever } from '../../src/util/assert-never.js';

export type Tf = typeof tfc;
type Weights = ReadonlyMap<string, Float32Array>;
type Padding = 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]];

export interface TfjsModel {
  /**
   * Runs one batch: `input` NCHW `[N, C, H, W]` as the graph's input shape says; returns the first
   * output. `onValue` sees every value computed (NHWC, dense) by the id of the node that now produces
   * it (a fused conv+BN+ReLU reports under the ReLU's id) — for tests.
   */
  run(inputNchw: Float32Array, onValue?: (id: ValueId, data: Float32Array) => void): Float32Array;
  /** The tf ops the graph became, by op (e.g. `{ 'fused.conv2d': 57, maxPool: 13 }`). */
  readonly opCounts: Readonly<Record<string, number>>;
  dispose(): void;
}

interface Step {
  out: ValueId;
  inputs: ValueId[];
  eval(xs: tfc.Tensor[]): tfc.Tensor;
}

export class TfjsGraphError extends Error {
  override name = 'TfjsGraphError';
}

/** Builds the TF.js form of `g` with `weights` (framework layout, by name) on tf's current backend. */
export function buildTfjsModel(tf: Tf, g: Graph, weights: Weights): TfjsModel {
  if (g.inputs.length !== 1) throw new TfjsGraphError(`the graph has ${g.inputs.length} inputs; the TF.js form takes one`);
  const consumers = new Map<ValueId, GraphNode[]>();
  for (const node of g.nodes) for (const v of node.inputs) consumers.set(v, [...(consumers.get(v) ?? []), node]);
  const outputs = new Set(g.outputs);
  /** The single consumer of `v` when it has kind `kind` and `v` is not a graph output. */
  const soleConsumer = <K extends GraphNode['kind']>(v: ValueId, kind: K) => {
    const c = consumers.get(v) ?? [];
    return c.length === 1 && c[0].kind === kind && !outputs.has(v) ? (c[0] as Extract<GraphNode, { kind: K }>) : undefined;
  };
  const weight = (name: string | undefined): Float32Array | undefined => {
    if (name === undefined) return undefined;
    const w = weights.get(name);
    if (!w) throw new TfjsGraphError(`weight '${name}' is missing`);
    return w;
  };
  const held: tfc.Tensor[] = [];
  const hold = <T extends tfc.Tensor>(t: T): T => (held.push(t), t);
  const opCounts: Record<string, number> = {};
  const count = (op: string) => (opCounts[op] = (opCounts[op] ?? 0) + 1);

  const steps: Step[] = [];
  const fused = new Set<ValueId>();
  for (const node of g.nodes) {
    if (node.kind === 'input' || fused.has(node.id)) continue;
    const inShape = node.inputs.length > 0 ? g.shape(node.inputs[0]) : [];
    switch (node.kind) {
      case 'conv': {
        const bn = soleConsumer(node.id, 'batchNorm');
        if (bn) fused.add(bn.id);
        const from = bn ? bn.id : node.id;
        const clamp6 = soleConsumer(from, 'clamp');
        const relu = soleConsumer(from, 'relu') ?? (clamp6?.lo === 0 && clamp6.hi === 6 ? clamp6 : undefined);
        if (relu) fused.add(relu.id);
        const out = relu?.id ?? bn?.id ?? node.id;
        const { filter, bias, depthwise } = convTensors(tf, node, weight, bn);
        hold(filter);
        if (bias) hold(bias);
        const pad = tfPadding(node.pads, inShape[1], inShape[2], node);
        const activation = relu ? (relu.kind === 'clamp' ? 'relu6' : 'relu') : 'linear';
        const strides: [number, number] = [node.strideH, node.strideW];
        if (!depthwise) {
          count('fused.conv2d');
          steps.push({ out, inputs: [...node.inputs], eval: ([x]) => tf.fused.conv2d({ x: x as tfc.Tensor4D, filter, strides, pad, bias, activation }) });
          break;
        }
        // Depthwise takes 'same' | 'valid' | one symmetric pad; other pads go in front as zeros.
        const p = node.pads;
        const symmetric = p.top === p.bottom && p.left === p.right && p.top === p.left;
        const dwPad = typeof pad === 'string' ? pad : symmetric ? p.top : 'valid';
        const prePad = typeof pad !== 'string' && !symmetric;
        count(prePad ? 'pad+fused.depthwiseConv2d' : 'fused.depthwiseConv2d');
        steps.push({
          out, inputs: [...node.inputs],
          eval: ([x]) => tf.fused.depthwiseConv2d({
            x: (prePad ? tf.pad(x, [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]]) : x) as tfc.Tensor4D,
            filter, strides, pad: dwPad, bias, activation,
          }),
        });
        break;
      }
      case 'batchNorm': {
        const c = node.channels;
        const mean = hold(tf.tensor1d(weight(node.mean)!));
        const variance = hold(tf.tensor1d(weight(node.var)!));
        const gamma = node.gamma ? hold(tf.tensor1d(weight(node.gamma)!)) : undefined;
        const beta = node.beta ? hold(tf.tensor1d(weight(node.beta)!)) : undefined;
        if (mean.size !== c) throw new TfjsGraphError(`batchNorm '${node.name}': mean has ${mean.size} values for ${c} channels`);
        count('batchNorm');
        steps.push({ out: node.id, inputs: [...node.inputs], eval: ([x]) => tf.batchNorm(x, mean, variance, beta, gamma, node.eps) });
        break;
      }
      case 'relu':
        count('relu');
        steps.push({ out: node.id, inputs: [...node.inputs], eval: ([x]) => tf.relu(x) });
        break;
      case 'clamp': {
        const { lo, hi } = node;
        count('clipByValue');
        steps.push({ out: node.id, inputs: [...node.inputs], eval: ([x]) => tf.clipByValue(x, lo, hi) });
        break;
      }
      case 'maxPool': {
        const pads = ceilPads(node.pads, inShape, node);
        count('maxPool');
        steps.push({
          out: node.id, inputs: [...node.inputs],
          eval: ([x]) => tf.maxPool(x as tfc.Tensor4D, [node.kernelH, node.kernelW], [node.strideH, node.strideW], explicit(pads)),
        });
        break;
      }
      case 'avgPool':
        steps.push(avgPoolStep(tf, node, inShape, hold, count));
        break;
      case 'globalAvgPool':
        count('mean');
        steps.push({ out: node.id, inputs: [...node.inputs], eval: ([x]) => tf.mean(x, [1, 2], true) });
        break;
      case 'lrn':
        if (node.size % 2 !== 1) throw new TfjsGraphError(`lrn '${node.name}': size ${node.size} is even; TF's LRN window is 2r+1`);
        count('localResponseNormalization');
        steps.push({
          out: node.id, inputs: [...node.inputs],
          eval: ([x]) => tf.localResponseNormalization(x as tfc.Tensor4D, (node.size - 1) / 2, node.k, node.alpha / node.size, node.beta),
        });
        break;
      case 'concat':
        count('concat');
        steps.push({ out: node.id, inputs: [...node.inputs], eval: (xs) => tf.concat(xs, 3) });
        break;
      case 'add': {
        const scale = node.scale;
        count(scale === 1 ? 'add' : 'mul+add');
        steps.push({ out: node.id, inputs: [...node.inputs], eval: ([x, y]) => tf.add(x, scale === 1 ? y : tf.mul(y, scale)) });
        break;
      }
      case 'fc': {
        // Kernel [in, out] as Keras Dense holds it: tfjs-backend-wasm 4.22's fused matMul with
        // transposeB and a bias returns wrong values (measured: max |Δ| ≈ 2 on N(0,1) data).
        const w = hold(transpose2d(tf, weight(node.weight)!, node.outFeatures, node.inFeatures));
        const b = node.bias ? hold(tf.tensor1d(weight(node.bias)!)) : undefined;
        count('fused.matMul');
        steps.push({
          out: node.id, inputs: [...node.inputs],
          eval: ([x]) => tf.fused.matMul({ a: x as tfc.Tensor2D, b: w, bias: b }),
        });
        break;
      }
      case 'flatten': {
        const [n, h, w, c] = inShape;
        count('reshape');
        steps.push({
          out: node.id, inputs: [...node.inputs],
          eval: ([x]) => (h * w === 1 ? tf.reshape(x, [n, c]) : tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, c * h * w])),
        });
        break;
      }
      case 'softmax':
        count('softmax');
        steps.push({ out: node.id, inputs: [...node.inputs], eval: ([x]) => tf.softmax(x) });
        break;
      case 'adaptiveAvgPool':
        throw new TfjsGraphError(`adaptiveAvgPool '${node.name}' has no TF.js form here (only training-only aux heads use it: build with aux off)`);
      default:
        // A node kind this mapping lacks is a compile error here, not a node silently left out.
        assertNever(node, 'node kind');
    }
  }

  const lastUse = new Map<ValueId, number>();
  steps.forEach((s, i) => s.inputs.forEach((v) => lastUse.set(v, i)));
  const input = g.inputs[0];
  const [n, h, w, c] = g.shape(input);
  const result = g.outputs[0];

  return {
    opCounts,
    run(inputNchw, onValue) {
      if (inputNchw.length % (c * h * w) !== 0 || inputNchw.length / (c * h * w) > n) {
        throw new TfjsGraphError(`input has ${inputNchw.length} floats; expected NCHW [${n}, ${c}, ${h}, ${w}]`);
      }
      const batch = inputNchw.length / (c * h * w);
      const values = new Map<ValueId, tfc.Tensor>();
      values.set(input, tf.tidy(() => tf.transpose(tf.tensor4d(inputNchw, [batch, c, h, w]), [0, 2, 3, 1])));
      try {
        steps.forEach((step, i) => {
          const xs = step.inputs.map((v) => values.get(v)!);
          values.set(step.out, tf.tidy(() => step.eval(xs)));
          onValue?.(step.out, values.get(step.out)!.dataSync() as Float32Array);
          for (const v of new Set(step.inputs)) {
            if (lastUse.get(v) === i && v !== result) {
              values.get(v)!.dispose();
              values.delete(v);
            }
          }
        });
        return Float32Array.from(values.get(result)!.dataSync() as Float32Array);
      } finally {
        for (const t of values.values()) t.dispose();
      }
    },
    dispose() {
      for (const t of held) t?.dispose();
      held.length = 0;
    },
  };
}

/** Filter (HWIO, or [kh, kw, C, multiplier] for depthwise) and bias, with a following BN folded in. */
function convTensors(
  tf: Tf, node: ConvNode, weight: (name: string | undefined) => Float32Array | undefined,
  bn: Extract<GraphNode, { kind: 'batchNorm' }> | undefined,
): { filter: tfc.Tensor4D; bias: tfc.Tensor1D | undefined; depthwise: boolean } {
  const { outChannels: co, inChannels: ci, kernelH: kh, kernelW: kw, groups } = node;
  const depthwise = groups > 1;
  if (depthwise && groups !== ci) {
    throw new TfjsGraphError(`conv '${node.name}': groups ${groups} of ${ci} input channels; TF.js has dense and depthwise convs only`);
  }
  const w = weight(node.weight)!;
  const b = weight(node.bias);
  const scale = new Float64Array(co).fill(1);
  const shift = new Float64Array(co);
  for (let o = 0; o < co; o++) shift[o] = b ? b[o] : 0;
  if (bn) {
    const mean = weight(bn.mean)!, variance = weight(bn.var)!;
    const gamma = weight(bn.gamma), beta = weight(bn.beta);
    for (let o = 0; o < co; o++) {
      const s = (gamma ? gamma[o] : 1) / Math.sqrt(variance[o] + bn.eps);
      scale[o] = s;
      shift[o] = (shift[o] - mean[o]) * s + (beta ? beta[o] : 0);
    }
  }
  const cinPerGroup = ci / groups;
  const filter = new Float32Array(co * cinPerGroup * kh * kw);
  if (depthwise) {
    const mult = co / ci;
    for (let o = 0; o < co; o++) {
      const cIn = Math.floor(o / mult), m = o % mult;
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) filter[((y * kw + x) * ci + cIn) * mult + m] = w[(o * kh + y) * kw + x] * scale[o];
      }
    }
  } else {
    for (let o = 0; o < co; o++) {
      for (let i = 0; i < ci; i++) {
        for (let y = 0; y < kh; y++) {
          for (let x = 0; x < kw; x++) filter[((y * kw + x) * ci + i) * co + o] = w[((o * ci + i) * kh + y) * kw + x] * scale[o];
        }
      }
    }
  }
  const shape: [number, number, number, number] = depthwise ? [kh, kw, ci, co / ci] : [kh, kw, ci, co];
  const hasBias = b !== undefined || bn !== undefined;
  return { filter: tf.tensor4d(filter, shape), bias: hasBias ? tf.tensor1d(Float32Array.from(shift)) : undefined, depthwise };
}

/** `[rows, cols]` row-major → a `[cols, rows]` tensor. */
function transpose2d(tf: Tf, data: Float32Array, rows: number, cols: number): tfc.Tensor2D {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = data[r * cols + c];
  return tf.tensor2d(t, [cols, rows]);
}

function explicit(p: Pads): Padding {
  return [[0, 0], [p.top, p.bottom], [p.left, p.right], [0, 0]];
}

/** `'valid'` / `'same'` where they mean exactly these pads (XNNPACK's fast paths), else explicit. */
function tfPadding(p: Pads, inH: number, inW: number, w: { kernelH: number; kernelW: number; strideH: number; strideW: number }): Padding {
  if (p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0) return 'valid';
  const [top, bottom] = samePads(inH, w.kernelH, w.strideH);
  const [left, right] = samePads(inW, w.kernelW, w.strideW);
  if (p.top === top && p.bottom === bottom && p.left === left && p.right === right) return 'same';
  return explicit(p);
}

/** The pads with ceil mode's overhang added bottom/right, so a floor-mode window count gives `node.shape`. */
function ceilPads(
  p: Pads, inShape: readonly number[],
  node: { name: string; kernelH: number; kernelW: number; strideH: number; strideW: number; shape: readonly number[] },
): Pads {
  const [, inH, inW] = inShape;
  const [, outH, outW] = node.shape;
  const needH = (outH - 1) * node.strideH + node.kernelH - p.top - inH;
  const needW = (outW - 1) * node.strideW + node.kernelW - p.left - inW;
  const pads = { ...p, bottom: Math.max(p.bottom, needH), right: Math.max(p.right, needW) };
  const floorOut = (i: number, a: number, b: number, k: number, s: number) => Math.floor((i + a + b - k) / s) + 1;
  if (floorOut(inH, pads.top, pads.bottom, node.kernelH, node.strideH) !== outH || floorOut(inW, pads.left, pads.right, node.kernelW, node.strideW) !== outW) {
    throw new TfjsGraphError(`pool '${node.name}': no explicit padding gives its ${outH}×${outW} output`);
  }
  return pads;
}

function avgPoolStep(
  tf: Tf, node: Extract<GraphNode, { kind: 'avgPool' }>, inShape: readonly number[],
  hold: <T extends tfc.Tensor>(t: T) => T, count: (op: string) => void,
): Step {
  const pads = ceilPads(node.pads, inShape, node);
  const size: [number, number] = [node.kernelH, node.kernelW];
  const strides: [number, number] = [node.strideH, node.strideW];
  if (!node.countIncludePad || (pads.top === 0 && pads.left === 0 && pads.bottom === 0 && pads.right === 0)) {
    // XNNPACK's average pooling, like TF's, divides by the window's in-image element count.
    count('avgPool');
    return { out: node.id, inputs: [...node.inputs], eval: ([x]) => tf.avgPool(x as tfc.Tensor4D, size, strides, explicit(pads)) };
  }
  // count_include_pad: pad with zeros so every in-extent position counts, then divide by the window
  // clipped to the declared padded extent (ceil mode's overhang does not count) instead of kh·kw.
  const [, inH, inW] = inShape;
  const [, outH, outW] = node.shape;
  const correction = new Float32Array(outH * outW);
  let exact = true;
  for (let oy = 0; oy < outH; oy++) {
    const lh = paddedWindowLength(oy, node.kernelH, node.strideH, node.pads.top, node.pads.bottom, inH);
    for (let ox = 0; ox < outW; ox++) {
      const lw = paddedWindowLength(ox, node.kernelW, node.strideW, node.pads.left, node.pads.right, inW);
      correction[oy * outW + ox] = (node.kernelH * node.kernelW) / (lh * lw);
      if (lh * lw !== node.kernelH * node.kernelW) exact = false;
    }
  }
  const factor = exact ? undefined : hold(tf.tensor4d(correction, [1, outH, outW, 1]));
  count(exact ? 'pad+avgPool' : 'pad+avgPool+mul');
  return {
    out: node.id, inputs: [...node.inputs],
    eval: ([x]) => {
      const padded = tf.pad(x, [[0, 0], [pads.top, pads.bottom], [pads.left, pads.right], [0, 0]]);
      const pooled = tf.avgPool(padded as tfc.Tensor4D, size, strides, 'valid');
      return factor ? tf.mul(pooled, factor) : pooled;
    },
  };
}
