/**
 * Inspecting an ONNX file: decoded with the bounds-checked reader (onnx-proto.ts) and judged
 * against the importer's own op table (read at run time, so the verdict follows the importer).
 *
 * The importer reads only the nodes that lead to a graph output, so only those are judged; the
 * others are counted as unused. Tensor data is never decoded: counts come from `dims`, checked to
 * be safe integers, and external data files are only opened for their size.
 */
import { FOLD_ONLY_OPS } from '../onnx/fold.js';
import { CODES_ONLY_OPS } from '../onnx/import-codes.js';
import { SUPPORTED_OPS } from '../onnx/import-ops.js';
import { liveNodes } from '../onnx/import.js';
import { DATA_TYPE_NAMES, decodeModel, type OnnxDim, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from '../onnx/onnx-proto.js';
import { elementCount } from '../onnx/tensor.js';
import { notChecked, type FolderProbe } from './external.js';
import { histogram, type Dim, type DtypeBytes, type ExternalFile, type InspectReport, type TensorSummary, type UnsupportedOp } from './report.js';

/** Bytes per element by TensorProto data type; STRING (8) has none. */
const ELEMENT_BYTES: Readonly<Record<number, number>> = {
  1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 14: 8, 15: 16, 16: 2,
};
/** FLOAT, FLOAT16, DOUBLE, BFLOAT16. */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);

const typeName = (t: number | undefined) => (t === undefined ? '?' : DATA_TYPE_NAMES[t] ?? `type ${t}`);

function dim(d: OnnxDim): Dim {
  if (d.value !== undefined && d.value >= 0) return d.value;
  return d.param !== undefined && d.param !== '' ? d.param : '?';
}

function summary(v: OnnxValueInfo): TensorSummary {
  return { name: v.name, dtype: typeName(v.elemType), ...(v.shape !== undefined ? { shape: v.shape.map(dim) } : {}) };
}

/** How a constant operand counts: a trainable parameter, a BN statistic, or a plain constant. */
type Role = 'param' | 'stat' | 'const';

/** Operand roles of the ops whose constant inputs are weights; every other op's constants are plain constants. */
function role(op: string, input: number): Role {
  switch (op) {
    case 'Conv': case 'ConvTranspose': case 'Gemm': case 'MatMul': case 'Add': case 'PRelu':
      return 'param';
    case 'BatchNormalization':
      return input <= 2 ? 'param' : 'stat';
    case 'InstanceNormalization': case 'LayerNormalization':
      return input <= 2 ? 'param' : 'const';
    default:
      return 'const';
  }
}

/** The node's name as the importer's errors give it. */
const nodeName = (n: OnnxNode, index: number) => (n.name !== '' ? n.name : `${n.opType}_${index}`);


/** Element count of `t`, or undefined (with a note) when its dims are not a valid shape. */
function countOf(t: OnnxTensor, what: string, notes: string[]): number | undefined {
  try {
    return elementCount(t, what);
  } catch (e) {
    notes.push((e as Error).message);
    return undefined;
  }
}

interface Stored {
  tensor: OnnxTensor;
  what: string;
}

/** Initializers and Constant nodes' `value` tensors, by the name nodes read them under. */
function storedTensors(graph: OnnxGraph): Map<string, Stored> {
  const stored = new Map<string, Stored>();
  for (const t of graph.initializer) stored.set(t.name, { tensor: t, what: `initializer '${t.name}'` });
  graph.node.forEach((n, i) => {
    const value = n.opType === 'Constant' && (n.domain === '' || n.domain === 'ai.onnx') ? n.attribute.find((a) => a.name === 'value')?.t : undefined;
    if (value !== undefined && n.output[0] !== undefined) stored.set(n.output[0], { tensor: value, what: `Constant '${nodeName(n, i)}'` });
  });
  return stored;
}

const entry = (t: OnnxTensor, key: string) => t.externalData.find((e) => e.key === key)?.value;

function externalInt(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : null;
}

interface ExternalUse {
  what: string;
  offset: number;
  length?: number;
  needed: number;
}

