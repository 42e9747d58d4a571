/**
 * Framework conventions each variant must carry (reference §2): TF SAME asymmetric pads, the
 * avg-pool border divisor, BN γ and ε, conv biases, residual scales and the final Block8 without ReLU.
 */

import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/graph.js';
import type { GraphNode, NodeOf } from '../../src/graph/nodes.js';
import { buildNetwork, type BuildOptions } from '../../src/inception/models.js';

function nodesOf<K extends GraphNode['kind']>(g: Graph, kind: K): NodeOf<K>[] {
  return g.nodes.filter((n): n is NodeOf<K> => n.kind === kind);
}

function named(g: Graph, name: string): GraphNode {
  const node = g.nodes.find((n) => n.name === name);
  if (node === undefined) throw new Error(`no node '${name}'`);
  return node;
}

describe('TF SAME pads (reference §2.2): asymmetric at stride 2, extra pixel bottom/right', () => {
  it.each([
    { case: 'googlenet tf conv1 7x7/2 224→112', network: 'googlenet', options: { variant: 'tf' }, node: 'conv1.conv', pads: [2, 2, 3, 3] },
    { case: 'googlenet tf maxpool1 3x3/2 112→56', network: 'googlenet', options: { variant: 'tf' }, node: 'maxpool1', pads: [0, 0, 1, 1] },
    { case: 'googlenet tf maxpool4 2x2/2 14→7', network: 'googlenet', options: { variant: 'tf' }, node: 'maxpool4', pads: [0, 0, 0, 0] },
    { case: 'googlenet tf maxpool1 at odd 113 pads (1,1)', network: 'googlenet', options: { variant: 'tf', inputSize: 226 }, node: 'maxpool1', pads: [1, 1, 1, 1] },
    { case: 'googlenet torchvision conv1 pad 3', network: 'googlenet', options: {}, node: 'conv1.conv', pads: [3, 3, 3, 3] },
    { case: 'inception_v2 depthwise 7x7/2 224→112', network: 'inception_v2', options: {}, node: 'InceptionV2/Conv2d_1a_7x7/depthwise', pads: [2, 2, 3, 3] },
    { case: 'inception_v2 Mixed_4a 3x3/2 conv 28→14', network: 'inception_v2', options: {}, node: 'InceptionV2/Mixed_4a/Branch_0/Conv2d_1a_3x3/Conv2D', pads: [0, 0, 1, 1] },
    { case: 'inception_v2 Mixed_5a 3x3/2 conv 14→7', network: 'inception_v2', options: {}, node: 'InceptionV2/Mixed_5a/Branch_1/Conv2d_1a_3x3/Conv2D', pads: [0, 0, 1, 1] },
    { case: 'inception_v2 caffe 3c 3x3/2 conv symmetric 1', network: 'inception_v2', options: { variant: 'caffe' }, node: 'inception_3c_3x3', pads: [1, 1, 1, 1] },
    { case: 'inception_v3 Conv2d_1a 3x3/2 VALID', network: 'inception_v3', options: {}, node: 'Conv2d_1a_3x3.conv', pads: [0, 0, 0, 0] },
    { case: 'inception_v3 1x7 pads (0,3)', network: 'inception_v3', options: {}, node: 'Mixed_6b.branch7x7_2.conv', pads: [0, 3, 0, 3] },
  ] satisfies { case: string; network: string; options: BuildOptions; node: string; pads: number[] }[])('$case', (c) => {
    const node = named(buildNetwork(c.network, c.options), c.node);
    if (!('pads' in node)) throw new Error(`${c.node} has no window`);
    expect([node.pads.top, node.pads.left, node.pads.bottom, node.pads.right]).toEqual(c.pads);
  });
});

