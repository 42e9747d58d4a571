/**
 * int8 1-D Winograd F(2, 7) and F(4, 3) (assembly/i8-winograd-1d.ts) in every build, along W
 * (1×r) and H (r×1): i8_winograd_input_1d then i8_winograd_1d / i8_winograd_1d_f32 on
 * i8_pack_gemm_weights panels must give the SAME bytes as the integer reference of the direct
 * conv (u8Im2colRef + i8GemmRef / i8GemmF32Ref) and as u8_im2col_nhwc + i8_gemm / i8_gemm_f32.
 * The grid covers lines shorter than a tile and than the kernel, padding 0 / (r−1)/2 / one-sided,
 * channels not multiples of 8, output channels below, at and past a panel, input and output as
 * channel slices, zero points 0 / 128 / 255, weights at ±127 (and −128), ReLU / band clamps,
 * residual none / separate / aliasing the output, f32 output, batch 2, and line / panel splits.
 * V′ is checked against the matrix definition (i8Winograd1dInputRef), and the reference's
 * Winograd route (i8Winograd1dAccRef) against the direct sums. Outputs are written twice over
 * complementary fills; guards catch stray writes. Limits: C at the maximum and the extreme sum is
 * exact; past it, odd C and another r write nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Arena } from '../../src/bindings/arena.js';
import {
  i8Winograd1dMaxChannels, i8Winograd1dScratchBytes, i8Winograd1dShape, i8WinogradVBytes, int8Kernels, packedI8GemmBytes,
  type I8Winograd1dR, type Int8Kernels,
} from '../../src/bindings/kernels/int8.js';
import { mulberry32 } from '../../src/util/prng.js';
import { BUILDS, kernelEnv, type KernelEnv } from '../helpers/kernel-env.js';
import { i8GemmF32Ref, i8GemmRef, i8WeightsKN, u8Im2colRef, type WindowGeometry } from '../reference/int8.js';
import { i8Winograd1dAccRef, i8Winograd1dInputRef, i8Winograd1dWeightsRef, type Winograd1dGeometry } from '../reference/int8-winograd.js';
import { ByteView, assertBytes, randomInts } from './int8-env.js';

type Residual = 'none' | 'separate' | 'alias';

interface Case {
  r: I8Winograd1dR;
  axis: 'w' | 'h';
  batch: number;
  inH: number;
  inW: number;
  /** Padding before and after along the axis. */
  pads: [number, number];
  channels: number;
  outChannels: number;
  zero: number;
  outZero: number;
  clamp: 'full' | 'relu' | 'band';
  res: Residual;
  f32: boolean;
  minus128: boolean;
  inGap: number;
  outGap: number;
  linesPerTask: number;
  panelsPerTask: number;
  seed: number;
}

interface Geo extends Winograd1dGeometry {
  outH: number;
  outW: number;
  lines: number;
  kernelH: number;
  kernelW: number;
}

function geometry(c: Case): Geo {
  const along = c.axis === 'w' ? c.inW : c.inH;
  const outLen = along + c.pads[0] + c.pads[1] - c.r + 1;
  const outH = c.axis === 'h' ? outLen : c.inH;
  const outW = c.axis === 'w' ? outLen : c.inW;
  return {
    inH: c.inH, inW: c.inW, channels: c.channels, axis: c.axis, pad: c.pads[0], outLen, outH, outW, lines: c.axis === 'w' ? outH : outW,
    kernelH: c.axis === 'h' ? c.r : 1, kernelW: c.axis === 'w' ? c.r : 1,
  };
}

function name(c: Case): string {
  const g = geometry(c);
  return `F(${i8Winograd1dShape(c.r).m}, ${c.r}) ${g.kernelH}×${g.kernelW} ${c.batch}×${c.inH}×${c.inW}×${c.channels} pads ${c.pads.join(',')} → ` +
    `${g.outH}×${g.outW}×${c.outChannels} z=${c.zero} oZ=${c.outZero} ${c.clamp} res=${c.res}${c.f32 ? ' f32' : ''}${c.minus128 ? ' −128' : ''} ` +
    `gaps ${c.inGap}/${c.outGap} split ${c.linesPerTask} lines × ${c.panelsPerTask} panels`;
}

