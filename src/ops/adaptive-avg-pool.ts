/**
 * `adaptiveAvgPool`: PyTorch `adaptive_avg_pool2d` to `outH × outW` (output row i averages input
 * rows [⌊i·H/outH⌋, ⌈(i+1)·H/outH⌉)). Only torchvision GoogLeNet's training-only aux heads use it:
 * the graph, cost, diagrams and ONNX export know it; the engine does not run it.
 */

import { featureMap, first, notLowered, type OpDef } from './op-def.js';

export const adaptiveAvgPool: OpDef<'adaptiveAvgPool', { outH: number; outW: number }> = {
  kind: 'adaptiveAvgPool',
  infer(b, name, inputs, { outH, outW }) {
    const x = first(inputs);
    const [n, , , c] = featureMap(b, name, 'adaptiveAvgPool', x);
    return { kind: 'adaptiveAvgPool', name, inputs: [x], shape: [n, outH, outW, c], outH, outW };
  },
  macs: () => 0,
  lower: notLowered('it only appears in training-time auxiliary heads; build the network without aux heads to run it'),
  onnx(node, e) {
    const out = e.value(node.id);
    const x = e.value(node.inputs[0]!);
    const [, h, w] = e.shape(node.inputs[0]!) as [number, number, number, number];
    if (h % node.outH !== 0 || w % node.outW !== 0) {
      throw e.fail(
        `adaptiveAvgPool '${node.name}': ${h}x${w} → ${node.outH}x${node.outW} has no ONNX equivalent (the output size must divide the input size)`,
      );
    }
    // Equal windows tile the input exactly: a plain AveragePool.
    const k = [h / node.outH, w / node.outW];
    e.node('AveragePool', node.name, [x], out, [{ name: 'kernel_shape', ints: k }, { name: 'strides', ints: k }, { name: 'pads', ints: [0, 0, 0, 0] }]);
  },
  label: (node) => `avg pool to ${node.outH}×${node.outW}`,
  diagramKind: () => 'avgPool',
};
