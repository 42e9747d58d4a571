/**
 * i8_pack_gemm_weights and i8_gemm against the integer reference (test/reference/int8.ts), in
 * every build: outputs must be EQUAL byte for byte. The grid covers m, n, k below, at and above
 * the 4 × 8 tile (k = 1, odd k, k = 8 for the 8-byte A-pack step), zero points 0 / 128 / 255,
 * scales that make exact halves (round half to even must decide them), no clamp / ReLU / a band,
 * residual off / separate / aliasing C, strided A (random bytes in the row gaps), C as a channel
 * slice between guard bytes; plus panel ranges, row chunking at deep k, the k = 65536 limit
 * at the extreme sum, and row / panel splits (as threads make them) that must give the same bytes.
 * Each output is written twice over complementary fills, so an unwritten byte cannot pass.
 */
import { describe, expect, it } from 'vitest';
import { int8Kernels, packedI8GemmBytes, type Int8Kernels } from '../../src/bindings/kernels/int8.js';
import { gemmRowBlocks } from '../../src/bindings/kernels/gemm.js';
import { mulberry32 } from '../../src/util/prng.js';
import { BUILDS, kernelEnv, type KernelEnv } from '../helpers/kernel-env.js';
import { i8GemmRef, i8WeightsKN, packI8PanelsRef, type I8GemmStats } from '../reference/int8.js';
import { ByteView, assertBytes, randomInts } from './int8-env.js';

type Clamp = 'full' | 'relu' | 'band';
type Residual = 'none' | 'separate' | 'alias';
type Scales = 'spread' | 'ties';

interface Case {
  m: number;
  n: number;
  k: number;
  aZero: number;
  outZero: number;
  clamp: Clamp;
  res: Residual;
  scales: Scales;
  /** Extra bytes between A rows (random: a kernel that reads them changes the sums). */
  aGap: number;
  /** C columns before the slice, and C's row stride. */
  cOffset: number;
  cStride: number;
  panelStart?: number;
  panelEnd?: number;
  seed: number;
}

const ZEROS = [0, 128, 255];
const CLAMPS: Clamp[] = ['full', 'relu', 'band'];
const RESIDUALS: Residual[] = ['none', 'separate', 'alias', 'none'];

function name(c: Case): string {
  const panels = c.panelStart !== undefined ? ` panels[${c.panelStart},${c.panelEnd})` : '';
  return `i8_gemm M=${c.m} N=${c.n} K=${c.k} aZ=${c.aZero} oZ=${c.outZero} ${c.clamp} res=${c.res} ${c.scales}${panels}`;
}

function bounds(c: Case): [number, number] {
  switch (c.clamp) {
    case 'full':
      return [0, 255];
    case 'relu':
      return [c.outZero, 255];
    case 'band':
      return [30, 200];
  }
}

interface Inputs {
  a: number[];
  /** `[k][n]` i8. */
  w: Int8Array;
  bias: Int32Array;
  scale: Float32Array;
  res?: number[];
  resZero: number;
  resScale: number;
}

/** Seeded operands. 'spread': full-range A and W, scales that put the outputs over ~80 levels; 'ties': A near aZero, small W, power-of-two and 1.5 scales, so exact halves are common. */
function inputs(c: Case): Inputs {
  const ties = c.scales === 'ties';
  const a = ties
    ? randomInts(c.m * c.k, c.seed, Math.max(0, c.aZero - 3), Math.min(255, c.aZero + 3))
    : randomInts(c.m * c.k, c.seed, 0, 255);
  const w = Int8Array.from(ties ? randomInts(c.k * c.n, c.seed + 1, -3, 3) : randomInts(c.k * c.n, c.seed + 1, -128, 127));
  const bias = Int32Array.from(ties ? randomInts(c.n, c.seed + 2, -20, 20) : randomInts(c.n, c.seed + 2, -60000, 60000));
  const next = mulberry32(c.seed + 3);
  const base = 40 / (Math.sqrt(c.k) * 100 * 74);
  const scale = Float32Array.from({ length: c.n }, (_, j) => (ties ? [0.5, 0.25, 1.5, 0.125][j % 4] : base * 2 ** (2 * next() - 1)));
  const res = c.res !== 'none' ? randomInts(c.m * c.n, c.seed + 4, 0, 255) : undefined;
  return { a, w, bias, scale, res, resZero: ZEROS[(c.seed + 1) % 3], resScale: ties ? 0.5 : 0.37 };
}

