/**
 * Image decoding to 8-bit RGB: JPEG (jpeg-js), PNG (pngjs), raw RGBA/RGB/gray pixels and
 * browser `ImageData`-like `{ data, width, height }` objects.
 *
 * - The format is sniffed from the first bytes (magic numbers), never from a file extension.
 * - Size limits are checked on the header, before any pixel buffer is allocated: the declared
 *   width×height against `maxResolutionInMP`, the decoder's working memory against
 *   `maxMemoryUsageInMB` (jpeg-js counts its own allocations; for PNG we estimate from IHDR).
 * - Alpha is dropped, not composited (as PIL's `convert('RGB')` and torchvision's `read_image(RGB)`).
 * - No EXIF orientation is applied (jpeg-js does not read it; PIL does not either unless asked).
 *
 * Runtime: pure JS. JPEG decoding runs anywhere. PNG decoding loads `pngjs` on first use, which
 * needs Node's `zlib` and `Buffer`: in a browser, decode with the platform (`createImageBitmap` +
 * canvas `getImageData`) and pass the `ImageData`, or alias `pngjs` to `pngjs/browser.js` in the
 * bundler. Reading a file path lives in `load.ts` (the one Node-only entry).
 */

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

export interface DecodeOptions {
  /** Refuse images with more megapixels than this (declared width×height / 1e6). Default 100. */
  maxResolutionInMP?: number;
  /** Refuse images whose decoding would take more working memory than this (MiB). Default 512. */
  maxMemoryUsageInMB?: number;
  /** What to call the image in errors (a file path); default 'image'. */
  name?: string;
}

export const DEFAULT_MAX_RESOLUTION_MP = 100;
export const DEFAULT_MAX_MEMORY_MB = 512;

export type ImageFormat = 'jpeg' | 'png';

const ascii = (bytes: Uint8Array, from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));

