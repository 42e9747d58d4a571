/**
 * Inception-v2 = BN-Inception (Ioffe & Szegedy 2015, arXiv:1502.03167, Appendix table; reference §4).
 * Conv weights are declared OIHW like every other network (a TF checkpoint loader transposes HWIO).
 *
 * Variants:
 *  - 'tf' (default): tf-slim `inception_v2` with tf-slim variable names (`InceptionV2/…/weights`,
 *    `…/BatchNorm/beta`, `moving_mean`, `moving_variance`). TF SAME padding everywhere (asymmetric at
 *    stride 2), BN without γ (ε 1e-3), pool-branch avg pools exclude padding, 1001 classes. The first
 *    layer is a separable 7×7/2 conv: depthwise with channel multiplier 8 (3 → 24, output channel
 *    c·8+m, no bias), then pointwise 1×1 24 → 64 with bias, ReLU, and no BN (§4.1). Head: global avg
 *    pool (AvgPool_1a_7x7 at 224) → `Logits/Conv2d_1c_1x1` 1×1 conv with bias → squeeze.
 *  - 'caffe': Cadene's Caffe BN-Inception port (`pretrainedmodels` `bninception`) and its names
 *    (`inception_3a_1x1.weight`, `inception_3a_1x1_bn.running_mean`, …): every conv has a bias and
 *    BN(γ, β, ε 1e-5); ordinary 7×7/2 first conv; symmetric pads; ceil-mode pools; avg pools count
 *    padding; pool proj 128 in 4c/4d (608 channels, §4.5); head global avg → `last_linear` 1024→1000.
 */

import { Graph, GraphError } from '../graph/graph.js';
import type { ValueId } from '../graph/nodes.js';
import type { Padding } from '../graph/geometry.js';
import { CAFFE_BN_UNIT, Layers, SLIM_UNIT, pads, type NetworkOptions } from './layers.js';

export type InceptionV2Variant = 'tf' | 'caffe';

export interface Ctx {
  l: Layers;
  caffe: boolean;
}

type Role =
  | '1x1' | '3x3_reduce' | '3x3' | 'double_3x3_reduce' | 'double_3x3_1' | 'double_3x3_2' | 'pool' | 'pool_proj';

/** tf-slim scopes of each role (the Caffe port names the role itself: `inception_3a_3x3_reduce`). */
const SLIM_SCOPES: Record<'module' | 'reduction', Partial<Record<Role, string>>> = {
  module: {
    '1x1': 'Branch_0/Conv2d_0a_1x1', '3x3_reduce': 'Branch_1/Conv2d_0a_1x1', '3x3': 'Branch_1/Conv2d_0b_3x3',
    double_3x3_reduce: 'Branch_2/Conv2d_0a_1x1', double_3x3_1: 'Branch_2/Conv2d_0b_3x3',
    double_3x3_2: 'Branch_2/Conv2d_0c_3x3', pool_proj: 'Branch_3/Conv2d_0b_1x1',
  },
  reduction: {
    '3x3_reduce': 'Branch_0/Conv2d_0a_1x1', '3x3': 'Branch_0/Conv2d_1a_3x3',
    double_3x3_reduce: 'Branch_1/Conv2d_0a_1x1', double_3x3_1: 'Branch_1/Conv2d_0b_3x3',
    double_3x3_2: 'Branch_1/Conv2d_1a_3x3', pool: 'Branch_2/MaxPool_1a_3x3',
  },
};

function layer(c: Ctx, module: string, role: Role, kind: 'module' | 'reduction' = 'module'): string {
  return c.caffe ? `${module}_${role}` : `${module}/${SLIM_SCOPES[kind][role]}`;
}

/** Padding of a k×k conv or pool: TF SAME, or the Caffe port's symmetric (k−1)/2. */
function same(c: Ctx, k: number): Padding {
  return c.caffe ? pads((k - 1) / 2) : 'same';
}

/**
 * Stride-1 module (Appendix table columns): 1×1 | 3×3 reduce → 3×3 | double 3×3 reduce → 3×3 → 3×3 |
 * 3×3/1 avg or max pool → pool proj.
 */
