/**
 * int8 Winograd F(2×2, 3×3) and F(4×4, 3×3) (assembly/i8-winograd.ts) in every build:
 * i8_winograd_input_3x3 then i8_winograd_3x3 / i8_winograd_3x3_f32 on i8_pack_gemm_weights
 * panels, at both tiles, must give the SAME bytes
 * as the integer reference of the direct conv (u8Im2colRef + i8GemmRef / i8GemmF32Ref) and as
 * the kernels' own u8_im2col_nhwc + i8_gemm / i8_gemm_f32 path. The grid covers odd and even
 * maps down to 1 × 1, padding 0 / 1 / 2 and one-sided, channels not multiples of 8 (2 … 34),
 * output channels below, at and past a panel, input as a channel slice (random bytes in the
 * pixel gaps), output as a channel slice, zero points 0 / 128 / 255, weights at ±127 (and −128),
 * tie scales, ReLU / band clamps, residual none / separate / aliasing the output, f32 output,
 * batch 2, and tile-row / panel splits as threads make them. V itself is checked against
 * the matrix definition (i8WinogradInputRef), and the Winograd route of the reference
 * (i8WinogradAccRef) against the direct sums. Each output is written twice over complementary
 * fills, so an unwritten byte cannot pass; guards around V, the scratch and the output catch
 * stray writes. Limits: at the extreme sum, C = 1826 (tile 2) and C = 114 (tile 4) are exact;
 * C = 1828, C = 116 (tile 4), odd C and a tile other than 2 or 4 write nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  i8WinogradMaxChannels, i8WinogradScratchBytes, i8WinogradVBytes, int8Kernels, packedI8GemmBytes, type I8WinogradTile, type Int8Kernels,
} from '../../src/bindings/kernels/int8.js';
import type { Arena } from '../../src/bindings/arena.js';
import { mulberry32 } from '../../src/util/prng.js';
import { BUILDS, kernelEnv, type KernelEnv } from '../helpers/kernel-env.js';
import { i8GemmF32Ref, i8GemmRef, i8WeightsKN, u8Im2colRef, type WindowGeometry } from '../reference/int8.js';
import { i8WinogradAccRef, i8WinogradInputRef, i8WinogradWeightsRef, type Winograd3x3Geometry } from '../reference/int8-winograd.js';
import { ByteView, assertBytes, randomInts } from './int8-env.js';

type Residual = 'none' | 'separate' | 'alias';

interface Case {
  tile: I8WinogradTile;
  batch: number;
  inH: number;
  inW: number;
  /** top, left, bottom, right */
  pads: [number, number, number, number];
  channels: number;
  outChannels: number;
  zero: number;
  outZero: number;
  clamp: 'full' | 'relu' | 'band';
  res: Residual;
  f32: boolean;
  ties: boolean;
  /** Weights in [−128, 127] instead of pack-int8's [−127, 127]. */
  minus128: boolean;
  /** Extra bytes per input pixel (a concat slice) and output columns around the written ones. */
  inGap: number;
  outOffset: number;
  outGap: number;
  tileRowsPerTask: number;
  panelsPerTask: number;
  seed: number;
}

const geometry = (c: Case): Winograd3x3Geometry => ({
  inH: c.inH, inW: c.inW, channels: c.channels, padTop: c.pads[0], padLeft: c.pads[1],
  outH: c.inH + c.pads[0] + c.pads[2] - 2, outW: c.inW + c.pads[1] + c.pads[3] - 2,
});

function name(c: Case): string {
  const g = geometry(c);
  return `F(${c.tile}×${c.tile}) ${c.batch}×${c.inH}×${c.inW}×${c.channels} pads ${c.pads.join(',')} → ${g.outH}×${g.outW}×${c.outChannels} z=${c.zero} oZ=${c.outZero} ` +
    `${c.clamp} res=${c.res}${c.f32 ? ' f32' : ''}${c.ties ? ' ties' : ''}${c.minus128 ? ' −128' : ''} gaps ${c.inGap}/${c.outGap} ` +
    `split ${c.tileRowsPerTask} tile rows × ${c.panelsPerTask} panels`;
}

