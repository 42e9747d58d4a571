/**
 * The op table: one `OpDef` per node kind, one step builder per engine op kind. Both are mapped
 * types over their unions, so a kind without an entry is a compile error; `opDef` turns a kind
 * that arrives at run time from outside the type (a cast, a corrupt object) into a named error
 * instead of a silently skipped node. To add an op, see docs/architecture.md, "Adding an op".
 */

import type { Step } from '../bindings/program.js';
import type { GraphNode, NodeKind, NodeOf, Shape, ValueId } from '../graph/nodes.js';
import type { Op, OpKind } from '../graph/ops.js';
import type { StepContext, StepInputs } from '../graph/steps.js';
import { adaptiveAvgPool } from './adaptive-avg-pool.js';
import { add, addSteps } from './add.js';
import { batchNorm, batchNormSteps } from './batch-norm.js';
import { clamp } from './clamp.js';
import { concat, concatSteps } from './concat.js';
import { conv, convSteps, fc } from './conv.js';
import { flatten, flattenSteps } from './flatten.js';
import { globalAvgPool, globalAvgPoolSteps } from './global-avg-pool.js';
import { input } from './input.js';
import { lrn, lrnSteps } from './lrn.js';
import type { Int8Form, OpDef, StepBuilder } from './op-def.js';
import { avgPool, avgPoolSteps, maxPool, maxPoolSteps } from './pool.js';
import { clampSteps, relu } from './relu.js';
import { dequantizeSteps, quantizeSteps } from './quantize.js';
import { softmax, softmaxSteps } from './softmax.js';
import { depthwiseLayer } from '../graph/algorithm.js';
import { i8ConvSteps, u8GlobalAvgPoolSteps, u8PoolSteps } from '../graph/int8/steps-int8.js';

export type OpTable = { readonly [K in NodeKind]: OpDef<K, never> };
export type StepTable = { readonly [E in OpKind]: StepBuilder<E> };
export type Int8Table = { readonly [E in OpKind]: Int8Form<E> };

/** `satisfies` keeps each entry's own spec type (the graph builder's methods take it). */
export const OPS = {
  input, conv, fc, batchNorm, relu, clamp, maxPool, avgPool, globalAvgPool, adaptiveAvgPool, lrn, concat, add, flatten, softmax,
} as const satisfies OpTable;

export const STEP_BUILDERS: StepTable = {
  conv: convSteps,
  batchNorm: batchNormSteps,
  clamp: clampSteps,
  add: addSteps,
  concat: concatSteps,
  flatten: flattenSteps,
  maxPool: maxPoolSteps,
  avgPool: avgPoolSteps,
  globalAvgPool: globalAvgPoolSteps,
  lrn: lrnSteps,
  softmax: softmaxSteps,
  quantize: quantizeSteps,
  dequantize: dequantizeSteps,
};

/**
 * How each engine op kind runs in an int8 program: on u8 values (dense convs and FC layers as
 * int8 GEMMs, max/avg/global pools), in f32 between a dequantize and a quantize, or on either
 * (aliases and the conversions themselves). See docs/architecture.md, "Int8 programs".
 */
export const INT8_FORMS: Int8Table = {
  conv: { steps: i8ConvSteps, accepts: (op) => depthwiseLayer(op.parts[0].layer) === undefined },
  maxPool: { steps: u8PoolSteps },
  avgPool: { steps: u8PoolSteps },
  globalAvgPool: { steps: u8GlobalAvgPoolSteps },
  flatten: 'either',
  quantize: 'either',
  dequantize: 'either',
  batchNorm: 'f32',
  clamp: 'f32',
  add: 'f32',
  concat: 'f32',
  lrn: 'f32',
  softmax: 'f32',
};
/** The definition of `node`'s kind; throws for a kind outside NodeKind. */
export function opDef<K extends NodeKind>(node: NodeOf<K>): OpDef<K, never> {
  const def = Object.hasOwn(OPS, node.kind) ? (OPS[node.kind] as OpDef<K, never>) : undefined;
  if (def === undefined) throw new Error(`inception-wasm: unknown node kind '${String(node.kind)}' (node '${node.name}')`);
  return def;
}

/** One or more engine ops per graph node (input nodes none), nothing fused. */
export function lowerGraph(g: { readonly nodes: readonly GraphNode[]; shape(v: ValueId): Shape }): Op[] {
  const shapeOf = (v: ValueId) => g.shape(v);
  return g.nodes.flatMap((node) => opDef(node).lower(node, shapeOf));
}

/** The kernel steps of one engine op. */
export function opSteps(op: Op, inputs: StepInputs, c: StepContext): Step[] {
  const build = Object.hasOwn(STEP_BUILDERS, op.kind) ? (STEP_BUILDERS[op.kind] as StepBuilder<typeof op.kind>) : undefined;
  if (build === undefined) throw new Error(`inception-wasm: unknown op kind '${String(op.kind)}' (op '${op.name}')`);
  return build(op as never, inputs, c);
}
