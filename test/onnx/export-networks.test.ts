/**
 * Every network built here, exported to ONNX with seeded weights: onnxruntime-node (an
 * independent engine) agrees with our engine within 1e-4·std of its logits (the fixtures README's
 * bound; measured ~5e-6), and re-importing the file gives the builder's logits bit for bit.
 * Small input sizes keep this file near 15 s; the heavy half is in export-networks-large.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { miniNetwork } from '../graph/mini.js';
import { BOUND, exportRoundTrip, networkRoundTrips } from './helpers.js';

describe('export → onnxruntime and → re-import', () => {
  it('mini network (depthwise, LRN, ceil pools, both count_include_pad, residual 0.17, softmax) at 33x41', async () => {
    const g = miniNetwork(2, 33, 41);
    const r = await exportRoundTrip(g, seededWeights(g.weights));
    expect(r.ortError).toBeLessThan(BOUND);
    expect(r.kinds[1]).toEqual(r.kinds[0]);
    expect(r.reimportBitIdentical).toBe(true);
  });
  networkRoundTrips([
    ['googlenet', undefined, 96],
    ['googlenet', 'caffe', 63],
    ['inception_v2', undefined, 96],
    ['inception_v3', undefined, [107, 139]],
  ]);
});