function bounds(c: Case, outZero: number): [number, number] {
  if (c.f32) return c.clamp === 'relu' ? [0, Infinity] : c.clamp === 'band' ? [-0.5, 0.75] : [-Infinity, Infinity];
  return c.clamp === 'full' ? [0, 255] : c.clamp === 'relu' ? [outZero, 255] : [30, 200];
}

interface Operands {
  x: number[];
  /** OIHW i8. */
  w: Int8Array;
  bias: Int32Array;
  scale: Float32Array;
  res?: number[];
  resZero: number;
  resScale: number;
}

function operands(c: Case): Operands {
  const pixels = c.batch * c.inH * c.inW;
  const k = 9 * c.channels;
  const x = c.ties ? randomInts(pixels * c.channels, c.seed, Math.max(0, c.zero - 3), Math.min(255, c.zero + 3)) : randomInts(pixels * c.channels, c.seed, 0, 255);
  const w = Int8Array.from(c.ties ? randomInts(c.outChannels * k, c.seed + 1, -3, 3) : randomInts(c.outChannels * k, c.seed + 1, c.minus128 ? -128 : -127, 127));
  const bias = Int32Array.from(c.ties ? randomInts(c.outChannels, c.seed + 2, -20, 20) : randomInts(c.outChannels, c.seed + 2, -60000, 60000));
  const next = mulberry32(c.seed + 3);
  // 'spread' puts the outputs over ~80 levels (as the i8_gemm test); f32 outputs near the band.
  const base = (c.f32 ? 0.5 : 40) / (Math.sqrt(k) * 100 * 74);
  const scale = Float32Array.from({ length: c.outChannels }, (_, j) => (c.ties ? [0.5, 0.25, 1.5, 0.125][j % 4] : base * 2 ** (2 * next() - 1)));
  const g = geometry(c);
  const res = c.res !== 'none' ? randomInts(c.batch * g.outH * g.outW * c.outChannels, c.seed + 4, 0, 255) : undefined;
  return { x, w, bias, scale, res, resZero: [0, 128, 255][(c.seed + 1) % 3], resScale: c.ties ? 0.5 : 0.37 };
}

/** The direct conv's bytes per image from the integer reference: u8 im2col, then the GEMM reference. */
function reference(c: Case, o: Operands): Uint8Array {
  const g = geometry(c);
  const win: WindowGeometry = { ...g, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1 };
  const k = 9 * c.channels;
  const m = g.outH * g.outW;
  const wKN = i8WeightsKN(o.w, c.outChannels, c.channels, 3, 3);
  const image = c.inH * c.inW * c.channels;
  const elem = c.f32 ? 4 : 1;
  const out = new Uint8Array(c.batch * m * c.outChannels * elem);
  const [lo, hi] = bounds(c, c.outZero);
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
  const srcPtr = arena.alloc(o.w.length);
  arena.u8(srcPtr, o.w.length).set(new Uint8Array(o.w.buffer));
  const biasPtr = arena.alloc(4 * c.outChannels);
  arena.i32(biasPtr, c.outChannels).set(o.bias);
  const dst = arena.alloc(packedI8GemmBytes(c.outChannels, 9 * c.channels));
  g.i8_pack_gemm_weights(srcPtr, c.outChannels, c.channels, 3, 3, biasPtr, arena.putF32(o.scale), dst);
  return dst;
}

interface Buffers {
  /** Input: batch·H·W pixels of channels + inGap bytes, random bytes in the gaps. */
  x: ByteView;
  wPtr: number;
  res?: ByteView;
}

