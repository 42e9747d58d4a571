/**
 * The part of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto) this project
 * reads and writes, as plain objects, with `decodeModel` (bytes → ModelProto) and `encodeModel`.
 * Field numbers are onnx.proto's; unknown fields are skipped, so newer files still decode.
 *
 * `decodeModel` first recognises files that are not ONNX at all (empty, a Git LFS pointer, an
 * HTML page, JSON) and names them; any other malformed input ends in an `OnnxFormatError` that
 * names the message path and byte offset. Subgraph attributes (If/Loop bodies) are skipped and
 * flagged (`hasGraph`), which also bounds the nesting depth by the schema.
 */

import { ProtoError, ProtoReader, ProtoWriter, Wire } from './protobuf.js';

export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

/** TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10, DOUBLE: 11,
} as const;

export const DATA_TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING',
  9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
};

/** AttributeProto.AttributeType values. */
export const AttrType = {
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
} as const;

export interface StringEntry {
  key: string;
  value: string;
}

export interface OnnxTensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData?: Uint8Array;
  floatData?: Float32Array;
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  /** 1 = EXTERNAL: the bytes live in the file named by `externalData` `location`. */
  dataLocation: number;
  externalData: StringEntry[];
}

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: OnnxTensor;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  /** A subgraph (g/graphs) was present and skipped. */
  hasGraph: boolean;
}

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

/** One dimension of a ValueInfo shape: a number, a symbolic name, or neither (unknown). */
export interface OnnxDim {
  value?: number;
  param?: string;
}

export interface OnnxValueInfo {
  name: string;
  /** Tensor element type; undefined for a non-tensor type or no type. */
  elemType?: number;
  /** Undefined when the shape is absent (rank unknown). */
  shape?: OnnxDim[];
}

export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  sparseInitializers: number;
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsetImport: { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graph?: OnnxGraph;
}

// ---- decode ------------------------------------------------------------------------------

function want(r: ProtoReader, wire: Wire, expected: Wire, field: string): void {
  if (wire !== expected) throw r.error(`field '${field}' has wire type ${wire}, expected ${expected}`);
}

function decodeEntry(r: ProtoReader): StringEntry {
  const e: StringEntry = { key: '', value: '' };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) (want(r, wire, Wire.Bytes, 'key'), (e.key = r.string()));
    else if (field === 2) (want(r, wire, Wire.Bytes, 'value'), (e.value = r.string()));
    else r.skip(wire);
  }
  return e;
}

function concatFloat32(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

export function decodeTensor(r: ProtoReader): OnnxTensor {
  const t: OnnxTensor = { name: '', dims: [], dataType: 0, int32Data: [], int64Data: [], doubleData: [], dataLocation: 0, externalData: [] };
  const floatParts: Float32Array[] = [];
  let floats: number[] = [];
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: r.repeated(wire, 'int64', t.dims); break;
      case 2: want(r, wire, Wire.Varint, 'data_type'); t.dataType = r.int32(); break;
      case 4:
        if (wire === Wire.Bytes) {
          if (floats.length > 0) (floatParts.push(Float32Array.from(floats)), (floats = []));
          floatParts.push(r.packedFloat32());
        } else r.repeated(wire, 'float', floats);
        break;
      case 5: r.repeated(wire, 'int64', t.int32Data); break;
      case 7: r.repeated(wire, 'int64', t.int64Data); break;
      case 8: want(r, wire, Wire.Bytes, 'name'); t.name = r.string(); break;
      case 9: want(r, wire, Wire.Bytes, 'raw_data'); t.rawData = r.bytes(); break;
      case 10: r.repeated(wire, 'double', t.doubleData); break;
      case 13: want(r, wire, Wire.Bytes, 'external_data'); t.externalData.push(decodeEntry(r.message('external_data'))); break;
      case 14: want(r, wire, Wire.Varint, 'data_location'); t.dataLocation = r.int32(); break;
      default: r.skip(wire);
    }
  }
  if (floats.length > 0) floatParts.push(Float32Array.from(floats));
  if (floatParts.length > 0) t.floatData = concatFloat32(floatParts);
  return t;
}

function decodeAttribute(r: ProtoReader): OnnxAttribute {
  const a: OnnxAttribute = { name: '', type: 0, floats: [], ints: [], strings: [], hasGraph: false };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: want(r, wire, Wire.Bytes, 'name'); a.name = r.string(); break;
      case 2: want(r, wire, Wire.Fixed32, 'f'); a.f = r.float(); break;
      case 3: want(r, wire, Wire.Varint, 'i'); a.i = r.int64(); break;
      case 4: want(r, wire, Wire.Bytes, 's'); a.s = r.bytes(); break;
      case 5: want(r, wire, Wire.Bytes, 't'); a.t = decodeTensor(r.message(`attribute(${a.name}).t`)); break;
      case 6: case 11: a.hasGraph = true; r.skip(wire); break;
      case 7: r.repeated(wire, 'float', a.floats); break;
      case 8: r.repeated(wire, 'int64', a.ints); break;
      case 9: want(r, wire, Wire.Bytes, 'strings'); a.strings.push(r.bytes()); break;
      case 20: want(r, wire, Wire.Varint, 'type'); a.type = r.int32(); break;
      default: r.skip(wire);
    }
  }
  return a;
}