/** Packs `[k][n]` weights with the kernel (as an FC layer: OIHW [n][k][1][1]) and checks it against the reference packing. */
function packWeights(g: Int8Kernels, env: KernelEnv, w: Int8Array, bias: Int32Array | undefined, scale: Float32Array, k: number, n: number): number {
  const { arena } = env;
  const src = new Int8Array(n * k);
  for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) src[j * k + kk] = w[kk * n + j];
  const srcPtr = arena.alloc(src.length);
  arena.u8(srcPtr, src.length).set(new Uint8Array(src.buffer));
  const biasPtr = bias ? arena.alloc(4 * n) : 0;
  if (bias) arena.i32(biasPtr, n).set(bias);
  const scalePtr = arena.putF32(scale);
  const bytes = packedI8GemmBytes(n, k);
  const dst = new ByteView(arena, 1, bytes);
  g.i8_pack_gemm_weights(srcPtr, n, k, 1, 1, biasPtr, scalePtr, dst.ptr);
  assertBytes(dst, packI8PanelsRef(w, bias, scale, k, n), `i8_pack_gemm_weights N=${n} K=${k}`);
  return dst.ptr;
}

/** Runs one case twice (complementary fills of C) and checks C, its gaps and guards, the residual and the scratch's guards. */
function checkCase(env: KernelEnv, c: Case): I8GemmStats {
  const { arena } = env;
  const g = int8Kernels(env.exports);
  const label = `${env.build} ${name(c)}`;
  const mark = arena.mark();
  try {
    const x = inputs(c);
    const [lo, hi] = bounds(c);
    const aView = new ByteView(arena, c.m, c.k, c.k + c.aGap);
    arena.u8(aView.ptr, (c.m - 1) * (c.k + c.aGap) + c.k).set(randomInts((c.m - 1) * (c.k + c.aGap) + c.k, c.seed + 9, 0, 255));
    aView.write(x.a);
    const aBytes = () => arena.u8(aView.ptr - 16, (c.m - 1) * (c.k + c.aGap) + c.k + 32).slice();
    const aBefore = aBytes();
    const wPtr = packWeights(g, env, x.w, x.bias, x.scale, c.k, c.n);
    const panels = Math.ceil(c.n / 8);
    const pStart = c.panelStart ?? 0;
    const pEnd = c.panelEnd ?? panels;
    const colStart = Math.min(pStart * 8, c.n);
    const colEnd = Math.min(Math.max(pEnd, pStart) * 8, c.n);
    const stats: I8GemmStats = { ties: 0, clampedLo: 0, clampedHi: 0 };
    const ref = i8GemmRef(x.a, x.w, x.bias, x.scale, c.m, c.n, c.k,
      { aZero: c.aZero, outZero: c.outZero, lo, hi, res: x.res, resZero: x.resZero, resScale: x.resScale }, stats);
    // C is the whole cStride-wide row; only columns [cOffset + colStart, cOffset + colEnd) may change.
    const cView = new ByteView(arena, c.m, c.cStride);
    const resView = c.res === 'separate' ? new ByteView(arena, c.m, c.n, c.n + 3, x.res) : undefined;
    const scratch = new ByteView(arena, 1, Math.max(1, g.i8_gemm_pack_bytes(c.m, c.k)));
    const fills = c.res === 'alias' ? [0] : [0x00, 0xff];
    for (const fill of fills) {
      const before = Uint8Array.from(randomInts(c.m * c.cStride, c.seed + 5 + fill, 0, 255));
      const want = before.slice();
      for (let i = 0; i < c.m; i++) {
        for (let j = 0; j < c.n; j++) {
          const at = i * c.cStride + c.cOffset + j;
          if (c.res === 'alias') before[at] = x.res![i * c.n + j];
          else if (j >= colStart && j < colEnd) before[at] = fill;
          want[at] = j >= colStart && j < colEnd ? ref[i * c.n + j] : before[at];
        }
      }
      cView.write(before);
      const cPtr = cView.ptr + c.cOffset;
      const resPtr = c.res === 'alias' ? cPtr : (resView?.ptr ?? 0);
      const resStride = c.res === 'alias' ? c.cStride : (resView?.stride ?? 0);
      g.i8_gemm(
        aView.ptr, aView.stride, c.aZero, wPtr, c.k, cPtr, c.cStride, c.outZero, lo, hi,
        resPtr, resStride, x.resZero, x.resScale, c.m, pStart, pEnd, c.n, scratch.ptr,
      );
      assertBytes(cView, want, `${label} (C, fill ${fill})`);
      expect(scratch.strayWrites(), `${label}: scratch guards`).toEqual([]);
      if (resView) assertBytes(resView, Uint8Array.from(x.res!), `${label} (residual left as is)`);
    }
    expect(aBytes().every((v, i) => v === aBefore[i]), `${label}: A, its gaps and guards untouched`).toBe(true);
    return stats;
  } finally {
    arena.release(mark);
  }
}