/** Output rows: one per pixel, the whole cStride bytes; only columns [outOffset, outOffset + n) (×4 for f32) may change. */
function outputView(arena: Arena, c: Case): { view: ByteView; rowBytes: number; colBytes: number; pixels: number } {
  const g = geometry(c);
  const elem = c.f32 ? 4 : 1;
  const rowBytes = elem * (c.outOffset + c.outChannels + c.outGap);
  const pixels = c.batch * g.outH * g.outW;
  return { view: new ByteView(arena, pixels, rowBytes), rowBytes, colBytes: elem * c.outOffset, pixels };
}

/**
 * Runs the conv into `out` by `path`, one image at a time: 'winograd' splits each image into
 * tile-row blocks and panel groups (as tasks), each with a fresh guarded V and scratch;
 * 'im2col' is u8_im2col_nhwc + i8_gemm(_f32) over the whole image.
 */
function run(g: Int8Kernels, arena: Arena, c: Case, b: Buffers, o: Operands, out: { view: ByteView; rowBytes: number; colBytes: number }, path: 'winograd' | 'im2col', label: string): void {
  const geo = geometry(c);
  const ps = c.channels + c.inGap;
  const [lo, hi] = bounds(c, c.outZero);
  const n = c.outChannels;
  const panels = Math.ceil(n / 8);
  const tilesH = Math.ceil(geo.outH / c.tile);
  const tilesW = Math.ceil(geo.outW / c.tile);
  const matrices = (c.tile + 2) ** 2;
  for (let img = 0; img < c.batch; img++) {
    const xPtr = b.x.ptr + img * c.inH * c.inW * ps;
    const cPtr = out.view.ptr + img * geo.outH * geo.outW * out.rowBytes + out.colBytes;
    const resRowBytes = c.res === 'alias' ? out.rowBytes : (b.res?.stride ?? 0);
    const resPtr = c.res === 'alias' ? cPtr : b.res ? b.res.ptr + img * geo.outH * geo.outW * b.res.stride : 0;
    if (path === 'im2col') {
      const m = geo.outH * geo.outW;
      const k = 9 * c.channels;
      const a = arena.alloc(m * k);
      const pack = arena.alloc(g.i8_gemm_pack_bytes(m, k));
      g.u8_im2col_nhwc(xPtr, ps, c.inH, c.inW, c.channels, 3, 3, 1, 1, geo.padTop, geo.padLeft, geo.outW, 0, geo.outH, c.zero, a, k);
      if (c.f32) g.i8_gemm_f32(a, k, c.zero, b.wPtr, k, cPtr, out.rowBytes, lo, hi, m, 0, panels, n, pack);
      else g.i8_gemm(a, k, c.zero, b.wPtr, k, cPtr, out.rowBytes, c.outZero, lo, hi, resPtr, resRowBytes, o.resZero, o.resScale, m, 0, panels, n, pack);
      continue;
    }
    for (let ty0 = 0; ty0 < tilesH; ty0 += c.tileRowsPerTask) {
      const ty1 = Math.min(ty0 + c.tileRowsPerTask, tilesH);
      const tiles = (ty1 - ty0) * tilesW;
      const vBytes = i8WinogradVBytes(tiles, c.channels);
      expect(g.i8_winograd_v_bytes(c.tile, tiles, c.channels), 'V size, kernel and host').toBe(vBytes);
      expect(g.i8_winograd_scratch_bytes(c.tile, tiles, c.channels), 'scratch size, kernel and host').toBe(i8WinogradScratchBytes(c.tile, tiles, c.channels));
      for (let p0 = 0; p0 < panels; p0 += c.panelsPerTask) {
        // Each panel group redoes its block's input transform, as a task does.
        const v = new ByteView(arena, 1, matrices * vBytes);
        g.i8_winograd_input_3x3(c.tile, xPtr, ps, c.inH, c.inW, c.channels, geo.padTop, geo.padLeft, c.zero, tilesW, ty0, ty1, v.ptr, vBytes);
        if (img === 0 && p0 === 0) checkV(arena, c, o, v.ptr, vBytes, ty0, ty1, `${label} V of tile rows [${ty0}, ${ty1})`);
        const scratch = new ByteView(arena, 1, i8WinogradScratchBytes(c.tile, tiles, c.channels));
        const p1 = Math.min(p0 + c.panelsPerTask, panels);
        if (c.f32) {
          g.i8_winograd_3x3_f32(c.tile, v.ptr, vBytes, c.channels, b.wPtr, p0, p1, n, tilesW, ty0, ty1, geo.outH, geo.outW, cPtr, out.rowBytes, lo, hi, scratch.ptr);
        } else {
          g.i8_winograd_3x3(
            c.tile, v.ptr, vBytes, c.channels, b.wPtr, p0, p1, n, tilesW, ty0, ty1, geo.outH, geo.outW, cPtr, out.rowBytes, c.outZero, lo, hi,
            resPtr, resRowBytes, o.resZero, o.resScale, scratch.ptr,
          );
        }
        expect(v.strayWrites(), `${label}: V guards`).toEqual([]);
        expect(scratch.strayWrites(), `${label}: scratch guards`).toEqual([]);
      }
    }
  }
}

