/**
 * The parts of a convolution or fully connected import shared by the float ops (Conv, Gemm,
 * MatMul in import-ops.ts) and the quantized ones (QLinearConv, QLinearMatMul in import-qdq.ts):
 * window padding, the dilation check, the conv node from weights already in float, and the
 * [rows, cols] transpose that turns a MatMul weight into an fc weight [out, in].
 */

import type { Padding, Pads } from '../graph/geometry.js';
import type { ValueId } from '../graph/nodes.js';
import { PAD, SIZE, type NodeCtx } from './import-context.js';

export const isZeroPads = (p: Pads) => p.top === 0 && p.left === 0 && p.bottom === 0 && p.right === 0;
const isZero = isZeroPads;

/** Padding of a Conv/Pool from auto_pad / pads, plus the pads of a zero Pad folded into it. */
export function windowPadding(c: NodeCtx, folded: Pads): Padding {
  const autoPad = c.string('auto_pad', 'NOTSET');
  const p = c.intList('pads', 4, PAD, [0, 0, 0, 0]);
  const own: Pads = { top: p[0], left: p[1], bottom: p[2], right: p[3] };
  switch (autoPad) {
    case 'NOTSET':
      return { top: own.top + folded.top, left: own.left + folded.left, bottom: own.bottom + folded.bottom, right: own.right + folded.right };
    case 'VALID':
      if (!isZero(own)) throw c.fail(`auto_pad VALID with pads [${p.join(', ')}] is contradictory`);
      return { ...folded };
    case 'SAME_UPPER':
    case 'SAME_LOWER':
      if (!isZero(folded)) throw c.fail(`auto_pad ${autoPad} after a Pad cannot be folded; export with explicit pads`);
      if (!isZero(own)) throw c.fail(`auto_pad ${autoPad} with pads [${p.join(', ')}] is contradictory`);
      return autoPad === 'SAME_UPPER' ? 'same' : 'same_lower';
    default:
      throw c.fail(`attribute 'auto_pad' = '${autoPad}' is not supported; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  }
}

export function noDilation(c: NodeCtx): void {
  const d = c.intList('dilations', 2, SIZE, [1, 1]);
  if (d[0] !== 1 || d[1] !== 1) throw c.fail(`attribute 'dilations' = [${d.join(', ')}] is not supported; supported: [1, 1]`);
}

/** [rows, cols] row-major → [cols, rows] row-major. */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

/** The conv weight and optional bias in float, named after the tensors they come from. */
export interface ConvTensors {
  /** OIHW dims of the weight as the file declares them. */
  dims: readonly number[];
  /** Name for messages and the Graph weight. */
  weightName: string;
  weight: () => Float32Array;
  bias?: { name: string; data: () => Float32Array };
}

/**
 * Adds the conv of input `x` (with the pads of a zero Pad folded before it) reading the Conv
 * attributes of `c`: checks the weight's dims against the kernel shape, group and input
 * channels before any weight is decoded. Returns the Graph value.
 */
export function addConv(c: NodeCtx, x: { id: ValueId; pads: Pads }, t: ConvTensors): ValueId {
  const [, , , channels] = c.featureMap(x.id);
  if (t.dims.length !== 4) throw c.fail(`weight '${t.weightName}' must be 4-D [out, in/group, kH, kW], got dims [${t.dims.join(', ')}]`);
  const [outChannels, inPerGroup, kernelH, kernelW] = t.dims;
  const kernel = c.intList('kernel_shape', 2, SIZE, [kernelH, kernelW]);
  if (kernel[0] !== kernelH || kernel[1] !== kernelW) {
    throw c.fail(`kernel_shape [${kernel.join(', ')}] disagrees with weight '${t.weightName}' dims [${t.dims.join(', ')}]`);
  }
  const [strideH, strideW] = c.intList('strides', 2, SIZE, [1, 1]);
  noDilation(c);
  const group = c.int('group', 1, SIZE);
  if (group !== 1 && group !== channels) {
    throw c.fail(`attribute 'group' = ${group} is not supported; supported: 1, or the input channels (${channels}) for a depthwise conv`);
  }
  if (inPerGroup * group !== channels) {
    throw c.fail(`weight '${t.weightName}' dims [${t.dims.join(', ')}] with group ${group} needs ${inPerGroup * group} input channels; the input ${c.onnxShape(x.id)} has ${channels}`);
  }
  if (group !== 1 && outChannels % channels !== 0) {
    throw c.fail(`a depthwise conv needs output channels (${outChannels}) to be a multiple of the input channels (${channels})`);
  }
  const padding = windowPadding(c, x.pads);
  const weight = c.imp.addWeight(t.weightName, t.weight());
  const bias = t.bias === undefined ? undefined : c.imp.addWeight(t.bias.name, t.bias.data());
  return c.graph(() => c.g.conv(c.graphName(), x.id, {
    outChannels, kernelH, kernelW, strideH, strideW, padding, groups: group, weight, ...(bias !== undefined ? { bias } : {}),
  }));
}
