/**
 * Graph + weights → an ONNX model (IR 7, opset 13, standard ai.onnx ops only) that
 * onnxruntime and other engines run as-is:
 *
 *   writeFileSync('v3.onnx', exportOnnx(graph, weights));
 *
 * - Input `input` NCHW `[batch, C, H, W]` (`batch` symbolic, H/W fixed to the graph's size);
 *   the main output is `logits` (`[batch, F]`, or NCHW for a feature-map output); further
 *   outputs keep their node names.
 * - Initializers are the weights under their own names (float32 `raw_data`, little-endian),
 *   in the graph's declaration (state-dict) order; conv OIHW and fc [out, in] as the Graph holds them.
 * - Node kinds map one to one (conv → Conv with explicit resolved pads and `group`, batchNorm →
 *   BatchNormalization, fc → Gemm transB 1, flatten → Flatten, …) except `add(x, y, scale ≠ 1)`
 *   → Constant(scale) · Mul → Add, the form torch exports the Inception-ResNet residual in, and
 *   adaptiveAvgPool → AveragePool (only when the output size divides the input size).
 * - A BatchNorm without γ/β gets an initializer of ones/zeros named `<node>.scale` / `<node>.bias`.
 *
 * Each kind's mapping is its op module's `onnx` (src/ops/); this file names values and encodes.
 */

import type { Graph } from '../graph/graph.js';
import type { Shape, ValueId } from '../graph/nodes.js';
import { opDef } from '../ops/index.js';
import type { OnnxAttr, OnnxEmitter } from '../ops/op-def.js';
import { AttrType, DataType, encodeModel, type OnnxAttribute, type OnnxDim, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-proto.js';
import { float32Tensor } from './tensor.js';

export const EXPORT_OPSET = 13;
export const EXPORT_IR_VERSION = 7;

export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
}

const base = { floats: [], ints: [], strings: [], hasGraph: false };

/** An op module's attribute as protobuf. */
function attribute(a: OnnxAttr): OnnxAttribute {
  if ('int' in a) return { ...base, name: a.name, type: AttrType.INT, i: a.int };
  if ('float' in a) return { ...base, name: a.name, type: AttrType.FLOAT, f: a.float };
  if ('ints' in a) return { ...base, name: a.name, type: AttrType.INTS, ints: a.ints };
  return { ...base, name: a.name, type: AttrType.TENSOR, t: float32Tensor('', [], Float32Array.of(a.scalar)) };
}

function dims(shape: Shape, batchParam: string): OnnxDim[] {
  const onnx = shape.length === 4 ? [shape[3], shape[1], shape[2]] : shape.slice(1);
  return [{ param: batchParam }, ...onnx.map((value) => ({ value }))];
}

/** The ONNX model of `graph` with `weights` (by weight name, framework layout), as objects. */
export function graphToOnnxModel(graph: Graph, weights: ReadonlyMap<string, Float32Array>): OnnxModel {
  if (graph.inputs.length !== 1) throw new OnnxExportError(`the graph has ${graph.inputs.length} inputs; export needs exactly one`);
  const used = new Set<string>(graph.weights.map((w) => w.name));
  const fresh = (wanted: string): string => {
    let name = wanted;
    for (let k = 2; used.has(name); k++) name = `${wanted}_${k}`;
    used.add(name);
    return name;
  };
  const names = new Map<ValueId, string>();
  names.set(graph.inputs[0], fresh('input'));
  graph.outputs.forEach((v, i) => names.has(v) || names.set(v, fresh(i === 0 ? 'logits' : graph.node(v).name)));
  const nameOf = (v: ValueId): string => {
    let n = names.get(v);
    if (n === undefined) names.set(v, (n = fresh(graph.node(v).name)));
    return n;
  };

  const initializer: OnnxTensor[] = graph.weights.map((w) => {
    const data = weights.get(w.name);
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (data === undefined) throw new OnnxExportError(`weight '${w.name}' [${w.shape.join(', ')}] is missing from the weights`);
    if (data.length !== count) throw new OnnxExportError(`weight '${w.name}' has ${data.length} values, expected [${w.shape.join(', ')}] = ${count}`);
    return float32Tensor(w.name, w.shape, data);
  });
  const nodes: OnnxNode[] = [];
  const emitter: OnnxEmitter = {
    value: nameOf,
    fresh,
    constant(wanted, shape, data) {
      const t = float32Tensor(fresh(wanted), shape, data);
      initializer.push(t);
      return t.name;
    },
    node(opType, name, inputs, output, attrs = []) {
      nodes.push({ name, opType, domain: '', input: inputs, output: [output], attribute: attrs.map(attribute) });
    },
    shape: (v) => graph.shape(v),
    fail: (message) => new OnnxExportError(message),
  };
  for (const node of graph.nodes) {
    // Named in this order (output, then first input) so fresh names never depend on the op.
    nameOf(node.id);
    if (node.inputs.length > 0) nameOf(node.inputs[0]);
    opDef(node).onnx(node as never, emitter);
  }

  const input = graph.inputs[0];
  return {
    irVersion: EXPORT_IR_VERSION,
    opsetImport: [{ domain: '', version: EXPORT_OPSET }],
    producerName: 'inception-wasm',
    producerVersion: '',
    graph: {
      name: 'inception-wasm',
      node: nodes,
      initializer,
      sparseInitializers: 0,
      input: [{ name: nameOf(input), elemType: DataType.FLOAT, shape: dims(graph.shape(input), 'batch') }],
      output: graph.outputs.map((v) => ({ name: nameOf(v), elemType: DataType.FLOAT, shape: dims(graph.shape(v), 'batch') })),
      valueInfo: [],
    },
  };
}

/** Encodes `graph` and `weights` as an ONNX file (see the module comment). */
export function exportOnnx(graph: Graph, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  return encodeModel(graphToOnnxModel(graph, weights));
}

/** The attribute and ValueInfo dims encoders, for the QDQ exporter (export-qdq.ts). */
export { attribute as onnxAttribute, dims as onnxDims };
