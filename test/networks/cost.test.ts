/**
 * Parameter and MAC counts equal reference/inception-architectures.md §1 (whole networks) and the
 * per-block figures of §3.3, §5.3, §6.3 and §8.3. Params = trainable (weights, biases, γ, β);
 * BN moving statistics separately; MACs = conv + FC multiply-accumulates at batch 1.
 */

import { describe, expect, it } from 'vitest';
import { graphCost, type GraphCost } from '../../src/graph/cost.js';
import { buildNetwork, type BuildOptions } from '../../src/inception/models.js';

interface NetworkCase {
  case: string;
  network: string;
  options: BuildOptions;
  params: number;
  bnStats: number;
  /** Exact MACs where §1 prints every digit. */
  macs?: number;
  /** Otherwise GMACs to the 3 decimals §1 prints. */
  gmacs?: number;
}

const SECTION_1: NetworkCase[] = [
  { case: 'GoogLeNet torchvision 224', network: 'googlenet', options: {}, params: 6_624_904, bnStats: 14_560, macs: 1_498_376_192 },
  { case: 'GoogLeNet torchvision 224 aux_logits', network: 'googlenet', options: { aux: true }, params: 13_004_888, bnStats: 15_072, macs: 1_498_376_192 + 8_372_224 },
  { case: 'GoogLeNet tf-slim inception_v1 224 1001', network: 'googlenet', options: { variant: 'tf' }, params: 6_618_649, bnStats: 14_560, macs: 1_498_377_216 },
  { case: 'GoogLeNet BVLC Caffe 224', network: 'googlenet', options: { variant: 'caffe' }, params: 6_998_552, bnStats: 0, gmacs: 1.583 },
  { case: 'BN-Inception tf-slim inception_v2 224 1001', network: 'inception_v2', options: {}, params: 11_179_361, bnStats: 19_776, gmacs: 1.935 },
  { case: 'BN-Inception Caffe port 224', network: 'inception_v2', options: { variant: 'caffe' }, params: 11_295_240, bnStats: 20_032, gmacs: 2.033 },
  { case: 'Inception-v3 torchvision 299', network: 'inception_v3', options: {}, params: 23_834_568, bnStats: 34_432, macs: 5_713_216_096 },
  { case: 'Inception-v3 torchvision 299 AuxLogits', network: 'inception_v3', options: { aux: true }, params: 27_161_264, bnStats: 36_224, macs: 5_713_216_096 + 5_683_200 },
  { case: 'Inception-v3 Keras 299 (tf, 1000)', network: 'inception_v3', options: { variant: 'tf', classes: 1000 }, params: 23_817_352, bnStats: 34_432, macs: 5_713_216_096 },
  { case: 'Inception-v3 tf-slim 299 1001', network: 'inception_v3', options: { variant: 'tf' }, params: 23_819_401, bnStats: 34_432, gmacs: 5.713 },
  { case: 'Inception-v3 tf-slim 299 1001 aux', network: 'inception_v3', options: { variant: 'tf', aux: true }, params: 23_819_401 + 3_326_569, bnStats: 34_432 + 1_792, macs: 5_713_216_096 + 2_048 + 5_683_968 },
  { case: 'Inception-v4 timm 299', network: 'inception_v4', options: {}, params: 42_679_816, bnStats: 63_168, macs: 12_253_974_624 },
  { case: 'Inception-v4 tf-slim 299 1001', network: 'inception_v4', options: { variant: 'tf' }, params: 42_649_769, bnStats: 63_168, gmacs: 12.254 },
  { case: 'Inception-v4 tf-slim 299 1001 aux', network: 'inception_v4', options: { variant: 'tf', aux: true }, params: 42_649_769 + 3_359_337, bnStats: 63_168 + 1_792, macs: 12_253_974_624 + 1_536 + 6_503_168 },
  { case: 'Inception-ResNet-v1 ImageNet head 299', network: 'inception_resnet_v1', options: {}, params: 24_357_096, bnStats: 28_576, gmacs: 6.309 },
  { case: 'Inception-ResNet-v1 facenet TF 160 512-d', network: 'inception_resnet_v1', options: { variant: 'facenet_tf' }, params: 23_467_824, bnStats: 29_600, gmacs: 1.418 },
  { case: 'Inception-ResNet-v1 facenet-pytorch 160 512-d', network: 'inception_resnet_v1', options: { variant: 'facenet' }, params: 23_482_624, bnStats: 29_600, gmacs: 1.418 },
  { case: 'Inception-ResNet-v1 facenet-pytorch 160 + VGGFace2 logits 8631', network: 'inception_resnet_v1', options: { variant: 'facenet', classes: 8631 }, params: 23_482_624 + 4_427_703, bnStats: 29_600, gmacs: 1.422 },
  { case: 'Inception-ResNet-v2 timm 299', network: 'inception_resnet_v2', options: {}, params: 55_843_464, bnStats: 60_544, macs: 13_155_794_016 },
  { case: 'Inception-ResNet-v2 Keras 299 (tf, 1000)', network: 'inception_resnet_v2', options: { variant: 'tf', classes: 1000 }, params: 55_813_192, bnStats: 60_544, macs: 13_155_794_016 },
  { case: 'Inception-ResNet-v2 tf-slim 299 1001', network: 'inception_resnet_v2', options: { variant: 'tf' }, params: 55_814_729, bnStats: 60_544, gmacs: 13.156 },
  { case: 'Inception-ResNet-v2 tf-slim 299 1001 aux', network: 'inception_resnet_v2', options: { variant: 'tf', aux: true }, params: 55_814_729 + 3_367_529, bnStats: 60_544 + 1_792, macs: 13_155_794_016 + 1_536 + 6_707_968 },
];

