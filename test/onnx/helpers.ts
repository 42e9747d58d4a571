/**
 * ONNX test helpers: onnxruntime-node as the independent engine, a small hand-written ONNX model
 * builder (for ops and patterns our exporter never emits: Pad, Clip, MatMul, auto_pad, …), and
 * the normalised error measure used across the ONNX tests.
 */
import * as ort from 'onnxruntime-node';
import { expect, it } from 'vitest';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { createSession } from '../../src/session.js';
import type { Graph } from '../../src/graph/graph.js';
import { AttrType, DataType, encodeModel, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from '../../src/onnx/onnx-proto.js';
import { float32Tensor } from '../../src/onnx/tensor.js';
import { mulberry32 } from '../../src/util/prng.js';
import { nhwcToNchwReference } from '../reference/layout.js';

/** Runs an ONNX model in onnxruntime-node (CPU, 1 thread) on one NCHW float input; returns every output. */
export async function runOrt(bytes: Uint8Array, inputName: string, input: Float32Array, shape: number[]): Promise<Map<string, Float32Array>> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    const result = await session.run({ [inputName]: new ort.Tensor('float32', input, shape) });
    return new Map(Object.entries(result).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** Runs a Graph in our engine (1 thread, all passes) on an NCHW input. */
export async function runOurs(graph: Graph, weights: ReadonlyMap<string, Float32Array>, input: Float32Array): Promise<Float32Array> {
  const batch = graph.shape(graph.inputs[0])[0];
  const session = await createSession({ graph, weights, threads: 1, batch });
  try {
    return (await session.run(input)).logits;
  } finally {
    await session.dispose();
  }
}

export function std(x: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i];
  mean /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  return Math.sqrt(v / x.length);
}

/** max |a − b| / std(b). */
export function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / std(b);
}

/** Bitwise equality of two float arrays (NaN payloads and −0 included). */
export function bitIdentical(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

export function seeded(count: number, seed: number, scale = 1): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: count }, () => (2 * next() - 1) * scale);
}

/** A float attribute value (plain numbers are INT). */
export const f = (value: number) => ({ float: value });
export type AttrValue = number | number[] | string | { float: number } | OnnxTensor;

