/**
 * u8_im2col_nhwc, u8_maxpool_nhwc, u8_avgpool_nhwc, u8_global_avgpool_nhwc, f32_quantize_u8 and
 * u8_dequantize_f32 against the integer references (test/reference/int8.ts), in every build,
 * byte for byte (bit for bit for f32): strided inputs with random bytes in the pixel gaps,
 * outputs between guards written twice over complementary fills, channel counts below, at and
 * above the 16-byte vector, paddings and strides of Inception's layers, and one call against the
 * same work split into row ranges (as threads split it).
 */
import { describe, expect, it } from 'vitest';
import type { Arena } from '../../src/bindings/arena.js';
import { int8Kernels } from '../../src/bindings/kernels/int8.js';
import { BUILDS, kernelEnv } from '../helpers/kernel-env.js';
import {
  dequantizeRef, divRoundHalfUp, quantizeRef, u8AvgPoolRef, u8GlobalAvgPoolRef, u8Im2colRef, u8MaxPoolRef, type WindowGeometry,
} from '../reference/int8.js';
import { ByteView, assertBytes, randomInts } from './int8-env.js';

interface Window {
  inH: number;
  inW: number;
  channels: number;
  k: [number, number];
  s: [number, number];
  /** top, left, bottom, right */
  pad: [number, number, number, number];
}

const WINDOWS: Window[] = [
  { inH: 7, inW: 6, channels: 3, k: [3, 3], s: [2, 2], pad: [0, 0, 0, 0] },
  { inH: 9, inW: 9, channels: 16, k: [3, 3], s: [1, 1], pad: [1, 1, 1, 1] },
  { inH: 5, inW: 8, channels: 37, k: [1, 7], s: [1, 1], pad: [0, 3, 0, 3] },
  { inH: 8, inW: 5, channels: 33, k: [7, 1], s: [1, 1], pad: [3, 0, 3, 0] },
  { inH: 6, inW: 6, channels: 1, k: [2, 2], s: [2, 2], pad: [0, 0, 1, 1] },
  { inH: 4, inW: 4, channels: 64, k: [3, 3], s: [2, 2], pad: [1, 1, 2, 2] },
  { inH: 1, inW: 1, channels: 20, k: [1, 1], s: [1, 1], pad: [0, 0, 0, 0] },
  { inH: 10, inW: 7, channels: 7, k: [5, 5], s: [3, 2], pad: [2, 2, 2, 2] },
];

function geometry(w: Window): WindowGeometry {
  const outH = Math.floor((w.inH + w.pad[0] + w.pad[2] - w.k[0]) / w.s[0]) + 1;
  const outW = Math.floor((w.inW + w.pad[1] + w.pad[3] - w.k[1]) / w.s[1]) + 1;
  return {
    inH: w.inH, inW: w.inW, channels: w.channels, kernelH: w.k[0], kernelW: w.k[1], strideH: w.s[0], strideW: w.s[1],
    padTop: w.pad[0], padLeft: w.pad[1], outH, outW,
  };
}

const wname = (w: Window) => `${w.inH}x${w.inW}x${w.channels} k${w.k.join('x')} s${w.s.join('x')} pad ${w.pad.join(',')}`;

/** A strided u8 image (pixel stride channels + 5) with random gap bytes: a kernel that reads a gap gets a wrong value. */
function image(arena: Arena, w: Window, values: number[]): ByteView {
  const view = new ByteView(arena, w.inH * w.inW, w.channels, w.channels + 5);
  const total = (w.inH * w.inW - 1) * (w.channels + 5) + w.channels;
  arena.u8(view.ptr, total).set(randomInts(total, 999, 0, 255));
  view.write(values);
  return view;
}

