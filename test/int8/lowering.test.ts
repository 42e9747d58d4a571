/**
 * The int8 lowering rules, on small hand-built graphs (small-graphs.ts) with seeded weights,
 * asserted on the compiled program's steps and views:
 *  - a concat's inputs share one quantisation with it and are written in place (slices of its
 *    buffer, no copy or conversion step);
 *  - a u8 max pool's input and output share their quantisation;
 *  - an op with no u8 form (LRN) reads a dequantized copy of a u8 value and its output is
 *    quantized for the next u8 op; a conv read only by such an op writes f32 itself;
 *  - the classifier FC before a softmax writes f32: the softmax reads it, no dequantize;
 *  - a graph whose output is a pool ends with a dequantize into the output view;
 *  - a depthwise conv runs in f32 (a dwconv step between a dequantize and a quantize).
 * Each program's int8 steps are also checked against the integer references, and each int8
 * session's output against the f32 session's (SQNR > 25 dB; 8-bit per-tensor activations give
 * ~40 dB on these graphs, a wrong scale or zero point far less).
 */
import { describe, expect, it } from 'vitest';
import type { Step, View } from '../../src/bindings/program.js';
import type { Graph } from '../../src/graph/graph.js';
import type { ValueId } from '../../src/graph/nodes.js';
import type { ValueRange } from '../../src/graph/int8/quant-params.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';
import { checkEveryInt8Step, compileInt8Program, rangesFor, type Int8Program } from './program-oracle.js';
import { concatGraph, depthwiseGraph, lrnGraph, sqnrDb } from './small-graphs.js';

const WEIGHT_SEED = 5;

function calibrationFor(g: Graph): Float32Array[] {
  const [, h, w, c] = g.shape(g.inputs[0]);
  return [1, 2, 3].map((seed) => seededInputNCHW(1, c, h, w, seed));
}

async function compile(g: Graph): Promise<Int8Program & { ranges: Map<ValueId, ValueRange> }> {
  const weights = seededWeights(g.weights, WEIGHT_SEED);
  const ranges = await rangesFor(g, weights, calibrationFor(g));
  return { ...(await compileInt8Program(g, weights, ranges)), ranges };
}

/** The int8 session's output against the f32 session's on an image outside the calibration set. */
async function sessionSqnr(g: Graph): Promise<number> {
  const weights = seededWeights(g.weights, WEIGHT_SEED);
  const [n, h, w, c] = g.shape(g.inputs[0]);
  const input = seededInputNCHW(n, c, h, w, 77);
  const f32 = await createSession({ graph: g, weights, threads: 1 });
  const int8 = await createSession({ graph: g, weights, threads: 1, precision: 'int8', calibration: { inputs: calibrationFor(g) } });
  try {
    expect(int8.info.precision).toBe('int8');
    expect(f32.info.precision).toBe('f32');
    return sqnrDb((await f32.run(input)).logits, (await int8.run(input)).logits);
  } finally {
    await f32.dispose();
    await int8.dispose();
  }
}

const kinds = (p: Int8Program) => p.compiled.program.steps.map((s) => s.kind);
const isU8 = (v: View) => v.elementBytes === 1;

/** The int8 conv step kinds (GEMM or Winograd: the same bytes, steps-exact.test.ts). */
const isInt8Conv = (step: Step) => step.kind === 'i8conv' || step.kind === 'i8winograd' || step.kind === 'i8winograd1d';

/** Whether the int8 conv step writes `v`'s view as f32. */
function writesF32(p: Int8Program, step: Step, v: ValueId): boolean {
  const view = JSON.stringify(p.compiled.view(v));
  if (step.kind === 'i8winograd' || step.kind === 'i8winograd1d') return step.f32;
  if (step.kind === 'i8conv') return step.outputs.find((o) => JSON.stringify(o.out) === view)!.f32;
  throw new Error(`'${step.name}' (${step.kind}) is not an int8 conv step`);
}

/** The input view of a step that has one. */
const inputOf = (step: Step) => ('input' in step ? step.input : undefined);