/** V of image 0's tile rows [ty0, ty1) in the kernel's layout against the matrix definition; channels ≥ C must be 0. */
function checkV(arena: Arena, c: Case, o: Operands, vPtr: number, vBytes: number, ty0: number, ty1: number, label: string): void {
  const geo = geometry(c);
  const want = i8WinogradInputRef(o.x.slice(0, c.inH * c.inW * c.channels), geo, c.zero, ty0, ty1, c.tile);
  const tiles = (ty1 - ty0) * Math.ceil(geo.outW / c.tile);
  const cp = Math.ceil(c.channels / 8) * 8;
  const matrices = (c.tile + 2) ** 2;
  const v = new Int16Array(arena.u8(vPtr, matrices * vBytes).slice().buffer);
  for (let xi = 0; xi < matrices; xi++) {
    for (let q = 0; q < tiles; q++) {
      for (let ch = 0; ch < cp; ch++) {
        const at = (xi * vBytes + (q >> 2) * 8 * cp + (ch >> 1) * 16 + (q & 3) * 4 + 2 * (ch & 1)) / 2;
        const expected = ch < c.channels ? want[(xi * tiles + q) * c.channels + ch] : 0;
        if (v[at] !== expected) throw new Error(`${label}: V[ξ=${xi}][tile ${q}][c=${ch}] = ${v[at]}, want ${expected}`);
      }
    }
  }
}

/** The Winograd route of the reference (V, U′, Aᵀ M A / 4) equals the direct sums Σ (x − z)·w for image 0. */
function checkIdentity(c: Case, o: Operands): void {
  const geo = geometry(c);
  const tile = c.tile;
  const v = i8WinogradInputRef(o.x, geo, c.zero, 0, Math.ceil(geo.outH / tile), tile);
  const acc = i8WinogradAccRef(v, i8WinogradWeightsRef(o.w, c.outChannels, c.channels, tile), geo, c.outChannels, tile);
  for (let oy = 0; oy < geo.outH; oy++) {
    for (let ox = 0; ox < geo.outW; ox++) {
      for (let oc = 0; oc < c.outChannels; oc++) {
        let sum = 0;
        for (let ky = 0; ky < 3; ky++) {
          for (let kx = 0; kx < 3; kx++) {
            const iy = oy - geo.padTop + ky;
            const ix = ox - geo.padLeft + kx;
            if (iy < 0 || iy >= c.inH || ix < 0 || ix >= c.inW) continue;
            for (let ch = 0; ch < c.channels; ch++) sum += (o.x[(iy * c.inW + ix) * c.channels + ch] - c.zero) * o.w[((oc * c.channels + ch) * 3 + ky) * 3 + kx];
          }
        }
        const got = acc[(oy * geo.outW + ox) * c.outChannels + oc];
        if (got !== sum) throw new Error(`${name(c)}: Winograd reference acc ${got} ≠ direct ${sum} at (${oy}, ${ox}, ${oc})`);
      }
    }
  }
}

