/**
 * Every supported Keras layer, in small synthetic models, against @tensorflow/tfjs (CPU backend)
 * loading the very same model.json + weights: our engine's output within 1e-5·std (+1e-6) of
 * tfjs's, with all passes and with none. Covers TF SAME padding (odd pixel bottom/right), average
 * pools excluding padding, BN with and without gamma/beta, asymmetric kernels, Flatten's (H, W, C)
 * order into Dense, residual Add and the Inception-ResNet scaled residual, batch 2, and `logits`.
 */
import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/session.js';
import { importTfjs } from '../../src/tfjs/import.js';
import { randomArray } from '../helpers/kernel-env.js';
import { KerasFixture, loadInTfjs, runTfjs, type Artifacts } from './keras-fixture.js';

type Build = (k: KerasFixture) => string;

const cases: [name: string, input: [number, number, number], build: Build][] = [
  ['conv 3x3 s1 same +bias, BN(scale, center), relu → GAP → dense softmax', [9, 9, 3], (k) => {
    const x = k.activation('r', k.batchNorm('bn', k.conv('c', 'in', { filters: 6, kernel: 3, padding: 'same' })), 'relu');
    return k.dense('fc', k.gap('gap', x), { units: 5, activation: 'softmax' });
  }],
  ['Inception conv2d_bn: conv 3x3 s2 valid no bias, BN(scale=false) eps 1e-3, relu → maxpool 3x3 s2', [17, 15, 3], (k) => {
    const x = k.activation('r', k.batchNorm('bn', k.conv('c', 'in', { filters: 8, kernel: 3, strides: 2, useBias: false }), { scale: false }), 'relu');
    return k.pool('max', 'mp', x, { pool: 3, strides: 2 });
  }],
  ['TF SAME on even sizes: conv 3x3 s2 same, maxpool 3x3 s2 same (pads 0 top/left, 1 bottom/right)', [8, 10, 4], (k) =>
    k.pool('max', 'mp', k.conv('c', 'in', { filters: 5, kernel: 3, strides: 2, padding: 'same', activation: 'relu' }), { pool: 3, strides: 2, padding: 'same' })],
  ['avgpool 3x3 s1 same excludes padding (edges divide by 4 or 6)', [7, 6, 5], (k) =>
    k.pool('avg', 'ap', 'in', { pool: 3, strides: 1, padding: 'same' })],
  ['avgpool 5x5 s3 valid, BN(center=false, eps 1e-5)', [16, 16, 3], (k) =>
    k.batchNorm('bn', k.pool('avg', 'ap', 'in', { pool: 5, strides: 3 }), { center: false, epsilon: 1e-5 })],
  ['Inception-v3 block: 1x1 | 1x3→3x1 | 5x5 | avgpool→1x1, concatenated', [9, 9, 6], (k) => {
    const b0 = k.conv('b0', 'in', { filters: 4, kernel: 1, activation: 'relu' });
    const b1 = k.conv('b1b', k.conv('b1a', 'in', { filters: 3, kernel: [1, 3], padding: 'same' }), { filters: 5, kernel: [3, 1], padding: 'same' });
    const b2 = k.conv('b2', 'in', { filters: 2, kernel: 5, padding: 'same', useBias: false });
    const b3 = k.conv('b3', k.pool('avg', 'bp', 'in', { pool: 3, strides: 1, padding: 'same' }), { filters: 3, kernel: 1 });
    return k.concat('mixed', [b0, b1, b2, b3]);
  }],
  ['Flatten 3x2x4 (H, W, C order) → dense relu → dropout → dense softmax', [9, 7, 2], (k) => {
    const x = k.flatten('flat', k.pool('max', 'mp', k.conv('c', 'in', { filters: 4, kernel: 3, activation: 'relu' }), { pool: 2 }));
    return k.dense('fc2', k.dropout('drop', k.dense('fc1', x, { units: 7, activation: 'relu' })), { units: 3, activation: 'softmax' });
  }],
  ['Flatten 1x1 (AvgPool 8x8 head, nsfwjs style) → dense no bias', [8, 8, 6], (k) =>
    k.dense('fc', k.flatten('flat', k.pool('avg', 'ap', 'in', { pool: 8 })), { units: 4, useBias: false })],
  ['residual Add of three, then CustomScaleLayer x + 0.17·up, relu (Inception-ResNet)', [6, 6, 4], (k) => {
    const a = k.conv('a', 'in', { filters: 4, kernel: 3, padding: 'same' });
    const s = k.add('sum', ['in', a, k.conv('b', 'in', { filters: 4, kernel: 1 })]);
    const up = k.conv('up', k.conv('br', s, { filters: 3, kernel: 1, activation: 'relu' }), { filters: 4, kernel: 1 });
    return k.activation('ac', k.customScale('block35_1', s, up, 0.17), 'relu');
  }],
  ['Activation softmax as a separate output layer', [5, 5, 3], (k) =>
    k.activation('probs', k.dense('fc', k.gap('gap', 'in'), { units: 6 }), 'softmax')],
];

async function ours(art: Artifacts, x: Float32Array, options: { batch?: number; logits?: boolean; passes?: [] } = {}) {
  const m = await importTfjs({ modelJson: art.modelJson, weightData: art.weightData }, { batch: options.batch, logits: options.logits });
  const session = await createSession({ graph: m.graph, weights: m.weights, threads: 1, batch: options.batch, ...(options.passes ? { passes: options.passes } : {}) });
  try {
    return (await session.run(x, { layout: 'nhwc' })).logits;
  } finally {
    await session.dispose();
  }
}

