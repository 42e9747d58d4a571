// Builds the four kernel modules from one source (assembly/index.ts), one per asconfig target:
// {baseline SIMD128, relaxed SIMD} x {shared memory (threads), plain memory (no SharedArrayBuffer)}.
// A module that imports a shared memory cannot take a plain one, hence the memory pair.
//
// Two more targets are the bench modules (bench/kernels.ts): the same kernels (asconfig's entry)
// plus the SIMD peak loop of assembly/f32-peak.ts as a second entry, shared memory only. The
// engine never loads them; test/module-shape.test.ts checks the four shipped modules carry no
// f32_peak_* export.
//
// The relaxed targets (shipped and bench) also take assembly/i8-gemm-dot.ts as an entry: its
// kernels use an instruction only relaxed SIMD has, and an `export *` in index.ts cannot depend
// on the target, so the baseline modules have no i8_gemm_dot* export at all.
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';

const targets = ['baseline-shared', 'baseline-plain', 'relaxed-shared', 'relaxed-plain'];
const benchTargets = ['bench-baseline', 'bench-relaxed'];
/** asc appends the config's entries to the ones given here, so a bench module exports both. */
const BENCH_ENTRY = 'assembly/f32-peak.ts';
/** Kernels of the relaxed builds only (assembly/i8-gemm-dot.ts). */
const RELAXED_ENTRY = 'assembly/i8-gemm-dot.ts';

mkdirSync('build', { recursive: true });
for (const target of [...targets, ...benchTargets]) {
  const entries = [...(benchTargets.includes(target) ? [BENCH_ENTRY] : []), ...(target.includes('relaxed') ? [RELAXED_ENTRY] : [])];
  const { error, stderr } = await asc.main([...entries, '--config', 'asconfig.json', '--target', target]);
  if (error) {
    console.error(`asc failed for target ${target}:\n${stderr.toString()}`);
    process.exit(1);
  }
}
console.error(`built ${[...targets, ...benchTargets].map((t) => `build/${t}.wasm`).join(', ')}`);
