/**
 * TF.js `model.json`: sniffing what a file really is, parsing it, and validating its
 * `weightsManifest` into weight specs with byte offsets.
 *
 * Format (tfjs-core `io/types.ts`, tensorflowjs converter): `{ format?, modelTopology, weightsManifest:
 * [{ paths: [shard, …], weights: [{ name, shape, dtype, quantization? }, …] }, …] }`. Every group's
 * shards are one byte stream cut into files; the weights of a group lie back to back in it, in
 * manifest order, and the groups follow one another. A weight takes `count × bytes(dtype)` bytes,
 * where a quantised weight's bytes are those of `quantization.dtype` (uint8 1, uint16 2, float16 2).
 */
import { RELATIVE_PATH_RULE, relativePathProblem } from '../io/relative-path.js';

export class TfjsImportError extends Error {
  override name = 'TfjsImportError';
}

export type Quantization =
  | { dtype: 'uint8' | 'uint16'; min: number; scale: number }
  | { dtype: 'float16' };

export interface WeightSpec {
  name: string;
  shape: number[];
  /** Values in the file: 'float32' raw, or quantised per `quantization`. */
  quantization?: Quantization;
  /** 'int32' for a graph model's integer constants (shapes, axes, paddings); absent = float32. */
  dtype?: 'int32';
  /** Offset in the concatenation of all groups' shards, and length, in bytes. */
  byteOffset: number;
  byteLength: number;
  /** Index of the manifest group holding it. */
  group: number;
}

export interface WeightGroup {
  /** Shard paths relative to model.json, in order; each passed `relativePathProblem`. */
  paths: string[];
  /** Bytes the group's weights take (= the shards' total size). */
  byteLength: number;
}

export interface ParsedModelJson {
  /** The Keras model config: `{ class_name, config }`. */
  modelConfig: Record<string, unknown>;
  kerasVersion?: string;
  specs: WeightSpec[];
  groups: WeightGroup[];
  /** Sum of all groups' byte lengths. */
  totalBytes: number;
}

const VALUE_BYTES = { float32: 4, uint8: 1, uint16: 2, float16: 2 } as const;

/** Largest tensor accepted (elements); far above any Inception weight, small enough to allocate. */
const MAX_WEIGHT_ELEMENTS = 1 << 28;

/**
 * Says what `text` is when it is not JSON a TF.js converter wrote: a Git LFS pointer, an HTML page
 * (a web server's error or a GitHub "blob" page), or binary. `undefined` when it looks like JSON.
 */
export function sniffNonJson(text: string): string | undefined {
  const head = text.slice(0, 512).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('version https://git-lfs.github.com/spec/')) {
    return 'a Git LFS pointer, not the file itself — fetch the real content with `git lfs pull` (or download the file directly)';
  }
  if (/^<(!doctype html|html|head|body|\?xml)/i.test(head)) {
    return 'an HTML/XML page, not JSON — the URL probably served an error or a web page (use the "raw" download URL)';
  }
  if (head.length > 0 && head[0] !== '{' && head[0] !== '[') {
    return `not JSON (it starts with ${JSON.stringify(head.slice(0, 24))})`;
  }
  return undefined;
}

/** Parses and validates a model.json given as text or as an already parsed object. */
/** The JSON value of a model.json given as text (sniffed first: LFS pointer, HTML) or already parsed. */
export function readModelJson(source: string | object, file: string): unknown {
  if (typeof source !== 'string') return source;
  const what = sniffNonJson(source);
  if (what !== undefined) throw new TfjsImportError(`${file}: this is ${what}`);
  try {
    return JSON.parse(source);
  } catch (e) {
    throw new TfjsImportError(`${file}: not valid JSON (${(e as Error).message}); the file is truncated or corrupted`);
  }
}

/** A TF.js graph model: `format: "graph-model"`, or a GraphDef topology (`modelTopology.node`). */
export function isGraphModelJson(json: unknown): boolean {
  return isRecord(json) && (json.format === 'graph-model' || (isRecord(json.modelTopology) && Array.isArray(json.modelTopology.node)));
}

export function parseModelJson(source: string | object, file: string): ParsedModelJson {
  const root = asRecord(readModelJson(source, file), `${file}: the top level`);
  if (isGraphModelJson(root)) {
    throw new TfjsImportError(
      `${file}: this is a TF.js graph model (a frozen GraphDef); only layers models (Keras) are supported — ` +
        'convert the Keras model with `tensorflowjs_converter --input_format keras --output_format tfjs_layers_model`',
    );
  }
  const topology = asRecord(root.modelTopology, `${file}: 'modelTopology'`);
  const modelConfig = isRecord(topology.model_config) ? topology.model_config : topology;
  if (typeof modelConfig.class_name !== 'string') {
    throw new TfjsImportError(`${file}: 'modelTopology' holds no Keras model config (no 'class_name'); is this a TF.js layers model?`);
  }
  const kerasVersion = typeof topology.keras_version === 'string' ? topology.keras_version : undefined;
  const { specs, groups, totalBytes } = parseManifest(root.weightsManifest, file);
  return { modelConfig, ...(kerasVersion !== undefined ? { kerasVersion } : {}), specs, groups, totalBytes };
}

