/** `relu`: `max(x, 0)`. Lowers to a clamp op, which the passes fuse into the producing conv, BatchNorm or add. */

import { RELU } from '../graph/ops.js';
import { copyStep } from '../graph/steps.js';
import { first, type OpDef, type StepBuilder } from './op-def.js';

export const relu: OpDef<'relu'> = {
  kind: 'relu',
  infer: (b, name, inputs) => ({ kind: 'relu', name, inputs: [...inputs], shape: b.shape(first(inputs)) }),
  macs: () => 0,
  lower: (node) => [{ kind: 'clamp', name: node.name, input: node.inputs[0]!, output: node.id, clamp: { ...RELU } }],
  onnx: (node, e) => e.node('Relu', node.name, [e.value(node.inputs[0]!)], e.value(node.id)),
  label: () => 'ReLU',
  diagramKind: () => 'other',
};

/** A standalone clamp (an unfused ReLU): a clamped copy. */
export const clampSteps: StepBuilder<'clamp'> = (op, _inputs, c) => [copyStep(op.name, c.view(op.input), c.view(op.output), op.clamp, c.tuning)];