describe.each(BUILDS)('8-bit layer kernels (%s)', (build) => {
  for (const w of WINDOWS) {
    const g = geometry(w);
    it(`u8_im2col_nhwc ${wname(w)}: padding = zero point, one call and two row ranges`, async () => {
      const env = await kernelEnv(build);
      const k = int8Kernels(env.exports);
      const mark = env.arena.mark();
      try {
        const values = randomInts(w.inH * w.inW * w.channels, w.channels * 7 + w.inH, 0, 255);
        const inp = image(env.arena, w, values);
        const K = g.kernelH * g.kernelW * w.channels;
        for (const zero of [0, 128, 255]) {
          const want = u8Im2colRef(values, g, zero);
          for (const ranges of [[[0, g.outH]], [[0, Math.floor(g.outH / 2)], [Math.floor(g.outH / 2), g.outH]]]) {
            for (const fill of [0, 255]) {
              const out = new ByteView(env.arena, g.outH * g.outW, K, K + 3);
              out.fillBody(fill);
              for (const [y0, y1] of ranges) {
                k.u8_im2col_nhwc(inp.ptr, inp.stride, w.inH, w.inW, w.channels, g.kernelH, g.kernelW, g.strideH, g.strideW,
                  g.padTop, g.padLeft, g.outW, y0, y1, zero, out.ptr + y0 * g.outW * out.stride, out.stride);
              }
              assertBytes(out, want, `${build} im2col ${wname(w)} zero ${zero} rows ${JSON.stringify(ranges)} fill ${fill}`);
            }
          }
        }
      } finally {
        env.arena.release(mark);
      }
    });

    it(`u8_maxpool_nhwc and u8_avgpool_nhwc ${wname(w)}: count_include_pad on/off, pad value = zero point`, async () => {
      const env = await kernelEnv(build);
      const k = int8Kernels(env.exports);
      const mark = env.arena.mark();
      try {
        const values = randomInts(w.inH * w.inW * w.channels, w.channels * 5 + w.inW, 0, 255);
        const inp = image(env.arena, w, values);
        const pixels = g.outH * g.outW;
        const half = Math.floor(g.outH / 2);
        for (const fill of [0, 255]) {
          const out = new ByteView(env.arena, pixels, w.channels, w.channels + 2);
          out.fillBody(fill);
          for (const [y0, y1] of [[0, half], [half, g.outH]]) {
            k.u8_maxpool_nhwc(inp.ptr, inp.stride, w.inH, w.inW, w.channels, g.kernelH, g.kernelW, g.strideH, g.strideW,
              g.padTop, g.padLeft, g.outW, y0, y1, out.ptr, out.stride);
          }
          assertBytes(out, u8MaxPoolRef(values, g), `${build} maxpool ${wname(w)} fill ${fill}`);
          for (const include of [0, 1]) {
            for (const zero of [0, 77, 255]) {
              out.fillBody(fill);
              for (const [y0, y1] of [[0, half], [half, g.outH]]) {
                k.u8_avgpool_nhwc(inp.ptr, inp.stride, w.inH, w.inW, w.channels, g.kernelH, g.kernelW, g.strideH, g.strideW,
                  g.padTop, g.padLeft, w.pad[2], w.pad[3], include, zero, g.outW, y0, y1, out.ptr, out.stride);
              }
              assertBytes(out, u8AvgPoolRef(values, g, w.pad[2], w.pad[3], include === 1, zero),
                `${build} avgpool ${wname(w)} include ${include} zero ${zero} fill ${fill}`);
            }
          }
        }
      } finally {
        env.arena.release(mark);
      }
    });
  }

  it('avg pool rounding: every sum of a 3×3 window (0..2295) rounds half up, exactly', async () => {
    const env = await kernelEnv(build);
    const k = int8Kernels(env.exports);
    const mark = env.arena.mark();
    try {
      // 2296 channels of one 3×3 image: channel c's nine taps sum to c (the halves c/9 = x.5 never
      // occur for odd counts, so a 2×2 pool covers ties: sums 2, 6, 10, … over 4).
      for (const [kh, kw] of [[3, 3], [2, 2]]) {
        const taps = kh * kw;
        const channels = 255 * taps + 1;
        const values: number[] = [];
        for (let p = 0; p < taps; p++) for (let c = 0; c < channels; c++) values.push(Math.min(255, Math.max(0, c - 255 * p)));
        const inp = new ByteView(env.arena, taps, channels, channels, values);
        const out = new ByteView(env.arena, 1, channels);
        k.u8_avgpool_nhwc(inp.ptr, channels, kh, kw, channels, kh, kw, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, out.ptr, channels);
        assertBytes(out, Uint8Array.from({ length: channels }, (_, c) => divRoundHalfUp(c, taps)), `${build} avg ${kh}x${kw} sums`);
        expect(out.read()[2]).toBe(kh === 2 ? 1 : 0); // 2/4 = 0.5 → 1 (half up); 2/9 → 0
      }
    } finally {
      env.arena.release(mark);
    }
  });

  it.each([[1, 5], [64, 16], [64, 2048], [289, 35], [33000, 17]])('u8_global_avgpool_nhwc %i pixels × %i channels, split over channels', async (pixels, channels) => {
    const env = await kernelEnv(build);
    const k = int8Kernels(env.exports);
    const mark = env.arena.mark();
    try {
      const values = randomInts(pixels * channels, pixels + channels, 0, 255);
      const inp = new ByteView(env.arena, pixels, channels, channels + 1, values);
      const want = u8GlobalAvgPoolRef(values, pixels, channels);
      for (const fill of [0, 255]) {
        const out = new ByteView(env.arena, 1, channels);
        out.fillBody(fill);
        const cut = Math.min(channels, 16 + 3);
        k.u8_global_avgpool_nhwc(inp.ptr, inp.stride, pixels, cut, out.ptr);
        k.u8_global_avgpool_nhwc(inp.ptr + cut, inp.stride, pixels, channels - cut, out.ptr + cut);
        assertBytes(out, want, `${build} global avg ${pixels}x${channels} fill ${fill}`);
      }
    } finally {
      env.arena.release(mark);
    }
  });

  it('f32_quantize_u8: ties to even, saturation, ±∞, NaN, zero points 0 / 128 / 255; u8_dequantize_f32 bit for bit', async () => {
    const env = await kernelEnv(build);
    const k = int8Kernels(env.exports);
    const mark = env.arena.mark();
    try {
      const specials = [0, -0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 127.5, 128.5, -127.5, 254.5, 255.5, 1e30, -1e30, Infinity, -Infinity, NaN, 1e-30];
      const n = 1003;
      const x = new Float32Array(n);
      for (let i = 0; i < n; i++) x[i] = i < specials.length ? specials[i] : ((i * 7919) % 1000) / 3 - 160 + (i % 2) * 0.5;
      const xPtr = env.arena.putF32(x);
      for (const [scale, zero] of [[1, 0], [1, 128], [1, 255], [0.5, 128], [0.1, 3], [0.0078125, 200], [3.3, 0]] as const) {
        const want = quantizeRef(x, scale, zero);
        for (const fill of [0, 255]) {
          const out = new ByteView(env.arena, 1, n);
          out.fillBody(fill);
          // Two calls, split at an odd index: the vector and scalar paths must agree.
          k.f32_quantize_u8(xPtr, 501, scale, zero, out.ptr);
          k.f32_quantize_u8(xPtr + 501 * 4, n - 501, scale, zero, out.ptr + 501);
          assertBytes(out, want, `${build} quantize scale ${scale} zero ${zero}`);
        }
        const q = randomInts(n, 3, 0, 255);
        const qView = new ByteView(env.arena, 1, n, n, q);
        const outPtr = env.arena.allocF32(n + 8);
        env.arena.f32(outPtr, n + 8).fill(-7);
        k.u8_dequantize_f32(qView.ptr, 13, scale, zero, outPtr);
        k.u8_dequantize_f32(qView.ptr + 13, n - 13, scale, zero, outPtr + 13 * 4);
        expect(env.arena.f32(outPtr, n + 8).slice()).toEqual(Float32Array.from([...dequantizeRef(q, scale, zero), ...new Array(8).fill(-7)]));
      }
      // The references' own spot checks: half to even, saturation, NaN → 0.
      expect([...quantizeRef([0.5, 1.5, 2.5, -0.5, 300, -300, NaN], 1, 128)]).toEqual([128, 130, 130, 128, 255, 0, 0]);
    } finally {
      env.arena.release(mark);
    }
  });
});
