// Builds the four kernel modules from one source (assembly/index.ts), one per asconfig target:
// {baseline SIMD128, relaxed SIMD} x {shared memory (threads), plain memory (no SharedArrayBuffer)}.
// A module that imports a shared memory cannot take a plain one, hence the memory pair.
import asc from 'assemblyscript/asc';
import { mkdirSync } from 'node:fs';

const targets = ['baseline-shared', 'baseline-plain', 'relaxed-shared', 'relaxed-plain'];
mkdirSync('build', { recursive: true });
for (const target of targets) {
  const { error, stderr } = await asc.main(['--config', 'asconfig.json', '--target', target]);
  if (error) {
    console.error(`asc failed for target ${target}:\n${stderr.toString()}`);
    process.exit(1);
  }
}
console.error(`built ${targets.map((t) => `build/${t}.wasm`).join(', ')}`);
