/**
 * A pool in a quantized ONNX file (src/onnx/import-qdq.ts), onnxruntime-node as the oracle on the
 * same file; the networks and the MinMax quantizer are qdq-models.ts's:
 *  - a pool whose output the file quantizes at params of its own (a finer GlobalAveragePool, an
 *    AveragePool 3×3/1 pad 1 count_include_pad 1 at its own calibrated params, a MaxPool at chosen
 *    other params; uint8 and int8): the pool runs in f32 between a dequantize at the input's params
 *    and a quantize at the output's, and the pooled tensor and the quantized conv after it are
 *    within 1 step of onnxruntime (the float logits within the error the features explain);
 *  - a calibrated program's pools stay u8, sharing one quantisation, though their calibrated ranges
 *    differ; the same ranges marked as a file's put the pools whose params differ in f32 (these
 *    count against the calibrated ranges themselves, through paramsForRange, not onnxruntime).
 */
import { describe, expect, it } from 'vitest';
import { paramsForRange, type ValueRange } from '../../src/graph/int8/quant-params.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { miniNetwork } from '../graph/mini.js';
import { compileInt8Program, rangesFor } from '../int8/program-oracle.js';
import { seeded } from './helpers.js';
import { calibration, checkProgram, compare, heldOut, isPoolOp, maxSteps, ortOut, poolForms, ranges, runOurs, u8 } from './qdq-compare.js';
import { calibratePool, paramsFrom, POOL_HEAD, poolParamsFrom, poolQdqModel, qdqModel, type PoolKind } from './qdq-models.js';

describe('a pool the file quantizes at its own params vs onnxruntime', () => {
  it("a GlobalAveragePool quantized finer than its input: the pool runs in f32 and its output is quantized at the file's own params; features within 1 step, logits within the features' error", async () => {
    const p = paramsFrom(await ranges(), false, true);
    expect(p.g.scale, 'the pool output has a finer scale of its own').toBeLessThan(p.cat.scale / 2);
    const r = await compare(qdqModel(p, { output: 'features' }), qdqModel(p, { output: 'logits' }), p, 0);
    console.log(`QDQ, pool at its own params: features max |Δ| = ${r.features.toFixed(3)} steps of the file's pool scale; logits ${r.head.toFixed(3)} of the explained bound`);
    expect(r.features).toBeLessThanOrEqual(1 + 1e-4);
    expect(r.head).toBeLessThanOrEqual(1);
    await checkProgram(qdqModel(p, { output: 'logits' }), [p.x, p.r1, p.b1, p.cat, p.g], [
      { kind: 'maxPool', u8: true, input: u8(p.r1), output: u8(p.r1) },
      { kind: 'globalAvgPool', u8: false, input: u8(p.cat), output: u8(p.g) },
    ]);
  });

  const poolCases: Array<{ kind: PoolKind; signed: boolean }> = [{ kind: 'avg', signed: false }, { kind: 'avg', signed: true }, { kind: 'max', signed: false }];
  const poolRanges = new Map<PoolKind, ReturnType<typeof calibratePool>>();
  it.each(poolCases)("a $kind pool 3×3/1 pad 1 whose output the file quantizes at its own params (signed $signed), feeding a quantized 1×1 conv: the pooled tensor and the conv's output within 1 step of onnxruntime", async ({ kind, signed }) => {
    let r = poolRanges.get(kind);
    if (r === undefined) poolRanges.set(kind, (r = calibratePool(kind, calibration)));
    const p = poolParamsFrom(await r, kind, signed);
    expect(u8(p.pooled), 'the pool output has params of its own').not.toEqual(u8(p.r1));
    if (kind === 'avg') expect(p.pooled.scale, 'the mean is quantized finer than its input').toBeLessThan(p.r1.scale);
    const [pooled, head] = [poolQdqModel(kind, p, 'pooled'), poolQdqModel(kind, p, 'head')];
    let [worstPooled, worstHead] = [0, 0];
    for (const x of heldOut) {
      const ours = await runOurs(pooled, x);
      const oursHead = await runOurs(head, x);
      expect([ours.precision, oursHead.precision], 'int8 from the file alone').toEqual(['int8', 'int8']);
      worstPooled = Math.max(worstPooled, maxSteps(ours.out, await ortOut(pooled, x), p.pooled.scale));
      worstHead = Math.max(worstHead, maxSteps(oursHead.out, await ortOut(head, x), p.y.scale));
    }
    console.log(`QDQ ${kind} pool at its own params (${signed ? 'int8' : 'uint8'}): pooled max |Δ| = ${worstPooled.toFixed(3)} steps, 1×1 conv output max |Δ| = ${worstHead.toFixed(3)} steps`);
    expect(worstPooled).toBeLessThanOrEqual(1 + 1e-4);
    expect(worstHead).toBeLessThanOrEqual(1 + 1e-4);

    const imported = importOnnxBytes(head);
    const program = await compileInt8Program(imported.graph, imported.weights, imported.quantization!.ranges);
    expect(poolForms(program), 'the pool runs in f32 between the file\'s input and output params').toEqual([
      { kind: kind === 'avg' ? 'avgPool' : 'maxPool', u8: false, input: u8(p.r1), output: u8(p.pooled) },
    ]);
    // The conv before the pool writes u8 codes at the file's params, which the pool reads
    // dequantized: what the file's pool reads.
    const { ops, int8 } = program.compiled;
    const pool = ops.find(isPoolOp)!;
    const dq = ops.find((o) => o.kind === 'dequantize' && o.output === pool.input);
    const conv1 = int8.layers.find((l) => dq?.kind === 'dequantize' && l.output === dq.input);
    expect(conv1?.output8, 'the conv before the pool writes u8 at r1\'s params').toEqual(u8(p.r1));
    expect(int8.layers.map((l) => l.depth), 'conv1 and the 1×1 head').toEqual([27, POOL_HEAD.dims[1]]);
  });
});

