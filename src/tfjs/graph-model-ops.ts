/**
 * The graph-model ops that compute (graph-model.ts has the walk, the values and the shape ops):
 * convolutions (plain, `_Fused*`, depthwise), pools, Pad, BatchNorm, BiasAdd/Add/Mul, ConcatV2,
 * Mean, MatMul, LRN. TF conventions: NHWC only; filters HWIO (depthwise `[kh, kw, C, multiplier]`);
 * strides and window sizes as `[1, h, w, 1]`; SAME puts the odd padding pixel bottom/right (even at
 * stride 2, geometry.ts `'same'`); EXPLICIT reads `explicit_paddings` `[0, 0, top, bottom, left, right, 0, 0]`.
 */
import type { Padding, Pads } from '../graph/geometry.js';
import type { ValueId } from '../graph/nodes.js';
import type { Const } from './graph-model-consts.js';
import { intsOf, scalarOf } from './graph-model-consts.js';
import type { Attrs, GraphDefNode } from './graph-model-json.js';
import type { Importer } from './graph-model.js';
import { assertNever } from '../util/assert-never.js';
import { hwioToOihw, transpose2d } from './weights.js';

export type Value =
  | { kind: 'tensor'; id: ValueId; scale: number }
  /** A Pad not yet applied: its consumer conv/pool takes `pads` (filled with zeros or the lowest float). */
  | { kind: 'padded'; id: ValueId; pads: Pads; fill: 'zero' | 'lowest'; node: string }
  | { kind: 'const'; value: Const };

export type Handler = (m: Importer, node: GraphDefNode, a: Attrs) => Value;

export const tensorValue = (id: ValueId, scale = 1): Value => ({ kind: 'tensor', id, scale });

/** The lowest finite float32: PadV2 with a value at or below it pads a max pool (never wins). */
const LOWEST = -3.4028234663852886e38;
/** Largest padding, stride or window side accepted (far above any image network's). */
const MAX_SIDE = 1 << 16;
const ZERO: Pads = { top: 0, left: 0, bottom: 0, right: 0 };
const isZero = (p: Pads) => p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0;
const addPads = (p: Pads, q: Pads): Pads => ({ top: p.top + q.top, left: p.left + q.left, bottom: p.bottom + q.bottom, right: p.right + q.right });

/** A conv/pool input: the tensor and the pads of a Pad folded into it. */
function windowInput(m: Importer, node: GraphDefNode): { id: ValueId; pads: Pads; fill?: 'zero' | 'lowest'; padNode?: string } {
  const v = m.input(node, 0);
  if (v.kind === 'padded') return { id: v.id, pads: v.pads, fill: v.fill, padNode: v.node };
  return { id: m.tensor(v, node, 'input 0'), pads: ZERO };
}

function featureMap(m: Importer, a: Attrs, id: ValueId): [number, number, number, number] {
  const s = m.graph.shape(id);
  if (s.length !== 4) throw a.fail(`expects a feature map [N, H, W, C], got [${s.join(', ')}]`);
  return s as unknown as [number, number, number, number];
}

/** `[1, h, w, 1]` of strides / ksize / dilations. */
function spatial(a: Attrs, key: string, fallback?: number[]): [number, number] {
  const v = a.ints(key, fallback);
  if (v.length !== 4 || v[0] !== 1 || v[3] !== 1 || v.some((x) => x < 1 || x > MAX_SIDE)) {
    throw a.fail(`'${key}' must be [1, h, w, 1] with h, w in 1..${MAX_SIDE}, got [${v.join(', ')}]`);
  }
  return [v[1]!, v[2]!];
}

function nhwc(a: Attrs): void {
  const format = a.string('data_format', 'NHWC');
  if (format !== 'NHWC') throw a.fail(`data_format '${format}' is not supported (NHWC is)`);
}

