/**
 * Bilinear resize and centre crop of an RGB image to a float32 RGB image, computed in float64.
 *
 * A resize is described by a `ResizePlan`: which rectangle of the source is used (`source`), the
 * size of the virtual resized image (`resized`), and which window of it is kept (`window`).
 * Sampling only the kept window of the virtual image equals "resize, then crop" exactly, without
 * materialising the larger image.
 *
 * Coordinate conventions (`coordinates`, named after ONNX Resize's coordinate_transformation_mode),
 * for output index `o`, input length `in`, resized length `out`:
 * - 'half_pixel' (default): `s = (o + 0.5)·in/out − 0.5`, clamped at 0. PyTorch
 *   `F.interpolate(mode='bilinear', align_corners=False, antialias=False)`, TF2 `tf.image.resize`
 *   (antialias=False), tfjs `resizeBilinear(x, size, false, true)`.
 * - 'align_corners': `s = o·(in−1)/(out−1)` (0 when out = 1). TF1 / tfjs
 *   `resizeBilinear(alignCorners=true)` — what nsfwjs feeds its Inception-v3.
 * - 'asymmetric': `s = o·in/out`. TF1 `resize_bilinear(align_corners=False)` (tf-slim's eval
 *   preprocessing), tfjs `resizeBilinear(x, size, false, false)`.
 * Then `y0 = ⌊s⌋`, `y1 = min(y0 + 1, in − 1)`, weight `s − y0`; separable in y and x.
 *
 * Not done: antialiasing. PIL's bilinear resize (torchvision's PIL pipeline, and `Resize` on
 * tensors with antialias=True) widens the filter when shrinking; on a 2× or larger reduction the
 * two differ visibly. Pre-shrink the image with the platform (canvas) if that matters.
 */

import { checkOneOf, checkOptionKeys } from '../util/options.js';
import type { RgbImage } from './decode.js';

/** Float RGB pixels, row-major interleaved (`data[(y*width + x)*3 + c]`), values in 0–255. */
export interface FloatRgbImage {
  width: number;
  height: number;
  data: Float32Array;
}

export type Coordinates = 'half_pixel' | 'align_corners' | 'asymmetric';

export const COORDINATES: readonly Coordinates[] = ['half_pixel', 'align_corners', 'asymmetric'];

/**
 * Crop conventions:
 * - 'resize-then-crop' (default; timm `transforms_imagenet_eval` crop_mode 'center', torchvision
 *   `Resize(s)` + `CenterCrop`): scale so the image covers `⌊h/f⌋ × ⌊w/f⌋` keeping its aspect
 *   ratio — the side that decides the scale gets exactly that length, the other
 *   `⌊len·scaled/decidingLen⌋` (torchvision's rule for `Resize(int)`: shorter side = ⌊size/f⌋) —
 *   then cut the centre `h × w` with offsets `round((R − h)/2)`, Python's round-half-to-even
 *   (torchvision `CenterCrop`). For 299 and f = 0.875: shorter side 341, then 299 crop.
 * - 'crop-then-resize' (tf-slim `preprocess_for_eval`): `tf.image.central_crop(f)` — offset
 *   `⌊(len − len·f)/2⌋` from each side — then resize the crop to `h × w` (aspect ratio not kept).
 *   tf-slim resizes with TF1 `resize_bilinear(align_corners=False)`: pass `coordinates: 'asymmetric'`.
 */
export type CropMode = 'resize-then-crop' | 'crop-then-resize';

export const CROP_MODES: readonly CropMode[] = ['resize-then-crop', 'crop-then-resize'];

export interface ResizeOptions {
  /** Output [height, width]. */
  size: readonly [number, number];
  /**
   * Fraction of the image kept by the centre crop, in (0, 1] (timm `crop_pct`, tf-slim
   * `central_fraction`: 0.875 for Inception). Undefined: no crop, the whole image is resized to
   * `size` (aspect ratio not kept; Keras/nsfwjs style).
   */
  cropFraction?: number;
  cropMode?: CropMode;
  /** Default 'half_pixel'. */
  coordinates?: Coordinates;
}

/** Which source rectangle is resized to which virtual size, and which window of that is kept. */
export interface ResizePlan {
  source: { top: number; left: number; height: number; width: number };
  resized: { height: number; width: number };
  window: { top: number; left: number; height: number; width: number };
}

