/**
 * TF.js model import: `model.json` + weight shards → a Graph and its weights. A layers model
 * (Keras) is read by keras-graph.ts; a graph model (`format: "graph-model"`, a GraphDef) by graph-model.ts.
 *
 *   const m = await importTfjs('models/nsfwjs/model.json');          // or the folder holding it
 *   const session = await createSession({ graph: m.graph, weights: m.weights });
 *   const { logits } = await session.run(nhwcImage, { layout: 'nhwc' });   // [1, m.classes]
 *
 * Supported Keras layers: see keras-graph.ts. Weights: float32, float16, uint8/uint16 affine
 * quantisation (weights.ts). The graph's weights carry the manifest names (`conv2d_1/kernel`,
 * `batch_normalization_1/moving_mean`, …) in the graph's layouts: Conv2D HWIO → OIHW, Dense
 * `[in, out]` → `[out, in]`, vectors as they are. The input is NHWC `[batch, H, W, C]` named after
 * the InputLayer, with the model's own preprocessing (nothing is folded in).
 */
import type { Graph } from '../graph/graph.js';
import { readKerasModel } from './keras-config.js';
import { buildKerasGraph, type WeightLayout } from './keras-graph.js';
import { MAX_MEMORY_BYTES } from '../bindings/arena.js';
import { buildGraphModel } from './graph-model.js';
import { parseGraphModelJson, type ParsedGraphModel } from './graph-model-json.js';
import {
  isGraphModelJson, parseModelJson, readModelJson, sniffNonJson, TfjsImportError, type ParsedModelJson, type WeightGroup, type WeightSpec,
} from './model-json.js';
import { decodeWeight, hwioToOihw, transpose2d } from './weights.js';

/** What the shard reader needs of either kind of model.json. */
type Manifest = Pick<ParsedModelJson, 'specs' | 'groups' | 'totalBytes'>;

export { TfjsImportError } from './model-json.js';

export type TfjsSource =
  /** Path to `model.json` (or to the folder holding it); shards are read relative to it. Node only. */
  | string
  /** The model.json (text or parsed) and every shard concatenated in manifest order. */
  | { modelJson: object | string; weightData: ArrayBuffer | Uint8Array };

export interface TfjsImportOptions {
  /** Batch the graph is built for (default 1). */
  batch?: number;
  /** Input height and width (square or [h, w]); default the InputLayer's; needed when those are null. */
  inputSize?: number | readonly [number, number];
  /** Drop the softmax ending the output layer, so the graph outputs pre-softmax logits (default false). */
  logits?: boolean;
  /**
   * Most bytes the decoded (float32) weights may take, checked against the manifest before any
   * weight is read or allocated (default: the most a wasm memory holds, which they must fit in).
   */
  maxWeightBytes?: number;
}

export interface TfjsImport {
  graph: Graph;
  /** Graph weight name (= manifest name) → values in the graph's layout (conv OIHW, fc [out, in]). */
  weights: Map<string, Float32Array>;
  /** The image input: name and NHWC shape. */
  inputs: { name: string; shape: number[] }[];
  /** Output layers and their shapes; the first is the graph's main output. */
  outputs: { name: string; shape: number[] }[];
  /** Values per image of the main output (the class count for a classifier). */
  classes: number;
  /** `keras_version` recorded in the topology, when present. */
  kerasVersion?: string;
  /** Which kind of model.json it was. */
  format: 'layers-model' | 'graph-model';
}

/**
 * Imports a TF.js layers model. Throws `TfjsImportError` naming the file, layer or weight and the
 * problem for: a file that is a Git LFS pointer, HTML or not JSON; an unsupported
 * layer class or config value; a missing, short or long shard; a shard path that is not relative,
 * or a shard that is not a regular file inside model.json's folder (src/io/model-files.ts);
 * weights beyond `maxWeightBytes`; weights absent, misshapen or unused.
 */
