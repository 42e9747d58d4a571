// Per-tensor affine quantisation between f32 and u8 (real = (q − zeroPoint) · scale), dense runs
// of `count` values. Elementwise, so any split of [0, count) gives the same bytes; pass offset
// pointers and a smaller count to split across threads.

import { storeBytes, toU8 } from './u8-common';

/**
 * f32_quantize_u8: out[i] = clamp(nearest(in[i] / scale) + zeroPoint, 0, 255), nearest = round
 * half to even, the division an IEEE f32 division (ONNX QuantizeLinear's formula, not a
 * multiply by 1/scale, which rounds differently near ties). ±∞ saturate to 0 / 255; NaN gives 0.
 * 0 ≤ zeroPoint ≤ 255, scale > 0 and finite.
 *
 * Layout: in [count] f32 (4-byte alignment suffices), out [count] u8. Reads exactly the input,
 * writes exactly `count` bytes; in and out must not overlap.
 */
export function f32_quantize_u8(inPtr: usize, count: i32, scale: f32, zeroPoint: i32, outPtr: usize): void {
  const vs = f32x4.splat(scale);
  const loF: f32 = <f32>(-zeroPoint);
  const hiF: f32 = <f32>(<i32>255 - zeroPoint);
  const vlo = f32x4.splat(loF);
  const vhi = f32x4.splat(hiF);
  const vz = i32x4.splat(zeroPoint);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const p = inPtr + (<usize>i << 2);
    const u = toU8(f32x4.div(v128.load(p), vs), f32x4.div(v128.load(p, 16), vs), vlo, vhi, vz);
    storeBytes(outPtr + <usize>i, u, 8);
  }
  for (; i < count; i++) {
    // The vector path's operations one lane at a time: nearest, pmax(lo, ·), pmin(hi, ·), + zero.
    const n = nearest<f32>(load<f32>(inPtr + (<usize>i << 2)) / scale);
    const a = loF < n ? n : loF;
    const b = a < hiF ? a : hiF;
    store<u8>(outPtr + <usize>i, <u8>(<i32>b + zeroPoint));
  }
}

/**
 * u8_dequantize_f32: out[i] = f32(in[i] − zeroPoint) · scale (the subtraction exact, one
 * rounding in the multiply; ONNX DequantizeLinear).
 *
 * Layout: in [count] u8, out [count] f32 (4-byte alignment suffices). Reads exactly the input,
 * writes exactly 4·count bytes; in and out must not overlap.
 */
export function u8_dequantize_f32(inPtr: usize, count: i32, scale: f32, zeroPoint: i32, outPtr: usize): void {
  const vs = f32x4.splat(scale);
  const vz = i32x4.splat(zeroPoint);
  let i = 0;
  for (; i + 8 <= count; i += 8) {
    const h = i16x8.extend_low_i8x16_u(v128.load64_zero(inPtr + <usize>i));
    const a = f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_low_i16x8_u(h), vz));
    const b = f32x4.convert_i32x4_s(i32x4.sub(i32x4.extend_high_i16x8_u(h), vz));
    const o = outPtr + (<usize>i << 2);
    v128.store(o, f32x4.mul(a, vs));
    v128.store(o, f32x4.mul(b, vs), 16);
  }
  for (; i < count; i++) {
    store<f32>(outPtr + (<usize>i << 2), <f32>(<i32>load<u8>(inPtr + <usize>i) - zeroPoint) * scale);
  }
}
