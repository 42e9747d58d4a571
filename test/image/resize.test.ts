/**
 * Bilinear resize and centre crop: hand-computed outputs on a 2×3 image for each coordinate
 * convention, crop plans worked out by hand from the timm/torchvision and tf-slim rules, and the
 * same resize on a real photo against an independent engine (tfjs `tf.image.resizeBilinear`).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/image/decode.js';
import { loadImage } from '../../src/image/load.js';
import { applyResizePlan, planResize, resizeImage, roundHalfEven, type Coordinates } from '../../src/image/resize.js';
import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';

/**
 * 2 rows × 3 columns. R = 30·x + 90·y is linear, so any bilinear sample at source (sy, sx) is
 * 30·sx + 90·sy; G is a single bump of 200 at (y 1, x 1), so a sample is 200·wy·wx with
 * wy = sy and wx = 1 − |sx − 1|; B is constant 7.
 */
const TINY: RgbImage = {
  width: 3,
  height: 2,
  data: new Uint8Array([
    0, 0, 7, 30, 0, 7, 60, 0, 7,
    90, 0, 7, 120, 200, 7, 150, 0, 7,
  ]),
};

function channel(data: Float32Array, c: number): number[] {
  return [...data].filter((_, i) => i % 3 === c);
}

describe('bilinear resize of the 2×3 image, by hand', () => {
  // Source coordinates per output index (after clamping to [0, in−1]), then R and G by the formulas above.
  it.each([
    {
      case: 'align_corners 2×3→3×5: sy = o/2, sx = o/2',
      coordinates: 'align_corners', size: [3, 5],
      R: [0, 15, 30, 45, 60, 45, 60, 75, 90, 105, 90, 105, 120, 135, 150],
      G: [0, 0, 0, 0, 0, 0, 50, 100, 50, 0, 0, 100, 200, 100, 0],
    },
    {
      case: 'half_pixel 2×3→3×5: sy = (o+½)·⅔−½ → 0, ½, 1(clamped), sx = (o+½)·⅗−½ → 0(clamped), .4, 1, 1.6, 2(clamped)',
      coordinates: 'half_pixel', size: [3, 5],
      R: [0, 12, 30, 48, 60, 45, 57, 75, 93, 105, 90, 102, 120, 138, 150],
      G: [0, 0, 0, 0, 0, 0, 40, 100, 40, 0, 0, 80, 200, 80, 0],
    },
    {
      case: 'asymmetric 2×3→3×5: sy = o·⅔ → 0, ⅔, 1(clamped), sx = o·⅗ → 0, .6, 1.2, 1.8, 2(clamped)',
      coordinates: 'asymmetric', size: [3, 5],
      R: [0, 18, 36, 54, 60, 60, 78, 96, 114, 120, 90, 108, 126, 144, 150],
      G: [0, 0, 0, 0, 0, 0, 80, 320 / 3, 80 / 3, 0, 0, 120, 160, 40, 0],
    },
    {
      case: 'half_pixel 2×3→1×2 (shrink): sy = ½, sx = .25, 1.75',
      coordinates: 'half_pixel', size: [1, 2],
      R: [52.5, 97.5],
      G: [25, 25],
    },
    {
      case: 'align_corners 2×3→1×2: out length 1 samples index 0; sx = 0, 2',
      coordinates: 'align_corners', size: [1, 2],
      R: [0, 60],
      G: [0, 0],
    },
    {
      case: 'half_pixel 2×3→2×3 (same size) is the identity',
      coordinates: 'half_pixel', size: [2, 3],
      R: [0, 30, 60, 90, 120, 150],
      G: [0, 0, 0, 0, 200, 0],
    },
  ] as const)('$case', ({ coordinates, size, R, G }) => {
    const out = resizeImage(TINY, { size, coordinates: coordinates as Coordinates });
    expect([out.height, out.width]).toEqual(size);
    expect(out.data).toBeInstanceOf(Float32Array);
    channel(out.data, 0).forEach((v, i) => expect(v, `R[${i}]`).toBeCloseTo(R[i], 4));
    channel(out.data, 1).forEach((v, i) => expect(v, `G[${i}]`).toBeCloseTo(G[i], 4));
    expect(channel(out.data, 2).every((v) => v === 7)).toBe(true);
  });

  it('rejects a size that is not two positive integers', () => {
    expect(() => resizeImage(TINY, { size: [0, 4] })).toThrow(/size must be two positive integers \[height, width\], got \[0, 4\]/);
  });
});

