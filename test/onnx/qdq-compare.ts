/**
 * What the QDQ import tests (import-qdq.test.ts, import-qdq-pools.test.ts) share: the calibration
 * and held-out inputs of qdq-models.ts's network, our session and onnxruntime-node run on the same
 * file, the distance between them in steps of a quantisation, how a compiled int8 program runs its
 * pools (`poolForms`), and the two checks both files make of a file of that network: `checkProgram`
 * (the int8 program is the file's: params, integer weights, pool forms) and `compare` (features
 * within 1 step of onnxruntime, the head within the error the features explain).
 */
import { expect } from 'vitest';
import { packedI8GemmBytes } from '../../src/bindings/kernels/int8.js';
import { gemmDims } from '../../src/graph/algorithm.js';
import type { ConvNode, FcNode } from '../../src/graph/nodes.js';
import type { Op } from '../../src/graph/ops.js';
import { unpackI8Panels } from '../../src/onnx/export-qdq.js';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { createSession, type SessionOptions } from '../../src/session.js';
import { compileInt8Program, type Int8Program } from '../int8/program-oracle.js';
import { runOrt, seeded } from './helpers.js';
import { calibrate, dequantizeWeights, INPUT_SHAPE, LAYERS, type paramsFrom, quantizeWeights, type QP } from './qdq-models.js';

const COUNT = INPUT_SHAPE.reduce((a, b) => a * b, 1);
export const calibration = [11, 12, 13, 14].map((s) => seeded(COUNT, s));
export const heldOut = [21, 22].map((s) => seeded(COUNT, s));

let calibrated: ReturnType<typeof calibrate> | undefined;
/** The MinMax ranges of qdq-models.ts's network over `calibration`, computed once per test file. */
export const ranges = () => (calibrated ??= calibrate(calibration));

/** A file's (s, z) as the engine's u8 params: int8 zero points move up by 128. */
export const u8 = (p: QP) => ({ scale: p.scale, zeroPoint: p.signed ? p.zero + 128 : p.zero });

export async function runOurs(bytes: Uint8Array, x: Float32Array, options: Partial<SessionOptions> = {}): Promise<{ out: Float32Array; precision: string }> {
  const s = await createSession({ onnx: bytes, threads: 1, ...options } as SessionOptions);
  try {
    return { out: (await s.run(x)).logits, precision: s.info.precision };
  } finally {
    await s.dispose();
  }
}

export const ortOut = async (bytes: Uint8Array, x: Float32Array) => [...(await runOrt(bytes, 'x', x, INPUT_SHAPE)).values()][0];

export function maxSteps(a: Float32Array, b: Float32Array, step: number): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / step);
  return worst;
}

type PoolOp = Extract<Op, { kind: 'maxPool' | 'avgPool' | 'globalAvgPool' }>;
export const isPoolOp = (op: Op): op is PoolOp => op.kind === 'maxPool' || op.kind === 'avgPool' || op.kind === 'globalAvgPool';

/**
 * How a compiled int8 program runs each pool: on u8 (with its input's and output's params), or
 * in f32 (with the params of the dequantize writing its input and of the quantize reading its
 * output, directly or through a flatten; undefined where there is none).
 */
export type PoolForm = { kind: PoolOp['kind']; u8: boolean; input?: { scale: number; zeroPoint: number }; output?: { scale: number; zeroPoint: number } };

export function poolForms(p: Int8Program): PoolForm[] {
  const { ops, int8 } = p.compiled;
  return ops.filter(isPoolOp).map((op) => {
    if (int8.u8Ops.has(op)) return { kind: op.kind, u8: true, input: int8.values.quant(op.input), output: int8.values.quant(op.output) };
    const dq = ops.find((o) => o.kind === 'dequantize' && o.output === op.input);
    const flattens = ops.filter((o): o is Extract<Op, { kind: 'flatten' }> => o.kind === 'flatten' && o.input === op.output);
    const outputs = new Set([op.output, ...flattens.map((o) => o.output)]);
    const q = ops.find((o) => o.kind === 'quantize' && outputs.has(o.input));
    return { kind: op.kind, u8: false, input: dq?.kind === 'dequantize' ? dq.params : undefined, output: q?.kind === 'quantize' ? q.params : undefined };
  });
}

