/**
 * i8_gemm_f32 against i8GemmF32Ref (test/reference/int8.ts), in every build. Outputs must be
 * EQUAL bit for bit as Uint32 patterns (−0 ≠ +0), with one exception the kernel's contract makes:
 * where the reference is NaN the kernel must store a NaN, of any sign and payload (wasm leaves
 * those to the CPU), but never the guard pattern an unwritten output still holds.
 *
 * The grid crosses m ∈ 1..9, 13, 33 with n ∈ {1, 7, 8, 9, 17, 1000} and k ∈ {1, 2, 3, 7, 8, 9, 31,
 * 64, 2048}, cycling zero points 0 / 128 / 255, clamps (none, ReLU, an upper bound, a band from
 * the outputs' quartiles, a band at non-f32 decimals), operands (full-range weights with −128 and
 * 127; small sums around zero with negative scales, for ±0; non-finite, zero, subnormal and huge
 * scales, for NaN, ±∞ and underflow), A with random bytes in odd row gaps, C at odd byte offsets
 * and odd byte strides, and panel sub-ranges. C sits among guard bytes: every byte that is not a
 * value it may write, and every value before the call, holds the NaN guard pattern; all must be
 * as expected afterwards. Plus row chunking at deep k, the k = 65536 limit with i32 wrap, and
 * row / panel splits and the two builds, which must give the same bits (NaNs included).
 */
import { describe, expect, it } from 'vitest';
import type { Arena } from '../../src/bindings/arena.js';
import { gemmRowBlocks } from '../../src/bindings/kernels/gemm.js';
import { int8Kernels, packedI8GemmBytes, type Int8Kernels } from '../../src/bindings/kernels/int8.js';
import { mulberry32 } from '../../src/util/prng.js';
import { BUILDS, GUARD_BITS, kernelEnv, type KernelEnv } from '../helpers/kernel-env.js';
import { i8GemmF32Ref, packI8PanelsRef, type I8GemmF32Stats } from '../reference/int8.js';
import { ByteView, GUARD_BYTES, assertBytes, randomInts } from './int8-env.js';

type Clamp = 'none' | 'relu' | 'upper' | 'band' | 'decimal';
/**
 * 'spread': full-range A and W, signed scales with random mantissas; 'small': A within 3 of aZero,
 * W in [−3, 3], small bias, so y = 0 is common, and signed scales (−0); 'special': full-range
 * operands and per-column scales from SPECIAL_SCALES.
 */
type Operands = 'spread' | 'small' | 'special';

interface Case {
  m: number;
  n: number;
  k: number;
  aZero: number;
  clamp: Clamp;
  operands: Operands;
  /** Extra bytes between A rows (random: a kernel that reads them changes the sums). */
  aGap: number;
  /** Byte offset of C's first value in its row, C's row stride in bytes (≥ offset + 4n), and C's misalignment (0..3 bytes past a 16-byte boundary). */
  cOffsetBytes: number;
  cStrideBytes: number;
  misalign: number;
  panelStart?: number;
  panelEnd?: number;
  seed: number;
}

const SPECIAL_SCALES = [Infinity, -Infinity, NaN, 0, -0, 2 ** -149, -(2 ** -140), 3e38, -3e38, 1e-30, 0.01, -0.001];
const ZEROS = [0, 128, 255];
const CLAMPS: Clamp[] = ['none', 'relu', 'upper', 'band', 'decimal'];
const OPERANDS: Operands[] = ['spread', 'small', 'spread', 'special'];

function name(c: Case): string {
  const panels = c.panelStart !== undefined ? ` panels[${c.panelStart},${c.panelEnd})` : '';
  return `i8_gemm_f32 M=${c.m} N=${c.n} K=${c.k} aZ=${c.aZero} ${c.clamp} ${c.operands} aGap=${c.aGap} ` +
    `C+${c.cOffsetBytes}B/${c.cStrideBytes}B mis=${c.misalign}${panels}`;
}

interface Inputs {
  a: number[];
  /** `[k][n]` i8. */
  w: Int8Array;
  bias: Int32Array;
  scale: Float32Array;
}

