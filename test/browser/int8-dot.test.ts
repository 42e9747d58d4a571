/**
 * i8_gemm_dot and i8_gemm_dot_f32 (assembly/i8-gemm-dot.ts) in headless Chromium, the runtime
 * whose V8 computes i32x4.relaxed_dot_i8x16_i7x16_add_s as specified (Node 20's does not, so
 * these kernels can be neither run nor tested there). The page loads build/relaxed-plain.wasm
 * and the feature probe from dist/; every output must EQUAL, byte for byte, both i8_gemm /
 * i8_gemm_f32 of the same module on the same arguments and the plain-TypeScript reference
 * (test/reference/int8.ts) computed here in Node, from weights packed by the reference packer.
 *
 * Grid: m ∈ {1, 3, 4, 5, 13} × n ∈ {1, 7, 8, 9, 24} × k ∈ {1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65,
 * 1152} × aZero ∈ {0, 128, 255}, each case in one of five epilogues in turn (u8 full range, u8 ReLU
 * with a residual, u8 band with a residual, f32, f32 ReLU); A a mix of 0, 255 and uniform bytes
 * in rows strided past k, W a mix of ±127, 0 and uniform [−127, 127]; plus row chunking (m = 240
 * at k = 1152) and the k = 65536 limit at the extreme sums. The dot kernel runs split as threads
 * split it (a row block, and within it two panel ranges); C has a row stride wider than its
 * columns and guard bytes around it, and each kernel runs twice over complementary fills of C,
 * so an unwritten or stray byte cannot pass; nothing past the i8_gemm_pack_bytes scratch may change.
 *
 * Needs `npm run build` (dist/ for the probe, build/*.wasm). Skips, saying why, without
 * /usr/bin/chromium, playwright-core or the build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packedI8GemmBytes } from '../../src/bindings/kernels/int8.js';
import { mulberry32 } from '../../src/util/prng.js';
import { i8GemmF32Ref, i8GemmRef, packI8PanelsRef, type I8GemmStats } from '../reference/int8.js';
import { chromiumSkipReason, fromBase64, openChromiumPage, toBase64, withTimeout, type ChromiumPage } from './chromium.js';

const WASM = 'build/relaxed-plain.wasm';
const SKIP = chromiumSkipReason(['dist/bindings/features.js', WASM]);
const SKIP_NOTE = SKIP ? ` (skipped: ${SKIP})` : '';
const STEP_MS = 120_000;
/** Guard bytes before and after C, and their value. */
const GUARD_BYTES = 64;
const GUARD = 0xa7;

type Epilogue = 'u8' | 'u8-relu-res' | 'u8-band-res' | 'f32' | 'f32-relu';
const EPILOGUES: Epilogue[] = ['u8', 'u8-relu-res', 'u8-band-res', 'f32', 'f32-relu'];

/** One case as the page takes it: operands as base64, strides in bytes. */
interface PageCase {
  m: number;
  n: number;
  k: number;
  aZero: number;
  aStride: number;
  a: string;
  w: string;
  f32: boolean;
  outZero: number;
  lo: number;
  hi: number;
  res?: string;
  resStride: number;
  resZero: number;
  resScale: number;
  cStride: number;
}

interface Case {
  name: string;
  page: PageCase;
  /** The expected bytes of C with its guards (GUARD_BYTES either side). */
  want: Uint8Array;
  stats: I8GemmStats;
}

/** Bytes from `next` in [lo, hi]. */
const int = (next: () => number, lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));

