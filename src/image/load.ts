/**
 * `loadImage`: decode an image given as a file path (Node), bytes, or decoded pixels.
 * The one place in src/image/ that touches the file system; `node:fs` is imported only when a
 * path is given, so browsers and serverless runtimes can use `loadImage(bytes | imageData)`.
 */
import { decodeImage, ImageDecodeError, type DecodeOptions, type PixelsLike, type RgbImage } from './decode.js';

/**
 * Reads and decodes `source`. A string is a file path (Node only): a missing or unreadable file
 * throws an `ImageDecodeError` naming the path and the reason; the path is the image's name in
 * every later error. Other sources go to `decodeImage` as they are.
 */
export async function loadImage(source: string | Uint8Array | ArrayBuffer | PixelsLike, options: DecodeOptions = {}): Promise<RgbImage> {
  if (typeof source !== 'string') return decodeImage(source, options);
  const { readFile } = await import('node:fs/promises');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(source);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === 'ENOENT' ? 'no such file'
      : err.code === 'EISDIR' ? 'is a directory, not an image file'
        : err.code === 'EACCES' ? 'permission denied' : err.message;
    throw new ImageDecodeError(`cannot read image '${source}': ${reason}`);
  }
  return decodeImage(bytes, { ...options, name: options.name ?? source });
}
