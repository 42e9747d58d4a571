/**
 * What an op module declares about one node kind (`OpDef`), and the helpers its shape inference
 * uses. Every place that enumerates node kinds goes through the table in index.ts, whose mapped
 * type makes a kind without a definition a compile error.
 *
 * Layering: op modules import the graph core (nodes.ts, geometry.ts), the engine op format
 * (graph/ops.ts), the conv family's step builders (graph/steps.ts) and the bindings; nothing in
 * those imports an op module. The graph builder (graph.ts), cost.ts, compile.ts, the ONNX exporter
 * and the diagrams import the table. The ONNX and diagram sides are described here in plain data
 * (`OnnxEmitter`, `DiagramKind`) so an op module needs neither the protobuf nor the drawing code.
 */

import type { Step } from '../bindings/program.js';
import { resolveWindow, type Padding } from '../graph/geometry.js';
import {
  formatShape, GraphError, type NodeKind, type NodeOf, type Shape, type ValueId, type WeightRole, type WindowParams,
} from '../graph/nodes.js';
import type { Op, OpKind } from '../graph/ops.js';
import type { Int8StepContext } from '../graph/int8/steps-int8.js';
import type { StepContext, StepInputs } from '../graph/steps.js';

/** A node of kind K before the graph gives it its id. */
export type NewNode<K extends NodeKind> = Omit<NodeOf<K>, 'id'>;

/** What shape inference may ask of the graph under construction. */
export interface BuildContext {
  shape(v: ValueId): Shape;
  nodeName(v: ValueId): string;
  /** Declares a weight tensor the node reads (throws on a duplicate name). */
  declare(node: string, name: string, shape: number[], role: WeightRole): void;
}

/** An ONNX attribute value, in format-neutral terms (onnx/export.ts encodes it). */
export type OnnxAttr =
  | { name: string; int: number }
  | { name: string; float: number }
  | { name: string; ints: number[] }
  /** A scalar float32 tensor (the value of a Constant node). */
  | { name: string; scalar: number };

/** Where an op's ONNX export writes its nodes and constants. */
export interface OnnxEmitter {
  /** The ONNX name of a graph value. */
  value(v: ValueId): string;
  /** A name not used yet, `wanted` if free. */
  fresh(wanted: string): string;
  /** Adds a float32 initializer under a fresh name derived from `wanted`; returns that name. */
  constant(wanted: string, shape: number[], data: Float32Array): string;
  node(opType: string, name: string, inputs: string[], output: string, attrs?: OnnxAttr[]): void;
  /** The shape of a graph value. */
  shape(v: ValueId): Shape;
  /** The error for a node ONNX cannot express. */
  fail(message: string): Error;
}

/** Colour key of a diagram box. */
export type DiagramKind =
  | 'input' | 'conv1x1' | 'conv' | 'convAsym' | 'convLinear' | 'depthwise'
  | 'maxPool' | 'avgPool' | 'concat' | 'residual' | 'head' | 'other';

/** What a diagram box folds into its op's own node: a following BatchNorm and/or ReLU. */
export interface Fused {
  normalised: boolean;
  activated: boolean;
}

/**
 * Everything one node kind K knows, declared once. `S` is the spec its builder method takes
 * (`g.lrn(name, x, spec)`); the parameters themselves are the node type's (nodes.ts).
 */
export interface OpDef<K extends NodeKind, S = void> {
  readonly kind: K;
  /** Shape inference: the node (output shape, resolved params) from its inputs and spec; declares its weights; throws GraphError when the inputs do not fit. */
  infer(b: BuildContext, name: string, inputs: readonly ValueId[], spec: S): NewNode<K>;
  /** Multiply-accumulates counted by graphCost (conv and FC only, by convention). */
  macs(node: NodeOf<K>): number;
  /** The engine ops computing the node (none for an input); throws GraphError when the engine cannot run it. */
  lower(node: NodeOf<K>, shapeOf: (v: ValueId) => Shape): Op[];
  /** The ONNX nodes (opset 13) computing the node. */
  onnx(node: NodeOf<K>, e: OnnxEmitter): void;
  /** Diagram label, as the papers name the op. */
  label(node: NodeOf<K>, fused: Fused): string;
  /** Diagram colour key. */
  diagramKind(node: NodeOf<K>, fused: Fused): DiagramKind;
}

