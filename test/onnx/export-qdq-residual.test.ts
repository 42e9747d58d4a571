/**
 * One Inception-ResNet block, exported as QDQ (src/onnx/export-qdq.ts) and run in
 * onnxruntime-node (the oracle), compared value by value with the int8 program that wrote it
 * (issue 21: Inception-ResNet-v2's logits drift by up to ~2.7 output steps through 40 blocks).
 *
 * The graph: a stem unit (3×3 conv, BN, ReLU) → branches (1×1; 1×1 → 3×3) → concat → 1×1 up
 * projection with bias → relu(stem + 0.17·up) — fused into the up conv's epilogue, exported as
 * DQ → Conv → Mul(0.17) → Add(DQ(stem)) → Relu → Q, which onnxruntime runs in float — then a
 * strided unit, global pool and FC. Seeded weights, calibrated on 3 seeded inputs, compared on 6
 * held-out inputs. Each u8 value is an extra uint8 output of the model; ours are the program's
 * bytes right after the op that wrote them (bench/qdq/case.ts).
 *  - Every u8 value before the block (quantized input, stem, branches, concat) equals
 *    onnxruntime's exactly (its QLinearConv does our integer arithmetic), so the block's
 *    epilogue alone decides its output.
 *  - The block's output is within 1 step of ours; every element that differs has an exact
 *    epilogue value (float64, bench/qdq/epilogue.ts) within 1e-4 steps of a rounding
 *    boundary — float summation order, not a semantic mismatch — and our epilogue emulated in
 *    f32 from the same bytes gives our codes.
 *  - The integer-residual form (bench/qdq/integer-residual.ts, an experiment) makes every
 *    value and the logits bit-identical.
 * The model compared is byte for byte `session.exportOnnx()`'s. Counts are printed.
 */
import { describe, expect, it } from 'vitest';
import { Graph } from '../../src/graph/graph.js';
import { pads } from '../../src/graph/geometry.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { encodeModel, type OnnxModel } from '../../src/onnx/onnx-proto.js';
import { createSession } from '../../src/session.js';
import { unit } from '../int8/small-graphs.js';
import {
  compileInt8Case, nchwShape, nchwToNhwc, outputStep, runInt8Walk, runOrtOptimised, seededCase, typesText, u8TensorNames, u8Values, withU8Outputs,
  type Case, type Int8Case,
} from '../../bench/qdq/case.js';
import { analyseResidualPart } from '../../bench/qdq/epilogue.js';
import { integerResidualForm } from '../../bench/qdq/integer-residual.js';

const RESIDUAL_SCALE = 0.17;
const INPUTS = 16;
/** A differing element's exact value lies closer than this to x.5 (output steps): what float re-summation can move. */
const NEAR = 1e-4;

function blockGraph(): { g: Graph; block: ValueId } {
  const g = new Graph();
  const x = g.input('input', [1, 32, 32, 3]);
  const stem = unit(g, 'stem', x, 128, 3);
  const b1 = unit(g, 'b1', stem, 128, 1);
  const b2 = unit(g, 'b2b', unit(g, 'b2a', stem, 64, 1), 192, 3);
  const up = g.conv('up', g.concat('cat', [b1, b2]), { outChannels: 128, kernelH: 1, kernelW: 1, weight: 'up.weight', bias: 'up.bias' });
  const block = g.relu('block.relu', g.add('block', stem, up, RESIDUAL_SCALE));
  const head = unit(g, 'head', block, 32, 3, 2);
  g.markOutput(g.fc('fc', g.flatten('flatten', g.globalAvgPool('gap', head)), { outFeatures: 10, weight: 'fc.weight', bias: 'fc.bias' }));
  return { g, block };
}

interface Compared {
  /** Per u8 value (program order): elements differing and max |Δ| in codes, over all inputs. */
  rows: Array<{ name: string; v: ValueId; differing: number; maxDelta: number; elements: number }>;
  ortTheirs: Array<Map<ValueId, Uint8Array>>;
  walks: ReturnType<typeof runInt8Walk>[];
  logitSteps: number;
  types: string;
}

