/**
 * Node kinds of the graph IR: a closed discriminated union on `kind`, each kind with typed params.
 *
 * Layout: every feature map is NHWC `[N, H, W, C]`; after `flatten` a value is `[N, F]`.
 * Every node produces exactly one value, named by the node's `id` (its index in `Graph.nodes`).
 * Weight fields hold the *names* of tensors in the graph's weight list (see graph.ts), never data.
 * What each kind does (shape inference, lowering, cost, export, label) is its op module's (src/ops/).
 */

import type { LrnParams } from '../bindings/kernels/normalize.js';
import type { Padding, Pads } from './geometry.js';

/** Errors in building or compiling a graph; messages name the node and what does not fit. */
export class GraphError extends Error {
  override name = 'GraphError';
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Handle of a value = id of the node that produces it. Branded so it cannot be mixed up with a width. */
export type ValueId = number & { readonly __brand: 'ValueId' };

/** `[N, H, W, C]` for feature maps, `[N, F]` after flatten / fc. */
export type Shape = readonly number[];

interface NodeCommon {
  readonly id: ValueId;
  /** Unique within the graph (module path, e.g. `inception3a.branch2.0.conv`). */
  readonly name: string;
  readonly inputs: readonly ValueId[];
  /** Output shape, inferred when the node was added. */
  readonly shape: Shape;
}

/** A spatial window as declared (`padding`) and resolved against the input size (`pads`). */
export interface WindowParams {
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padding: Padding;
  /** Explicit pads resolved from `padding` for this node's input size (TF SAME may be asymmetric). */
  readonly pads: Pads;
}

export interface InputNode extends NodeCommon {
  readonly kind: 'input';
}

/**
 * 2-D convolution, dilation 1. `groups` is 1, or `inChannels` for a depthwise conv whose channel
 * multiplier is `outChannels / inChannels` (output channel `c·multiplier + m` reads input channel c).
 * Weight `[outChannels, inChannels / groups, kernelH, kernelW]` (OIHW), optional bias `[outChannels]`.
 */
export interface ConvNode extends NodeCommon, WindowParams {
  readonly kind: 'conv';
  readonly groups: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly weight: string;
  readonly bias?: string;
}

/**
 * Inference BatchNorm over the last axis: `y = (x − mean) / √(var + eps) · gamma + beta`.
 * `gamma` absent = 1 (tf-slim/Keras BN without scale), `beta` absent = 0. Tensors are `[channels]`.
 */
export interface BatchNormNode extends NodeCommon {
  readonly kind: 'batchNorm';
  readonly channels: number;
  readonly gamma?: string;
  readonly beta?: string;
  readonly mean: string;
  readonly var: string;
  readonly eps: number;
}

export interface ReluNode extends NodeCommon {
  readonly kind: 'relu';
}

/**
 * `y = min(max(x, lo), hi)` elementwise on any shape, `lo < hi`, either bound may be infinite
 * (ReLU6 = [0, 6]). NaN passes through, as the kernels' clamp lets it. The bounds apply as float32.
 */
export interface ClampNode extends NodeCommon {
  readonly kind: 'clamp';
  readonly lo: number;
  readonly hi: number;
}

/** Max pool; padded positions never win (−∞ padding). */
export interface MaxPoolNode extends NodeCommon, WindowParams {
  readonly kind: 'maxPool';
  readonly ceilMode: boolean;
}

/**
 * Average pool. `countIncludePad`: true divides by the window clipped to the *padded* extent
 * (PyTorch default, Caffe), false by the number of in-image elements (TF, timm v4/IRv2).
 */
export interface AvgPoolNode extends NodeCommon, WindowParams {
  readonly kind: 'avgPool';
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
}

/** Mean over H and W: `[N, H, W, C]` → `[N, 1, 1, C]`. */
export interface GlobalAvgPoolNode extends NodeCommon {
  readonly kind: 'globalAvgPool';
}

/**
 * PyTorch `adaptive_avg_pool2d` to `outH × outW`: output row i averages input rows
 * [⌊i·H/outH⌋, ⌈(i+1)·H/outH⌉). Only torchvision GoogLeNet's (training-only) aux heads use it.
 */
export interface AdaptiveAvgPoolNode extends NodeCommon {
  readonly kind: 'adaptiveAvgPool';
  readonly outH: number;
  readonly outW: number;
}

/**
 * Local response normalisation across channels (Caffe/ONNX/PyTorch form):
 * `y_c = x_c / (k + alpha/size · Σ_{c' in window of size around c} x_c'²)^beta`.
 */
export interface LrnNode extends NodeCommon, LrnParams {
  readonly kind: 'lrn';
}

/** Concatenation along the channel (last) axis; input i lands at channels [channelOffsets[i], …). */
export interface ConcatNode extends NodeCommon {
  readonly kind: 'concat';
  readonly channelOffsets: readonly number[];
}

/** `out = x + scale·y` with inputs `[x, y]` of equal shape (Inception-ResNet residual). */
export interface AddNode extends NodeCommon {
  readonly kind: 'add';
  readonly scale: number;
}

/** Fully connected on `[N, inFeatures]`: weight `[outFeatures, inFeatures]`, optional bias `[outFeatures]`. */
export interface FcNode extends NodeCommon {
  readonly kind: 'fc';
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: string;
  readonly bias?: string;
}

/**
 * `[N, H, W, C]` → `[N, C·H·W]` with features in **(C, H, W) order**, as PyTorch/ONNX/Caffe flatten
 * the NCHW tensor, so FC weights load unchanged. A pure reshape when H = W = 1 (every main head);
 * a transpose otherwise (torchvision GoogLeNet aux heads flatten 4×4×128).
 */
export interface FlattenNode extends NodeCommon {
  readonly kind: 'flatten';
}

/** Softmax over the last axis. */
export interface SoftmaxNode extends NodeCommon {
  readonly kind: 'softmax';
}

export type GraphNode =
  | InputNode
  | ConvNode
  | BatchNormNode
  | ReluNode
  | ClampNode
  | MaxPoolNode
  | AvgPoolNode
  | GlobalAvgPoolNode
  | AdaptiveAvgPoolNode
  | LrnNode
  | ConcatNode
  | AddNode
  | FcNode
  | FlattenNode
  | SoftmaxNode;

export type NodeKind = GraphNode['kind'];

/** Every node kind, once (a compile error when the union gains a kind this record lacks). */
const KIND_SET: { readonly [K in NodeKind]: true } = {
  input: true, conv: true, batchNorm: true, relu: true, clamp: true, maxPool: true, avgPool: true, globalAvgPool: true,
  adaptiveAvgPool: true, lrn: true, concat: true, add: true, fc: true, flatten: true, softmax: true,
};
export const NODE_KINDS: readonly NodeKind[] = Object.keys(KIND_SET) as NodeKind[];

/** The node type of one kind: `NodeOf<'conv'>` = `ConvNode`. */
export type NodeOf<K extends NodeKind> = Extract<GraphNode, { kind: K }>;

/** Role of a weight tensor; decides its seeded fill rule and whether it counts as a parameter. */
export type WeightRole = 'conv_w' | 'linear_w' | 'bias' | 'bn_gamma' | 'bn_beta' | 'bn_mean' | 'bn_var';

/** One tensor a graph needs, in framework layout (conv OIHW, fc [out, in], BN and bias [C]). */
export interface WeightDecl {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: WeightRole;
}

/** A named point of the network (stem, a block, the head) whose output shape tests assert. */
export interface StageMark {
  readonly name: string;
  readonly value: ValueId;
}

/** Names of the weight tensors a node reads, in declaration order. */
export function weightNamesOf(node: GraphNode): string[] {
  const names: (string | undefined)[] = [];
  switch (node.kind) {
    case 'conv':
    case 'fc':
      names.push(node.weight, node.bias);
      break;
    case 'batchNorm':
      names.push(node.gamma, node.beta, node.mean, node.var);
      break;
    default:
      break;
  }
  return names.filter((n): n is string => n !== undefined);
}
