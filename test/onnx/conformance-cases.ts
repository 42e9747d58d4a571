/**
 * The ONNX backend test set (Debian's `libonnx-testdata`) as our engine sees it: find the cases,
 * keep those whose every op is one the importer claims, turn a case's extra graph inputs (weights
 * the backend tests feed as inputs) into initializers, run the one data input through a session
 * and compare with the expected outputs as the ONNX backend tests do (|ours − ref| ≤ atol + rtol·|ref|).
 *
 * The case files are model files like any other: every file is opened through src/io/model-files.ts
 * (each case folder is a ModelFolder; only `model.onnx` and `test_data_set_N/{input,output}_K.pb`
 * are opened), sizes are checked before reading, and the walks are bounded (MAX_* below).
 * The .pb files are TensorProtos, decoded with the project's own reader; no Python is needed.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDirectory, ModelFolder, readModelFile } from '../../src/io/model-files.js';
import { DataType, decodeModel, decodeTensor, encodeModel, OnnxFormatError, type OnnxModel, type OnnxTensor } from '../../src/onnx/onnx-proto.js';
import { ProtoError, ProtoReader } from '../../src/onnx/protobuf.js';
import { tensorToFloat32, tensorToInts } from '../../src/onnx/tensor.js';
import { createSession } from '../../src/session.js';
import { assertNever } from '../../src/util/assert-never.js';

/** Where Debian installs the data (`dpkg -L libonnx-testdata`); `ONNX_TESTDATA` overrides. */
export const DATA_DIRS = [process.env.ONNX_TESTDATA, '/usr/share/libonnx-testdata/data', '/usr/include/onnx/backend/test/data']
  .filter((d): d is string => d !== undefined && d !== '');
/** The suites runtimes run to show conformance: single-op cases, PyTorch-converted modules and operators. */
export const SUITES = ['node', 'pytorch-converted', 'pytorch-operator'] as const;

/** The tolerance of the ONNX backend test runner (numpy assert_allclose, rtol 1e-3, atol 1e-7). */
export const RTOL = 1e-3;
export const ATOL = 1e-7;

const MAX_CASES_PER_SUITE = 5000;
const MAX_DATA_SETS = 16;
const MAX_MODEL_BYTES = 64 << 20;
const MAX_PB_BYTES = 64 << 20;

export function findDataDir(): string | undefined {
  return DATA_DIRS.find((d) => SUITES.every((s) => isDirectory(join(d, s))));
}

export interface ConformanceCase {
  suite: string;
  name: string;
  dir: string;
}

/** Every case folder of the three suites, sorted (bounded). */
export function listCases(dataDir: string): ConformanceCase[] {
  const out: ConformanceCase[] = [];
  for (const suite of SUITES) {
    const names = readdirSync(join(dataDir, suite)).filter((n) => n.startsWith('test_')).sort();
    if (names.length > MAX_CASES_PER_SUITE) throw new Error(`${suite}: ${names.length} case folders, more than the ${MAX_CASES_PER_SUITE} expected`);
    for (const name of names) if (isDirectory(join(dataDir, suite, name))) out.push({ suite, name, dir: join(dataDir, suite, name) });
  }
  return out;
}

const fail = (m: string) => new OnnxFormatError(m);

export function readCaseModel(c: ConformanceCase): { bytes: Uint8Array; model: OnnxModel } {
  const bytes = readModelFile(join(c.dir, 'model.onnx'), MAX_MODEL_BYTES, `${c.name}/model.onnx`, fail);
  return { bytes, model: decodeModel(bytes) };
}

/** The ai.onnx op types of every node (other domains as `domain::op`). */
export function opTypes(model: OnnxModel): Set<string> {
  return new Set(model.graph!.node.map((n) => (n.domain === '' || n.domain === 'ai.onnx' ? n.opType : `${n.domain}::${n.opType}`)));
}

/** Decodes one serialized TensorProto (a .pb file of the backend tests). */
export function decodeTensorBytes(bytes: Uint8Array, what: string): OnnxTensor {
  try {
    return decodeTensor(new ProtoReader(bytes, what));
  } catch (e) {
    if (e instanceof ProtoError) throw new OnnxFormatError(`${what}: not a valid TensorProto: ${e.message}`);
    throw e;
  }
}

export interface DataSet {
  name: string;
  inputs: OnnxTensor[];
  outputs: OnnxTensor[];
}

function readPb(folder: ModelFolder, relative: string, what: string): OnnxTensor {
  const file = folder.open(relative, what, fail);
  try {
    if (file.size > MAX_PB_BYTES) throw fail(`${what} has ${file.size} bytes, more than the ${MAX_PB_BYTES} a test tensor may have`);
    return decodeTensorBytes(file.read(0, file.size), what);
  } finally {
    file.close();
  }
}

/** The case's data sets: `inputCount` inputs and `outputCount` outputs each, by position. */
export function readDataSets(c: ConformanceCase, inputCount: number, outputCount: number): DataSet[] {
  const folder = new ModelFolder(c.dir, c.name, fail);
  const names = readdirSync(c.dir).filter((n) => /^test_data_set_\d+$/.test(n)).sort();
  if (names.length === 0) throw fail(`${c.name}: no test_data_set_N folder`);
  if (names.length > MAX_DATA_SETS) throw fail(`${c.name}: ${names.length} data sets, more than ${MAX_DATA_SETS}`);
  return names.map((set) => ({
    name: set,
    inputs: Array.from({ length: inputCount }, (_, k) => readPb(folder, `${set}/input_${k}.pb`, `${c.name}/${set}/input_${k}.pb`)),
    outputs: Array.from({ length: outputCount }, (_, k) => readPb(folder, `${set}/output_${k}.pb`, `${c.name}/${set}/output_${k}.pb`)),
  }));
}

