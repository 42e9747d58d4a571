/**
 * f32_gemm against the float64 reference (test/reference/gemm.ts), for each build:
 * the M × N × K grid with strided A (NaN in the row gaps), C written as a channel slice between
 * guarded columns, epilogue variants (none, ReLU, two-sided clamp, residual, residual aliasing C),
 * panel sub-ranges, row chunking at large K, thread splits (bitwise), random shapes — each call
 * with an A-pack scratch of exactly f32_gemm_pack_bytes between guards. (The SIMD peak loop is
 * bench code: test/bench/peak.test.ts.)
 *
 * Tolerance, per element: |got − ref| ≤ 2·(K + 4)·2⁻²⁴ · mag, mag = |resScale|·(Σ_k |a·w| + |bias|)
 * + |res|. Why: f32 recursive summation of K products (mul + add: K + 1 roundings, FMA: K) has
 * error ≤ (K + 1)·u·Σ|a·w| to first order (u = 2⁻²⁴); the bias add, the residual multiply-add and
 * the final rounding add ≤ 3 more u·mag. The factor 2 covers second-order terms. A wrong index
 * (one k, one row, one column off) moves results by O(|a·w|) ≫ this bound.
 */
import { describe, expect, it } from 'vitest';
import { gemmKernels, gemmRowBlocks, packedGemmWeightsFloats, type GemmKernels } from '../../src/bindings/kernels/gemm.js';
import { mulberry32 } from '../../src/util/prng.js';
import { BUILDS, GUARD_BITS, Guarded, StridedView, assertNoStrayWrites, kernelEnv, randomArray, type KernelEnv } from '../helpers/kernel-env.js';
import { gemmRef, packGemmPanelsRef } from '../reference/gemm.js';

type Epilogue = 'none' | 'relu' | 'clamp' | 'res' | 'resAlias' | 'resClamp';

const EPILOGUES: Record<Epilogue, { lo: number; hi: number; res?: 'separate' | 'alias'; scale?: number }> = {
  none: { lo: -Infinity, hi: Infinity },
  relu: { lo: 0, hi: Infinity },
  clamp: { lo: -0.5, hi: 0.75 },
  res: { lo: 0, hi: Infinity, res: 'separate', scale: 0.17 },
  resAlias: { lo: -Infinity, hi: Infinity, res: 'alias', scale: 1 },
  resClamp: { lo: -1, hi: 1, res: 'separate', scale: -0.5 },
};

interface GemmCase {
  m: number;
  n: number;
  k: number;
  epilogue: Epilogue;
  /** Extra floats between A rows (filled with the NaN guard). */
  aGap: number;
  /** C columns before the slice, and the row stride of C in floats. */
  cOffset: number;
  cStride: number;
  panelStart?: number;
  panelEnd?: number;
  seed: number;
}

function caseName(c: GemmCase): string {
  const panels = c.panelStart !== undefined ? ` panels[${c.panelStart},${c.panelEnd})` : '';
  return `gemm M=${c.m} N=${c.n} K=${c.k} ${c.epilogue}${panels} aStride=${c.k + c.aGap} c@${c.cOffset}/${c.cStride}`;
}