function inputs(c: Case): Inputs {
  const small = c.operands === 'small';
  const a = small
    ? randomInts(c.m * c.k, c.seed, Math.max(0, c.aZero - 3), Math.min(255, c.aZero + 3))
    : randomInts(c.m * c.k, c.seed, 0, 255);
  const w = Int8Array.from(randomInts(c.k * c.n, c.seed + 1, small ? -3 : -128, small ? 3 : 127));
  const bias = Int32Array.from(randomInts(c.n, c.seed + 2, small ? -20 : -60000, small ? 20 : 60000));
  const next = mulberry32(c.seed + 3);
  const scale = Float32Array.from({ length: c.n }, (_, j) => {
    if (c.operands === 'special') return SPECIAL_SCALES[(j + c.seed) % SPECIAL_SCALES.length];
    const sign = next() < 0.5 ? -1 : 1;
    return small ? sign * [0.5, 0.25, 1.5, 0.125][j % 4] : sign * (1 + next()) * 2 ** (-14 + 8 * next());
  });
  return { a, w, bias, scale };
}

/** [lo, hi] for a case; 'upper' and 'band' from the quartiles of the unclamped reference's non-NaN values, so both bounds bite. */
function bounds(c: Case, x: Inputs): [number, number] {
  switch (c.clamp) {
    case 'none':
      return [-Infinity, Infinity];
    case 'relu':
      return [0, Infinity];
    case 'decimal':
      return [-0.3, 0.7];
    case 'upper':
    case 'band': {
      const all = i8GemmF32Ref(x.a, x.w, x.bias, x.scale, c.m, c.n, c.k, c.aZero, -Infinity, Infinity);
      const v = Array.from(all).filter((y) => !Number.isNaN(y)).sort((p, q) => p - q);
      if (v.length === 0) return [-1, 1];
      const q = (f: number) => v[Math.floor(f * (v.length - 1))];
      return c.clamp === 'upper' ? [-Infinity, q(0.5)] : [q(0.25), q(0.75)];
    }
  }
}

/** Packs `[k][n]` weights with the kernel (as an FC layer: OIHW [n][k][1][1]) and checks them against the reference packing. */
function packWeights(g: Int8Kernels, arena: Arena, w: Int8Array, bias: Int32Array | undefined, scale: Float32Array, k: number, n: number): number {
  const src = new Int8Array(n * k);
  for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) src[j * k + kk] = w[kk * n + j];
  const srcPtr = arena.alloc(src.length);
  arena.u8(srcPtr, src.length).set(new Uint8Array(src.buffer));
  const biasPtr = bias ? arena.alloc(4 * n) : 0;
  if (bias) arena.i32(biasPtr, n).set(bias);
  const dst = new ByteView(arena, 1, packedI8GemmBytes(n, k));
  g.i8_pack_gemm_weights(srcPtr, n, k, 1, 1, biasPtr, arena.putF32(scale), dst.ptr);
  assertBytes(dst, packI8PanelsRef(w, bias, scale, k, n), `i8_pack_gemm_weights N=${n} K=${k}`);
  return dst.ptr;
}

