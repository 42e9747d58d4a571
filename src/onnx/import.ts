/**
 * ONNX file → Graph + weights, ready for `createSession({ graph, weights })`.
 *
 *   const { graph, weights, inputs, outputs } = await importOnnx('googlenet.onnx', { batch: 2 });
 *
 * - One float graph input: an image batch `[N, C, H, W]`; or NHWC `[N, H, W, C]` when every node
 *   reading it is a Transpose with perm [0, 3, 1, 2] (tf2onnx's Keras exports: the Transpose is
 *   absorbed, import-layout.ts); or a feature batch `[N, F]`, a `[N, 1, 1, F]` map in the Graph
 *   (a 1×1 map's NHWC order is the feature order) flattened to `[N, F]` for the ONNX graph. A
 *   symbolic/unknown N takes `batch` (default 1); a symbolic H/W takes `inputSize`. A fixed dim
 *   must equal the option when both are given, except H/W with `allowResize` (run a fully
 *   convolutional graph at another size).
 * - The Graph is NHWC inside; ONNX tensors map over without data movement (import-context.ts).
 * - Weights are named after their initializers (`onnx::Conv_542`, or state-dict names), conv
 *   OIHW, fc [out, in] (Gemm transB 0 and MatMul weights are transposed once here).
 * - Only nodes that lead to a graph output are imported.
 * - A quantized model (QuantizeLinear/DequantizeLinear around Conv/Gemm/MatMul, QLinearConv,
 *   QLinearMatMul; import-qdq.ts says what it must quantize) imports as its float graph with
 *   weights dequantized, plus `quantization.ranges`, the activation ranges its scales and zero
 *   points cover: `createSession({ onnx })` runs it int8 from them, without calibration.
 * - Any op, attribute or pattern outside the supported set throws an `OnnxImportError` naming the
 *   node, the op, the attribute and what is supported; a malformed or non-ONNX file throws an
 *   `OnnxFormatError` naming the problem (onnx-proto.ts).
 */

import type { Graph } from '../graph/graph.js';
import type { ValueRange } from '../graph/int8/quant-params.js';
import type { ValueId } from '../graph/nodes.js';
import { foldNode, FOLD_ONLY_OPS } from './fold.js';
import { Importer, MAX_ONNX_NODES, MAX_WEIGHT_BYTES, NodeCtx, onnxOrder, OnnxImportError } from './import-context.js';
import { OPS, SUPPORTED_OPS } from './import-ops.js';
import { quantizationOf, saturatedOutput } from './import-qdq.js';
import { nhwcInputTranspose, nhwcInputTransposes } from './import-layout.js';
import { decodeModel, OnnxFormatError, type OnnxDim, type OnnxGraph, type OnnxValueInfo } from './onnx-proto.js';
import { checkExternalLocation, dataTypeName, type ExternalDataReader } from './tensor.js';

export { MAX_ONNX_NODES, OnnxImportError } from './import-context.js';
export { OnnxFormatError } from './onnx-proto.js';
export { SUPPORTED_OPS } from './import-ops.js';

export interface OnnxImportOptions {
  /** Batch for a symbolic batch dim (default 1); must equal a fixed one. */
  batch?: number;
  /** Square size or [height, width] for symbolic H/W dims. */
  inputSize?: number | readonly [number, number];
  /** Let `inputSize` override H/W fixed in the file (fully convolutional graphs). Default false. */
  allowResize?: boolean;
  /** Directory of external tensor data when the model is given as bytes (default: the model file's directory). */
  externalDataDir?: string;
  /**
   * Most bytes of float32 weights the import may produce, a weight shared by several nodes counted
   * once per use (the session packs one copy per use). Checked before each tensor is decoded.
   * Default 4 GiB, the most a session's memory can hold; a session passes its `maxMemoryBytes`.
   */
  maxWeightBytes?: number;
}