/** Runs one case on both paths (complementary fills) and checks bytes, gaps, guards, the input and the residual left as they were. */
function checkCase(env: KernelEnv, c: Case): void {
  const { arena } = env;
  const g = int8Kernels(env.exports);
  const label = `${env.build} ${name(c)}`;
  const mark = arena.mark();
  try {
    const o = operands(c);
    checkIdentity(c, o);
    const geo = geometry(c);
    const ps = c.channels + c.inGap;
    const x = new ByteView(arena, c.batch * c.inH * c.inW, c.channels, ps);
    arena.u8(x.ptr, (c.batch * c.inH * c.inW - 1) * ps + c.channels).set(randomInts((c.batch * c.inH * c.inW - 1) * ps + c.channels, c.seed + 9, 0, 255));
    x.write(o.x);
    const xBytes = () => arena.u8(x.ptr - 16, (c.batch * c.inH * c.inW - 1) * ps + c.channels + 32).slice();
    const xBefore = xBytes();
    const b: Buffers = { x, wPtr: packWeights(g, arena, c, o) };
    const pixels = c.batch * geo.outH * geo.outW;
    if (c.res === 'separate') b.res = new ByteView(arena, pixels, c.outChannels, c.outChannels + 3, o.res);
    const want = reference(c, o);
    const elem = c.f32 ? 4 : 1;
    const results: Record<string, Uint8Array> = {};
    for (const path of ['winograd', 'im2col'] as const) {
      const out = outputView(arena, c);
      const fills = c.res === 'alias' ? [0x00] : [0x00, 0xff];
      for (const fill of fills) {
        const before = Uint8Array.from(randomInts(pixels * out.rowBytes, c.seed + 5 + fill, 0, 255));
        const expected = before.slice();
        for (let p = 0; p < pixels; p++) {
          for (let j = 0; j < c.outChannels * elem; j++) {
            const at = p * out.rowBytes + out.colBytes + j;
            before[at] = c.res === 'alias' ? o.res![p * c.outChannels + j] : fill;
            expected[at] = want[p * c.outChannels * elem + j];
          }
        }
        out.view.write(before);
        run(g, arena, c, b, o, out, path, `${label} ${path}`);
        assertBytes(out.view, expected, `${label} ${path} (fill ${fill})`);
        results[path] = out.view.read();
      }
    }
    expect(results.winograd, `${label}: Winograd and im2col + i8_gemm bytes`).toEqual(results.im2col);
    expect(xBytes().every((v, i) => v === xBefore[i]), `${label}: input, its gaps and guards untouched`).toBe(true);
    if (b.res) assertBytes(b.res, Uint8Array.from(o.res!), `${label} (residual left as is)`);
  } finally {
    arena.release(mark);
  }
}

const SHAPES: Array<[number, number, [number, number, number, number]]> = [
  [1, 1, [1, 1, 1, 1]],
  [2, 3, [1, 1, 1, 1]],
  [5, 7, [1, 1, 1, 1]],
  [6, 4, [0, 0, 0, 0]],
  [7, 9, [0, 1, 0, 1]],
  [9, 6, [1, 0, 1, 0]],
  [8, 8, [1, 1, 1, 1]],
  [5, 5, [0, 0, 0, 0]],
  [4, 5, [2, 0, 0, 2]],
  [11, 10, [1, 1, 1, 1]],
  [13, 9, [0, 1, 0, 1]],
];
const CHANNELS = [2, 6, 8, 10, 24, 34];
const OUT_CHANNELS = [1, 5, 8, 13, 20];
const ZEROS = [0, 128, 255];
const CLAMPS = ['full', 'relu', 'band'] as const;
const RESIDUALS: Residual[] = ['none', 'separate', 'alias', 'none'];