/** Runs one case and checks values, untouched columns, guards and row gaps. */
function checkCase(env: KernelEnv, c: GemmCase): void {
  const { arena } = env;
  const g = gemmKernels(env.exports);
  const label = `${env.build} ${caseName(c)}`;
  const mark = arena.mark();
  try {
    const ep = EPILOGUES[c.epilogue];
    const a = randomArray(c.m * c.k, c.seed);
    const w = randomArray(c.k * c.n, c.seed + 1);
    const bias = randomArray(c.n, c.seed + 2);
    const res = ep.res ? randomArray(c.m * c.n, c.seed + 3, -2, 2) : undefined;
    const aView = new StridedView(arena, c.m, c.k, c.k + c.aGap, a);
    const packed = new Guarded(arena, packedGemmWeightsFloats(c.n, c.k), packGemmPanelsRef(w, bias, c.k, c.n));
    const cBlock = new Guarded(arena, c.m * c.cStride);
    const cPtr = cBlock.ptr + c.cOffset * 4;
    let resPtr = 0;
    let resStrideBytes = 0;
    let resView: StridedView | undefined;
    if (ep.res === 'separate') {
      resView = new StridedView(arena, c.m, c.n, c.n + 2, res);
      resPtr = resView.ptr;
      resStrideBytes = resView.pixelStrideBytes;
    } else if (ep.res === 'alias') {
      const body = arena.f32(cBlock.ptr, c.m * c.cStride);
      for (let i = 0; i < c.m; i++) for (let j = 0; j < c.n; j++) body[i * c.cStride + c.cOffset + j] = res![i * c.n + j];
      resPtr = cPtr;
      resStrideBytes = c.cStride * 4;
    }
    const panels = Math.ceil(c.n / 8);
    const pStart = c.panelStart ?? 0;
    const pEnd = c.panelEnd ?? panels;
    const pack = new Guarded(arena, g.f32_gemm_pack_bytes(c.m, c.k) / 4);
    g.f32_gemm(
      aView.ptr, aView.pixelStrideBytes, packed.ptr, c.k, cPtr, c.cStride * 4,
      resPtr, resStrideBytes, ep.scale ?? 1, ep.lo, ep.hi, c.m, pStart, pEnd, c.n, pack.ptr,
    );
    assertNoStrayWrites(pack, `${label} (A-pack scratch)`);

    const ref = gemmRef(a, w, bias, c.m, c.n, c.k, { lo: ep.lo, hi: ep.hi, res, resScale: ep.scale });
    const colStart = Math.min(pStart * 8, c.n);
    const colEnd = Math.min(pEnd * 8, c.n);
    const got = cBlock.read();
    const bits = new Uint32Array(got.buffer);
    const tolUnit = 2 * (c.k + 4) * 2 ** -24;
    let bad = 0;
    let first = '';
    for (let i = 0; i < c.m; i++) {
      for (let col = 0; col < c.cStride; col++) {
        const at = i * c.cStride + col;
        const j = col - c.cOffset;
        let ok: boolean;
        let want: string;
        if (j >= colStart && j < colEnd) {
          const e = ref.out[i * c.n + j];
          ok = Math.abs(got[at] - e) <= tolUnit * ref.magnitude[i * c.n + j];
          want = `${e} ± ${tolUnit * ref.magnitude[i * c.n + j]}`;
        } else if (j >= 0 && j < c.n && ep.res === 'alias') {
          ok = got[at] === Math.fround(res![i * c.n + j]);
          want = 'residual left as is';
        } else {
          ok = bits[at] === GUARD_BITS;
          want = 'untouched guard';
        }
        if (!ok && bad++ === 0) first = `row ${i} column ${j}: got ${got[at]}, want ${want}`;
      }
    }
    if (bad > 0) throw new Error(`${label}: ${bad} wrong values; first at ${first}`);
    assertNoStrayWrites(cBlock, label);
    if (resView) assertNoStrayWrites(resView, `${label} (residual view)`);
  } finally {
    arena.release(mark);
  }
}

/**
 * M ∈ {1, 2, MR−1, MR, MR+1, 2·MR−1, 13, 37}: row tails of every length below, at and above one
 * tile (the relaxed build's MR = 5 and the baseline's 4 both get all of them).
 */
const gridM = (mr: number): number[] => [...new Set([1, 2, mr - 1, mr, mr + 1, 2 * mr - 1, 13, 37])].filter((m) => m >= 1);
const GRID_N = [1, 3, 7, 8, 9, 17, 69];
const GRID_K = [1, 3, 4, 5, 17, 300];
const EPILOGUE_CYCLE: Epilogue[] = ['none', 'relu', 'clamp', 'res', 'resAlias', 'resClamp'];

