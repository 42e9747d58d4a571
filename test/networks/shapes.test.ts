/**
 * Per-stage output shapes (NHWC) of every network at its standard size and at small / non-square
 * sizes, from the reference tables and, where they exist, the PyTorch fixtures' activations (NCHW).
 * Also: the smallest input each network builds for, and that smaller ones fail naming a node.
 */

import { describe, expect, it } from 'vitest';
import { formatShape } from '../../src/graph/graph.js';
import { MODELS, buildNetwork, type BuildOptions } from '../../src/inception/models.js';
import { FIXTURE_NAMES, HAVE_FIXTURES, SKIP_REASON, fixtureBuildOptions, fixtureClasses, loadFixture, nchwToNhwc } from './fixtures.js';

interface ShapeCase {
  case: string;
  network: string;
  options: BuildOptions;
  /** stage → 'HxWxC' for feature maps, 'F' for [N, F] values (batch checked separately). */
  stages: Record<string, string>;
}

const GOOGLENET_224 = {
  conv1: '112x112x64', maxpool1: '56x56x64', conv2: '56x56x64', conv3: '56x56x192', maxpool2: '28x28x192',
  inception3a: '28x28x256', inception3b: '28x28x480', maxpool3: '14x14x480',
  inception4a: '14x14x512', inception4b: '14x14x512', inception4c: '14x14x512', inception4d: '14x14x528',
  inception4e: '14x14x832', maxpool4: '7x7x832', inception5a: '7x7x832', inception5b: '7x7x1024',
  avgpool: '1x1x1024',
};

const V3_299 = {
  Conv2d_1a_3x3: '149x149x32', Conv2d_2a_3x3: '147x147x32', Conv2d_2b_3x3: '147x147x64', maxpool1: '73x73x64',
  Conv2d_3b_1x1: '73x73x80', Conv2d_4a_3x3: '71x71x192', maxpool2: '35x35x192',
  Mixed_5b: '35x35x256', Mixed_5c: '35x35x288', Mixed_5d: '35x35x288', Mixed_6a: '17x17x768',
  Mixed_6b: '17x17x768', Mixed_6c: '17x17x768', Mixed_6d: '17x17x768', Mixed_6e: '17x17x768',
  Mixed_7a: '8x8x1280', Mixed_7b: '8x8x2048', Mixed_7c: '8x8x2048', avgpool: '1x1x2048',
};

const features = (from: number, to: number, shape: string) =>
  Object.fromEntries(Array.from({ length: to - from + 1 }, (_, i) => [`features.${from + i}`, shape]));

const V2_TF_224 = {
  Conv2d_1a_7x7: '112x112x64', MaxPool_2a_3x3: '56x56x64', Conv2d_2b_1x1: '56x56x64', Conv2d_2c_3x3: '56x56x192',
  MaxPool_3a_3x3: '28x28x192', Mixed_3b: '28x28x256', Mixed_3c: '28x28x320', Mixed_4a: '14x14x576',
  Mixed_4b: '14x14x576', Mixed_4c: '14x14x576', Mixed_4d: '14x14x576', Mixed_4e: '14x14x576',
  Mixed_5a: '7x7x1024', Mixed_5b: '7x7x1024', Mixed_5c: '7x7x1024', 'Logits/AvgPool_1a_7x7': '1x1x1024', Logits: '1001',
};
const slim = (stages: Record<string, string>) =>
  Object.fromEntries(Object.entries(stages).map(([k, v]) => [`InceptionV2/${k}`, v]));

