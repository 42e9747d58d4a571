/**
 * Test harness for kernels: one arena + instance per build, guarded buffers and strided views.
 * Every kernel test runs its whole grid once per build in `BUILDS` (`forEachBuild`).
 */
import { afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { Arena } from '../../src/bindings/arena.js';
import { features } from '../../src/bindings/features.js';
import { compileKernelModule, instantiateKernels, type KernelBuild } from '../../src/bindings/wasm-module.js';
import { mulberry32 } from '../../src/util/prng.js';

export const BUILDS: readonly KernelBuild[] = ['baseline', 'relaxed'];

export interface KernelEnv {
  build: KernelBuild;
  arena: Arena;
  /** Raw exports; family wrappers in src/bindings/kernels/ give them types. */
  exports: WebAssembly.Exports;
}

const envs = new Map<KernelBuild, Promise<KernelEnv>>();

/**
 * One `describe` per build in `BUILDS`, titled `title` with `%s` replaced by the build.
 * `env` is filled in by a `beforeAll` hook, so read it only inside tests and hooks; everything a
 * test allocates in `env.arena` is released after it.
 */
export function forEachBuild(title: string, body: (env: KernelEnv) => void): void {
  for (const build of BUILDS) {
    describe(title.replace('%s', build), () => {
      const env = { build } as KernelEnv;
      let mark = 0;
      beforeAll(async () => {
        Object.assign(env, await kernelEnv(build));
      });
      beforeEach(() => {
        mark = env.arena.mark();
      });
      afterEach(() => {
        env.arena.release(mark);
      });
      body(env);
    });
  }
}

/** The (cached) environment for a build; throws if the runtime cannot run that build. */
export function kernelEnv(build: KernelBuild): Promise<KernelEnv> {
  let env = envs.get(build);
  if (!env) {
    env = (async () => {
      const f = await features();
      if (build === 'relaxed' && !f.relaxedSimd) throw new Error('relaxed SIMD is not available in this runtime');
      const module = await compileKernelModule({ build, shared: true });
      const arena = new Arena({ shared: true, initialBytes: 64 << 20 });
      return { build, arena, exports: instantiateKernels(module, arena.memory) };
    })();
    envs.set(build, env);
  }
  return env;
}

/** Guard pattern: a NaN with a payload no kernel produces; compared bitwise. */
export const GUARD_BITS = 0x7fa1b2c3;
export const GUARD_FLOATS = 8;

/**
 * A block of `count` floats with `GUARD_FLOATS` guard floats before and after.
 * `fill` initialises the body (default: guard pattern, to detect unwritten outputs).
 */
export class Guarded {
  readonly ptr: number;
  private readonly base: number;

  constructor(private readonly arena: Arena, readonly count: number, fill?: ArrayLike<number>) {
    this.base = arena.allocF32(count + 2 * GUARD_FLOATS);
    this.ptr = this.base + GUARD_FLOATS * 4;
    new Uint32Array(arena.memory.buffer, this.base, count + 2 * GUARD_FLOATS).fill(GUARD_BITS);
    if (fill) arena.f32(this.ptr, count).set(fill);
  }

  /** A copy of the body. */
  read(): Float32Array {
    return this.arena.f32(this.ptr, this.count).slice();
  }

  /** Indices of guard floats that were overwritten (empty when intact). */
  brokenGuards(): number[] {
    const all = new Uint32Array(this.arena.memory.buffer, this.base, this.count + 2 * GUARD_FLOATS);
    const broken: number[] = [];
    for (let i = 0; i < GUARD_FLOATS; i++) {
      if (all[i] !== GUARD_BITS) broken.push(i - GUARD_FLOATS);
      if (all[GUARD_FLOATS + this.count + i] !== GUARD_BITS) broken.push(this.count + i);
    }
    return broken;
  }

  /** Indices inside the body still holding the guard pattern (outputs never written). */
  untouched(indices?: Iterable<number>): number[] {
    const body = new Uint32Array(this.arena.memory.buffer, this.ptr, this.count);
    const out: number[] = [];
    for (const i of indices ?? body.keys()) if (body[i] === GUARD_BITS) out.push(i);
    return out;
  }
}

/** The 32-bit patterns of `values` as f32 (a Float32Array is viewed, not converted: NaN payloads survive). */
function f32Bits(values: ArrayLike<number>): Uint32Array {
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  return new Uint32Array(f.buffer, f.byteOffset, f.length);
}

/**
 * An NHWC view `[pixels, channels]` with `pixelStride ≥ channels`, stored in a guarded block.
 * The gaps between pixels hold the guard pattern: an input kernel that reads them produces NaN,
 * an output kernel that writes them is caught by `strayWrites`.
 * Values are copied in and out as bit patterns, so signalling NaNs and payloads pass unchanged.
 */
export class StridedView {
  readonly block: Guarded;

  constructor(arena: Arena, readonly pixels: number, readonly channels: number, readonly pixelStride: number, dense?: ArrayLike<number>) {
    this.block = new Guarded(arena, pixels * pixelStride);
    if (dense) {
      const bits = f32Bits(dense);
      const body = new Uint32Array(arena.memory.buffer, this.block.ptr, pixels * pixelStride);
      for (let p = 0; p < pixels; p++) body.set(bits.subarray(p * channels, (p + 1) * channels), p * pixelStride);
    }
  }

  get ptr(): number {
    return this.block.ptr;
  }

  get pixelStrideBytes(): number {
    return this.pixelStride * 4;
  }

  /** The dense `[pixels, channels]` contents (a copy, bit for bit). */
  read(): Float32Array {
    const body = new Uint32Array(this.block.read().buffer);
    const out = new Uint32Array(this.pixels * this.channels);
    for (let p = 0; p < this.pixels; p++) {
      out.set(body.subarray(p * this.pixelStride, p * this.pixelStride + this.channels), p * this.channels);
    }
    return new Float32Array(out.buffer);
  }

  /** Body indices of the `pixels × channels` values (not the gaps): the positions an output must fill. */
  valueIndices(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.pixels; p++) for (let c = 0; c < this.channels; c++) out.push(p * this.pixelStride + c);
    return out;
  }

  /** Positions (body indices) in the gaps or guards that a kernel wrote. */
  strayWrites(): number[] {
    const stray = this.block.brokenGuards();
    const gaps: number[] = [];
    for (let p = 0; p < this.pixels; p++) for (let c = this.channels; c < this.pixelStride; c++) gaps.push(p * this.pixelStride + c);
    const body = new Uint32Array(this.block.read().buffer);
    for (const i of gaps) if (body[i] !== GUARD_BITS) stray.push(i);
    return stray;
  }
}