function bounds(c: Case): [number, number] {
  if (c.f32) return c.clamp === 'relu' ? [0, Infinity] : c.clamp === 'band' ? [-0.5, 0.75] : [-Infinity, Infinity];
  return c.clamp === 'full' ? [0, 255] : c.clamp === 'relu' ? [c.outZero, 255] : [30, 200];
}

interface Operands {
  x: number[];
  /** OIHW i8: `[out][in][r]` along the axis. */
  w: Int8Array;
  bias: Int32Array;
  scale: Float32Array;
  res?: number[];
  resZero: number;
  resScale: number;
}

function operands(c: Case): Operands {
  const g = geometry(c);
  const k = c.r * c.channels;
  const x = randomInts(c.batch * c.inH * c.inW * c.channels, c.seed, 0, 255);
  const w = Int8Array.from(randomInts(c.outChannels * k, c.seed + 1, c.minus128 ? -128 : -127, 127));
  const bias = Int32Array.from(randomInts(c.outChannels, c.seed + 2, -60000, 60000));
  const next = mulberry32(c.seed + 3);
  const base = (c.f32 ? 0.5 : 40) / (Math.sqrt(k) * 100 * 74);
  const scale = Float32Array.from({ length: c.outChannels }, () => base * 2 ** (2 * next() - 1));
  const res = c.res !== 'none' ? randomInts(c.batch * g.outH * g.outW * c.outChannels, c.seed + 4, 0, 255) : undefined;
  return { x, w, bias, scale, res, resZero: [0, 128, 255][(c.seed + 1) % 3], resScale: 0.37 };
}

/** The direct conv's bytes (dense pixels) from the integer reference. */
function reference(c: Case, o: Operands): Uint8Array {
  const g = geometry(c);
  const win: WindowGeometry = {
    inH: c.inH, inW: c.inW, channels: c.channels, kernelH: g.kernelH, kernelW: g.kernelW, strideH: 1, strideW: 1,
    padTop: c.axis === 'h' ? c.pads[0] : 0, padLeft: c.axis === 'w' ? c.pads[0] : 0, outH: g.outH, outW: g.outW,
  };
  const k = c.r * c.channels;
  const m = g.outH * g.outW;
  const wKN = i8WeightsKN(o.w, c.outChannels, c.channels, g.kernelH, g.kernelW);
  const image = c.inH * c.inW * c.channels;
  const elem = c.f32 ? 4 : 1;
  const out = new Uint8Array(c.batch * m * c.outChannels * elem);
  const [lo, hi] = bounds(c);
  for (let b = 0; b < c.batch; b++) {
    const a = u8Im2colRef(o.x.slice(b * image, (b + 1) * image), win, c.zero);
    const res = o.res?.slice(b * m * c.outChannels, (b + 1) * m * c.outChannels);
    const y = c.f32
      ? new Uint8Array(i8GemmF32Ref(a, wKN, o.bias, o.scale, m, c.outChannels, k, c.zero, lo, hi).buffer)
      : i8GemmRef(a, wKN, o.bias, o.scale, m, c.outChannels, k, { aZero: c.zero, outZero: c.outZero, lo, hi, res, resZero: o.resZero, resScale: o.resScale });
    out.set(y, b * m * c.outChannels * elem);
  }
  return out;
}

function packWeights(g: Int8Kernels, arena: Arena, c: Case, o: Operands): number {
  const geo = geometry(c);
  const srcPtr = arena.alloc(o.w.length);
  arena.u8(srcPtr, o.w.length).set(new Uint8Array(o.w.buffer));
  const biasPtr = arena.alloc(4 * c.outChannels);
  arena.i32(biasPtr, c.outChannels).set(o.bias);
  const dst = arena.alloc(packedI8GemmBytes(c.outChannels, c.r * c.channels));
  g.i8_pack_gemm_weights(srcPtr, c.outChannels, c.channels, geo.kernelH, geo.kernelW, biasPtr, arena.putF32(o.scale), dst);
  return dst;
}

interface Out {
  view: ByteView;
  rowBytes: number;
  colBytes: number;
}

