/**
 * `npx tsx bench/qdq-drift.ts [--model inception_resnet_v2 --size 107 --inputs 2 --form export|integer-residual
 * --out dir --name stem --skip-session-check]`
 *
 * Where a QDQ export (src/onnx/export-qdq.ts) run in onnxruntime-node stops agreeing with the
 * int8 session that wrote it, value by value, and why (issue 21):
 *
 * 1. **The case** is export-qdq.test.ts's (bench/qdq/case.ts `seededCase`): the network with
 *    seeded weights, calibrated on seeded inputs 11–13, run on `--inputs` held-out inputs (seeds
 *    101…). The int8 program is compiled as a one-thread session compiles it, and its QDQ model
 *    is checked to be byte for byte `session.exportOnnx()`'s (unless `--skip-session-check`).
 * 2. **Per value**: every u8 value the program writes (conv and residual-conv outputs, pools,
 *    the input's quantize, concats of slices) is added to the model as an extra uint8 graph
 *    output; onnxruntime's codes are compared with ours, kept right after the op that wrote them
 *    (bench/qdq/case.ts `runInt8Walk`). The extra outputs must not change what onnxruntime
 *    runs: its optimised node types and its logits (bit for bit) are compared with the plain
 *    model's, and the report says so. One row per value in program order: scale, elements (all
 *    inputs), elements differing, their fraction, max |Δ| in that value's steps (codes); the
 *    logits last, in output steps (calibrated range / 255). The first differing value is named.
 * 3. **Why**: every residual conv part's epilogue is recomputed from the bytes it read in our
 *    program, in float64 and in our f32 order (bench/qdq/epilogue.ts): whether the f32
 *    emulation gives our codes (it must), how many of our codes differ from the exact rounding,
 *    how many elements lie within NEAR steps of a rounding boundary (t − ⌊t⌋ = ½) — what a float
 *    re-summation can flip in that part alone. On each input where the part's input and
 *    residual bytes agree with onnxruntime's (so the part alone decides): how many elements
 *    differ, the largest distance from a boundary among them, how many of onnxruntime's codes
 *    differ from the exact rounding; and every such element listed.
 * 4. `--form integer-residual` (an experiment, bench/qdq/integer-residual.ts; export-qdq.ts
 *    is unchanged) rewrites each residual chain of the exported model so its float ops carry
 *    integers and our epilogue's f32 ops:
 *    DQ(x, 1, zIn) → Conv(DQ(W, 1), DQ(bias, 1)) = acc + bias exactly (|every partial sum| < 2²⁴,
 *    checked per layer) → Mul(scale[o]) → Add(Mul(DQ(res, 1, zRes), f32(sRes/sOut))) → Relu →
 *    Q(1, zOut). Every other node stays QDQ at its real scales; the readers of the chain's output
 *    still dequantize it at sOut. The report gives onnxruntime's node types for it.
 *
 * The markdown report on stdout; `--out dir` also writes `<dir>/<name>.md`. Progress on stderr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ValueId } from '../src/graph/nodes.js';
import type { ConvPart } from '../src/graph/ops.js';
import { buildNetwork, MODELS } from '../src/inception/models.js';
import { encodeModel } from '../src/onnx/onnx-proto.js';
import { createSession } from '../src/session.js';
import {
  compileInt8Case, nchwShape, nchwToNhwc, outputStep, runInt8Walk, runOrtOptimised, seededCase, typesText, u8TensorNames, u8Values,
  withU8Outputs, type Int8Walk, type U8Value,
} from './qdq/case.js';
import { analyseResidualPart, type DifferingElement, type EpilogueAnalysis } from './qdq/epilogue.js';
import { integerResidualForm } from './qdq/integer-residual.js';
import { markdownTable, parseOrExit } from './harness/index.js';

const COMMAND = 'npx tsx bench/qdq-drift.ts';
const o = parseOrExit({
  model: { type: 'string', default: 'inception_resnet_v2', choices: Object.keys(MODELS), help: 'network' },
  size: { type: 'int', default: 107, min: 1, help: 'square input size' },
  inputs: { type: 'int', default: 2, min: 1, help: 'held-out inputs (seeds 101, 102, …)' },
  form: { type: 'string', default: 'export', choices: ['export', 'integer-residual'], help: 'the model onnxruntime runs: the export as written, or the integer-residual experiment' },
  out: { type: 'string', help: 'also write the report to <out>/<name>.md' },
  name: { type: 'string', default: 'qdq-drift', help: 'report file stem' },
  'skip-session-check': { type: 'boolean', help: 'do not compare the model with session.exportOnnx()' },
}, process.argv.slice(2), { command: COMMAND, summary: 'Layer-by-layer agreement of an exported QDQ model in onnxruntime with the int8 session.' });

const log = (s: string) => process.stderr.write(`${s}\n`);
/** Distance from a rounding boundary (output steps) below which the analysis counts an element as near it. */
const NEAR = 1e-4;
const steps = (x: number) => (x === 0 ? '0' : x.toFixed(x >= 1 ? 2 : 3));