/** The single step writing `v`'s view (an i8conv output, or a step's `out`). */
function writerOf(p: Int8Program, v: ValueId): { index: number; step: Step } {
  const view = p.compiled.view(v);
  const found = p.compiled.program.steps
    .map((step, index) => ({ index, step }))
    .filter(({ step }) => (step.kind === 'i8conv' ? step.outputs.map((o) => o.out) : 'out' in step ? [step.out] : []).some((o) => JSON.stringify(o) === JSON.stringify(view)));
  expect(found.length, `one step writes '${p.graph.node(v).name}'`).toBe(1);
  return found[0];
}

function expectExact(p: Int8Program): void {
  const [n, h, w, c] = p.graph.shape(p.graph.inputs[0]);
  const cover = checkEveryInt8Step(p, seededInputNCHW(n, c, h, w, 9));
  expect(Object.values(cover.checked).reduce((s, x) => s + x, 0), 'every int8 step checked').toBe(cover.int8Steps);
}

describe('int8 lowering rules', () => {
  it('concat: branches share its quantisation and write straight into its buffer; max pool keeps its input params; FC writes f32 for the softmax', async () => {
    const { g, pre, pool, branches, cat, fc, softmax } = concatGraph();
    const p = await compile(g);
    const c = p.compiled;
    const q = (v: ValueId) => c.int8.values.quant(v);
    for (const b of branches) expect(q(b), `'${g.node(b).name}' shares the concat's quantisation`).toEqual(q(cat));
    // The shared codes reach every branch's calibrated maximum (within one step), though the
    // branches' ranges differ: the params are the union's, not one branch's.
    const maxima = branches.map((b) => p.ranges.get(b)!.max);
    expect(Math.max(...maxima), 'the branches have different ranges').toBeGreaterThan(1.2 * Math.min(...maxima));
    const { scale, zeroPoint } = q(cat);
    for (const m of maxima) expect((255 - zeroPoint) * scale).toBeGreaterThanOrEqual(m - scale);

    const catView = c.view(cat);
    expect(isU8(catView)).toBe(true);
    for (const b of branches) {
      const slice = c.view(b);
      expect(slice.pixelStrideBytes, 'a slice steps over the whole concat pixel').toBe(catView.pixelStrideBytes);
      expect(slice.offset - catView.offset).toBeGreaterThanOrEqual(0);
      expect(slice.offset - catView.offset + slice.channels).toBeLessThanOrEqual(catView.channels);
      expect(isInt8Conv(writerOf(p, b).step), `'${g.node(b).name}' written by its int8 conv`).toBe(true);
    }
    const k = kinds(p);
    expect(k).not.toContain('copy');
    expect(k.filter((x) => x === 'quantize').length, 'one conversion: the input').toBe(1);
    expect(k).not.toContain('dequantize');

    // The pool's output alone spans less than its input (no ReLU before it: its minimum rises),
    // so equal params come from the shared group, not from equal ranges.
    expect(p.ranges.get(pool)!.min, 'the pool output range is narrower').toBeGreaterThan(p.ranges.get(pre)!.min);
    expect(q(pool), 'max pool output params = input params').toEqual(q(pre));
    const poolStep = writerOf(p, pool).step;
    expect(poolStep.kind).toBe('u8MaxPool');

    const fcStep = writerOf(p, fc).step;
    expect(fcStep.kind).toBe('i8conv');
    expect(writesF32(p, fcStep, fc), 'the FC writes f32').toBe(true);
    expect(isU8(c.view(fc))).toBe(false);
    const sm = writerOf(p, softmax);
    expect(sm.step.kind).toBe('softmax');
    if (sm.step.kind !== 'softmax') return;
    expect(sm.step.input, 'the softmax reads the FC output itself').toEqual(c.view(fc));
    expect(c.output).toEqual(c.view(softmax));

    expectExact(p);
    expect(await sessionSqnr(g)).toBeGreaterThan(25);
  });

  it('LRN: a dequantize before it (u8 input), a quantize after; a conv read only by it writes f32; a pool output gets a final dequantize', async () => {
    const { g, c1, lrnA, p1, lrnB, c2, p2 } = lrnGraph();
    const p = await compile(g);
    const c = p.compiled;
    const steps = c.program.steps;
    const q = (v: ValueId) => c.int8.values.quant(v);

    // lrnA reads the conv's own f32 output: no dequantize in between.
    const conv1 = writerOf(p, c1).step;
    expect(isInt8Conv(conv1) && writesF32(p, conv1, c1), 'c1 writes f32').toBe(true);
    const a = writerOf(p, lrnA);
    expect(a.step.kind).toBe('lrn');
    if (a.step.kind !== 'lrn') return;
    expect(a.step.input).toEqual(c.view(c1));
    // Its output is quantized for the u8 pool.
    const afterA = steps[a.index + 1];
    expect(afterA.kind).toBe('quantize');
    if (afterA.kind !== 'quantize') return;
    expect(afterA.input).toEqual(a.step.out);
    expect(isU8(afterA.out)).toBe(true);
    const pool1 = writerOf(p, p1).step;
    expect(pool1.kind).toBe('u8MaxPool');
    if (pool1.kind !== 'u8MaxPool') return;
    expect(pool1.input, 'the pool reads the quantized LRN output').toEqual(afterA.out);

    // lrnB reads a u8 value: dequantize → lrn → quantize.
    const b = writerOf(p, lrnB);
    const before = steps[b.index - 1];
    const after = steps[b.index + 1];
    expect([before.kind, b.step.kind, after.kind]).toEqual(['dequantize', 'lrn', 'quantize']);
    if (before.kind !== 'dequantize' || b.step.kind !== 'lrn' || after.kind !== 'quantize') return;
    expect(before.input).toEqual(c.view(p1));
    expect(before.params).toEqual(q(p1));
    expect(isU8(before.out)).toBe(false);
    expect(b.step.input).toEqual(before.out);
    expect(after.input).toEqual(b.step.out);
    const conv2 = writerOf(p, c2).step;
    expect(isInt8Conv(conv2), 'c2 is an int8 conv').toBe(true);
    expect(inputOf(conv2), 'c2 reads the quantized LRN output').toEqual(after.out);

    // The output is a u8 pool: the last step dequantizes it into the output view.
    const last = steps[steps.length - 1];
    expect(last.kind).toBe('dequantize');
    if (last.kind !== 'dequantize') return;
    expect(last.input).toEqual(c.view(p2));
    expect(last.params).toEqual(q(p2));
    expect(last.out).toEqual(c.output);
    expect(isU8(c.output)).toBe(false);

    expectExact(p);
    expect(await sessionSqnr(g)).toBeGreaterThan(25);
  });

  it('depthwise conv runs in f32 between a dequantize and a quantize; a global-pool output is dequantized', async () => {
    const { g, p1, dw, c2, gap } = depthwiseGraph();
    const p = await compile(g);
    const c = p.compiled;
    const steps = c.program.steps;
    const d = writerOf(p, dw);
    expect(d.step.kind, 'the depthwise conv is an f32 dwconv step').toBe('dwconv');
    if (d.step.kind !== 'dwconv') return;
    expect(isU8(d.step.input) || isU8(d.step.out)).toBe(false);
    expect([...c.int8.u8Ops].some((op) => op.name === 'dw'), 'not among the u8 ops').toBe(false);
    expect(c.int8.layers.some((l) => l.name === 'dw'), 'no int8 weights for it').toBe(false);
    const before = steps[d.index - 1];
    const after = steps[d.index + 1];
    expect([before.kind, after.kind]).toEqual(['dequantize', 'quantize']);
    if (before.kind !== 'dequantize' || after.kind !== 'quantize') return;
    expect(before.input).toEqual(c.view(p1));
    expect(d.step.input).toEqual(before.out);
    expect(after.input).toEqual(d.step.out);
    const conv2 = writerOf(p, c2).step;
    expect(isInt8Conv(conv2), 'c2 is an int8 conv').toBe(true);
    expect(inputOf(conv2), 'c2 reads the quantized dwconv output').toEqual(after.out);
    const last = steps[steps.length - 1];
    expect(last.kind === 'dequantize' && last.input).toEqual(c.view(gap));
    expect(last.kind === 'dequantize' && last.out).toEqual(c.output);

    expectExact(p);
    expect(await sessionSqnr(g)).toBeGreaterThan(25);
  });
});