/** The kernel steps of one engine op of kind E; `inputs` carries its packed weights (and a conv op's algorithm). */
export type StepBuilder<E extends OpKind> = (op: Extract<Op, { kind: E }>, inputs: StepInputs, c: StepContext) => Step[];

/** The kernel steps of an engine op of kind E on u8 values (an int8 program). */
export type Int8StepBuilder<E extends OpKind> = (op: Extract<Op, { kind: E }>, inputs: StepInputs, c: Int8StepContext) => Step[];

/**
 * How an engine op kind runs in an int8 program (src/graph/int8/lower-int8.ts):
 *  - `{ steps, accepts? }`: on u8 values by `steps` (every op of the kind, or those `accepts` takes;
 *    the rest run in f32);
 *  - `'f32'`: on f32 values, with its u8 inputs dequantized and its outputs quantized around it;
 *  - `'either'`: no element type of its own — an alias (flatten) or a conversion — built by its
 *    f32 step builder on whatever its values hold.
 */
export type Int8Form<E extends OpKind> =
  | { steps: Int8StepBuilder<E>; accepts?: (op: Extract<Op, { kind: E }>) => boolean }
  | 'f32'
  | 'either';

/** The engine op of a node that maps to one kernel step family with no fusion state (graph/ops.ts `NodeOp`). */
export function nodeOp<K extends NodeKind>(node: NodeOf<K>): [{ kind: K; name: string; node: NodeOf<K>; input: ValueId; output: ValueId }] {
  return [{ kind: node.kind as K, name: node.name, node, input: node.inputs[0]!, output: node.id }];
}

/** `lower` of a kind the engine never runs. */
export function notLowered(why: string): (node: { name: string; kind: NodeKind }) => never {
  return (node) => {
    throw new GraphError(`node '${node.name}' (${node.kind}) cannot run: ${why}`);
  };
}

/** The input's shape, which must be a 4-D feature map. */
export function featureMap(b: BuildContext, name: string, kind: NodeKind, x: ValueId): [number, number, number, number] {
  const s = b.shape(x);
  if (s.length !== 4) throw shapeError(b, name, kind, x, '[N, H, W, C]');
  return s as unknown as [number, number, number, number];
}

export function shapeError(b: BuildContext, name: string, kind: NodeKind, x: ValueId, expected: string): GraphError {
  return new GraphError(`${kind} '${name}': expected input '${b.nodeName(x)}' of shape ${expected}, got ${formatShape(b.shape(x))}`);
}

/** A spatial window as a builder method takes it (defaults: stride 1, 'valid', floor mode). */
export interface WindowSpec {
  kernelH: number;
  kernelW: number;
  strideH?: number;
  strideW?: number;
  /** Default 'valid'. */
  padding?: Padding;
  ceilMode?: boolean;
}

/** A window resolved against the input size; throws GraphError when it does not fit. */
export function resolveNodeWindow(
  b: BuildContext, name: string, kind: NodeKind, x: ValueId, spec: WindowSpec,
): { outH: number; outW: number; params: WindowParams } {
  const [, h, w] = featureMap(b, name, kind, x);
  const strideH = spec.strideH ?? 1;
  const strideW = spec.strideW ?? 1;
  const padding = typeof spec.padding === 'object' ? { ...spec.padding } : spec.padding ?? 'valid';
  const r = resolveWindow(h, w, {
    kernelH: spec.kernelH, kernelW: spec.kernelW, strideH, strideW, padding, ceilMode: spec.ceilMode ?? false,
  });
  if (r.outH < 1 || r.outW < 1) {
    throw new GraphError(
      `${kind} '${name}': a ${spec.kernelH}x${spec.kernelW}/${strideH}x${strideW} window does not fit ` +
        `input '${b.nodeName(x)}' of shape ${formatShape(b.shape(x))} (output ${r.outH}x${r.outW}); the input image is too small`,
    );
  }
  return { outH: r.outH, outW: r.outW, params: { kernelH: spec.kernelH, kernelW: spec.kernelW, strideH, strideW, padding, pads: r.pads } };
}

/** `×` joined spatial size and channels, without the batch: `35×35×288`, or `1000` for `[N, F]`. */
export function formatHWC(shape: Shape): string {
  return shape.length === 4 ? `${shape[1]}×${shape[2]}×${shape[3]}` : shape.slice(1).join('×');
}

/** The input of a single-input kind (its builder method passes exactly one). */
export function first(inputs: readonly ValueId[]): ValueId {
  return inputs[0]!;
}
