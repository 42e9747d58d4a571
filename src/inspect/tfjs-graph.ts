/**
 * Inspecting a TF.js graph model (`format: "graph-model"`: a GraphDef as JSON plus weight shards).
 * The node list, signature and weights manifest are read here with bounded loops over the parsed
 * JSON; paths follow the same rule as every loader (relative-path.ts, model-files.ts).
 *
 * Op support is judged against the importer's own table (`SUPPORTED_GRAPH_OPS`), over the nodes
 * the outputs depend on: the importer reads nothing else.
 */
import { SUPPORTED_GRAPH_OPS } from '../tfjs/graph-model.js';
import { isRecord } from '../tfjs/model-json.js';
import { shardFiles, type FolderProbe } from './external.js';
import { histogram, type DtypeBytes, type InspectReport, type TensorSummary, type UnsupportedOp } from './report.js';
import { tfjsDim, tfjsProducer } from './tfjs-layers.js';
import { readManifest } from './tfjs-manifest.js';


/** TF DataType enum names (GraphDef JSON) → TF.js dtype names. */
const TF_TYPES: Readonly<Record<string, string>> = {
  DT_FLOAT: 'float32', DT_INT32: 'int32', DT_BOOL: 'bool', DT_STRING: 'string', DT_INT64: 'int64', DT_HALF: 'float16', DT_UINT8: 'uint8',
};

/** Ops whose constant operands are trainable weights; FusedBatchNorm's inputs 3 and 4 are statistics. */
const WEIGHT_OPS = new Set([
  'Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative', 'MatMul', '_FusedMatMul', 'BiasAdd', 'Add', 'AddV2',
]);
const BATCH_NORMS = new Set(['FusedBatchNorm', 'FusedBatchNormV2', 'FusedBatchNormV3']);

/** A GraphDef input reference: `node`, `node:1` (second output) or `^node` (control edge). */
const producerOf = (ref: string) => ref.replace(/^\^/, '').replace(/:\d+$/, '');

function shapeOf(shape: unknown): TensorSummary['shape'] {
  if (!isRecord(shape) || shape.unknownRank === true) return undefined;
  const dims = Array.isArray(shape.dim) ? shape.dim : [];
  return dims.map((d) => tfjsDim(isRecord(d) ? Number(d.size ?? 0) : undefined));
}

/** Signature entries (`signature.inputs` / `outputs`: name → TensorInfo). */
function signatureTensors(sig: unknown): TensorSummary[] | undefined {
  if (!isRecord(sig)) return undefined;
  return Object.entries(sig).map(([key, info]) => {
    const i = isRecord(info) ? info : {};
    const dtype = typeof i.dtype === 'string' ? TF_TYPES[i.dtype] ?? i.dtype : '?';
    const shape = shapeOf(i.tensorShape);
    return { name: typeof i.name === 'string' ? i.name : key, dtype, ...(shape !== undefined ? { shape } : {}) };
  });
}

interface GraphNodeJson {
  name: string;
  op: string;
  inputs: string[];
  attr: Record<string, unknown>;
}

function readNodes(topology: Record<string, unknown>, notes: string[]): GraphNodeJson[] {
  const list = Array.isArray(topology.node) ? topology.node : [];
  const nodes: GraphNodeJson[] = [];
  let skipped = 0;
  for (const n of list) {
    if (!isRecord(n) || typeof n.op !== 'string' || typeof n.name !== 'string') {
      skipped++;
      continue;
    }
    const inputs = Array.isArray(n.input) ? n.input.filter((i): i is string => typeof i === 'string') : [];
    nodes.push({ name: n.name, op: n.op, inputs, attr: isRecord(n.attr) ? n.attr : {} });
  }
  if (skipped > 0) notes.push(`${skipped} entr(ies) of modelTopology.node are not nodes ({ name, op }) and were skipped`);
  const fns = isRecord(topology.library) && Array.isArray(topology.library.function) ? topology.library.function.length : 0;
  if (fns > 0) notes.push(`the graph defines ${fns} function(s) (control flow); their bodies are not listed`);
  return nodes;
}

