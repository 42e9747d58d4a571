/**
 * Preprocessing: decoded RGB → resized/cropped → normalised NCHW float32, the tensor a session takes.
 *
 * One table, `PRESETS`, holds each weights family's normalisation as a per-channel affine map
 * `out_c = x_{order[c]}·scale_c + shift_c` of 0–255 input (computed in float64, stored float32).
 * See reference/inception-architectures.md §2.4 for which weights want which.
 */
import { checkBoolean, checkOneOf, checkOptionKeys, describeValue } from '../util/options.js';
import type { RgbImage } from './decode.js';
import { COORDINATES, CROP_MODES, resizeImage, type Coordinates, type CropMode, type FloatRgbImage } from './resize.js';

/**
 * - 'torchvision': RGB, (x/255 − mean)/std, ImageNet mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
 * - 'torchvision-transform-input': the same followed by torchvision GoogLeNet/Inception-v3's
 *   `transform_input` (`x_c·std_c/0.5 + (mean_c − 0.5)/0.5`), which the published torchvision
 *   weights were built with. Algebraically that is x/127.5 − 1, i.e. 'tf', and it is computed as
 *   'tf' (differences < 1e-6). Use it (or 'tf') for those weights in a graph without the
 *   transform_input step (ours), and plain 'torchvision' only for weights trained without it.
 * - 'tf' / 'keras': RGB, x/127.5 − 1 (tf-slim, Keras `preprocess_input(mode='tf')`, timm's
 *   Inception mean = std = 0.5).
 * - 'caffe': BGR, x − (104, 117, 123) in B, G, R order (BVLC GoogLeNet).
 * - 'caffe-bn-inception': BGR, x − (104, 117, 128) (the Caffe BN-Inception port, reference §2.4).
 * - 'facenet': RGB, (x − 127.5)/128 (facenet's "fixed image standardization").
 * - 'unit': RGB, x/255 (e.g. nsfwjs' Inception-v3).
 */
export type PresetName = 'torchvision' | 'torchvision-transform-input' | 'tf' | 'keras' | 'caffe' | 'caffe-bn-inception' | 'facenet' | 'unit';

export interface Normalization {
  /** Input channel each output channel reads: [0, 1, 2] RGB, [2, 1, 0] BGR. */
  order: readonly [number, number, number];
  /** Per output channel: out = x·scale + shift, x in 0–255. */
  scale: readonly [number, number, number];
  shift: readonly [number, number, number];
}

/** Mean/std on the 0–1 scale → the affine map on 0–255 input. */
function meanStd(mean: readonly number[], std: readonly number[], order: [number, number, number] = [0, 1, 2]): Normalization {
  return {
    order,
    scale: [0, 1, 2].map((c) => 1 / (255 * std[c])) as [number, number, number],
    shift: [0, 1, 2].map((c) => -mean[c] / std[c]) as [number, number, number],
  };
}

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

const tf: Normalization = { order: [0, 1, 2], scale: [1 / 127.5, 1 / 127.5, 1 / 127.5], shift: [-1, -1, -1] };

