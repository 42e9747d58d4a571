/**
 * The official ONNX backend test cases (Debian's `libonnx-testdata`: node/, pytorch-converted/,
 * pytorch-operator/) run through our engine: every case whose ops are all claimed by the importer
 * (SUPPORTED_OPS, plus FOLD_ONLY_OPS, the ops it evaluates at load on constants and shapes; read
 * here, at run time, so the set grows with the importer) must either match the expected outputs
 * within the backend tests' tolerance or be rejected at load with a named error. None may return
 * wrong numbers. The counts (passed / rejected / wrong) and the per-op split are printed.
 *
 * The harness is shown to be able to fail: a passing case with its expected output put in NHWC
 * order (the engine's internal layout), or with one value moved past the tolerance, is reported
 * as wrong.
 */
import { describe, expect, it } from 'vitest';
import { FOLD_ONLY_OPS } from '../../src/onnx/fold.js';
import { SUPPORTED_OPS } from '../../src/onnx/import-ops.js';
import type { OnnxModel } from '../../src/onnx/onnx-proto.js';
import { float32Tensor, tensorToFloat32 } from '../../src/onnx/tensor.js';
import {
  ATOL, DATA_DIRS, findDataDir, feedInputCount, listCases, opTypes, readCaseModel, readDataSets, RTOL, runCase, tally,
  type ConformanceCase, type DataSet, type Outcome,
} from './conformance-cases.js';

const DATA = findDataDir();
const SKIP = DATA !== undefined ? '' : ` (skipped: the ONNX backend test data is absent — apt-get install libonnx-testdata; looked in ${DATA_DIRS.join(', ')})`;

interface Selected {
  c: ConformanceCase;
  model: OnnxModel;
  ops: string[];
  /** The ai.onnx opset the file imports (0: none). */
  opset: number;
}

const CLAIMED = new Set([...SUPPORTED_OPS, ...FOLD_ONLY_OPS]);

/** The cases whose every node is an op the importer claims (an unreadable model.onnx throws, naming it). */
function select(dataDir: string): { selected: Selected[]; listed: number } {
  const all = listCases(dataDir);
  const selected: Selected[] = [];
  for (const c of all) {
    const { model } = readCaseModel(c);
    const ops = [...opTypes(model)].sort();
    const opset = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 0;
    if (ops.length > 0 && ops.every((op) => CLAIMED.has(op))) selected.push({ c, model, ops, opset });
  }
  return { selected, listed: all.length };
}

describe.skipIf(DATA === undefined)(`ONNX backend conformance cases (libonnx-testdata), rtol ${RTOL}, atol ${ATOL}${SKIP}`, () => {
  const { selected, listed } = DATA !== undefined ? select(DATA) : { selected: [], listed: 0 };
  const outcomes = new Map<string, { s: Selected; outcome: Outcome; sets: DataSet[] }>();
  const key = (s: Selected) => `${s.c.suite}/${s.c.name}`;

  it(`selects the cases whose ops are all claimed (${CLAIMED.size} ops: ${SUPPORTED_OPS.length} imported, ${FOLD_ONLY_OPS.length} evaluated at load)`, () => {
    expect(listed).toBeGreaterThan(0);
    expect(selected.length).toBeGreaterThan(0);
  });

  for (const s of selected) {
    it(`${key(s)} [${s.ops.join(', ')}; opset ${s.opset}]: matches, or is rejected at load`, async () => {
      const sets = readDataSets(s.c, feedInputCount(s.model), s.model.graph!.output.length);
      const outcome = await runCase(s.model, sets);
      outcomes.set(key(s), { s, outcome, sets });
      expect(outcome.kind === 'passed' || outcome.kind === 'rejected', 'message' in outcome ? outcome.message : '').toBe(true);
    });
  }

  it('no case returns wrong numbers; at least one case passes', () => {
    const t = tally([...outcomes.values()].map((o) => o.outcome));
    const worst = Math.max(0, ...[...outcomes.values()].map(({ outcome: o }) => (o.kind === 'passed' ? o.worst : 0)));
    console.log(
      `ONNX conformance: ${selected.length} of ${listed} cases use only claimed ops: ${t.passed} passed, ${t.rejected} rejected at load, ` +
        `${t.wrong} WRONG, ${t.failedAtRun} failed while running; worst passing |Δ| = ${worst.toPrecision(3)} × (atol + rtol·|ref|)`,
    );
    const split = (keys: (s: Selected) => (string | number)[]) => {
      const m = new Map<string | number, [number, number]>();
      for (const { s, outcome } of outcomes.values()) {
        for (const k of keys(s)) {
          const n = m.get(k) ?? [0, 0];
          n[outcome.kind === 'passed' ? 0 : 1]++;
          m.set(k, n);
        }
      }
      return [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, [p, r]]) => `${k} ${p}/${r}`).join(', ');
    };
    console.log(`per op (passed/not): ${split((s) => s.ops)}`);
    console.log(`per opset (passed/not): ${split((s) => [s.opset])}`);
    expect(outcomes.size).toBe(selected.length);
    expect(t.wrong + t.failedAtRun).toBe(0);
    expect(t.passed).toBeGreaterThan(0);
  });

  /** A passing case with a 4-D output larger than 1×1 in both C and H·W, for the self-checks. */
  const mapCase = () => [...outcomes.values()].find(({ outcome, sets }) => {
    const d = sets[0].outputs[0].dims;
    return outcome.kind === 'passed' && d.length === 4 && d[1] > 1 && d[2] * d[3] > 1;
  });

  it('the harness catches a 4-D output in NHWC order (expected values transposed)', async () => {
    const found = mapCase();
    expect(found, 'a passing case with a 4-D output').toBeDefined();
    const { s, sets } = found!;
    const nhwcSets = sets.map((set) => {
      const t = set.outputs[0];
      const [n, c, h, w] = t.dims;
      const nchw = tensorToFloat32(t, 'output_0');
      const nhwc = new Float32Array(nchw.length);
      for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let p = 0; p < h * w; p++) nhwc[(b * h * w + p) * c + k] = nchw[(b * c + k) * h * w + p];
      return { ...set, outputs: [float32Tensor(t.name, t.dims, nhwc), ...set.outputs.slice(1)] };
    });
    const outcome = await runCase(s.model, nhwcSets);
    expect(outcome.kind, key(s)).toBe('wrong');
  });

  it('the harness catches one value moved just past the tolerance', async () => {
    const found = [...outcomes.values()].find(({ outcome }) => outcome.kind === 'passed');
    expect(found).toBeDefined();
    const { s, sets } = found!;
    const moved = sets.map((set) => {
      const t = set.outputs[0];
      const data = tensorToFloat32(t, 'output_0');
      const i = data.length >> 1;
      data[i] += 2 * (ATOL + RTOL * Math.abs(data[i])) + 1e-6 * Math.abs(data[i]);
      return { ...set, outputs: [float32Tensor(t.name, t.dims, data), ...set.outputs.slice(1)] };
    });
    const outcome = await runCase(s.model, moved);
    expect(outcome.kind, key(s)).toBe('wrong');
  });

});