/** The window's padding from `padding` / `explicit_paddings`, plus the pads of a folded Pad. */
function windowPadding(a: Attrs, folded: Pads, explicitAllowed: boolean): Padding {
  const padding = a.string('padding');
  switch (padding) {
    case 'SAME':
      if (!isZero(folded)) throw a.fail("padding SAME after a Pad cannot be folded into one window; the converter writes VALID or EXPLICIT there");
      return 'same';
    case 'VALID':
      return isZero(folded) ? 'valid' : folded;
    case 'EXPLICIT': {
      if (!explicitAllowed) break;
      const p = a.ints('explicit_paddings');
      if (p.length !== 8 || p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0 || p.some((x) => x < 0 || x > MAX_SIDE)) {
        throw a.fail(`'explicit_paddings' must be [0, 0, top, bottom, left, right, 0, 0] with pads in 0..${MAX_SIDE}, got [${p.join(', ')}]`);
      }
      return addPads(folded, { top: p[2]!, bottom: p[3]!, left: p[4]!, right: p[5]! });
    }
    default:
      break;
  }
  throw a.fail(`padding '${padding}' is not supported (SAME, VALID${explicitAllowed ? ', EXPLICIT' : ''} are)`);
}

/** Depthwise filter `[kh, kw, C, M]` → OIHW `[C·M, 1, kh, kw]` (output channel c·M + m reads channel c). */
function depthwiseToOihw(k: Float32Array, kh: number, kw: number, c: number, mult: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < c; i++) {
        for (let j = 0; j < mult; j++) out[((i * mult + j) * kh + y) * kw + x] = k[((y * kw + x) * c + i) * mult + j]!;
      }
    }
  }
  return out;
}

/** The activation a `_Fused*` node's fused_ops end in. */
type FusedActivation = 'none' | 'Relu' | 'Relu6';

/** `fused_ops` of a `_Fused*` node: what follows the conv/matmul (bias or BN) and the activation. */
function fusedOps(a: Attrs, allowBatchNorm: boolean): { extra: 'none' | 'bias' | 'batchNorm'; activation: FusedActivation } {
  const ops = a.strings('fused_ops');
  const [first, second, ...rest] = ops;
  const extra = first === undefined ? 'none' : first === 'BiasAdd' ? 'bias' : first === 'FusedBatchNorm' && allowBatchNorm ? 'batchNorm' : undefined;
  if (extra === undefined || rest.length > 0 || (second !== undefined && second !== 'Relu' && second !== 'Relu6')) {
    throw a.fail(`fused_ops [${ops.join(', ')}] are not supported (BiasAdd${allowBatchNorm ? ' or FusedBatchNorm' : ''}, optionally then Relu or Relu6)`);
  }
  const args = a.int('num_args', extra === 'bias' ? 1 : extra === 'batchNorm' ? 4 : 0);
  if (args !== (extra === 'bias' ? 1 : extra === 'batchNorm' ? 4 : 0)) throw a.fail(`num_args ${args} does not fit fused_ops [${ops.join(', ')}]`);
  return { extra, activation: second ?? 'none' };
}

/** The fused activation as its own node after `y` (Relu6 = min(max(x, 0), 6)), named as TF names it. */
function activate(m: Importer, node: GraphDefNode, y: ValueId, activation: FusedActivation): ValueId {
  switch (activation) {
    case 'none':
      return y;
    case 'Relu':
      return m.graph.relu(`${node.name}/Relu`, y);
    case 'Relu6':
      return m.graph.clamp(`${node.name}/Relu6`, y, { lo: 0, hi: 6 });
    default:
      return assertNever(activation, 'fused activation');
  }
}