export const PRESETS: Readonly<Record<PresetName, Normalization>> = {
  torchvision: meanStd(IMAGENET_MEAN, IMAGENET_STD),
  'torchvision-transform-input': tf,
  tf,
  keras: tf,
  caffe: { order: [2, 1, 0], scale: [1, 1, 1], shift: [-104, -117, -123] },
  'caffe-bn-inception': { order: [2, 1, 0], scale: [1, 1, 1], shift: [-104, -117, -128] },
  facenet: { order: [0, 1, 2], scale: [1 / 128, 1 / 128, 1 / 128], shift: [-127.5 / 128, -127.5 / 128, -127.5 / 128] },
  unit: { order: [0, 1, 2], scale: [1 / 255, 1 / 255, 1 / 255], shift: [0, 0, 0] },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** Throws a RangeError listing the valid names unless `name` is a preset. */
export function presetOf(name: string): Normalization {
  if (!Object.hasOwn(PRESETS, name)) {
    throw new RangeError(`unknown preprocessing preset '${name}'; valid presets: ${PRESET_NAMES.join(', ')}`);
  }
  return PRESETS[name as PresetName];
}

export interface PreprocessOptions {
  /** A preset name, or an explicit normalisation. */
  preset: PresetName | Normalization;
  /** Network input: [height, width], or one number for a square (as `createSession({ inputSize })`). */
  size: number | readonly [number, number];
  /** Centre-crop fraction in (0, 1] (timm crop_pct); undefined resizes the whole image (see resize.ts). */
  cropFraction?: number;
  cropMode?: CropMode;
  /** Shorthand for `coordinates: 'align_corners'` (TF1/tfjs `resizeBilinear(alignCorners=true)`). */
  alignCorners?: boolean;
  /** Resize sampling convention; default 'half_pixel' (see resize.ts). */
  coordinates?: Coordinates;
}

/** Writes one normalised CHW image into `out` at `offset` (floats). */
function writeChw(image: FloatRgbImage, norm: Normalization, out: Float32Array, offset: number): void {
  const plane = image.width * image.height;
  const src = image.data;
  for (let c = 0; c < 3; c++) {
    const from = norm.order[c];
    const scale = norm.scale[c];
    const shift = norm.shift[c];
    const dst = offset + c * plane;
    for (let i = 0; i < plane; i++) out[dst + i] = src[i * 3 + from] * scale + shift;
  }
}

const PREPROCESS_OPTION_KEYS = ['preset', 'size', 'cropFraction', 'cropMode', 'alignCorners', 'coordinates'] as const;

interface Resolved {
  norm: Normalization;
  size: [number, number];
  cropFraction: number | undefined;
  cropMode: CropMode | undefined;
  coordinates: Coordinates;
}

const isTriple = (x: unknown, ok: (n: unknown) => boolean) => Array.isArray(x) && x.length === 3 && x.every(ok);

/** An explicit normalisation: `order` picks input channels 0..2, `scale` and `shift` are finite. */
function checkNormalization(n: unknown, where: string): Normalization {
  const o = n as Partial<Normalization>;
  if (!isTriple(o.order, (c) => c === 0 || c === 1 || c === 2)) {
    throw new RangeError(`${where}: preset.order must be 3 channel indices in 0..2 ([0, 1, 2] RGB, [2, 1, 0] BGR), got ${describeValue(o.order)}`);
  }
  for (const key of ['scale', 'shift'] as const) {
    if (!isTriple(o[key], (x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new RangeError(`${where}: preset.${key} must be 3 finite numbers (one per output channel), got ${describeValue(o[key])}`);
    }
  }
  return o as Normalization;
}

/** Checks every option before any work: known keys, a preset, a size, valid enum values. */
function resolve(options: PreprocessOptions, where: string): Resolved {
  if (options === undefined) throw new TypeError(`${where} takes an options object ({ ${PREPROCESS_OPTION_KEYS.join(', ')} })`);
  const o = checkOptionKeys(options, [...PREPROCESS_OPTION_KEYS], where, '');
  const prefix = `${where}: `;
  const preset: unknown = o.preset;
  let norm: Normalization;
  if (typeof preset === 'string') norm = presetOf(preset);
  else if (typeof preset === 'object' && preset !== null) norm = checkNormalization(preset, where);
  else throw new RangeError(`${prefix}preset must be a preset name (${PRESET_NAMES.join(', ')}) or { order, scale, shift }, got ${describeValue(preset)}`);
  const size: unknown = o.size;
  if (size === undefined) throw new RangeError(`${prefix}size is required: the network input, e.g. 299 or [height, width]`);
  const positive = (n: unknown) => Number.isInteger(n) && (n as number) >= 1;
  const pair = Array.isArray(size) && size.length === 2 && size.every(positive);
  if (!positive(size) && !pair) {
    throw new RangeError(`${prefix}size must be a positive integer or [height, width] of positive integers, got ${describeValue(size)}`);
  }
  const cropFraction: unknown = o.cropFraction;
  if (cropFraction !== undefined && !(typeof cropFraction === 'number' && cropFraction > 0 && cropFraction <= 1)) {
    throw new RangeError(`${prefix}cropFraction must be a number in (0, 1] (e.g. 0.875), or undefined to resize the whole image; got ${describeValue(cropFraction)}`);
  }
  const cropMode = checkOneOf(o.cropMode, CROP_MODES, 'cropMode', prefix);
  const coordinates = checkOneOf(o.coordinates, COORDINATES, 'coordinates', prefix);
  const alignCorners = checkBoolean(o.alignCorners, 'alignCorners', prefix);
  if (alignCorners === true && coordinates !== undefined && coordinates !== 'align_corners') {
    throw new RangeError(`${prefix}alignCorners: true contradicts coordinates: '${coordinates}'`);
  }
  return {
    norm,
    size: typeof size === 'number' ? [size, size] : [(size as number[])[0], (size as number[])[1]],
    cropFraction,
    cropMode,
    coordinates: alignCorners ? 'align_corners' : (coordinates ?? 'half_pixel'),
  };
}

/** Throws unless `image` is an RgbImage: positive integer size and width·height·3 bytes. */
function checkImage(image: unknown, what: string): asserts image is RgbImage {
  const i = image as Partial<RgbImage> | null;
  const ok = typeof i === 'object' && i !== null && Number.isInteger(i.width) && Number.isInteger(i.height) && i.width! > 0 && i.height! > 0 &&
    typeof i.data === 'object' && i.data !== null && i.data.length === i.width! * i.height! * 3;
  if (!ok) {
    const got = typeof i === 'object' && i !== null ? `${describeValue(i.width)}×${describeValue(i.height)} with ${describeValue(i.data?.length)} values` : describeValue(i);
    throw new RangeError(`${what} must be { width, height, data } with data.length = width·height·3 (an RgbImage from decodeImage/loadImage), got ${got}`);
  }
}

/**
 * Resizes (and optionally centre-crops) `image`, then normalises it: NCHW Float32Array of shape
 * `[1, 3, size[0], size[1]]`. Throws a RangeError for an unknown preset (listing the valid ones),
 * a bad size or crop fraction.
 */
export function preprocess(image: RgbImage, options: PreprocessOptions): Float32Array {
  const resolved = resolve(options, 'preprocess()');
  checkImage(image, 'preprocess(): image');
  return normalise([image], resolved);
}

/** `preprocess` for several images into one `[n, 3, h, w]` tensor (image i at offset i·3·h·w). */
export function preprocessBatch(images: readonly RgbImage[], options: PreprocessOptions): Float32Array {
  const resolved = resolve(options, 'preprocessBatch()');
  if (!Array.isArray(images)) throw new TypeError(`preprocessBatch(): images must be an array of RgbImage, got ${describeValue(images)}`);
  images.forEach((image, i) => checkImage(image, `preprocessBatch(): image ${i}`));
  return normalise(images, resolved);
}

function normalise(images: readonly RgbImage[], r: Resolved): Float32Array {
  const [h, w] = r.size;
  const out = new Float32Array(images.length * 3 * h * w);
  images.forEach((image, i) => {
    const resized = resizeImage(image, { size: r.size, cropFraction: r.cropFraction, cropMode: r.cropMode, coordinates: r.coordinates });
    writeChw(resized, r.norm, out, i * 3 * h * w);
  });
  return out;
}
