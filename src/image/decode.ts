/**
 * Image decoding to 8-bit RGB: JPEG (jpeg-js), PNG (pngjs), raw RGBA/RGB/gray pixels and
 * browser `ImageData`-like `{ data, width, height }` objects.
 *
 * - The format is sniffed from the first bytes (magic numbers), never from a file extension.
 * - Size limits are checked on the header, before any pixel buffer is allocated: the declared
 *   width×height against `maxResolutionInMP`, the decoder's working memory against
 *   `maxMemoryUsageInMB` (computed from the header as the decoder allocates, see header.ts), and
 *   the compressed data against the least a complete image of that size needs.
 * - Every failure is an `ImageDecodeError` whose `reason` names the check; a decoder's own error
 *   is wrapped (reason 'corrupt') with its message kept.
 * - Alpha is dropped, not composited (as PIL's `convert('RGB')` and torchvision's `read_image(RGB)`).
 * - No EXIF orientation is applied (jpeg-js does not read it; PIL does not either unless asked).
 *
 * Runtime: pure JS. JPEG decoding runs anywhere. PNG decoding loads `pngjs` on first use, which
 * needs Node's `zlib` and `Buffer`: in a browser, decode with the platform (`createImageBitmap` +
 * canvas `getImageData`) and pass the `ImageData`, or alias `pngjs` to `pngjs/browser.js` in the
 * bundler. Reading a file path lives in `load.ts` (the one Node-only entry).
 */
import { checkOptionKeys, describeValue } from '../util/options.js';
import { ImageDecodeError } from './errors.js';
import {
  checkSize, DEFAULT_MAX_MEMORY_MB, DEFAULT_MAX_RESOLUTION_MP, inspectImage, pngChunks, pngHeader, pngInflatedSize,
  type HeaderLimits, type ImageHeader,
} from './header.js';

export { ImageDecodeError } from './errors.js';
export type { ImageDecodeReason } from './errors.js';
export { DEFAULT_MAX_MEMORY_MB, DEFAULT_MAX_RESOLUTION_MP, inspectImage, jpegDimensions, pngHeader, sniffFormat } from './header.js';
export type { HeaderLimits, ImageFormat, ImageHeader } from './header.js';

/** 8-bit RGB pixels, row-major, interleaved: `data[(y*width + x)*3 + c]`. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/**
 * Pixels already decoded: `ImageData` (RGBA, `Uint8ClampedArray`), or any `{data, width, height}`
 * with 1 (gray), 3 (RGB) or 4 (RGBA) bytes per pixel. `channels` defaults to `data.length / (width*height)`.
 */
export interface PixelsLike {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray | ArrayLike<number>;
  channels?: 1 | 3 | 4;
}

export interface DecodeOptions extends HeaderLimits {
  /** What to call the image in errors (a file path); default 'image'. */
  name?: string;
}

const DECODE_OPTION_KEYS = ['maxResolutionInMP', 'maxMemoryUsageInMB', 'name'] as const;

/** Checks the options object: known keys, positive finite limits, a string name. */
function checkDecodeOptions(options: DecodeOptions | undefined): DecodeOptions {
  const o = checkOptionKeys(options, [...DECODE_OPTION_KEYS], 'decodeImage()', '');
  for (const key of ['maxResolutionInMP', 'maxMemoryUsageInMB'] as const) {
    const value = o[key];
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new RangeError(`decodeImage(): ${key} must be a positive number, got ${describeValue(value)}`);
    }
  }
  if (o.name !== undefined && typeof o.name !== 'string') throw new TypeError(`decodeImage(): name must be a string, got ${describeValue(o.name)}`);
  return o;
}

type JpegModule = typeof import('jpeg-js');
let jpegModule: Promise<JpegModule> | undefined;

/** jpeg-js is CommonJS: loaded on first use so that pages importing the package need no import map for it. */
async function loadJpeg(): Promise<JpegModule> {
  jpegModule ??= import('jpeg-js').then((m) => ((m as { default?: JpegModule }).default ?? m) as JpegModule);
  return jpegModule;
}

/** The decoder's own failure, wrapped so that callers see one class; its message is kept. */
function decoderFailure(name: string, format: string, e: unknown): ImageDecodeError {
  const message = e instanceof Error ? e.message : String(e);
  if (message.includes('maxMemoryUsageInMB')) {
    // A backstop: the header check counts what jpeg-js counts, except its small tables.
    return new ImageDecodeError(`${name}: decoding needs more memory than the limit (option maxMemoryUsageInMB): ${message}`, 'memory');
  }
  return new ImageDecodeError(`${name}: cannot decode this ${format} (truncated or corrupt?): ${message}`, 'corrupt');
}

async function decodeJpeg(bytes: Uint8Array, name: string, opts: DecodeOptions): Promise<RgbImage> {
  const jpeg = await loadJpeg();
  let out: { width: number; height: number; data: Uint8Array };
  try {
    out = jpeg.decode(bytes, {
      useTArray: true, // Uint8Array output: no Node Buffer, runs in browsers
      formatAsRGBA: false,
      tolerantDecoding: true,
      maxResolutionInMP: opts.maxResolutionInMP ?? DEFAULT_MAX_RESOLUTION_MP,
      maxMemoryUsageInMB: opts.maxMemoryUsageInMB ?? DEFAULT_MAX_MEMORY_MB,
    });
  } catch (e) {
    throw decoderFailure(name, 'JPEG', e);
  }
  if (out.width <= 0 || out.height <= 0 || out.data.length !== out.width * out.height * 3) {
    throw new ImageDecodeError(`${name}: cannot decode this JPEG (truncated or corrupt?): no image data`, 'corrupt');
  }
  return { width: out.width, height: out.height, data: out.data };
}

