/**
 * Reference evaluation of a whole graph: each node by its op's reference (naive loops, float64
 * sums), NHWC dense values. Slow, so only for small graphs; the engine (compile + passes + kernels)
 * is tested against it.
 */
import type { Graph } from '../../src/graph/graph.js';
import type { GraphNode, NodeKind, NodeOf, ValueId } from '../../src/graph/nodes.js';
import { batchNormReference } from './batchnorm.js';
import { convNhwcReference } from './conv.js';
import { addReference } from './elementwise.js';
import { lrnReference } from './lrn.js';
import { avgPoolNhwcReference, globalAvgPoolNhwcReference, maxPoolNhwcReference } from './pool.js';
import { softmaxReference } from './softmax.js';

type Weights = ReadonlyMap<string, Float32Array>;

/** Runs `g` on a dense NHWC input; returns every value (dense NHWC / [N, F]) by id. */
export function referenceGraph(g: Graph, weights: Weights, inputNhwc: Float32Array): Map<ValueId, Float64Array> {
  const values = new Map<ValueId, Float64Array>();
  const get = (v: ValueId) => values.get(v)!;
  const w = (name: string | undefined) => (name === undefined ? undefined : weights.get(name)!);
  for (const node of g.nodes) values.set(node.id, evalNode(g, node, get, w, inputNhwc));
  return values;
}

/** What a kind's reference gets besides its node. */
interface EvalContext {
  g: Graph;
  get: (v: ValueId) => Float64Array;
  w: (n: string | undefined) => Float32Array | undefined;
  inputNhwc: Float32Array;
  /** The first input's value and shape (empty for an input node). */
  x: Float64Array;
  inShape: readonly number[];
}

/**
 * One reference per node kind. Test code cannot live in src/, so this is the one per-kind table
 * outside the op modules; its mapped type makes a kind without a reference a compile error.
 */
const REFERENCES: { readonly [K in NodeKind]: (node: NodeOf<K>, c: EvalContext) => Float64Array } = {
  input: (_node, c) => Float64Array.from(c.inputNhwc),
  conv(node, { x, w, inShape: [n, h, wd, c] }) {
    const r = convNhwcReference({
      input: x, batch: n, inH: h, inW: wd, inChannels: c, outChannels: node.outChannels, groups: node.groups,
      weight: w(node.weight)!, bias: w(node.bias),
      window: { kernelH: node.kernelH, kernelW: node.kernelW, strideH: node.strideH, strideW: node.strideW, padding: node.pads },
    });
    return Float64Array.from(r.output);
  },
  batchNorm: (node, { x, w }) =>
    batchNormReference(x, node.channels, { gamma: w(node.gamma), beta: w(node.beta), mean: w(node.mean)!, var: w(node.var)!, eps: node.eps }),
  relu: (_node, { x }) => x.map((v) => Math.max(v, 0)),
  // The bounds as the kernels hold them (float32); NaN passes through as in the kernels.
  clamp: (node, { x }) => x.map((v) => (Number.isNaN(v) ? v : Math.min(Math.max(v, Math.fround(node.lo)), Math.fround(node.hi)))),
  maxPool: (node, c) => Float64Array.from(maxPoolNhwcReference(poolParams(node, c)).output),
  avgPool: (node, c) => Float64Array.from(avgPoolNhwcReference({ ...poolParams(node, c), countIncludePad: node.countIncludePad }).output),
  globalAvgPool: (_node, { x, inShape: [n, h, wd, c] }) => Float64Array.from(globalAvgPoolNhwcReference(x, n, h * wd, c).output),
  adaptiveAvgPool: () => {
    throw new Error('referenceGraph: adaptiveAvgPool is not supported');
  },
  lrn: (node, { x, inShape }) => lrnReference(x, inShape[3], node),
  concat(node, { g, get }) {
    const [n, oh, ow, oc] = node.shape;
    const out = new Float64Array(n * oh * ow * oc);
    node.inputs.forEach((v, i) => {
      const src = get(v);
      const ci = g.shape(v)[3];
      for (let p = 0; p < n * oh * ow; p++) {
        for (let k = 0; k < ci; k++) out[p * oc + node.channelOffsets[i] + k] = src[p * ci + k];
      }
    });
    return out;
  },
  add: (node, { x, get }) => addReference(x, get(node.inputs[1]), node.scale),
  fc(node, { x, w }) {
    const weight = w(node.weight)!;
    const bias = w(node.bias);
    const rows = x.length / node.inFeatures;
    const out = new Float64Array(rows * node.outFeatures);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < node.outFeatures; o++) {
        let s = bias ? bias[o] : 0;
        for (let i = 0; i < node.inFeatures; i++) s += x[r * node.inFeatures + i] * weight[o * node.inFeatures + i];
        out[r * node.outFeatures + o] = s;
      }
    }
    return out;
  },
  flatten(_node, { x, inShape: [n, h, wd, c] }) {
    // PyTorch/ONNX order: (C, H, W) per image.
    const out = new Float64Array(x.length);
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < h * wd; p++) for (let ch = 0; ch < c; ch++) out[b * h * wd * c + ch * h * wd + p] = x[(b * h * wd + p) * c + ch];
    }
    return out;
  },
  softmax: (_node, { x, inShape }) => softmaxReference(x, inShape[inShape.length - 1]),
};

function poolParams(node: NodeOf<'maxPool'> | NodeOf<'avgPool'>, { x, inShape: [n, h, wd, c] }: EvalContext) {
  return {
    input: x, batch: n, inH: h, inW: wd, channels: c,
    window: {
      kernelH: node.kernelH, kernelW: node.kernelW, strideH: node.strideH, strideW: node.strideW,
      padding: node.pads, ceilMode: node.ceilMode,
    },
  };
}

function evalNode(
  g: Graph, node: GraphNode, get: (v: ValueId) => Float64Array, w: (n: string | undefined) => Float32Array | undefined,
  inputNhwc: Float32Array,
): Float64Array {
  const x = node.inputs.length > 0 ? get(node.inputs[0]) : new Float64Array();
  const inShape = node.inputs.length > 0 ? g.shape(node.inputs[0]) : [];
  const reference = REFERENCES[node.kind] as ((n: GraphNode, c: EvalContext) => Float64Array) | undefined;
  if (reference === undefined) throw new Error(`referenceGraph: no reference for node kind '${node.kind}'`);
  return reference(node, { g, get, w, inputNhwc, x, inShape });
}
