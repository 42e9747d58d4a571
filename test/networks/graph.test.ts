/**
 * Graph builder: shape inference at add time, errors that name the node with expected and actual
 * shapes, the weight list in declaration order, stage marks and outputs.
 */

import { describe, expect, it } from 'vitest';
import { pads } from '../../src/graph/geometry.js';
import { Graph, GraphError } from '../../src/graph/graph.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { inceptionModule } from '../../src/inception/googlenet.js';
import { Layers, TORCH_UNIT } from '../../src/inception/layers.js';
import { buildNetwork } from '../../src/inception/models.js';

function small(): { g: Graph; x: ValueId } {
  const g = new Graph();
  return { g, x: g.input('input', [2, 9, 11, 3]) };
}

describe('shape inference', () => {
  it.each([
    { case: 'conv 3x3 s2 VALID 9x11 → 4x5', add: (g: Graph, x: ValueId) => g.conv('c', x, { outChannels: 8, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, weight: 'w' }), shape: [2, 4, 5, 8] },
    { case: 'conv 3x3 s2 SAME 9x11 → 5x6', add: (g: Graph, x: ValueId) => g.conv('c', x, { outChannels: 8, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padding: 'same', weight: 'w' }), shape: [2, 5, 6, 8] },
    { case: 'conv 1x7 pads(0,3) keeps 9x11', add: (g: Graph, x: ValueId) => g.conv('c', x, { outChannels: 4, kernelH: 1, kernelW: 7, padding: pads(0, 3), weight: 'w' }), shape: [2, 9, 11, 4] },
    { case: 'depthwise 3x3 multiplier 8', add: (g: Graph, x: ValueId) => g.conv('c', x, { outChannels: 24, kernelH: 3, kernelW: 3, groups: 3, weight: 'w' }), shape: [2, 7, 9, 24] },
    { case: 'maxPool 3x3 s2 ceil 9x11 → 4x5', add: (g: Graph, x: ValueId) => g.maxPool('p', x, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, ceilMode: true }), shape: [2, 4, 5, 3] },
    { case: 'maxPool 3x3 s2 ceil on 2x2 → 1x1 (PyTorch)', add: (g: Graph, x: ValueId) => g.maxPool('p', g.maxPool('p0', x, { kernelH: 4, kernelW: 4, strideH: 4, strideW: 4 }), { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, ceilMode: true }), shape: [2, 1, 1, 3] },
    { case: 'avgPool 3x3 s1 pad 1 keeps 9x11', add: (g: Graph, x: ValueId) => g.avgPool('p', x, { kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding: pads(1), countIncludePad: false }), shape: [2, 9, 11, 3] },
    { case: 'adaptiveAvgPool 4x4', add: (g: Graph, x: ValueId) => g.adaptiveAvgPool('p', x, 4, 4), shape: [2, 4, 4, 3] },
    { case: 'globalAvgPool → flatten → fc', add: (g: Graph, x: ValueId) => g.fc('fc', g.flatten('f', g.globalAvgPool('gap', x)), { outFeatures: 10, weight: 'w', bias: 'b' }), shape: [2, 10] },
    { case: 'flatten 9x11x3 → 297', add: (g: Graph, x: ValueId) => g.flatten('f', x), shape: [2, 297] },
    { case: 'concat 3 + 3 + 3', add: (g: Graph, x: ValueId) => g.concat('cat', [x, g.relu('r', x), x]), shape: [2, 9, 11, 9] },
    { case: 'add keeps the shape', add: (g: Graph, x: ValueId) => g.add('a', x, g.relu('r', x), 0.17), shape: [2, 9, 11, 3] },
    { case: 'batchNorm on [N, F]', add: (g: Graph, x: ValueId) => g.batchNorm('bn', g.flatten('f', x), { mean: 'm', var: 'v', eps: 1e-3 }), shape: [2, 297] },
  ])('$case', ({ add, shape }) => {
    const { g, x } = small();
    const v = add(g, x);
    expect(g.shape(v)).toEqual(shape);
    expect(g.nodes.map((n) => n.id)).toEqual(g.nodes.map((_, i) => i));
    expect(g.nodes.every((n) => n.inputs.every((i) => i < n.id))).toBe(true);
  });

  it('concat records each input channel offset', () => {
    const { g, x } = small();
    const c = g.node(g.concat('cat', [x, g.conv('c', x, { outChannels: 5, kernelH: 1, kernelW: 1, weight: 'w' }), x]));
    expect(c.kind === 'concat' && c.channelOffsets).toEqual([0, 3, 8]);
  });

  it('weights are declared in order: conv weight, bias; BN gamma, beta, mean, var; fc weight, bias', () => {
    const { g, x } = small();
    const c = g.conv('c', x, { outChannels: 4, kernelH: 3, kernelW: 5, weight: 'c.w', bias: 'c.b' });
    const b = g.batchNorm('bn', c, { gamma: 'bn.g', beta: 'bn.b', mean: 'bn.m', var: 'bn.v', eps: 1e-3 });
    g.fc('fc', g.flatten('f', g.globalAvgPool('gap', b)), { outFeatures: 7, weight: 'fc.w', bias: 'fc.b' });
    expect(g.weights.map((w) => `${w.name} ${w.role} [${w.shape.join(',')}]`)).toEqual([
      'c.w conv_w [4,3,3,5]', 'c.b bias [4]', 'bn.g bn_gamma [4]', 'bn.b bn_beta [4]', 'bn.m bn_mean [4]', 'bn.v bn_var [4]',
      'fc.w linear_w [7,4]', 'fc.b bias [7]',
    ]);
  });

  it('stage marks and outputs', () => {
    const g = buildNetwork('googlenet', { aux: true });
    expect(g.stages.map((s) => s.name).slice(0, 3)).toEqual(['conv1', 'maxpool1', 'conv2']);
    expect(g.outputs.map((v) => g.node(v).name)).toEqual(['fc', 'aux1.fc2', 'aux2.fc2']);
    expect(g.output).toBe(g.outputs[0]);
    expect(g.inputs.map((v) => g.shape(v))).toEqual([[1, 224, 224, 3]]);
  });
});