export interface OnnxBytesImportOptions extends OnnxImportOptions {
  /** Reads external tensor data; `importOnnx` supplies one over the model's directory. */
  readExternal?: ExternalDataReader;
}

/**
 * Order of a tensor's values as the model file defines it: 'nchw' for a 4-D feature map (ONNX's
 * own order; the engine computes NHWC, so a session transposes such an output when it copies it
 * out), 'nhwc' for an NHWC image input read through a Transpose perm [0, 3, 1, 2], 'features'
 * for [N, F] (the same in either order).
 */
export type OnnxLayout = 'nchw' | 'nhwc' | 'features';

/** A graph input or output: its ONNX name, resolved shape as the file declares it (NCHW, NHWC or [N, F]) and layout. */
export interface OnnxTensorInfo {
  name: string;
  shape: number[];
  layout: OnnxLayout;
}

export interface ImportedOnnx {
  graph: Graph;
  /**
   * Weights by Graph weight name, in framework layout. An initializer read by several nodes is
   * one array under several names (`W`, `W#2`, …): treat the arrays as read-only.
   */
  weights: Map<string, Float32Array>;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** The ai.onnx opset the file imports. */
  opset: number;
  producer: string;
  /**
   * A quantized model (QuantizeLinear/DequantizeLinear pairs, QLinearConv, QLinearMatMul): the
   * float range each quantized activation's (scale, zero point) covers, by graph value — the
   * session compiles it to int8 from these instead of calibrating. Weights are dequantized into
   * `weights`; `weightScales` holds, by weight name, the file's per-output-channel scales of the
   * symmetric int8 ones (zero point 0), which the int8 packer could take instead of re-deriving
   * max|w|/127 (see import-qdq.ts). Absent for a float model.
   */
  quantization?: { ranges: Map<ValueId, ValueRange>; weightScales: Map<string, Float32Array> };
}

const MAX_DIM = 1 << 20;

function dimText(d: OnnxDim | undefined): string {
  return d?.value !== undefined ? String(d.value) : d?.param !== undefined ? `'${d.param}'` : '?';
}

/** Resolves one input dim: fixed in the file, or from the options. */
function resolveDim(input: OnnxValueInfo, axis: string, d: OnnxDim | undefined, option: number | undefined, allowOverride: boolean, hint: string): number {
  const fixed = d?.value !== undefined && d.value > 0 ? d.value : undefined;
  if (option !== undefined && (!Number.isInteger(option) || option < 1 || option > MAX_DIM)) {
    throw new OnnxImportError(`${hint} must be an integer in 1..${MAX_DIM}, got ${option}`);
  }
  if (fixed !== undefined) {
    if (!Number.isSafeInteger(fixed) || fixed > MAX_DIM) throw new OnnxImportError(`input '${input.name}': ${axis} ${fixed} is out of range (1..${MAX_DIM})`);
    if (option !== undefined && option !== fixed && !allowOverride) {
      throw new OnnxImportError(
        `input '${input.name}' fixes ${axis} = ${fixed} in the file, but ${hint} asks for ${option}` +
        (axis === 'batch' ? '' : '; pass allowResize: true to run a fully convolutional graph at another size'),
      );
    }
    return option ?? fixed;
  }
  if (option !== undefined) return option;
  if (axis === 'batch') return 1;
  throw new OnnxImportError(`input '${input.name}' has a free ${axis} (${dimText(d)}): pass inputSize to choose it`);
}