/** Runs `model` (with every u8 value as an extra output) in onnxruntime and our program on the held-out inputs. */
async function compare(c: Case, p: Int8Case, model: OnnxModel): Promise<Compared> {
  const values = u8Values(p);
  const names = u8TensorNames(p.model, values);
  const ort = await runOrtOptimised(encodeModel(withU8Outputs(model, names.values())), c.heldOut, nchwShape(c.graph));
  const walks = c.heldOut.map((x) => runInt8Walk(p, x, values));
  const ortTheirs = ort.outputs.map((o) => new Map(values.map((x) => [x.v, nchwToNhwc(o[names.get(x.v)!].data as Uint8Array, p.compiled.int8.values.shape(x.v))])));
  const rows = values.map((x) => {
    let differing = 0;
    let maxDelta = 0;
    let elements = 0;
    walks.forEach((walk, k) => {
      const ours = walk.bytes.get(x.v)!;
      const theirs = ortTheirs[k].get(x.v)!;
      expect(theirs.length, `'${x.name}' element count`).toBe(ours.length);
      elements += ours.length;
      for (let i = 0; i < ours.length; i++) {
        const d = Math.abs(ours[i] - theirs[i]);
        if (d > 0) differing++;
        maxDelta = Math.max(maxDelta, d);
      }
    });
    return { name: x.name, v: x.v, differing, maxDelta, elements };
  });
  const step = await outputStep(c);
  let worst = 0;
  walks.forEach((walk, k) => walk.logits.forEach((y, i) => (worst = Math.max(worst, Math.abs(y - ort.logits[k][i])))));
  return { rows, ortTheirs, walks, logitSteps: worst / step, types: typesText(ort.types) };
}

describe('QDQ export of one Inception-ResNet block → onnxruntime, value by value', () => {
  const { g, block } = blockGraph();
  const c = seededCase(g, undefined, INPUTS);
  const program = compileInt8Case(c);

  it('the file is session.exportOnnx()\'s', async () => {
    const p = await program;
    const s = await createSession({ graph: g, weights: c.weights, threads: 1, precision: 'int8', calibration: { inputs: c.calibration, layout: 'nchw' } });
    try {
      expect(Buffer.from(s.exportOnnx()).equals(Buffer.from(encodeModel(p.model)))).toBe(true);
    } finally {
      await s.dispose();
    }
  }, 60_000);

  it('values before the block exactly equal; the block output within 1 step, every difference at a rounding boundary', async () => {
    const p = await program;
    const r = await compare(c, p, p.model);
    const at = r.rows.findIndex((x) => x.v === block);
    expect(at, 'the block output is a u8 value the residual conv writes').toBeGreaterThan(0);
    const blockRow = r.rows[at];
    for (const x of r.rows.slice(0, at)) expect(x.differing, `'${x.name}' before the block: elements differing from onnxruntime`).toBe(0);
    expect(blockRow.maxDelta, `block output: max |ours − onnxruntime| in its steps (${blockRow.differing} of ${blockRow.elements} differ)`).toBeLessThanOrEqual(1);

    // The block's epilogue from the bytes it read, on every input.
    const op = p.compiled.ops.find((o) => o.kind === 'conv' && o.parts.some((q) => q.output === block))!;
    if (op.kind !== 'conv') throw new Error('unreachable');
    const part = op.parts.find((q) => q.output === block)!;
    expect(part.residual?.scale).toBe(RESIDUAL_SCALE);
    let maxDistance = 0;
    let near = 0;
    let differing = 0;
    r.walks.forEach((walk, k) => {
      const seen = walk.residualInputs.get(p.compiled.ops.indexOf(op))!;
      const a = analyseResidualPart(p, part, p.compiled.int8.values.shape(op.input), seen.input, seen.residuals.get(part.residual!.value)!,
        walk.bytes.get(block)!, r.ortTheirs[k].get(block)!, NEAR);
      expect(a.emulationMismatches, `input ${k}: our f32 epilogue recomputed from the bytes read gives our codes`).toBe(0);
      differing += a.differing.length;
      near += a.nearBoundary;
      for (const d of a.differing) {
        expect(d.distance, `input ${k}, element ${d.at}: exact ${d.exact}, ours ${d.ours}, onnxruntime ${d.theirs}`).toBeLessThan(NEAR);
      }
      maxDistance = Math.max(maxDistance, a.maxDistance);
    });
    console.log(`block (${blockRow.elements} elements over ${INPUTS} inputs): ${blockRow.differing} differ from onnxruntime, max |Δ| ${blockRow.maxDelta} step(s); ` +
      `largest distance of a differing element from a rounding boundary ${maxDistance.toExponential(2)} steps; ${near} elements within ${NEAR}; ` +
      `after the block: ${r.rows.slice(at + 1).map((x) => `${x.name} ${x.differing}`).join(', ')}; logits within ${r.logitSteps.toFixed(3)} output steps; ` +
      `onnxruntime runs: ${r.types}`);
    expect(differing).toBe(blockRow.differing);
  }, 120_000);

  it('integer-residual form (experiment): every value and the logits bit-identical', async () => {
    const p = await program;
    const f = integerResidualForm(p);
    expect(f.chains).toBe(1);
    expect(f.bound, 'partial sums stay below 2^24').toBeLessThan(2 ** 24);
    const r = await compare(c, p, f.model);
    for (const x of r.rows) expect(x.differing, `'${x.name}': elements differing from onnxruntime`).toBe(0);
    expect(r.logitSteps).toBe(0);
    console.log(`integer-residual form: ${r.rows.length} u8 values and the logits identical; onnxruntime runs: ${r.types}`);
  }, 120_000);
});
