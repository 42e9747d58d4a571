/**
 * Reading an encoded image's header without decoding it: the format, the declared size, and the
 * memory the decoder will allocate for it — everything `decodeImage` checks before it lets a
 * decoder near the bytes, and what `classify` checks for every image before loading a model.
 *
 * The memory need is what the decoder allocates for the declared header, computed the way it
 * does (the formulas below follow jpeg-js 0.4.4 `lib/decoder.js` and pngjs 7 `lib/parser-sync.js`),
 * so a hostile header is refused before the first large allocation. For JPEG the number is
 * jpeg-js' own accounting (256 bytes per 8×8 block, as its `maxMemoryUsageInMB` counts); each
 * block is its own Int32Array, and V8 adds ~400 bytes to each (measured: 654 bytes of RSS per
 * `new Int32Array(64)` in Node 20), so the process grows by up to ~2.5× the block part.
 *
 * The compressed data is checked against a lower bound that no complete image can go under, so a
 * small file declaring a large image fails here instead of after the decoder's allocations: a
 * JPEG codes every 8×8 block of every component with at least one bit (its DC coefficient), and
 * deflate (PNG) expands at most 1032:1.
 */
import { ImageDecodeError } from './errors.js';

export type ImageFormat = 'jpeg' | 'png';

export interface HeaderLimits {
  /** Refuse images with more megapixels than this (declared width×height / 1e6). Default 100. */
  maxResolutionInMP?: number;
  /** Refuse images whose decoding would take more working memory than this (MiB). Default 512. */
  maxMemoryUsageInMB?: number;
}

export const DEFAULT_MAX_RESOLUTION_MP = 100;
export const DEFAULT_MAX_MEMORY_MB = 512;

/** What the header declares, once every header and limit check has passed. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
  /** Bytes the decoder allocates for this image (see the file comment). */
  decoderBytes: number;
  /** PNG only: Adam7 interlacing (pngjs inflates those without a size bound; decode.ts bounds it). */
  interlaced: boolean;
}

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

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

// ---------------------------------------------------------------- JPEG

interface JpegFrame {
  marker: number;
  precision: number;
  width: number;
  height: number;
  components: { h: number; v: number }[];
}

/** The marker structure of a JPEG: its frames, scans, entropy-coded byte count and whether EOI was reached. */
interface JpegLayout {
  frames: JpegFrame[];
  scans: number;
  entropyBytes: number;
  ended: boolean;
  /** Set when the bytes end inside a marker segment. */
  cut: boolean;
  /** Set when a byte that should start a marker does not (before the first scan). */
  badMarkerAt?: number;
}

const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpegLayout(b: Uint8Array): JpegLayout {
  const layout: JpegLayout = { frames: [], scans: 0, entropyBytes: 0, ended: false, cut: false };
  let p = 2;
  while (p + 1 < b.length) {
    if (b[p] !== 0xff) {
      if (layout.scans === 0) layout.badMarkerAt = p;
      return layout;
    }
    const m = b[p + 1];
    if (m === 0xff) { p++; continue; } // fill byte
    if (m === 0xd9) { layout.ended = true; return layout; }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) { p += 2; continue; }
    if (p + 4 > b.length) break;
    const end = p + 2 + u16(b, p + 2);
    if (end > b.length) break;
    if (isSof(m) && end - p >= 10) {
      const count = b[p + 9];
      const components: { h: number; v: number }[] = [];
      for (let i = 0; i < count && p + 12 + 3 * i <= end; i++) components.push({ h: b[p + 11 + 3 * i] >> 4, v: b[p + 11 + 3 * i] & 15 });
      layout.frames.push({ marker: m, precision: b[p + 4], height: u16(b, p + 5), width: u16(b, p + 7), components });
    }
    p = end;
    if (m === 0xda) {
      // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart.
      layout.scans++;
      let q = p;
      while (q < b.length) {
        if (b[q] === 0xff && q + 1 < b.length) {
          const next = b[q + 1];
          if (next !== 0 && (next < 0xd0 || next > 0xd7)) break;
          q += 2;
        } else {
          q++;
        }
      }
      layout.entropyBytes += q - p;
      p = q;
    }
  }
  layout.cut = true;
  return layout;
}

/** Declared size of a JPEG from its first SOFn segment, or undefined when none is reached. */
export function jpegDimensions(bytes: Uint8Array): { width: number; height: number } | undefined {
  const frame = jpegLayout(bytes).frames[0];
  return frame && { width: frame.width, height: frame.height };
}