/** Formats we recognise but do not decode, so the error can say what the file is. */
const OTHER_FORMATS: [string, (b: Uint8Array) => boolean][] = [
  ['GIF', (b) => ascii(b, 0, 4) === 'GIF8'],
  ['BMP', (b) => ascii(b, 0, 2) === 'BM'],
  ['TIFF', (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*'],
  ['WebP', (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP'],
  ['HEIF/AVIF', (b) => ascii(b, 4, 8) === 'ftyp' && /^(heic|heix|mif1|msf1|avif|avis)$/.test(ascii(b, 8, 12))],
];

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

/** 'jpeg' | 'png' from the magic bytes, or undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, PNG_SIGNATURE)) return 'png';
  return undefined;
}

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

function hexHead(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Declared size of a JPEG from its first SOFn segment, or undefined when none is reached. */
export function jpegDimensions(bytes: Uint8Array): { width: number; height: number } | undefined {
  let p = 2;
  while (p + 4 <= bytes.length) {
    if (bytes[p] !== 0xff) return undefined;
    const marker = bytes[p + 1];
    if (marker === 0xff) { p++; continue; } // fill byte
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { p += 2; continue; }
    const length = (bytes[p + 2] << 8) | bytes[p + 3];
    // SOF0..SOF15 except DHT (c4), JPG (c8), DAC (cc)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (p + 9 > bytes.length) return undefined;
      return { height: (bytes[p + 5] << 8) | bytes[p + 6], width: (bytes[p + 7] << 8) | bytes[p + 8] };
    }
    if (marker === 0xda || marker === 0xd9) return undefined; // scan or end before any frame header
    p += 2 + length;
  }
  return undefined;
}

/** PNG IHDR fields, or undefined when the header is cut short / not IHDR. */
export function pngHeader(bytes: Uint8Array): { width: number; height: number; bitDepth: number; colorType: number } | undefined {
  // signature (8) | length (4) | 'IHDR' (4) | width (4) | height (4) | bit depth | colour type | …
  if (bytes.length < 8 + 8 + 13) return undefined;
  if (String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]) !== 'IHDR') return undefined;
  const u32 = (o: number) => ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
  return { width: u32(16), height: u32(20), bitDepth: bytes[24], colorType: bytes[25] };
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function checkResolution(name: string, width: number, height: number, opts: DecodeOptions): void {
  const limit = opts.maxResolutionInMP ?? DEFAULT_MAX_RESOLUTION_MP;
  if (width <= 0 || height <= 0) throw new ImageDecodeError(`${name}: declares an empty image (${width}×${height})`);
  const mp = (width * height) / 1e6;
  if (mp > limit) {
    throw new ImageDecodeError(
      `${name}: ${width}×${height} = ${mp.toFixed(1)} megapixels exceeds the limit of ${limit} (option maxResolutionInMP; raise it to decode this image)`,
    );
  }
}

type JpegModule = typeof import('jpeg-js');
let jpegModule: Promise<JpegModule> | undefined;

/** jpeg-js is CommonJS: loaded on first use so that pages importing the package need no import map for it. */
async function loadJpeg(): Promise<JpegModule> {
  jpegModule ??= import('jpeg-js').then((m) => ((m as { default?: JpegModule }).default ?? m) as JpegModule);
  return jpegModule;
}

async function decodeJpeg(bytes: Uint8Array, name: string, opts: DecodeOptions): Promise<RgbImage> {
  const dims = jpegDimensions(bytes);
  if (dims) checkResolution(name, dims.width, dims.height, opts);
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
    const message = (e as Error).message;
    if (message.includes('maxMemoryUsageInMB')) {
      throw new ImageDecodeError(
        `${name}: decoding needs more memory than the limit of ${opts.maxMemoryUsageInMB ?? DEFAULT_MAX_MEMORY_MB} MiB (option maxMemoryUsageInMB): ${message}`,
      );
    }
    if (message.includes('maxResolutionInMP')) {
      throw new ImageDecodeError(`${name}: ${message} (option maxResolutionInMP)`);
    }
    throw new ImageDecodeError(`${name}: cannot decode this JPEG (truncated or corrupt?): ${message}`);
  }
  if (out.width <= 0 || out.height <= 0 || out.data.length !== out.width * out.height * 3) {
    throw new ImageDecodeError(`${name}: cannot decode this JPEG (truncated or corrupt?): no image data`);
  }
  return { width: out.width, height: out.height, data: out.data };
}

type PngModule = typeof import('pngjs');
let pngModule: Promise<PngModule> | undefined;

async function decodePng(bytes: Uint8Array, name: string, opts: DecodeOptions): Promise<RgbImage> {
  const header = pngHeader(bytes);
  if (!header) throw new ImageDecodeError(`${name}: cannot decode this PNG (truncated or corrupt?): no IHDR header`);
  const { width, height, bitDepth, colorType } = header;
  checkResolution(name, width, height, opts);
  // pngjs holds the inflated scanlines (1 filter byte + packed pixels per row) and the RGBA output.
  const channels = PNG_CHANNELS[colorType] ?? 4;
  const inflatedBytes = height * (1 + Math.ceil((width * channels * Math.max(bitDepth, 1)) / 8));
  const neededMB = (inflatedBytes + width * height * 4 + width * height * 3) / 2 ** 20;
  const memoryLimit = opts.maxMemoryUsageInMB ?? DEFAULT_MAX_MEMORY_MB;
  if (neededMB > memoryLimit) {
    throw new ImageDecodeError(
      `${name}: decoding this ${width}×${height} PNG needs about ${neededMB.toFixed(0)} MiB, over the limit of ${memoryLimit} MiB (option maxMemoryUsageInMB)`,
    );
  }
  const BufferCtor = (globalThis as { Buffer?: { from(b: ArrayBufferLike, offset: number, length: number): Uint8Array } }).Buffer;
  if (!BufferCtor) {
    throw new ImageDecodeError(
      `${name}: PNG decoding uses pngjs, which needs Node's Buffer; in a browser decode with createImageBitmap/canvas and pass the ImageData instead`,
    );
  }
  pngModule ??= import('pngjs');
  const { PNG } = await pngModule;
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(BufferCtor.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Parameters<typeof PNG.sync.read>[0]);
  } catch (e) {
    throw new ImageDecodeError(`${name}: cannot decode this PNG (truncated or corrupt?): ${(e as Error).message}`);
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
    throw new ImageDecodeError(`${name}: width and height must be positive integers, got ${width}×${height}`);
  }
  const count = width * height;
  const channels = pixels.channels ?? data.length / count;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ImageDecodeError(`${name}: ${data.length} values for ${width}×${height} pixels: expected 1, 3 or 4 per pixel (gray, RGB, RGBA)`);
  }
  if (data.length !== count * channels) {
    throw new ImageDecodeError(`${name}: ${data.length} values, expected ${width}×${height}×${channels} = ${count * channels}`);
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
  options: DecodeOptions = {},
): Promise<RgbImage> {
  const name = options.name ?? 'image';
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (!(source instanceof Uint8Array)) {
    if (isPixelsLike(source)) {
      checkResolution(name, source.width, source.height, options);
      return fromPixels(source, name);
    }
    throw new ImageDecodeError(`${name}: expected encoded bytes (Uint8Array/ArrayBuffer) or {data, width, height} pixels`);
  }
  const format = sniffFormat(source);
  if (format === 'jpeg') return decodeJpeg(source, name, options);
  if (format === 'png') return decodePng(source, name, options);
  if (source.length === 0) throw new ImageDecodeError(`${name}: is empty (0 bytes), not an image`);
  const bytes = source;
  const other = OTHER_FORMATS.find(([, matches]) => matches(bytes));
  if (other) throw new ImageDecodeError(`${name}: looks like ${other[0]}; only JPEG and PNG are decoded (convert it, or pass decoded pixels)`);
  throw new ImageDecodeError(`${name}: not a JPEG or PNG image (first bytes: ${hexHead(source)})`);
}
