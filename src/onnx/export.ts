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
 */

import type { Graph } from '../graph/graph.js';
import type { GraphNode, Shape, ValueId } from '../graph/nodes.js';
import type { Pads } from '../graph/geometry.js';
import { AttrType, DataType, encodeModel, type OnnxAttribute, type OnnxDim, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-proto.js';
import { float32Tensor } from './tensor.js';

export const EXPORT_OPSET = 13;
export const EXPORT_IR_VERSION = 7;

export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
}

const base = { floats: [], ints: [], strings: [], hasGraph: false };
const intAttr = (name: string, i: number): OnnxAttribute => ({ ...base, name, type: AttrType.INT, i });
const floatAttr = (name: string, f: number): OnnxAttribute => ({ ...base, name, type: AttrType.FLOAT, f });
const intsAttr = (name: string, ints: number[]): OnnxAttribute => ({ ...base, name, type: AttrType.INTS, ints });
const tensorAttr = (name: string, t: OnnxTensor): OnnxAttribute => ({ ...base, name, type: AttrType.TENSOR, t });

const padsOf = (p: Pads) => [p.top, p.left, p.bottom, p.right];

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
  const emit = (opType: string, name: string, inputs: string[], output: string, attribute: OnnxAttribute[] = []) =>
    nodes.push({ name, opType, domain: '', input: inputs, output: [output], attribute });

  for (const node of graph.nodes) {
    if (node.kind === 'input') continue;
    exportNode(node, nameOf, emit, initializer, fresh, graph);
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

type Emit = (opType: string, name: string, inputs: string[], output: string, attribute?: OnnxAttribute[]) => void;

function exportNode(
  node: GraphNode, nameOf: (v: ValueId) => string, emit: Emit, initializer: OnnxTensor[], fresh: (n: string) => string, graph: Graph,
): void {
  const out = nameOf(node.id);
  const x = node.inputs.length > 0 ? nameOf(node.inputs[0]) : '';
  switch (node.kind) {
    case 'input':
      return;
    case 'conv':
      return emit('Conv', node.name, node.bias !== undefined ? [x, node.weight, node.bias] : [x, node.weight], out, [
        intsAttr('dilations', [1, 1]), intAttr('group', node.groups), intsAttr('kernel_shape', [node.kernelH, node.kernelW]),
        intsAttr('pads', padsOf(node.pads)), intsAttr('strides', [node.strideH, node.strideW]),
      ]);
    case 'batchNorm': {
      const constant = (value: number, suffix: string) => {
        const t = float32Tensor(fresh(`${node.name}.${suffix}`), [node.channels], new Float32Array(node.channels).fill(value));
        initializer.push(t);
        return t.name;
      };
      const gamma = node.gamma ?? constant(1, 'scale');
      const beta = node.beta ?? constant(0, 'bias');
      return emit('BatchNormalization', node.name, [x, gamma, beta, node.mean, node.var], out, [floatAttr('epsilon', node.eps)]);
    }
    case 'relu':
      return emit('Relu', node.name, [x], out);
    case 'maxPool':
    case 'avgPool': {
      const attrs = [
        intAttr('ceil_mode', node.ceilMode ? 1 : 0), intsAttr('kernel_shape', [node.kernelH, node.kernelW]),
        intsAttr('pads', padsOf(node.pads)), intsAttr('strides', [node.strideH, node.strideW]),
      ];
      if (node.kind === 'avgPool') attrs.push(intAttr('count_include_pad', node.countIncludePad ? 1 : 0));
      return emit(node.kind === 'maxPool' ? 'MaxPool' : 'AveragePool', node.name, [x], out, attrs);
    }
    case 'globalAvgPool':
      return emit('GlobalAveragePool', node.name, [x], out);
    case 'adaptiveAvgPool': {
      const [, h, w] = graph.shape(node.inputs[0]);
      if (h % node.outH !== 0 || w % node.outW !== 0) {
        throw new OnnxExportError(
          `adaptiveAvgPool '${node.name}': ${h}x${w} → ${node.outH}x${node.outW} has no ONNX equivalent (the output size must divide the input size)`,
        );
      }
      const k = [h / node.outH, w / node.outW];
      return emit('AveragePool', node.name, [x], out, [intsAttr('kernel_shape', k), intsAttr('strides', k), intsAttr('pads', [0, 0, 0, 0])]);
    }
    case 'lrn':
      return emit('LRN', node.name, [x], out, [
        floatAttr('alpha', node.alpha), floatAttr('beta', node.beta), floatAttr('bias', node.k), intAttr('size', node.size),
      ]);
    case 'concat':
      return emit('Concat', node.name, node.inputs.map(nameOf), out, [intAttr('axis', 1)]);
    case 'add': {
      const y = nameOf(node.inputs[1]);
      if (node.scale === 1) return emit('Add', node.name, [x, y], out);
      const scale = fresh(`${node.name}.scale`);
      const scaled = fresh(`${node.name}.mul`);
      emit('Constant', scale, [], scale, [tensorAttr('value', float32Tensor('', [], Float32Array.of(node.scale)))]);
      emit('Mul', scaled, [y, scale], scaled);
      return emit('Add', node.name, [x, scaled], out);
    }
    case 'fc':
      return emit('Gemm', node.name, node.bias !== undefined ? [x, node.weight, node.bias] : [x, node.weight], out, [
        floatAttr('alpha', 1), floatAttr('beta', 1), intAttr('transB', 1),
      ]);
    case 'flatten':
      return emit('Flatten', node.name, [x], out, [intAttr('axis', 1)]);
    case 'softmax':
      return emit('Softmax', node.name, [x], out, [intAttr('axis', 1)]);
  }
}

/** Encodes `graph` and `weights` as an ONNX file (see the module comment). */
export function exportOnnx(graph: Graph, weights: ReadonlyMap<string, Float32Array>): Uint8Array {
  return encodeModel(graphToOnnxModel(graph, weights));
}