/** Runs the conv into `out` one image at a time: 'winograd' by line blocks × panel groups (as tasks), 'im2col' by u8_im2col_nhwc + i8_gemm(_f32). */
function run(g: Int8Kernels, arena: Arena, c: Case, x: ByteView, wPtr: number, res: ByteView | undefined, o: Operands, out: Out, path: 'winograd' | 'im2col', label: string): void {
  const geo = geometry(c);
  const ps = x.stride;
  const [lo, hi] = bounds(c);
  const n = c.outChannels;
  const panels = Math.ceil(n / 8);
  const { alpha, m } = i8Winograd1dShape(c.r);
  const tilesPerLine = Math.ceil(geo.outLen / m);
  const along = (pixel: number, rowPixels: number) => (c.axis === 'w' ? pixel : rowPixels * pixel);
  const across = (pixel: number, rowPixels: number) => (c.axis === 'w' ? rowPixels * pixel : pixel);
  for (let img = 0; img < c.batch; img++) {
    const xPtr = x.ptr + img * c.inH * c.inW * ps;
    const cPtr = out.view.ptr + img * geo.outH * geo.outW * out.rowBytes + out.colBytes;
    const resStride = c.res === 'alias' ? out.rowBytes : (res?.stride ?? 0);
    const resPtr = c.res === 'alias' ? cPtr : res ? res.ptr + img * geo.outH * geo.outW * res.stride : 0;
    if (path === 'im2col') {
      const rows = geo.outH * geo.outW;
      const k = c.r * c.channels;
      const a = arena.alloc(rows * k);
      const pack = arena.alloc(g.i8_gemm_pack_bytes(rows, k));
      g.u8_im2col_nhwc(
        xPtr, ps, c.inH, c.inW, c.channels, geo.kernelH, geo.kernelW, 1, 1, c.axis === 'h' ? c.pads[0] : 0, c.axis === 'w' ? c.pads[0] : 0,
        geo.outW, 0, geo.outH, c.zero, a, k,
      );
      if (c.f32) g.i8_gemm_f32(a, k, c.zero, wPtr, k, cPtr, out.rowBytes, lo, hi, rows, 0, panels, n, pack);
      else g.i8_gemm(a, k, c.zero, wPtr, k, cPtr, out.rowBytes, c.outZero, lo, hi, resPtr, resStride, o.resZero, o.resScale, rows, 0, panels, n, pack);
      continue;
    }
    const inLen = c.axis === 'w' ? c.inW : c.inH;
    for (let l0 = 0; l0 < geo.lines; l0 += c.linesPerTask) {
      const l1 = Math.min(l0 + c.linesPerTask, geo.lines);
      const tiles = (l1 - l0) * tilesPerLine;
      const vBytes = i8WinogradVBytes(tiles, c.channels);
      expect(g.i8_winograd_1d_v_bytes(c.r, tiles, c.channels), 'V size, kernel and host').toBe(vBytes);
      expect(g.i8_winograd_1d_scratch_bytes(c.r, tiles, c.channels), 'scratch size, kernel and host').toBe(i8Winograd1dScratchBytes(c.r, tiles, c.channels));
      for (let p0 = 0; p0 < panels; p0 += c.panelsPerTask) {
        const v = new ByteView(arena, 1, alpha * vBytes);
        g.i8_winograd_input_1d(c.r, xPtr, along(ps, c.inW), across(ps, c.inW), inLen, c.channels, c.pads[0], c.zero, tilesPerLine, l0, l1, v.ptr, vBytes);
        if (img === 0 && p0 === 0) checkV(arena, c, o, v.ptr, vBytes, l0, l1, `${label} V′ of lines [${l0}, ${l1})`);
        const scratch = new ByteView(arena, 1, i8Winograd1dScratchBytes(c.r, tiles, c.channels));
        const p1 = Math.min(p0 + c.panelsPerTask, panels);
        const os = along(out.rowBytes, geo.outW);
        const ol = across(out.rowBytes, geo.outW);
        if (c.f32) {
          g.i8_winograd_1d_f32(c.r, v.ptr, vBytes, c.channels, wPtr, p0, p1, n, tilesPerLine, l0, l1, geo.outLen, cPtr, os, ol, lo, hi, scratch.ptr);
        } else {
          g.i8_winograd_1d(
            c.r, v.ptr, vBytes, c.channels, wPtr, p0, p1, n, tilesPerLine, l0, l1, geo.outLen, cPtr, os, ol, c.outZero, lo, hi,
            resPtr, along(resStride, geo.outW), across(resStride, geo.outW), o.resZero, o.resScale, scratch.ptr,
          );
        }
        expect(v.strayWrites(), `${label}: V guards`).toEqual([]);
        expect(scratch.strayWrites(), `${label}: scratch guards`).toEqual([]);
      }
    }
  }
}

