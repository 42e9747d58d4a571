/** Seeded JPEG and PNG files for the CLI tests (written by the tests, so no fixture is needed). */
import { writeFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** RGBA pixels: two gradients and a seeded xorshift texture, different for every seed. */
function rgba(seed: number, width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < width * height; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const x = i % width;
    const y = Math.floor(i / width);
    data[4 * i] = (x * 255) / width + seed * 37;
    data[4 * i + 1] = (y * 255) / height + (s & 63);
    data[4 * i + 2] = (s >>> 8) & 255;
    data[4 * i + 3] = 255;
  }
  return data;
}

export function writeJpeg(path: string, seed: number, width = 40, height = 32): string {
  writeFileSync(path, jpeg.encode({ data: rgba(seed, width, height), width, height }, 90).data);
  return path;
}

export function writePng(path: string, seed: number, width = 36, height = 44): string {
  const png = new PNG({ width, height });
  rgba(seed, width, height).copy(png.data);
  writeFileSync(path, PNG.sync.write(png));
  return path;
}