const hex = (bits: number) => `0x${(bits >>> 0).toString(16).padStart(8, '0')}`;
const isNaNBits = (bits: number) => (bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0;

/**
 * C: `rows` rows of `strideBytes` bytes, values from byte `offsetBytes` of each row, between
 * 16 guard bytes either side, the block `misalign` bytes past a 16-byte boundary. Every byte
 * starts as part of a GUARD_BITS word, and so does every value at its own (unaligned) offset.
 */
class F32Out {
  /** Address of row 0's first value (the kernel's cPtr). */
  readonly cPtr: number;
  private readonly base: number;
  private readonly size: number;

  constructor(
    private readonly arena: Arena, readonly rows: number, readonly cols: number,
    readonly strideBytes: number, private readonly offsetBytes: number, private readonly misalign: number,
  ) {
    this.size = 2 * GUARD_BYTES + misalign + rows * strideBytes;
    this.base = arena.alloc(this.size);
    this.cPtr = this.base + GUARD_BYTES + misalign + offsetBytes;
    const view = new DataView(arena.memory.buffer, this.base, this.size);
    for (let o = 0; o + 4 <= this.size; o += 4) view.setUint32(o, GUARD_BITS, true);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) view.setUint32(this.at(i, j), GUARD_BITS, true);
  }

  /** Byte offset of value (i, j) within `bytes()`. */
  at(i: number, j: number): number {
    return GUARD_BYTES + this.misalign + i * this.strideBytes + this.offsetBytes + 4 * j;
  }

  /** A copy of the whole block, guards included. */
  bytes(): Uint8Array {
    return this.arena.u8(this.base, this.size).slice();
  }

  /** Value (i, j) as bits (NaN payloads survive). */
  bits(i: number, j: number): number {
    return new DataView(this.arena.memory.buffer, this.base, this.size).getUint32(this.at(i, j), true);
  }

  /**
   * Throws unless the block equals `before` except that values in columns [colStart, colEnd)
   * hold `ref`'s bits (`ref` dense `[rows][cols]`); a NaN in `ref` accepts any NaN but the guard.
   */
  check(before: Uint8Array, ref: Float32Array, colStart: number, colEnd: number, label: string): void {
    const after = this.bytes();
    const want = before.slice();
    const wantView = new DataView(want.buffer);
    const refBits = new Uint32Array(ref.buffer, ref.byteOffset, ref.length);
    for (let i = 0; i < this.rows; i++) {
      for (let j = colStart; j < colEnd; j++) {
        const o = this.at(i, j);
        let bits = refBits[i * this.cols + j];
        if (Number.isNaN(ref[i * this.cols + j])) {
          const got = this.bits(i, j);
          if (!isNaNBits(got) || got === GUARD_BITS) throw new Error(`${label}: (${i}, ${j}) got ${hex(got)}, want a NaN (not the guard)`);
          bits = got;
        }
        wantView.setUint32(o, bits, true);
      }
    }
    let bad = 0;
    let first = -1;
    for (let o = 0; o < want.length; o++) {
      if (after[o] !== want[o]) {
        if (first < 0) first = o;
        bad++;
      }
    }
    if (bad === 0) return;
    const rel = first - GUARD_BYTES - this.misalign;
    const row = Math.floor(rel / this.strideBytes);
    const col = Math.floor((rel - row * this.strideBytes - this.offsetBytes) / 4);
    if (rel >= 0 && row < this.rows && col >= 0 && col < this.cols) {
      const o = this.at(row, col);
      const gotBits = new DataView(after.buffer).getUint32(o, true);
      const wantBits = wantView.getUint32(o, true);
      const inRange = col >= colStart && col < colEnd;
      throw new Error(
        `${label}: ${bad} bytes differ; first in value (${row}, ${col})${inRange ? '' : ' (outside the panels: must be untouched)'}: ` +
          `got ${new DataView(after.buffer).getFloat32(o, true)} (${hex(gotBits)}), want ${wantView.getFloat32(o, true)} (${hex(wantBits)})`,
      );
    }
    throw new Error(`${label}: ${bad} bytes differ; first a guard or gap byte at offset ${rel} from row 0: got ${after[first]}, want ${want[first]}`);
  }
}