/** V′ of image 0's lines [l0, l1) in the kernel's layout against the matrix definition; channels ≥ C must be 0. */
function checkV(arena: Arena, c: Case, o: Operands, vPtr: number, vBytes: number, l0: number, l1: number, label: string): void {
  const geo = geometry(c);
  const want = i8Winograd1dInputRef(o.x.slice(0, c.inH * c.inW * c.channels), geo, c.zero, l0, l1, c.r);
  const { alpha, m } = i8Winograd1dShape(c.r);
  const tiles = (l1 - l0) * Math.ceil(geo.outLen / m);
  const cp = Math.ceil(c.channels / 8) * 8;
  const v = new Int16Array(arena.u8(vPtr, alpha * vBytes).slice().buffer);
  for (let i = 0; i < alpha; i++) {
    for (let q = 0; q < tiles; q++) {
      for (let ch = 0; ch < cp; ch++) {
        const at = (i * vBytes + (q >> 2) * 8 * cp + (ch >> 1) * 16 + (q & 3) * 4 + 2 * (ch & 1)) / 2;
        const expected = ch < c.channels ? want[(i * tiles + q) * c.channels + ch] : 0;
        if (v[at] !== expected) throw new Error(`${label}: V′[${i}][tile ${q}][c=${ch}] = ${v[at]}, want ${expected}`);
      }
    }
  }
}

/** The reference's Winograd route equals the direct sums for image 0. */
function checkIdentity(c: Case, o: Operands): void {
  const geo = geometry(c);
  const acc = i8Winograd1dAccRef(
    i8Winograd1dInputRef(o.x, geo, c.zero, 0, geo.lines, c.r), i8Winograd1dWeightsRef(o.w, c.outChannels, c.channels, c.r), geo, geo.lines, c.outChannels, c.r,
  );
  for (let oy = 0; oy < geo.outH; oy++) {
    for (let ox = 0; ox < geo.outW; ox++) {
      for (let oc = 0; oc < c.outChannels; oc++) {
        let sum = 0;
        for (let j = 0; j < c.r; j++) {
          const iy = c.axis === 'h' ? oy - c.pads[0] + j : oy;
          const ix = c.axis === 'w' ? ox - c.pads[0] + j : ox;
          if (iy < 0 || iy >= c.inH || ix < 0 || ix >= c.inW) continue;
          for (let ch = 0; ch < c.channels; ch++) sum += (o.x[(iy * c.inW + ix) * c.channels + ch] - c.zero) * o.w[(oc * c.channels + ch) * c.r + j];
        }
        const got = acc[(oy * geo.outW + ox) * c.outChannels + oc];
        if (got !== sum) throw new Error(`${name(c)}: Winograd reference acc ${got} ≠ direct ${sum} at (${oy}, ${ox}, ${oc})`);
      }
    }
  }
}

