/**
 * Engine ops: what the graph becomes before planning. `lowerGraph` maps each graph node to one op
 * (a 1:1 translation, nothing fused); the passes in passes.ts then rewrite the op list — fold
 * BatchNorm into convs, fuse activations and residuals into GEMM epilogues, turn concats into
 * channel-slice aliases, merge sibling 1×1 convs — and compile.ts turns ops into kernel steps.
 */

import type {
  AvgPoolNode, BatchNormNode, ConvNode, FcNode, GraphNode, LrnNode, MaxPoolNode, ValueId,
} from './nodes.js';
import type { Clamp } from '../bindings/program.js';
import type { Graph } from './graph.js';
import { GraphError } from './graph.js';

export type { Clamp };

export const NO_CLAMP: Readonly<Clamp> = Object.freeze({ lo: -Infinity, hi: Infinity });
export const RELU: Readonly<Clamp> = Object.freeze({ lo: 0, hi: Infinity });

/**
 * One convolution (or FC layer) writing one value. A conv op holds several parts after sibling
 * convs reading the same input are merged; every part shares the input and the window.
 */
export interface ConvPart {
  layer: ConvNode | FcNode;
  /** BatchNorm folded into the weights at packing. */
  bn?: BatchNormNode;
  output: ValueId;
  clamp: Clamp;
  /** Inception-ResNet residual fused into the epilogue: out = clamp(res + scale·conv). */
  residual?: { value: ValueId; scale: number };
}

export type Op =
  | { kind: 'conv'; name: string; input: ValueId; parts: ConvPart[] }
  | { kind: 'batchNorm'; name: string; node: BatchNormNode; input: ValueId; output: ValueId; clamp: Clamp }
  /** Standalone activation (relu when not fused). */
  | { kind: 'clamp'; name: string; input: ValueId; output: ValueId; clamp: Clamp }
  | { kind: 'add'; name: string; a: ValueId; b: ValueId; scale: number; output: ValueId; clamp: Clamp }
  | { kind: 'maxPool'; name: string; node: MaxPoolNode; input: ValueId; output: ValueId }
  | { kind: 'avgPool'; name: string; node: AvgPoolNode; input: ValueId; output: ValueId }
  | { kind: 'globalAvgPool'; name: string; input: ValueId; output: ValueId }
  | { kind: 'lrn'; name: string; node: LrnNode; input: ValueId; output: ValueId }
  | { kind: 'softmax'; name: string; input: ValueId; output: ValueId }
  /** Copy-based concat (when the concat pass has not turned it into slice aliases). */
  | { kind: 'concat'; name: string; inputs: ValueId[]; channelOffsets: number[]; output: ValueId }
  /** Reinterprets `[N, 1, 1, C]`-like dense data as `[N, F]`: an alias, no kernel. */
  | { kind: 'flatten'; name: string; input: ValueId; output: ValueId };

export type OpKind = Op['kind'];

/** The values an op reads. */
export function opInputs(op: Op): ValueId[] {
  switch (op.kind) {
    case 'conv':
      return [op.input, ...op.parts.flatMap((p) => (p.residual ? [p.residual.value] : []))];
    case 'add':
      return [op.a, op.b];
    case 'concat':
      return op.inputs;
    default:
      return [op.input];
  }
}

/** The values an op writes. */
export function opOutputs(op: Op): ValueId[] {
  return op.kind === 'conv' ? op.parts.map((p) => p.output) : [op.output];
}

/** One op per graph node (input nodes excepted), nothing fused. */
export function lowerGraph(g: Graph): Op[] {
  const ops: Op[] = [];
  for (const node of g.nodes) {
    if (node.kind === 'flatten') {
      const [, h, w] = g.shape(node.inputs[0]);
      if (h * w > 1) {
        throw new GraphError(
          `node '${node.name}' flattens a ${h}×${w} map: the engine runs flatten only on 1×1 maps (every ` +
            "Inception head), where NHWC order equals PyTorch/ONNX's (C, H, W) order; for a registry network, " +
            'build it without aux heads',
        );
      }
    }
    const op = lowerNode(node);
    if (op) ops.push(op);
  }
  return ops;
}

function lowerNode(node: GraphNode): Op | undefined {
  const name = node.name;
  const [input] = node.inputs;
  const output = node.id;
  switch (node.kind) {
    case 'input':
      return undefined;
    case 'conv':
    case 'fc':
      return { kind: 'conv', name, input, parts: [{ layer: node, output, clamp: { ...NO_CLAMP } }] };
    case 'batchNorm':
      return { kind: 'batchNorm', name, node, input, output, clamp: { ...NO_CLAMP } };
    case 'relu':
      return { kind: 'clamp', name, input, output, clamp: { ...RELU } };
    case 'add':
      return { kind: 'add', name, a: node.inputs[0], b: node.inputs[1], scale: node.scale, output, clamp: { ...NO_CLAMP } };
    case 'maxPool':
      return { kind: 'maxPool', name, node, input, output };
    case 'avgPool':
      return { kind: 'avgPool', name, node, input, output };
    case 'globalAvgPool':
      return { kind: 'globalAvgPool', name, input, output };
    case 'lrn':
      return { kind: 'lrn', name, node, input, output };
    case 'softmax':
      return { kind: 'softmax', name, input, output };
    case 'concat':
      return { kind: 'concat', name, inputs: [...node.inputs], channelOffsets: [...node.channelOffsets], output };
    case 'flatten':
      return { kind: 'flatten', name, input, output };
    case 'adaptiveAvgPool':
      throw new GraphError(
        `node '${name}' (adaptiveAvgPool) cannot run: it only appears in training-time auxiliary heads; ` +
          'build the network without aux heads to run it',
      );
  }
}