describe("a calibrated program's pools", () => {
  const cases = [
    { name: 'googlenet at 96 px', graph: () => buildNetwork('googlenet', { inputSize: 96 }), kinds: ['maxPool', 'globalAvgPool'] },
    { name: 'mini network (33×41)', graph: () => miniNetwork(1, 33, 41), kinds: ['maxPool', 'avgPool', 'globalAvgPool'] },
  ];
  it.each(cases)('$name calibrated: every pool on u8 at one quantisation, though calibrated ranges differ; the same ranges marked as a file\'s put exactly the pools whose params differ in f32', async ({ name, graph, kinds: poolKinds }) => {
    const g = graph();
    const weights = seededWeights(g.weights);
    const [, h, w, c] = g.shape(g.inputs[0]);
    const calibrated = await rangesFor(g, weights, [1, 2].map((s) => seeded(c * h * w, 60 + s)));
    const p = await compileInt8Program(g, weights, calibrated);
    const forms = poolForms(p);
    expect(new Set(forms.map((f) => f.kind)), 'the kinds of pool').toEqual(new Set(poolKinds));
    expect(forms, 'every pool on u8 at one quantisation').toEqual(forms.map((f) => ({ ...f, u8: true, input: f.output })));
    const kinds = p.compiled.program.steps.map((s) => s.kind);
    expect(kinds.filter((k) => k === 'u8MaxPool' || k === 'u8AvgPool' || k === 'u8GlobalAvgPool').length, 'one u8 step per pool').toBe(forms.length);
    expect(kinds.filter((k) => k === 'maxPool' || k === 'avgPool' || k === 'globalAvgPool'), 'no f32 pool step').toEqual([]);

    // The pools whose input and output calibrate to different params: a u8 pool keeps one
    // quantisation by choice, not because the ranges agree. A concat is written by its inputs
    // (no step writes it, so calibration records none): its range is theirs, united; a
    // conversion's copy has the range of the value it copies.
    const rangeOf = (v: ValueId): ValueRange => {
      const r = calibrated.get(v);
      if (r !== undefined) return r;
      const conversion = p.compiled.ops.find((o) => (o.kind === 'quantize' || o.kind === 'dequantize') && o.output === v);
      if (conversion?.kind === 'quantize' || conversion?.kind === 'dequantize') return rangeOf(conversion.input);
      const node = g.node(v);
      expect(node.kind, `'${node.name}' has a range or is a concat`).toBe('concat');
      const parts = node.inputs.map(rangeOf);
      return { min: Math.min(...parts.map((x) => x.min)), max: Math.max(...parts.map((x) => x.max)) };
    };
    const pools = p.compiled.ops.filter(isPoolOp);
    const differ = pools.filter((op) => JSON.stringify(paramsForRange(rangeOf(op.input))) !== JSON.stringify(paramsForRange(rangeOf(op.output))));
    expect(differ.length, 'pools whose calibrated input and output params differ').toBeGreaterThan(0);
    console.log(`${name} calibrated: ${pools.length} pools on u8; ${differ.length} of them calibrate to different input and output params`);

    // The same ranges as a file's: only then does a pool leave u8 — the switch is `fixed`.
    const asFile = new Map([...calibrated].map(([v, r]) => [v, { ...r, fixed: true }]));
    const fileForms = poolForms(await compileInt8Program(g, weights, asFile));
    expect(fileForms.filter((f) => !f.u8).length, 'pools in f32 when the ranges are a file\'s').toBe(differ.length);
  });
});