/**
 * Validates a `weightsManifest` into specs with byte offsets. `int32` admits the integer constants
 * a graph model stores next to its weights (never quantised); a layers model's weights are float32.
 */
export function parseManifest(manifest: unknown, file: string, int32 = false): { specs: WeightSpec[]; groups: WeightGroup[]; totalBytes: number } {
  if (manifest === undefined) return { specs: [], groups: [], totalBytes: 0 };
  if (!Array.isArray(manifest)) throw new TfjsImportError(`${file}: 'weightsManifest' must be an array of groups`);
  const specs: WeightSpec[] = [];
  const groups: WeightGroup[] = [];
  const names = new Set<string>();
  let offset = 0;
  manifest.forEach((entry: unknown, gi) => {
    const where = `${file}: weightsManifest[${gi}]`;
    const group = asRecord(entry, where);
    if (!Array.isArray(group.paths) || !group.paths.every((p) => typeof p === 'string')) {
      throw new TfjsImportError(`${where}.paths must be an array of shard file names`);
    }
    group.paths.forEach((p: string, pi) => {
      const problem = relativePathProblem(p);
      if (problem !== undefined) throw new TfjsImportError(`${where}.paths[${pi}] ${RELATIVE_PATH_RULE}: ${problem}`);
    });
    if (!Array.isArray(group.weights)) throw new TfjsImportError(`${where}.weights must be an array`);
    const start = offset;
    group.weights.forEach((w: unknown, wi) => {
      const spec = parseSpec(w, `${where}.weights[${wi}]`, offset, gi, int32);
      if (names.has(spec.name)) throw new TfjsImportError(`${where}: weight '${spec.name}' is listed twice`);
      names.add(spec.name);
      specs.push(spec);
      offset += spec.byteLength;
    });
    if (group.paths.length === 0 && offset > start) throw new TfjsImportError(`${where} has weights but no shard paths`);
    groups.push({ paths: group.paths as string[], byteLength: offset - start });
  });
  return { specs, groups, totalBytes: offset };
}

function parseSpec(value: unknown, where: string, byteOffset: number, group: number, int32: boolean): WeightSpec {
  const w = asRecord(value, where);
  if (typeof w.name !== 'string' || w.name.length === 0) throw new TfjsImportError(`${where}: 'name' must be a non-empty string`);
  const label = `${where} ('${w.name}')`;
  if (!Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TfjsImportError(`${label}: 'shape' must be an array of integers ≥ 0, got ${JSON.stringify(w.shape)}`);
  }
  const shape = w.shape as number[];
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_WEIGHT_ELEMENTS) throw new TfjsImportError(`${label}: shape [${shape.join(', ')}] is implausibly large`);
  if (int32 && w.dtype === 'int32') {
    if (w.quantization !== undefined && w.quantization !== null) throw new TfjsImportError(`${label}: an int32 constant cannot be quantised`);
    return { name: w.name, shape, dtype: 'int32', byteOffset, byteLength: count * 4, group };
  }
  if (w.dtype !== 'float32') {
    throw new TfjsImportError(
      `${label}: dtype ${JSON.stringify(w.dtype)} is not supported (${int32 ? "a graph model's constants are 'float32' or 'int32'" : "Keras layer weights are 'float32'"})`,
    );
  }
  let quantization: Quantization | undefined;
  let valueBytes: number = VALUE_BYTES.float32;
  if (w.quantization !== undefined && w.quantization !== null) {
    const q = asRecord(w.quantization, `${label}: 'quantization'`);
    if (q.dtype === 'uint8' || q.dtype === 'uint16') {
      if (typeof q.min !== 'number' || !Number.isFinite(q.min) || typeof q.scale !== 'number' || !Number.isFinite(q.scale)) {
        throw new TfjsImportError(`${label}: ${q.dtype} quantization needs finite numbers 'min' and 'scale', got ${JSON.stringify(q)}`);
      }
      quantization = { dtype: q.dtype, min: q.min, scale: q.scale };
    } else if (q.dtype === 'float16') {
      quantization = { dtype: 'float16' };
    } else {
      throw new TfjsImportError(`${label}: quantization dtype ${JSON.stringify(q.dtype)} is not supported ('uint8', 'uint16', 'float16' are)`);
    }
    valueBytes = VALUE_BYTES[quantization.dtype];
  }
  return {
    name: w.name, shape, ...(quantization ? { quantization } : {}), byteOffset, byteLength: count * valueBytes, group,
  };
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asRecord(v: unknown, where: string): Record<string, unknown> {
  if (!isRecord(v)) throw new TfjsImportError(`${where} must be a JSON object, got ${describe(v)}`);
  return v;
}

/** A short description of a JSON value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
