import { describe, expect, it } from 'vitest';
import { features } from '../../src/bindings/features.js';
import { Arena } from '../../src/bindings/arena.js';
import { compileKernelModule, instantiateKernels } from '../../src/bindings/wasm-module.js';

describe('loading the kernel module', () => {
  it('says so when the bytes are an HTML page, not wasm', async () => {
    const html = new TextEncoder().encode('<!DOCTYPE html><html><body>404 Not Found</body></html>');
    await expect(compileKernelModule({ build: 'baseline', shared: true }, html)).rejects.toThrow(
      /not a WebAssembly module.*HTML page.*404/,
    );
  });

  it('names the missing file and the fix', async () => {
    await expect(
      compileKernelModule({ build: 'baseline', shared: true }, new URL('file:///nonexistent/x.wasm')),
    ).rejects.toThrow(/cannot read the kernel module \/nonexistent\/x.wasm.*npm run build:wasm/);
  });

  it('accepts a precompiled WebAssembly.Module as is', async () => {
    const module = await compileKernelModule({ build: 'baseline', shared: false });
    expect(await compileKernelModule({ build: 'baseline', shared: false }, module)).toBe(module);
  });

  for (const shared of [true, false]) {
    it(`instantiates the ${shared ? 'shared' : 'plain'} baseline build over a ${shared ? 'shared' : 'plain'} memory and runs a kernel`, async () => {
      const arena = new Arena({ shared });
      const exports = instantiateKernels(await compileKernelModule({ build: 'baseline', shared }), arena.memory);
      const a = arena.putF32([1, -2, 3]);
      const b = arena.putF32([10, 20, 30]);
      const y = arena.allocF32(3);
      (exports.f32_add_nhwc as Function)(a, b, y, 1, 3, 12, 12, 12, 0.5, 0, Infinity);
      expect(Array.from(arena.f32(y, 3))).toEqual([6, 8, 18]);
    });
  }
});

describe('features()', () => {
  it('reports SIMD, relaxed SIMD (Node 20 via the V8 flag), shared memory and cores', async () => {
    const f = await features();
    expect(f.simd).toBe(true);
    expect(f.relaxedSimd).toBe(true);
    expect(f.sharedMemory).toBe(true);
    expect(f.threads).toBe(true);
    expect(f.threadsUnavailableReason).toBeUndefined();
    expect(f.cores).toBeGreaterThanOrEqual(1);
  });

  it('leaves relaxed SIMD off when asked', async () => {
    expect((await features({ relaxedSimd: false })).relaxedSimd).toBe(false);
  });
});