const UNSUPPORTED_SOF: Record<number, string> = {
  0xc3: 'lossless', 0xc5: 'hierarchical', 0xc6: 'hierarchical', 0xc7: 'hierarchical lossless',
  0xc9: 'arithmetic-coded', 0xca: 'arithmetic-coded progressive', 0xcb: 'arithmetic-coded lossless',
  0xcd: 'hierarchical arithmetic-coded', 0xce: 'hierarchical arithmetic-coded', 0xcf: 'hierarchical arithmetic-coded lossless',
};

/** Per component: jpeg-js' blocks per line/column (unpadded) and per MCU-padded line/column. */
function jpegBlocks(f: JpegFrame) {
  const maxH = Math.max(1, ...f.components.map((c) => c.h));
  const maxV = Math.max(1, ...f.components.map((c) => c.v));
  const mcusPerLine = Math.ceil(f.width / 8 / maxH);
  const mcusPerColumn = Math.ceil(f.height / 8 / maxV);
  return f.components.map((c) => ({
    perLine: Math.ceil((Math.ceil(f.width / 8) * c.h) / maxH),
    perColumn: Math.ceil((Math.ceil(f.height / 8) * c.v) / maxV),
    padded: mcusPerLine * c.h * mcusPerColumn * c.v,
  }));
}

/**
 * jpeg-js' allocations for a frame (all counted by its maxMemoryUsageInMB): 256 bytes per
 * MCU-padded block, one byte per sample of each component's upsampled lines, the interleaved
 * component data (width·height·components), and the RGB output (width·height·3).
 */
export function jpegDecoderBytes(f: JpegFrame): number {
  const pixels = f.width * f.height;
  let bytes = pixels * f.components.length + pixels * 3;
  for (const c of jpegBlocks(f)) bytes += c.padded * 256 + c.perLine * 8 * c.perColumn * 8;
  return bytes;
}

function inspectJpeg(b: Uint8Array, name: string, limits: HeaderLimits): ImageHeader {
  const layout = jpegLayout(b);
  const frame = layout.frames[0];
  if (frame === undefined) {
    if (layout.badMarkerAt !== undefined) {
      throw new ImageDecodeError(`${name}: cannot decode this JPEG (corrupt header): no marker at byte ${layout.badMarkerAt}`, 'bad-header');
    }
    if (layout.cut) throw new ImageDecodeError(`${name}: cannot decode this JPEG (truncated or corrupt?): the file ends before its frame header (SOF)`, 'truncated-header');
    throw new ImageDecodeError(`${name}: cannot decode this JPEG (corrupt header): no frame header (SOF) before its image data`, 'bad-header');
  }
  const kind = UNSUPPORTED_SOF[frame.marker];
  if (kind !== undefined) {
    throw new ImageDecodeError(`${name}: is a ${kind} JPEG, which the decoder does not support; convert it to a baseline or progressive JPEG (or PNG)`, 'unsupported-format');
  }
  if (frame.precision !== 8) {
    throw new ImageDecodeError(`${name}: is a ${frame.precision}-bit JPEG; only 8-bit JPEGs are decoded (convert it to 8 bits or PNG)`, 'unsupported-format');
  }
  if (layout.frames.length > 1) throw new ImageDecodeError(`${name}: cannot decode this JPEG (corrupt header): ${layout.frames.length} frame headers, expected one`, 'bad-header');
  const count = frame.components.length;
  if (count < 1 || count > 4) throw new ImageDecodeError(`${name}: cannot decode this JPEG (corrupt header): ${count} colour components, expected 1 to 4`, 'bad-header');
  if (frame.components.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4)) {
    throw new ImageDecodeError(`${name}: cannot decode this JPEG (corrupt header): a sampling factor outside 1..4`, 'bad-header');
  }
  checkSize(name, frame.width, frame.height, limits);
  const decoderBytes = jpegDecoderBytes(frame);
  checkMemory(name, 'JPEG', frame.width, frame.height, decoderBytes, limits);
  if (layout.scans === 0) throw new ImageDecodeError(`${name}: cannot decode this JPEG (truncated or corrupt?): no image data (start-of-scan marker)`, 'truncated-data');
  const minimumBits = jpegBlocks(frame).reduce((s, c) => s + c.perLine * c.perColumn, 0);
  if (layout.entropyBytes * 8 < minimumBits) {
    throw new ImageDecodeError(
      `${name}: cannot decode this JPEG (truncated or corrupt?): ${layout.entropyBytes} bytes of image data cannot hold a ${frame.width}×${frame.height} image (at least ${Math.ceil(minimumBits / 8)})`,
      'truncated-data',
    );
  }
  if (!layout.ended) throw new ImageDecodeError(`${name}: cannot decode this JPEG (truncated or corrupt?): the file ends before its end-of-image marker`, 'truncated-data');
  return { format: 'jpeg', width: frame.width, height: frame.height, decoderBytes, interlaced: false };
}

