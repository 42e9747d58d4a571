/**
 * `npx tsx bench/pool-kernels.ts --tree-a dir [--models googlenet,inception_v3] [--build relaxed]
 * [--rounds 25] [--min-ms 2] [--json]`
 *
 * Paired A/B of f32_maxpool_nhwc alone, single-threaded, at every max-pool shape of the given
 * networks (224×224 GoogLeNet, 299×299 Inception-v3, batch 1): A is the kernel module built in
 * another checkout (`--tree-a`: a `git archive <rev>` copy with `node scripts/build-wasm.mjs` run
 * in it), B this tree's. Each side has its own memory holding the same seeded input; a timed sample
 * is `reps` whole-layer calls (reps chosen so a sample takes ≥ --min-ms), rounds interleaved
 * (bench/harness/). Reported per shape: median µs per call for A and B, the paired ratio B/A with
 * its bootstrap interval, B's read+write rate, and whether A and B wrote the same bits.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Arena } from '../src/bindings/arena.js';
import { features } from '../src/bindings/features.js';
import { poolKernels, type PoolKernels } from '../src/bindings/kernels/pool.js';
import { compileKernelModule, instantiateKernels, kernelFileName, type KernelBuild } from '../src/bindings/wasm-module.js';
import { buildNetwork } from '../src/inception/models.js';
import { mulberry32 } from '../src/util/prng.js';
import { fnVariant, interleave, markdownTable, median, pairedRatio, parseOrExit, progress, ratioCell } from './harness/index.js';

const values = parseOrExit({
  'tree-a': { type: 'string', help: 'checkout whose build/ holds side A\'s kernels (required)' },
  models: { type: 'strings', default: ['googlenet', 'inception_v3'], help: 'networks whose max pools are timed' },
  build: { type: 'string', default: 'relaxed', choices: ['baseline', 'relaxed'], help: 'kernel build of both sides' },
  rounds: { type: 'int', default: 25, min: 1, help: 'interleaved rounds per shape' },
  'min-ms': { type: 'number', default: 2, positive: true, help: 'least ms per timed sample (sets the calls per sample)' },
  json: { type: 'boolean', help: 'print the rows as JSON' },
}, process.argv.slice(2), {
  command: 'npx tsx bench/pool-kernels.ts --',
  summary: "Paired A/B of the max-pool kernel at GoogLeNet's and Inception-v3's max-pool shapes, another tree's build against this one's.",
});

const treeA = values['tree-a'];
if (!treeA) {
  console.error('--tree-a is required: make one with `git archive HEAD | tar -x -C dir` and run `node scripts/build-wasm.mjs` in it');
  process.exit(2);
}
const build = values.build as KernelBuild;
if (build === 'relaxed' && !(await features()).relaxedSimd) {
  console.error('this runtime has no relaxed SIMD: pass --build baseline');
  process.exit(2);
}
const spec = { build, shared: true };
const fileA = path.resolve(treeA, 'build', kernelFileName(spec));
if (!existsSync(fileA)) {
  console.error(`${fileA} is missing: run \`node scripts/build-wasm.mjs\` in ${treeA}`);
  process.exit(2);
}

interface Shape {
  model: string;
  layer: string;
  /** How many layers of the network share it. */
  count: number;
  inH: number; inW: number; channels: number;
  kernelH: number; kernelW: number; strideH: number; strideW: number;
  padTop: number; padLeft: number;
  outH: number; outW: number;
}

function maxPoolShapes(model: string): Shape[] {
  const g = buildNetwork(model, { inputSize: model === 'googlenet' ? 224 : 299 });
  const shapes = new Map<string, Shape>();
  for (const node of g.nodes) {
    if (node.kind !== 'maxPool') continue;
    const [, inH, inW, channels] = g.shape(node.inputs[0]!);
    const [, outH, outW] = node.shape;
    const s: Shape = {
      model, layer: node.name, count: 1, inH: inH!, inW: inW!, channels: channels!, kernelH: node.kernelH, kernelW: node.kernelW,
      strideH: node.strideH, strideW: node.strideW, padTop: node.pads.top, padLeft: node.pads.left, outH: outH!, outW: outW!,
    };
    const key = JSON.stringify({ ...s, layer: '', count: 0 });
    const seen = shapes.get(key);
    if (seen) seen.count++;
    else shapes.set(key, s);
  }
  return [...shapes.values()];
}