const GRID_M = [1, 2, 3, 4, 5, 13, 37];
const GRID_N = [1, 3, 7, 8, 9, 17, 69];
const GRID_K = [1, 2, 3, 7, 8, 9, 17, 300];

function gridCases(): Case[] {
  const cases: Case[] = [];
  let i = 0;
  for (const m of GRID_M) {
    for (const n of GRID_N) {
      for (const k of GRID_K) {
        cases.push({
          m, n, k,
          aZero: ZEROS[i % 3],
          outZero: ZEROS[Math.floor(i / 3) % 3],
          clamp: CLAMPS[Math.floor(i / 9) % 3],
          res: RESIDUALS[i % 4],
          scales: i % 5 < 2 ? 'ties' : 'spread',
          aGap: i % 2 === 0 ? 5 : 0,
          cOffset: i % 3,
          cStride: n + (i % 3) + 4,
          seed: 100 + 17 * i,
        });
        i++;
      }
    }
  }
  return cases;
}

const base = { aZero: 128, outZero: 128, clamp: 'full', res: 'none', scales: 'spread', aGap: 0, cOffset: 0 } as const;

const PANEL_CASES: Case[] = [
  { ...base, m: 13, n: 69, k: 17, clamp: 'relu', cOffset: 3, cStride: 75, panelStart: 0, panelEnd: 1, seed: 7 },
  { ...base, m: 13, n: 69, k: 17, res: 'separate', cOffset: 3, cStride: 75, panelStart: 2, panelEnd: 5, seed: 8 },
  { ...base, m: 13, n: 69, k: 17, res: 'alias', cOffset: 1, cStride: 70, panelStart: 8, panelEnd: 9, seed: 9 },
  { ...base, m: 5, n: 69, k: 5, clamp: 'band', aGap: 2, cStride: 69, panelStart: 3, panelEnd: 100, seed: 10 },
  { ...base, m: 5, n: 17, k: 3, cOffset: 4, cStride: 24, panelStart: 3, panelEnd: 3, seed: 12 },
];

/** Deep k: the driver walks A in several chunks of 256 KiB of packed rows; odd k; column tails. */
const CHUNK_CASES: Case[] = [
  { ...base, m: 150, n: 17, k: 2048, clamp: 'relu', aGap: 3, cOffset: 1, cStride: 20, seed: 21 },
  { ...base, m: 101, n: 9, k: 1201, res: 'alias', cStride: 9, seed: 22 },
  { ...base, m: 70, n: 21, k: 3457, aZero: 0, res: 'separate', cOffset: 5, cStride: 30, panelStart: 1, panelEnd: 3, seed: 26 },
];