function graphInput(graph: OnnxGraph): OnnxValueInfo {
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const real = graph.input.filter((v) => !initializers.has(v.name));
  if (real.length !== 1) {
    throw new OnnxImportError(`expected exactly one graph input (an NCHW image batch), got ${real.length}: ${real.map((v) => `'${v.name}'`).join(', ') || 'none'}`);
  }
  const input = real[0];
  if (input.elemType !== undefined && input.elemType !== 1) {
    const dq = graph.node.find((n) => n.opType === 'DequantizeLinear' && n.input[0] === input.name);
    throw new OnnxImportError(
      `input '${input.name}' is ${dataTypeName(input.elemType)}; supported: FLOAT` +
        (dq === undefined ? '' : ` (DequantizeLinear '${dq.name || dq.output[0]}' reads it: a quantized model must take a float input and quantize it with QuantizeLinear)`),
    );
  }
  if (input.shape === undefined || (input.shape.length !== 4 && input.shape.length !== 2)) {
    const got = input.shape ? `${input.shape.length}-D [${input.shape.map(dimText).join(', ')}]` : 'no shape';
    throw new OnnxImportError(
      `input '${input.name}' is ${got}; supported: a 4-D image batch NCHW [N, C, H, W] (or NHWC [N, H, W, C] read only through ` +
        'Transpose perm [0, 3, 1, 2], as tf2onnx writes), or a 2-D feature batch [N, F]',
    );
  }
  return input;
}

/** A fixed dim the Graph cannot choose (channels, features). */
function fixedDim(input: OnnxValueInfo, axis: string, d: OnnxDim | undefined): number {
  if (d?.value === undefined || d.value < 1 || d.value > MAX_DIM) {
    throw new OnnxImportError(`input '${input.name}' must have a fixed ${axis} count in 1..${MAX_DIM}, got ${dimText(d)}`);
  }
  return d.value;
}

interface BoundInput {
  info: OnnxTensorInfo;
  /** The planned H/W differ from the file's fixed ones (allowResize). */
  resized: boolean;
  /** Indices of the Transposes absorbed into an NHWC input (none for other inputs). */
  absorbed: ReadonlySet<number>;
  /** The Graph input. */
  id: ValueId;
}

/**
 * Adds the graph input to the Graph and binds its ONNX name: an NCHW image to the Graph input,
 * an NHWC image to nothing but its Transposes' outputs, a feature batch to the `[N, 1, 1, F]`
 * input flattened (an alias: no data moves).
 */
function bindInput(imp: Importer, graph: OnnxGraph, input: OnnxValueInfo, live: ReadonlySet<number>, options: OnnxImportOptions): BoundInput {
  const dims = input.shape!;
  const size = options.inputSize;
  const batch = resolveDim(input, 'batch', dims[0], options.batch, false, 'options.batch');
  if (dims.length === 2) {
    if (size !== undefined) throw new OnnxImportError(`input '${input.name}' is a feature batch [N, F]; inputSize applies only to image inputs: leave it out`);
    const features = fixedDim(input, 'feature', dims[1]);
    const id = imp.g.input(imp.uniqueNodeName(input.name), [batch, 1, 1, features]);
    imp.values.set(input.name, { kind: 'value', id: imp.g.flatten(imp.uniqueNodeName(`${input.name}.features`), id) });
    return { info: { name: input.name, shape: [batch, features], layout: 'features' }, resized: false, absorbed: new Set(), id };
  }
  const absorbed = nhwcInputTransposes(graph, input.name, live);
  const [dc, dh, dw] = absorbed !== undefined ? [dims[3], dims[1], dims[2]] : [dims[1], dims[2], dims[3]];
  const [optH, optW] = size === undefined ? [undefined, undefined] : typeof size === 'number' ? [size, size] : [size[0], size[1]];
  const allowResize = options.allowResize ?? false;
  const channels = fixedDim(input, 'channel', dc);
  const height = resolveDim(input, 'height', dh, optH, allowResize, 'inputSize');
  const width = resolveDim(input, 'width', dw, optW, allowResize, 'inputSize');
  const resized = (dh?.value !== undefined && dh.value !== height) || (dw?.value !== undefined && dw.value !== width);
  const id = imp.g.input(imp.uniqueNodeName(input.name), [batch, height, width, channels]);
  if (absorbed === undefined) {
    imp.values.set(input.name, { kind: 'value', id });
    return { info: { name: input.name, shape: [batch, channels, height, width], layout: 'nchw' }, resized, absorbed: new Set(), id };
  }
  imp.values.set(input.name, { kind: 'unavailable', reason: 'the NHWC input is read only through its Transpose to NCHW' });
  return { info: { name: input.name, shape: [batch, height, width, channels], layout: 'nhwc' }, resized, absorbed, id };
}