/** Names of the nodes the outputs depend on (an iterative walk; a signature name may carry `:k`). */
function liveNodes(nodes: readonly GraphNodeJson[], outputs: readonly string[]): Set<string> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const live = new Set<string>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (live.has(name)) continue;
    const node = byName.get(name);
    if (node === undefined) continue;
    live.add(name);
    for (const ref of node.inputs) stack.push(producerOf(ref));
  }
  return live;
}

export function inspectTfjsGraph(root: Record<string, unknown>, probe: FolderProbe | undefined): InspectReport {
  const notes: string[] = [];
  const topology = isRecord(root.modelTopology) ? root.modelTopology : {};
  const nodes = readNodes(topology, notes);
  const { groups, weights } = readManifest(root.weightsManifest, notes);

  const signature = isRecord(root.signature) ? root.signature : {};
  const inputs = signatureTensors(signature.inputs) ?? nodes.filter((n) => n.op === 'Placeholder').map((n): TensorSummary => {
    const dtype = isRecord(n.attr.dtype) && typeof n.attr.dtype.type === 'string' ? TF_TYPES[n.attr.dtype.type] ?? n.attr.dtype.type : '?';
    const shape = isRecord(n.attr.shape) ? shapeOf(n.attr.shape.shape) : undefined;
    return { name: n.name, dtype, ...(shape !== undefined ? { shape } : {}) };
  });
  let outputs = signatureTensors(signature.outputs);
  if (outputs === undefined) {
    const consumed = new Set(nodes.flatMap((n) => n.inputs.map(producerOf)));
    outputs = nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp').map((n) => ({ name: n.name, dtype: '?' }));
    notes.push('the model has no signature; its outputs are taken to be the nodes nothing consumes');
  }

  // A weight's role follows the ops that read it (`Const` nodes carry the manifest names).
  const roles = new Map<string, 'param' | 'stat'>();
  for (const n of nodes) {
    n.inputs.forEach((ref, k) => {
      const source = producerOf(ref);
      if (BATCH_NORMS.has(n.op)) roles.set(source, k <= 2 ? 'param' : 'stat');
      else if (WEIGHT_OPS.has(n.op) && roles.get(source) === undefined) roles.set(source, 'param');
    });
  }
  let params = 0;
  let bnStats = 0;
  const byDtype = new Map<string, DtypeBytes>();
  for (const w of weights) {
    const d = byDtype.get(w.stored) ?? { dtype: w.stored, elements: 0, bytes: 0 };
    d.elements += w.elements;
    d.bytes = d.bytes === undefined || w.bytes === undefined ? undefined : d.bytes + w.bytes;
    byDtype.set(w.stored, d);
    if (w.dtype !== 'float32' || w.rank === 0) continue;
    const r = roles.get(w.name);
    if (r === 'param') params += w.elements;
    else if (r === 'stat') bnStats += w.elements;
  }
  const live = liveNodes(nodes, outputs.map((o) => producerOf(o.name)));
  const supported = new Set(SUPPORTED_GRAPH_OPS);
  const unsupported: UnsupportedOp[] = nodes.filter((n) => live.has(n.name) && !supported.has(n.op)).map((n) => ({ op: n.op, node: n.name }));
  const dtypes = [...byDtype.values()];
  return {
    format: 'tfjs-graph',
    producer: tfjsProducer(root),
    inputs,
    outputs,
    ops: histogram(nodes.map((n) => n.op)),
    nodes: nodes.length,
    unusedNodes: nodes.filter((n) => !live.has(n.name)).length,
    parameters: { count: params, bnStats, byDtype: dtypes, bytes: dtypes.reduce((s, d) => s + (d.bytes ?? 0), 0) },
    externalFiles: shardFiles(groups, probe),
    supportChecked: true,
    unsupported,
    notes,
  };
}
