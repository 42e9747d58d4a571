/**
 * Reference layout conversions of one image: element moves only, never arithmetic. They return
 * the same array type they are given, so an Int32Array of f32 bit patterns compares bits exactly
 * (a Float32Array read through JS numbers may quiet a signalling NaN).
 */

type Array32 = Float32Array | Int32Array | Uint32Array;

function like<T extends Array32>(x: T, length: number): T {
  return new (x.constructor as new (length: number) => T)(length);
}

/** Dense NCHW `[channels][height][width]` → dense NHWC `[height][width][channels]`. */
export function nchwToNhwcReference<T extends Array32>(x: T, channels: number, height: number, width: number): T {
  const y = like(x, channels * height * width);
  for (let c = 0; c < channels; c++)
    for (let yy = 0; yy < height; yy++)
      for (let xx = 0; xx < width; xx++) y[(yy * width + xx) * channels + c] = x[(c * height + yy) * width + xx];
  return y;
}

/** Dense NHWC `[height][width][channels]` → dense NCHW `[channels][height][width]`. */
export function nhwcToNchwReference<T extends Array32>(x: T, channels: number, height: number, width: number): T {
  const y = like(x, channels * height * width);
  for (let c = 0; c < channels; c++)
    for (let yy = 0; yy < height; yy++)
      for (let xx = 0; xx < width; xx++) y[(c * height + yy) * width + xx] = x[(yy * width + xx) * channels + c];
  return y;
}