/** Runs one case: C, its gaps and guards against the reference; A (with gaps and guards), the packed W and the scratch's guards untouched. */
function checkCase(env: KernelEnv, c: Case, stats: I8GemmF32Stats): void {
  const { arena } = env;
  const g = int8Kernels(env.exports);
  const label = `${env.build} ${name(c)}`;
  const mark = arena.mark();
  try {
    const x = inputs(c);
    const [lo, hi] = bounds(c, x);
    const aStride = c.k + c.aGap;
    const aSpan = (c.m - 1) * aStride + c.k;
    const aView = new ByteView(arena, c.m, c.k, aStride);
    arena.u8(aView.ptr, aSpan).set(randomInts(aSpan, c.seed + 9, 0, 255));
    aView.write(x.a);
    const aBytes = () => arena.u8(aView.ptr - GUARD_BYTES, aSpan + 2 * GUARD_BYTES).slice();
    const aBefore = aBytes();
    const wPtr = packWeights(g, arena, x.w, x.bias, x.scale, c.k, c.n);
    const wBytes = () => arena.u8(wPtr, packedI8GemmBytes(c.n, c.k)).slice();
    const wBefore = wBytes();
    const panels = Math.ceil(c.n / 8);
    const pStart = c.panelStart ?? 0;
    const pEnd = c.panelEnd ?? panels;
    const colStart = Math.min(Math.max(pStart, 0) * 8, c.n);
    const colEnd = Math.max(colStart, Math.min(pEnd * 8, c.n));
    const ref = i8GemmF32Ref(x.a, x.w, x.bias, x.scale, c.m, c.n, c.k, c.aZero, lo, hi, stats);
    const out = new F32Out(arena, c.m, c.n, c.cStrideBytes, c.cOffsetBytes, c.misalign);
    const scratch = new ByteView(arena, 1, g.i8_gemm_pack_bytes(c.m, c.k));
    const before = out.bytes();
    g.i8_gemm_f32(aView.ptr, aStride, c.aZero, wPtr, c.k, out.cPtr, c.cStrideBytes, lo, hi, c.m, pStart, pEnd, c.n, scratch.ptr);
    out.check(before, ref, colStart, colEnd, `${label} lo=${lo} hi=${hi}`);
    expect(scratch.strayWrites(), `${label}: scratch guards`).toEqual([]);
    expect(aBytes().every((v, i) => v === aBefore[i]), `${label}: A, its gaps and guards untouched`).toBe(true);
    expect(wBytes().every((v, i) => v === wBefore[i]), `${label}: packed W untouched`).toBe(true);
  } finally {
    arena.release(mark);
  }
}

const GRID_M = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 33];
const GRID_N = [1, 7, 8, 9, 17, 1000];
const GRID_K = [1, 2, 3, 7, 8, 9, 31, 64, 2048];
/** C's row stride past offset + 4n: odd byte counts, and whole floats (the aligned layout a session uses). */
const C_EXTRA_BYTES = [1, 3, 4, 9, 12];
const C_OFFSET_BYTES = [0, 4, 7];

/** Panel ranges for `panels` panels, by v ∈ 0..5: all (v = 0, 4), clipped past the end, a negative start, one middle panel, none (starts at the end). */
function panelRange(v: number, panels: number): Pick<Case, 'panelStart' | 'panelEnd'> {
  const mid = panels >> 1;
  return [{}, { panelStart: 1, panelEnd: panels + 2 }, { panelStart: -3, panelEnd: 1 }, { panelStart: mid, panelEnd: mid + 1 }, {}, { panelStart: panels, panelEnd: panels + 1 }][v];
}

function gridCases(): Case[] {
  const cases: Case[] = [];
  let i = 0;
  for (const m of GRID_M) {
    for (const n of GRID_N) {
      for (const k of GRID_K) {
        const cOffsetBytes = C_OFFSET_BYTES[Math.floor(i / 5) % 3];
        cases.push({
          m, n, k,
          aZero: ZEROS[i % 3],
          clamp: CLAMPS[Math.floor(i / 3) % 5],
          operands: OPERANDS[i % 4],
          aGap: [0, 1, 3, 5][Math.floor(i / 2) % 4],
          cOffsetBytes,
          cStrideBytes: cOffsetBytes + 4 * n + C_EXTRA_BYTES[Math.floor(i / 7) % 5],
          misalign: Math.floor(i / 11) % 4,
          ...panelRange(Math.floor(i / 13) % 6, Math.ceil(n / 8)),
          seed: 1000 + 31 * i,
        });
        i++;
      }
    }
  }
  return cases;
}

const base = { aZero: 128, clamp: 'none', operands: 'spread', aGap: 0, cOffsetBytes: 0, misalign: 0 } as const;

const PANEL_CASES: Case[] = [
  { ...base, m: 13, n: 69, k: 17, clamp: 'relu', cOffsetBytes: 12, cStrideBytes: 4 * 69 + 20, panelStart: 0, panelEnd: 1, seed: 7 },
  { ...base, m: 13, n: 69, k: 17, operands: 'special', cOffsetBytes: 5, cStrideBytes: 4 * 69 + 11, misalign: 3, panelStart: 2, panelEnd: 5, seed: 8 },
  { ...base, m: 13, n: 69, k: 17, clamp: 'band', cStrideBytes: 4 * 69 + 1, panelStart: 8, panelEnd: 9, seed: 9 },
  { ...base, m: 5, n: 69, k: 5, clamp: 'upper', aGap: 2, cStrideBytes: 4 * 69, panelStart: 3, panelEnd: 100, seed: 10 },
  { ...base, m: 5, n: 17, k: 3, cOffsetBytes: 4, cStrideBytes: 100, panelStart: 3, panelEnd: 3, seed: 12 },
];

