/**
 * Decoding: fixture JPEGs give their known sizes, PNG round trips through pngjs, raw pixels and
 * ImageData-like objects convert to RGB, and every failure names the file and the fix — limits
 * are enforced on the declared header size, before pixels are allocated.
 */
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage, fromPixels, jpegDimensions, pngHeader, sniffFormat } from '../../src/image/decode.js';
import { loadImage } from '../../src/image/load.js';
import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';

const REPO = new URL('../../', import.meta.url).pathname;

/** A PNG encoded by pngjs from RGBA pixels (the decoder under test never sees how it was made). */
function encodePng(width: number, height: number, rgba: Uint8Array, options: { colorType?: 0 | 2 | 4 | 6; bitDepth?: 8 | 16 } = {}): Uint8Array {
  const png = new PNG({ width, height, colorType: options.colorType ?? 6, bitDepth: options.bitDepth ?? 8, inputColorType: 6 });
  // 16-bit input is native-endian uint16 over the whole buffer; v·257 rescales back to exactly v.
  png.data = options.bitDepth === 16 ? Buffer.from(Uint16Array.from(rgba, (v) => v * 257).buffer) : Buffer.from(rgba);
  return new Uint8Array(PNG.sync.write(png, { colorType: options.colorType ?? 6, bitDepth: options.bitDepth ?? 8, inputColorType: 6 }));
}

/** Signature + an IHDR chunk declaring `width × height` (RGBA, 8 bit) and nothing else. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const b = new Uint8Array(8 + 8 + 13 + 4);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(b.buffer);
  view.setUint32(8, 13);
  b.set([0x49, 0x48, 0x44, 0x52], 12); // IHDR
  view.setUint32(16, width);
  view.setUint32(20, height);
  b.set([8, 6, 0, 0, 0], 24);
  return b;
}

/** Varied pixels; `opaque` sets alpha 255 (pngjs composites non-opaque pixels on white when it drops alpha). */
function patternRgba(width: number, height: number, opaque = false): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = opaque && i % 4 === 3 ? 255 : (i * 37 + 11) & 255;
  return rgba;
}

function dropAlpha(rgba: Uint8Array): number[] {
  return [...rgba].filter((_, i) => i % 4 !== 3);
}

describe('raw pixels and ImageData-like objects → RGB', () => {
  const rgba = new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 0, 7, 8, 9, 128, 10, 11, 12, 255, 13, 14, 15, 1, 16, 17, 18, 2]);
  it.each([
    { case: 'ImageData RGBA (Uint8ClampedArray) drops alpha', pixels: { width: 3, height: 2, data: rgba }, rgb: dropAlpha(new Uint8Array(rgba)) },
    { case: 'RGB bytes copy through', pixels: { width: 2, height: 1, data: new Uint8Array([9, 8, 7, 6, 5, 4]) }, rgb: [9, 8, 7, 6, 5, 4] },
    { case: 'gray bytes replicate', pixels: { width: 2, height: 1, data: [10, 200] }, rgb: [10, 10, 10, 200, 200, 200] },
    { case: 'explicit channels: 4', pixels: { width: 1, height: 1, data: [1, 2, 3, 4], channels: 4 as const }, rgb: [1, 2, 3] },
  ])('$case', async ({ pixels, rgb }) => {
    const image = await decodeImage(pixels);
    expect(image.width).toBe(pixels.width);
    expect(image.height).toBe(pixels.height);
    expect(image.data).toBeInstanceOf(Uint8Array);
    expect([...image.data]).toEqual(rgb);
  });

  it.each([
    { case: '5 values for 2 pixels', pixels: { width: 2, height: 1, data: [1, 2, 3, 4, 5] }, error: /5 values for 2×1 pixels: expected 1, 3 or 4/ },
    { case: 'channels 3 with RGBA length', pixels: { width: 1, height: 1, data: [1, 2, 3, 4], channels: 3 as const }, error: /4 values, expected 1×1×3 = 3/ },
    { case: 'zero width', pixels: { width: 0, height: 1, data: [] }, error: /positive integers, got 0×1/ },
  ])('rejects $case', ({ pixels, error }) => {
    expect(() => fromPixels(pixels, 'cam.raw')).toThrow(error);
  });
});