function makeCase(m: number, n: number, k: number, aZero: number, epilogue: Epilogue, seed: number, fill?: { a: number; w: (j: number) => number }): Case {
  const next = mulberry32(seed);
  const aStride = k + (seed % 3) * 5;
  // A: extremes often (they make the largest sums), uniform bytes otherwise; the row gaps random too.
  const aBytes = Uint8Array.from({ length: (m - 1) * aStride + k }, () => {
    if (fill) return fill.a;
    const u = next();
    return u < 0.2 ? 0 : u < 0.4 ? 255 : int(next, 0, 255);
  });
  const a = new Uint8Array(m * k);
  for (let i = 0; i < m; i++) a.set(aBytes.subarray(i * aStride, i * aStride + k), i * k);
  const w = Int8Array.from({ length: k * n }, (_, at) => {
    if (fill) return fill.w(at % n);
    const u = next();
    return u < 0.15 ? 127 : u < 0.3 ? -127 : u < 0.45 ? 0 : int(next, -127, 127);
  });
  const bias = Int32Array.from({ length: n }, () => (fill ? 0 : int(next, -60000, 60000)));
  // Scales that spread u8 outputs over ~80 levels (and some clamps); f32 outputs alike in real units.
  const base = 40 / (Math.sqrt(k) * 100 * 74);
  const scale = Float32Array.from({ length: n }, () => (fill ? 2 ** -24 : base * 2 ** (2 * next() - 1)));
  const f32 = epilogue.startsWith('f32');
  const hasRes = epilogue.endsWith('-res');
  const outZero = int(next, 0, 255);
  const [lo, hi] = epilogue === 'u8-relu-res' ? [outZero, 255] : epilogue === 'u8-band-res' ? [30, 200]
    : epilogue === 'f32-relu' ? [0, Infinity] : f32 ? [-Infinity, Infinity] : [0, 255];
  const resStride = n + 3;
  const resDense = hasRes ? Uint8Array.from({ length: m * n }, () => int(next, 0, 255)) : undefined;
  const resBytes = resDense ? new Uint8Array((m - 1) * resStride + n + 8) : undefined;
  if (resBytes && resDense) for (let i = 0; i < m; i++) resBytes.set(resDense.subarray(i * n, (i + 1) * n), i * resStride);
  const resZero = int(next, 0, 255);
  const resScale = Math.fround(0.37);
  const elem = f32 ? 4 : 1;
  const cStride = n * elem + 4 * elem + (seed % 2) * 8;
  const stats: I8GemmStats = { ties: 0, clampedLo: 0, clampedHi: 0 };
  const want = new Uint8Array(m * cStride + 2 * GUARD_BYTES).fill(GUARD);
  if (f32) {
    const ref = i8GemmF32Ref(a, w, bias, scale, m, n, k, aZero, lo, hi);
    const bytes = new Uint8Array(ref.buffer);
    for (let i = 0; i < m; i++) want.set(bytes.subarray(4 * i * n, 4 * (i + 1) * n), GUARD_BYTES + i * cStride);
  } else {
    const ref = i8GemmRef(a, w, bias, scale, m, n, k, { aZero, outZero, lo, hi, res: resDense, resZero, resScale }, stats);
    for (let i = 0; i < m; i++) want.set(ref.subarray(i * n, (i + 1) * n), GUARD_BYTES + i * cStride);
  }
  const packed = packI8PanelsRef(w, bias, scale, k, n);
  expect(packed.length).toBe(packedI8GemmBytes(n, k));
  return {
    name: `M=${m} N=${n} K=${k} aZ=${aZero} ${epilogue}`, want, stats,
    page: {
      m, n, k, aZero, aStride, a: toBase64(aBytes), w: toBase64(packed), f32, outZero, lo, hi,
      ...(resBytes ? { res: toBase64(resBytes) } : {}), resStride, resZero, resScale, cStride,
    },
  };
}

/**
 * In the page: runs each case by i8_gemm_dot* (three calls: rows [0, r) × panels [0, 1) and
 * [1, P), rows [r, m) × all panels) and by i8_gemm* (one call), each over C filled with 0x00 and
 * with 0xff, and returns C with its guards (base64) per kernel and fill. Self-contained: it is
 * serialized into the page.
 */
