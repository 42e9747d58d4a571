/**
 * Every worker instantiates the same kernel module over one shared memory, so the module must
 * carry no state of its own: no data segment (re-copied into shared memory on each
 * instantiation), no global (per-instance, invisible to the other threads), and no import other
 * than the memory (`--runtime stub`, `--use abort=`). The shipped modules carry kernels only: the
 * SIMD peak loop the GEMM benchmark rates against is built into bench-only modules.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { features } from '../src/bindings/features.js';
import { defaultKernelUrl, kernelFileName } from '../src/bindings/wasm-module.js';

const SECTION = { import: 2, global: 6, data: 11, dataCount: 12 } as const;

function readU32Leb(bytes: Uint8Array, at: number): [number, number] {
  let result = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const b = bytes[i++];
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) break;
    shift += 7;
  }
  return [result >>> 0, i];
}

/** Section id → (count of entries, for sections that start with a count). */
function sectionCounts(bytes: Uint8Array): Map<number, number> {
  const counts = new Map<number, number>();
  let i = 8;
  while (i < bytes.length) {
    const id = bytes[i++];
    let size: number;
    [size, i] = readU32Leb(bytes, i);
    if (id !== 0) counts.set(id, readU32Leb(bytes, i)[0]);
    i += size;
  }
  return counts;
}

const specs = [
  { build: 'baseline', shared: true },
  { build: 'baseline', shared: false },
  { build: 'relaxed', shared: true },
  { build: 'relaxed', shared: false },
] as const;

describe('kernel module carries no state', () => {
  beforeAll(async () => {
    expect((await features()).relaxedSimd, 'relaxed SIMD must be enabled to compile the relaxed builds').toBe(true);
  });

  for (const spec of specs) {
    const name = kernelFileName(spec);
    const bytes = new Uint8Array(readFileSync(defaultKernelUrl(spec)));

    it(`${name}: no data segment, no global`, () => {
      const counts = sectionCounts(bytes);
      expect(counts.get(SECTION.data) ?? 0, 'data segments').toBe(0);
      expect(counts.get(SECTION.dataCount) ?? 0, 'data count').toBe(0);
      expect(counts.get(SECTION.global) ?? 0, 'globals').toBe(0);
    });

    it(`${name}: imports only env.memory (${spec.shared ? 'shared' : 'plain'})`, () => {
      const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
      expect(imports).toEqual([{ module: 'env', name: 'memory', kind: 'memory' }]);
    });

    it(`${name}: exports only kernels (f32_*, i8_*, u8_*) and the imported memory: helpers stay internal`, () => {
      const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes));
      const kernel = /^(f32|i8|u8)_/;
      const stray = exported.filter((e) => !(e.kind === 'function' ? kernel.test(e.name) : e.kind === 'memory'));
      expect(stray).toEqual([]);
      expect(exported.length).toBeGreaterThan(20);
    });

    it(`${name}: carries the 8-bit kernels`, () => {
      const exported = new Set(WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name));
      const int8 = ['i8_gemm', 'i8_gemm_pack_bytes', 'i8_gemm_panel_bytes', 'i8_gemm_mr', 'i8_pack_gemm_weights', 'u8_im2col_nhwc',
        'u8_maxpool_nhwc', 'u8_avgpool_nhwc', 'u8_global_avgpool_nhwc', 'f32_quantize_u8', 'u8_dequantize_f32'];
      expect(int8.filter((e) => !exported.has(e))).toEqual([]);
    });

    it(`${name}: ships no benchmark code (the f32_peak_* loop lives in the bench build only)`, () => {
      const exported = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
      expect(exported.filter((e) => e.startsWith('f32_peak'))).toEqual([]);
    });

    it(`${name}: import section holds exactly one entry`, () => {
      expect(sectionCounts(bytes).get(SECTION.import)).toBe(1);
    });
  }
});