describe.each(BUILDS)('i8_gemm (%s)', (build) => {
  it(`grid M∈{${GRID_M}} × N∈{${GRID_N}} × K∈{${GRID_K}}: zero points, clamps, residuals and tie scales cycled`, async () => {
    const env = await kernelEnv(build);
    expect(int8Kernels(env.exports).i8_gemm_mr()).toBe(4);
    const total: I8GemmStats = { ties: 0, clampedLo: 0, clampedHi: 0 };
    for (const c of gridCases()) {
      const s = checkCase(env, c);
      total.ties += s.ties;
      total.clampedLo += s.clampedLo;
      total.clampedHi += s.clampedHi;
    }
    // The grid must reach what it claims to test: exact halves and both clamp bounds.
    expect(total.ties).toBeGreaterThan(1000);
    expect(total.clampedLo).toBeGreaterThan(100);
    expect(total.clampedHi).toBeGreaterThan(100);
  });

  for (const c of [...PANEL_CASES, ...CHUNK_CASES]) {
    it(name(c), async () => {
      checkCase(await kernelEnv(build), c);
    });
  }

  it('k = 65536 at the extreme sum (A = 255, aZero = 0, W = −128: acc = −2139095040) is exact; k = 65537 writes nothing', async () => {
    const env = await kernelEnv(build);
    const g = int8Kernels(env.exports);
    const { arena } = env;
    const mark = arena.mark();
    try {
      const [m, n, k] = [5, 9, 65536];
      const a = new ByteView(arena, m, k, k, new Uint8Array(m * k).fill(255));
      const w = new Int8Array(k * n).fill(-128);
      // Column 1 gets one +127 so the columns differ; scale brings −2³¹-ish sums into u8 range.
      w[n + 1] = 127;
      const bias = Int32Array.from({ length: n }, (_, j) => j * 1000);
      const scale = new Float32Array(n).fill(-1 / 2 ** 24);
      const wPtr = packWeights(g, env, w, bias, scale, k, n);
      const c = new ByteView(arena, m, n);
      const scratch = arena.alloc(g.i8_gemm_pack_bytes(m, k));
      g.i8_gemm(a.ptr, k, 0, wPtr, k, c.ptr, n, 0, 0, 255, 0, 0, 0, 1, m, 0, 2, n, scratch);
      const want = i8GemmRef(new Uint8Array(m * k).fill(255), w, bias, scale, m, n, k, { aZero: 0, outZero: 0, lo: 0, hi: 255 });
      expect(want[0]).toBe(128); // 2139095040 / 2²⁴ = 127.5 → 128 (half to even)
      assertBytes(c, want, `${build} k=65536`);
      c.fillBody(7);
      g.i8_gemm(a.ptr, k, 0, wPtr, k + 1, c.ptr, n, 0, 0, 255, 0, 0, 0, 1, m, 0, 2, n, scratch);
      assertBytes(c, new Uint8Array(m * n).fill(7), `${build} k=65537 refused`);
      expect(g.i8_gemm_pack_bytes(m, k + 1)).toBe(0);
    } finally {
      arena.release(mark);
    }
  });

  it('row blocks and panel ranges (as threads split them) give the same bytes as one call', async () => {
    const env = await kernelEnv(build);
    const g = int8Kernels(env.exports);
    const { arena } = env;
    const mark = arena.mark();
    try {
      const [m, n, k] = [37, 69, 1100];
      const c: Case = { ...base, m, n, k, res: 'separate', cStride: n, seed: 31 };
      const x = inputs(c);
      const a = new ByteView(arena, m, k, k, x.a);
      const res = new ByteView(arena, m, n, n, x.res);
      const wPtr = packWeights(g, env, x.w, x.bias, x.scale, k, n);
      const run = (tasks: Array<{ rows: [number, number]; panels: [number, number] }>): Uint8Array => {
        const out = new ByteView(arena, m, n);
        const results = [0, 255].map((fill) => {
          out.fillBody(fill);
          for (const t of tasks) {
            const [r0, r1] = t.rows;
            const scratch = arena.alloc(g.i8_gemm_pack_bytes(r1 - r0, k));
            g.i8_gemm(a.ptr + r0 * k, k, 3, wPtr, k, out.ptr + r0 * n, n, 5, 0, 255,
              res.ptr + r0 * n, n, x.resZero, x.resScale, r1 - r0, t.panels[0], t.panels[1], n, scratch);
          }
          return out.read();
        });
        expect(results[1], 'every output written').toEqual(results[0]);
        expect(out.strayWrites()).toEqual([]);
        return results[0];
      };
      const whole = run([{ rows: [0, m], panels: [0, 9] }]);
      const want = i8GemmRef(x.a, x.w, x.bias, x.scale, m, n, k, { aZero: 3, outZero: 5, lo: 0, hi: 255, res: x.res, resZero: x.resZero, resScale: x.resScale });
      expect(whole).toEqual(want);
      const odd = run([
        { rows: [0, 3], panels: [0, 9] }, { rows: [3, 10], panels: [0, 4] }, { rows: [3, 10], panels: [4, 9] },
        { rows: [10, 37], panels: [0, 9] },
      ]);
      const blocks = run(gemmRowBlocks(m, g.i8_gemm_mr(), 3).map((rows) => ({ rows, panels: [0, 9] as [number, number] })));
      expect(odd).toEqual(whole);
      expect(blocks).toEqual(whole);
    } finally {
      arena.release(mark);
    }
  });
});