describe('PNG via pngjs: round trips and header checks', () => {
  it.each([
    { case: 'RGBA 8-bit 5×3', width: 5, height: 3, colorType: 6 as const },
    { case: 'RGB 8-bit 7×2', width: 7, height: 2, colorType: 2 as const },
    { case: 'RGBA 16-bit 3×4 (rescaled to 8 bit)', width: 3, height: 4, colorType: 6 as const, bitDepth: 16 as const },
  ])('$case', async ({ width, height, colorType, bitDepth }) => {
    const rgba = patternRgba(width, height, colorType === 2);
    const bytes = encodePng(width, height, rgba, { colorType, bitDepth });
    expect(sniffFormat(bytes)).toBe('png');
    expect(pngHeader(bytes)).toMatchObject({ width, height, bitDepth: bitDepth ?? 8, colorType });
    const image = await decodeImage(bytes);
    expect([image.width, image.height]).toEqual([width, height]);
    expect([...image.data]).toEqual(dropAlpha(rgba));
  });

  it('gray PNG decodes to R = G = B', async () => {
    const rgba = patternRgba(4, 2, true);
    for (let i = 0; i < 8; i++) rgba.fill(rgba[i * 4], i * 4, i * 4 + 3); // make the pixels gray before encoding
    const image = await decodeImage(encodePng(4, 2, rgba, { colorType: 0 }));
    for (let i = 0; i < 8; i++) expect([image.data[i * 3 + 1], image.data[i * 3 + 2]]).toEqual([image.data[i * 3], image.data[i * 3]]);
    expect(image.data[3]).toBe(rgba[4]);
  });

  it('an ArrayBuffer is accepted like bytes', async () => {
    const bytes = encodePng(2, 2, patternRgba(2, 2));
    const image = await decodeImage(bytes.slice().buffer);
    expect(image.width).toBe(2);
  });
});