/**
 * Checks the int8 program built from the file's ranges: every u8 param is one of the file's,
 * every packed weight the file's integer, and its pools run as `pools` says (default: all u8,
 * each at one quantisation).
 */
export async function checkProgram(bytes: Uint8Array, params: QP[], pools?: PoolForm[]): Promise<void> {
  const imported = importOnnxBytes(bytes);
  expect(imported.quantization, 'the importer records activation ranges').toBeDefined();
  const p = await compileInt8Program(imported.graph, imported.weights, imported.quantization!.ranges);
  const allowed = params.map((q) => JSON.stringify(u8(q)));
  for (const [v, q] of p.compiled.int8.values.params) {
    expect(allowed, `params of '${p.compiled.int8.values.node(v).name}'`).toContain(JSON.stringify(q));
  }
  const inputParams = p.compiled.int8.values.params.get(imported.graph.inputs[0]);
  expect(inputParams, 'the input is quantized at the file\'s x params').toEqual(u8(params[0]));
  let lastBit = 0;
  for (const layer of p.compiled.int8.layers) {
    const node = imported.graph.nodes.find((n): n is ConvNode | FcNode => (n.kind === 'conv' || n.kind === 'fc') && n.name === layer.name)!;
    const key = node.weight.replace(/\.w(_q)?$/, '') as keyof typeof LAYERS;
    const file = quantizeWeights(LAYERS[key].w, LAYERS[key].dims[0]);
    const [o, i, kh, kw] = gemmDims(node);
    const unpacked = unpackI8Panels(p.arena.u8(layer.panels, packedI8GemmBytes(o, layer.depth)), o, i, kh, kw);
    expect(Array.from(unpacked.weights), `int8 weights of '${layer.name}' are the file's`).toEqual(Array.from(file.q));
    layer.weightScales.forEach((s, c) => {
      expect(Math.abs(s - file.s[c]) / file.s[c], `weight scale of '${layer.name}' channel ${c}`).toBeLessThanOrEqual(2 ** -23);
      if (s !== file.s[c]) lastBit++;
    });
  }
  const forms = poolForms(p);
  expect(forms, 'how the pools run').toEqual(pools ?? forms.map((f) => ({ ...f, u8: true, input: f.output })));
  console.log(`int8 program: ${p.compiled.int8.values.params.size} u8 values at the file's params; ${p.compiled.int8.layers.length} layers, weights exact; ${lastBit} weight scale(s) 1 ulp off the file's`);
}

/**
 * Our int8 session vs onnxruntime on the `features` cut (the dequantized pooled features, a
 * quantized output: max |Δ| in steps of its scale) and on the `head` file (the fc after them):
 * max |Δ| over the bound the features' own difference explains, per element
 *   Σ_k |W[o][k]|·|Δfeature_k| + s_g·sW[o] (the bias's rounding) + half an output step when the
 *   file rounds the head's output (our f32-written output is not rounded) + float slack.
 */
export async function compare(features: Uint8Array, head: Uint8Array, p: ReturnType<typeof paramsFrom>, headStep: number): Promise<{ features: number; head: number }> {
  const { q: fcQ, s: fcS } = quantizeWeights(LAYERS.fc.w, 10);
  const fcW = dequantizeWeights(fcQ, fcS);
  let worstFeature = 0;
  let worstHead = 0;
  for (const x of heldOut) {
    const ours = await runOurs(features, x);
    const theirs = await ortOut(features, x);
    worstFeature = Math.max(worstFeature, maxSteps(ours.out, theirs, p.g.scale));
    const oursHead = await runOurs(head, x);
    const theirHead = await ortOut(head, x);
    expect([ours.precision, oursHead.precision], 'int8 from the file alone').toEqual(['int8', 'int8']);
    for (let n = 0; n < 2; n++) {
      for (let o = 0; o < 10; o++) {
        let bound = p.g.scale * fcS[o] + headStep / 2 + 1e-5 * (1 + Math.abs(theirHead[n * 10 + o]));
        for (let k = 0; k < 12; k++) bound += Math.abs(fcW[o * 12 + k]) * Math.abs(ours.out[n * 12 + k] - theirs[n * 12 + k]);
        worstHead = Math.max(worstHead, Math.abs(oursHead.out[n * 10 + o] - theirHead[n * 10 + o]) / bound);
      }
    }
  }
  return { features: worstFeature, head: worstHead };
}
