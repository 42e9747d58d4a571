/**
 * `flatten`: `[N, H, W, C]` → `[N, C·H·W]` with features in (C, H, W) order, as PyTorch/ONNX/Caffe
 * flatten the NCHW tensor. The engine runs it only on 1×1 maps, where it is an alias (no step).
 */

import { GraphError } from '../graph/nodes.js';
import { featureMap, first, type OpDef, type StepBuilder } from './op-def.js';

export const flatten: OpDef<'flatten'> = {
  kind: 'flatten',
  infer(b, name, inputs) {
    const x = first(inputs);
    const [n, h, w, c] = featureMap(b, name, 'flatten', x);
    return { kind: 'flatten', name, inputs: [x], shape: [n, h * w * c] };
  },
  macs: () => 0,
  lower(node, shapeOf) {
    const [, h, w] = shapeOf(node.inputs[0]!) as [number, number, number, number];
    if (h * w > 1) {
      throw new GraphError(
        `node '${node.name}' flattens a ${h}×${w} map: the engine runs flatten only on 1×1 maps (every ` +
          "Inception head), where NHWC order equals PyTorch/ONNX's (C, H, W) order; for a registry network, " +
          'build it without aux heads',
      );
    }
    return [{ kind: 'flatten', name: node.name, input: node.inputs[0]!, output: node.id }];
  },
  onnx: (node, e) => e.node('Flatten', node.name, [e.value(node.inputs[0]!)], e.value(node.id), [{ name: 'axis', int: 1 }]),
  label: () => 'flatten',
  diagramKind: () => 'head',
};

/** An alias of its input: no kernel runs. */
export const flattenSteps: StepBuilder<'flatten'> = () => [];