function gridCases(mr: number): GemmCase[] {
  const cases: GemmCase[] = [];
  let index = 0;
  for (const m of gridM(mr)) {
    for (const n of GRID_N) {
      for (const k of GRID_K) {
        cases.push({
          m, n, k,
          epilogue: EPILOGUE_CYCLE[index % EPILOGUE_CYCLE.length],
          aGap: index % 2 === 0 ? 3 : 0,
          cOffset: 2,
          cStride: n + 5,
          seed: 1000 + index,
        });
        index++;
      }
    }
  }
  return cases;
}

const PANEL_CASES: GemmCase[] = [
  { m: 13, n: 69, k: 17, epilogue: 'relu', aGap: 1, cOffset: 3, cStride: 75, panelStart: 0, panelEnd: 1, seed: 7 },
  { m: 13, n: 69, k: 17, epilogue: 'res', aGap: 1, cOffset: 3, cStride: 75, panelStart: 2, panelEnd: 5, seed: 8 },
  { m: 13, n: 69, k: 17, epilogue: 'resAlias', aGap: 0, cOffset: 1, cStride: 70, panelStart: 8, panelEnd: 9, seed: 9 },
  { m: 5, n: 69, k: 5, epilogue: 'clamp', aGap: 2, cOffset: 0, cStride: 69, panelStart: 3, panelEnd: 100, seed: 10 },
  { m: 5, n: 17, k: 300, epilogue: 'none', aGap: 0, cOffset: 4, cStride: 24, panelStart: 1, panelEnd: 3, seed: 11 },
  { m: 5, n: 17, k: 3, epilogue: 'none', aGap: 0, cOffset: 4, cStride: 24, panelStart: 3, panelEnd: 3, seed: 12 },
  // A 5-row tile's last row (row 4) on its own, k = 1 and k < 4 (no transposed group), panel tails.
  { m: 9, n: 13, k: 1, epilogue: 'resAlias', aGap: 1, cOffset: 2, cStride: 16, panelStart: 1, panelEnd: 2, seed: 13 },
  { m: 11, n: 23, k: 2, epilogue: 'res', aGap: 0, cOffset: 0, cStride: 23, seed: 14 },
  { m: 24, n: 5, k: 7, epilogue: 'resClamp', aGap: 3, cOffset: 1, cStride: 9, seed: 15 },
];

/**
 * K large enough that the driver walks A in several row chunks (256 KiB of A rows each): odd K,
 * a single row, column tails of 3 and 5, panel ranges (the deep K of stride-2 reductions and of
 * Inception-ResNet-v2's last 1×1 conv).
 */
const CHUNK_CASES: GemmCase[] = [
  { m: 37, n: 17, k: 2048, epilogue: 'relu', aGap: 3, cOffset: 1, cStride: 20, seed: 21 },
  { m: 101, n: 9, k: 1200, epilogue: 'resAlias', aGap: 0, cOffset: 0, cStride: 9, seed: 22 },
  { m: 289, n: 44, k: 768, epilogue: 'res', aGap: 5, cOffset: 6, cStride: 64, seed: 23 },
  { m: 1, n: 3, k: 513, epilogue: 'none', aGap: 1, cOffset: 2, cStride: 7, seed: 24 },
  { m: 6, n: 13, k: 1537, epilogue: 'clamp', aGap: 0, cOffset: 0, cStride: 13, seed: 25 },
  { m: 70, n: 21, k: 3456, epilogue: 'relu', aGap: 2, cOffset: 5, cStride: 30, panelStart: 1, panelEnd: 3, seed: 26 },
];

function randomCases(count: number, seed: number): GemmCase[] {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  const cases: GemmCase[] = [];
  for (let i = 0; i < count; i++) {
    const n = int(1, 80);
    const cOffset = int(0, 5);
    cases.push({
      m: int(1, 60), n, k: int(1, 400),
      epilogue: EPILOGUE_CYCLE[int(0, EPILOGUE_CYCLE.length - 1)],
      aGap: int(0, 4), cOffset, cStride: n + cOffset + int(0, 4), seed: 5000 + i,
    });
  }
  return cases;
}