export async function importTfjs(source: TfjsSource, options: TfjsImportOptions = {}): Promise<TfjsImport> {
  if (typeof source === 'string') {
    const { file, text, files } = await openModelJson(source);
    const json = readModelJson(text, file);
    if (isGraphModelJson(json)) {
      const graphModel = parseGraphModelJson(json, file);
      checkWeightBytes(graphModel, options, file);
      return assembleGraphModel(graphModel, await readShards(graphModel, file, files), options, file);
    }
    const parsed = parseModelJson(json as object, file);
    checkWeightBytes(parsed, options, file);
    return assemble(parsed, await readShards(parsed, file, files), options, file);
  }
  if (source === null || typeof source !== 'object' || !('modelJson' in source) || !('weightData' in source)) {
    throw new TfjsImportError('importTfjs: pass a path to model.json, or { modelJson, weightData }');
  }
  const file = 'model.json';
  const json = readModelJson(source.modelJson, file);
  const parsed = isGraphModelJson(json) ? parseGraphModelJson(json, file) : parseModelJson(json as object, file);
  checkWeightBytes(parsed, options, file);
  const { weightData } = source;
  const data = weightData instanceof Uint8Array ? weightData : weightData instanceof ArrayBuffer ? new Uint8Array(weightData) : undefined;
  if (!data) throw new TfjsImportError('importTfjs: weightData must be an ArrayBuffer or a Uint8Array');
  if (data.byteLength !== parsed.totalBytes) {
    throw new TfjsImportError(
      `${file}: the weight data holds ${data.byteLength} bytes, the weightsManifest describes ${parsed.totalBytes}; ` +
        'pass every shard concatenated in manifest order, complete',
    );
  }
  return 'modelConfig' in parsed ? assemble(parsed, data, options, file) : assembleGraphModel(parsed, data, options, file);
}

/** Values per image of the main (first) output: the class count for a classifier. */
function classesOf(outputs: readonly { shape: readonly number[] }[]): number {
  return outputs[0]!.shape.slice(1).reduce((a, b) => a * b, 1);
}

function assembleGraphModel(parsed: ParsedGraphModel, data: Uint8Array, options: TfjsImportOptions, file: string): TfjsImport {
  if (options.logits) throw new TfjsImportError(`${file}: 'logits' applies to layers models; a graph model's outputs are used as they are`);
  const built = buildGraphModel(parsed, data, {
    batch: positiveInt(options.batch ?? 1, 'batch'),
    ...(options.inputSize !== undefined ? { inputSize: size(options.inputSize) } : {}),
  }, file);
  return { ...built, classes: classesOf(built.outputs), format: 'graph-model' };
}

function assemble(parsed: ParsedModelJson, data: Uint8Array, options: TfjsImportOptions, file: string): TfjsImport {
  const specs = new Map<string, WeightSpec>(parsed.specs.map((s) => [s.name, s]));
  const model = readKerasModel(parsed.modelConfig, file);
  const built = buildKerasGraph(model, specs, {
    batch: positiveInt(options.batch ?? 1, 'batch'),
    ...(options.inputSize !== undefined ? { inputSize: size(options.inputSize) } : {}),
    logits: options.logits ?? false,
  }, file);
  const unused = parsed.specs.filter((s) => !built.uses.has(s.name)).map((s) => `'${s.name}'`);
  if (unused.length > 0) {
    throw new TfjsImportError(
      `${file}: ${unused.length} weight(s) of the manifest belong to no supported layer: ${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''}`,
    );
  }
  const weights = new Map<string, Float32Array>();
  for (const decl of built.graph.weights) {
    weights.set(decl.name, toGraphLayout(decodeWeight(specs.get(decl.name)!, data), built.uses.get(decl.name)!));
  }
  return {
    graph: built.graph, weights, inputs: built.inputs, outputs: built.outputs,
    classes: classesOf(built.outputs), format: 'layers-model',
    ...(parsed.kerasVersion !== undefined ? { kerasVersion: parsed.kerasVersion } : {}),
  };
}

function toGraphLayout(values: Float32Array, layout: WeightLayout): Float32Array {
  switch (layout.kind) {
    case 'asIs':
      return values;
    case 'hwio':
      return hwioToOihw(values, layout.kh, layout.kw, layout.cin, layout.cout);
    case 'dense':
      return transpose2d(values, layout.inFeatures, layout.outFeatures);
  }
}

// ---- files (Node) --------------------------------------------------------------------------

/** Largest model.json read: the converter writes the topology and manifest only (an Inception's is ~1 MB). */
const MAX_MODEL_JSON_BYTES = 64 << 20;
/** Shards smaller than this are read to tell a Git LFS pointer or an HTML page from weights. */
const SNIFF_BYTES = 2048;

/** Reads model.json (or `folder/model.json`) through model-files.ts; returns its path and text. */
async function openModelJson(path: string): Promise<{ file: string; text: string; files: typeof import('../io/model-files.js') }> {
  const files = await import('../io/model-files.js');
  const nodePath = await import('node:path');
  let file = nodePath.resolve(path);
  if (files.isDirectory(file)) file = nodePath.join(file, 'model.json');
  const bytes = files.readModelFile(file, MAX_MODEL_JSON_BYTES, file, importError);
  return { file, text: new TextDecoder().decode(bytes), files };
}

