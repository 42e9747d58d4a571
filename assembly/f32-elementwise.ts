/**
 * f32_add_nhwc: y[p, c] = act(a[p, c] + scale * b[p, c]),  act = clamp(lo, hi).
 */
export function f32_add_nhwc(
  aPtr: usize, bPtr: usize, yPtr: usize,
  pixels: i32, channels: i32,
  aPixelStrideBytes: i32, bPixelStrideBytes: i32, yPixelStrideBytes: i32,
  scale: f32, lo: f32, hi: f32,
): void {
  const vs = f32x4.splat(scale);
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  for (let p = 0; p < pixels; p++) {
    const a = aPtr + <usize>(p * aPixelStrideBytes);
    const b = bPtr + <usize>(p * bPixelStrideBytes);
    const y = yPtr + <usize>(p * yPixelStrideBytes);
    let c = 0;
    for (; c + 4 <= channels; c += 4) {
      const o = <usize>(c << 2);
      let v = f32x4.add(v128.load(a + o), f32x4.mul(vs, v128.load(b + o)));
      v128.store(y + o, f32x4.min(f32x4.max(v, vlo), vhi));
    }
    for (; c < channels; c++) {
      const o = <usize>(c << 2);
      store<f32>(y + o, min(max(load<f32>(a + o) + scale * load<f32>(b + o), lo), hi));
    }
  }
}
