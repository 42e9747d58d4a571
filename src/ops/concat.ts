/**
 * `concat` along the channel (last) axis; input i lands at channels [channelOffsets[i], …). The
 * concatViews pass usually turns it into channel-slice aliases; otherwise each input is copied.
 */

import { GraphError, type ValueId } from '../graph/nodes.js';
import { NO_CLAMP } from '../graph/ops.js';
import { copyStep } from '../graph/steps.js';
import { featureMap, shapeError, type OpDef, type StepBuilder } from './op-def.js';

const F32 = 4;

export const concat: OpDef<'concat'> = {
  kind: 'concat',
  infer(b, name, xs) {
    if (xs.length === 0) throw new GraphError(`concat '${name}': needs at least one input`);
    const [n, h, w] = featureMap(b, name, 'concat', xs[0]!);
    const channelOffsets: number[] = [];
    let channels = 0;
    for (const x of xs) {
      const s = featureMap(b, name, 'concat', x);
      if (s[0] !== n || s[1] !== h || s[2] !== w) throw shapeError(b, name, 'concat', x, `[${n}, ${h}, ${w}, *]`);
      channelOffsets.push(channels);
      channels += s[3];
    }
    return { kind: 'concat', name, inputs: [...xs] as ValueId[], shape: [n, h, w, channels], channelOffsets };
  },
  macs: () => 0,
  lower: (node) => [{
    kind: 'concat', name: node.name, inputs: [...node.inputs], channelOffsets: [...node.channelOffsets], output: node.id,
  }],
  onnx(node, e) {
    const out = e.value(node.id);
    e.node('Concat', node.name, node.inputs.map((v) => e.value(v)), out, [{ name: 'axis', int: 1 }]);
  },
  label: (node) => `concat ${node.shape[3]}`,
  diagramKind: () => 'concat',
};

/** A concat not turned into aliases: one copy step per input, into its channel slice. */
export const concatSteps: StepBuilder<'concat'> = (op, _inputs, c) => {
  const out = c.view(op.output);
  return op.inputs.map((v, i) => {
    const input = c.view(v);
    const slice = { ...out, offset: out.offset + op.channelOffsets[i]! * F32, channels: input.channels };
    return copyStep(`${op.name}[${i}]`, input, slice, NO_CLAMP, c.tuning);
  });
};