/**
 * The model with every graph input but `dataInput` turned into an initializer holding the data
 * set's tensor for it (weights fed as inputs by the backend tests become constants of the file).
 */
export function withInitializers(model: OnnxModel, dataInput: number, set: DataSet): Uint8Array {
  const g = model.graph!;
  const given = new Set(g.initializer.map((t) => t.name));
  const inputs = g.input.filter((v) => !given.has(v.name));
  const extra = inputs.flatMap((v, k) => (k === dataInput ? [] : [{ ...set.inputs[k], name: v.name }]));
  return encodeModel({
    ...model,
    graph: { ...g, initializer: [...g.initializer, ...extra], input: g.input.filter((v) => given.has(v.name) || v === inputs[dataInput]) },
  });
}

export type Outcome =
  | { kind: 'passed'; worst: number }
  | { kind: 'rejected'; message: string }
  | { kind: 'wrong'; message: string }
  | { kind: 'failedAtRun'; message: string };

/** Worst |ours − ref| / (atol + rtol·|ref|) over all elements: ≤ 1 passes. NaN where ref is NaN must be NaN. */
export function closeness(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const a = ours[i];
    const b = ref[i];
    if (Number.isNaN(b) || Number.isNaN(a)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) return Infinity;
      continue;
    }
    if (a === b) continue; // ±Infinity equal
    worst = Math.max(worst, Math.abs(a - b) / (ATOL + RTOL * Math.abs(b)));
  }
  return worst;
}

/** Errors that come from an unchecked path rather than a loader's own check. */
function unchecked(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || !(e instanceof Error) || e.message === '';
}

/** An expected output's values: float tensors as float32, integer ones (a folded shape) exactly. */
function expectedValues(t: OnnxTensor, what: string): ArrayLike<number> {
  switch (t.dataType) {
    case DataType.FLOAT: case DataType.FLOAT16: case DataType.DOUBLE: return tensorToFloat32(t, what);
    default: return Float64Array.from(tensorToInts(t, what));
  }
}

/** Graph inputs that are not initializers, in file order (the backend tests' input_K order). */
export function feedInputCount(model: OnnxModel): number {
  const g = model.graph!;
  const given = new Set(g.initializer.map((t) => t.name));
  return g.input.filter((v) => !given.has(v.name)).length;
}

/**
 * Runs one case on its data sets: each set is loaded with its own weights as initializers and
 * run on its first input. A load error is a rejection (unless it comes from an unchecked path:
 * that counts as wrong); a run whose output differs from the expected one, or has another shape,
 * is wrong; an error while running (after a successful load) is its own failure.
 */
export async function runCase(model: OnnxModel, sets: readonly DataSet[]): Promise<Outcome> {
  const declaredOutputs = model.graph!.output.length;
  const dataInput = 0;
  let worst = 0;
  for (const set of sets) {
    let session;
    try {
      session = await createSession({ onnx: withInitializers(model, dataInput, set), threads: 1 });
    } catch (e) {
      const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return unchecked(e) ? { kind: 'wrong', message: `load failed on an unchecked path: ${message}` } : { kind: 'rejected', message };
    }
    try {
      if (session.outputs.length !== declaredOutputs) {
        return { kind: 'wrong', message: `the model declares ${declaredOutputs} outputs; the session gives ${session.outputs.length}` };
      }
      const input = tensorToFloat32(set.inputs[dataInput], `${set.name}/input_${dataInput}`);
      let result;
      try {
        result = await session.run(input);
      } catch (e) {
        return { kind: 'failedAtRun', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
      }
      const expected = set.outputs[0];
      const ref = expectedValues(expected, `${set.name}/output_0`);
      if (result.shape.join(',') !== expected.dims.join(',')) {
        return { kind: 'wrong', message: `${set.name}: shape [${result.shape.join(', ')}], expected [${expected.dims.join(', ')}]` };
      }
      const err = closeness(result.logits, ref);
      if (!(err <= 1)) return { kind: 'wrong', message: `${set.name}: max |Δ| / (atol + rtol·|ref|) = ${err.toPrecision(3)}` };
      worst = Math.max(worst, err);
    } finally {
      await session.dispose();
    }
  }
  return { kind: 'passed', worst };
}

export interface Tally {
  passed: number;
  rejected: number;
  wrong: number;
  failedAtRun: number;
}

export function tally(outcomes: Iterable<Outcome>): Tally {
  const t: Tally = { passed: 0, rejected: 0, wrong: 0, failedAtRun: 0 };
  for (const o of outcomes) {
    switch (o.kind) {
      case 'passed': t.passed++; break;
      case 'rejected': t.rejected++; break;
      case 'wrong': t.wrong++; break;
      case 'failedAtRun': t.failedAtRun++; break;
      default: assertNever(o, 'outcome');
    }
  }
  return t;
}
