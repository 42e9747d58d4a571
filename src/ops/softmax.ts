/** `softmax` over the last axis (the channels of each pixel, or the features of `[N, F]`). */

import { pixelTasks } from '../bindings/program.js';
import { elements } from '../graph/steps.js';
import { first, nodeOp, type OpDef, type StepBuilder } from './op-def.js';

export const softmax: OpDef<'softmax'> = {
  kind: 'softmax',
  infer: (b, name, inputs) => ({ kind: 'softmax', name, inputs: [...inputs], shape: b.shape(first(inputs)) }),
  macs: () => 0,
  lower: (node) => nodeOp(node),
  onnx: (node, e) => e.node('Softmax', node.name, [e.value(node.inputs[0]!)], e.value(node.id), [{ name: 'axis', int: 1 }]),
  label: () => 'softmax',
  diagramKind: () => 'head',
};

export const softmaxSteps: StepBuilder<'softmax'> = (op, _inputs, c) => {
  const input = c.view(op.input);
  return [{
    kind: 'softmax', name: op.name, input, out: c.view(op.output), rowsPerTask: 1,
    tasks: pixelTasks(input, 1), macs: elements(input),
  }];
};
