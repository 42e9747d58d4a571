/**
 * The one error class image input throws. `reason` says which check refused the image, so a
 * caller (or a test) can tell our header and limit checks apart from a decoder's own failure,
 * which is wrapped with reason 'corrupt' and its message kept.
 */

export type ImageDecodeReason =
  /** The file could not be read (missing, a directory, no permission). */
  | 'unreadable'
  /** Zero bytes. */
  | 'empty'
  /** A format we recognise (GIF, WebP, 12-bit or lossless JPEG, …) but do not decode. */
  | 'unsupported-format'
  /** Neither JPEG nor PNG nor any format we recognise. */
  | 'unknown-format'
  /** The header ends before the frame size (JPEG SOF / PNG IHDR) is complete. */
  | 'truncated-header'
  /** A header field out of its valid range (sampling factor 0, colour type 5, no components, …). */
  | 'bad-header'
  /** Width or height 0. */
  | 'empty-image'
  /** Declared width×height above `maxResolutionInMP`. */
  | 'resolution'
  /** The decoder's memory need, computed from the header, above `maxMemoryUsageInMB`. */
  | 'memory'
  /** The compressed pixel data is absent or too short for the declared size, or the end marker is missing. */
  | 'truncated-data'
  /** The decoder itself failed (its message is kept). */
  | 'corrupt'
  /** Decoded pixels whose length does not match their width×height×channels. */
  | 'bad-pixels'
  /** Not bytes, an ArrayBuffer or `{ data, width, height }`. */
  | 'bad-source'
  /** The runtime lacks what the decoder needs (Node's Buffer for PNG). */
  | 'environment';

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
  readonly reason: ImageDecodeReason;

  constructor(message: string, reason: ImageDecodeReason) {
    super(message);
    this.reason = reason;
  }
}