function decodeNode(r: ProtoReader): OnnxNode {
  const n: OnnxNode = { name: '', opType: '', domain: '', input: [], output: [], attribute: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: want(r, wire, Wire.Bytes, 'input'); n.input.push(r.string()); break;
      case 2: want(r, wire, Wire.Bytes, 'output'); n.output.push(r.string()); break;
      case 3: want(r, wire, Wire.Bytes, 'name'); n.name = r.string(); break;
      case 4: want(r, wire, Wire.Bytes, 'op_type'); n.opType = r.string(); break;
      case 5: want(r, wire, Wire.Bytes, 'attribute'); n.attribute.push(decodeAttribute(r.message(`attribute[${n.attribute.length}]`))); break;
      case 7: want(r, wire, Wire.Bytes, 'domain'); n.domain = r.string(); break;
      default: r.skip(wire);
    }
  }
  return n;
}

function decodeDim(r: ProtoReader): OnnxDim {
  const d: OnnxDim = {};
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) (want(r, wire, Wire.Varint, 'dim_value'), (d.value = r.int64()));
    else if (field === 2) (want(r, wire, Wire.Bytes, 'dim_param'), (d.param = r.string()));
    else r.skip(wire);
  }
  return d;
}

/** TypeProto → the tensor's element type and shape (`tensor_type` = 1; other kinds ignored). */
function decodeType(r: ProtoReader, info: OnnxValueInfo): void {
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field !== 1) {
      r.skip(wire);
      continue;
    }
    want(r, wire, Wire.Bytes, 'tensor_type');
    const t = r.message('tensor_type');
    while (!t.done()) {
      const f = t.tag();
      if (f.field === 1) (want(t, f.wire, Wire.Varint, 'elem_type'), (info.elemType = t.int32()));
      else if (f.field === 2) {
        want(t, f.wire, Wire.Bytes, 'shape');
        const s = t.message('shape');
        info.shape = [];
        while (!s.done()) {
          const g = s.tag();
          if (g.field === 1) (want(s, g.wire, Wire.Bytes, 'dim'), info.shape.push(decodeDim(s.message(`dim[${info.shape.length}]`))));
          else s.skip(g.wire);
        }
      } else t.skip(f.wire);
    }
  }
}

function decodeValueInfo(r: ProtoReader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '' };
  while (!r.done()) {
    const { field, wire } = r.tag();
    if (field === 1) (want(r, wire, Wire.Bytes, 'name'), (v.name = r.string()));
    else if (field === 2) (want(r, wire, Wire.Bytes, 'type'), decodeType(r.message('type'), v));
    else r.skip(wire);
  }
  return v;
}

function decodeGraph(r: ProtoReader): OnnxGraph {
  const g: OnnxGraph = { name: '', node: [], initializer: [], sparseInitializers: 0, input: [], output: [], valueInfo: [] };
  while (!r.done()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: want(r, wire, Wire.Bytes, 'node'); g.node.push(decodeNode(r.message(`node[${g.node.length}]`))); break;
      case 2: want(r, wire, Wire.Bytes, 'name'); g.name = r.string(); break;
      case 5: want(r, wire, Wire.Bytes, 'initializer'); g.initializer.push(decodeTensor(r.message(`initializer[${g.initializer.length}]`))); break;
      case 11: want(r, wire, Wire.Bytes, 'input'); g.input.push(decodeValueInfo(r.message(`input[${g.input.length}]`))); break;
      case 12: want(r, wire, Wire.Bytes, 'output'); g.output.push(decodeValueInfo(r.message(`output[${g.output.length}]`))); break;
      case 13: want(r, wire, Wire.Bytes, 'value_info'); g.valueInfo.push(decodeValueInfo(r.message(`value_info[${g.valueInfo.length}]`))); break;
      case 15: g.sparseInitializers++; r.skip(wire); break;
      default: r.skip(wire);
    }
  }
  return g;
}

/** Names a buffer that is plainly not an ONNX file, or returns undefined. */
export function recogniseNonOnnx(bytes: Uint8Array): string | undefined {
  if (bytes.length === 0) return 'the file is empty (0 bytes)';
  const head = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, 512));
  if (head.startsWith('version https://git-lfs')) {
    const size = /\nsize (\d+)/.exec(head)?.[1];
    return `the file is a Git LFS pointer (${bytes.length} bytes of text${size ? ` standing for ${size} bytes` : ''}), not the model itself: ` +
      'run `git lfs pull` in its repository, or download the real file';
  }
  const text = head.trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || text.startsWith('<head') || text.startsWith('<?xml')) {
    return 'the file is an HTML/XML page, not an ONNX model (a download that saved an error or login page?)';
  }
  if (text.startsWith('{') || text.startsWith('[')) return 'the file is JSON text, not an ONNX model';
  return undefined;
}

