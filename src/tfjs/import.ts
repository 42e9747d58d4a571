/**
 * TF.js layers-model (Keras) import: `model.json` + weight shards → a Graph and its weights.
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
import { parseModelJson, sniffNonJson, TfjsImportError, type ParsedModelJson, type WeightSpec } from './model-json.js';
import { decodeWeight, hwioToOihw, transpose2d } from './weights.js';

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
}

/**
 * Imports a TF.js layers model. Throws `TfjsImportError` naming the file, layer or weight and the
 * problem for: a file that is a Git LFS pointer, HTML or not JSON; a graph model; an unsupported
 * layer class or config value; a missing, short or long shard; weights absent, misshapen or unused.
 */
export async function importTfjs(source: TfjsSource, options: TfjsImportOptions = {}): Promise<TfjsImport> {
  if (typeof source === 'string') {
    const { file, text, read } = await openModelJson(source);
    const parsed = parseModelJson(text, file);
    return assemble(parsed, await readShards(parsed, file, read), options, file);
  }
  if (source === null || typeof source !== 'object' || !('modelJson' in source) || !('weightData' in source)) {
    throw new TfjsImportError('importTfjs: pass a path to model.json, or { modelJson, weightData }');
  }
  const file = 'model.json';
  const parsed = parseModelJson(source.modelJson, file);
  const { weightData } = source;
  const data = weightData instanceof Uint8Array ? weightData : weightData instanceof ArrayBuffer ? new Uint8Array(weightData) : undefined;
  if (!data) throw new TfjsImportError('importTfjs: weightData must be an ArrayBuffer or a Uint8Array');
  if (data.byteLength !== parsed.totalBytes) {
    throw new TfjsImportError(
      `${file}: the weight data holds ${data.byteLength} bytes, the weightsManifest describes ${parsed.totalBytes}; ` +
        'pass every shard concatenated in manifest order, complete',
    );
  }
  return assemble(parsed, data, options, file);
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
  const [, ...perImage] = built.outputs[0]!.shape;
  return {
    graph: built.graph, weights, inputs: built.inputs, outputs: built.outputs,
    classes: perImage.reduce((a, b) => a * b, 1),
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

type ReadBytes = (path: string) => Promise<Uint8Array>;

async function openModelJson(path: string): Promise<{ file: string; text: string; read: ReadBytes }> {
  const fs = await import('node:fs/promises');
  const nodePath = await import('node:path');
  const read: ReadBytes = async (p) => {
    try {
      return new Uint8Array(await fs.readFile(p));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new TfjsImportError(code === 'ENOENT' ? `${p}: file not found` : `${p}: cannot be read (${(e as Error).message})`);
    }
  };
  let file = nodePath.resolve(path);
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat?.isDirectory()) file = nodePath.join(file, 'model.json');
  const bytes = await read(file);
  return { file, text: new TextDecoder().decode(bytes), read: (p) => read(nodePath.resolve(nodePath.dirname(file), p)) };
}

/** Reads every group's shards and checks each group's size against its manifest entries. */
async function readShards(parsed: ParsedModelJson, file: string, read: ReadBytes): Promise<Uint8Array> {
  const data = new Uint8Array(parsed.totalBytes);
  let offset = 0;
  for (const [gi, group] of parsed.groups.entries()) {
    const sizes: string[] = [];
    let groupBytes = 0;
    for (const path of group.paths) {
      const shard = await read(path);
      const what = shard.byteLength < 2048 ? sniffNonJson(new TextDecoder().decode(shard)) : undefined;
      if (what?.startsWith('a Git LFS') || what?.startsWith('an HTML')) {
        throw new TfjsImportError(`weight shard '${path}' (weightsManifest[${gi}] of ${file}) is ${what}`);
      }
      sizes.push(`${path}: ${shard.byteLength}`);
      if (groupBytes + shard.byteLength <= group.byteLength) data.set(shard, offset + groupBytes);
      groupBytes += shard.byteLength;
    }
    if (groupBytes !== group.byteLength) {
      throw new TfjsImportError(
        `${file}: weightsManifest[${gi}] describes ${group.byteLength} bytes of weights but its shards hold ${groupBytes} ` +
          `(${sizes.join(', ')}); a shard is ${groupBytes < group.byteLength ? 'truncated or missing data' : 'too long'} — re-download it, or the manifest belongs to other shards`,
      );
    }
    offset += groupBytes;
  }
  return data;
}

function positiveInt(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 1) throw new TfjsImportError(`importTfjs: ${what} must be a positive integer, got ${v}`);
  return v;
}

function size(s: number | readonly [number, number]): [number, number] {
  const [h, w] = typeof s === 'number' ? [s, s] : s;
  return [positiveInt(h!, 'inputSize'), positiveInt(w!, 'inputSize')];
}