/** A BatchNorm node from [C] constants (absent gamma = 1; mean 0 / var 1 / eps 0 make it a pure scale or shift). */
function batchNorm(m: Importer, name: string, x: ValueId, c: number, v: { gamma?: Float32Array; beta?: Float32Array; mean?: Float32Array; var?: Float32Array; eps: number }): ValueId {
  const w = (suffix: string, data: Float32Array) => m.weight(`${name}/${suffix}`, data);
  return m.graph.batchNorm(name, x, {
    ...(v.gamma ? { gamma: w('gamma', v.gamma) } : {}),
    ...(v.beta ? { beta: w('beta', v.beta) } : {}),
    mean: w('mean', v.mean ?? new Float32Array(c)), var: w('variance', v.var ?? new Float32Array(c).fill(1)), eps: v.eps,
  });
}

function conv(depthwise: boolean, fused: boolean): Handler {
  return (m, node, a) => {
    nhwc(a);
    const { id: x, pads: folded, fill, padNode } = windowInput(m, node);
    if (fill === 'lowest') throw a.fail(`the Pad '${padNode}' before it fills with the lowest float, which only a MaxPool can take`);
    const [, , , cin] = featureMap(m, a, x);
    const filter = m.constant(node, 1, 'the filter');
    if (filter.dtype !== 'float32' || filter.shape.length !== 4) throw a.fail(`the filter must be float32 [kh, kw, in, out], got ${filter.dtype} [${filter.shape.join(', ')}]`);
    const [kh, kw, fin, fout] = filter.shape as [number, number, number, number];
    if (fin !== cin) throw a.fail(`the filter reads ${fin} channels, the input has ${cin}`);
    const [strideH, strideW] = spatial(a, 'strides');
    const [dh, dw] = spatial(a, 'dilations', [1, 1, 1, 1]);
    if (dh !== 1 || dw !== 1) throw a.fail(`dilations [1, ${dh}, ${dw}, 1] are not supported (1 is)`);
    const outChannels = depthwise ? cin * fout : fout;
    const data = filter.data as Float32Array;
    const weight = m.weight(node.inputs[1]![0], depthwise ? depthwiseToOihw(data, kh, kw, cin, fout) : hwioToOihw(data, kh, kw, cin, fout));
    const ops = fused ? fusedOps(a, true) : { extra: 'none' as const, activation: 'none' as const };
    let bias: string | undefined;
    let absorbed: GraphDefNode | undefined;
    if (ops.extra === 'bias') bias = m.weight(node.inputs[2]![0], m.floats(node, 2, 'the bias', [outChannels]));
    else if (ops.extra === 'none' && !fused) {
      const b = m.absorbBias(node, outChannels);
      if (b) {
        bias = m.weight(b.consumer.inputs.find(([n]) => n !== node.name)![0], b.bias);
        absorbed = b.consumer;
      }
    }
    let y = m.graph.conv(node.name, x, {
      outChannels, kernelH: kh, kernelW: kw, strideH, strideW, padding: windowPadding(a, folded, true),
      groups: depthwise ? cin : 1, weight, ...(bias !== undefined ? { bias } : {}),
    });
    if (ops.extra === 'batchNorm') {
      const vec = (i: number, what: string) => m.floats(node, i, what, [outChannels]);
      y = batchNorm(m, `${node.name}/FusedBatchNorm`, y, outChannels, {
        gamma: vec(2, 'the BN scale'), beta: vec(3, 'the BN offset'), mean: vec(4, 'the BN mean'), var: vec(5, 'the BN variance'), eps: a.float('epsilon', 1e-4),
      });
    }
    y = activate(m, node, y, ops.activation);
    if (absorbed) m.alias(absorbed, tensorValue(y));
    return tensorValue(y);
  };
}

function pool(kind: 'max' | 'avg'): Handler {
  return (m, node, a) => {
    nhwc(a);
    const { id: x, pads: folded, fill, padNode } = windowInput(m, node);
    featureMap(m, a, x);
    const [kernelH, kernelW] = spatial(a, 'ksize');
    const [strideH, strideW] = spatial(a, 'strides');
    if (fill !== undefined && fill !== (kind === 'max' ? 'lowest' : 'zero')) {
      throw a.fail(`the Pad '${padNode}' before it fills with ${fill === 'zero' ? 'zeros, which can win a max over negative values' : 'the lowest float, which an average would count'}; it cannot be folded`);
    }
    const spec = { kernelH, kernelW, strideH, strideW, padding: windowPadding(a, folded, false) };
    // TF's AvgPool divides by the in-image count; a folded zero Pad's zeros are image elements.
    return tensorValue(kind === 'max' ? m.graph.maxPool(node.name, x, spec) : m.graph.avgPool(node.name, x, { ...spec, countIncludePad: fill === 'zero' }));
  };
}

