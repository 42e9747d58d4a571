/**
 * `batchNorm`: inference BatchNorm over the last axis, `y = (x − mean) / √(var + eps) · gamma + beta`
 * (`gamma` absent = 1, `beta` absent = 0). The foldBatchNorm pass moves it into the conv before it;
 * what is left runs as a per-channel scale and shift (packed by pack-weights.ts).
 */

import { pixelTasks } from '../bindings/program.js';
import { NO_CLAMP } from '../graph/ops.js';
import { copyClamp, elements } from '../graph/steps.js';
import { packedAs } from '../graph/steps.js';
import { pixelsPerTaskFor } from '../graph/task-split.js';
import { first, type OpDef, type StepBuilder } from './op-def.js';

export interface BatchNormSpec {
  gamma?: string;
  beta?: string;
  mean: string;
  var: string;
  eps: number;
}

export const batchNorm: OpDef<'batchNorm', BatchNormSpec> = {
  kind: 'batchNorm',
  infer(b, name, inputs, spec) {
    const x = first(inputs);
    const shape = b.shape(x);
    const channels = shape[shape.length - 1]!;
    if (spec.gamma !== undefined) b.declare(name, spec.gamma, [channels], 'bn_gamma');
    if (spec.beta !== undefined) b.declare(name, spec.beta, [channels], 'bn_beta');
    b.declare(name, spec.mean, [channels], 'bn_mean');
    b.declare(name, spec.var, [channels], 'bn_var');
    return {
      kind: 'batchNorm', name, inputs: [x], shape, channels,
      ...(spec.gamma !== undefined ? { gamma: spec.gamma } : {}),
      ...(spec.beta !== undefined ? { beta: spec.beta } : {}),
      mean: spec.mean, var: spec.var, eps: spec.eps,
    };
  },
  macs: () => 0,
  lower: (node) => [{ kind: 'batchNorm', name: node.name, node, input: node.inputs[0]!, output: node.id, clamp: { ...NO_CLAMP } }],
  onnx(node, e) {
    const out = e.value(node.id);
    const x = e.value(node.inputs[0]!);
    // ONNX needs both: absent γ/β become initializers of ones/zeros.
    const gamma = node.gamma ?? e.constant(`${node.name}.scale`, [node.channels], new Float32Array(node.channels).fill(1));
    const beta = node.beta ?? e.constant(`${node.name}.bias`, [node.channels], new Float32Array(node.channels).fill(0));
    e.node('BatchNormalization', node.name, [x, gamma, beta, node.mean, node.var], out, [{ name: 'epsilon', float: node.eps }]);
  },
  label: (_node, f) => `BN${f.activated ? ', ReLU' : ''}`,
  diagramKind: () => 'other',
};

export const batchNormSteps: StepBuilder<'batchNorm'> = (op, inputs, c) => {
  const input = c.view(op.input);
  const bn = packedAs(inputs.packed, 'batchNorm', op);
  const pixelsPerTask = pixelsPerTaskFor(input, c.tuning);
  return [{
    kind: 'batchNorm', name: op.name, input, out: c.view(op.output), scaleOffset: bn.scale, shiftOffset: bn.shift,
    clamp: copyClamp(op.clamp), pixelsPerTask, tasks: pixelTasks(input, pixelsPerTask), macs: elements(input),
  }];
};