type PngModule = typeof import('pngjs');
let pngModule: Promise<PngModule> | undefined;

type BufferLike = { from(b: ArrayBufferLike, offset: number, length: number): Uint8Array };

/**
 * pngjs inflates interlaced pixel data without a size bound (non-interlaced data it cuts at the
 * declared size): inflate it here first, bounded by the size the header declares, so that a small
 * file cannot expand to gigabytes.
 */
async function checkInterlacedInflate(bytes: Uint8Array, header: ImageHeader, name: string): Promise<void> {
  const ihdr = pngHeader(bytes)!;
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[ihdr.colorType];
  const expected = pngInflatedSize(header.width, header.height, channels * ihdr.bitDepth, true).bytes;
  const parts = pngChunks(bytes).idat.map(([from, to]) => bytes.subarray(from, to));
  const zlib = await import('node:zlib');
  try {
    zlib.inflateSync(Buffer.concat(parts), { maxOutputLength: expected });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ImageDecodeError(
        `${name}: cannot decode this PNG (truncated or corrupt?): its pixel data inflates to more than the ${expected} bytes a ${header.width}×${header.height} image holds`,
        'corrupt',
      );
    }
    throw decoderFailure(name, 'PNG', e);
  }
}

async function decodePng(bytes: Uint8Array, header: ImageHeader, name: string): Promise<RgbImage> {
  const BufferCtor = (globalThis as { Buffer?: BufferLike }).Buffer;
  if (!BufferCtor) {
    throw new ImageDecodeError(
      `${name}: PNG decoding uses pngjs, which needs Node's Buffer; in a browser decode with createImageBitmap/canvas and pass the ImageData instead`,
      'environment',
    );
  }
  if (header.interlaced) await checkInterlacedInflate(bytes, header, name);
  pngModule ??= import('pngjs');
  const { PNG } = await pngModule;
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(BufferCtor.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Parameters<typeof PNG.sync.read>[0]);
  } catch (e) {
    throw decoderFailure(name, 'PNG', e);
  }
  return fromPixels({ width: png.width, height: png.height, data: png.data, channels: 4 }, name);
}

/**
 * Converts decoded pixels (`ImageData`, raw RGBA/RGB/gray) to `RgbImage` (always a copy).
 * Throws when `data.length` does not match width×height×channels.
 */
export function fromPixels(pixels: PixelsLike, name = 'image'): RgbImage {
  const { width, height, data } = pixels;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageDecodeError(`${name}: width and height must be positive integers, got ${describeValue(width)}×${describeValue(height)}`, 'bad-pixels');
  }
  if (typeof data !== 'object' || data === null || !Number.isInteger(data.length)) {
    throw new ImageDecodeError(`${name}: data must be a Uint8Array, Uint8ClampedArray or array of byte values, got ${describeValue(data)}`, 'bad-pixels');
  }
  const count = width * height;
  const channels = pixels.channels ?? data.length / count;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ImageDecodeError(`${name}: ${data.length} values for ${width}×${height} pixels: expected 1, 3 or 4 per pixel (gray, RGB, RGBA)`, 'bad-pixels');
  }
  if (data.length !== count * channels) {
    throw new ImageDecodeError(`${name}: ${data.length} values, expected ${width}×${height}×${channels} = ${count * channels}`, 'bad-pixels');
  }
  const rgb = new Uint8Array(count * 3);
  if (channels === 3) {
    rgb.set(data);
  } else {
    for (let i = 0; i < count; i++) {
      const s = i * channels;
      rgb[i * 3] = data[s];
      rgb[i * 3 + 1] = data[channels === 1 ? s : s + 1];
      rgb[i * 3 + 2] = data[channels === 1 ? s : s + 2];
    }
  }
  return { width, height, data: rgb };
}

function isPixelsLike(x: unknown): x is PixelsLike {
  return typeof x === 'object' && x !== null && 'data' in x && 'width' in x && 'height' in x;
}

/**
 * Decodes an encoded JPEG/PNG (bytes) or converts decoded pixels to 8-bit RGB.
 * Throws `ImageDecodeError` naming `options.name`: not a JPEG/PNG (says what it looks like),
 * truncated or corrupt, or beyond `maxResolutionInMP` / `maxMemoryUsageInMB` (checked on the header).
 */
export async function decodeImage(
  source: Uint8Array | ArrayBuffer | PixelsLike,
  options?: DecodeOptions,
): Promise<RgbImage> {
  const opts = checkDecodeOptions(options);
  const name = opts.name ?? 'image';
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (!(source instanceof Uint8Array)) {
    if (isPixelsLike(source)) {
      const pixels = source;
      const valid = Number.isInteger(pixels.width) && Number.isInteger(pixels.height) && pixels.width > 0 && pixels.height > 0;
      if (valid) checkSize(name, pixels.width, pixels.height, opts);
      return fromPixels(pixels, name);
    }
    throw new ImageDecodeError(`${name}: expected encoded bytes (Uint8Array/ArrayBuffer) or {data, width, height} pixels, got ${describeValue(source)}`, 'bad-source');
  }
  const header = inspectImage(source, opts, name);
  switch (header.format) {
    case 'jpeg': return decodeJpeg(source, name, opts);
    case 'png': return decodePng(source, header, name);
  }
}
