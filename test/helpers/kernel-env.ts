/**
 * Test harness for kernels: one arena + instance per build, guarded buffers and strided views.
 * Every kernel test runs its whole grid once per build in `BUILDS`.
 */
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

/**
 * An NHWC view `[pixels, channels]` with `pixelStride ≥ channels`, stored in a guarded block.
 * The gaps between pixels hold the guard pattern: an input kernel that reads them produces NaN,
 * an output kernel that writes them is caught by `gapWrites`.
 */
export class StridedView {
  readonly block: Guarded;

  constructor(arena: Arena, readonly pixels: number, readonly channels: number, readonly pixelStride: number, dense?: ArrayLike<number>) {
    this.block = new Guarded(arena, pixels * pixelStride);
    if (dense) {
      const body = arena.f32(this.block.ptr, pixels * pixelStride);
      for (let p = 0; p < pixels; p++)
        for (let c = 0; c < channels; c++) body[p * pixelStride + c] = dense[p * channels + c];
    }
  }

  get ptr(): number {
    return this.block.ptr;
  }

  get pixelStrideBytes(): number {
    return this.pixelStride * 4;
  }

  /** The dense `[pixels, channels]` contents. */
  read(): Float32Array {
    const body = this.block.read();
    const out = new Float32Array(this.pixels * this.channels);
    for (let p = 0; p < this.pixels; p++)
      for (let c = 0; c < this.channels; c++) out[p * this.channels + c] = body[p * this.pixelStride + c];
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

/** Seeded uniform values in [lo, hi). */
export function randomArray(count: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/**
 * Asserts |actual − expected| ≤ abs + rel·|expected| elementwise; the message names the case,
 * the first failing index, both values and the count of failures.
 */
export function assertClose(
  actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { abs: number; rel?: number }, label: string,
): void {
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