function gridCases(): Case[] {
  const cases: Case[] = [];
  let i = 0;
  for (const [inH, inW, pads] of SHAPES) {
    for (const channels of CHANNELS) {
      const f32 = i % 7 === 3;
      cases.push({
        tile: i % 2 === 0 ? 4 : 2, batch: i % 4 === 1 ? 2 : 1, inH, inW, pads, channels,
        outChannels: OUT_CHANNELS[i % OUT_CHANNELS.length],
        zero: ZEROS[i % 3], outZero: ZEROS[Math.floor(i / 3) % 3], clamp: CLAMPS[Math.floor(i / 9) % 3],
        res: f32 ? 'none' : RESIDUALS[i % 4], f32, ties: i % 5 === 2, minus128: i % 6 === 5,
        inGap: i % 2 === 0 ? 5 : 0, outOffset: i % 3, outGap: (i % 4) + 1,
        tileRowsPerTask: [1, 2, 100][i % 3], panelsPerTask: [1, 2, 100][Math.floor(i / 2) % 3],
        seed: 300 + 13 * i,
      });
      i++;
    }
  }
  return cases;
}

const base: Omit<Case, 'tile' | 'inH' | 'inW' | 'pads' | 'channels' | 'outChannels' | 'seed'> = {
  batch: 1, zero: 128, outZero: 128, clamp: 'full', res: 'none', f32: false, ties: false, minus128: false,
  inGap: 0, outOffset: 0, outGap: 0, tileRowsPerTask: 100, panelsPerTask: 100,
};

/** Layer-like shapes: several 4-tile blocks, many panels, deeper channels. */
const WIDE_CASES: Case[] = [
  { ...base, tile: 2, inH: 14, inW: 14, pads: [1, 1, 1, 1], channels: 48, outChannels: 40, clamp: 'relu', tileRowsPerTask: 3, panelsPerTask: 2, seed: 11 },
  { ...base, tile: 4, inH: 14, inW: 14, pads: [1, 1, 1, 1], channels: 48, outChannels: 40, clamp: 'relu', tileRowsPerTask: 2, panelsPerTask: 3, seed: 11 },
  { ...base, tile: 4, inH: 17, inW: 13, pads: [0, 0, 0, 0], channels: 64, outChannels: 17, res: 'separate', zero: 0, batch: 2, inGap: 64, outGap: 7, seed: 12 },
  { ...base, tile: 2, inH: 17, inW: 13, pads: [0, 0, 0, 0], channels: 64, outChannels: 17, res: 'alias', zero: 255, batch: 2, inGap: 64, outGap: 7, seed: 12 },
  { ...base, tile: 2, inH: 11, inW: 12, pads: [1, 1, 1, 1], channels: 130, outChannels: 9, f32: true, clamp: 'relu', tileRowsPerTask: 2, seed: 13 },
  { ...base, tile: 4, inH: 19, inW: 21, pads: [1, 1, 1, 1], channels: 114, outChannels: 12, f32: true, clamp: 'band', minus128: true, tileRowsPerTask: 2, seed: 14 },
];