// ---------------------------------------------------------------- PNG

/** PNG IHDR fields, or undefined when the header is cut short / not IHDR. */
export function pngHeader(bytes: Uint8Array): { width: number; height: number; bitDepth: number; colorType: number; interlace: number } | undefined {
  // signature (8) | length (4) | 'IHDR' (4) | width (4) | height (4) | depth | colour type | compression | filter | interlace
  if (bytes.length < 8 + 8 + 13) return undefined;
  if (ascii(bytes, 12, 16) !== 'IHDR') return undefined;
  return { width: u32(bytes, 16), height: u32(bytes, 20), bitDepth: bytes[24], colorType: bytes[25], interlace: bytes[28] };
}

/** Samples per pixel and the bit depths the PNG specification allows, per colour type. */
const PNG_COLOR_TYPES = new Map<number, { channels: number; depths: number[] }>([
  [0, { channels: 1, depths: [1, 2, 4, 8, 16] }],
  [2, { channels: 3, depths: [8, 16] }],
  [3, { channels: 1, depths: [1, 2, 4, 8] }],
  [4, { channels: 2, depths: [8, 16] }],
  [6, { channels: 4, depths: [8, 16] }],
]);

/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

/** Inflated scanline bytes (each row: a filter byte, then packed samples) and the row count. */
export function pngInflatedSize(width: number, height: number, bitsPerPixel: number, interlaced: boolean): { bytes: number; rows: number } {
  const rowBytes = (w: number) => Math.ceil((w * bitsPerPixel) / 8);
  if (!interlaced) return { bytes: height * (1 + rowBytes(width)), rows: height };
  let bytes = 0;
  let rows = 0;
  for (const [xs, ys, dx, dy] of ADAM7) {
    const w = width > xs ? Math.ceil((width - xs) / dx) : 0;
    const h = height > ys ? Math.ceil((height - ys) / dy) : 0;
    if (w > 0 && h > 0) {
      bytes += h * (1 + rowBytes(w));
      rows += h;
    }
  }
  return { bytes, rows };
}

/** The IDAT chunks' data ranges and whether IEND was reached. */
export function pngChunks(b: Uint8Array): { idat: [number, number][]; ended: boolean } {
  const idat: [number, number][] = [];
  let p = 8;
  while (p + 8 <= b.length) {
    const length = u32(b, p);
    const type = ascii(b, p + 4, p + 8);
    const start = p + 8;
    if (type === 'IDAT') idat.push([start, Math.min(b.length, start + length)]);
    if (type === 'IEND') return { idat, ended: true };
    p = start + length + 4; // data, CRC
  }
  return { idat, ended: false };
}

/** deflate's largest expansion: 258 bytes from a 2-bit code (zlib's documented 1032:1). */
const DEFLATE_MAX_RATIO = 1032;

function inspectPng(b: Uint8Array, name: string, limits: HeaderLimits): ImageHeader {
  const header = pngHeader(b);
  if (!header) {
    if (b.length < 8 + 8 + 13) throw new ImageDecodeError(`${name}: cannot decode this PNG (truncated or corrupt?): the file ends inside its IHDR header`, 'truncated-header');
    throw new ImageDecodeError(`${name}: cannot decode this PNG (corrupt header): the first chunk is not IHDR`, 'bad-header');
  }
  const { width, height, bitDepth, colorType, interlace } = header;
  const type = PNG_COLOR_TYPES.get(colorType);
  const corrupt = (what: string) => new ImageDecodeError(`${name}: cannot decode this PNG (corrupt header): ${what}`, 'bad-header');
  if (u32(b, 8) !== 13) throw corrupt(`IHDR is ${u32(b, 8)} bytes long, expected 13`);
  if (type === undefined) throw corrupt(`colour type ${colorType} (valid: 0, 2, 3, 4, 6)`);
  if (!type.depths.includes(bitDepth)) throw corrupt(`bit depth ${bitDepth} with colour type ${colorType} (valid: ${type.depths.join(', ')})`);
  if (b[26] !== 0 || b[27] !== 0) throw corrupt(`compression method ${b[26]} / filter method ${b[27]} (valid: 0)`);
  if (interlace > 1) throw corrupt(`interlace method ${interlace} (valid: 0, 1)`);
  if (width > 0x7fffffff || height > 0x7fffffff) throw corrupt(`${width}×${height} is beyond the PNG maximum of 2^31 − 1 per side`);
  checkSize(name, width, height, limits);
  const interlaced = interlace === 1;
  const chunks = pngChunks(b);
  const idatBytes = chunks.idat.reduce((s, [from, to]) => s + to - from, 0);
  const inflated = pngInflatedSize(width, height, type.channels * bitDepth, interlaced);
  // pngjs: the joined IDAT data; the inflate buffer and its copy; each unfiltered row and their
  // concatenation; the RGBA bitmap (Uint16Array at 16 bits) and its 8-bit rescale; then our RGB.
  const pixels = width * height;
  const decoderBytes = idatBytes + 2 * inflated.bytes + 2 * (inflated.bytes - inflated.rows)
    + pixels * 4 * (bitDepth === 16 ? 2 : 1) + (bitDepth === 16 ? pixels * 4 : 0) + pixels * 3;
  checkMemory(name, 'PNG', width, height, decoderBytes, limits);
  if (idatBytes === 0) throw new ImageDecodeError(`${name}: cannot decode this PNG (truncated or corrupt?): no pixel data (IDAT)`, 'truncated-data');
  if ((idatBytes + 64) * DEFLATE_MAX_RATIO < inflated.bytes) {
    throw new ImageDecodeError(
      `${name}: cannot decode this PNG (truncated or corrupt?): ${idatBytes} bytes of pixel data cannot hold a ${width}×${height} image`,
      'truncated-data',
    );
  }
  if (!chunks.ended) throw new ImageDecodeError(`${name}: cannot decode this PNG (truncated or corrupt?): the file ends before its IEND chunk`, 'truncated-data');
  return { format: 'png', width, height, decoderBytes, interlaced };
}

