/**
 * TensorProto contents → numbers: float tensors as Float32Array (FLOAT, FLOAT16, DOUBLE), integer
 * tensors as number[] (INT64, INT32, INT8, UINT8, BOOL as 0/1), from `raw_data` (little-endian), the typed
 * `*_data` fields, or external data (`data_location` = EXTERNAL with `location`/`offset`/`length`).
 *
 * Every element count is the product of `dims`, checked to be a safe integer and to match the
 * bytes actually present *before* anything is allocated, so a corrupt `dims` cannot make us
 * allocate gigabytes.
 */

import { RELATIVE_PATH_RULE, relativePathProblem } from '../io/relative-path.js';
import { DATA_TYPE_NAMES, DataType, OnnxFormatError, type OnnxTensor } from './onnx-proto.js';

/**
 * Reads `length` bytes (or to the end when undefined) at `offset` of the external file `location`
 * (a path relative to the model's directory, already checked by `checkExternalLocation`).
 * `expected` is the byte count the tensor's dims and type need: a reader refuses a range of any
 * other size before reading it. `what` names the tensor for messages.
 */
export type ExternalDataReader = (location: string, offset: number, length: number | undefined, expected: number, what: string) => Uint8Array;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const ELEMENT_BYTES: Record<number, number> = {
  [DataType.FLOAT]: 4, [DataType.FLOAT16]: 2, [DataType.DOUBLE]: 8,
  [DataType.INT64]: 8, [DataType.INT32]: 4, [DataType.INT8]: 1, [DataType.UINT8]: 1, [DataType.BOOL]: 1,
};

export function dataTypeName(t: number): string {
  return DATA_TYPE_NAMES[t] ?? `data type ${t}`;
}

/** Product of `dims`; throws unless every dim is a non-negative integer and the product is safe. */
export function elementCount(t: OnnxTensor, what: string): number {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new OnnxFormatError(`${what}: bad dimension ${d} in dims [${t.dims.join(', ')}]`);
    n *= d;
    if (!Number.isSafeInteger(n)) throw new OnnxFormatError(`${what}: dims [${t.dims.join(', ')}] give more elements than can be addressed`);
  }
  return n;
}

/**
 * A relative path that cannot leave the model's directory (relative-path.ts), or an error. The
 * message does not repeat the location: it may be an absolute path outside the folder.
 */
export function checkExternalLocation(location: string, what: string): string {
  const problem = relativePathProblem(location);
  if (problem !== undefined) throw new OnnxFormatError(`${what}: external data 'location' ${RELATIVE_PATH_RULE}: ${problem}`);
  return location;
}

function parseExternalInt(value: string | undefined, key: string, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new OnnxFormatError(`${what}: external data '${key}' must be a non-negative integer, got '${value}'`);
  }
  return Number(value);
}

/** The tensor's little-endian bytes (raw_data or external), or undefined when it uses typed fields. */
function rawBytes(t: OnnxTensor, what: string, readExternal: ExternalDataReader | undefined): Uint8Array | undefined {
  if (t.dataLocation === 1) {
    const entry = (k: string) => t.externalData.find((e) => e.key === k)?.value;
    const location = entry('location');
    if (location === undefined) throw new OnnxFormatError(`${what}: external data without a 'location' entry`);
    checkExternalLocation(location, what);
    const offset = parseExternalInt(entry('offset'), 'offset', what) ?? 0;
    const length = parseExternalInt(entry('length'), 'length', what);
    if (readExternal === undefined) {
      throw new OnnxFormatError(
        `${what}: its data is stored outside the model in '${location}'; import the model by its file path ` +
        '(or pass `externalDataDir`) so the data file can be read',
      );
    }
    const elementBytes = ELEMENT_BYTES[t.dataType];
    if (elementBytes === undefined) throw new OnnxFormatError(`${what}: external data of ${dataTypeName(t.dataType)} is not supported`);
    const bytes = readExternal(location, offset, length, elementCount(t, what) * elementBytes, what);
    if (length !== undefined && bytes.length !== length) {
      throw new OnnxFormatError(`${what}: external file '${location}' has ${bytes.length} bytes at offset ${offset}, expected ${length} (truncated?)`);
    }
    return bytes;
  }
  if (t.dataLocation !== 0) throw new OnnxFormatError(`${what}: unknown data_location ${t.dataLocation}`);
  return t.rawData;
}

function checkBytes(bytes: Uint8Array, count: number, t: OnnxTensor, what: string): void {
  const expected = count * ELEMENT_BYTES[t.dataType];
  if (bytes.length !== expected) {
    throw new OnnxFormatError(
      `${what}: dims [${t.dims.join(', ')}] of ${dataTypeName(t.dataType)} need ${expected} bytes, the tensor holds ${bytes.length} (truncated or corrupt)`,
    );
  }
}