const costCache = new Map<string, GraphCost>();
function costOf(network: string, options: BuildOptions = {}): GraphCost {
  const key = `${network} ${JSON.stringify(options)}`;
  if (!costCache.has(key)) costCache.set(key, graphCost(buildNetwork(network, options)));
  return costCache.get(key)!;
}

describe('reference §1: params, BN statistics and MACs', () => {
  it.each(SECTION_1)('$case: params $params', (c) => {
    const cost = costOf(c.network, c.options);
    expect({ params: cost.params, bnStats: cost.bnStats }).toEqual({ params: c.params, bnStats: c.bnStats });
    if (c.macs !== undefined) expect(cost.macs).toBe(c.macs);
    if (c.gmacs !== undefined) expect(Math.round(cost.macs / 1e6) / 1e3).toBe(c.gmacs);
  });

  it.each(SECTION_1)('$case: stages add up to the total', (c) => {
    const cost = costOf(c.network, c.options);
    const sum = (key: 'params' | 'bnStats' | 'macs') => cost.stages.reduce((s, st) => s + st[key], 0);
    expect([sum('params'), sum('bnStats'), sum('macs')]).toEqual([cost.params, cost.bnStats, cost.macs]);
  });

  it('MACs scale with the batch', () => {
    expect(graphCost(buildNetwork('googlenet', { batch: 3 })).macs).toBe(3 * 1_498_376_192);
  });
});

interface StageCase {
  network: string;
  options?: BuildOptions;
  stage: string;
  /** The stage holds this many identical blocks (repeat stages); figures are per block. */
  count?: number;
  params?: number;
  /** MACs in millions, to the one decimal the reference prints. */
  mmacs: number;
}

