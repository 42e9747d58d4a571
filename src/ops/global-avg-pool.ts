/** `globalAvgPool`: mean over H and W, `[N, H, W, C]` → `[N, 1, 1, C]`; tasks split the channels. */

import { elements } from '../graph/steps.js';
import { ceilDiv } from '../graph/task-split.js';
import { featureMap, first, nodeOp, type OpDef, type StepBuilder } from './op-def.js';

export const globalAvgPool: OpDef<'globalAvgPool'> = {
  kind: 'globalAvgPool',
  infer(b, name, inputs) {
    const x = first(inputs);
    const [n, , , c] = featureMap(b, name, 'globalAvgPool', x);
    return { kind: 'globalAvgPool', name, inputs: [x], shape: [n, 1, 1, c] };
  },
  macs: () => 0,
  lower: (node) => nodeOp(node),
  onnx: (node, e) => e.node('GlobalAveragePool', node.name, [e.value(node.inputs[0]!)], e.value(node.id)),
  label: () => 'global avg pool',
  diagramKind: () => 'head',
};

export const globalAvgPoolSteps: StepBuilder<'globalAvgPool'> = (op, _inputs, c) => {
  const input = c.view(op.input);
  const channelsPerTask = c.tuning.channelsPerGlobalPoolTask;
  return [{
    kind: 'globalAvgPool', name: op.name, input, out: c.view(op.output), channelsPerTask,
    tasks: input.batch * ceilDiv(input.channels, channelsPerTask), macs: elements(input),
  }];
};