/** A seeded generator: `next()` uniform in [0, 1), `int(lo, hi)` uniform over the integers lo..hi (one `next()` each). */
export function seededRandom(seed: number): { next: () => number; int: (lo: number, hi: number) => number } {
  const next = mulberry32(seed);
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)) };
}

/** Seeded uniform values in [lo, hi). */
export function randomArray(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/** An error bound per value: |actual − expected| ≤ abs + rel·|expected|. */
export interface Tolerance {
  abs: number;
  rel?: number;
}

/**
 * Asserts |actual − expected| ≤ abs + rel·|expected| elementwise; the message names the case,
 * the first failing index, both values and the count of failures.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, label: string): void {
  if (actual.length !== expected.length) throw new Error(`${label}: length ${actual.length}, expected ${expected.length}`);
  let failures = 0;
  let first = -1;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const bound = tol.abs + (tol.rel ?? 0) * Math.abs(expected[i]);
    if (!(diff <= bound) || (Number.isNaN(actual[i]) && !Number.isNaN(expected[i]))) {
      failures++;
      if (first < 0) first = i;
    }
    if (diff > worst) worst = diff;
  }
  if (failures > 0) {
    throw new Error(
      `${label}: ${failures}/${actual.length} values off; first at [${first}]: got ${actual[first]}, ` +
        `expected ${expected[first]} (tolerance abs ${tol.abs}, rel ${tol.rel ?? 0}); max |diff| ${worst}`,
    );
  }
}

/** Asserts a guarded output intact (no writes outside its body). */
export function assertNoStrayWrites(view: Guarded | StridedView, label: string): void {
  const stray = view instanceof StridedView ? view.strayWrites() : view.brokenGuards();
  if (stray.length > 0) throw new Error(`${label}: wrote outside the output at body indices ${stray.slice(0, 8).join(', ')}`);
}

/** Asserts every value of an output written: none still holds the guard pattern (a view's gaps are not values). */
export function assertAllWritten(view: Guarded | StridedView, label: string): void {
  const never = view instanceof StridedView ? view.block.untouched(view.valueIndices()) : view.untouched();
  if (never.length > 0) {
    throw new Error(`${label}: ${never.length} outputs never written, at body indices ${never.slice(0, 8).join(', ')}`);
  }
}

const hex = (bits: number) => `0x${bits.toString(16).padStart(8, '0')}`;

/**
 * Asserts `actual` equals `expected` (rounded to f32 unless already a Float32Array) bit for bit:
 * −0 ≠ +0, and NaNs must carry the same payload.
 */
export function assertBitwiseEqual(actual: Float32Array, expected: ArrayLike<number>, label: string): void {
  const a = f32Bits(actual);
  const e = f32Bits(expected);
  if (a.length !== e.length) throw new Error(`${label}: length ${a.length}, expected ${e.length}`);
  let failures = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      failures++;
      if (first < 0) first = i;
    }
  }
  if (failures > 0) {
    throw new Error(
      `${label}: ${failures}/${a.length} values differ; first at [${first}]: got ${actual[first]} (${hex(a[first])}), ` +
        `expected ${Float32Array.of(expected[first])[0]} (${hex(e[first])})`,
    );
  }
}