/** Python 3 `round` (half to even), as torchvision's CenterCrop uses. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const RESIZE_OPTION_KEYS = ['size', 'cropFraction', 'cropMode', 'coordinates'] as const;

/** Throws unless `options` has only known keys, a [height, width] of positive integers and valid enum values. */
function checkResizeOptions(options: ResizeOptions): void {
  checkOptionKeys(options, [...RESIZE_OPTION_KEYS], 'resize options', 'resize: ');
  const size: unknown = options.size;
  if (!Array.isArray(size) || size.length !== 2 || !size.every((n) => Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`resize: size must be two positive integers [height, width], got ${Array.isArray(size) ? `[${size.join(', ')}]` : String(size)}`);
  }
  checkOneOf(options.cropMode, CROP_MODES, 'cropMode', 'resize: ');
  checkOneOf(options.coordinates, COORDINATES, 'coordinates', 'resize: ');
  const f: unknown = options.cropFraction;
  if (f !== undefined && !(typeof f === 'number' && f > 0 && f <= 1)) throw new RangeError(`resize: cropFraction must be in (0, 1], got ${String(f)}`);
}

/** The plan for resizing a `width × height` image with `options` (see `CropMode`). */
export function planResize(width: number, height: number, options: ResizeOptions): ResizePlan {
  checkResizeOptions(options);
  const [h, w] = options.size;
  const whole = { top: 0, left: 0, height, width };
  const f = options.cropFraction;
  if (f === undefined) {
    return { source: whole, resized: { height: h, width: w }, window: { top: 0, left: 0, height: h, width: w } };
  }
  if ((options.cropMode ?? 'resize-then-crop') === 'crop-then-resize') {
    const top = Math.floor((height - height * f) / 2);
    const left = Math.floor((width - width * f) / 2);
    return {
      source: { top, left, height: height - 2 * top, width: width - 2 * left },
      resized: { height: h, width: w },
      window: { top: 0, left: 0, height: h, width: w },
    };
  }
  const scaledH = Math.floor(h / f);
  const scaledW = Math.floor(w / f);
  let resizedH: number;
  let resizedW: number;
  if (scaledH / height >= scaledW / width) {
    resizedH = scaledH;
    resizedW = Math.max(scaledW, Math.floor((scaledH * width) / height));
  } else {
    resizedW = scaledW;
    resizedH = Math.max(scaledH, Math.floor((scaledW * height) / width));
  }
  return {
    source: whole,
    resized: { height: resizedH, width: resizedW },
    window: { top: roundHalfEven((resizedH - h) / 2), left: roundHalfEven((resizedW - w) / 2), height: h, width: w },
  };
}

/** Source coordinate of each kept output index along one axis: lower index, upper index, weight. */
function axisTaps(inLength: number, outLength: number, start: number, count: number, coordinates: Coordinates) {
  const lo = new Int32Array(count);
  const hi = new Int32Array(count);
  const frac = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const o = start + i;
    let s: number;
    if (coordinates === 'align_corners') s = outLength > 1 ? (o * (inLength - 1)) / (outLength - 1) : 0;
    else if (coordinates === 'asymmetric') s = (o * inLength) / outLength;
    else s = Math.max(0, ((o + 0.5) * inLength) / outLength - 0.5);
    const s0 = Math.min(Math.floor(s), inLength - 1);
    lo[i] = s0;
    hi[i] = Math.min(s0 + 1, inLength - 1);
    frac[i] = s - s0;
  }
  return { lo, hi, frac };
}

/** Applies a plan: bilinear samples of `image` (0–255) into a float32 RGB image of the window's size. */
export function applyResizePlan(image: RgbImage | FloatRgbImage, plan: ResizePlan, coordinates: Coordinates = 'half_pixel'): FloatRgbImage {
  const { source, resized, window } = plan;
  const ys = axisTaps(source.height, resized.height, window.top, window.height, coordinates);
  const xs = axisTaps(source.width, resized.width, window.left, window.width, coordinates);
  const src = image.data;
  const rowStride = image.width * 3;
  const base = source.top * rowStride + source.left * 3;
  const out = new Float32Array(window.height * window.width * 3);
  let o = 0;
  for (let y = 0; y < window.height; y++) {
    const r0 = base + ys.lo[y] * rowStride;
    const r1 = base + ys.hi[y] * rowStride;
    const fy = ys.frac[y];
    for (let x = 0; x < window.width; x++) {
      const c0 = xs.lo[x] * 3;
      const c1 = xs.hi[x] * 3;
      const fx = xs.frac[x];
      for (let c = 0; c < 3; c++) {
        const top = src[r0 + c0 + c] + (src[r0 + c1 + c] - src[r0 + c0 + c]) * fx;
        const bottom = src[r1 + c0 + c] + (src[r1 + c1 + c] - src[r1 + c0 + c]) * fx;
        out[o++] = top + (bottom - top) * fy;
      }
    }
  }
  return { width: window.width, height: window.height, data: out };
}

/** Plans and applies a resize (with optional centre crop) in one call. */
export function resizeImage(image: RgbImage | FloatRgbImage, options: ResizeOptions): FloatRgbImage {
  return applyResizePlan(image, planResize(image.width, image.height, options), options.coordinates ?? 'half_pixel');
}
