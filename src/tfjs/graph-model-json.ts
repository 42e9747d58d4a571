/**
 * A TF.js graph model's `model.json`, read and validated: the GraphDef nodes (`modelTopology.node`,
 * protobuf's JSON mapping), the signature, and the weights manifest (whose entries are the Const
 * nodes' values, float32 — possibly quantised — or int32).
 *
 * GraphDef JSON as tensorflowjs_converter writes it: `{ name, op, input: ['x', 'y:1', '^ctrl'],
 * attr: { key: AttrValue } }` where an AttrValue is one of `{ i: '3' }` (int64 as a decimal string),
 * `{ f: 0.001 }`, `{ b: true }`, `{ s: base64 }`, `{ type: 'DT_FLOAT' }`, `{ shape: { dim: [{ size }] } }`,
 * `{ tensor: … }` or `{ list: { i: [...], s: [...], f: [...] } }`. Everything here is bounded: the
 * node count, each node's inputs and attributes, list lengths and string lengths.
 */
import { asRecord, isRecord, parseManifest, TfjsImportError, type WeightGroup, type WeightSpec } from './model-json.js';

/** Most nodes read: an Inception-ResNet-v2 graph model has ~1,500. */
export const MAX_NODES = 100_000;
/** Most inputs of one node (ConcatV2 of an Inception block has 4–6 and the axis). */
const MAX_NODE_INPUTS = 1024;
/** Most attributes of one node, and most entries of one attribute list. */
const MAX_ATTRS = 64;
const MAX_LIST = 64;
/** Longest node name, input reference or attribute string. */
const MAX_NAME = 4096;

export interface GraphDefNode {
  name: string;
  op: string;
  /** Data inputs as `[node, output index]`; control inputs (`^name`) are dropped. */
  inputs: [string, number][];
  attr: Record<string, unknown>;
}

export interface SignatureEntry {
  /** The signature's key (what tfjs calls the input or output). */
  key: string;
  /** The node it names (`name:0` → `name`). */
  node: string;
}

export interface ParsedGraphModel {
  nodes: GraphDefNode[];
  inputs: SignatureEntry[];
  outputs: SignatureEntry[];
  specs: WeightSpec[];
  groups: WeightGroup[];
  totalBytes: number;
  /** `convertedBy` / `generatedBy`, for messages. */
  producer?: string;
}

/** Parses a graph model's JSON (already read by `readModelJson`). */
export function parseGraphModelJson(json: unknown, file: string): ParsedGraphModel {
  const root = asRecord(json, `${file}: the top level`);
  const topology = asRecord(root.modelTopology, `${file}: 'modelTopology'`);
  if (!Array.isArray(topology.node)) throw new TfjsImportError(`${file}: 'modelTopology.node' must be the GraphDef's array of nodes`);
  if (topology.node.length > MAX_NODES) {
    throw new TfjsImportError(`${file}: the graph has ${topology.node.length} nodes, more than the ${MAX_NODES} accepted`);
  }
  if (isRecord(topology.library) && Array.isArray(topology.library.function) && topology.library.function.length > 0) {
    throw new TfjsImportError(`${file}: the graph holds functions (control flow: If/While); only a straight-line inference graph is supported`);
  }
  const names = new Set<string>();
  const nodes = topology.node.map((value: unknown, i): GraphDefNode => {
    const node = parseNode(value, `${file}: modelTopology.node[${i}]`);
    if (names.has(node.name)) throw new TfjsImportError(`${file}: node '${node.name}' is defined twice`);
    names.add(node.name);
    return node;
  });
  const signature = isRecord(root.signature) ? root.signature : {};
  const { specs, groups, totalBytes } = parseManifest(root.weightsManifest, file, true);
  const producer = [root.convertedBy, root.generatedBy].find((v): v is string => typeof v === 'string' && v.length <= MAX_NAME);
  return {
    nodes,
    inputs: signatureEntries(signature.inputs, `${file}: signature.inputs`),
    outputs: signatureEntries(signature.outputs, `${file}: signature.outputs`),
    specs, groups, totalBytes, ...(producer !== undefined ? { producer } : {}),
  };
}

function parseNode(value: unknown, where: string): GraphDefNode {
  const n = asRecord(value, where);
  const name = boundedString(n.name, `${where}.name`);
  const label = `node '${name}'`;
  const op = boundedString(n.op, `${label}: 'op'`);
  const rawInputs = n.input ?? [];
  if (!Array.isArray(rawInputs) || rawInputs.length > MAX_NODE_INPUTS) {
    throw new TfjsImportError(`${label} (${op}): 'input' must be an array of at most ${MAX_NODE_INPUTS} names`);
  }
  const inputs: [string, number][] = [];
  for (const ref of rawInputs) {
    const s = boundedString(ref, `${label} (${op}): an input`);
    if (s.startsWith('^')) continue;
    inputs.push(splitRef(s, `${label} (${op})`));
  }
  const attr = n.attr === undefined ? {} : asRecord(n.attr, `${label} (${op}): 'attr'`);
  if (Object.keys(attr).length > MAX_ATTRS) throw new TfjsImportError(`${label} (${op}) has more than ${MAX_ATTRS} attributes`);
  return { name, op, inputs, attr };
}