function checkCase(env: KernelEnv, c: Case, o = operands(c), identity = true): void {
  const { arena } = env;
  const g = int8Kernels(env.exports);
  const label = `${env.build} ${name(c)}`;
  const mark = arena.mark();
  try {
    if (identity) checkIdentity(c, o);
    const geo = geometry(c);
    const ps = c.channels + c.inGap;
    const pixelsIn = c.batch * c.inH * c.inW;
    const x = new ByteView(arena, pixelsIn, c.channels, ps);
    arena.u8(x.ptr, (pixelsIn - 1) * ps + c.channels).set(randomInts((pixelsIn - 1) * ps + c.channels, c.seed + 9, 0, 255));
    x.write(o.x);
    const xBytes = () => arena.u8(x.ptr - 16, (pixelsIn - 1) * ps + c.channels + 32).slice();
    const xBefore = xBytes();
    const wPtr = packWeights(g, arena, c, o);
    const pixels = c.batch * geo.outH * geo.outW;
    const res = c.res === 'separate' ? new ByteView(arena, pixels, c.outChannels, c.outChannels + 3, o.res) : undefined;
    const want = reference(c, o);
    const elem = c.f32 ? 4 : 1;
    const results: Record<string, Uint8Array> = {};
    for (const path of ['winograd', 'im2col'] as const) {
      const rowBytes = elem * (1 + c.outChannels + c.outGap);
      const out: Out = { view: new ByteView(arena, pixels, rowBytes), rowBytes, colBytes: elem };
      for (const fill of c.res === 'alias' ? [0x00] : [0x00, 0xff]) {
        const before = Uint8Array.from(randomInts(pixels * rowBytes, c.seed + 5 + fill, 0, 255));
        const expected = before.slice();
        for (let p = 0; p < pixels; p++) {
          for (let j = 0; j < c.outChannels * elem; j++) {
            const at = p * rowBytes + elem + j;
            before[at] = c.res === 'alias' ? o.res![p * c.outChannels + j] : fill;
            expected[at] = want[p * c.outChannels * elem + j];
          }
        }
        out.view.write(before);
        run(g, arena, c, x, wPtr, res, o, out, path, `${label} ${path}`);
        assertBytes(out.view, expected, `${label} ${path} (fill ${fill})`);
        results[path] = out.view.read();
      }
    }
    expect(results.winograd, `${label}: Winograd and im2col + i8_gemm bytes`).toEqual(results.im2col);
    expect(xBytes().every((v, i) => v === xBefore[i]), `${label}: input untouched`).toBe(true);
    if (res) assertBytes(res, Uint8Array.from(o.res!), `${label} (residual left as is)`);
  } finally {
    arena.release(mark);
  }
}

/** [inH, inW, pads along the axis] per r: lines shorter than one tile or than the kernel, odd and even lengths. */
const SHAPES: Record<I8Winograd1dR, Array<[number, number, [number, number]]>> = {
  7: [[1, 1, [3, 3]], [3, 5, [3, 3]], [5, 9, [0, 0]], [4, 8, [3, 3]], [6, 13, [2, 4]], [2, 17, [3, 3]], [9, 7, [6, 0]]],
  3: [[1, 1, [1, 1]], [3, 5, [1, 1]], [5, 9, [0, 0]], [4, 8, [1, 1]], [6, 13, [2, 0]], [2, 17, [0, 2]], [9, 7, [1, 1]]],
};
const CHANNELS = [2, 6, 8, 10, 24];
const OUT_CHANNELS = [1, 5, 8, 13, 20];
const ZEROS = [0, 128, 255];
const CLAMPS = ['full', 'relu', 'band'] as const;
const RESIDUALS: Residual[] = ['none', 'separate', 'alias', 'none'];

function gridCases(r: I8Winograd1dR): Case[] {
  const cases: Case[] = [];
  let i = 0;
  for (const axis of ['w', 'h'] as const) {
    for (const [a, b, pads] of SHAPES[r]) {
      for (const channels of CHANNELS) {
        const f32 = i % 7 === 3;
        cases.push({
          r, axis, batch: i % 4 === 1 ? 2 : 1, inH: axis === 'w' ? a : b, inW: axis === 'w' ? b : a, pads, channels,
          outChannels: OUT_CHANNELS[i % OUT_CHANNELS.length], zero: ZEROS[i % 3], outZero: ZEROS[Math.floor(i / 3) % 3],
          clamp: CLAMPS[Math.floor(i / 9) % 3], res: f32 ? 'none' : RESIDUALS[i % 4], f32, minus128: i % 6 === 5,
          inGap: i % 2 === 0 ? 5 : 0, outGap: (i % 4) + 1, linesPerTask: [1, 2, 100][i % 3], panelsPerTask: [1, 2, 100][Math.floor(i / 2) % 3],
          seed: 500 + 13 * i,
        });
        i++;
      }
    }
  }
  return cases;
}

const base = {
  batch: 1, zero: 128, outZero: 128, clamp: 'relu', res: 'none', f32: false, minus128: false, inGap: 0, outGap: 0, linesPerTask: 100, panelsPerTask: 100,
} as const;

/** Inception-like 17×17 layers: many tiles per line, several panels, deeper channels. */
const WIDE_CASES: Case[] = [
  { ...base, r: 7, axis: 'w', inH: 17, inW: 17, pads: [3, 3], channels: 64, outChannels: 40, linesPerTask: 5, panelsPerTask: 2, seed: 21 },
  { ...base, r: 7, axis: 'h', inH: 17, inW: 17, pads: [3, 3], channels: 48, outChannels: 24, res: 'separate', zero: 0, batch: 2, inGap: 80, outGap: 3, seed: 22 },
  { ...base, r: 3, axis: 'w', inH: 8, inW: 8, pads: [1, 1], channels: 96, outChannels: 20, f32: true, clamp: 'band', seed: 23 },
  { ...base, r: 3, axis: 'h', inH: 8, inW: 8, pads: [1, 1], channels: 40, outChannels: 17, res: 'alias', linesPerTask: 3, seed: 24 },
];

