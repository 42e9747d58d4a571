/**
 * The published networks, end to end, against PyTorch (../shared/fixtures/torch): seeded weights
 * loaded by state-dict name, the fixture input, and the logits within the fixtures README's bound
 * (max |Δ| ≤ 1e-4·std of the float64 logits, and the same on the difference of the two batch
 * items). Small sizes always; every size with FULL=1.
 */
import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/session.js';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { compareToFixture, FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, torchFixture } from '../helpers/fixtures.js';

const BOUND = 1e-4;
const FULL = process.env.FULL === '1';

const cases: [model: string, fixture: string, full: boolean][] = [
  ['googlenet', 'googlenet_96', false],
  ['googlenet', 'googlenet_80x112', false],
  ['googlenet', 'googlenet_224', true],
  ['inception_v3', 'inception_v3_107x139', false],
  ['inception_v3', 'inception_v3_139', true],
  ['inception_v3', 'inception_v3_299', true],
  ['inception_v4', 'inception_v4_107x139', false],
  ['inception_v4', 'inception_v4_139', true],
  ['inception_v4', 'inception_v4_299', true],
  ['inception_resnet_v2', 'inception_resnet_v2_107x139', false],
  ['inception_resnet_v2', 'inception_resnet_v2_139', true],
  ['inception_resnet_v2', 'inception_resnet_v2_299', true],
];

describe.skipIf(!FIXTURES_AVAILABLE)(`PyTorch reference logits${FIXTURES_SKIP_REASON}`, () => {
  for (const [model, name, full] of cases) {
    it.skipIf(full && !FULL)(`${name}: max |Δlogits| ≤ ${BOUND}·std${full ? ' (FULL=1)' : ''}`, async () => {
      const fixture = torchFixture(name);
      const [n, c, h, w] = fixture.input.shape;
      const session = await createSession({ model, inputSize: [h, w], batch: n, threads: 1 });
      try {
        const { logits, shape } = await session.run(seededInputNCHW(n, c, h, w));
        expect(shape).toEqual([n, 1000]);
        const err = compareToFixture(logits, fixture);
        expect(err.logits, 'max |ours − logits_f64| / std').toBeLessThan(BOUND);
        expect(err.itemDiff, 'max |Δ(item0 − item1)| / std').toBeLessThan(BOUND);
      } finally {
        await session.dispose();
      }
    });
  }
});
