/**
 * Every network gives bit-identical outputs at 1, 2 and 3 threads: each op is split over its
 * outputs with a split that depends only on shapes, never over a reduction, so the thread that
 * computes an element cannot change its rounding. (3 threads on 2 cores also exercises the
 * no-spin path of the barrier.) Small inputs, batch 2, seeded weights.
 */
import { describe, expect, it } from 'vitest';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';

const cases: [model: string, variant: string | undefined, size: number | [number, number]][] = [
  ['googlenet', undefined, [80, 112]],
  ['googlenet', 'caffe', 63],
  ['inception_v2', undefined, 96],
  ['inception_v3', undefined, 75],
  ['inception_v4', undefined, 75],
  ['inception_resnet_v1', undefined, 75],
  ['inception_resnet_v2', undefined, 75],
];

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

describe('outputs are bit-identical at 1, 2 and 3 threads', () => {
  for (const [model, variant, size] of cases) {
    it(`${model}${variant ? ` (${variant})` : ''} at ${Array.isArray(size) ? size.join('x') : size}, batch 2`, async () => {
      const outputs: Float32Array[] = [];
      let input: Float32Array | undefined;
      const weights = seededWeights(buildNetwork(model, { variant }).weights);
      for (const threads of [1, 2, 3]) {
        const session = await createSession({ model, variant, inputSize: size, batch: 2, threads, weights });
        try {
          expect(session.info.threads).toBe(threads);
          const [n, c, h, w] = session.info.inputShape;
          input ??= seededInputNCHW(n, c, h, w);
          outputs.push((await session.run(input)).logits);
        } finally {
          await session.dispose();
        }
      }
      expect(outputs[0].every(Number.isFinite), 'finite logits').toBe(true);
      expect(bitsEqual(outputs[0], outputs[1]), '1 vs 2 threads').toBe(true);
      expect(bitsEqual(outputs[0], outputs[2]), '1 vs 3 threads').toBe(true);
    });
  }
});