const CASES: ShapeCase[] = [
  { case: 'googlenet 224', network: 'googlenet', options: {}, stages: { ...GOOGLENET_224, fc: '1000' } },
  { case: 'googlenet caffe 224', network: 'googlenet', options: { variant: 'caffe' }, stages: { ...GOOGLENET_224, fc: '1000' } },
  { case: 'googlenet tf 224 (SAME)', network: 'googlenet', options: { variant: 'tf' }, stages: { ...GOOGLENET_224, fc: '1001' } },
  {
    case: 'googlenet 80x112', network: 'googlenet', options: { inputSize: [80, 112] },
    stages: { conv1: '40x56x64', maxpool1: '20x28x64', maxpool2: '10x14x192', inception3a: '10x14x256', maxpool3: '5x7x480', inception4e: '5x7x832', maxpool4: '3x4x832', inception5b: '3x4x1024', avgpool: '1x1x1024' },
  },
  {
    case: 'googlenet 15 (minimum: ceil-mode pools end in 1x1)', network: 'googlenet', options: { inputSize: 15 },
    stages: { conv1: '8x8x64', maxpool1: '4x4x64', maxpool2: '2x2x192', maxpool3: '1x1x480', maxpool4: '1x1x832', inception5b: '1x1x1024' },
  },
  {
    case: 'googlenet aux heads 224', network: 'googlenet', options: { aux: true },
    stages: { inception4a: '14x14x512', inception4d: '14x14x528', aux1: '1000', aux2: '1000', fc: '1000' },
  },
  { case: 'inception_v2 tf 224', network: 'inception_v2', options: {}, stages: slim(V2_TF_224) },
  {
    case: 'inception_v2 tf 99x101 (SAME: ceil(in/2))', network: 'inception_v2', options: { inputSize: [99, 101] },
    stages: slim({ Conv2d_1a_7x7: '50x51x64', MaxPool_2a_3x3: '25x26x64', MaxPool_3a_3x3: '13x13x192', Mixed_3c: '13x13x320', Mixed_4a: '7x7x576', Mixed_5a: '4x4x1024', Mixed_5c: '4x4x1024', Logits: '1001' }),
  },
  {
    case: 'inception_v2 caffe 224 (4c/4d 608, 4e 1056)', network: 'inception_v2', options: { variant: 'caffe' },
    stages: {
      conv1_7x7_s2: '112x112x64', pool1_3x3_s2: '56x56x64', conv2_3x3: '56x56x192', pool2_3x3_s2: '28x28x192',
      inception_3a: '28x28x256', inception_3b: '28x28x320', inception_3c: '14x14x576', inception_4a: '14x14x576',
      inception_4b: '14x14x576', inception_4c: '14x14x608', inception_4d: '14x14x608', inception_4e: '7x7x1056',
      inception_5a: '7x7x1024', inception_5b: '7x7x1024', global_pool: '1x1x1024', last_linear: '1000',
    },
  },
  { case: 'inception_v3 299', network: 'inception_v3', options: {}, stages: { ...V3_299, fc: '1000' } },
  { case: 'inception_v3 tf 299', network: 'inception_v3', options: { variant: 'tf' }, stages: { ...V3_299, fc: '1001' } },
  {
    case: 'inception_v3 75 (minimum: ends in 1x1)', network: 'inception_v3', options: { inputSize: 75 },
    stages: { Conv2d_1a_3x3: '37x37x32', maxpool1: '17x17x64', Conv2d_4a_3x3: '15x15x192', maxpool2: '7x7x192', Mixed_5d: '7x7x288', Mixed_6a: '3x3x768', Mixed_6e: '3x3x768', Mixed_7a: '1x1x1280', Mixed_7c: '1x1x2048' },
  },
  { case: 'inception_v3 299 aux', network: 'inception_v3', options: { aux: true }, stages: { Mixed_6e: '17x17x768', AuxLogits: '1000', fc: '1000' } },
  {
    case: 'inception_v4 299', network: 'inception_v4', options: {},
    stages: {
      'features.0': '149x149x32', 'features.1': '147x147x32', 'features.2': '147x147x64', 'features.3': '73x73x160',
      'features.4': '71x71x192', 'features.5': '35x35x384', ...features(6, 9, '35x35x384'), 'features.10': '17x17x1024',
      ...features(11, 17, '17x17x1024'), 'features.18': '8x8x1536', ...features(19, 21, '8x8x1536'),
      global_pool: '1536', last_linear: '1000',
    },
  },
  {
    case: 'inception_v4 75 (minimum)', network: 'inception_v4', options: { inputSize: 75 },
    stages: { 'features.3': '17x17x160', 'features.4': '15x15x192', 'features.5': '7x7x384', 'features.10': '3x3x1024', 'features.18': '1x1x1536', 'features.21': '1x1x1536' },
  },
  { case: 'inception_v4 tf 299 aux', network: 'inception_v4', options: { variant: 'tf', aux: true }, stages: { 'features.17': '17x17x1024', aux_logits: '1001', last_linear: '1001' } },
  {
    case: 'inception_resnet_v1 299', network: 'inception_resnet_v1', options: {},
    stages: {
      conv2d_1a: '149x149x32', conv2d_2a: '147x147x32', conv2d_2b: '147x147x64', maxpool_3a: '73x73x64',
      conv2d_3b: '73x73x80', conv2d_4a: '71x71x192', conv2d_4b: '35x35x256', repeat_1: '35x35x256',
      mixed_6a: '17x17x896', repeat_2: '17x17x896', mixed_7a: '8x8x1792', repeat_3: '8x8x1792', block8: '8x8x1792',
      avgpool_1a: '1x1x1792', last_linear: '1000',
    },
  },
  {
    case: 'inception_resnet_v1 facenet 160 (512-d embedding)', network: 'inception_resnet_v1', options: { variant: 'facenet' },
    stages: {
      conv2d_1a: '79x79x32', conv2d_2a: '77x77x32', conv2d_2b: '77x77x64', maxpool_3a: '38x38x64', conv2d_3b: '38x38x80',
      conv2d_4a: '36x36x192', conv2d_4b: '17x17x256', repeat_1: '17x17x256', mixed_6a: '8x8x896', mixed_7a: '3x3x1792',
      block8: '3x3x1792', avgpool_1a: '1x1x1792', last_linear: '512', last_bn: '512',
    },
  },
  {
    case: 'inception_resnet_v1 107x139', network: 'inception_resnet_v1', options: { inputSize: [107, 139] },
    stages: { conv2d_1a: '53x69x32', maxpool_3a: '25x33x64', conv2d_4a: '23x31x192', conv2d_4b: '11x15x256', mixed_6a: '5x7x896', mixed_7a: '2x3x1792', last_linear: '1000' },
  },
  {
    case: 'inception_resnet_v2 299', network: 'inception_resnet_v2', options: {},
    stages: {
      conv2d_1a: '149x149x32', conv2d_2a: '147x147x32', conv2d_2b: '147x147x64', maxpool_3a: '73x73x64',
      conv2d_3b: '73x73x80', conv2d_4a: '71x71x192', maxpool_5a: '35x35x192', mixed_5b: '35x35x320',
      repeat: '35x35x320', mixed_6a: '17x17x1088', repeat_1: '17x17x1088', mixed_7a: '8x8x2080', repeat_2: '8x8x2080',
      block8: '8x8x2080', conv2d_7b: '8x8x1536', global_pool: '1536', classif: '1000',
    },
  },
  {
    case: 'inception_resnet_v2 75 (minimum)', network: 'inception_resnet_v2', options: { inputSize: 75 },
    stages: { mixed_5b: '7x7x320', mixed_6a: '3x3x1088', mixed_7a: '1x1x2080', conv2d_7b: '1x1x1536' },
  },
  { case: 'inception_resnet_v2 tf 299 aux', network: 'inception_resnet_v2', options: { variant: 'tf', aux: true }, stages: { repeat_1: '17x17x1088', aux_logits: '1001', classif: '1001' } },
];