function opsetOf(imports: { domain: string; version: number }[]): number {
  const entry = imports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (entry === undefined || !Number.isSafeInteger(entry.version) || entry.version < 1) {
    throw new OnnxImportError('the model imports no ai.onnx opset (opset_import); cannot interpret its ops');
  }
  return entry.version;
}

/** Indices of the nodes that lead to a graph output (the importer reads these only); iterative. */
export function liveNodes(graph: OnnxGraph): Set<number> {
  const producer = new Map<string, number>();
  graph.node.forEach((n, i) => n.output.forEach((o) => o !== '' && producer.set(o, i)));
  const live = new Set<number>();
  const stack = graph.output.map((o) => producer.get(o.name)).filter((i): i is number => i !== undefined);
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (live.has(i)) continue;
    live.add(i);
    for (const name of graph.node[i].input) {
      const j = producer.get(name);
      if (j !== undefined && !live.has(j)) stack.push(j);
    }
  }
  return live;
}

function tensorInfo(name: string, graphShape: readonly number[]): OnnxTensorInfo {
  return { name, shape: onnxOrder(graphShape), layout: graphShape.length === 4 ? 'nchw' : 'features' };
}

function checkDeclaredOutput(info: OnnxValueInfo, actual: number[], resized: boolean): void {
  if (info.shape === undefined) return;
  const declared = info.shape;
  const mismatch = declared.length !== actual.length ||
    declared.some((d, i) => i > 0 && d.value !== undefined && d.value > 0 && d.value !== actual[i] && !(resized && actual.length === 4));
  if (mismatch) {
    throw new OnnxImportError(
      `output '${info.name}' is declared [${declared.map(dimText).join(', ')}] but the imported graph computes [${actual.join(', ')}]`,
    );
  }
}

/** Imports an ONNX model held in memory. External tensor data needs `readExternal`. */
export function importOnnxBytes(bytes: Uint8Array, options: OnnxBytesImportOptions = {}): ImportedOnnx {
  const model = decodeModel(bytes);
  const graph = model.graph!;
  const opset = opsetOf(model.opsetImport);
  if (graph.sparseInitializers > 0) throw new OnnxImportError(`the model has ${graph.sparseInitializers} sparse initializer(s), which are not supported`);
  if (graph.node.length > MAX_ONNX_NODES) {
    throw new OnnxImportError(`the model has ${graph.node.length} nodes; at most ${MAX_ONNX_NODES} are supported (Inception networks have about 1,500)`);
  }
  const maxWeightBytes = options.maxWeightBytes ?? MAX_WEIGHT_BYTES;
  if (!Number.isSafeInteger(maxWeightBytes) || maxWeightBytes < 1) {
    throw new OnnxImportError(`maxWeightBytes must be a positive integer (bytes), got ${maxWeightBytes}`);
  }
  const imp = new Importer(opset, options.readExternal, maxWeightBytes);

  const input = graphInput(graph);
  const live = liveNodes(graph);
  const bound = bindInput(imp, graph, input, live, options);
  for (const t of graph.initializer) {
    if (t.name !== input.name) imp.values.set(t.name, { kind: 'const', tensor: t, what: `initializer '${t.name}'` });
  }

  graph.node.forEach((node, index) => {
    if (!live.has(index)) return;
    const ctx = new NodeCtx(imp, node, index);
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      throw ctx.fail(`domain '${node.domain}' is not supported; supported: the default ai.onnx domain`);
    }
    if (bound.absorbed.has(index)) return nhwcInputTranspose(ctx, bound.id);
    // Constants and shapes are evaluated here; only the data path reaches the handlers.
    if (foldNode(ctx)) return;
    const handler = Object.hasOwn(OPS, node.opType) ? OPS[node.opType] : undefined;
    if (handler === undefined) {
      if (FOLD_ONLY_OPS.includes(node.opType)) {
        const computed = node.input.find((name) => name !== '' && imp.values.get(name)?.kind !== 'const') ?? '';
        throw ctx.fail(
          `op '${node.opType}' is supported only on constants and tensor shapes (it is evaluated at load), ` +
            `but its input '${computed}' is computed from the image`,
        );
      }
      throw ctx.fail(`op '${node.opType}' is not supported; supported ops: ${SUPPORTED_OPS.join(', ')}; on constants and shapes also: ${FOLD_ONLY_OPS.join(', ')}`);
    }
    handler(ctx);
  });

  if (graph.output.length === 0) throw new OnnxImportError('the model declares no graph output');
  const outputs = graph.output.map((info) => {
    const v = imp.values.get(info.name);
    if (v === undefined) throw new OnnxImportError(`graph output '${info.name}' is not produced by any node`);
    const read: ValueId = new NodeCtx(imp, { name: info.name, opType: 'graph output', domain: '', input: [info.name], output: [], attribute: [] }, -1).value(0);
    const id = saturatedOutput(imp, info.name, read);
    imp.g.markOutput(id);
    const out = tensorInfo(info.name, imp.g.shape(id));
    checkDeclaredOutput(info, out.shape, bound.resized);
    return out;
  });

  const quantization = quantizationOf(imp);
  return {
    graph: imp.g,
    weights: imp.weights,
    inputs: [bound.info],
    outputs,
    opset,
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
    ...(quantization ? { quantization } : {}),
  };
}