describe('i8_pack_gemm_weights', () => {
  it.each(BUILDS)('conv weights (OIHW, K in im2col order), odd and even K, bias absent or present, column tails (%s)', async (build) => {
    const env = await kernelEnv(build);
    const g = int8Kernels(env.exports);
    const { arena } = env;
    for (const [o, ci, kh, kw, withBias] of [[1, 1, 1, 1, false], [9, 3, 3, 3, true], [17, 5, 1, 7, false], [8, 4, 7, 1, true], [70, 2, 3, 3, true]] as const) {
      const mark = arena.mark();
      try {
        const src = Int8Array.from(randomInts(o * ci * kh * kw, o * 31 + ci, -128, 127));
        const bias = withBias ? Int32Array.from(randomInts(o, 5, -(2 ** 31), 2 ** 31 - 1)) : undefined;
        const scale = Float32Array.from(randomInts(o, 6, 1, 1000), (v) => v / 4096);
        const srcPtr = arena.alloc(src.length);
        arena.u8(srcPtr, src.length).set(new Uint8Array(src.buffer));
        const biasPtr = bias ? arena.alloc(4 * o) : 0;
        if (bias) arena.i32(biasPtr, o).set(bias);
        const k = kh * kw * ci;
        expect(g.i8_gemm_panel_bytes(k) * Math.ceil(o / 8)).toBe(packedI8GemmBytes(o, k));
        const dst = new ByteView(arena, 1, packedI8GemmBytes(o, k));
        dst.fillBody(0x5c);
        g.i8_pack_gemm_weights(srcPtr, o, ci, kh, kw, biasPtr, arena.putF32(scale), dst.ptr);
        assertBytes(dst, packI8PanelsRef(i8WeightsKN(src, o, ci, kh, kw), bias, scale, k, o), `${build} pack O=${o} I=${ci} ${kh}x${kw}`);
      } finally {
        arena.release(mark);
      }
    }
  });
});

describe('builds agree', () => {
  it('baseline and relaxed give the same bytes for the same call', async () => {
    const envs = await Promise.all(BUILDS.map((b) => kernelEnv(b)));
    const c: Case = { ...base, m: 29, n: 45, k: 333, aZero: 17, outZero: 100, res: 'separate', cStride: 45, seed: 77 };
    const x = inputs(c);
    const outs = envs.map((env) => {
      const g = int8Kernels(env.exports);
      const mark = env.arena.mark();
      try {
        const a = new ByteView(env.arena, c.m, c.k, c.k, x.a);
        const res = new ByteView(env.arena, c.m, c.n, c.n, x.res);
        const wPtr = packWeights(g, env, x.w, x.bias, x.scale, c.k, c.n);
        const out = new ByteView(env.arena, c.m, c.n);
        g.i8_gemm(a.ptr, c.k, c.aZero, wPtr, c.k, out.ptr, c.n, c.outZero, 0, 255, res.ptr, c.n, x.resZero, x.resScale,
          c.m, 0, 6, c.n, env.arena.alloc(g.i8_gemm_pack_bytes(c.m, c.k)));
        return out.read();
      } finally {
        env.arena.release(mark);
      }
    });
    for (const out of outs.slice(1)) expect(out).toEqual(outs[0]);
  });
});