describe('per-stage output shapes (NHWC)', () => {
  it.each(CASES)('$case', (c) => {
    const g = buildNetwork(c.network, { batch: 2, ...c.options });
    const actual = Object.fromEntries(Object.keys(c.stages).map((name) => [name, g.shape(g.stage(name).value).slice(1).join('x')]));
    expect(actual).toEqual(c.stages);
    expect(g.stages.every((s) => g.shape(s.value)[0] === 2)).toBe(true);
    expect(g.shape(g.output)[0]).toBe(2);
  });
});

describe.skipIf(!HAVE_FIXTURES)(`per-stage shapes equal the PyTorch fixtures' activations${SKIP_REASON}`, () => {
  const fixtureCases = Object.entries(FIXTURE_NAMES).flatMap(([model, names]) => names.map((name) => ({ model, name })));
  it.each(fixtureCases)('$name', ({ model, name }) => {
    const fixture = loadFixture(name);
    const options = fixtureBuildOptions(fixture);
    const g = buildNetwork(model, options);
    for (const { module, shape } of fixture.activations) {
      // A hooked module is a stage, or (Caffe BN-Inception's branch pools and projections) a node of that name.
      const actual = g.stages.some((s) => s.name === module) ? g.shape(g.stage(module).value) : g.nodes.find((v) => v.name === module)?.shape;
      expect(actual && formatShape(actual), module).toBe(formatShape(nchwToNhwc(shape)));
    }
    expect(g.shape(g.output)).toEqual([options.batch, fixtureClasses(fixture)]);
  });
});

describe('smallest input size', () => {
  const cases = Object.entries(MODELS).flatMap(([network, entry]) =>
    Object.entries(entry.variants).map(([variant, info]) => ({ network, variant, min: info.minInputSize })));

  it.each(cases)('$network $variant builds at its minimum $min and a few sizes above', ({ network, variant, min }) => {
    for (const size of [min, min + 1, min + 2]) {
      if (network === 'inception_v2' && variant === 'caffe' && size % 32 > 6 && size % 32 < 31) continue;
      expect(() => buildNetwork(network, { variant, inputSize: size })).not.toThrow();
    }
    expect(() => buildNetwork(network, { variant, inputSize: [min, min + 96] })).not.toThrow();
  });

  it.each(cases.filter((c) => c.min > 1))('$network $variant at $min − 1 throws naming the node that does not fit', ({ network, variant, min }) => {
    expect(() => buildNetwork(network, { variant, inputSize: min - 1 })).toThrow(/'[^']+': .*(too small|expected)/);
  });
});
