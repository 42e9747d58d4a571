/**
 * A real pretrained Keras Inception-v3 in TF.js layers format (nsfwjs 4.4.0, uint8-quantised;
 * ../shared/fixtures/README.md "tfjs-keras-inception-v3"), imported and run by our engine:
 *
 * 1. against @tensorflow/tfjs 4.22 (pure-JS CPU backend) loading the same files, on one seeded
 *    random image (mulberry32(20240611), x in [0, 1), NHWC [1, 299, 299, 3]):
 *    - pre-softmax logits: ours from the graph imported with `logits: true` (the final Dense's
 *      softmax left out); tfjs's = `dense_2` output · `dense_3` kernel + bias, computed with tfjs ops
 *      from the same predict — exactly what tfjs's Dense computes before its softmax. Bound
 *      1e-4·std(tfjs logits), the torch fixtures' bound;
 *    - probabilities (our softmax kernel vs tfjs's): within 1e-5 absolute.
 *    tfjs's CPU convolution runs at ~0.5 GFLOP/s here, so this takes ~45 s.
 * 2. against reference-outputs/nsfwjs_inception_v3_probs_jpegjs.json on its six images, preprocessed
 *    as that file was made (jpeg-js decode, bilinear resize to 299 with align_corners, x/255 — our
 *    src/image `preprocess(preset 'unit', alignCorners)`), within 1e-5 absolute (measured ≤ 2.4e-7;
 *    the fixture README's 1e-3 allows for other decoders, which we do not use).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage, preprocess } from '../../src/image/index.js';
import { createSession, type Session } from '../../src/session.js';
import { importTfjs } from '../../src/tfjs/import.js';
import { mulberry32 } from '../../src/util/prng.js';
import { FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';
import { concatBytes, loadInTfjs, type Artifacts } from './keras-fixture.js';

const MODEL_DIR = fixturePath('tfjs-keras-inception-v3/');
const REFERENCE = fixturePath('reference-outputs/nsfwjs_inception_v3_probs_jpegjs.json');
const AVAILABLE = existsSync(`${MODEL_DIR}model.json`) && existsSync(REFERENCE);
const SKIP = AVAILABLE ? '' : FIXTURES_SKIP_REASON || ` (skipped: ${MODEL_DIR} is absent)`;
const CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

function seededImage(seed: number): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: 299 * 299 * 3 }, () => next());
}

function std(v: ArrayLike<number>): number {
  const mean = Array.from(v).reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(Array.from(v).reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

describe.skipIf(!AVAILABLE)(`nsfwjs Inception-v3 (Keras 2.2.4 → TF.js layers, uint8 weights)${SKIP}`, () => {
  let probs: Session;
  let logits: Session;

  beforeAll(async () => {
    const withSoftmax = await importTfjs(MODEL_DIR);
    expect(withSoftmax.inputs).toEqual([{ name: 'input_1', shape: [1, 299, 299, 3] }]);
    expect(withSoftmax.outputs).toEqual([{ name: 'dense_3', shape: [1, 5] }]);
    expect(withSoftmax.kerasVersion).toBe('2.2.4');
    const withoutSoftmax = await importTfjs(`${MODEL_DIR}model.json`, { logits: true });
    probs = await createSession({ graph: withSoftmax.graph, weights: withSoftmax.weights, threads: 1 });
    logits = await createSession({ graph: withoutSoftmax.graph, weights: withoutSoftmax.weights, threads: 1 });
    expect(probs.info.params).toBe(22_326_437); // Keras InceptionV3 no-top 21,768,352 + 2048·256+256 + 256·128+128 + 128·5+5
  });

  afterAll(async () => {
    await probs?.dispose();
    await logits?.dispose();
  });

  it('seeded random input: logits within 1e-4·std of tfjs CPU, probabilities within 1e-5', async () => {
    const json = JSON.parse(readFileSync(`${MODEL_DIR}model.json`, 'utf8')) as Artifacts['modelJson'];
    const shards = json.weightsManifest.flatMap((g) => g.paths).map((p) => new Uint8Array(readFileSync(MODEL_DIR + p)));
    tf.enableProdMode();
    const model = await loadInTfjs(json, concatBytes(shards));
    const x = seededImage(20240611);
    const [theirHidden, theirProbs, theirLogits] = tf.tidy(() => {
      const twoOutputs = tf.model({ inputs: model.inputs, outputs: [model.getLayer('dense_2').output, model.output] as tf.SymbolicTensor[] });
      const [hidden, p] = twoOutputs.predict(tf.tensor(x, [1, 299, 299, 3])) as tf.Tensor[];
      const [kernel, bias] = model.getLayer('dense_3').getWeights();
      return [hidden!.dataSync(), p!.dataSync(), tf.add(tf.matMul(hidden!, kernel!), bias!).dataSync()];
    });
    model.dispose();
    expect(theirHidden!.length).toBe(128);

    const ourLogits = (await logits.run(x, { layout: 'nhwc' })).logits;
    const ourProbs = (await probs.run(x, { layout: 'nhwc' })).logits;
    const logitErr = maxAbsDiff(ourLogits, theirLogits!) / std(theirLogits!);
    const probErr = maxAbsDiff(ourProbs, theirProbs!);
    console.log(`nsfwjs vs tfjs: max |Δlogits|/std ${logitErr.toExponential(2)}, max |Δprob| ${probErr.toExponential(2)}`);
    expect(logitErr, 'max |Δlogits| / std(tfjs logits)').toBeLessThan(1e-4);
    expect(probErr, 'max |Δprobability|').toBeLessThan(1e-5);
  });

  const reference = AVAILABLE ? JSON.parse(readFileSync(REFERENCE, 'utf8')) as Record<string, { classes: string[]; probs: number[] }> : {};
  for (const [image, expected] of Object.entries(reference)) {
    it(`${image}: probabilities within 1e-5 of the jpeg-js/tfjs reference`, async () => {
      expect(expected.classes).toEqual(CLASSES);
      const rgb = await loadImage(fixturePath(`images/${image}`));
      const x = preprocess(rgb, { preset: 'unit', size: [299, 299], alignCorners: true });
      const ours = (await probs.run(x, { layout: 'nchw' })).logits;
      expect(maxAbsDiff(ours, expected.probs), `ours ${Array.from(ours, (p) => p.toFixed(6))}`).toBeLessThan(1e-5);
    });
  }
});
