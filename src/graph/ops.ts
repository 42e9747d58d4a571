/**
 * Engine ops: what the graph becomes before planning. Each node kind's op module (src/ops/) lowers
 * a node to its ops (`lowerGraph` in src/ops/index.ts: a 1:1 translation, nothing fused); the
 * passes in passes.ts then rewrite the op list — fold BatchNorm into convs, fuse activations and
 * residuals into GEMM epilogues, turn concats into channel-slice aliases, merge sibling 1×1 convs —
 * and compile.ts turns ops into kernel steps.
 */

import type { Clamp, QuantParams } from '../bindings/program.js';
import { assertNever } from '../util/assert-never.js';
import type { BatchNormNode, ConvNode, FcNode, NodeKind, NodeOf, ValueId } from './nodes.js';

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

/**
 * Node kinds whose engine op has a shape of its own (the passes rewrite them), and kinds that
 * never become an op. Every other kind lowers to a `NodeOp` of its own kind: one input, one
 * output, the node's params; its op module builds its steps.
 */
type SpecialKind = 'input' | 'conv' | 'fc' | 'batchNorm' | 'relu' | 'clamp' | 'add' | 'concat' | 'flatten' | 'adaptiveAvgPool';

/** The engine op of a plain node kind (distributes over a union of kinds). */
export type NodeOp<K extends NodeKind> = K extends NodeKind
  ? { kind: K; name: string; node: NodeOf<K>; input: ValueId; output: ValueId }
  : never;

export type Op =
  | { kind: 'conv'; name: string; input: ValueId; parts: ConvPart[] }
  | { kind: 'batchNorm'; name: string; node: BatchNormNode; input: ValueId; output: ValueId; clamp: Clamp }
  /** Standalone activation (a relu or clamp node when not fused). */
  | { kind: 'clamp'; name: string; input: ValueId; output: ValueId; clamp: Clamp }
  | { kind: 'add'; name: string; a: ValueId; b: ValueId; scale: number; output: ValueId; clamp: Clamp }
  /** Copy-based concat (when the concat pass has not turned it into slice aliases). */
  | { kind: 'concat'; name: string; inputs: ValueId[]; channelOffsets: number[]; output: ValueId }
  /** Reinterprets `[N, 1, 1, C]`-like dense data as `[N, F]`: an alias, no kernel. */
  | { kind: 'flatten'; name: string; input: ValueId; output: ValueId }
  /**
   * int8 programs only (src/graph/int8/lower-int8.ts inserts them): a u8 copy of an f32 value
   * (`quantize`) or an f32 copy of a u8 value (`dequantize`) at `params`.
   */
  | { kind: 'quantize'; name: string; input: ValueId; output: ValueId; params: QuantParams }
  | { kind: 'dequantize'; name: string; input: ValueId; output: ValueId; params: QuantParams }
  /** maxPool, avgPool, globalAvgPool, lrn, softmax, and any kind added later that is not special. */
  | NodeOp<Exclude<NodeKind, SpecialKind>>;

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
      // Every other op has exactly one input (a new op kind with more fails to compile here).
      return [op.input];
  }
}

/** The values an op writes. */
export function opOutputs(op: Op): ValueId[] {
  return op.kind === 'conv' ? op.parts.map((p) => p.output) : [op.output];
}

/** `op` with each value it reads replaced by `input(v)` and each value it writes by `output(v)`. */
export function mapOpValues(op: Op, input: (v: ValueId) => ValueId, output: (v: ValueId) => ValueId): Op {
  switch (op.kind) {
    case 'conv':
      return {
        ...op, input: input(op.input),
        parts: op.parts.map((p) => ({
          ...p, output: output(p.output), ...(p.residual ? { residual: { ...p.residual, value: input(p.residual.value) } } : {}),
        })),
      };
    case 'add':
      return { ...op, a: input(op.a), b: input(op.b), output: output(op.output) };
    case 'concat':
      return { ...op, inputs: op.inputs.map(input), output: output(op.output) };
    case 'batchNorm':
    case 'clamp':
    case 'flatten':
    case 'quantize':
    case 'dequantize':
    case 'maxPool':
    case 'avgPool':
    case 'globalAvgPool':
    case 'lrn':
    case 'softmax':
      return { ...op, input: input(op.input), output: output(op.output) } as Op;
    default:
      return assertNever(op, 'op kind');
  }
}
