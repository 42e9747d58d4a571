/**
 * Fuzzing the image decoders: seeded mutations (truncation, byte flips, corrupted header fields)
 * of a small JPEG and PNG. Each input must decode or throw an Error with a message, in bounded
 * time and without allocating from an unchecked size (the decoder checks declared dimensions
 * against its limits before decoding). FUZZ_RUNS=n for a longer run (default 200 per format).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { mulberry32 } from '../../src/util/prng.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);

function sampleRgba(w: number, h: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 255;
  return data;
}

const seeds = {
  jpeg: () => new Uint8Array(jpeg.encode({ data: sampleRgba(24, 16), width: 24, height: 16 }, 80).data),
  png: () => {
    const png = new PNG({ width: 24, height: 16 });
    png.data = sampleRgba(24, 16);
    return new Uint8Array(PNG.sync.write(png));
  },
};

function mutate(bytes: Uint8Array, next: () => number): Uint8Array {
  const kind = Math.floor(next() * 3);
  if (kind === 0) return bytes.slice(0, Math.floor(next() * bytes.length));
  const out = bytes.slice();
  const flips = 1 + Math.floor(next() * 8);
  // Kind 1 flips anywhere; kind 2 aims at the header (sizes, lengths) in the first 64 bytes.
  const span = kind === 1 ? out.length : Math.min(64, out.length);
  for (let i = 0; i < flips; i++) out[Math.floor(next() * span)] = Math.floor(next() * 256);
  return out;
}

describe('image decoder fuzz', () => {
  for (const [format, make] of Object.entries(seeds)) {
    it(`${RUNS} seeded mutations of a ${format}: each decodes or throws an Error with a message, in < 1 s`, async () => {
      const next = mulberry32(format === 'jpeg' ? 7 : 8);
      const seed = make();
      const outcomes: Record<string, number> = {};
      for (let i = 0; i < RUNS; i++) {
        const input = mutate(seed, next);
        const t0 = performance.now();
        let outcome: string;
        try {
          const image = await decodeImage(input, { maxResolutionInMP: 1, maxMemoryUsageInMB: 64 });
          expect(image.data.length).toBe(image.width * image.height * 3);
          outcome = 'decoded';
        } catch (e) {
          expect(e, `mutation ${i}`).toBeInstanceOf(Error);
          expect((e as Error).message.length, `mutation ${i} has a message`).toBeGreaterThan(10);
          outcome = (e as Error).name;
        }
        expect(performance.now() - t0, `mutation ${i} time`).toBeLessThan(1000);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      console.log(`${format} fuzz outcomes:`, outcomes);
    });
  }
});
