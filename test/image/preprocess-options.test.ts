/**
 * preprocess/preprocessBatch/resizeImage options are checked before any work: a number size is
 * accepted as `inputSize` is, and every bad size, enum value, preset name (including Object
 * prototype names), option type or unknown key is an Error naming the option and the fix —
 * never a TypeError from deep inside the resize, nor a silently ignored option.
 */
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/image/decode.js';
import { preprocess, preprocessBatch, presetOf } from '../../src/image/preprocess.js';
import { planResize, resizeImage } from '../../src/image/resize.js';

const IMAGE: RgbImage = { width: 4, height: 3, data: Uint8Array.from({ length: 36 }, (_, i) => (i * 29) & 255) };

describe('preprocess options', () => {
  it('a number size means a square, as createSession({ inputSize }) takes it', () => {
    const square = preprocess(IMAGE, { preset: 'tf', size: 5 });
    expect(square.length).toBe(3 * 5 * 5);
    expect([...square]).toEqual([...preprocess(IMAGE, { preset: 'tf', size: [5, 5] })]);
  });

  it.each([
    { case: 'size 0', options: { preset: 'tf', size: 0 }, message: /^preprocess\(\): size must be a positive integer or \[height, width\] of positive integers, got 0/ },
    { case: 'size -3', options: { preset: 'tf', size: -3 }, message: /size must be a positive integer .*got -3/ },
    { case: 'size 2.5', options: { preset: 'tf', size: 2.5 }, message: /size must be a positive integer .*got 2\.5/ },
    { case: 'size [3]', options: { preset: 'tf', size: [3] }, message: /size must be a positive integer .*got \[3\]/ },
    { case: 'size \'224\'', options: { preset: 'tf', size: '224' }, message: /size must be a positive integer .*got '224'/ },
    { case: 'no size', options: { preset: 'tf' }, message: /^preprocess\(\): size is required/ },
    { case: 'an unknown cropMode', options: { preset: 'tf', size: 2, cropFraction: 0.875, cropMode: 'center' }, message: /^preprocess\(\): cropMode must be one of 'resize-then-crop', 'crop-then-resize'; got 'center'/ },
    { case: 'an unknown coordinates', options: { preset: 'tf', size: 2, coordinates: 'pytorch_half_pixel' }, message: /^preprocess\(\): coordinates must be one of 'half_pixel', 'align_corners', 'asymmetric'; got 'pytorch_half_pixel'/ },
    { case: 'alignCorners \'yes\'', options: { preset: 'tf', size: 2, alignCorners: 'yes' }, message: /^preprocess\(\): alignCorners must be true or false, got 'yes'/ },
    { case: 'cropFraction \'0.875\'', options: { preset: 'tf', size: 2, cropFraction: '0.875' }, message: /^preprocess\(\): cropFraction must be a number in \(0, 1\]/ },
    { case: 'preset \'__proto__\'', options: { preset: '__proto__', size: 2 }, message: /unknown preprocessing preset '__proto__'; valid presets: torchvision/ },
    { case: 'preset \'constructor\'', options: { preset: 'constructor', size: 2 }, message: /unknown preprocessing preset 'constructor'/ },
    { case: 'preset 7', options: { preset: 7, size: 2 }, message: /^preprocess\(\): preset must be a preset name .* or \{ order, scale, shift \}, got 7/ },
    { case: 'a normalisation missing shift', options: { preset: { order: [0, 1, 2], scale: [1, 1, 1] }, size: 2 }, message: /^preprocess\(\): preset\.shift must be 3 finite numbers/ },
    { case: 'a normalisation with order [0, 1, 3]', options: { preset: { order: [0, 1, 3], scale: [1, 1, 1], shift: [0, 0, 0] }, size: 2 }, message: /^preprocess\(\): preset\.order must be 3 channel indices in 0\.\.2/ },
    { case: 'a misspelt key', options: { preset: 'tf', size: 2, cropFracton: 0.875 }, message: /^unknown option 'cropFracton' of preprocess\(\); did you mean 'cropFraction'\?/ },
    { case: 'an options string', options: 'tf', message: /^preprocess\(\) takes an options object/ },
  ])('$case → Error naming the option', ({ options, message }) => {
    expect(() => preprocess(IMAGE, options as never)).toThrow(message);
  });

  it('an image that is not an RgbImage is named, not a TypeError', () => {
    expect(() => preprocess({ width: 2, height: 2, data: new Uint8Array(3) }, { preset: 'tf', size: 2 }))
      .toThrow(/^preprocess\(\): image must be \{ width, height, data \} with data\.length = width·height·3 \(an RgbImage from decodeImage\/loadImage\), got 2×2 with 3 values/);
    expect(() => preprocessBatch([IMAGE, null as never], { preset: 'tf', size: 2 })).toThrow(/^preprocessBatch\(\): image 1 must be \{ width, height, data \}/);
  });

  it('presetOf refuses Object prototype names', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) expect(() => presetOf(name)).toThrow(`unknown preprocessing preset '${name}'`);
  });
});

describe('resize options', () => {
  it.each([
    { case: 'an unknown cropMode', options: { size: [2, 2], cropFraction: 0.5, cropMode: 'centre' }, message: /^resize: cropMode must be one of 'resize-then-crop', 'crop-then-resize'; got 'centre'/ },
    { case: 'an unknown coordinates', options: { size: [2, 2], coordinates: 'half-pixel' }, message: /^resize: coordinates must be one of 'half_pixel', 'align_corners', 'asymmetric'; got 'half-pixel'/ },
    { case: 'a misspelt key', options: { size: [2, 2], crop: 0.5 }, message: /^resize: unknown option 'crop'/ },
  ])('$case → Error naming the option', ({ options, message }) => {
    expect(() => resizeImage(IMAGE, options as never)).toThrow(message);
    expect(() => planResize(4, 3, options as never)).toThrow(message);
  });
});
