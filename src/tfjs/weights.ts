/**
 * Decoding TF.js weight bytes to float32, and the Keras → framework layout transposes.
 *
 * Decoding follows tfjs-core `io/io_utils.ts` `decodeWeight` (4.22) exactly, so our weights are
 * bit-identical to what `tf.loadLayersModel` holds:
 *  - float32: little-endian IEEE single;
 *  - uint8 / uint16 affine: `w = q·scale + min`, computed in double and rounded once to float32;
 *  - float16: IEEE half (little-endian) widened exactly to float32 (subnormals, ±∞, NaN kept).
 */
import { TfjsImportError, type WeightSpec } from './model-json.js';

/** Decodes one weight from the concatenated weight bytes (`data` = all groups' shards in manifest order). */
export function decodeWeight(spec: WeightSpec, data: Uint8Array): Float32Array {
  if (spec.byteOffset + spec.byteLength > data.byteLength) {
    throw new TfjsImportError(
      `weight '${spec.name}' needs bytes [${spec.byteOffset}, ${spec.byteOffset + spec.byteLength}) but the weight data holds ${data.byteLength}`,
    );
  }
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  const view = new DataView(data.buffer, data.byteOffset + spec.byteOffset, spec.byteLength);
  const q = spec.quantization;
  if (q === undefined) {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  } else if (q.dtype === 'uint8') {
    const bytes = data.subarray(spec.byteOffset, spec.byteOffset + count);
    for (let i = 0; i < count; i++) out[i] = bytes[i]! * q.scale + q.min;
  } else if (q.dtype === 'uint16') {
    for (let i = 0; i < count; i++) out[i] = view.getUint16(2 * i, true) * q.scale + q.min;
  } else {
    for (let i = 0; i < count; i++) out[i] = float16ToFloat32(view.getUint16(2 * i, true));
  }
  return out;
}

/** Exact value of an IEEE 754 binary16 bit pattern. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** Keras Conv2D kernel `[kh, kw, in, out]` (HWIO) → OIHW `[out, in, kh, kw]`. */
export function hwioToOihw(k: Float32Array, kh: number, kw: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < cin; i++) {
        const src = ((y * kw + x) * cin + i) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = k[src + o]!;
      }
    }
  }
  return out;
}

/** Keras Dense kernel `[in, out]` → `[out, in]`. */
export function transpose2d(k: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(k.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = k[r * cols + c]!;
  }
  return out;
}