/** An epilogue analysis summed over the inputs; each differing element tagged with its input. */
type PartAnalysis = Omit<EpilogueAnalysis, 'differing'> & { differing: Array<DifferingElement & { input: number }> };

interface Row { value: U8Value; scale: number; elements: number; differing: number; maxDelta: number; differingPerInput: number[] }

/** Node-type counts that differ between two optimised models, 'type a → b'. */
function typesDelta(a: Map<string, number>, b: Map<string, number>): string {
  const types = [...new Set([...a.keys(), ...b.keys()])];
  return types.filter((t) => a.get(t) !== b.get(t)).map((t) => `${t} ${a.get(t) ?? 0} → ${b.get(t) ?? 0}`).join(', ');
}

async function main(): Promise<void> {
  const graph = buildNetwork(o.model, { inputSize: o.size, batch: 1 });
  const c = seededCase(graph, undefined, o.inputs);
  log(`${o.model}@${o.size}: compiling the int8 program (calibration on 3 inputs) …`);
  const p = await compileInt8Case(c);
  const exported = encodeModel(p.model);
  let sessionCheck = 'not checked (--skip-session-check)';
  if (!o['skip-session-check']) {
    log('checking against session.exportOnnx() …');
    const s = await createSession({ graph, weights: c.weights, threads: 1, precision: 'int8', calibration: { inputs: c.calibration, layout: 'nchw' } });
    try {
      const theirs = s.exportOnnx();
      if (theirs.length !== exported.length || theirs.some((b, i) => b !== exported[i])) throw new Error('the model differs from session.exportOnnx()');
      sessionCheck = `the export (before any rewrite) is byte-identical to session.exportOnnx() (${exported.length} bytes)`;
    } finally {
      await s.dispose();
    }
  }
  const values = u8Values(p);
  const names = u8TensorNames(p.model, values);
  let base = p.model;
  let formNote = 'the export as written';
  if (o.form === 'integer-residual') {
    const f = integerResidualForm(p);
    base = f.model;
    formNote = `integer-residual: ${f.chains} residual chains rewritten; largest |partial sum| bound K·255·127 + |bias| = ${f.bound} ` +
      `(${f.bound < 2 ** 24 ? '<' : '≥'} 2²⁴ = ${2 ** 24}: float sums of these integers are ${f.bound < 2 ** 24 ? 'exact in any order' : 'NOT guaranteed exact'})`;
  }
  const shape = nchwShape(graph);
  log(`onnxruntime: plain model, then with ${names.size} extra uint8 outputs …`);
  const plain = await runOrtOptimised(encodeModel(base), c.heldOut, shape);
  const probed = await runOrtOptimised(encodeModel(withU8Outputs(base, names.values())), c.heldOut, shape);
  const sameTypes = typesText(plain.types) === typesText(probed.types);
  const sameLogits = plain.logits.every((l, k) => l.every((x, i) => Object.is(x, probed.logits[k][i])));

  log(`our program, ${c.heldOut.length} input(s) …`);
  const walks: Int8Walk[] = c.heldOut.map((x) => runInt8Walk(p, x, values));
  const { values: vals } = p.compiled.int8;
  const ortNhwc = (v: ValueId, k: number) => nchwToNhwc(probed.outputs[k][names.get(v)!].data as Uint8Array, vals.shape(v));
  const rows: Row[] = values.map((value) => {
    const row: Row = { value, scale: vals.quant(value.v).scale, elements: 0, differing: 0, maxDelta: 0, differingPerInput: walks.map(() => 0) };
    walks.forEach((walk, k) => {
      const ours = walk.bytes.get(value.v)!;
      const theirs = ortNhwc(value.v, k);
      if (theirs.length !== ours.length) throw new Error(`'${value.name}': onnxruntime returns ${theirs.length} elements, ours ${ours.length}`);
      row.elements += ours.length;
      for (let i = 0; i < ours.length; i++) {
        const d = Math.abs(ours[i] - theirs[i]);
        if (d > 0) {
          row.differing++;
          row.differingPerInput[k]++;
        }
        row.maxDelta = Math.max(row.maxDelta, d);
      }
    });
    return row;
  });
  const step = await outputStep(c);
  let logitDiff = 0;
  let logitMax = 0;
  let logitCount = 0;
  walks.forEach((walk, k) => {
    logitCount += walk.logits.length;
    walk.logits.forEach((x, i) => {
      const d = Math.abs(x - plain.logits[k][i]);
      if (d > 0) logitDiff++;
      logitMax = Math.max(logitMax, d / step);
    });
  });

  // 3. Every residual part against its exact epilogue; onnxruntime's codes too on each input
  // where the part's input and residual agree with onnxruntime's (so the part alone decides).
  const rowOf = new Map(rows.map((r) => [r.value.v, r]));
  const agrees = (v: ValueId, k: number) => rowOf.get(v)?.differingPerInput[k] === 0;
  /** compared: on how many inputs the part's input and residual agree with onnxruntime's. */
  const analyses: Array<{ a: PartAnalysis; row: Row; compared: number }> = [];
  for (const row of rows) {
    const op = p.compiled.ops[row.value.op];
    if (row.value.kind !== 'residual' || op.kind !== 'conv') continue;
    const part = op.parts.find((x) => x.output === row.value.v)!;
    let compared = 0;
    const total: PartAnalysis = { elements: 0, nearBoundary: 0, emulationMismatches: 0, differing: [], maxDistance: 0, atRisk: 0, oursOff: 0, theirsOff: 0 };
    walks.forEach((walk, k) => {
      const seen = walk.residualInputs.get(row.value.op)!;
      const alone = agrees(op.input, k) && agrees(part.residual!.value, k);
      if (alone) compared++;
      const a = analyseResidualPart(p, part, vals.shape(op.input), seen.input, seen.residuals.get(part.residual!.value)!, walk.bytes.get(row.value.v)!,
        alone ? ortNhwc(row.value.v, k) : undefined, NEAR);
      for (const key of ['elements', 'nearBoundary', 'emulationMismatches', 'atRisk', 'oursOff', 'theirsOff'] as const) total[key] += a[key];
      total.differing.push(...a.differing.map((d) => ({ ...d, input: k })));
      total.maxDistance = Math.max(total.maxDistance, a.maxDistance);
    });
    analyses.push({ a: total, row, compared });
  }

  const first = rows.find((r) => r.differing > 0);
  const out: string[] = [];
  out.push(`# QDQ drift: ${o.model}@${o.size}, ${c.heldOut.length} held-out input(s)`, '');
  out.push(`Command: \`${COMMAND} ${process.argv.slice(2).join(' ')}\`. Model: ${formNote}; ${sessionCheck}.`);
  out.push(`onnxruntime (CPU, 1 thread, default optimisations) runs: ${typesText(plain.types)}.`);
  const typesNote = sameTypes ? 'the same' : `differ (${typesDelta(plain.types, probed.types)}: NCHW graph outputs add Transposes to the NHWC ` +
    'layout onnxruntime picks, which may also drop layout-only DQ → Transpose → Q pairs)';
  const logitsNote = sameLogits ? 'bit-identical' : 'DIFFERENT: the probed values may not be what the plain model computes';
  out.push(`With the ${names.size} extra uint8 outputs: node types ${typesNote}; logits ${logitsNote}.`, '');
  out.push(first
    ? `First difference: value ${rows.indexOf(first) + 1}, '${first.value.name}' (${first.value.kind}), ${first.differing} of ${first.elements} elements.`
    : 'No u8 value differs.');
  const firstPerInput = walks.map((_, k) => {
    const r = rows.find((x) => x.differingPerInput[k] > 0);
    return r ? `input ${k}: '${r.value.name}' (${r.differingPerInput[k]})` : `input ${k}: none`;
  });
  out.push(`First differing value per input (elements differing): ${firstPerInput.join('; ')}.`);
  out.push(`Logits: ${logitDiff} of ${logitCount} differ; max |ours − onnxruntime| = ${logitMax.toFixed(3)} output steps (step ${step.toExponential(3)}).`, '');
  out.push('## Per value, program order', '', 'Δ in the value\'s own steps (codes); logits in output steps.', '');
  out.push(markdownTable(['#', 'value', 'kind', 'scale', 'elements', 'differing', 'fraction', 'max |Δ|'], [
    ...rows.map((r, i) => [String(i + 1), r.value.name, r.value.kind, r.scale.toExponential(3), String(r.elements), String(r.differing),
      (r.differing / r.elements).toExponential(2), String(r.maxDelta)]),
    ['', 'logits', 'f32', step.toExponential(3), String(logitCount), String(logitDiff), (logitDiff / logitCount).toExponential(2), steps(logitMax)],
  ], [0, 3, 4, 5, 6, 7]));
  out.push('', '## Residual parts: exact epilogue, and why onnxruntime differs', '');
  out.push(`t: the exact epilogue in output steps (float64, bench/qdq/epilogue.ts) from the bytes the part read in our program; ` +
    `distance |t − ⌊t⌋ − ½|. "emulation ≠ ours" must be 0 (our f32 epilogue recomputed from those bytes gives our codes). ` +
    `"near": elements within ${NEAR} steps of a boundary, the ones a re-summation in float can flip. The onnxruntime columns count only the ` +
    `inputs on which the part's input and residual agree with onnxruntime's ("inputs compared").`, '');
  out.push(markdownTable(['value', 'elements', 'emulation ≠ ours', 'ours ≠ exact rounding', `near (< ${NEAR})`, 'inputs compared', 'ORT differing',
    'max distance of an ORT-differing element', 'ORT ≠ exact rounding'],
  analyses.map(({ a, row, compared }) => [row.value.name, String(a.elements), String(a.emulationMismatches), String(a.oursOff), String(a.nearBoundary),
    `${compared}/${walks.length}`, compared ? String(a.differing.length) : '—', a.differing.length ? a.maxDistance.toExponential(2) : '—',
    compared ? String(a.theirsOff) : '—']), [1, 2, 3, 4, 6, 7, 8]));
  const flips = analyses.flatMap(({ a, row }) => a.differing.map((d) => ({ d, row })));
  if (flips.length > 0) {
    out.push('', `Every element where a part alone decided and onnxruntime differs (${flips.length}):`, '');
    out.push(markdownTable(['value', 'input', 'element (y, x, channel)', 'exact t + zero point', 'ours', 'onnxruntime', 'distance from ½'],
      flips.map(({ d, row }) => {
        const [, , wo, ch] = vals.shape(row.value.v);
        const where = `(${Math.floor(d.at / (wo * ch))}, ${Math.floor(d.at / ch) % wo}, ${d.at % ch})`;
        return [row.value.name, String(d.input), where, d.exact.toFixed(7), String(d.ours), String(d.theirs), d.distance.toExponential(2)];
      }), [1, 3, 4, 5, 6]));
  }
  const report = out.join('\n');
  console.log(report);
  if (o.out) {
    mkdirSync(o.out, { recursive: true });
    writeFileSync(path.join(o.out, `${o.name}.md`), `${report}\n`);
  }
}

await main();
