/**
 * `lrn`: local response normalisation across channels (Caffe/ONNX/PyTorch form),
 * `y_c = x_c / (k + alpha/size · Σ_{c' in window of size around c} x_c'²)^beta`; GoogLeNet's stem.
 * Params (`LrnParams`) are declared once, with the kernel's binding; node, spec and step extend them.
 */

import type { LrnParams } from '../bindings/kernels/normalize.js';
import { pixelTasks } from '../bindings/program.js';
import { elements, type StepContext } from '../graph/steps.js';
import { pixelsPerTaskFor } from '../graph/task-split.js';
import { featureMap, first, nodeOp, type OpDef, type StepBuilder } from './op-def.js';

export type LrnSpec = LrnParams;

export const lrn: OpDef<'lrn', LrnSpec> = {
  kind: 'lrn',
  infer(b, name, inputs, spec) {
    const x = first(inputs);
    featureMap(b, name, 'lrn', x);
    return { kind: 'lrn', name, inputs: [x], shape: b.shape(x), size: spec.size, alpha: spec.alpha, beta: spec.beta, k: spec.k };
  },
  macs: () => 0,
  lower: (node) => nodeOp(node),
  onnx: (node, e) =>
    e.node('LRN', node.name, [e.value(node.inputs[0]!)], e.value(node.id), [
      { name: 'alpha', float: node.alpha }, { name: 'beta', float: node.beta }, { name: 'bias', float: node.k },
      { name: 'size', int: node.size },
    ]),
  label: (node) => `LRN ${node.size}`,
  diagramKind: () => 'other',
};

/** One per-pixel step: each task normalises a range of pixels of one image. */
export const lrnSteps: StepBuilder<'lrn'> = (op, _inputs, c: StepContext) => {
  const input = c.view(op.input);
  const pixelsPerTask = pixelsPerTaskFor(input, c.tuning);
  const n = op.node;
  return [{
    kind: 'lrn', name: op.name, input, out: c.view(op.output), size: n.size, alpha: n.alpha, beta: n.beta, k: n.k,
    pixelsPerTask, tasks: pixelTasks(input, pixelsPerTask), macs: elements(input) * n.size,
  }];
};
