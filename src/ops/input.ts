/** `input`: a graph input, NHWC `[N, H, W, C]`. No engine op: the session stages it in place. */

import { formatShape, GraphError, type Shape } from '../graph/nodes.js';
import { formatHWC, type OpDef } from './op-def.js';

export const input: OpDef<'input', Shape> = {
  kind: 'input',
  infer(_b, name, _inputs, shape) {
    if (shape.length !== 4 || !shape.every((d) => Number.isInteger(d) && d >= 1)) {
      throw new GraphError(`input '${name}': expected a shape [N, H, W, C] of positive integers, got ${formatShape(shape)}`);
    }
    return { kind: 'input', name, inputs: [], shape: [...shape] };
  },
  macs: () => 0,
  lower: () => [],
  // The exporter declares graph inputs itself.
  onnx: () => {},
  label: (node) => `input ${formatHWC(node.shape)}`,
  diagramKind: () => 'input',
};