export interface OutputCheck {
  /**
   * The kernel's inputs: none may be written outside their values. An output that is one of them
   * (in place) already holds values, so it is not checked for unwritten ones.
   */
  inputs?: readonly (Guarded | StridedView)[];
  /** The bound on each value's error; without one the output must match bit for bit. */
  tol?: Tolerance;
}

/**
 * The checks after a kernel run: no writes outside the output or the inputs, every output value
 * written, and the output equal to `expected` (within `tol`, or bitwise). Returns the output's values.
 */
export function assertKernelOutput(
  output: Guarded | StridedView, expected: ArrayLike<number>, label: string, { inputs = [], tol }: OutputCheck = {},
): Float32Array {
  for (const view of new Set([...inputs, output])) assertNoStrayWrites(view, label);
  if (!inputs.includes(output)) assertAllWritten(output, label);
  const actual = output.read();
  if (tol) assertClose(actual, expected, tol, label);
  else assertBitwiseEqual(actual, expected, label);
  return actual;
}

/** [start, count] of at most `pieces` equal ranges covering [0, total) (the last may be shorter). */
export function splitRanges(total: number, pieces: number): [number, number][] {
  const per = Math.ceil(total / pieces);
  const out: [number, number][] = [];
  for (let start = 0; start < total; start += per) out.push([start, Math.min(per, total - start)]);
  return out;
}

/**
 * Runs a kernel over [0, total) (pixels, rows) as one call and then split into `pieces` ranges, as
 * threads or per-image calls split it: `run(ranges, label)` makes the calls into a fresh output,
 * checks it and returns its values. The split run must give the same bits as the one call.
 */
export function runOnceAndInPieces(
  name: string, total: number, pieces: number, run: (ranges: [number, number][], label: string) => Float32Array,
): void {
  const results = [1, pieces].map((n) => {
    const ranges = splitRanges(total, n);
    return run(ranges, `${name} (${ranges.length} call${ranges.length > 1 ? 's' : ''})`);
  });
  assertBitwiseEqual(results[1], results[0], `${name}: pieces vs one call`);
}

/**
 * The checks after a kernel wrote the same output twice, in one call (`whole`) and split into
 * ranges (`split`, described by `splitName`): each as `assertKernelOutput`, then split against whole bit for bit.
 */
export function assertWholeAndSplit(
  name: string, splitName: string, whole: Guarded | StridedView, split: Guarded | StridedView,
  expected: ArrayLike<number>, tol?: Tolerance,
): void {
  const once = assertKernelOutput(whole, expected, `${name} (one call)`, { tol });
  const pieces = assertKernelOutput(split, expected, `${name} (${splitName})`, { tol });
  assertBitwiseEqual(pieces, once, `${name}: ${splitName} vs one call`);
}