/** Add / AddV2 / BiasAdd: a residual (tensor + scale·tensor), or a per-channel shift by a [C] constant. */
const add: Handler = (m, node, a) => {
  if (node.op === 'BiasAdd') nhwc(a);
  const x = m.input(node, 0);
  const y = m.input(node, 1);
  if (x.kind === 'const' || y.kind === 'const') {
    const [t, c] = x.kind === 'const' ? [y, x.value] : [x, (y as Extract<Value, { kind: 'const' }>).value];
    const id = m.tensor(t, node, 'the tensor operand');
    const channels = m.graph.shape(id).at(-1)!;
    if (c.dtype !== 'float32' || c.shape.length !== 1 || c.shape[0] !== channels) {
      throw a.fail(`adds a constant of shape [${c.shape.join(', ')}]; only a float [${channels}] per-channel bias is supported`);
    }
    return tensorValue(batchNorm(m, node.name, id, channels, { beta: c.data as Float32Array, eps: 0 }));
  }
  if (x.kind === 'tensor' && y.kind === 'tensor' && x.scale === 1 && y.scale !== 1) return tensorValue(m.graph.add(node.name, x.id, y.id, y.scale));
  if (x.kind === 'tensor' && y.kind === 'tensor' && y.scale === 1 && x.scale !== 1) return tensorValue(m.graph.add(node.name, y.id, x.id, x.scale));
  return tensorValue(m.graph.add(node.name, m.tensor(x, node, 'input 0'), m.tensor(y, node, 'input 1')));
};

/** Mul by a scalar constant (kept pending: the residual scale) or by a [C] constant (a per-channel scale). */
const mul: Handler = (m, node, a) => {
  const x = m.input(node, 0);
  const y = m.input(node, 1);
  if ((x.kind === 'const') === (y.kind === 'const')) throw a.fail('only a tensor times a constant is supported');
  const [t, c] = x.kind === 'const' ? [y, x.value] : [x, (y as Extract<Value, { kind: 'const' }>).value];
  const s = scalarOf(c);
  if (c.dtype === 'float32' && s !== undefined && c.shape.every((d) => d === 1) && t.kind === 'tensor') {
    if (!Number.isFinite(s)) throw a.fail(`the scale ${s} is not finite`);
    return tensorValue(t.id, t.scale * s);
  }
  const id = m.tensor(t, node, 'the tensor operand');
  const channels = m.graph.shape(id).at(-1)!;
  if (c.dtype !== 'float32' || c.shape.length !== 1 || c.shape[0] !== channels) {
    throw a.fail(`multiplies by a constant of shape [${c.shape.join(', ')}]; a scalar or a float [${channels}] per-channel scale is supported`);
  }
  return tensorValue(batchNorm(m, node.name, id, channels, { gamma: c.data as Float32Array, eps: 0 }));
};