/** f32_gemm into a fresh dense C, called once per (row block, panel range) task. */
function runSplit(g: GemmKernels, env: KernelEnv, ptrs: { a: number; w: number }, m: number, n: number, k: number,
  tasks: Array<{ rows: [number, number]; panels: [number, number] }>): Float32Array {
  const c = new Guarded(env.arena, m * n);
  const pack = env.arena.alloc(g.f32_gemm_pack_bytes(m, k));
  for (const t of tasks) {
    const [r0, r1] = t.rows;
    g.f32_gemm(
      ptrs.a + r0 * k * 4, k * 4, ptrs.w, k, c.ptr + r0 * n * 4, n * 4, 0, 0, 1, 0, Infinity, r1 - r0, t.panels[0], t.panels[1], n, pack,
    );
  }
  expect(c.untouched(), 'every output written').toEqual([]);
  return c.read();
}

for (const build of BUILDS) {
  describe(`f32_gemm (${build})`, () => {
    it(`grid M∈{1,2,MR−1,MR,MR+1,2MR−1,13,37} × N∈{${GRID_N}} × K∈{${GRID_K}}, epilogues cycled, strided A, C slice between guards`, async () => {
      const env = await kernelEnv(build);
      const mr = gemmKernels(env.exports).f32_gemm_mr();
      expect(mr).toBeGreaterThanOrEqual(1);
      expect(mr).toBeLessThanOrEqual(8);
      for (const c of gridCases(mr)) checkCase(env, c);
    });

    for (const c of [...PANEL_CASES, ...CHUNK_CASES, ...randomCases(24, 0x6e3d)]) {
      it(caseName(c), async () => {
        checkCase(await kernelEnv(build), c);
      });
    }

    it.each([300, 1100])('row blocks and panel ranges give bitwise the same C as one call (M=37 N=69 K=%i)', async (k) => {
      const env = await kernelEnv(build);
      const g = gemmKernels(env.exports);
      const [m, n] = [37, 69];
      const mark = env.arena.mark();
      try {
        const a = env.arena.putF32(randomArray(m * k, 31));
        const w = env.arena.putF32(packGemmPanelsRef(randomArray(k * n, 32), randomArray(n, 33), k, n));
        const whole = runSplit(g, env, { a, w }, m, n, k, [{ rows: [0, m], panels: [0, 9] }]);
        const odd = runSplit(g, env, { a, w }, m, n, k, [
          { rows: [0, 3], panels: [0, 9] }, { rows: [3, 10], panels: [0, 4] }, { rows: [3, 10], panels: [4, 9] },
          { rows: [10, 37], panels: [0, 9] },
        ]);
        const blocks = runSplit(g, env, { a, w }, m, n, k,
          gemmRowBlocks(m, g.f32_gemm_mr(), 3).map((rows) => ({ rows, panels: [0, 9] as [number, number] })));
        expect(new Uint32Array(odd.buffer)).toEqual(new Uint32Array(whole.buffer));
        expect(new Uint32Array(blocks.buffer)).toEqual(new Uint32Array(whole.buffer));
      } finally {
        env.arena.release(mark);
      }
    });
  });
}

describe('gemmRowBlocks', () => {
  it('covers [0, m) with blocks that are multiples of MR except the last', () => {
    for (const [m, mr, parts] of [[37, 4, 3], [4, 4, 8], [1, 4, 2], [1000, 5, 7], [64, 5, 2], [49, 5, 3]] as const) {
      const blocks = gemmRowBlocks(m, mr, parts);
      expect(blocks[0][0]).toBe(0);
      expect(blocks[blocks.length - 1][1]).toBe(m);
      for (let b = 0; b < blocks.length; b++) {
        if (b > 0) expect(blocks[b][0]).toBe(blocks[b - 1][1]);
        if (b < blocks.length - 1) expect((blocks[b][1] - blocks[b][0]) % mr).toBe(0);
      }
      expect(blocks.length).toBeLessThanOrEqual(parts);
    }
  });
});
