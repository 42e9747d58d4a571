/**
 * Normalisation presets against their published formulas, the NCHW layout, the batch helper, and
 * the nsfwjs recipe (resize with align corners, x/255) against tfjs.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/image/decode.js';
import { loadImage } from '../../src/image/load.js';
import { PRESET_NAMES, preprocess, preprocessBatch, type PresetName } from '../../src/image/preprocess.js';
import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';

/** Two pixels side by side: (R, G, B) = (0, 128, 255) and (255, 64, 10). */
const TWO: RgbImage = { width: 2, height: 1, data: new Uint8Array([0, 128, 255, 255, 64, 10]) };
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** Expected [channel][pixel] straight from each framework's formula, written out independently. */
const rgb = (c: number) => [TWO.data[c], TWO.data[3 + c]];
const EXPECTED: Record<PresetName, number[][]> = {
  torchvision: [0, 1, 2].map((c) => rgb(c).map((x) => (x / 255 - MEAN[c]) / STD[c])),
  // torchvision's two steps: Normalize, then the model's transform_input
  'torchvision-transform-input': [0, 1, 2].map((c) => rgb(c).map((x) => ((x / 255 - MEAN[c]) / STD[c]) * (STD[c] / 0.5) + (MEAN[c] - 0.5) / 0.5)),
  tf: [0, 1, 2].map((c) => rgb(c).map((x) => x / 127.5 - 1)),
  keras: [0, 1, 2].map((c) => rgb(c).map((x) => x / 127.5 - 1)),
  caffe: [[TWO.data[2] - 104, TWO.data[5] - 104], [TWO.data[1] - 117, TWO.data[4] - 117], [TWO.data[0] - 123, TWO.data[3] - 123]],
  'caffe-bn-inception': [[TWO.data[2] - 104, TWO.data[5] - 104], [TWO.data[1] - 117, TWO.data[4] - 117], [TWO.data[0] - 128, TWO.data[3] - 128]],
  facenet: [0, 1, 2].map((c) => rgb(c).map((x) => (x - 127.5) / 128)),
  unit: [0, 1, 2].map((c) => rgb(c).map((x) => x / 255)),
};

describe('presets: NCHW [1, 3, 1, 2] values by formula', () => {
  it('every preset has a test row', () => expect(Object.keys(EXPECTED).sort()).toEqual([...PRESET_NAMES].sort()));

  it.each(PRESET_NAMES.map((preset) => ({ preset })))('$preset', ({ preset }) => {
    const out = preprocess(TWO, { preset, size: [1, 2] });
    expect(out).toBeInstanceOf(Float32Array);
    expect(out.length).toBe(6);
    const chw = EXPECTED[preset].flat();
    chw.forEach((v, i) => expect(out[i], `channel ${i >> 1} pixel ${i & 1}`).toBeCloseTo(v, 5));
  });

  it('spot values: torchvision R of 0 is −0.485/0.229 = −2.1179; caffe channel 0 is B − 104 = 151; tf of 128 is 0.00392', () => {
    expect(preprocess(TWO, { preset: 'torchvision', size: [1, 2] })[0]).toBeCloseTo(-2.117904, 5);
    expect(preprocess(TWO, { preset: 'caffe', size: [1, 2] })[0]).toBe(151);
    expect(preprocess(TWO, { preset: 'tf', size: [1, 2] })[2]).toBeCloseTo(0.003922, 6);
  });

  it('an explicit normalisation works like a preset', () => {
    const out = preprocess(TWO, { preset: { order: [1, 1, 1], scale: [2, 2, 2], shift: [1, 0, 0] }, size: [1, 2] });
    expect([...out]).toEqual([257, 129, 256, 128, 256, 128]);
  });

  it('an unknown preset lists the valid ones', () => {
    expect(() => preprocess(TWO, { preset: 'imagenet' as PresetName, size: [1, 2] }))
      .toThrow("unknown preprocessing preset 'imagenet'; valid presets: torchvision, torchvision-transform-input, tf, keras, caffe, caffe-bn-inception, facenet, unit");
  });

  it('alignCorners: true contradicting coordinates is refused', () => {
    expect(() => preprocess(TWO, { preset: 'unit', size: [1, 2], alignCorners: true, coordinates: 'half_pixel' })).toThrow(/contradicts/);
  });
});

describe('layout and batch', () => {
  const image: RgbImage = { width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 10) };

  it('NCHW: out[c·h·w + y·w + x] is pixel (y, x) channel c', () => {
    const out = preprocess(image, { preset: 'unit', size: [2, 3] });
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) expect(out[c * 6 + y * 3 + x] * 255).toBeCloseTo(image.data[(y * 3 + x) * 3 + c], 4);
    }
  });

  it('preprocessBatch stacks images as [n, 3, h, w]', () => {
    const other: RgbImage = { width: 4, height: 4, data: Uint8Array.from({ length: 48 }, (_, i) => 255 - i) };
    const options = { preset: 'tf' as const, size: [2, 3] as const, cropFraction: 0.875 };
    const batch = preprocessBatch([image, other, image], options);
    expect(batch.length).toBe(3 * 18);
    expect([...batch.subarray(0, 18)]).toEqual([...preprocess(image, options)]);
    expect([...batch.subarray(18, 36)]).toEqual([...preprocess(other, options)]);
    expect([...batch.subarray(36)]).toEqual([...preprocess(image, options)]);
  });
});

describe.skipIf(!FIXTURES_AVAILABLE)(`the nsfwjs recipe against tfjs${FIXTURES_SKIP_REASON}`, () => {
  it('scream.jpg: resizeBilinear(299, alignCorners) / 255, NHWC → our NCHW', async () => {
    const image = await loadImage(fixturePath('images/darknet/scream.jpg'));
    const ours = preprocess(image, { preset: 'unit', size: [299, 299], alignCorners: true });
    const theirs = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(image.data, [image.height, image.width, 3], 'float32'), [299, 299], true)
      .div(255).transpose([2, 0, 1]).dataSync());
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    expect(worst, 'max |ours − tfjs| (measured: 0)').toBeLessThan(1e-6);
  });
});