function matMul(fused: boolean): Handler {
  return (m, node, a) => {
    const x = m.inputTensor(node, 0);
    const s = m.graph.shape(x);
    if (s.length !== 2) throw a.fail(`expects [N, features], got [${s.join(', ')}]`);
    if (a.bool('transpose_a', false)) throw a.fail('transpose_a is not supported');
    const k = m.constant(node, 1, 'the weight matrix');
    if (k.dtype !== 'float32' || k.shape.length !== 2) throw a.fail(`the weight matrix must be float32 2-D, got ${k.dtype} [${k.shape.join(', ')}]`);
    const transposed = a.bool('transpose_b', false);
    const [inF, outF] = transposed ? [k.shape[1]!, k.shape[0]!] : [k.shape[0]!, k.shape[1]!];
    if (inF !== s[1]) throw a.fail(`the weight matrix takes ${inF} features, the input has ${s[1]}`);
    const weight = m.weight(node.inputs[1]![0], transposed ? (k.data as Float32Array) : transpose2d(k.data as Float32Array, inF, outF));
    const ops = fused ? fusedOps(a, false) : { extra: 'none' as const, activation: 'none' as const };
    let bias: string | undefined;
    let absorbed: GraphDefNode | undefined;
    if (ops.extra === 'bias') bias = m.weight(node.inputs[2]![0], m.floats(node, 2, 'the bias', [outF]));
    else if (!fused) {
      const b = m.absorbBias(node, outF);
      if (b) {
        bias = m.weight(b.consumer.inputs.find(([n]) => n !== node.name)![0], b.bias);
        absorbed = b.consumer;
      }
    }
    let y = m.graph.fc(node.name, x, { outFeatures: outF, weight, ...(bias !== undefined ? { bias } : {}) });
    y = activate(m, node, y, ops.activation);
    if (absorbed) m.alias(absorbed, tensorValue(y));
    return tensorValue(y);
  };
}

function pad(v2: boolean): Handler {
  return (m, node, a) => {
    const x = m.input(node, 0);
    const p = intsOf(m.constant(node, 1, 'the paddings'), (s) => a.fail(s), 'the paddings');
    if (p.length !== 8) throw a.fail(`paddings must be [4, 2] (NHWC), got ${p.length} values`);
    if (p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0) throw a.fail(`paddings [${p.join(', ')}]: padding the batch or channel axis is not supported`);
    if (p.some((v) => v < 0 || v > MAX_SIDE)) throw a.fail(`paddings [${p.join(', ')}] must be in 0..${MAX_SIDE}`);
    let fill: 'zero' | 'lowest' = 'zero';
    if (v2) {
      const value = scalarOf(m.constant(node, 2, 'the constant value'));
      if (value === 0) fill = 'zero';
      else if (value !== undefined && value <= LOWEST) fill = 'lowest';
      else throw a.fail(`pads with ${value}; only 0 (before a conv or average pool) or the lowest float (before a max pool) can be folded`);
    }
    const own: Pads = { top: p[2]!, bottom: p[3]!, left: p[4]!, right: p[5]! };
    if (x.kind === 'padded' && x.fill === fill) return { ...x, pads: addPads(x.pads, own), node: node.name };
    const id = m.tensor(x, node, 'input 0');
    featureMap(m, a, id);
    return { kind: 'padded', id, pads: own, fill, node: node.name };
  };
}

const fusedBatchNorm: Handler = (m, node, a) => {
  nhwc(a);
  if (a.bool('is_training', false)) throw a.fail('is_training is true (batch statistics); a frozen inference graph has it false');
  const x = m.inputTensor(node, 0);
  const c = featureMap(m, a, x)[3];
  const vec = (i: number, what: string) => m.floats(node, i, what, [c]);
  return tensorValue(batchNorm(m, node.name, x, c, {
    gamma: vec(1, 'the scale'), beta: vec(2, 'the offset'), mean: vec(3, 'the mean'), var: vec(4, 'the variance'), eps: a.float('epsilon', 1e-4),
  }));
};

/**
 * Maximum / Minimum of a tensor and a scalar float Const: a clamp from below / above (what a clip
 * by other bounds than ReLU6's is written as). Maximum(x, 0) is a Relu.
 */
