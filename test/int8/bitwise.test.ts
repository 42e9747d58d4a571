/**
 * int8 results do not depend on how the work is split or which kernel build runs it:
 *  - sessions at 1, 2 and 3 threads give the same bits (GoogLeNet at 64 px; an all-u8 residual
 *    graph at 40 px, whose steps split into several tasks), in the baseline build and at 1 and 3
 *    threads in the relaxed one, and the builds' sessions agree with each other;
 *  - image i of a batch-2 run equals the batch-1 run of image i, byte for byte;
 *  - a session runs exactly its compiled int8 program (the program test/int8/steps-exact.test.ts
 *    checks step by step): the session's logits equal the program's, run directly;
 *  - with the same calibration ranges, the baseline and relaxed builds' int8 programs give the
 *    same bytes, and so do programs compiled without int8 Winograd.
 * Sessions agree across builds because every session calibrates with the baseline build's f32
 * kernels (src/session.ts): the relaxed build's fused multiply-adds round differently, and ranges
 * calibrated with them would give other scales (64 of 73 ranges of GoogLeNet at 64 px differed).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { features } from '../../src/bindings/features.js';
import type { KernelBuild } from '../../src/bindings/wasm-module.js';
import type { Graph } from '../../src/graph/graph.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';
import { compileInt8Program, rangesFor, runInt8Program } from './program-oracle.js';
import { residualGraph } from './small-graphs.js';

/** Asserts equal f32 bit patterns; the message gives the count and the first differing value. */
function expectSameBits(got: Float32Array, want: Float32Array, label: string): void {
  expect(got.length, `${label}: length`).toBe(want.length);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  const differing = g.reduce((n, bits, i) => n + (bits !== w[i] ? 1 : 0), 0);
  const first = g.findIndex((bits, i) => bits !== w[i]);
  expect(differing, `${label}: values whose bits differ (first at [${first}]: ${got[first]} vs ${want[first]})`).toBe(0);
}

interface Net {
  name: string;
  graph: (batch: number) => Graph;
  /** Weights by the graph's declarations (the same for every batch). */
  weights: () => Map<string, Float32Array>;
}

const googlenet: Net = {
  name: 'googlenet at 64 px',
  graph: (batch) => buildNetwork('googlenet', { inputSize: 64, batch }),
  weights: () => seededWeights(buildNetwork('googlenet').weights),
};
const residual: Net = {
  name: 'all-u8 residual graph at 40 px',
  graph: (batch) => residualGraph(batch, 40).g,
  weights: () => seededWeights(residualGraph(1, 40).g.weights, 5),
};

function shapeOf(g: Graph): [number, number, number, number] {
  const [n, h, w, c] = g.shape(g.inputs[0]);
  return [n, c, h, w];
}

const calibrationOf = (g: Graph) => {
  const [, c, h, w] = shapeOf(g);
  return [21, 22].map((seed) => seededInputNCHW(1, c, h, w, seed));
};
const imageOf = (g: Graph, seed: number) => {
  const [, c, h, w] = shapeOf(g);
  return seededInputNCHW(1, c, h, w, seed);
};

/** An int8 session of `net` at `threads`, `build`, `batch`, run on each of `inputs`. */
async function int8Runs(
  net: Net, weights: Map<string, Float32Array>, threads: number, build: KernelBuild, batch: number, inputs: Float32Array[],
): Promise<Float32Array[]> {
  const g = net.graph(batch);
  const session = await createSession({ graph: g, weights, threads, build, batch, precision: 'int8', calibration: { inputs: calibrationOf(g) } });
  try {
    expect(session.info.threads).toBe(threads);
    expect(session.info.build).toBe(build);
    expect(session.info.precision).toBe('int8');
    const out: Float32Array[] = [];
    for (const x of inputs) out.push((await session.run(x)).logits);
    return out;
  } finally {
    await session.dispose();
  }
}

describe.each([googlenet, residual])('int8 $name: bit-identical at any thread count, batch and build', (net) => {
  const weights = net.weights();
  const g = net.graph(1);
  const images = [imageOf(g, 41), imageOf(g, 42)];
  const pair = new Float32Array(2 * images[0].length);
  images.forEach((x, i) => pair.set(x, i * x.length));
  /** `${build} t${threads}` → outputs of the batch-1 sessions on `images` (thread counts > 1: image 0 only). */
  const runs = new Map<string, Float32Array[]>();
  let batch2: Float32Array;
  let buildList: KernelBuild[] = [];

  beforeAll(async () => {
    buildList = (await features()).relaxedSimd ? ['baseline', 'relaxed'] : ['baseline'];
    for (const build of buildList) {
      for (const threads of build === 'baseline' ? [1, 2, 3] : [1, 3]) {
        runs.set(`${build} t${threads}`, await int8Runs(net, weights, threads, build, 1, threads === 1 ? images : images.slice(0, 1)));
      }
    }
    [batch2] = await int8Runs(net, weights, 2, 'baseline', 2, [pair]);
  });

  it('1, 2 and 3 threads give the same bits, in each build, and the builds agree', () => {
    for (const build of buildList) {
      const one = runs.get(`${build} t1`)![0];
      expect(one.every(Number.isFinite), 'finite logits').toBe(true);
      expectSameBits(one, runs.get('baseline t1')![0], `${build} session vs baseline session`);
      for (const threads of [2, 3]) {
        const r = runs.get(`${build} t${threads}`);
        if (r) expectSameBits(r[0], one, `${build}: ${threads} threads vs 1`);
      }
    }
  });

  it('image i of a batch-2 run = the batch-1 run of image i', () => {
    const single = runs.get('baseline t1')!;
    const classes = single[0].length;
    expect(batch2.length).toBe(2 * classes);
    for (let i = 0; i < 2; i++) expectSameBits(batch2.subarray(i * classes, (i + 1) * classes), single[i], `image ${i} of the batch`);
  });

  it('the session runs its compiled int8 program; both builds\' programs, with or without int8 Winograd, agree byte for byte', async () => {
    // Sessions calibrate with the baseline build's f32 program; so do the programs here.
    const ranges = await rangesFor(g, weights, calibrationOf(g), 'baseline');
    const baseline = await compileInt8Program(g, weights, ranges, 'baseline');
    expect(baseline.compiled.program.steps.some((s) => s.kind === 'i8winograd'), 'the program has int8 Winograd steps').toBe(true);
    const want = runInt8Program(baseline, images[0]);
    expectSameBits(want, runs.get('baseline t1')![0], 'program vs session');
    for (const build of buildList) {
      const noWinograd = await compileInt8Program(g, weights, ranges, build, false);
      expect(noWinograd.compiled.program.steps.some((s) => s.kind === 'i8winograd')).toBe(false);
      expectSameBits(runInt8Program(noWinograd, images[0]), want, `${build} program without int8 Winograd vs baseline program`);
      if (build !== 'baseline') expectSameBits(runInt8Program(await compileInt8Program(g, weights, ranges, build), images[0]), want, `${build} program vs baseline`);
    }
  });
});

it('the all-u8 residual graph at 40 px splits its int8 steps into several tasks (so the thread test shares work)', async () => {
  const g = residualGraph(1, 40).g;
  const weights = residual.weights();
  const p = await compileInt8Program(g, weights, await rangesFor(g, weights, calibrationOf(g)));
  expect(p.compiled.program.steps.filter((s) => s.kind === 'i8conv' && s.tasks > 1).length).toBeGreaterThan(2);
});
