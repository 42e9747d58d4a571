/**
 * Header and limit checks run before a decoder allocates: hostile headers (huge declared sizes,
 * absent scan data, zip bombs) fail fast with an `ImageDecodeError` whose `reason` names the check,
 * and the decoder's own failures arrive wrapped in the same class. The memory need computed from
 * the header is compared with jpeg-js' own accounting.
 */
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { ImageDecodeError, type ImageDecodeReason } from '../../src/image/errors.js';
import { inspectImage } from '../../src/image/header.js';
import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';

function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 37 + 11) & 255;
  return b;
}

const smallJpeg = new Uint8Array(jpeg.encode({ data: pattern(24 * 16 * 4), width: 24, height: 16 }, 80).data);

/** Offset of the first SOF0 segment's marker in a JPEG. */
function sofAt(b: Uint8Array): number {
  for (let p = 2; p + 9 < b.length;) {
    if (b[p + 1] === 0xc0) return p;
    p += 2 + ((b[p + 2] << 8) | b[p + 3]);
  }
  throw new Error('no SOF0');
}

/** The small JPEG with its SOF0 edited by `edit(bytes, sofOffset)`. */
function editedJpeg(edit: (b: Uint8Array, sof: number) => void): Uint8Array {
  const b = smallJpeg.slice();
  edit(b, sofAt(b));
  return b;
}

const declaring = (width: number, height: number) => editedJpeg((b, p) => b.set([height >> 8, height & 255, width >> 8, width & 255], p + 5));

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  let c = 0xffffffff;
  for (const byte of out.subarray(4, 8 + data.length)) c = CRC_TABLE[(c ^ byte) & 255] ^ (c >>> 8);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}

/** A PNG assembled from its chunks (valid CRCs): IHDR for `width × height`, then the given IDAT data and IEND. */
function assembledPng(width: number, height: number, idat: Uint8Array, { colorType = 6, bitDepth = 8, interlace = 0 } = {}): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colorType, 0, 0, interlace], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]));
}

async function failure(bytes: Uint8Array, options = {}): Promise<{ error: ImageDecodeError; ms: number }> {
  const t0 = performance.now();
  try {
    await decodeImage(bytes, { name: 'x', ...options });
  } catch (e) {
    return { error: e as ImageDecodeError, ms: performance.now() - t0 };
  }
  throw new Error('decoded without an error');
}

describe('hostile headers fail fast, before the decoder allocates', () => {
  it('a ~1 kB JPEG declaring 9999×9999 (under 100 MP) is refused from its header: memory need over the default 512 MiB', async () => {
    const { error, ms } = await failure(declaring(9999, 9999));
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect(error.reason).toBe('memory');
    expect(error.message).toMatch(/^x: decoding this 9999×9999 JPEG needs about \d+ MiB, over the limit of 512 MiB \(option maxMemoryUsageInMB/);
    expect(ms).toBeLessThan(200);
  });

  it('with the memory limit raised, a 4000×4000 JPEG with ~1 kB of scan data fails fast as truncated', async () => {
    const { error, ms } = await failure(declaring(4000, 4000), { maxMemoryUsageInMB: 4096 });
    expect(error.reason).toBe('truncated-data');
    expect(error.message).toMatch(/^x: cannot decode this JPEG \(truncated or corrupt\?\): \d+ bytes of image data cannot hold a 4000×4000 image/);
    expect(ms).toBeLessThan(200);
  });

  it('a PNG declaring 3000×3000 with 100 bytes of pixel data fails fast as truncated', async () => {
    const { error, ms } = await failure(assembledPng(3000, 3000, deflateSync(pattern(1000)).subarray(0, 100)));
    expect(error.reason).toBe('truncated-data');
    expect(error.message).toMatch(/^x: cannot decode this PNG \(truncated or corrupt\?\): 100 bytes of pixel data cannot hold a 3000×3000 image/);
    expect(ms).toBeLessThan(200);
  });

  it('an interlaced PNG whose pixel data inflates far past its declared size is refused (pngjs would inflate it unbounded)', async () => {
    const bomb = deflateSync(new Uint8Array(32 * 2 ** 20), { level: 9 });
    const { error } = await failure(assembledPng(16, 16, bomb, { interlace: 1 }));
    expect(error.reason).toBe('corrupt');
    expect(error.message).toMatch(/^x: cannot decode this PNG \(truncated or corrupt\?\): its pixel data inflates to more than the \d+ bytes a 16×16 image holds/);
  });

  it('the PNG memory need follows pngjs\' buffers (IDAT, 2× inflated, 2× unfiltered rows, RGBA bitmap, our RGB)', async () => {
    const { error } = await failure(assembledPng(2000, 2000, new Uint8Array(0)), { maxMemoryUsageInMB: 16 });
    const inflated = 2000 * (1 + 2000 * 4);
    const need = 2 * inflated + 2 * (inflated - 2000) + 2000 * 2000 * 4 + 2000 * 2000 * 3;
    expect(error.reason).toBe('memory');
    expect(error.message).toContain(`x: decoding this 2000×2000 PNG needs about ${(need / 2 ** 20).toFixed(0)} MiB, over the limit of 16 MiB`);
  });
});

describe('the JPEG memory need is jpeg-js\' own count', () => {
  const images = FIXTURES_AVAILABLE ? ['caffe/cat.jpg', 'tf/grace_hopper.jpg', 'caffe/cat_gray.jpg'] : [];
  it.skipIf(!FIXTURES_AVAILABLE).each(images)(`%s: jpeg-js fails 1 byte under it and decodes with 8 kB (its tables) over it${FIXTURES_SKIP_REASON}`, (file) => {
    const bytes = new Uint8Array(readFileSync(fixturePath(`images/${file}`)));
    const { decoderBytes } = inspectImage(bytes);
    const decode = (bytesLimit: number) => jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: bytesLimit / 2 ** 20 });
    expect(() => decode(decoderBytes - 1)).toThrow(/maxMemoryUsageInMB/);
    expect(decode(decoderBytes + 8192).width).toBeGreaterThan(0);
  });

  it('the small test JPEG too (4:4:4, 3 components)', () => {
    const { decoderBytes } = inspectImage(smallJpeg);
    expect(() => jpeg.decode(smallJpeg, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: (decoderBytes - 1) / 2 ** 20 })).toThrow(/maxMemoryUsageInMB/);
    expect(jpeg.decode(smallJpeg, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: (decoderBytes + 8192) / 2 ** 20 }).width).toBe(24);
  });
});