describe('conv unit and pooling conventions per variant (reference §2.1, §2.3)', () => {
  it.each([
    { case: 'googlenet torchvision', network: 'googlenet', options: {}, gamma: true, eps: 1e-3, convBias: false, avgIncludePad: [], maxCeil: true, lrn: 0 },
    { case: 'googlenet caffe', network: 'googlenet', options: { variant: 'caffe' }, gamma: undefined, eps: undefined, convBias: true, avgIncludePad: [], maxCeil: true, lrn: 2 },
    { case: 'googlenet tf', network: 'googlenet', options: { variant: 'tf' }, gamma: false, eps: 1e-3, convBias: false, avgIncludePad: [], maxCeil: false, lrn: 0 },
    { case: 'inception_v2 tf', network: 'inception_v2', options: {}, gamma: false, eps: 1e-3, convBias: false, avgIncludePad: [false], maxCeil: false, lrn: 0 },
    { case: 'inception_v2 caffe', network: 'inception_v2', options: { variant: 'caffe' }, gamma: true, eps: 1e-5, convBias: true, avgIncludePad: [true], maxCeil: true, lrn: 0 },
    { case: 'inception_v3 torchvision', network: 'inception_v3', options: {}, gamma: true, eps: 1e-3, convBias: false, avgIncludePad: [true], maxCeil: false, lrn: 0 },
    { case: 'inception_v3 tf', network: 'inception_v3', options: { variant: 'tf' }, gamma: false, eps: 1e-3, convBias: false, avgIncludePad: [false], maxCeil: false, lrn: 0 },
    { case: 'inception_v4 timm', network: 'inception_v4', options: {}, gamma: true, eps: 1e-3, convBias: false, avgIncludePad: [false], maxCeil: false, lrn: 0 },
    { case: 'inception_resnet_v1 facenet_tf', network: 'inception_resnet_v1', options: { variant: 'facenet_tf' }, gamma: false, eps: 1e-3, convBias: false, avgIncludePad: [], maxCeil: false, lrn: 0 },
    { case: 'inception_resnet_v2 timm', network: 'inception_resnet_v2', options: {}, gamma: true, eps: 1e-3, convBias: false, avgIncludePad: [false], maxCeil: false, lrn: 0 },
  ])('$case', (c) => {
    const g = buildNetwork(c.network, c.options);
    const bn = nodesOf(g, 'batchNorm');
    expect([...new Set(bn.map((n) => n.gamma !== undefined))]).toEqual(c.gamma === undefined ? [] : [c.gamma]);
    expect([...new Set(bn.map((n) => n.eps))]).toEqual(c.eps === undefined ? [] : [c.eps]);
    const branchConvs = nodesOf(g, 'conv').filter((n) => !/conv2d$|Logits|pointwise/.test(n.name));
    expect([...new Set(branchConvs.map((n) => n.bias !== undefined))]).toEqual([c.convBias]);
    expect([...new Set(nodesOf(g, 'avgPool').map((n) => n.countIncludePad))]).toEqual(c.avgIncludePad);
    expect([...new Set(nodesOf(g, 'maxPool').map((n) => n.ceilMode))]).toEqual([c.maxCeil]);
    expect(nodesOf(g, 'lrn')).toHaveLength(c.lrn);
  });

  it('googlenet "5x5" branch: 3x3 in torchvision and tf-slim, true 5x5 in caffe', () => {
    const kernel = (variant: string) => (named(buildNetwork('googlenet', { variant }), 'inception3a.branch3.1.conv') as NodeOf<'conv'>).kernelH;
    expect([kernel('torchvision'), kernel('tf'), kernel('caffe')]).toEqual([3, 3, 5]);
  });

  it('inception_v2 stem: depthwise 3→24 (multiplier 8, groups 3), pointwise with bias, no BN before ReLU', () => {
    const g = buildNetwork('inception_v2');
    const dw = named(g, 'InceptionV2/Conv2d_1a_7x7/depthwise') as NodeOf<'conv'>;
    const pw = named(g, 'InceptionV2/Conv2d_1a_7x7/pointwise') as NodeOf<'conv'>;
    expect([dw.groups, dw.inChannels, dw.outChannels, dw.bias]).toEqual([3, 3, 24, undefined]);
    expect(g.weight(dw.weight).shape).toEqual([24, 1, 7, 7]);
    expect([pw.outChannels, pw.bias]).toEqual([64, 'InceptionV2/Conv2d_1a_7x7/biases']);
    expect(g.nodes[pw.id + 1]!.kind).toBe('relu');
  });
});

describe('Inception-ResNet residuals: conv(+bias) → add(x, up, scale) → relu; last Block8 scale 1, no ReLU', () => {
  it.each([
    { network: 'inception_resnet_v2', scales: [...Array(10).fill(0.17), ...Array(20).fill(0.1), ...Array(9).fill(0.2), 1] },
    { network: 'inception_resnet_v1', scales: [...Array(5).fill(0.17), ...Array(10).fill(0.1), ...Array(5).fill(0.2), 1] },
  ])('$network', ({ network, scales }) => {
    const g = buildNetwork(network);
    const adds = nodesOf(g, 'add');
    expect(adds.map((a) => a.scale)).toEqual(scales);
    for (const add of adds) {
      const up = g.node(add.inputs[1]!);
      expect(up.kind === 'conv' && up.bias !== undefined && up.kernelH === 1, `${add.name} up conv`).toBe(true);
      expect(g.shape(add.inputs[0]!)).toEqual(add.shape);
    }
    const followedByRelu = adds.map((a) => g.nodes.some((n) => n.kind === 'relu' && n.inputs[0] === a.id));
    expect(followedByRelu).toEqual([...Array(scales.length - 1).fill(true), false]);
    expect(adds.at(-1)!.name).toBe('block8.add');
  });
});