/** External data files: each location once, with what its tensors need of it. */
function externalFiles(stored: Iterable<Stored>, probe: FolderProbe | undefined, notes: string[]): ExternalFile[] {
  const byLocation = new Map<string, ExternalUse[]>();
  for (const { tensor: t, what } of stored) {
    if (t.dataLocation !== 1) continue;
    const location = entry(t, 'location');
    if (location === undefined) {
      notes.push(`${what}: external data without a 'location' entry`);
      continue;
    }
    const offset = externalInt(entry(t, 'offset'));
    const length = externalInt(entry(t, 'length'));
    const count = countOf(t, what, notes);
    const size = ELEMENT_BYTES[t.dataType];
    if (offset === null || length === null) {
      notes.push(`${what}: external data 'offset' / 'length' must be non-negative integers`);
      continue;
    }
    if (count === undefined || size === undefined || t.dataType === 8) {
      if (size === undefined) notes.push(`${what}: external data of ${typeName(t.dataType)} cannot be sized`);
      continue;
    }
    const uses = byLocation.get(location) ?? [];
    uses.push({ what, offset: offset ?? 0, ...(length !== undefined ? { length } : {}), needed: count * size });
    byLocation.set(location, uses);
  }
  return [...byLocation].map(([path, uses]): ExternalFile => {
    const referencedBy = uses.length === 1 ? uses[0]!.what : `${uses[0]!.what} and ${uses.length - 1} more tensor(s)`;
    const expectedBytes = Math.max(...uses.map((u) => u.offset + u.needed));
    if (probe === undefined) return notChecked(path, referencedBy, { expectedBytes });
    const found = probe.probe(path);
    if (found.status !== 'ok') {
      const { size: _size, ...rest } = found;
      return { path, referencedBy, ...rest, ...(found.status === 'missing' || found.status === 'unreadable' ? { expectedBytes } : {}) };
    }
    const size = found.size!;
    // The importer's rule: a tensor's declared length equals what its dims need and lies within
    // the file; without a length, the tensor runs exactly to the end of the file.
    const bad = uses.find((u) => (u.length !== undefined && u.length !== u.needed) || u.offset + u.needed > size || (u.length === undefined && size - u.offset !== u.needed));
    if (bad === undefined) return { path, referencedBy, status: 'ok', size, expectedBytes };
    const detail = bad.length !== undefined && bad.length !== bad.needed
      ? `${bad.what}: 'length' is ${bad.length}, its dims and type need ${bad.needed} bytes`
      : `${bad.what} needs ${bad.needed} bytes from offset ${bad.offset}${bad.length === undefined ? ' to the end of the file' : ''}; the file holds ${size}`;
    return { path, referencedBy, status: 'wrong-size', size, expectedBytes, detail };
  });
}

/** Shape readers: their output is known at load whatever their input (the planned shapes are). */
const SHAPE_READERS = new Set(['Shape', 'Size']);

/** Ops whose computed output is a uint8/int8 tensor (src/onnx/import-qdq.ts). */
const MAKES_QUANTIZED = new Set(['QuantizeLinear', 'QLinearConv', 'QLinearMatMul']);
/** Ops that move a quantized tensor's codes: their output is quantized when an input is. */
const MOVES_CODES = new Set(['MaxPool', 'Concat', 'Flatten', 'Reshape', 'Squeeze', 'Transpose', 'Identity', 'Dropout']);
/** Steps on quantized codes Cast to float (src/onnx/import-codes.ts). */
const CODES_STEPS = new Set([...CODES_ONLY_OPS, 'Add', 'AveragePool', 'GlobalAveragePool']);
const FLOAT_TYPE = 1;

/**
 * The computed tensors a node makes quantized (a uint8/int8 tensor) or codes (one Cast to float),
 * following the importer: `quantized` and `codes` hold what earlier nodes made.
 */
function quantizedKind(n: OnnxNode, quantized: ReadonlySet<string>, codes: ReadonlySet<string>): 'quantized' | 'codes' | undefined {
  const readsQuantized = n.input.some((x) => quantized.has(x));
  const readsCodes = n.input.some((x) => codes.has(x));
  if (MAKES_QUANTIZED.has(n.opType) || (MOVES_CODES.has(n.opType) && readsQuantized)) return 'quantized';
  if (n.opType === 'Cast') {
    const to = n.attribute.find((a) => a.name === 'to')?.i;
    if (readsQuantized) return 'codes';
    if (readsCodes) return to === FLOAT_TYPE ? 'codes' : 'quantized';
  }
  return CODES_STEPS.has(n.opType) && readsCodes ? 'codes' : undefined;
}

/**
 * The live nodes the importer would refuse, in file order: a foreign domain; an op in neither of
 * its tables; an op it evaluates only at load (FOLD_ONLY_OPS) whose input is computed from the
 * image. A value is known at load when it is an initializer, a Constant, a shape read (Shape,
 * Size), or the output of a supported op whose inputs are all known at load.
 */
