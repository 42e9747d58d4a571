/**
 * `conv` (2-D convolution, dilation 1; `groups` 1 or the input channels: depthwise) and `fc` (fully
 * connected on `[N, F]`). Both lower to one engine conv op (a GEMM, or Winograd / depthwise for a
 * conv); the algorithm choice (graph/algorithm.ts), weight packing (graph/pack-weights.ts) and
 * step builders (graph/steps.ts `convSteps`) stay with the compiler, shared by both kinds.
 */

import type { Padding, Pads } from '../graph/geometry.js';
import { GraphError } from '../graph/nodes.js';
import { NO_CLAMP } from '../graph/ops.js';
import { convSteps as buildConvSteps } from '../graph/steps.js';
import { featureMap, first, resolveNodeWindow, shapeError, type OpDef, type StepBuilder } from './op-def.js';
import { strideText } from './pool.js';

export interface ConvSpec {
  outChannels: number;
  kernelH: number;
  kernelW: number;
  strideH?: number;
  strideW?: number;
  /** Default 'valid'. */
  padding?: Padding;
  /** 1 (default) or inChannels (depthwise). */
  groups?: number;
  /** When given, the input's channel count must equal it (catches a wrong table width early). */
  inChannels?: number;
  weight: string;
  bias?: string;
}

export interface FcSpec {
  outFeatures: number;
  /** When given, the input's feature count must equal it. */
  inFeatures?: number;
  weight: string;
  bias?: string;
}

const padsOf = (p: Pads) => [p.top, p.left, p.bottom, p.right];

export const conv: OpDef<'conv', ConvSpec> = {
  kind: 'conv',
  infer(b, name, inputs, spec) {
    const x = first(inputs);
    const [n, h, w, c] = featureMap(b, name, 'conv', x);
    const groups = spec.groups ?? 1;
    if (spec.inChannels !== undefined && spec.inChannels !== c) throw shapeError(b, name, 'conv', x, `[${n}, ${h}, ${w}, ${spec.inChannels}]`);
    if (groups !== 1 && (groups !== c || spec.outChannels % c !== 0)) {
      throw new GraphError(`conv '${name}': groups ${groups} must be 1 or the input channels ${c} (with outChannels a multiple of it)`);
    }
    const window = resolveNodeWindow(b, name, 'conv', x, spec);
    b.declare(name, spec.weight, [spec.outChannels, c / groups, spec.kernelH, spec.kernelW], 'conv_w');
    if (spec.bias !== undefined) b.declare(name, spec.bias, [spec.outChannels], 'bias');
    return {
      kind: 'conv', name, inputs: [x], shape: [n, window.outH, window.outW, spec.outChannels],
      ...window.params, groups, inChannels: c, outChannels: spec.outChannels,
      weight: spec.weight, ...(spec.bias !== undefined ? { bias: spec.bias } : {}),
    };
  },
  macs(node) {
    const [n, outH, outW, outC] = node.shape as [number, number, number, number];
    return n * outH * outW * outC * node.kernelH * node.kernelW * (node.inChannels / node.groups);
  },
  lower: (node) => [{ kind: 'conv', name: node.name, input: node.inputs[0]!, parts: [{ layer: node, output: node.id, clamp: { ...NO_CLAMP } }] }],
  onnx: (node, e) =>
    e.node('Conv', node.name, [e.value(node.inputs[0]!), node.weight, ...(node.bias !== undefined ? [node.bias] : [])], e.value(node.id), [
      { name: 'dilations', ints: [1, 1] }, { name: 'group', int: node.groups }, { name: 'kernel_shape', ints: [node.kernelH, node.kernelW] },
      { name: 'pads', ints: padsOf(node.pads) }, { name: 'strides', ints: [node.strideH, node.strideW] },
    ]),
  label(node, f) {
    const kernel = `${node.kernelH}×${node.kernelW}`;
    const s = node.strideH === 1 && node.strideW === 1 ? '' : ` ${strideText(node)}`;
    const linear = f.activated ? '' : ' (linear)';
    if (node.groups > 1) return `${kernel} depthwise ×${node.outChannels / node.inChannels}${s}${linear}`;
    return `${kernel} conv ${node.outChannels}${s}${linear}`;
  },
  diagramKind(node, f) {
    if (node.groups > 1) return 'depthwise';
    if (!f.activated) return 'convLinear';
    if (node.kernelH === 1 && node.kernelW === 1) return 'conv1x1';
    return node.kernelH === node.kernelW ? 'conv' : 'convAsym';
  },
};

export const fc: OpDef<'fc', FcSpec> = {
  kind: 'fc',
  infer(b, name, inputs, spec) {
    const x = first(inputs);
    const shape = b.shape(x);
    if (shape.length !== 2) throw shapeError(b, name, 'fc', x, '[N, features]');
    const [n, inFeatures] = shape as [number, number];
    if (spec.inFeatures !== undefined && spec.inFeatures !== inFeatures) throw shapeError(b, name, 'fc', x, `[${n}, ${spec.inFeatures}]`);
    b.declare(name, spec.weight, [spec.outFeatures, inFeatures], 'linear_w');
    if (spec.bias !== undefined) b.declare(name, spec.bias, [spec.outFeatures], 'bias');
    return {
      kind: 'fc', name, inputs: [x], shape: [n, spec.outFeatures], inFeatures, outFeatures: spec.outFeatures,
      weight: spec.weight, ...(spec.bias !== undefined ? { bias: spec.bias } : {}),
    };
  },
  macs: (node) => node.shape[0]! * node.inFeatures * node.outFeatures,
  lower: (node) => [{ kind: 'conv', name: node.name, input: node.inputs[0]!, parts: [{ layer: node, output: node.id, clamp: { ...NO_CLAMP } }] }],
  onnx: (node, e) =>
    e.node('Gemm', node.name, [e.value(node.inputs[0]!), node.weight, ...(node.bias !== undefined ? [node.bias] : [])], e.value(node.id), [
      { name: 'alpha', float: 1 }, { name: 'beta', float: 1 }, { name: 'transB', int: 1 },
    ]),
  label: (node, f) => `fc ${node.outFeatures}${f.normalised ? ', BN' : ''}${f.activated ? ', ReLU' : ''}`,
  diagramKind: () => 'head',
};

/** The conv engine op (conv and fc alike): by its algorithm, from the compiler's builders. */
export const convSteps: StepBuilder<'conv'> = (op, inputs, c) => buildConvSteps(op, inputs, c);