/** `'node'` → [node, 0]; `'node:2'` → [node, 2]. */
function splitRef(ref: string, where: string): [string, number] {
  const m = /^(.*):(\d{1,4})$/.exec(ref);
  if (m === null) return [ref, 0];
  if (m[1]!.length === 0) throw new TfjsImportError(`${where}: input '${ref}' names no node`);
  return [m[1]!, Number(m[2])];
}

function boundedString(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_NAME) {
    throw new TfjsImportError(`${where} must be a non-empty string of at most ${MAX_NAME} characters`);
  }
  return v;
}

function signatureEntries(value: unknown, where: string): SignatureEntry[] {
  if (value === undefined || value === null) return [];
  const entries = asRecord(value, where);
  const keys = Object.keys(entries);
  if (keys.length > MAX_LIST) throw new TfjsImportError(`${where} has more than ${MAX_LIST} entries`);
  return keys.map((key) => {
    const e = asRecord(entries[key], `${where}['${key}']`);
    const [node] = splitRef(boundedString(e.name, `${where}['${key}'].name`), `${where}['${key}']`);
    return { key, node };
  });
}

// ---- attributes ------------------------------------------------------------------------------

/** Reads one node's attributes; every error names the node, its op and the attribute. */
export class Attrs {
  constructor(private readonly node: GraphDefNode) {}

  fail(message: string): TfjsImportError {
    return new TfjsImportError(`node '${this.node.name}' (${this.node.op}): ${message}`);
  }

  private value(key: string): Record<string, unknown> | undefined {
    const v = Object.hasOwn(this.node.attr, key) ? this.node.attr[key] : undefined;
    if (v === undefined) return undefined;
    if (!isRecord(v)) throw this.fail(`attribute '${key}' must be an AttrValue object`);
    return v;
  }

  has(key: string): boolean {
    return this.value(key) !== undefined;
  }

  /** A string attribute (base64 in the JSON), or `fallback` when absent. */
  string(key: string, fallback?: string): string {
    const v = this.value(key);
    if (v === undefined || v.s === undefined) {
      if (fallback !== undefined) return fallback;
      throw this.fail(`attribute '${key}' (a string) is missing`);
    }
    return decodeBase64(v.s, () => this.fail(`attribute '${key}' is not a base64 string`));
  }

  int(key: string, fallback?: number): number {
    const v = this.value(key);
    if (v === undefined || v.i === undefined) {
      if (fallback !== undefined) return fallback;
      throw this.fail(`attribute '${key}' (an integer) is missing`);
    }
    return toInt(v.i, () => this.fail(`attribute '${key}' must be an integer, got ${JSON.stringify(v.i)}`));
  }

  float(key: string, fallback: number): number {
    const v = this.value(key);
    if (v === undefined || v.f === undefined) return fallback;
    const f = Number(v.f);
    if (!Number.isFinite(f)) throw this.fail(`attribute '${key}' must be a finite number, got ${JSON.stringify(v.f)}`);
    return f;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.value(key);
    if (v === undefined || v.b === undefined) return fallback;
    if (typeof v.b !== 'boolean') throw this.fail(`attribute '${key}' must be a boolean`);
    return v.b;
  }

  /** `list.i` of an attribute; `fallback` when absent. */
  ints(key: string, fallback?: number[]): number[] {
    const list = this.list(key);
    if (list === undefined || list.i === undefined) {
      if (fallback !== undefined) return fallback;
      throw this.fail(`attribute '${key}' (a list of integers) is missing`);
    }
    const items = this.items(list.i, key);
    return items.map((x) => toInt(x, () => this.fail(`attribute '${key}' holds ${JSON.stringify(x)}, not an integer`)));
  }

  /** `list.s` of an attribute, decoded; [] when absent. */
  strings(key: string): string[] {
    const list = this.list(key);
    if (list === undefined || list.s === undefined) return [];
    return this.items(list.s, key).map((x) => decodeBase64(x, () => this.fail(`attribute '${key}' holds a non-base64 entry`)));
  }

  /** The `type` attribute (`DT_FLOAT`, …), or undefined. */
  type(key: string): string | undefined {
    const v = this.value(key);
    if (v === undefined || v.type === undefined) return undefined;
    if (typeof v.type !== 'string' || v.type.length > 64) throw this.fail(`attribute '${key}' must name a dtype`);
    return v.type;
  }

  private list(key: string): Record<string, unknown> | undefined {
    const v = this.value(key);
    if (v === undefined || v.list === undefined) return undefined;
    if (!isRecord(v.list)) throw this.fail(`attribute '${key}' must hold a list`);
    return v.list;
  }

  private items(x: unknown, key: string): unknown[] {
    if (!Array.isArray(x) || x.length > MAX_LIST) throw this.fail(`attribute '${key}' must be a list of at most ${MAX_LIST} entries`);
    return x;
  }
}

/** An int64 in protobuf JSON (a decimal string, or a number); safe integers only. */
function toInt(v: unknown, fail: () => Error): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,16}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw fail();
  return n;
}

/** Decodes protobuf JSON's base64 `bytes` as latin-1 text (attribute strings are ASCII). */
function decodeBase64(v: unknown, fail: () => Error): string {
  if (typeof v !== 'string' || v.length > MAX_NAME || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) throw fail();
  try {
    return atob(v.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    throw fail();
  }
}
