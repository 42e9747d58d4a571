/**
 * Inspecting a TF.js layers model (Keras): model.json parsed and its manifest validated by the
 * importer's own reader (model-json.ts), layers read by keras-config.ts and judged against the
 * layer table of keras-graph.ts. The graph is built as the importer builds it (shapes only, no
 * weight is read) to learn the output shapes; when that fails, the reason is a note.
 */
import { readKerasModel, type KerasModel } from '../tfjs/keras-config.js';
import { buildKerasGraph, SUPPORTED_LAYERS } from '../tfjs/keras-graph.js';
import { relativePathProblem } from '../io/relative-path.js';
import { isRecord, parseModelJson, type WeightSpec } from '../tfjs/model-json.js';
import { shardFiles, type FolderProbe } from './external.js';
import { readManifest } from './tfjs-manifest.js';
import { histogram, type Dim, type DtypeBytes, type InspectReport, type TensorSummary, type UnsupportedOp } from './report.js';

/** A TF.js shape entry: a size ≥ 0, or free (`null`, -1). */
export const tfjsDim = (d: unknown): Dim => (typeof d === 'number' && Number.isSafeInteger(d) && d >= 0 ? d : '?');

/** generatedBy / convertedBy of a TF.js model.json, and keras_version when given. */
export function tfjsProducer(root: Record<string, unknown>, kerasVersion?: string): string {
  const parts = [root.generatedBy, root.convertedBy].filter((p): p is string => typeof p === 'string' && p !== '');
  if (kerasVersion !== undefined) parts.push(`keras ${kerasVersion}`);
  return parts.join('; ');
}

/** Stored element types of manifest weights: float32, or the quantised type. */
function byDtype(specs: readonly WeightSpec[]): DtypeBytes[] {
  const m = new Map<string, DtypeBytes>();
  for (const s of specs) {
    const dtype = s.quantization?.dtype ?? 'float32';
    const d = m.get(dtype) ?? { dtype, elements: 0, bytes: 0 };
    d.elements += s.shape.reduce((a, b) => a * b, 1);
    d.bytes! += s.byteLength;
    m.set(dtype, d);
  }
  return [...m.values()];
}

/** Layer class names and names as the config lists them, for a config readKerasModel refused. */
function rawLayers(modelConfig: Record<string, unknown>): { className: string; name: string }[] {
  const config = modelConfig.config;
  const list = Array.isArray(config) ? config : isRecord(config) && Array.isArray(config.layers) ? config.layers : [];
  return list.filter(isRecord).map((l, i) => ({
    className: typeof l.class_name === 'string' ? l.class_name : '?',
    name: typeof l.name === 'string' ? l.name : isRecord(l.config) && typeof l.config.name === 'string' ? l.config.name : `layers[${i}]`,
  }));
}

function inputsOf(model: KerasModel): TensorSummary[] {
  return model.inputs.map((name) => {
    const layer = model.layers.find((l) => l.name === name);
    const declared = layer?.config.batch_input_shape ?? layer?.config.batch_shape;
    const dtype = typeof layer?.config.dtype === 'string' ? layer.config.dtype : 'float32';
    return { name, dtype, ...(Array.isArray(declared) ? { shape: declared.map(tfjsDim) } : {}) };
  });
}

/**
 * The manifest with every shard path that could not be opened as a path inside the folder put
 * aside, so that the importer's parser reads the rest (it refuses such a path outright); the
 * shards themselves are reported from the manifest as written.
 */
function withoutEscapingPaths(root: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(root.weightsManifest)) return root;
  const weightsManifest = root.weightsManifest.map((g: unknown) => {
    if (!isRecord(g) || !Array.isArray(g.paths)) return g;
    return { ...g, paths: g.paths.map((p: unknown) => (typeof p === 'string' && relativePathProblem(p) !== undefined ? 'path-outside-the-folder' : p)) };
  });
  return { ...root, weightsManifest };
}

export function inspectTfjsLayers(root: Record<string, unknown>, file: string, probe: FolderProbe | undefined): InspectReport {
  const parsed = parseModelJson(withoutEscapingPaths(root), file);
  const notes: string[] = [];
  const manifest = readManifest(root.weightsManifest, notes);
  const supported = new Set(SUPPORTED_LAYERS);
  let model: KerasModel | undefined;
  try {
    model = readKerasModel(parsed.modelConfig, file);
  } catch (e) {
    notes.push(`the importer cannot read the model config: ${(e as Error).message}`);
  }
  const layers = model?.layers ?? rawLayers(parsed.modelConfig);
  const unsupported: UnsupportedOp[] = layers.filter((l) => !supported.has(l.className)).map((l) => ({ op: l.className, node: l.name }));

  let outputs: TensorSummary[] = (model?.outputs ?? []).map((name) => ({ name, dtype: 'float32' }));
  const inputs = model !== undefined ? inputsOf(model) : [];
  if (model !== undefined && unsupported.length === 0) {
    try {
      const built = buildKerasGraph(model, new Map(parsed.specs.map((s) => [s.name, s])), { batch: 1, logits: false }, file);
      const batch = inputs[0]?.shape?.[0] ?? '?';
      outputs = built.outputs.map((o) => ({ name: o.name, dtype: 'float32', shape: [batch, ...o.shape.slice(1)] }));
      const unused = parsed.specs.filter((s) => !built.uses.has(s.name)).length;
      if (unused > 0) notes.push(`${unused} weight(s) of the manifest belong to no supported layer; the importer refuses such a model`);
    } catch (e) {
      notes.push(`the graph cannot be built as the file stands: ${(e as Error).message}`);
    }
  }

  let params = 0;
  let bnStats = 0;
  for (const s of parsed.specs) {
    const count = s.shape.reduce((a, b) => a * b, 1);
    if (/\/moving_(mean|variance)$/.test(s.name)) bnStats += count;
    else params += count;
  }
  const dtypes = byDtype(parsed.specs);
  return {
    format: 'tfjs-layers',
    producer: tfjsProducer(root, parsed.kerasVersion),
    inputs,
    outputs,
    ops: histogram(layers.map((l) => l.className)),
    nodes: layers.length,
    unusedNodes: 0,
    parameters: { count: params, bnStats, byDtype: dtypes, bytes: parsed.totalBytes },
    externalFiles: shardFiles(manifest.groups, probe),
    supportChecked: true,
    unsupported,
    notes,
  };
}
