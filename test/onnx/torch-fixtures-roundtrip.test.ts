/**
 * BN-Inception (Cadene's Caffe port, variant `caffe`) and Inception-ResNet-v1 (facenet-pytorch,
 * variant `facenet`, the 512-d embedding before L2 normalisation) exported to ONNX with the
 * fixtures' seeded weights, then run two ways against PyTorch's float64 logits of the same
 * weights and input (../shared/fixtures/torch): the file loaded by our importer into a session,
 * and the same file in onnxruntime-node. Both within the fixtures README's bound, 1e-4·std, on the
 * logits and on the difference of the two batch items. Small sizes always; the standard size
 * with FULL=1.
 */
import { describe, expect, it } from 'vitest';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { createSession } from '../../src/session.js';
import { compareToFixture, FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON } from '../helpers/fixtures.js';
import { fixtureBuildOptions, fixtureClasses, loadFixture } from '../networks/fixtures.js';
import { BOUND, runOrt } from './helpers.js';

const FULL = process.env.FULL === '1';

const cases: [model: string, fixture: string, full: boolean][] = [
  ['inception_v2', 'inception_v2_96', false],
  ['inception_v2', 'inception_v2_224', true],
  ['inception_resnet_v1', 'inception_resnet_v1_107x139', false],
  ['inception_resnet_v1', 'inception_resnet_v1_160', true],
];

describe.skipIf(!FIXTURES_AVAILABLE)(`export to ONNX → our importer and onnxruntime-node → PyTorch float64 logits${FIXTURES_SKIP_REASON}`, () => {
  for (const [model, name, full] of cases) {
    it.skipIf(full && !FULL)(`${name}: imported file and onnxruntime both within ${BOUND}·std${full ? ' (FULL=1)' : ''}`, async () => {
      const fixture = loadFixture(name);
      expect(fixture.model, 'the fixture describes this network').toBe(model);
      expect(fixture.variant, "the fixture's registry variant").toBeDefined();
      const options = fixtureBuildOptions(fixture);
      const [n, c, h, w] = fixture.input.shape;
      const classes = fixtureClasses(fixture);
      const g = buildNetwork(model, options);
      const bytes = exportOnnx(g, seededWeights(g.weights));
      const x = seededInputNCHW(n, c, h, w);

      const session = await createSession({ onnx: bytes, batch: n, threads: 1 });
      let ours: Float32Array;
      try {
        expect(session.outputs.map((o) => o.shape)).toEqual([[n, classes]]);
        const result = await session.run(x);
        expect(result.shape).toEqual([n, classes]);
        ours = result.logits;
      } finally {
        await session.dispose();
      }
      const ort = (await runOrt(bytes, 'input', x, [n, c, h, w])).get('logits');
      expect(ort?.length, "onnxruntime's 'logits'").toBe(n * classes);

      const errOurs = compareToFixture(ours, fixture);
      const errOrt = compareToFixture(ort!, fixture);
      console.log(
        `${name} (${options.variant}): imported ONNX ${errOurs.logits.toExponential(2)}·std (items ${errOurs.itemDiff.toExponential(2)}), ` +
          `onnxruntime ${errOrt.logits.toExponential(2)}·std (items ${errOrt.itemDiff.toExponential(2)}) from PyTorch float64`,
      );
      expect(errOurs.logits, 'imported: max |ours − logits_f64| / std').toBeLessThan(BOUND);
      expect(errOurs.itemDiff, 'imported: max |Δ(item0 − item1)| / std').toBeLessThan(BOUND);
      expect(errOrt.logits, 'onnxruntime: max |ort − logits_f64| / std').toBeLessThan(BOUND);
      expect(errOrt.itemDiff, 'onnxruntime: max |Δ(item0 − item1)| / std').toBeLessThan(BOUND);
    });
  }
});