/** Largest .onnx file read: protobuf caps a message at 2 GiB; larger models keep weights in external data. */
const MAX_ONNX_FILE_BYTES = 2 ** 31;

/**
 * Imports an ONNX model from a file path (Node) or bytes. External tensor data is read from the
 * model file's directory, or `options.externalDataDir`, and never from outside it: each data file
 * must be a regular file whose real path is inside that folder's (src/io/model-files.ts), and only
 * the byte range the tensor needs is read, after its size has been checked.
 */
export async function importOnnx(source: Uint8Array | string, options: OnnxImportOptions = {}): Promise<ImportedOnnx> {
  const needsFs = typeof source === 'string' || options.externalDataDir !== undefined;
  if (!needsFs) return importOnnxBytes(source as Uint8Array, options);
  const files = await import('../io/model-files.js');
  const path = await import('node:path');
  const formatError = (message: string) => new OnnxFormatError(message);
  const bytes = typeof source === 'string'
    ? files.readModelFile(source, MAX_ONNX_FILE_BYTES, `ONNX model '${source}'`, formatError)
    : source;
  const dir = options.externalDataDir ?? path.dirname(source as string);
  let folder: InstanceType<typeof files.ModelFolder> | undefined;
  const readExternal: ExternalDataReader = (location, offset, length, expected, what) => {
    checkExternalLocation(location, what);
    const name = `${what}: external data '${location}'`;
    if (length !== undefined && length !== expected) {
      throw new OnnxFormatError(`${name}: 'length' is ${length}, the tensor's dims and type need ${expected} bytes`);
    }
    folder ??= new files.ModelFolder(dir, `external data of the ONNX model in '${dir}'`, formatError);
    const file = folder.open(location, name, formatError);
    try {
      if (offset > file.size) throw new OnnxFormatError(`${name} holds ${file.size} bytes; 'offset' ${offset} is past its end`);
      const available = file.size - offset;
      if (available < expected || (length === undefined && available !== expected)) {
        throw new OnnxFormatError(
          `${name} holds ${available} bytes from offset ${offset}; the tensor needs ${expected} — ` +
            'the data file is truncated or belongs to another model',
        );
      }
      return file.read(offset, expected);
    } finally {
      file.close();
    }
  };
  return importOnnxBytes(bytes, { ...options, readExternal });
}