// ---------------------------------------------------------------- shared checks

/** Throws unless `width × height` is non-empty and within `maxResolutionInMP`. */
export function checkSize(name: string, width: number, height: number, limits: HeaderLimits): void {
  const limit = limits.maxResolutionInMP ?? DEFAULT_MAX_RESOLUTION_MP;
  if (width <= 0 || height <= 0) throw new ImageDecodeError(`${name}: declares an empty image (${width}×${height})`, 'empty-image');
  const mp = (width * height) / 1e6;
  if (mp > limit) {
    throw new ImageDecodeError(
      `${name}: ${width}×${height} = ${mp.toFixed(1)} megapixels exceeds the limit of ${limit} (option maxResolutionInMP; raise it to decode this image)`,
      'resolution',
    );
  }
}

function checkMemory(name: string, format: string, width: number, height: number, bytes: number, limits: HeaderLimits): void {
  const limit = limits.maxMemoryUsageInMB ?? DEFAULT_MAX_MEMORY_MB;
  if (bytes > limit * 2 ** 20) {
    throw new ImageDecodeError(
      `${name}: decoding this ${width}×${height} ${format} needs about ${(bytes / 2 ** 20).toFixed(0)} MiB, over the limit of ${limit} MiB (option maxMemoryUsageInMB; raise it to decode this image)`,
      'memory',
    );
  }
}

/** Formats we recognise but do not decode, so the error can say what the file is. */
const OTHER_FORMATS: [string, (b: Uint8Array) => boolean][] = [
  ['GIF', (b) => ascii(b, 0, 4) === 'GIF8'],
  ['BMP', (b) => ascii(b, 0, 2) === 'BM'],
  ['TIFF', (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*'],
  ['WebP', (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP'],
  ['HEIF/AVIF', (b) => ascii(b, 4, 8) === 'ftyp' && /^(heic|heix|mif1|msf1|avif|avis)$/.test(ascii(b, 8, 12))],
];

function hexHead(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Every check `decodeImage` makes before decoding, on the encoded bytes alone: a JPEG or PNG (the
 * error says what else it looks like), a complete header with valid fields, a size within
 * `maxResolutionInMP`, a decoder memory need within `maxMemoryUsageInMB`, and enough compressed
 * data for the declared size. Throws `ImageDecodeError` (its `reason` names the check).
 */
export function inspectImage(bytes: Uint8Array, limits: HeaderLimits = {}, name = 'image'): ImageHeader {
  const format = sniffFormat(bytes);
  if (format === 'jpeg') return inspectJpeg(bytes, name, limits);
  if (format === 'png') return inspectPng(bytes, name, limits);
  if (bytes.length === 0) throw new ImageDecodeError(`${name}: is empty (0 bytes), not an image`, 'empty');
  const other = OTHER_FORMATS.find(([, matches]) => matches(bytes));
  if (other) throw new ImageDecodeError(`${name}: looks like ${other[0]}; only JPEG and PNG are decoded (convert it, or pass decoded pixels)`, 'unsupported-format');
  throw new ImageDecodeError(`${name}: not a JPEG or PNG image (first bytes: ${hexHead(bytes)})`, 'unknown-format');
}