function std(v: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i]! / v.length;
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - mean) ** 2 / v.length;
  return Math.sqrt(s);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

describe('Keras layers vs @tensorflow/tfjs on the same artifacts', () => {
  cases.forEach(([name, input, build], i) => {
    it(name, async () => {
      const k = new KerasFixture(100 + i);
      k.input('in', input);
      const art = k.artifacts('float32', build(k));
      const batch = 2;
      const x = randomArray(batch * input[0] * input[1] * input[2], 500 + i, 0, 1);
      const [theirs] = runTfjs(await loadInTfjs(art.modelJson, art.weightData), x, [batch, ...input]);
      const bound = 1e-5 * std(theirs!) + 1e-6;
      expect(maxAbsDiff(await ours(art, x, { batch }), theirs!), 'all passes').toBeLessThanOrEqual(bound);
      expect(maxAbsDiff(await ours(art, x, { batch, passes: [] }), theirs!), 'no passes').toBeLessThanOrEqual(bound);
    });
  });

  it('Keras 2.x Lambda residual (arguments {scale}) equals CustomScaleLayer', async () => {
    const build = (residual: 'lambda' | 'custom') => {
      const k = new KerasFixture(31);
      k.input('in', [5, 5, 4]);
      const up = k.conv('up', 'in', { filters: 4, kernel: 1 });
      const y = residual === 'lambda' ? k.lambdaScale('block8_1', 'in', up, 0.2) : k.customScale('block8_1', 'in', up, 0.2);
      return k.artifacts('float32', y);
    };
    const x = randomArray(5 * 5 * 4, 9, 0, 1);
    const viaCustom = build('custom');
    const [theirs] = runTfjs(await loadInTfjs(viaCustom.modelJson, viaCustom.weightData), x, [1, 5, 5, 4]);
    const lambda = await ours(build('lambda'), x);
    expect(maxAbsDiff(lambda, theirs!)).toBeLessThanOrEqual(1e-6);
    expect(Array.from(lambda)).toEqual(Array.from(await ours(viaCustom, x)));
  });

  it('logits: true drops the final softmax (Dense activation or Activation layer); tfjs with it set to linear', async () => {
    for (const asLayer of [false, true]) {
      const k = new KerasFixture(47);
      k.input('in', [6, 6, 3]);
      const h = k.gap('gap', k.conv('c', 'in', { filters: 8, kernel: 3, activation: 'relu' }));
      const out = asLayer ? k.activation('probs', k.dense('fc', h, { units: 5 }), 'softmax') : k.dense('fc', h, { units: 5, activation: 'softmax' });
      const art = k.artifacts('float32', out);
      const linear = structuredClone(art.modelJson);
      const layers = (linear.modelTopology.model_config as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
      layers[layers.length - 1]!.config.activation = 'linear';
      const x = randomArray(6 * 6 * 3, 3, 0, 1);
      const [theirLogits] = runTfjs(await loadInTfjs(linear, art.weightData), x, [1, 6, 6, 3]);
      const logits = await ours(art, x, { logits: true });
      expect(maxAbsDiff(logits, theirLogits!), asLayer ? 'Activation layer' : 'Dense activation').toBeLessThanOrEqual(1e-5 * std(theirLogits!) + 1e-6);
      expect(Math.abs(logits.reduce((s, v) => s + v, 0) - 1)).toBeGreaterThan(1e-3); // not probabilities
    }
  });

  it('declares weights by manifest name in graph layouts: Conv2D OIHW, Dense [out, in], Flatten→Dense as an HxW conv', async () => {
    const k = new KerasFixture(5);
    k.input('in', [4, 4, 2]);
    const y = k.dense('fc', k.flatten('flat', k.conv('c', 'in', { filters: 3, kernel: [2, 3], padding: 'same' })), { units: 2 });
    const art = k.artifacts('float32', k.dense('fc2', y, { units: 4 }));
    const m = await importTfjs({ modelJson: art.modelJson, weightData: art.weightData });
    expect(m.graph.weights.map((w) => [w.name, w.shape])).toEqual([
      ['c/kernel', [3, 2, 2, 3]], ['c/bias', [3]], ['fc/kernel', [2, 3, 4, 4]], ['fc/bias', [2]], ['fc2/kernel', [4, 2]], ['fc2/bias', [4]],
    ]);
    const hwio = art.original.get('c/kernel')!; // [kh=2][kw=3][in=2][out=3]
    const oihw = m.weights.get('c/kernel')!;
    expect(oihw[((2 * 2 + 1) * 2 + 1) * 3 + 2]).toBe(hwio[((1 * 3 + 2) * 2 + 1) * 3 + 2]); // o=2 i=1 y=1 x=2
    const dense = art.original.get('fc2/kernel')!; // [in=2][out=4]
    expect(m.weights.get('fc2/kernel')![3 * 2 + 1]).toBe(dense[1 * 4 + 3]); // out 3, in 1
    expect(m.inputs).toEqual([{ name: 'in', shape: [1, 4, 4, 2] }]);
    expect(m.outputs).toEqual([{ name: 'fc2', shape: [1, 4] }]);
    expect(m.classes).toBe(4);
  });
});