describe.each(BUILDS)('int8 Winograd F(2×2, 3×3) (%s)', (build) => {
  it(`grid: ${SHAPES.length} maps × C∈{${CHANNELS}}, N∈{${OUT_CHANNELS}} cycled, zero points, clamps, residuals, f32, gaps, batch 2, splits`, async () => {
    const env = await kernelEnv(build);
    const cases = gridCases();
    for (const c of cases) checkCase(env, c);
    // What the grid claims to reach.
    expect(cases.some((c) => c.f32) && cases.some((c) => c.res === 'alias') && cases.some((c) => c.batch === 2) && cases.some((c) => c.minus128)).toBe(true);
  });

  for (const c of WIDE_CASES) {
    it(name(c), async () => {
      checkCase(await kernelEnv(build), c);
    });
  }

  it.each([
    { tile: 2 as const, channels: 1826, max: 1827, over: 1828, scaled: 4 },
    { tile: 4 as const, channels: 114, max: 114, over: 116, scaled: 64 },
  ])('F($tile×$tile): C = $channels at the extreme sum (x = 0, z = 255, w = −128: $scaled·acc < 2³¹) is exact; C = $over, odd C, tile 3 write nothing', async ({ tile, channels: C, max, over, scaled }) => {
    const env = await kernelEnv(build);
    const g = int8Kernels(env.exports);
    const { arena } = env;
    const mark = arena.mark();
    try {
      expect(i8WinogradMaxChannels(tile)).toBe(max);
      expect(g.i8_winograd_max_channels(tile)).toBe(max);
      expect(g.i8_winograd_max_channels(3)).toBe(0);
      // The largest C whose worst |acc| = 9·C·255·128, scaled, stays below 2³¹.
      const bound = 9 * 255 * 128;
      expect(scaled * bound * max).toBeLessThan(2 ** 31);
      expect(scaled * bound * (max + 1)).toBeGreaterThan(2 ** 31);
      // A 6 × 6 map without padding: every output's window is all in-image, so |acc| = 9·C·255·128 everywhere.
      const c: Case = { ...base, tile, inH: 6, inW: 6, pads: [0, 0, 0, 0], channels: C, outChannels: 9, zero: 255, outZero: 0, f32: true, seed: 1 };
      const o: Operands = {
        x: new Array(36 * C).fill(0), w: new Int8Array(9 * 9 * C).fill(-128), bias: Int32Array.from({ length: 9 }, (_, j) => -1000 * j),
        scale: new Float32Array(9).fill(1 / 2 ** 22), resZero: 0, resScale: 1,
      };
      o.w[9 * C + 4] = 127; // column 1 differs
      const want = reference(c, o);
      expect(new Float32Array(want.buffer)[0]).toBe((bound * C) / 2 ** 22);
      const x = new ByteView(arena, 36, C, C, o.x);
      const b: Buffers = { x, wPtr: packWeights(g, arena, c, o) };
      const results: Uint8Array[] = [];
      for (const path of ['winograd', 'im2col'] as const) {
        const out = outputView(arena, c);
        run(g, arena, c, b, o, out, path, `${build} C=${C} ${path}`);
        assertBytes(out.view, want, `${build} C=${C} ${path}`);
        results.push(out.view.read());
      }
      expect(results[0]).toEqual(results[1]);
      // Past the limit, odd C, another tile: nothing written, sizes 0.
      for (const [t, channels] of [[tile, over], [tile, 7], [3, 8]] as const) {
        const v = new ByteView(arena, 1, 4096, 4096);
        v.fillBody(0x3c);
        const out = new ByteView(arena, 16, 9, 9);
        out.fillBody(0x5a);
        const scratch = arena.alloc(1 << 16);
        if (channels % 2 === 0) {
          g.i8_winograd_input_3x3(t, x.ptr, channels, 4, 4, channels, 0, 0, 255, 1, 0, 1, v.ptr, 64);
          expect(v.read().every((byte) => byte === 0x3c), `input transform, tile ${t} C=${channels}`).toBe(true);
          expect(g.i8_winograd_v_bytes(t, 4, channels)).toBe(0);
          expect(g.i8_winograd_scratch_bytes(t, 4, channels)).toBe(0);
        }
        g.i8_winograd_3x3(t, v.ptr, 64, channels, b.wPtr, 0, 2, 9, 1, 0, 1, 4, 4, out.ptr, 9, 0, 0, 255, 0, 0, 0, 1, scratch);
        assertBytes(out, new Uint8Array(16 * 9).fill(0x5a), `${build} i8_winograd_3x3 tile ${t} C=${channels} refused`);
      }
    } finally {
      arena.release(mark);
    }
  });
});