/** Deep k: the driver packs A in several chunks of rows (64 rows at k = 2048); odd k; column tails. */
const CHUNK_CASES: Case[] = [
  { ...base, m: 150, n: 17, k: 2048, clamp: 'relu', aGap: 3, cOffsetBytes: 4, cStrideBytes: 4 * 17 + 9, seed: 21 },
  { ...base, m: 101, n: 9, k: 1201, operands: 'special', aZero: 255, cStrideBytes: 4 * 9 + 3, misalign: 1, seed: 22 },
  { ...base, m: 70, n: 21, k: 3457, aZero: 0, clamp: 'band', cOffsetBytes: 20, cStrideBytes: 4 * 21 + 28, panelStart: 1, panelEnd: 3, seed: 26 },
];

const newStats = (): I8GemmF32Stats => ({ clampedLo: 0, clampedHi: 0, nan: 0, negZero: 0, infinite: 0, wrapped: 0 });

describe.each(BUILDS)('i8_gemm_f32 (%s)', (build) => {
  it(`grid M∈{${GRID_M}} × N∈{${GRID_N}} × K∈{${GRID_K}}: zero points, clamps, operands, strides, offsets and panel ranges cycled`, async () => {
    const env = await kernelEnv(build);
    const stats = newStats();
    for (const c of gridCases()) checkCase(env, c, stats);
    // The grid must reach every rule of the epilogue it claims to test.
    expect(stats.clampedLo).toBeGreaterThan(1000);
    expect(stats.clampedHi).toBeGreaterThan(1000);
    expect(stats.nan).toBeGreaterThan(100);
    expect(stats.negZero).toBeGreaterThan(100);
    expect(stats.infinite).toBeGreaterThan(100);
  });

  for (const c of [...PANEL_CASES, ...CHUNK_CASES]) {
    it(name(c), async () => {
      checkCase(await kernelEnv(build), c, newStats());
    });
  }

  it('k = 65536 at the extreme sum (A = 255, aZero = 0, W = −128) with a bias that wraps i32; k = 65537 and k = 0 write nothing', async () => {
    const env = await kernelEnv(build);
    const g = int8Kernels(env.exports);
    const { arena } = env;
    const mark = arena.mark();
    try {
      const [m, n, k] = [5, 9, 65536];
      const aDense = new Uint8Array(m * k).fill(255);
      const a = new ByteView(arena, m, k, k, aDense);
      const w = new Int8Array(k * n).fill(-128);
      w[n + 1] = 127;
      // acc = −2139095040 in columns ≠ 1; bias −2²³ − 1 takes y one below −2³¹, so it wraps to 2³¹ − 1.
      const bias = Int32Array.from({ length: n }, (_, j) => (j === 0 ? -(2 ** 23) - 1 : j * 1000));
      const scale = new Float32Array(n).fill(1);
      const wPtr = packWeights(g, arena, w, bias, scale, k, n);
      const out = new F32Out(arena, m, n, 4 * n, 0, 0);
      const scratch = arena.alloc(g.i8_gemm_pack_bytes(m, k));
      const stats = newStats();
      const want = i8GemmF32Ref(aDense, w, bias, scale, m, n, k, 0, -Infinity, Infinity, stats);
      // By hand: y = 2³¹ − 1, whose nearest f32 is 2³¹.
      expect(want[0]).toBe(2 ** 31);
      expect(stats.wrapped).toBe(m);
      const before = out.bytes();
      g.i8_gemm_f32(a.ptr, k, 0, wPtr, k, out.cPtr, 4 * n, -Infinity, Infinity, m, 0, 2, n, scratch);
      out.check(before, want, 0, n, `${build} k=65536`);
      const written = out.bytes();
      for (const badK of [k + 1, 0]) {
        g.i8_gemm_f32(a.ptr, k, 0, wPtr, badK, out.cPtr, 4 * n, -Infinity, Infinity, m, 0, 2, n, scratch);
        expect(out.bytes(), `${build} k=${badK} refused`).toEqual(written);
      }
    } finally {
      arena.release(mark);
    }
  });

  it('row blocks and panel ranges (as threads split them) give the same bits as one call, NaNs included', async () => {
    const env = await kernelEnv(build);
    const g = int8Kernels(env.exports);
    const { arena } = env;
    const mark = arena.mark();
    try {
      const [m, n, k] = [150, 69, 2048];
      const c: Case = { ...base, m, n, k, aZero: 3, cStrideBytes: 4 * n, seed: 31 };
      const x = inputs(c);
      // Columns 8·s + 2 get the special scales: NaN, ±∞ and ±0 in every panel.
      for (let j = 2; j < n; j += 8) x.scale[j] = SPECIAL_SCALES[(j >> 3) % SPECIAL_SCALES.length];
      const [lo, hi] = [-0.5, Infinity];
      const a = new ByteView(arena, m, k, k, x.a);
      const wPtr = packWeights(g, arena, x.w, x.bias, x.scale, k, n);
      const stats = newStats();
      const ref = i8GemmF32Ref(x.a, x.w, x.bias, x.scale, m, n, k, c.aZero, lo, hi, stats);
      expect(stats.nan).toBeGreaterThan(0);
      const run = (tasks: Array<{ rows: [number, number]; panels: [number, number] }>, label: string): Uint8Array => {
        const out = new F32Out(arena, m, n, 4 * n, 0, 0);
        const before = out.bytes();
        for (const t of tasks) {
          const [r0, r1] = t.rows;
          const scratch = arena.alloc(g.i8_gemm_pack_bytes(r1 - r0, k));
          g.i8_gemm_f32(a.ptr + r0 * k, k, c.aZero, wPtr, k, out.cPtr + r0 * 4 * n, 4 * n, lo, hi, r1 - r0, t.panels[0], t.panels[1], n, scratch);
        }
        out.check(before, ref, 0, n, `${build} ${label}`);
        return out.bytes();
      };
      const whole = run([{ rows: [0, m], panels: [0, 9] }], 'one call');
      const odd = run([
        { rows: [0, 3], panels: [0, 9] }, { rows: [3, 70], panels: [0, 4] }, { rows: [3, 70], panels: [4, 9] },
        { rows: [70, 150], panels: [0, 9] },
      ], 'odd rows and panels');
      const blocks = run(gemmRowBlocks(m, g.i8_gemm_mr(), 3).map((rows) => ({ rows, panels: [0, 9] as [number, number] })), 'row blocks');
      expect(odd).toEqual(whole);
      expect(blocks).toEqual(whole);
    } finally {
      arena.release(mark);
    }
  });
});

describe('builds agree', () => {
  it('baseline and relaxed give the same bits for the same call, NaNs included', async () => {
    const envs = await Promise.all(BUILDS.map((b) => kernelEnv(b)));
    const c: Case = { ...base, m: 29, n: 45, k: 333, aZero: 17, operands: 'special', cStrideBytes: 4 * 45, seed: 77 };
    const x = inputs(c);
    const outs = envs.map((env) => {
      const g = int8Kernels(env.exports);
      const mark = env.arena.mark();
      try {
        const a = new ByteView(env.arena, c.m, c.k, c.k, x.a);
        const wPtr = packWeights(g, env.arena, x.w, x.bias, x.scale, c.k, c.n);
        const out = new F32Out(env.arena, c.m, c.n, c.cStrideBytes, 0, 0);
        g.i8_gemm_f32(a.ptr, c.k, c.aZero, wPtr, c.k, out.cPtr, c.cStrideBytes, -Infinity, Infinity, c.m, 0, 6, c.n,
          env.arena.alloc(g.i8_gemm_pack_bytes(c.m, c.k)));
        return out.bytes();
      } finally {
        env.arena.release(mark);
      }
    });
    for (const out of outs.slice(1)) expect(out).toEqual(outs[0]);
  });
});