function checkCount(actual: number, count: number, field: string, t: OnnxTensor, what: string): void {
  if (actual !== count) {
    throw new OnnxFormatError(`${what}: dims [${t.dims.join(', ')}] give ${count} elements, ${field} holds ${actual}`);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** A FLOAT, FLOAT16 or DOUBLE tensor as float32 values in row-major order. */
export function tensorToFloat32(t: OnnxTensor, what: string, readExternal?: ExternalDataReader): Float32Array {
  const count = elementCount(t, what);
  const raw = rawBytes(t, what, readExternal);
  switch (t.dataType) {
    case DataType.FLOAT: {
      if (raw !== undefined) {
        checkBytes(raw, count, t, what);
        const out = new Float32Array(count);
        if (littleEndian) new Uint8Array(out.buffer).set(raw);
        else {
          const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
          for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
        }
        return out;
      }
      const data = t.floatData ?? new Float32Array(0);
      checkCount(data.length, count, 'float_data', t, what);
      return data.slice();
    }
    case DataType.FLOAT16: {
      const out = new Float32Array(count);
      if (raw !== undefined) {
        checkBytes(raw, count, t, what);
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      } else {
        checkCount(t.int32Data.length, count, 'int32_data', t, what);
        for (let i = 0; i < count; i++) out[i] = halfToFloat(t.int32Data[i] & 0xffff);
      }
      return out;
    }
    case DataType.DOUBLE: {
      if (raw !== undefined) {
        checkBytes(raw, count, t, what);
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        const out = new Float32Array(count);
        for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
        return out;
      }
      checkCount(t.doubleData.length, count, 'double_data', t, what);
      return Float32Array.from(t.doubleData);
    }
    default:
      throw new OnnxFormatError(`${what}: expected a FLOAT, FLOAT16 or DOUBLE tensor, got ${dataTypeName(t.dataType)}`);
  }
}

/** An INT64, INT32, INT8, UINT8 or BOOL tensor as numbers (int64 beyond 2^53 rounds; callers check ranges). */
export function tensorToInts(t: OnnxTensor, what: string, readExternal?: ExternalDataReader): number[] {
  const count = elementCount(t, what);
  const raw = rawBytes(t, what, readExternal);
  const out: number[] = [];
  if (raw !== undefined) {
    if (ELEMENT_BYTES[t.dataType] === undefined || t.dataType === DataType.FLOAT || t.dataType === DataType.DOUBLE || t.dataType === DataType.FLOAT16) {
      throw new OnnxFormatError(`${what}: expected an integer tensor, got ${dataTypeName(t.dataType)}`);
    }
    checkBytes(raw, count, t, what);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < count; i++) {
      switch (t.dataType) {
        case DataType.INT64: out.push(view.getInt32(8 * i + 4, true) * 4294967296 + view.getUint32(8 * i, true)); break;
        case DataType.INT32: out.push(view.getInt32(4 * i, true)); break;
        case DataType.INT8: out.push(view.getInt8(i)); break;
        case DataType.BOOL: out.push(view.getUint8(i) === 0 ? 0 : 1); break;
        default: out.push(view.getUint8(i));
      }
    }
    return out;
  }
  switch (t.dataType) {
    case DataType.INT64:
      checkCount(t.int64Data.length, count, 'int64_data', t, what);
      return t.int64Data.slice();
    case DataType.INT32:
    case DataType.INT8:
    case DataType.UINT8:
      checkCount(t.int32Data.length, count, 'int32_data', t, what);
      return t.int32Data.slice();
    case DataType.BOOL:
      checkCount(t.int32Data.length, count, 'int32_data', t, what);
      return t.int32Data.map((v) => (v === 0 ? 0 : 1));
    default:
      throw new OnnxFormatError(`${what}: expected an integer tensor, got ${dataTypeName(t.dataType)}`);
  }
}

/**
 * An INT8, UINT8 or INT32 tensor (quantized weights, biases and zero points) as an Int32Array:
 * one typed array for any size, where `tensorToInts` builds a number[]. Throws for other types.
 */
export function quantizedInts(t: OnnxTensor, what: string, readExternal?: ExternalDataReader): Int32Array {
  if (t.dataType !== DataType.INT8 && t.dataType !== DataType.UINT8 && t.dataType !== DataType.INT32) {
    throw new OnnxFormatError(`${what}: expected an INT8, UINT8 or INT32 tensor, got ${dataTypeName(t.dataType)}`);
  }
  const count = elementCount(t, what);
  const raw = rawBytes(t, what, readExternal);
  if (raw === undefined) {
    checkCount(t.int32Data.length, count, 'int32_data', t, what);
    const out = Int32Array.from(t.int32Data);
    // int32_data holds int8/uint8 elements widened; a value outside the type is a corrupt file.
    const [lo, hi] = t.dataType === DataType.INT8 ? [-128, 127] : t.dataType === DataType.UINT8 ? [0, 255] : [-(2 ** 31), 2 ** 31 - 1];
    for (let i = 0; i < count; i++) {
      if (t.int32Data[i] < lo || t.int32Data[i] > hi) throw new OnnxFormatError(`${what}: int32_data holds ${t.int32Data[i]}, outside ${dataTypeName(t.dataType)}`);
    }
    return out;
  }
  checkBytes(raw, count, t, what);
  switch (t.dataType) {
    case DataType.INT8:
      return Int32Array.from(new Int8Array(raw.buffer, raw.byteOffset, count));
    case DataType.UINT8:
      return Int32Array.from(raw.subarray(0, count));
    default: {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
  }
}

/** A float32 tensor with `raw_data` (little-endian), as the exporter writes initializers; `data` is not copied on little-endian hosts. */
export function float32Tensor(name: string, dims: readonly number[], data: Float32Array): OnnxTensor {
  let raw: Uint8Array;
  if (littleEndian) raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength); // a view: encodeModel copies once
  else {
    raw = new Uint8Array(data.length * 4);
    const view = new DataView(raw.buffer);
    for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  }
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw, int32Data: [], int64Data: [], doubleData: [], dataLocation: 0, externalData: [] };
}
