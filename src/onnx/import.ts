/**
 * ONNX file → Graph + weights, ready for `createSession({ graph, weights })`.
 *
 *   const { graph, weights, inputs, outputs } = await importOnnx('googlenet.onnx', { batch: 2 });
 *
 * - One graph input, 4-D NCHW `[N, C, H, W]` float. A symbolic/unknown N takes `batch`
 *   (default 1); a symbolic H/W takes `inputSize`. A fixed dim must equal the option when both
 *   are given, except H/W with `allowResize` (run a fully convolutional graph at another size).
 * - The Graph is NHWC inside; ONNX tensors map over without data movement (import-context.ts).
 * - Weights are named after their initializers (`onnx::Conv_542`, or state-dict names), conv
 *   OIHW, fc [out, in] (Gemm transB 0 and MatMul weights are transposed once here).
 * - Only nodes that lead to a graph output are imported.
 * - Any op, attribute or pattern outside the supported set throws an `OnnxImportError` naming the
 *   node, the op, the attribute and what is supported; a malformed or non-ONNX file throws an
 *   `OnnxFormatError` naming the problem (onnx-proto.ts).
 */

import type { Graph } from '../graph/graph.js';
import type { ValueId } from '../graph/nodes.js';
import { Importer, NodeCtx, OnnxImportError } from './import-context.js';
import { OPS, SUPPORTED_OPS } from './import-ops.js';
import { decodeModel, OnnxFormatError, type OnnxDim, type OnnxGraph, type OnnxValueInfo } from './onnx-proto.js';
import { checkExternalLocation, dataTypeName, type ExternalDataReader } from './tensor.js';

export { OnnxImportError } from './import-context.js';
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
}

export interface OnnxBytesImportOptions extends OnnxImportOptions {
  /** Reads external tensor data; `importOnnx` supplies one over the model's directory. */
  readExternal?: ExternalDataReader;
}

/** A graph input or output: its ONNX name and resolved shape in ONNX order (NCHW, or [N, F]). */
export interface OnnxTensorInfo {
  name: string;
  shape: number[];
}

export interface ImportedOnnx {
  graph: Graph;
  /** Weights by Graph weight name, in framework layout. */
  weights: Map<string, Float32Array>;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** The ai.onnx opset the file imports. */
  opset: number;
  producer: string;
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
    throw new OnnxImportError(`input '${input.name}' is ${dataTypeName(input.elemType)}; supported: FLOAT`);
  }
  if (input.shape === undefined || input.shape.length !== 4) {
    throw new OnnxImportError(`input '${input.name}' must be 4-D NCHW [N, C, H, W], got ${input.shape ? `[${input.shape.map(dimText).join(', ')}]` : 'no shape'}`);
  }
  return input;
}

function opsetOf(imports: { domain: string; version: number }[]): number {
  const entry = imports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (entry === undefined || !Number.isSafeInteger(entry.version) || entry.version < 1) {
    throw new OnnxImportError('the model imports no ai.onnx opset (opset_import); cannot interpret its ops');
  }
  return entry.version;
}

/** Indices of the nodes that lead to a graph output. */
function liveNodes(graph: OnnxGraph): Set<number> {
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

/** ONNX-order shape of a Graph value. */
function onnxOrder(shape: readonly number[]): number[] {
  return shape.length === 4 ? [shape[0], shape[3], shape[1], shape[2]] : [...shape];
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
  const imp = new Importer(opset, options.readExternal);

  const input = graphInput(graph);
  const [dn, dc, dh, dw] = input.shape!;
  const size = options.inputSize;
  const [optH, optW] = size === undefined ? [undefined, undefined] : typeof size === 'number' ? [size, size] : [size[0], size[1]];
  const allowResize = options.allowResize ?? false;
  const batch = resolveDim(input, 'batch', dn, options.batch, false, 'options.batch');
  if (dc?.value === undefined || dc.value < 1 || dc.value > MAX_DIM) throw new OnnxImportError(`input '${input.name}' must have a fixed channel count, got ${dimText(dc)}`);
  const height = resolveDim(input, 'height', dh, optH, allowResize, 'inputSize');
  const width = resolveDim(input, 'width', dw, optW, allowResize, 'inputSize');
  const resized = (dh?.value !== undefined && dh.value !== height) || (dw?.value !== undefined && dw.value !== width);
  const inputId = imp.g.input(imp.uniqueNodeName(input.name), [batch, height, width, dc.value]);
  imp.values.set(input.name, { kind: 'value', id: inputId });
  for (const t of graph.initializer) {
    if (t.name !== input.name) imp.values.set(t.name, { kind: 'const', tensor: t, what: `initializer '${t.name}'` });
  }

  const live = liveNodes(graph);
  graph.node.forEach((node, index) => {
    if (!live.has(index)) return;
    const ctx = new NodeCtx(imp, node, index);
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      throw ctx.fail(`domain '${node.domain}' is not supported; supported: the default ai.onnx domain`);
    }
    const handler = Object.hasOwn(OPS, node.opType) ? OPS[node.opType] : undefined;
    if (handler === undefined) throw ctx.fail(`op '${node.opType}' is not supported; supported ops: ${SUPPORTED_OPS.join(', ')}`);
    handler(ctx);
  });

  if (graph.output.length === 0) throw new OnnxImportError('the model declares no graph output');
  const outputs = graph.output.map((info) => {
    const v = imp.values.get(info.name);
    if (v === undefined) throw new OnnxImportError(`graph output '${info.name}' is not produced by any node`);
    const id: ValueId = new NodeCtx(imp, { name: info.name, opType: 'graph output', domain: '', input: [info.name], output: [], attribute: [] }, -1).value(0);
    imp.g.markOutput(id);
    const shape = onnxOrder(imp.g.shape(id));
    checkDeclaredOutput(info, shape, resized);
    return { name: info.name, shape };
  });

  return {
    graph: imp.g,
    weights: imp.weights,
    inputs: [{ name: input.name, shape: onnxOrder(imp.g.shape(inputId)) }],
    outputs,
    opset,
    producer: `${model.producerName} ${model.producerVersion}`.trim(),
  };
}

/**
 * Imports an ONNX model from a file path (Node) or bytes. External tensor data is read from the
 * model file's directory, or `options.externalDataDir`, and never from outside it.
 */
export async function importOnnx(source: Uint8Array | string, options: OnnxImportOptions = {}): Promise<ImportedOnnx> {
  const needsFs = typeof source === 'string' || options.externalDataDir !== undefined;
  if (!needsFs) return importOnnxBytes(source as Uint8Array, options);
  const fs = await import('node:fs');
  const path = await import('node:path');
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = fs.readFileSync(source);
    } catch (e) {
      throw new OnnxFormatError(`cannot read ONNX model '${source}': ${(e as Error).message}`);
    }
  } else bytes = source;
  const dir = options.externalDataDir ?? path.dirname(source as string);
  const readExternal: ExternalDataReader = (location, offset, length) => {
    const file = path.join(dir, checkExternalLocation(location, 'external data'));
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      throw new OnnxFormatError(`external data file '${location}' cannot be opened in '${dir}': ${(e as Error).message}`);
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (offset > size) throw new OnnxFormatError(`external data file '${location}' has ${size} bytes; offset ${offset} is past its end`);
      const n = Math.min(length ?? size - offset, size - offset);
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const got = fs.readSync(fd, out, done, n - done, offset + done);
        if (got === 0) break;
        done += got;
      }
      return out.subarray(0, done);
    } finally {
      fs.closeSync(fd);
    }
  };
  return importOnnxBytes(bytes, { ...options, readExternal });
}
