/**
 * The published networks, end to end, against PyTorch (../shared/fixtures/torch): seeded weights
 * loaded by state-dict name, the fixture input, and the logits within the fixtures README's bound
 * (max |Δ| ≤ 1e-4·std of the float64 logits, and the same on the difference of the two batch
 * items). Small sizes always; every size with FULL=1. The fixture's `variant` field selects the
 * registry variant (BN-Inception's Caffe port, facenet's Inception-ResNet-v1) and its logits'
 * row length the class count (facenet: the 512-d embedding before its L2 normalisation).
 */
import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/session.js';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { compareToFixture, FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON } from '../helpers/fixtures.js';
import { fixtureBuildOptions, fixtureClasses, loadFixture } from './fixtures.js';

const BOUND = 1e-4;
const FULL = process.env.FULL === '1';

const cases: [model: string, fixture: string, full: boolean][] = [
  ['googlenet', 'googlenet_96', false],
  ['googlenet', 'googlenet_80x112', false],
  ['googlenet', 'googlenet_224', true],
  ['inception_v2', 'inception_v2_96', false],
  ['inception_v2', 'inception_v2_224', true],
  ['inception_v3', 'inception_v3_107x139', false],
  ['inception_v3', 'inception_v3_139', true],
  ['inception_v3', 'inception_v3_299', true],
  ['inception_v4', 'inception_v4_107x139', false],
  ['inception_v4', 'inception_v4_139', true],
  ['inception_v4', 'inception_v4_299', true],
  ['inception_resnet_v1', 'inception_resnet_v1_107x139', false],
  ['inception_resnet_v1', 'inception_resnet_v1_160', true],
  ['inception_resnet_v2', 'inception_resnet_v2_107x139', false],
  ['inception_resnet_v2', 'inception_resnet_v2_139', true],
  ['inception_resnet_v2', 'inception_resnet_v2_299', true],
];

describe.skipIf(!FIXTURES_AVAILABLE)(`PyTorch reference logits${FIXTURES_SKIP_REASON}`, () => {
  for (const [model, name, full] of cases) {
    it.skipIf(full && !FULL)(`${name}: max |Δlogits| ≤ ${BOUND}·std${full ? ' (FULL=1)' : ''}`, async () => {
      const fixture = loadFixture(name);
      expect(fixture.model, 'the fixture describes this network').toBe(model);
      const [n, c, h, w] = fixture.input.shape;
      const session = await createSession({ model, ...fixtureBuildOptions(fixture), threads: 1, weights: 'seeded' });
      try {
        const { logits, shape } = await session.run(seededInputNCHW(n, c, h, w));
        expect(shape).toEqual([n, fixtureClasses(fixture)]);
        const err = compareToFixture(logits, fixture);
        expect(err.logits, 'max |ours − logits_f64| / std').toBeLessThan(BOUND);
        expect(err.itemDiff, 'max |Δ(item0 − item1)| / std').toBeLessThan(BOUND);
      } finally {
        await session.dispose();
      }
    });
  }
});