describe.each(BUILDS)('int8 1-D Winograd (%s)', (build) => {
  for (const r of [7, 3] as const) {
    it(`F(${i8Winograd1dShape(r).m}, ${r}) grid: 1×${r} and ${r}×1, ${SHAPES[r].length} maps × C∈{${CHANNELS}}, N cycled, zero points, clamps, residuals, f32, gaps, batch 2, splits`, async () => {
      const env = await kernelEnv(build);
      for (const c of gridCases(r)) checkCase(env, c);
    });
  }

  for (const c of WIDE_CASES) {
    it(name(c), async () => {
      checkCase(await kernelEnv(build), c);
    });
  }

  it.each([
    { r: 7 as const, max: 1174, channels: 1174, over: 1176 },
    { r: 3 as const, max: 2741, channels: 2740, over: 2742 },
  ])('F(·, $r): C = $channels at the extreme sum (x = 0, z = 255, w = −128: 8·acc < 2³¹) is exact; C = $over, odd C, r = 5 write nothing', async ({ r, max, channels: C, over }) => {
    const env = await kernelEnv(build);
    const g = int8Kernels(env.exports);
    const { arena } = env;
    expect(i8Winograd1dMaxChannels(r)).toBe(max);
    expect(g.i8_winograd_1d_max_channels(r)).toBe(max);
    expect(g.i8_winograd_1d_max_channels(5)).toBe(0);
    expect(8 * r * 255 * 128 * max).toBeLessThan(2 ** 31);
    expect(8 * r * 255 * 128 * (max + 1)).toBeGreaterThan(2 ** 31);
    // One line of r + 3 positions without padding: every output's window is in-line, |acc| = r·C·255·128.
    const c: Case = { ...base, r, axis: 'w', inH: 1, inW: r + 3, pads: [0, 0], channels: C, outChannels: 9, zero: 255, outZero: 0, f32: true, clamp: 'full', seed: 2 };
    const o: Operands = {
      x: new Array((r + 3) * C).fill(0), w: new Int8Array(9 * r * C).fill(-128), bias: Int32Array.from({ length: 9 }, (_, j) => -1000 * j),
      scale: new Float32Array(9).fill(1 / 2 ** 22), resZero: 0, resScale: 1,
    };
    o.w[r * C + 1] = 127;
    expect(new Float32Array(reference(c, o).buffer)[0]).toBe((r * C * 255 * 128) / 2 ** 22);
    checkCase(env, c, o, false);
    const mark = arena.mark();
    try {
      const x = arena.alloc(16 * (over + 16));
      const w = arena.alloc(1 << 20);
      for (const [rr, ch] of [[r, over], [r, 7], [5, 8]] as const) {
        const v = new ByteView(arena, 1, 4096, 4096);
        v.fillBody(0x3c);
        const out = new ByteView(arena, 4, 9, 9);
        out.fillBody(0x5a);
        const scratch = arena.alloc(1 << 16);
        if (ch % 2 === 0) {
          g.i8_winograd_input_1d(rr, x, ch, 4 * ch, 4, ch, 0, 255, 1, 0, 1, v.ptr, 64);
          expect(v.read().every((byte) => byte === 0x3c), `input transform, r ${rr} C=${ch}`).toBe(true);
          expect(g.i8_winograd_1d_v_bytes(rr, 4, ch)).toBe(0);
          expect(g.i8_winograd_1d_scratch_bytes(rr, 4, ch)).toBe(0);
        }
        g.i8_winograd_1d(rr, v.ptr, 64, ch, w, 0, 2, 9, 2, 0, 1, 4, out.ptr, 9, 36, 0, 0, 255, 0, 0, 0, 0, 1, scratch);
        assertBytes(out, new Uint8Array(36).fill(0x5a), `${build} i8_winograd_1d r ${rr} C=${ch} refused`);
      }
    } finally {
      arena.release(mark);
    }
  });
});