function unsupportedNodes(graph: OnnxGraph, live: ReadonlySet<number>): UnsupportedOp[] {
  const dataPath = new Set(SUPPORTED_OPS);
  const foldOnly = new Set(FOLD_ONLY_OPS);
  const codesOnly = new Set(CODES_ONLY_OPS);
  const known = new Set<string>();
  const quantized = new Set<string>();
  const codes = new Set<string>();
  for (const t of graph.initializer) known.add(t.name);
  const unsupported: UnsupportedOp[] = [];
  graph.node.forEach((n, i) => {
    if (!live.has(i)) return;
    const node = nodeName(n, i);
    if (n.domain !== '' && n.domain !== 'ai.onnx') return void unsupported.push({ op: n.opType, node, domain: n.domain });
    const computed = n.input.find((name) => name !== '' && !known.has(name));
    const supported = dataPath.has(n.opType) || foldOnly.has(n.opType);
    if (!supported) return void unsupported.push({ op: n.opType, node });
    if (SHAPE_READERS.has(n.opType) || computed === undefined) {
      for (const o of n.output) if (o !== '') known.add(o);
      return;
    }
    const kind = quantizedKind(n, quantized, codes);
    if (kind !== undefined) for (const o of n.output) if (o !== '') (kind === 'quantized' ? quantized : codes).add(o);
    if (codesOnly.has(n.opType) && kind === undefined) {
      unsupported.push({ op: n.opType, node, reason: `supported on computed tensors only as the quantized codes of a uint8/int8 tensor, but its input '${computed}' is a float tensor` });
    } else if (!dataPath.has(n.opType)) {
      unsupported.push({ op: n.opType, node, reason: `supported only on constants and tensor shapes (evaluated at load), but its input '${computed}' is computed from the image` });
    }
  });
  return unsupported;
}

/** The report of an ONNX file's bytes; `probe` looks for its external data (absent: bytes given). */
export function inspectOnnx(bytes: Uint8Array, probe: FolderProbe | undefined): InspectReport {
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const notes: string[] = [];
  const opsetEntry = model.opsetImport.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (opsetEntry === undefined) notes.push('the model imports no ai.onnx opset (opset_import); the importer cannot interpret its ops');
  const initializerNames = new Set(graph.initializer.map((t) => t.name));

  const live = liveNodes(graph);
  const unsupported = unsupportedNodes(graph, live);
  // A QuantizeLinear of an initializer quantizes a weight, not an activation.
  const quantOps = graph.node.filter((n, i) => live.has(i) && MAKES_QUANTIZED.has(n.opType) && (n.domain === '' || n.domain === 'ai.onnx') && !initializerNames.has(n.input[0] ?? ''));
  if (quantOps.length > 0) {
    const count = (op: string) => quantOps.filter((n) => n.opType === op).length;
    notes.push(
      `quantized model (${['QuantizeLinear', 'QLinearConv', 'QLinearMatMul'].map((op) => `${count(op)} ${op}`).join(', ')}): ` +
        'a session runs it int8 from its own scales and zero points, without calibration',
    );
  }

  const stored = storedTensors(graph);
  const byDtype = new Map<number, { elements: number; bytes?: number }>();
  for (const { tensor: t, what } of stored.values()) {
    const count = countOf(t, what, notes);
    if (count === undefined) continue;
    const d = byDtype.get(t.dataType) ?? { elements: 0, bytes: 0 };
    d.elements += count;
    const size = ELEMENT_BYTES[t.dataType];
    d.bytes = size === undefined || d.bytes === undefined ? undefined : d.bytes + count * size;
    byDtype.set(t.dataType, d);
  }
  let params = 0;
  let bnStats = 0;
  graph.node.forEach((n, i) => {
    if (!live.has(i)) return;
    n.input.forEach((name, k) => {
      const s = stored.get(name);
      if (s === undefined || !FLOAT_TYPES.has(s.tensor.dataType) || s.tensor.dims.length === 0) return;
      const r = role(n.opType, k);
      if (r === 'const') return;
      const count = countOf(s.tensor, s.what, []) ?? 0;
      if (r === 'param') params += count;
      else bnStats += count;
    });
  });
  const dtypes: DtypeBytes[] = [...byDtype].map(([t, d]) => ({ dtype: typeName(t), elements: d.elements, ...(d.bytes !== undefined ? { bytes: d.bytes } : {}) }));

  return {
    format: 'onnx',
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    ...(opsetEntry !== undefined ? { opset: opsetEntry.version } : {}),
    irVersion: model.irVersion,
    inputs: graph.input.filter((v) => !initializerNames.has(v.name)).map(summary),
    outputs: graph.output.map(summary),
    ops: histogram(graph.node.map((n) => (n.domain === '' || n.domain === 'ai.onnx' ? n.opType : `${n.domain}.${n.opType}`))),
    nodes: graph.node.length,
    unusedNodes: graph.node.length - live.size,
    parameters: { count: params, bnStats, byDtype: dtypes, bytes: dtypes.reduce((s, d) => s + (d.bytes ?? 0), 0) },
    externalFiles: externalFiles(stored.values(), probe, notes),
    supportChecked: true,
    unsupported,
    notes,
  };
}
