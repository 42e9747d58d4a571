/** `add`: `out = x + scale·y` with inputs `[x, y]` of equal shape (the Inception-ResNet residual). */

import { pixelTasks } from '../bindings/program.js';
import { formatShape } from '../graph/nodes.js';
import { NO_CLAMP } from '../graph/ops.js';
import { copyClamp, elements } from '../graph/steps.js';
import { pixelsPerTaskFor } from '../graph/task-split.js';
import { shapeError, type OpDef, type StepBuilder } from './op-def.js';

/** Residual scale papers print: 0.17, 0.1, 1. */
function scaleText(scale: number): string {
  return String(Number(scale.toFixed(4)));
}

export const add: OpDef<'add', number> = {
  kind: 'add',
  infer(b, name, inputs, scale) {
    const [x, y] = inputs as [typeof inputs[0], typeof inputs[0]];
    const shape = b.shape(x);
    if (formatShape(b.shape(y)) !== formatShape(shape)) throw shapeError(b, name, 'add', y, formatShape(shape));
    return { kind: 'add', name, inputs: [x, y], shape, scale };
  },
  macs: () => 0,
  lower: (node) => [{
    kind: 'add', name: node.name, a: node.inputs[0]!, b: node.inputs[1]!, scale: node.scale, output: node.id, clamp: { ...NO_CLAMP },
  }],
  onnx(node, e) {
    const out = e.value(node.id);
    const x = e.value(node.inputs[0]!);
    const y = e.value(node.inputs[1]!);
    if (node.scale === 1) return e.node('Add', node.name, [x, y], out);
    // The form torch exports the scaled residual in: Constant(scale) · Mul → Add.
    const scale = e.fresh(`${node.name}.scale`);
    const scaled = e.fresh(`${node.name}.mul`);
    e.node('Constant', scale, [], scale, [{ name: 'value', scalar: node.scale }]);
    e.node('Mul', scaled, [y, scale], scaled);
    return e.node('Add', node.name, [x, scaled], out);
  },
  label: (node, f) => `×${scaleText(node.scale)} + residual${f.activated ? ', ReLU' : ''}`,
  diagramKind: () => 'residual',
};

/** An unfused add (its conv could not take the residual into its epilogue). */
export const addSteps: StepBuilder<'add'> = (op, _inputs, c) => {
  const out = c.view(op.output);
  const pixelsPerTask = pixelsPerTaskFor(out, c.tuning);
  return [{
    kind: 'add', name: op.name, a: c.view(op.a), b: c.view(op.b), out, scale: op.scale, clamp: copyClamp(op.clamp),
    pixelsPerTask, tasks: pixelTasks(out, pixelsPerTask), macs: elements(out),
  }];
};
