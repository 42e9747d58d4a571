/**
 * Windowed pooling: `maxPool` (padded positions never win: −∞ padding) and `avgPool`
 * (`countIncludePad`: true divides by the window clipped to the padded extent — PyTorch default,
 * Caffe —, false by the in-image count — TF, timm v4/IRv2). One step kind, row blocks per task.
 */

import type { Step } from '../bindings/program.js';
import type { Padding, Pads } from '../graph/geometry.js';
import type { AvgPoolNode, MaxPoolNode, ValueId } from '../graph/nodes.js';
import type { Op } from '../graph/ops.js';
import { elements, type StepContext, type StepInputs } from '../graph/steps.js';
import { ceilDiv, rowsPerTaskFor } from '../graph/task-split.js';
import { featureMap, first, nodeOp, resolveNodeWindow, type BuildContext, type OnnxAttr, type OnnxEmitter, type OpDef, type StepBuilder } from './op-def.js';

export interface PoolSpec {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  /** Default 'valid'. */
  padding?: Padding;
  ceilMode?: boolean;
}

export interface AvgPoolSpec extends PoolSpec {
  countIncludePad: boolean;
}

const padsOf = (p: Pads) => [p.top, p.left, p.bottom, p.right];

function kernel(n: { kernelH: number; kernelW: number }): string {
  return `${n.kernelH}×${n.kernelW}`;
}

export function strideText(n: { strideH: number; strideW: number }): string {
  return n.strideH === n.strideW ? `s${n.strideH}` : `s${n.strideH}×${n.strideW}`;
}

/** Output shape and window params shared by both pools. */
function poolNode(b: BuildContext, name: string, kind: 'maxPool' | 'avgPool', x: ValueId, spec: PoolSpec) {
  const [n, , , c] = featureMap(b, name, kind, x);
  const window = resolveNodeWindow(b, name, kind, x, spec);
  return { name, inputs: [x], shape: [n, window.outH, window.outW, c], ...window.params, ceilMode: spec.ceilMode ?? false };
}

function poolOnnx(node: MaxPoolNode | AvgPoolNode, e: OnnxEmitter, opType: string, extra: OnnxAttr[]): void {
  e.node(opType, node.name, [e.value(node.inputs[0]!)], e.value(node.id), [
    { name: 'ceil_mode', int: node.ceilMode ? 1 : 0 }, { name: 'kernel_shape', ints: [node.kernelH, node.kernelW] },
    { name: 'pads', ints: padsOf(node.pads) }, { name: 'strides', ints: [node.strideH, node.strideW] }, ...extra,
  ]);
}

export const maxPool: OpDef<'maxPool', PoolSpec> = {
  kind: 'maxPool',
  infer: (b, name, inputs, spec) => ({ kind: 'maxPool', ...poolNode(b, name, 'maxPool', first(inputs), spec) }),
  macs: () => 0,
  lower: (node) => nodeOp(node),
  onnx: (node, e) => poolOnnx(node, e, 'MaxPool', []),
  label: (node) => `${kernel(node)} max pool ${strideText(node)}`,
  diagramKind: () => 'maxPool',
};

export const avgPool: OpDef<'avgPool', AvgPoolSpec> = {
  kind: 'avgPool',
  infer: (b, name, inputs, spec) => ({
    kind: 'avgPool', ...poolNode(b, name, 'avgPool', first(inputs), spec), countIncludePad: spec.countIncludePad,
  }),
  macs: () => 0,
  lower: (node) => nodeOp(node),
  onnx: (node, e) => poolOnnx(node, e, 'AveragePool', [{ name: 'count_include_pad', int: node.countIncludePad ? 1 : 0 }]),
  label: (node) => `${kernel(node)} avg pool ${strideText(node)}`,
  diagramKind: () => 'avgPool',
};

/** Both pools: row blocks of one image per task. */
function poolSteps(op: Extract<Op, { kind: 'maxPool' | 'avgPool' }>, _inputs: StepInputs, c: StepContext): Step[] {
  const input = c.view(op.input);
  const out = c.view(op.output);
  const n = op.node;
  const rowsPerTask = rowsPerTaskFor(out.height, c.tuning);
  return [{
    kind: op.kind, name: op.name, input, out, kernelH: n.kernelH, kernelW: n.kernelW, strideH: n.strideH, strideW: n.strideW,
    padTop: n.pads.top, padLeft: n.pads.left, padBottom: n.pads.bottom, padRight: n.pads.right,
    countIncludePad: op.kind === 'avgPool' ? op.node.countIncludePad : false, rowsPerTask,
    tasks: out.batch * ceilDiv(out.height, rowsPerTask), macs: elements(out) * n.kernelH * n.kernelW,
  }];
}

export const maxPoolSteps: StepBuilder<'maxPool'> = poolSteps;
export const avgPoolSteps: StepBuilder<'avgPool'> = poolSteps;
