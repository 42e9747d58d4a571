/**
 * The TF.js form of our graphs (bench/peers/tfjs-graph.ts), on tfjs-core's pure-JS CPU backend
 * (installed, deterministic), against our engine: max |Δ| ≤ 1e-4 · std of our logits. Covers the
 * mappings the tfjs-backend-wasm peer relies on — conv+BN+ReLU folding, depthwise with asymmetric
 * pads, LRN, ceil-mode max pools, avg pools with and without count_include_pad, the scaled
 * residual, fc — so a wrong mapping is caught here rather than as a peer "mismatch" in the bench.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/graph.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';
import { buildTfjsModel, type Tf } from '../../bench/peers/tfjs-graph.js';
import { checkOutput } from '../../bench/peers/stats.js';
import { miniNetwork } from '../graph/mini.js';

const TOLERANCE = 1e-4;

async function compare(g: Graph): Promise<{ relative: number; ops: Record<string, number> }> {
  const weights = seededWeights(g.weights);
  const [n, h, w, c] = g.shape(g.inputs[0]);
  const input = seededInputNCHW(n, c, h, w);
  const session = await createSession({ graph: g, weights, threads: 1, batch: n });
  try {
    const ours = (await session.run(input)).logits;
    const model = buildTfjsModel(tf as unknown as Tf, g, weights);
    try {
      const theirs = model.run(input);
      return { relative: checkOutput(ours, theirs, TOLERANCE).relative, ops: { ...model.opCounts } };
    } finally {
      model.dispose();
    }
  } finally {
    await session.dispose();
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TF.js form of the graph agrees with our engine', () => {
  it('mini network (depthwise pads 0/1, LRN, ceil max pool, both count_include_pad, residual, softmax), batch 2, 33x41', async () => {
    const r = await compare(miniNetwork(2, 33, 41));
    expect(r.relative).toBeLessThan(TOLERANCE);
    expect(r.ops).toMatchObject({ 'fused.depthwiseConv2d': 1, localResponseNormalization: 1 });
  });
  it.each([
    ['googlenet', 'caffe', 63, 'LRN, ceil-mode max pools, 5x5 branch'],
    ['inception_v2', 'tf', 64, 'separable stem (depthwise, pads 2/3)'],
    ['inception_v3', 'torchvision', 75, 'avg pool count_include_pad=true'],
    ['inception_resnet_v2', 'timm', 75, 'scaled residual adds, avg pool count_include_pad=false'],
  ] as [string, string, number, string][])('%s (%s) at %i px: %s', async (model, variant, size) => {
    const r = await compare(buildNetwork(model, { variant, inputSize: size }));
    expect(r.relative).toBeLessThan(TOLERANCE);
  });
});
