/**
 * The six registry networks with seeded weights, exported as TF.js graph models: @tensorflow/tfjs's
 * `loadGraphModel` (CPU backend) runs each file — the oracle — and our session imports the same
 * artifacts; logits within 1e-4·std of tfjs's. Small input sizes keep the file well under a minute.
 */
import { describe, expect, it } from 'vitest';
import { buildNetwork } from '../../src/inception/models.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { exportGraphModel } from '../../src/tfjs/export-graph-model.js';
import { BOUND, relErr, runOursGraph, runTfjsGraph, seeded } from './graph-model-helpers.js';

const NETWORKS: [string, number][] = [
  ['googlenet', 64],
  ['inception_v2', 64],
  ['inception_v3', 75],
  ['inception_v4', 75],
  ['inception_resnet_v1', 75],
  ['inception_resnet_v2', 75],
];

describe('registry networks as graph models: tfjs loadGraphModel vs our import', () => {
  for (const [name, size] of NETWORKS) {
    it(`${name} at ${size}×${size}`, async () => {
      const g = buildNetwork(name, { inputSize: size });
      const art = exportGraphModel(g, seededWeights(g.weights));
      const shape = [1, size, size, 3];
      const input = seeded(size * size * 3, 5);
      const expected = await runTfjsGraph(art, input, shape);
      const ours = await runOursGraph(art, input);
      expect(ours.inputs).toEqual([g.node(g.inputs[0]!).name]);
      const err = relErr(ours.out, expected);
      console.log(`${name}: max |Δ| / std = ${err.toExponential(2)}`);
      expect(err).toBeLessThan(BOUND);
    });
  }
});