const importError = (message: string) => new TfjsImportError(message);

/** A shard as first opened: its size and identity, and what it is when small (an LFS pointer, HTML). */
interface ShardInfo {
  path: string;
  where: string;
  size: number;
  id: string;
  sniffed?: string;
}

/**
 * Reads every group's shards from the model's folder into one buffer sized from the manifest.
 * A first pass opens each shard (a regular file inside the folder: model-files.ts), takes its size
 * from fstat and closes it, and checks each group's sizes against the manifest before anything is
 * allocated; the second reopens each shard (one descriptor at a time, however many shards), checks
 * it is the same file of the same size, and reads exactly that.
 */
async function readShards(parsed: Manifest, file: string, files: typeof import('../io/model-files.js')): Promise<Uint8Array> {
  const nodePath = await import('node:path');
  const folder = new files.ModelFolder(nodePath.dirname(file), file, importError);
  const groups = parsed.groups.map((group, gi) => {
    const shards = group.paths.map((path, pi): ShardInfo => {
      const where = `${file}: weightsManifest[${gi}].paths[${pi}] '${path}'`;
      const shard = folder.open(path, where, importError);
      try {
        const sniffed = shard.size < SNIFF_BYTES ? sniffNonJson(new TextDecoder().decode(shard.read(0, shard.size))) : undefined;
        return { path, where, size: shard.size, id: shard.id, ...(sniffed !== undefined ? { sniffed } : {}) };
      } finally {
        shard.close();
      }
    });
    checkGroupSize(shards, group, gi, file);
    return shards;
  });
  const data = new Uint8Array(parsed.totalBytes);
  let offset = 0;
  for (const s of groups.flat()) {
    const shard = folder.open(s.path, s.where, importError);
    try {
      if (shard.id !== s.id || shard.size !== s.size) {
        throw new TfjsImportError(`${s.where} changed while the model was being loaded; load it again once its folder is no longer being modified`);
      }
      shard.readInto(data, offset, 0, s.size);
    } finally {
      shard.close();
    }
    offset += s.size;
  }
  return data;
}

/** Throws unless a group's shards hold exactly its manifest bytes; names an LFS pointer or HTML page among them. */
function checkGroupSize(shards: ShardInfo[], group: WeightGroup, gi: number, file: string): void {
  const groupBytes = shards.reduce((sum, s) => sum + s.size, 0);
  if (groupBytes === group.byteLength) return;
  for (const { path, sniffed } of shards) {
    if (sniffed?.startsWith('a Git LFS') || sniffed?.startsWith('an HTML')) {
      throw new TfjsImportError(`weight shard '${path}' (weightsManifest[${gi}] of ${file}) is ${sniffed}`);
    }
  }
  const sizes = shards.map((s) => `${s.path}: ${s.size}`);
  throw new TfjsImportError(
    `${file}: weightsManifest[${gi}] describes ${group.byteLength} bytes of weights but its shards hold ${groupBytes} ` +
      `(${sizes.join(', ')}); a shard is ${groupBytes < group.byteLength ? 'truncated or missing data' : 'too long'} — re-download it, or the manifest belongs to other shards`,
  );
}

/** Bytes the weights take once decoded to float32 (what `weights` holds). */
function decodedBytes(parsed: Manifest): number {
  return parsed.specs.reduce((sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1), 0);
}

/** Throws unless the decoded weights fit `maxWeightBytes`; checked before any weight is allocated. */
function checkWeightBytes(parsed: Manifest, options: TfjsImportOptions, file: string): void {
  const max = options.maxWeightBytes ?? MAX_MEMORY_BYTES;
  if (!Number.isSafeInteger(max) || max < 0) throw new TfjsImportError(`importTfjs: maxWeightBytes must be an integer ≥ 0, got ${max}`);
  const bytes = decodedBytes(parsed);
  if (bytes > max) {
    throw new TfjsImportError(
      `${file}: the weightsManifest describes ${bytes} bytes of float32 weights, more than maxWeightBytes (${max}); ` +
        'raise maxWeightBytes (the session\'s maxMemoryBytes) if the model is meant to be that large',
    );
  }
}

function positiveInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new TfjsImportError(`importTfjs: ${what} must be a positive integer, got ${v}`);
  return v;
}

function size(s: number | readonly [number, number]): [number, number] {
  const [h, w] = typeof s === 'number' ? [s, s] : s;
  return [positiveInt(h!, 'inputSize'), positiveInt(w!, 'inputSize')];
}