const PER_BLOCK: StageCase[] = [
  // §3.3 GoogLeNet modules: MACs torchvision / Caffe
  ...([
    ['inception3a', 121.6, 128.0], ['inception3b', 265.7, 304.3], ['inception4a', 71.2, 73.6],
    ['inception4b', 83.1, 87.9], ['inception4c', 95.0, 99.9], ['inception4d', 112.1, 118.5],
    ['inception4e', 157.2, 170.0], ['inception5a', 47.9, 51.1], ['inception5b', 65.9, 70.7],
  ] as const).flatMap(([stage, tv, caffe]): StageCase[] => [
    { network: 'googlenet', stage, mmacs: tv },
    { network: 'googlenet', options: { variant: 'caffe' }, stage, mmacs: caffe },
  ]),
  // §5.3 Inception-v3
  { network: 'inception_v3', stage: 'Mixed_5b', params: 255_904, mmacs: 312.3 },
  { network: 'inception_v3', stage: 'Mixed_5c', params: 277_472, mmacs: 338.7 },
  { network: 'inception_v3', stage: 'Mixed_5d', params: 285_152, mmacs: 348.1 },
  { network: 'inception_v3', stage: 'Mixed_6a', params: 1_153_280, mmacs: 401.9 },
  { network: 'inception_v3', stage: 'Mixed_6b', params: 1_297_408, mmacs: 374.1 },
  { network: 'inception_v3', stage: 'Mixed_6c', params: 1_691_008, mmacs: 487.7 },
  { network: 'inception_v3', stage: 'Mixed_6d', params: 1_691_008, mmacs: 487.7 },
  { network: 'inception_v3', stage: 'Mixed_6e', params: 2_141_952, mmacs: 617.9 },
  { network: 'inception_v3', stage: 'Mixed_7a', params: 1_698_304, mmacs: 291.0 },
  { network: 'inception_v3', stage: 'Mixed_7b', params: 5_044_608, mmacs: 322.4 },
  { network: 'inception_v3', stage: 'Mixed_7c', params: 6_076_800, mmacs: 388.5 },
  // §6.3 Inception-v4 (timm features.i)
  { network: 'inception_v4', stage: 'features.3', params: 55_488, mmacs: 294.7 },
  { network: 'inception_v4', stage: 'features.4', params: 189_312, mmacs: 972.2 },
  { network: 'inception_v4', stage: 'features.5', params: 332_160, mmacs: 406.4 },
  ...[6, 7, 8, 9].map((i): StageCase => ({ network: 'inception_v4', stage: `features.${i}`, params: 317_632, mmacs: 387.6 })),
  { network: 'inception_v4', stage: 'features.10', params: 2_306_112, mmacs: 1097.2 },
  ...[11, 12, 13, 14, 15, 16, 17].map((i): StageCase => ({ network: 'inception_v4', stage: `features.${i}`, params: 2_936_256, mmacs: 847.3 })),
  { network: 'inception_v4', stage: 'features.18', params: 2_747_392, mmacs: 511.1 },
  ...[19, 20, 21].map((i): StageCase => ({ network: 'inception_v4', stage: `features.${i}`, params: 4_553_088, mmacs: 291.0 })),
  // §8.3 Inception-ResNet-v2
  { network: 'inception_resnet_v2', stage: 'mixed_5b', params: 268_320, mmacs: 327.4 },
  { network: 'inception_resnet_v2', stage: 'repeat', count: 10, params: 123_168, mmacs: 149.9 },
  { network: 'inception_resnet_v2', stage: 'mixed_6a', params: 2_664_960, mmacs: 1398.2 },
  { network: 'inception_resnet_v2', stage: 'repeat_1', count: 20, params: 1_126_784, mmacs: 324.9 },
  { network: 'inception_resnet_v2', stage: 'mixed_7a', params: 3_880_960, mmacs: 585.4 },
  { network: 'inception_resnet_v2', stage: 'repeat_2', count: 9, params: 2_035_424, mmacs: 130.0 },
  { network: 'inception_resnet_v2', stage: 'block8', params: 2_035_424, mmacs: 130.0 },
  { network: 'inception_resnet_v2', stage: 'conv2d_7b', params: 3_197_952, mmacs: 204.5 },
];

describe('reference per-block params and MACs', () => {
  const cases = PER_BLOCK.map((c) => ({
    ...c, case: `${c.network}${c.options?.variant ? ` ${c.options.variant}` : ''} ${c.stage}${c.count ? ` (${c.count} blocks)` : ''}`,
  }));
  it.each(cases)('$case', (c) => {
    const stage = costOf(c.network, c.options).stages.find((s) => s.name === c.stage);
    expect(stage, `stage ${c.stage}`).toBeDefined();
    const count = c.count ?? 1;
    if (c.params !== undefined) expect(stage!.params / count).toBe(c.params);
    expect(Math.round(stage!.macs / count / 1e5) / 10).toBe(c.mmacs);
  });

  it('Inception-v4 stem convs 1–3: 616.6 M MACs', () => {
    const stages = costOf('inception_v4').stages.filter((s) => ['features.0', 'features.1', 'features.2'].includes(s.name));
    expect(Math.round(stages.reduce((m, s) => m + s.macs, 0) / 1e5) / 10).toBe(616.6);
  });
});