describe('errors name the node, the expected and the actual shape', () => {
  it.each([
    {
      case: 'conv inChannels mismatch',
      add: (g: Graph, x: ValueId) => g.conv('blk.conv', x, { outChannels: 8, kernelH: 1, kernelW: 1, inChannels: 16, weight: 'w' }),
      message: "conv 'blk.conv': expected input 'input' of shape [2, 9, 11, 16], got [2, 9, 11, 3]",
    },
    {
      case: 'concat of different spatial sizes',
      add: (g: Graph, x: ValueId) => g.concat('mix', [x, g.maxPool('pool', x, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2 })]),
      message: "concat 'mix': expected input 'pool' of shape [2, 9, 11, *], got [2, 4, 5, 3]",
    },
    {
      case: 'add of different shapes',
      add: (g: Graph, x: ValueId) => g.add('res.add', x, g.conv('up', x, { outChannels: 4, kernelH: 1, kernelW: 1, weight: 'w' }), 0.1),
      message: "add 'res.add': expected input 'up' of shape [2, 9, 11, 3], got [2, 9, 11, 4]",
    },
    {
      case: 'fc on a feature map',
      add: (g: Graph, x: ValueId) => g.fc('head', x, { outFeatures: 10, weight: 'w' }),
      message: "fc 'head': expected input 'input' of shape [N, features], got [2, 9, 11, 3]",
    },
    {
      case: 'fc inFeatures mismatch',
      add: (g: Graph, x: ValueId) => g.fc('head', g.flatten('flat', x), { outFeatures: 10, inFeatures: 1024, weight: 'w' }),
      message: "fc 'head': expected input 'flat' of shape [2, 1024], got [2, 297]",
    },
    {
      case: 'flatten of a flat value',
      add: (g: Graph, x: ValueId) => g.flatten('f2', g.flatten('f1', x)),
      message: "flatten 'f2': expected input 'f1' of shape [N, H, W, C], got [2, 297]",
    },
    {
      case: 'window larger than the map',
      add: (g: Graph, x: ValueId) => g.avgPool('big', x, { kernelH: 10, kernelW: 10, strideH: 1, strideW: 1, countIncludePad: true }),
      message: "avgPool 'big': a 10x10/1x1 window does not fit input 'input' of shape [2, 9, 11, 3] (output 0x2); the input image is too small",
    },
    {
      case: 'grouped conv that is not depthwise',
      add: (g: Graph, x: ValueId) => g.conv('dw', x, { outChannels: 8, kernelH: 3, kernelW: 3, groups: 2, weight: 'w' }),
      message: "conv 'dw': groups 2 must be 1 or the input channels 3 (with outChannels a multiple of it)",
    },
    {
      case: 'duplicate node name',
      add: (g: Graph, x: ValueId) => g.relu('r', g.relu('r', x)),
      message: "relu 'r': a node of that name already exists",
    },
    {
      case: 'duplicate weight name',
      add: (g: Graph, x: ValueId) => g.conv('c2', g.conv('c1', x, { outChannels: 3, kernelH: 1, kernelW: 1, weight: 'w' }), { outChannels: 3, kernelH: 1, kernelW: 1, weight: 'w' }),
      message: "node 'c2': weight 'w' is already declared",
    },
  ])('$case', ({ add, message }) => {
    const { g, x } = small();
    expect(() => add(g, x)).toThrow(GraphError);
    expect(() => add(small().g, small().x)).toThrow(message);
  });

  it('a block built with the wrong table width names the block', () => {
    const l = new Layers(new Graph(), TORCH_UNIT);
    const x = l.g.input('input', [1, 28, 28, 192]);
    const c = { kernel5x5: 3 as const, same: () => pads(1), poolPad: 'valid' as const, ceilMode: true };
    expect(() => inceptionModule(l, c, x, 'inception3b', 256, 128, 128, 192, 32, 96, 64))
      .toThrow("block 'inception3b': expected input 'input' of shape [N, H, W, 256], got [1, 28, 28, 192]");
  });

  it('an input below the minimum names the first node that does not fit', () => {
    expect(() => buildNetwork('inception_v3', { inputSize: [74, 299] }))
      .toThrow(/maxPool 'Mixed_7a.branch_pool'|conv 'Mixed_7a\.[^']+': a 3x3\/2x2 window does not fit/);
  });

  it('unknown network, variant, or aux on a variant without aux heads', () => {
    expect(() => buildNetwork('alexnet')).toThrow("unknown network 'alexnet'");
    expect(() => buildNetwork('inception_v3', { variant: 'keras' })).toThrow("network 'inception_v3' has no variant 'keras'");
    expect(() => buildNetwork('inception_v2', { aux: true })).toThrow("network 'inception_v2' variant 'tf' has no aux heads");
  });
});