function attribute(name: string, v: AttrValue): OnnxAttribute {
  const a: OnnxAttribute = { name, type: 0, floats: [], ints: [], strings: [], hasGraph: false };
  if (typeof v === 'number') return { ...a, type: AttrType.INT, i: v };
  if (typeof v === 'string') return { ...a, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { ...a, type: AttrType.INTS, ints: v };
  if ('float' in v) return { ...a, type: AttrType.FLOAT, f: v.float };
  return { ...a, type: AttrType.TENSOR, t: v };
}

export function intTensor(name: string, dims: number[], values: number[]): OnnxTensor {
  return { name, dims, dataType: DataType.INT64, int32Data: [], int64Data: values, doubleData: [], dataLocation: 0, externalData: [] };
}

/** Hand-builds small ONNX models: `b.input(...); b.node(...); b.output(...); b.bytes()`. */
export class OnnxModelBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private seed = 100;

  constructor(readonly opset = 13) {}

  private valueInfo(name: string, dims: (number | string)[]): OnnxValueInfo {
    return { name, elemType: DataType.FLOAT, shape: dims.map((d) => (typeof d === 'number' ? { value: d } : { param: d })) };
  }

  input(name: string, dims: (number | string)[]): this {
    this.inputs.push(this.valueInfo(name, dims));
    return this;
  }

  output(name: string, dims: (number | string)[]): this {
    this.outputs.push(this.valueInfo(name, dims));
    return this;
  }

  /** A float initializer; random values (seeded, ±scale) unless `data` is given. */
  weight(name: string, dims: number[], data?: Float32Array, scale = 0.5): string {
    const count = dims.reduce((a, b) => a * b, 1);
    this.initializers.push(float32Tensor(name, dims, data ?? seeded(count, this.seed++, scale)));
    return name;
  }

  ints(name: string, values: number[]): string {
    this.initializers.push(intTensor(name, [values.length], values));
    return name;
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name = outputs[0]): this {
    this.nodes.push({ name, opType, domain: '', input: inputs, output: outputs, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return this;
  }

  model(): OnnxModel {
    return {
      irVersion: 7, opsetImport: [{ domain: '', version: this.opset }], producerName: 'test', producerVersion: '',
      graph: { name: 'test', node: this.nodes, initializer: this.initializers, sparseInitializers: 0, input: this.inputs, output: this.outputs, valueInfo: [] },
    };
  }

  bytes(): Uint8Array {
    return encodeModel(this.model());
  }
}

/** Our output of `graph` in ONNX order (NCHW for a 4-D feature map) for comparison with onnxruntime. */
export function toOnnxOrder(graph: Graph, ours: Float32Array): Float32Array {
  const s = graph.shape(graph.output);
  if (s.length !== 4) return ours;
  const [n, h, w, c] = s;
  const out = new Float32Array(ours.length);
  for (let i = 0; i < n; i++) out.set(nhwcToNchwReference(ours.subarray(i * h * w * c, (i + 1) * h * w * c), c, h, w), i * h * w * c);
  return out;
}

/** An int64 Constant node (`dims` [] for a scalar); returns its output name. */
export function intConstant(b: OnnxModelBuilder, name: string, dims: number[], values: number[]): string {
  b.node('Constant', [], [name], { value: intTensor('', dims, values) }, name);
  return name;
}

/**
 * The nodes `torch.onnx.export` writes for `y = x.view(x.size(0), -1)`: Shape → Gather(index 0,
 * a scalar Constant) → Unsqueeze(axes [0]: an attribute before opset 13, a Constant input from
 * then on) → Concat(axis 0) with a Constant [-1] → Reshape (with allowzero 0 from opset 14).
 */
export function torchViewFlatten(b: OnnxModelBuilder, x: string, y: string): void {
  b.node('Shape', [x], ['/Shape_output_0'], {}, '/Shape');
  intConstant(b, '/Constant_output_0', [], [0]);
  b.node('Gather', ['/Shape_output_0', '/Constant_output_0'], ['/Gather_output_0'], { axis: 0 }, '/Gather');
  if (b.opset < 13) b.node('Unsqueeze', ['/Gather_output_0'], ['/Unsqueeze_output_0'], { axes: [0] }, '/Unsqueeze');
  else b.node('Unsqueeze', ['/Gather_output_0', intConstant(b, '/Constant_1_output_0', [1], [0])], ['/Unsqueeze_output_0'], {}, '/Unsqueeze');
  intConstant(b, '/Constant_2_output_0', [1], [-1]);
  b.node('Concat', ['/Unsqueeze_output_0', '/Constant_2_output_0'], ['/Concat_output_0'], { axis: 0 }, '/Concat');
  b.node('Reshape', [x, '/Concat_output_0'], [y], b.opset >= 14 ? { allowzero: 0 } : {}, '/Reshape');
}

export interface RoundTrip {
  /** max |ours − onnxruntime| / std(onnxruntime). */
  ortError: number;
  /** The re-imported graph's output equals the builder graph's bit for bit. */
  reimportBitIdentical: boolean;
  /** Node kinds of the builder graph and of the re-imported graph. */
  kinds: [string[], string[]];
  bytes: number;
}

/**
 * Exports `graph` + `weights`, runs the file in onnxruntime-node and the graph in our engine on the
 * seeded fixture input, then re-imports the file and runs that too (same options, 1 thread).
 */
export async function exportRoundTrip(graph: Graph, weights: ReadonlyMap<string, Float32Array>): Promise<RoundTrip> {
  const [n, h, w, c] = graph.shape(graph.inputs[0]);
  const x = seededInputNCHW(n, c, h, w);
  const bytes = exportOnnx(graph, weights);
  const reference = (await runOrt(bytes, 'input', x, [n, c, h, w])).get('logits')!;
  const ours = await runOurs(graph, weights, x);
  const imported = importOnnxBytes(bytes, { batch: n });
  const again = await runOurs(imported.graph, imported.weights, x);
  return {
    ortError: relativeMaxError(ours, reference),
    reimportBitIdentical: bitIdentical(again, ours),
    kinds: [graph.nodes.map((v) => v.kind), imported.graph.nodes.map((v) => v.kind)],
    bytes: bytes.length,
  };
}

/** The fixtures README's bound on max |Δlogits| / std. */
export const BOUND = 1e-4;

export type NetworkCase = [model: string, variant: string | undefined, size: number | [number, number]];

/** One test per network: export → onnxruntime within BOUND·std, re-import bit-identical. */
export function networkRoundTrips(cases: NetworkCase[]): void {
  for (const [model, variant, size] of cases) {
    const label = `${model}${variant ? ` (${variant})` : ''} at ${Array.isArray(size) ? size.join('x') : size}, batch 2`;
    it(`${label}: onnxruntime within ${BOUND}·std, re-import bit-identical`, async () => {
      const g = buildNetwork(model, { variant, inputSize: size, batch: 2 });
      const r = await exportRoundTrip(g, seededWeights(g.weights));
      expect(r.ortError, 'max |ours − onnxruntime| / std').toBeLessThan(BOUND);
      expect(r.kinds[1]).toEqual(r.kinds[0]);
      expect(r.reimportBitIdentical, 're-imported logits equal the builder graph bit for bit').toBe(true);
    });
  }
}