const label = (s: Shape) => `${s.inH}×${s.inW}×${s.channels} ${s.kernelH}×${s.kernelW} s${s.strideH} p${s.padTop}`;

/** One side: its own memory and instance, the input and an output buffer. */
class Side {
  readonly arena = new Arena({ shared: true, initialBytes: 64 << 20 });
  readonly k: PoolKernels;
  readonly base = this.arena.mark();
  inPtr = 0;
  outPtr = 0;

  constructor(module: WebAssembly.Module) {
    this.k = poolKernels(instantiateKernels(module, this.arena.memory));
  }

  load(s: Shape, input: Float32Array): void {
    this.arena.release(this.base);
    this.inPtr = this.arena.putF32(input);
    this.outPtr = this.arena.allocF32(s.outH * s.outW * s.channels);
  }

  run(s: Shape): void {
    this.k.f32_maxpool_nhwc(this.inPtr, s.channels * 4, s.inH, s.inW, s.channels, s.kernelH, s.kernelW, s.strideH, s.strideW,
      s.padTop, s.padLeft, s.outW, 0, s.outH, this.outPtr, s.channels * 4);
  }

  output(s: Shape): Uint32Array {
    return new Uint32Array(this.arena.memory.buffer, this.outPtr, s.outH * s.outW * s.channels).slice();
  }
}

const sideA = new Side(await compileKernelModule(spec, pathToFileURL(fileA)));
const sideB = new Side(await compileKernelModule(spec));

interface Row {
  model: string; layer: string; count: number; shape: string;
  aMicros: number; bMicros: number; ratio: string; ratioMedian: number; bGBs: number; identical: boolean;
}

const rows: Row[] = [];
for (const model of values.models) {
  for (const s of maxPoolShapes(model)) {
    const next = mulberry32(s.inH * 7919 + s.channels);
    const input = Float32Array.from({ length: s.inH * s.inW * s.channels }, () => next() * 2 - 1);
    sideA.load(s, input);
    sideB.load(s, input);
    sideA.run(s);
    sideB.run(s);
    const a = sideA.output(s);
    const b = sideB.output(s);
    const identical = a.every((v, i) => v === b[i]);
    // Calls per sample: enough for --min-ms on side A.
    const t0 = performance.now();
    let calls = 0;
    while (performance.now() - t0 < 20) {
      sideA.run(s);
      calls++;
    }
    const reps = Math.max(1, Math.ceil((values['min-ms'] * calls) / (performance.now() - t0)));
    const variant = (name: string, side: Side) => fnVariant(name, () => {
      for (let i = 0; i < reps; i++) side.run(s);
    });
    progress(`${model} ${label(s)}: ${reps} calls per sample`);
    const [timesA, timesB] = await interleave([variant('A', sideA), variant('B', sideB)], { rounds: values.rounds, warmup: 2 });
    const ratio = pairedRatio(timesB!, timesA!);
    const bMicros = (median(timesB!) * 1000) / reps;
    const bytes = (s.inH * s.inW + s.outH * s.outW) * s.channels * 4;
    rows.push({
      model, layer: s.layer, count: s.count, shape: label(s), aMicros: (median(timesA!) * 1000) / reps, bMicros,
      ratio: ratioCell(ratio), ratioMedian: ratio?.median ?? NaN, bGBs: bytes / (bMicros * 1000), identical,
    });
  }
}

if (values.json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`f32_maxpool_nhwc, ${build} build, 1 thread, ${values.rounds} rounds; A = ${treeA}, B = this tree\n`);
  console.log(markdownTable(
    ['network', 'first layer', 'layers', 'input, window', 'A µs', 'B µs', 'B/A [95 %]', 'B GB/s', 'same bits'],
    rows.map((r) => [r.model, r.layer, String(r.count), r.shape, r.aMicros.toFixed(1), r.bMicros.toFixed(1), r.ratio, r.bGBs.toFixed(1), r.identical ? 'yes' : 'NO']),
    [2, 4, 5, 6, 7],
  ));
}
