/**
 * `loadImage`: decode an image given as a file path (Node), bytes, or decoded pixels, and
 * `checkImageFile`: every check `loadImage` makes before decoding, without decoding.
 * The one place in src/image/ that touches the file system; `node:fs` is imported only when a
 * path is given, so browsers and serverless runtimes can use `loadImage(bytes | imageData)`.
 */
import { decodeImage, type DecodeOptions, type PixelsLike, type RgbImage } from './decode.js';
import { ImageDecodeError } from './errors.js';
import { inspectImage, type HeaderLimits, type ImageHeader } from './header.js';

/** The file's bytes; a missing or unreadable file throws an `ImageDecodeError` naming the path and the reason. */
async function readImageFile(path: string): Promise<Uint8Array> {
  if (typeof path !== 'string' || path === '') throw new ImageDecodeError(`cannot read image: the path must be a non-empty string`, 'unreadable');
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'no such file'
      : err.code === 'EISDIR' ? 'is a directory, not an image file'
        : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new ImageDecodeError(`cannot read image '${path}': ${reason}`, 'unreadable');
  }
}

/**
 * Reads and decodes `source`. A string is a file path (Node only): a missing or unreadable file
 * throws an `ImageDecodeError` naming the path and the reason; the path is the image's name in
 * every later error. Other sources go to `decodeImage` as they are.
 */
export async function loadImage(source: string | Uint8Array | ArrayBuffer | PixelsLike, options: DecodeOptions = {}): Promise<RgbImage> {
  if (typeof source !== 'string') return decodeImage(source, options);
  const bytes = await readImageFile(source);
  return decodeImage(bytes, { ...options, name: options.name ?? source });
}

/**
 * Reads the file at `path` and runs every check `loadImage` makes before decoding (format,
 * header, size and memory limits, enough compressed data) — milliseconds, where decoding takes
 * the decoder's time and memory. Returns the header; throws the `ImageDecodeError` `loadImage`
 * would throw for a file that fails them.
 */
export async function checkImageFile(path: string, limits: HeaderLimits = {}): Promise<ImageHeader> {
  return inspectImage(await readImageFile(path), limits, path);
}