describe('centre-crop plans', () => {
  it.each([
    { x: 0.5, r: 0 }, { x: 1.5, r: 2 }, { x: 2.5, r: 2 }, { x: 58.5, r: 58 }, { x: 21, r: 21 }, { x: 2.4, r: 2 }, { x: 2.6, r: 3 },
  ])('roundHalfEven($x) = $r (Python round)', ({ x, r }) => expect(roundHalfEven(x)).toBe(r));

  it.each([
    {
      case: 'timm v3: 517×606 to 299, crop 0.875 → shorter side ⌊299/0.875⌋ = 341, long ⌊341·606/517⌋ = 399, offsets 50, 21',
      width: 517, height: 606, options: { size: [299, 299] as const, cropFraction: 0.875 },
      plan: { source: { top: 0, left: 0, height: 606, width: 517 }, resized: { height: 399, width: 341 }, window: { top: 50, left: 21, height: 299, width: 299 } },
    },
    {
      case: 'torchvision GoogLeNet: 480×360 to 224, crop 0.875 → Resize(256): 256×341, left round(58.5) = 58 (half to even)',
      width: 480, height: 360, options: { size: [224, 224] as const, cropFraction: 0.875 },
      plan: { source: { top: 0, left: 0, height: 360, width: 480 }, resized: { height: 256, width: 341 }, window: { top: 16, left: 58, height: 224, width: 224 } },
    },
    {
      case: 'crop fraction 1 on 300×200 to 100: shorter side 100, centre 100 of 150',
      width: 300, height: 200, options: { size: [100, 100] as const, cropFraction: 1 },
      plan: { source: { top: 0, left: 0, height: 200, width: 300 }, resized: { height: 100, width: 150 }, window: { top: 0, left: 25, height: 100, width: 100 } },
    },
    {
      case: 'non-square target 100×150 of a 400×400 image, crop 1: scale decided by the width → 150×150, top 25',
      width: 400, height: 400, options: { size: [100, 150] as const, cropFraction: 1 },
      plan: { source: { top: 0, left: 0, height: 400, width: 400 }, resized: { height: 150, width: 150 }, window: { top: 25, left: 0, height: 100, width: 150 } },
    },
    {
      case: 'tf-slim central_crop(0.875) of 480×360: top ⌊(360−315)/2⌋ = 22, left ⌊(480−420)/2⌋ = 30, then resize 316×420 → 299',
      width: 480, height: 360, options: { size: [299, 299] as const, cropFraction: 0.875, cropMode: 'crop-then-resize' as const },
      plan: { source: { top: 22, left: 30, height: 316, width: 420 }, resized: { height: 299, width: 299 }, window: { top: 0, left: 0, height: 299, width: 299 } },
    },
    {
      case: 'no crop fraction: the whole image is squashed to the size',
      width: 480, height: 360, options: { size: [299, 299] as const },
      plan: { source: { top: 0, left: 0, height: 360, width: 480 }, resized: { height: 299, width: 299 }, window: { top: 0, left: 0, height: 299, width: 299 } },
    },
  ])('$case', ({ width, height, options, plan }) => {
    expect(planResize(width, height, options)).toEqual(plan);
  });

  it.each([{ f: 0 }, { f: 1.5 }, { f: Number.NaN }])('cropFraction $f is refused', ({ f }) => {
    expect(() => planResize(10, 10, { size: [5, 5], cropFraction: f })).toThrow(/cropFraction must be in \(0, 1\]/);
  });

  it('sampling the window of the virtual resized image equals resize-then-slice', () => {
    const image: RgbImage = { width: 13, height: 9, data: Uint8Array.from({ length: 13 * 9 * 3 }, (_, i) => (i * 53 + 7) & 255) };
    const plan = planResize(13, 9, { size: [5, 5], cropFraction: 0.7 });
    const full = resizeImage(image, { size: [plan.resized.height, plan.resized.width] });
    const cropped = applyResizePlan(image, plan);
    const { top, left } = plan.window;
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 15; x++) expect(cropped.data[y * 15 + x]).toBe(full.data[((y + top) * full.width + left) * 3 + x]);
    }
  });

  it('crop-then-resize reads only the central source rectangle', () => {
    // A 6×6 image whose border ring is 255 and interior 10: a central crop of 4/6 never sees the ring.
    const data = new Uint8Array(6 * 6 * 3).fill(255);
    for (let y = 1; y < 5; y++) for (let x = 1; x < 5; x++) data.fill(10, (y * 6 + x) * 3, (y * 6 + x) * 3 + 3);
    const out = resizeImage({ width: 6, height: 6, data }, { size: [3, 3], cropFraction: 4 / 6, cropMode: 'crop-then-resize' });
    expect([...out.data].every((v) => v === 10)).toBe(true);
  });
});

describe.skipIf(!FIXTURES_AVAILABLE)(`a real photo against tfjs tf.image.resizeBilinear${FIXTURES_SKIP_REASON}`, () => {
  let decoded: Promise<RgbImage> | undefined;
  const hopper = () => (decoded ??= loadImage(fixturePath('images/tf/grace_hopper.jpg')));

  it.each([
    { case: 'align_corners (nsfwjs: alignCorners = true)', size: [299, 299], coordinates: 'align_corners', alignCorners: true, halfPixelCenters: false },
    { case: 'half_pixel (halfPixelCenters = true)', size: [131, 97], coordinates: 'half_pixel', alignCorners: false, halfPixelCenters: true },
    { case: 'asymmetric (TF1 default: both false)', size: [131, 97], coordinates: 'asymmetric', alignCorners: false, halfPixelCenters: false },
  ] as const)('grace_hopper 517×606 → $size, $case', async ({ size, coordinates, alignCorners, halfPixelCenters }) => {
    const image = await hopper();
    const ours = resizeImage(image, { size, coordinates }).data;
    const theirs = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(image.data, [image.height, image.width, 3], 'float32'), [...size], alignCorners, halfPixelCenters).dataSync());
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    expect(worst, 'max |ours − tfjs| on 0–255 values (measured: 0)').toBeLessThan(1e-4);
  });

  it('timm crop to 131 (shorter side ⌊131/0.875⌋ = 149, long ⌊149·606/517⌋ = 174, offsets round(21.5) = 22, 9) equals tfjs resize to 174×149 then slice', async () => {
    const image = await hopper();
    const ours = resizeImage(image, { size: [131, 131], cropFraction: 0.875 }).data;
    const theirs = tf.tidy(() => tf.image.resizeBilinear(tf.tensor3d(image.data, [606, 517, 3], 'float32'), [174, 149], false, true)
      .slice([22, 9, 0], [131, 131, 3]).dataSync());
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
    expect(worst, 'measured: 0').toBeLessThan(1e-4);
  });
});