describe('every refusal is an ImageDecodeError whose reason names the check', () => {
  const png = (() => {
    const p = new PNG({ width: 6, height: 5 });
    p.data = pattern(6 * 5 * 4);
    return new Uint8Array(PNG.sync.write(p));
  })();
  const cases: { case: string; bytes: Uint8Array; reason: ImageDecodeReason; message: RegExp }[] = [
    { case: 'zero bytes', bytes: new Uint8Array(0), reason: 'empty', message: /^x: is empty/ },
    { case: 'a GIF', bytes: new TextEncoder().encode('GIF89a....'), reason: 'unsupported-format', message: /^x: looks like GIF/ },
    { case: 'text', bytes: new TextEncoder().encode('{"a": 1}'), reason: 'unknown-format', message: /^x: not a JPEG or PNG image/ },
    { case: 'a JPEG cut inside its header', bytes: smallJpeg.subarray(0, 30), reason: 'truncated-header', message: /^x: cannot decode this JPEG \(truncated or corrupt\?\): the file ends before its frame header/ },
    { case: 'a 12-bit JPEG', bytes: editedJpeg((b, p) => { b[p + 4] = 12; }), reason: 'unsupported-format', message: /^x: is a 12-bit JPEG; only 8-bit JPEGs are decoded/ },
    { case: 'a lossless JPEG (SOF3)', bytes: editedJpeg((b, p) => { b[p + 1] = 0xc3; }), reason: 'unsupported-format', message: /^x: is a lossless JPEG, which the decoder does not support/ },
    { case: 'a JPEG sampling factor 0', bytes: editedJpeg((b, p) => { b[p + 11] = 0x01; }), reason: 'bad-header', message: /^x: cannot decode this JPEG \(corrupt header\): a sampling factor outside 1\.\.4/ },
    { case: 'a JPEG with 0 components', bytes: editedJpeg((b, p) => { b[p + 9] = 0; }), reason: 'bad-header', message: /0 colour components, expected 1 to 4/ },
    { case: 'a JPEG of height 0', bytes: declaring(24, 0), reason: 'empty-image', message: /^x: declares an empty image \(24×0\)/ },
    { case: 'a JPEG declaring 60000×60000', bytes: declaring(60000, 60000), reason: 'resolution', message: /^x: 60000×60000 = 3600\.0 megapixels exceeds the limit of 100/ },
    { case: 'a JPEG without its end marker', bytes: smallJpeg.subarray(0, smallJpeg.length - 2), reason: 'truncated-data', message: /the file ends before its end-of-image marker/ },
    { case: 'a JPEG whose Huffman table is zeroed (the decoder\'s own error)', bytes: (() => {
      const b = smallJpeg.slice();
      for (let p = 2; p + 4 < b.length;) { // zero the first DHT segment's code counts
        if (b[p + 1] === 0xc4) { b.fill(0, p + 5, p + 21); break; }
        p += 2 + ((b[p + 2] << 8) | b[p + 3]);
      }
      return b;
    })(), reason: 'corrupt', message: /^x: cannot decode this JPEG \(truncated or corrupt\?\): / },
    { case: 'a PNG cut inside IHDR', bytes: png.subarray(0, 20), reason: 'truncated-header', message: /ends inside its IHDR header/ },
    { case: 'a PNG of colour type 5', bytes: (() => { const b = png.slice(); b[25] = 5; return b; })(), reason: 'bad-header', message: /colour type 5 \(valid: 0, 2, 3, 4, 6\)/ },
    { case: 'a PNG cut before IEND', bytes: png.subarray(0, png.length - 12), reason: 'truncated-data', message: /the file ends before its IEND chunk/ },
    { case: 'a PNG with a bad CRC (pngjs\' own error)', bytes: (() => { const b = png.slice(); b[png.length - 13] ^= 1; return b; })(), reason: 'corrupt', message: /^x: cannot decode this PNG \(truncated or corrupt\?\): / },
  ];
  it.each(cases)('$case → $reason', async ({ bytes, reason, message }) => {
    const { error } = await failure(bytes);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
  });

  it('decoded pixels of the wrong length → bad-pixels; a non-image source → bad-source', async () => {
    expect((await failure({ width: 2, height: 1, data: [1, 2, 3, 4, 5] } as never)).error.reason).toBe('bad-pixels');
    expect((await failure(42 as never)).error.reason).toBe('bad-source');
  });
});