async function pageRun(arg: { wasmUrl: string; cases: PageCase[]; guardBytes: number; guard: number }): Promise<Record<string, string>[]> {
  const g = globalThis as unknown as { __int8dot?: { memory: WebAssembly.Memory; k: any } };
  if (!g.__int8dot) {
    const memory = new WebAssembly.Memory({ initial: 1024, maximum: 65536 });
    const bytes = await (await fetch(arg.wasmUrl)).arrayBuffer();
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
    g.__int8dot = { memory, k: instance.exports };
  }
  const { memory, k } = g.__int8dot;
  const dec = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
  const enc = (u: Uint8Array) => {
    let s = '';
    for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const G = arg.guardBytes;
  const out: Record<string, string>[] = [];
  for (const c of arg.cases) {
    const a = dec(c.a);
    const w = dec(c.w);
    const res = c.res !== undefined ? dec(c.res) : undefined;
    let top = 64;
    const take = (bytes: number) => {
      const p = top;
      top = (top + bytes + 16 + 15) & ~15;
      return p;
    };
    const aPtr = take(a.length);
    const wPtr = take(w.length);
    const resPtr = res ? take(res.length) : 0;
    const packBytes = k.i8_gemm_pack_bytes(c.m, c.k);
    const packPtr = take(packBytes + G);
    const cBytes = c.m * c.cStride;
    const cBase = take(cBytes + 2 * G);
    const cPtr = cBase + G;
    if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
    const mem = new Uint8Array(memory.buffer);
    mem.fill(arg.guard, packPtr + packBytes, packPtr + packBytes + G);
    mem.set(a, aPtr);
    mem.set(w, wPtr);
    if (res) mem.set(res, resPtr);
    const elem = c.f32 ? 4 : 1;
    const panels = Math.ceil(c.n / 8);
    const call = (dot: boolean, r0: number, rows: number, p0: number, p1: number) => {
      const aAt = aPtr + r0 * c.aStride;
      const cAt = cPtr + r0 * c.cStride;
      if (c.f32) {
        (dot ? k.i8_gemm_dot_f32 : k.i8_gemm_f32)(aAt, c.aStride, c.aZero, wPtr, c.k, cAt, c.cStride, c.lo, c.hi, rows, p0, p1, c.n, packPtr);
      } else {
        (dot ? k.i8_gemm_dot : k.i8_gemm)(
          aAt, c.aStride, c.aZero, wPtr, c.k, cAt, c.cStride, c.outZero, c.lo, c.hi,
          res ? resPtr + r0 * c.resStride : 0, c.resStride, c.resZero, c.resScale, rows, p0, p1, c.n, packPtr,
        );
      }
    };
    const result: Record<string, string> = {};
    for (const dot of [true, false]) {
      for (const fill of [0x00, 0xff]) {
        mem.fill(arg.guard, cBase, cBase + cBytes + 2 * G);
        for (let i = 0; i < c.m; i++) mem.fill(fill, cPtr + i * c.cStride, cPtr + i * c.cStride + c.n * elem);
        if (dot) {
          const r = Math.ceil(c.m / 2);
          call(true, 0, r, 0, 1);
          call(true, 0, r, 1, panels);
          if (r < c.m) call(true, r, c.m - r, 0, panels);
        } else {
          call(false, 0, c.m, 0, panels);
        }
        result[`${dot ? 'dot' : 'i16'}/${fill}`] = enc(new Uint8Array(memory.buffer).slice(cBase, cBase + cBytes + 2 * G));
      }
    }
    // The scratch is i8_gemm_pack_bytes(m, k), as the host sizes it for either kernel: nothing past it changes.
    const after = new Uint8Array(memory.buffer).subarray(packPtr + packBytes, packPtr + packBytes + G);
    result.scratchOverrun = after.every((v) => v === arg.guard) ? '' : 'bytes past the scratch changed';
    out.push(result);
  }
  return out;
}

/** The grid, the chunked case and the k = 65536 cases. */
function allCases(): Case[] {
  const cases: Case[] = [];
  let seed = 1;
  for (const m of [1, 3, 4, 5, 13]) {
    for (const n of [1, 7, 8, 9, 24]) {
      for (const k of [1, 2, 3, 4, 5, 7, 8, 9, 63, 64, 65, 1152]) {
        for (const aZero of [0, 128, 255]) {
          cases.push(makeCase(m, n, k, aZero, EPILOGUES[seed % EPILOGUES.length], seed));
          seed++;
        }
      }
    }
  }
  // Three chunks of packed rows (chunkRows(1152) = 112).
  cases.push(makeCase(240, 24, 1152, 77, 'u8-relu-res', 9001), makeCase(240, 9, 1152, 3, 'f32', 9002));
  // k = 65536, every A = 255, W = ±127 by column: |Σ| = 65536·255·127 just under 2³¹ (the f32 out shows it).
  const alternate = { a: 255, w: (j: number) => (j % 2 ? -127 : 127) };
  cases.push(makeCase(5, 9, 65536, 0, 'f32', 9003, alternate), makeCase(6, 9, 65536, 0, 'u8', 9004, alternate));
  return cases;
}

describe.skipIf(SKIP !== '')(`i8_gemm_dot in headless Chromium${SKIP_NOTE}`, () => {
  let chromium: ChromiumPage;

  beforeAll(async () => {
    chromium = await openChromiumPage(STEP_MS);
  }, STEP_MS);

  afterAll(async () => {
    await chromium?.close();
  });

  it('the relaxed-dot probe says Chromium computes the instruction as specified, and the relaxed module exports the kernels', async () => {
    const probe = await withTimeout(chromium.page.evaluate(async (wasmUrl) => {
      // Through Function: vitest rewrites a literal import() in this file, and this function runs in the page.
      const load = new Function('url', 'return import(url)') as (url: string) => Promise<any>;
      const { features, relaxedDotI8Probe } = await load('/dist/bindings/features.js');
      const f = await features();
      const module = await WebAssembly.compile(await (await fetch(wasmUrl)).arrayBuffer());
      const names = WebAssembly.Module.exports(module).map((e) => e.name);
      return { relaxedDotI8: f.relaxedDotI8, answer: relaxedDotI8Probe(), exports: names.filter((x) => x.startsWith('i8_gemm_dot')) };
    }, `${chromium.url}${WASM}`), STEP_MS, 'probe');
    expect(probe.answer.got, 'the probe answer').toBe(probe.answer.want);
    expect(probe.relaxedDotI8).toBe(true);
    expect(probe.exports.sort()).toEqual(['i8_gemm_dot', 'i8_gemm_dot_f32']);
  }, STEP_MS);

  it('equals i8_gemm / i8_gemm_f32 and the integer reference on every case, split or whole, guards untouched', async () => {
    const cases = allCases();
    const stats: I8GemmStats = { ties: 0, clampedLo: 0, clampedHi: 0 };
    let checked = 0;
    const BATCH = 60;
    for (let b = 0; b < cases.length; b += BATCH) {
      const batch = cases.slice(b, b + BATCH);
      const results = await withTimeout(
        chromium.page.evaluate(pageRun, { wasmUrl: `${chromium.url}${WASM}`, cases: batch.map((c) => c.page), guardBytes: GUARD_BYTES, guard: GUARD }),
        STEP_MS, `cases ${b}..${b + batch.length}`,
      );
      batch.forEach((c, i) => {
        const { scratchOverrun, ...runs } = results[i];
        expect(scratchOverrun, `${c.name} scratch`).toBe('');
        for (const [run, text] of Object.entries(runs)) {
          const got = fromBase64(text);
          const bad = got.findIndex((v, at) => v !== c.want[at]);
          const where = bad < 0 ? '' : `byte ${bad - GUARD_BYTES} of C (row stride ${c.page.cStride}): got ${got[bad]}, want ${c.want[bad]}`;
          expect(where, `${c.name} ${run}`).toBe('');
        }
        stats.ties += c.stats.ties;
        stats.clampedLo += c.stats.clampedLo;
        stats.clampedHi += c.stats.clampedHi;
        checked++;
      });
    }
    expect(checked).toBe(cases.length);
    // The grid reaches every rule of the u8 epilogue (the dot kernel shares it; its sums are what differ).
    expect(stats.clampedLo, 'outputs clamped at lo').toBeGreaterThan(100);
    expect(stats.clampedHi, 'outputs clamped at hi').toBeGreaterThan(100);
    expect(chromium.errors).toEqual([]);
  }, 10 * STEP_MS);
});