export function inceptionModule(
  c: Ctx, x: ValueId, name: string, inChannels: number,
  ch1x1: number, ch3x3red: number, ch3x3: number, dblRed: number, dbl: number, pool: 'avg' | 'max', poolProj: number,
): ValueId {
  const { l } = c;
  l.expectChannels(name, x, inChannels);
  const poolOpts = { padding: same(c, 3), ceilMode: c.caffe };
  const b0 = l.conv(layer(c, name, '1x1'), x, ch1x1, 1);
  let b1 = l.conv(layer(c, name, '3x3_reduce'), x, ch3x3red, 1);
  b1 = l.conv(layer(c, name, '3x3'), b1, ch3x3, 3, { padding: same(c, 3) });
  let b2 = l.conv(layer(c, name, 'double_3x3_reduce'), x, dblRed, 1);
  b2 = l.conv(layer(c, name, 'double_3x3_1'), b2, dbl, 3, { padding: same(c, 3) });
  b2 = l.conv(layer(c, name, 'double_3x3_2'), b2, dbl, 3, { padding: same(c, 3) });
  const poolName = c.caffe ? `${name}_pool` : `${name}/Branch_3/${pool === 'avg' ? 'AvgPool' : 'MaxPool'}_0a_3x3`;
  let b3 = pool === 'avg'
    ? l.avgPool(poolName, x, 3, 1, c.caffe, poolOpts)
    : l.maxPool(poolName, x, 3, 1, poolOpts);
  b3 = l.conv(layer(c, name, 'pool_proj'), b3, poolProj, 1);
  return l.stage(name, l.g.concat(name, [b0, b1, b2, b3]));
}

/** Stride-2 module (3c, 4e): 3×3 reduce → 3×3/2 | double reduce → 3×3 → 3×3/2 | max 3×3/2 (pass-through). */
export function reductionModule(
  c: Ctx, x: ValueId, name: string, inChannels: number, ch3x3red: number, ch3x3: number, dblRed: number, dbl: number,
): ValueId {
  const { l } = c;
  l.expectChannels(name, x, inChannels);
  const stride2 = { stride: 2, padding: same(c, 3) };
  let b0 = l.conv(layer(c, name, '3x3_reduce', 'reduction'), x, ch3x3red, 1);
  b0 = l.conv(layer(c, name, '3x3', 'reduction'), b0, ch3x3, 3, stride2);
  let b1 = l.conv(layer(c, name, 'double_3x3_reduce', 'reduction'), x, dblRed, 1);
  b1 = l.conv(layer(c, name, 'double_3x3_1', 'reduction'), b1, dbl, 3, { padding: same(c, 3) });
  b1 = l.conv(layer(c, name, 'double_3x3_2', 'reduction'), b1, dbl, 3, stride2);
  const b2 = l.maxPool(layer(c, name, 'pool', 'reduction'), x, 3, 2, c.caffe ? { ceilMode: true } : { padding: 'same' });
  return l.stage(name, l.g.concat(name, [b0, b1, b2]));
}

/** `slim.separable_conv2d` 7×7/2, depth multiplier 8, then pointwise 1×1 with bias and ReLU (no BN). */
function separableStem(l: Layers, x: ValueId, name: string, outChannels: number, multiplier: number): ValueId {
  const inChannels = l.g.shape(x)[3]!;
  const depthwise = l.g.conv(`${name}/depthwise`, x, {
    outChannels: inChannels * multiplier, kernelH: 7, kernelW: 7, strideH: 2, strideW: 2, padding: 'same',
    groups: inChannels, weight: `${name}/depthwise_weights`,
  });
  const pointwise = l.g.conv(`${name}/pointwise`, depthwise, {
    outChannels, kernelH: 1, kernelW: 1, weight: `${name}/pointwise_weights`, bias: `${name}/biases`,
  });
  return l.g.relu(`${name}/Relu`, pointwise);
}