describe.skipIf(!FIXTURES_AVAILABLE)(`fixture JPEGs decode to their known sizes${FIXTURES_SKIP_REASON}`, () => {
  it.each([
    { file: 'tf/grace_hopper.jpg', width: 517, height: 606 },
    { file: 'caffe/cat.jpg', width: 480, height: 360 },
    { file: 'darknet/scream.jpg', width: 352, height: 448 },
    { file: 'opencv/HappyFish.jpg', width: 259, height: 194 },
    { file: 'npm_tensorflow-models/coffee.jpg', width: 800, height: 800 },
  ])('$file is $width×$height (width first)', async ({ file, width, height }) => {
    const bytes = readFileSync(fixturePath(`images/${file}`));
    expect(sniffFormat(bytes)).toBe('jpeg');
    expect(jpegDimensions(bytes)).toEqual({ width, height });
    const image = await loadImage(fixturePath(`images/${file}`));
    expect([image.width, image.height, image.data.length]).toEqual([width, height, width * height * 3]);
  });

  it('a grayscale JPEG (caffe/cat_gray.jpg) decodes to R = G = B', async () => {
    const image = await loadImage(fixturePath('images/caffe/cat_gray.jpg'));
    let unequal = 0;
    for (let i = 0; i < image.data.length; i += 3) if (image.data[i] !== image.data[i + 1] || image.data[i] !== image.data[i + 2]) unequal++;
    expect(unequal).toBe(0);
  });

  it('the resolution limit is an option: 0.3 MP refuses grace_hopper (0.31 MP), 0.32 accepts it', async () => {
    const path = fixturePath('images/tf/grace_hopper.jpg');
    await expect(loadImage(path, { maxResolutionInMP: 0.3 })).rejects.toThrow(/grace_hopper\.jpg: 517×606 = 0\.3 megapixels exceeds the limit of 0\.3 \(option maxResolutionInMP/);
    await expect(loadImage(path, { maxResolutionInMP: 0.32 })).resolves.toMatchObject({ width: 517 });
  });

  it('the memory limit is an option (checked on the header, counted as jpeg-js counts its allocations)', async () => {
    await expect(loadImage(fixturePath('images/tf/grace_hopper.jpg'), { maxMemoryUsageInMB: 0.5 }))
      .rejects.toThrow(/grace_hopper\.jpg: decoding this 517×606 JPEG needs about 4 MiB, over the limit of 0\.5 MiB \(option maxMemoryUsageInMB/);
  });
});

describe('without Node\'s Buffer (as in a browser)', () => {
  async function withoutBuffer<T>(work: () => Promise<T>): Promise<T> {
    const saved = globalThis.Buffer;
    // @ts-expect-error — removed for the duration of the call, restored below
    delete globalThis.Buffer;
    try {
      return await work();
    } finally {
      globalThis.Buffer = saved;
    }
  }

  it.skipIf(!FIXTURES_AVAILABLE)('JPEG still decodes (jpeg-js with typed arrays)', async () => {
    const bytes = new Uint8Array(readFileSync(fixturePath('images/opencv/HappyFish.jpg')));
    const image = await withoutBuffer(() => decodeImage(bytes));
    expect([image.width, image.height]).toEqual([259, 194]);
  });

  it('PNG says to pass decoded ImageData instead', async () => {
    const bytes = encodePng(2, 2, patternRgba(2, 2));
    await expect(withoutBuffer(() => decodeImage(bytes, { name: 'a.png' }))).rejects.toThrow(/^a\.png: PNG decoding uses pngjs, which needs Node's Buffer; in a browser decode with createImageBitmap\/canvas and pass the ImageData/);
  });
});

describe('errors name the file and the problem', () => {
  const jpeg = FIXTURES_AVAILABLE ? readFileSync(fixturePath('images/tf/grace_hopper.jpg')) : new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);
  /** grace_hopper with its SOF0 frame size patched to 60000×60000. */
  const hugeJpeg = (() => {
    const b = new Uint8Array(jpeg);
    for (let p = 2; p + 9 < b.length; ) {
      const marker = b[p + 1];
      if (marker === 0xc0 || marker === 0xc2) { b.set([0xea, 0x60, 0xea, 0x60], p + 5); break; }
      p += 2 + ((b[p + 2] << 8) | b[p + 3]);
    }
    return b;
  })();
  const png = encodePng(6, 5, patternRgba(6, 5));
  it.each([
    { case: 'a JSON file', bytes: readFileSync(`${REPO}package.json`), error: /^x: not a JPEG or PNG image \(first bytes: 7b 0a/ },
    { case: 'an empty file', bytes: new Uint8Array(0), error: /^x: is empty \(0 bytes\), not an image/ },
    { case: 'a GIF', bytes: new TextEncoder().encode('GIF89a....'), error: /^x: looks like GIF; only JPEG and PNG are decoded/ },
    { case: 'a WebP', bytes: new TextEncoder().encode('RIFF\x10\0\0\0WEBPVP8 '), error: /^x: looks like WebP; only JPEG and PNG/ },
    { case: 'a HEIC', bytes: new TextEncoder().encode('\0\0\0\x18ftypheic\0\0\0\0'), error: /^x: looks like HEIF\/AVIF; only JPEG and PNG/ },
    { case: 'a WAV (RIFF but not WebP)', bytes: new TextEncoder().encode('RIFF\x10\0\0\0WAVEfmt '), error: /^x: not a JPEG or PNG image \(first bytes: 52 49 46 46/ },
    { case: 'a PNG cut inside its pixel data', bytes: png.subarray(0, png.length - 20), error: /^x: cannot decode this PNG \(truncated or corrupt\?\)/ },
    { case: 'a PNG cut inside IHDR', bytes: png.subarray(0, 20), error: /^x: cannot decode this PNG \(truncated or corrupt\?\): the file ends inside its IHDR header/ },
    { case: 'a PNG declaring 100000×100000 (no pixel data: the header check must fire first)', bytes: pngHeaderOnly(100000, 100000), error: /^x: 100000×100000 = 10000\.0 megapixels exceeds the limit of 100 \(option maxResolutionInMP/ },
    { case: 'a PNG declaring 0×5', bytes: pngHeaderOnly(0, 5), error: /^x: declares an empty image \(0×5\)/ },
    ...(FIXTURES_AVAILABLE ? [
      { case: 'a JPEG cut in half', bytes: jpeg.subarray(0, jpeg.length >> 1), error: /^x: cannot decode this JPEG \(truncated or corrupt\?\)/ },
      { case: 'a JPEG cut after its headers', bytes: jpeg.subarray(0, 600), error: /^x: cannot decode this JPEG \(truncated or corrupt\?\)/ },
      { case: 'a JPEG declaring 60000×60000', bytes: hugeJpeg, error: /^x: 60000×60000 = 3600\.0 megapixels exceeds the limit of 100 \(option maxResolutionInMP/ },
    ] : []),
  ])('$case', async ({ bytes, error }) => {
    await expect(decodeImage(bytes, { name: 'x' })).rejects.toThrow(error);
  });

  it('a PNG over the memory limit is refused from its header, naming the option', async () => {
    await expect(decodeImage(pngHeaderOnly(2000, 2000), { name: 'big.png', maxMemoryUsageInMB: 16 }))
      .rejects.toThrow(/^big\.png: decoding this 2000×2000 PNG needs about 88 MiB, over the limit of 16 MiB \(option maxMemoryUsageInMB; raise it/);
  });

  it.each([
    { case: 'a missing file', path: '/nonexistent/dir/photo.jpg', error: "cannot read image '/nonexistent/dir/photo.jpg': no such file" },
    { case: 'a directory', path: REPO, error: `cannot read image '${REPO}': is a directory, not an image file` },
  ])('loadImage of $case names the path', async ({ path, error }) => {
    await expect(loadImage(path)).rejects.toThrow(error);
  });

  it('loadImage names the file in decode errors', async () => {
    await expect(loadImage(`${REPO}package.json`)).rejects.toThrow(`${REPO}package.json: not a JPEG or PNG image`);
  });
});
