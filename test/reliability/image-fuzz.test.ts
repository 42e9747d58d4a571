/**
 * Fuzzing the image decoders: seeded mutations of a small JPEG and PNG — truncation, byte flips
 * anywhere and in the header, and rewritten header fields (frame size, components, sampling
 * factors, bit depth, colour type) — decoded with small limits (1 MP, 4 MiB).
 *
 * What must hold for every case: it decodes to a consistent image, or throws an
 * `ImageDecodeError` (a decoder's own error arrives wrapped, reason 'corrupt') whose message
 * names the image; it ends within a second; and the process does not grow by more than a bound
 * far below what an allocation from an unchecked header would take (a 4000×4000 JPEG is ~300 MiB
 * of jpeg-js blocks). The outcomes are counted per reason, and each of our own checks must have
 * fired at least once — otherwise the mutations did not reach it and the run proves nothing about it.
 * FUZZ_RUNS=n for a longer run (default 240 per format).
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { ImageDecodeError, type ImageDecodeReason } from '../../src/image/errors.js';
import { mulberry32 } from '../../src/util/prng.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 240);
const LIMITS = { maxResolutionInMP: 1, maxMemoryUsageInMB: 4 };
/** Largest RSS growth over the run's start allowed (decoding within LIMITS needs ~4 MiB + V8's block overhead). */
const MAX_RSS_GROWTH = 160 * 2 ** 20;

function sampleRgba(w: number, h: number): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 255;
  return data;
}

/** Byte offsets of the fields the header mutations rewrite. */
interface Seed {
  bytes: Uint8Array;
  /** [offset, byte count] of the declared height and width. */
  dims: [number, number][];
  /** Offsets of single-byte header fields (component count, sampling factors, bit depth, colour type, …). */
  fields: number[];
  /** Where the header ends (mutations aimed at it stay before). */
  headerEnd: number;
  /** Our checks this format has, each of which the mutations must reach. */
  reasons: ImageDecodeReason[];
}

function jpegSeed(): Seed {
  const bytes = new Uint8Array(jpeg.encode({ data: sampleRgba(24, 16), width: 24, height: 16 }, 80).data);
  let sof = 2;
  while (bytes[sof + 1] !== 0xc0) sof += 2 + ((bytes[sof + 2] << 8) | bytes[sof + 3]);
  let sos = sof;
  while (bytes[sos + 1] !== 0xda) sos += 2 + ((bytes[sos + 2] << 8) | bytes[sos + 3]);
  return {
    bytes,
    dims: [[sof + 5, 2], [sof + 7, 2]],
    fields: [sof + 1, sof + 4, sof + 9, sof + 11, sof + 14, sof + 17],
    headerEnd: sos,
    reasons: ['resolution', 'memory', 'empty-image', 'truncated-header', 'bad-header', 'unsupported-format', 'unknown-format', 'truncated-data', 'corrupt'],
  };
}

function pngSeed(): Seed {
  const png = new PNG({ width: 24, height: 16 });
  png.data = sampleRgba(24, 16);
  const bytes = new Uint8Array(PNG.sync.write(png));
  return {
    bytes,
    dims: [[16, 4], [20, 4]],
    fields: [24, 25, 26, 28],
    headerEnd: 33,
    reasons: ['resolution', 'memory', 'empty-image', 'truncated-header', 'bad-header', 'unknown-format', 'truncated-data', 'corrupt'],
  };
}

/** Mutation kinds, used in turn so that each gets RUNS/6 cases. */
function mutate(seed: Seed, kind: number, next: () => number): Uint8Array {
  const rand = (n: number) => Math.floor(next() * n);
  const src = seed.bytes;
  switch (kind) {
    case 0: return src.slice(0, rand(src.length)); // cut anywhere
    case 1: return src.slice(0, rand(seed.headerEnd + 8)); // cut in or just after the header
    case 2: case 3: {
      const out = src.slice();
      // 2: flips anywhere; 3: flips in the header (magic, lengths, fields)
      const span = kind === 2 ? out.length : seed.headerEnd;
      for (let i = 0, n = 1 + rand(6); i < n; i++) out[rand(span)] = rand(256);
      return out;
    }
    case 4: {
      // A declared height or width, or both: 0, log-uniform in 1..2^24, or in 2^10..2^18 where
      // (times the other side) the memory need crosses the limit before the resolution does.
      const out = src.slice();
      for (const [offset, size] of seed.dims) {
        if (next() < 0.3) continue;
        const pick = next();
        const value = pick < 0.05 ? 0 : pick < 0.5 ? Math.floor(2 ** (10 + next() * 8)) : Math.floor(2 ** (next() * 24));
        for (let b = 0; b < size; b++) out[offset + b] = (value / 2 ** (8 * (size - 1 - b))) & 255;
      }
      return out;
    }
    case 5: {
      const out = src.slice();
      out[seed.fields[rand(seed.fields.length)]] = next() < 0.5 ? rand(256) : rand(20);
      return out;
    }
    default: throw new Error(`no mutation kind ${kind}`);
  }
}

describe('image decoder fuzz', () => {
  for (const [format, makeSeed] of [['jpeg', jpegSeed], ['png', pngSeed]] as const) {
    it(`${RUNS} seeded mutations of a ${format}: each decodes or throws an ImageDecodeError, in < 1 s, without unbounded allocation; every check fires`, async () => {
      const seed = makeSeed();
      const next = mulberry32(format === 'jpeg' ? 7 : 8);
      const outcomes: Record<string, number> = {};
      const rss0 = process.memoryUsage().rss;
      let maxGrowth = 0;
      for (let i = 0; i < RUNS; i++) {
        const input = mutate(seed, i % 6, next);
        const t0 = performance.now();
        let outcome: string;
        try {
          const image = await decodeImage(input, { ...LIMITS, name: 'fuzz' });
          expect(image.data.length, `case ${i}`).toBe(image.width * image.height * 3);
          expect(image.width * image.height, `case ${i}`).toBeLessThanOrEqual(LIMITS.maxResolutionInMP * 1e6);
          outcome = 'decoded';
        } catch (e) {
          if (!(e instanceof ImageDecodeError)) throw new Error(`case ${i} (kind ${i % 6}): not an ImageDecodeError: ${String(e)}`);
          expect(e.message, `case ${i}`).toMatch(/^fuzz: /);
          outcome = e.reason;
        }
        expect(performance.now() - t0, `case ${i} (kind ${i % 6}, ${outcome}) time`).toBeLessThan(1000);
        maxGrowth = Math.max(maxGrowth, process.memoryUsage().rss - rss0);
        expect(maxGrowth, `case ${i} (kind ${i % 6}, ${outcome}): RSS growth`).toBeLessThan(MAX_RSS_GROWTH);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      }
      console.log(`${format} fuzz outcomes:`, outcomes, `max RSS growth ${(maxGrowth / 2 ** 20).toFixed(0)} MiB`);
      const missed = [...seed.reasons, 'decoded'].filter((r) => !outcomes[r]);
      expect(missed, `checks the mutations never reached (outcomes ${JSON.stringify(outcomes)})`).toEqual([]);
    });
  }
});