/** Builds BN-Inception. Shape comments are for a 224×224 input. */
export function inceptionV2(opts: NetworkOptions, variant: InceptionV2Variant = 'tf'): Graph {
  if (opts.aux) throw new GraphError('inception_v2 (BN-Inception) has no aux head in tf-slim or the Caffe port');
  const caffe = variant === 'caffe';
  const c: Ctx = { l: new Layers(new Graph(), caffe ? CAFFE_BN_UNIT : SLIM_UNIT), caffe };
  const { l } = c;
  /** Stem / head name in this variant: tf-slim scope or Caffe port module. */
  const n = (slim: string, caffeName: string) => (caffe ? caffeName : `InceptionV2/${slim}`);
  /** Module name: tf-slim `Mixed_3b` is the paper's (and Caffe port's) `3a`. */
  const m = (slim: string, paper: string) => n(slim, `inception_${paper}`);
  const pool = (name: string, x: ValueId) =>
    l.stage(name, l.maxPool(name, x, 3, 2, caffe ? { ceilMode: true } : { padding: 'same' }));
  const proj4cd = caffe ? 128 : 96;     // §4.5: the paper's table is inconsistent; the two ports differ
  const out4c = 160 + 160 + 160 + proj4cd;
  const out4d = 96 + 192 + 192 + proj4cd;

  let x = l.input(opts);                                                                   // 224×224×3
  const conv1 = n('Conv2d_1a_7x7', 'conv1_7x7_s2');
  x = l.stage(conv1, caffe
    ? l.conv(conv1, x, 64, 7, { stride: 2, padding: pads(3) })
    : separableStem(l, x, conv1, 64, 8));                                                  // 112×112×64
  x = pool(n('MaxPool_2a_3x3', 'pool1_3x3_s2'), x);                                        // 56×56×64
  const conv2a = n('Conv2d_2b_1x1', 'conv2_3x3_reduce');
  x = l.stage(conv2a, l.conv(conv2a, x, 64, 1));                                           // 56×56×64
  const conv2b = n('Conv2d_2c_3x3', 'conv2_3x3');
  x = l.stage(conv2b, l.conv(conv2b, x, 192, 3, { padding: same(c, 3) }));                 // 56×56×192
  x = pool(n('MaxPool_3a_3x3', 'pool2_3x3_s2'), x);                                        // 28×28×192

  x = inceptionModule(c, x, m('Mixed_3b', '3a'), 192, 64, 64, 64, 64, 96, 'avg', 32);      // 28×28×256
  x = inceptionModule(c, x, m('Mixed_3c', '3b'), 256, 64, 64, 96, 64, 96, 'avg', 64);      // 28×28×320
  x = reductionModule(c, x, m('Mixed_4a', '3c'), 320, 128, 160, 64, 96);                   // 14×14×576
  x = inceptionModule(c, x, m('Mixed_4b', '4a'), 576, 224, 64, 96, 96, 128, 'avg', 128);   // 14×14×576
  x = inceptionModule(c, x, m('Mixed_4c', '4b'), 576, 192, 96, 128, 96, 128, 'avg', 128);  // 14×14×576
  x = inceptionModule(c, x, m('Mixed_4d', '4c'), 576, 160, 128, 160, 128, 160, 'avg', proj4cd); // 14×14×576 (caffe 608)
  x = inceptionModule(c, x, m('Mixed_4e', '4d'), out4c, 96, 128, 192, 160, 192, 'avg', proj4cd); // 14×14×576 (caffe 608)
  x = reductionModule(c, x, m('Mixed_5a', '4e'), out4d, 128, 192, 192, 256);               // 7×7×1024 (caffe 1056)
  const in5a = 192 + 256 + out4d;
  x = inceptionModule(c, x, m('Mixed_5b', '5a'), in5a, 352, 192, 320, 160, 224, 'avg', 128); // 7×7×1024
  x = inceptionModule(c, x, m('Mixed_5c', '5b'), 1024, 352, 192, 320, 192, 224, 'max', 128); // 7×7×1024

  const avgpool = n('Logits/AvgPool_1a_7x7', 'global_pool');
  x = l.stage(avgpool, l.g.globalAvgPool(avgpool, x));                                     // 1×1×1024
  if (caffe) {
    x = l.g.flatten('flatten', x);                                                         // N×1024
    l.g.markOutput(l.stage('last_linear', l.linear('last_linear', x, opts.classes ?? 1000)));
    return l.g;
  }
  x = l.convWithBias('InceptionV2/Logits/Conv2d_1c_1x1', x, opts.classes ?? 1001, 1);     // 1×1×1001
  x = l.g.flatten('InceptionV2/Logits/SpatialSqueeze', x);                                 // N×1001
  l.g.markOutput(l.stage('InceptionV2/Logits', x));
  return l.g;
}