/**
 * Decodes an ONNX ModelProto. Throws `OnnxFormatError` for a non-ONNX or malformed buffer,
 * naming the problem. Tensor data stays as views into `bytes` (`rawData`).
 */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const notOnnx = recogniseNonOnnx(bytes);
  if (notOnnx !== undefined) throw new OnnxFormatError(`not an ONNX model: ${notOnnx}`);
  const m: OnnxModel = { irVersion: 0, opsetImport: [], producerName: '', producerVersion: '' };
  const r = new ProtoReader(bytes, 'ModelProto');
  try {
    while (!r.done()) {
      const { field, wire } = r.tag();
      switch (field) {
        case 1: want(r, wire, Wire.Varint, 'ir_version'); m.irVersion = r.int64(); break;
        case 2: want(r, wire, Wire.Bytes, 'producer_name'); m.producerName = r.string(); break;
        case 3: want(r, wire, Wire.Bytes, 'producer_version'); m.producerVersion = r.string(); break;
        case 7: want(r, wire, Wire.Bytes, 'graph'); m.graph = decodeGraph(r.message('graph')); break;
        case 8: {
          want(r, wire, Wire.Bytes, 'opset_import');
          const o = r.message('opset_import');
          const entry = { domain: '', version: 0 };
          while (!o.done()) {
            const f = o.tag();
            if (f.field === 1) (want(o, f.wire, Wire.Bytes, 'domain'), (entry.domain = o.string()));
            else if (f.field === 2) (want(o, f.wire, Wire.Varint, 'version'), (entry.version = o.int64()));
            else o.skip(f.wire);
          }
          m.opsetImport.push(entry);
          break;
        }
        default: r.skip(wire);
      }
    }
  } catch (e) {
    if (e instanceof ProtoError) {
      throw new OnnxFormatError(`not a valid ONNX model (truncated or corrupt, ${bytes.length} bytes): ${e.message}`);
    }
    throw e;
  }
  if (m.graph === undefined) {
    throw new OnnxFormatError(`not an ONNX model: no graph (ModelProto field 7) in ${bytes.length} bytes`);
  }
  return m;
}

// ---- encode ------------------------------------------------------------------------------

export function encodeTensor(t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter().packedInts(1, t.dims).int(2, t.dataType);
  if (t.floatData !== undefined) w.packedFloats(4, t.floatData);
  w.packedInts(5, t.int32Data).packedInts(7, t.int64Data);
  if (t.name !== '') w.string(8, t.name);
  if (t.rawData !== undefined) w.bytes(9, t.rawData);
  for (const e of t.externalData) w.message(13, new ProtoWriter().string(1, e.key).string(2, e.value));
  if (t.dataLocation !== 0) w.int(14, t.dataLocation);
  return w;
}

function encodeAttribute(a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if (a.f !== undefined) w.float(2, a.f);
  if (a.i !== undefined) w.int(3, a.i);
  if (a.s !== undefined) w.bytes(4, a.s);
  if (a.t !== undefined) w.message(5, encodeTensor(a.t));
  w.packedFloats(7, a.floats).packedInts(8, a.ints);
  for (const s of a.strings) w.bytes(9, s);
  return w.int(20, a.type);
}

function encodeValueInfo(v: OnnxValueInfo): ProtoWriter {
  const tensor = new ProtoWriter();
  if (v.elemType !== undefined) tensor.int(1, v.elemType);
  if (v.shape !== undefined) {
    const shape = new ProtoWriter();
    for (const d of v.shape) {
      const dim = new ProtoWriter();
      if (d.value !== undefined) dim.int(1, d.value);
      if (d.param !== undefined) dim.string(2, d.param);
      shape.message(1, dim);
    }
    tensor.message(2, shape);
  }
  return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensor));
}

function encodeNode(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.input) w.string(1, i);
  for (const o of n.output) w.string(2, o);
  if (n.name !== '') w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attribute) w.message(5, encodeAttribute(a));
  if (n.domain !== '') w.string(7, n.domain);
  return w;
}

/** Encodes a ModelProto (the fields modelled above). */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter().int(1, m.irVersion);
  if (m.producerName !== '') w.string(2, m.producerName);
  if (m.producerVersion !== '') w.string(3, m.producerVersion);
  if (m.graph !== undefined) {
    const g = m.graph;
    const gw = new ProtoWriter();
    for (const n of g.node) gw.message(1, encodeNode(n));
    if (g.name !== '') gw.string(2, g.name);
    for (const t of g.initializer) gw.message(5, encodeTensor(t));
    for (const v of g.input) gw.message(11, encodeValueInfo(v));
    for (const v of g.output) gw.message(12, encodeValueInfo(v));
    for (const v of g.valueInfo) gw.message(13, encodeValueInfo(v));
    w.message(7, gw);
  }
  for (const o of m.opsetImport) {
    const ow = new ProtoWriter();
    if (o.domain !== '') ow.string(1, o.domain);
    w.message(8, ow.int(2, o.version));
  }
  return w.finish();
}