function bound(side: 'lo' | 'hi'): Handler {
  return (m, node, a) => {
    const x = m.input(node, 0);
    const y = m.input(node, 1);
    if ((x.kind === 'const') === (y.kind === 'const')) throw a.fail('only a tensor and a scalar constant are supported');
    const [t, c] = x.kind === 'const' ? [y, x.value] : [x, (y as Extract<Value, { kind: 'const' }>).value];
    const v = scalarOf(c);
    if (c.dtype !== 'float32' || v === undefined || !c.shape.every((d) => d === 1)) {
      throw a.fail(`the constant operand must be a float32 scalar, got ${c.dtype} [${c.shape.join(', ')}]`);
    }
    if (Number.isNaN(v)) throw a.fail('the bound is NaN');
    const id = m.tensor(t, node, 'the tensor operand');
    if (side === 'lo' && v === 0) return tensorValue(m.graph.relu(node.name, id));
    // An infinite bound on its own side bounds nothing (the clamp node needs one finite side).
    if (v === (side === 'lo' ? -Infinity : Infinity)) return tensorValue(id);
    return tensorValue(m.graph.clamp(node.name, id, side === 'lo' ? { lo: v, hi: Infinity } : { lo: -Infinity, hi: v }));
  };
}

export const OP_HANDLERS: Record<string, Handler> = {
  Conv2D: conv(false, false),
  _FusedConv2D: conv(false, true),
  DepthwiseConv2dNative: conv(true, false),
  FusedDepthwiseConv2dNative: conv(true, true),
  MaxPool: pool('max'),
  AvgPool: pool('avg'),
  Pad: pad(false),
  PadV2: pad(true),
  FusedBatchNorm: fusedBatchNorm,
  FusedBatchNormV2: fusedBatchNorm,
  FusedBatchNormV3: fusedBatchNorm,
  BiasAdd: add,
  Add: add,
  AddV2: add,
  Mul: mul,
  MatMul: matMul(false),
  _FusedMatMul: matMul(true),

  Maximum: bound('lo'),
  Minimum: bound('hi'),

  ConcatV2(m, node, a) {
    const n = a.int('N', node.inputs.length - 1);
    if (n < 1 || n !== node.inputs.length - 1) throw a.fail(`N = ${n} does not match its ${node.inputs.length} inputs (N tensors and the axis)`);
    const axis = intsOf(m.constant(node, n, 'the axis'), (s) => a.fail(s), 'the axis');
    const xs = node.inputs.slice(0, n).map((_, i) => m.inputTensor(node, i));
    for (const x of xs) featureMap(m, a, x);
    if (axis.length !== 1 || (axis[0] !== 3 && axis[0] !== -1)) throw a.fail(`axis [${axis.join(', ')}] is not supported (the channel axis, 3 or −1, is)`);
    return tensorValue(n === 1 ? xs[0]! : m.graph.concat(node.name, xs));
  },

  Mean(m, node, a) {
    const x = m.inputTensor(node, 0);
    featureMap(m, a, x);
    const axes = intsOf(m.constant(node, 1, 'the axes'), (s) => a.fail(s), 'the axes').map((d) => (d < 0 ? d + 4 : d)).sort();
    if (axes.join() !== '1,2') throw a.fail(`a mean over axes [${axes.join(', ')}] is not supported (over H and W, [1, 2], is)`);
    const pooled = m.graph.globalAvgPool(node.name, x);
    return tensorValue(a.bool('keep_dims', false) ? pooled : m.graph.flatten(`${node.name}/squeeze`, pooled));
  },

  LRN(m, node, a) {
    const x = m.inputTensor(node, 0);
    featureMap(m, a, x);
    const radius = a.int('depth_radius', 5);
    if (radius < 0 || radius > 1024) throw a.fail(`depth_radius ${radius} is out of range 0..1024`);
    const size = 2 * radius + 1;
    // TF: x / (bias + alpha·Σ x²)^beta; the graph's LRN divides alpha by the window size (Caffe/ONNX form).
    return tensorValue(m.graph.lrn(node.name, x, { size, alpha: a.float('alpha', 1) * size, beta: a.float('beta', 0.5), k: a.float('bias', 1) }));
  },
};
