/**
 * Graph-model test helpers: @tensorflow/tfjs's own `loadGraphModel` (CPU backend) as the oracle,
 * our session on the same artifacts, a hand-written GraphDef builder for the forms our exporter
 * never writes, and the normalised error `max |ours − tfjs| / std(tfjs)`.
 */
import * as tf from '@tensorflow/tfjs';
import { createSession } from '../../src/session.js';
import type { GraphModelArtifacts } from '../../src/tfjs/export-graph-model.js';
import { mulberry32 } from '../../src/util/prng.js';
import { encode, type WeightDtype } from './keras-fixture.js';

export const BOUND = 1e-4;

let backendReady: Promise<boolean> | undefined;

/** Runs the artifacts in tfjs (`loadGraphModel` through `tf.io.fromMemory`, CPU) on an NHWC input. */
export async function runTfjsGraph(a: GraphModelArtifacts, nhwc: Float32Array, shape: number[]): Promise<Float32Array> {
  backendReady ??= tf.setBackend('cpu');
  await backendReady;
  const json = a.modelJson as { modelTopology: object; weightsManifest: { weights: object[] }[]; signature?: object; format?: string };
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights) as tf.io.WeightsManifestEntry[],
    weightData: a.weightData.buffer.slice(a.weightData.byteOffset, a.weightData.byteOffset + a.weightData.byteLength) as ArrayBuffer,
    ...(json.signature ? { signature: json.signature } : {}),
    format: 'graph-model',
  }));
  try {
    const x = tf.tensor(nhwc, shape);
    const y = model.execute(x) as tf.Tensor;
    const out = y.dataSync() as Float32Array;
    tf.dispose([x, y]);
    return Float32Array.from(out);
  } finally {
    model.dispose();
  }
}

/** Runs the artifacts in our engine (`createSession({ tfjs })`, 1 thread) on an NHWC input. */
export async function runOursGraph(a: GraphModelArtifacts, nhwc: Float32Array, batch = 1, inputSize?: number | [number, number]): Promise<{ out: Float32Array; inputs: string[]; outputs: string[] }> {
  const session = await createSession({ tfjs: { modelJson: a.modelJson, weightData: a.weightData }, threads: 1, batch, ...(inputSize ? { inputSize } : {}) });
  try {
    const { logits } = await session.run(nhwc, { layout: 'nhwc' });
    return { out: logits, inputs: session.inputs.map((i) => i.name), outputs: session.outputs.map((o) => o.name) };
  } finally {
    await session.dispose();
  }
}

export function std(x: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < x.length; i++) mean += x[i]!;
  mean /= x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i]! - mean) ** 2;
  return Math.sqrt(v / x.length);
}

/** max |a − b| / std(b). */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  if (!Number.isFinite(worst)) return Infinity;
  return worst / std(b);
}

export function seeded(count: number, seed: number, scale = 1, offset = 0): Float32Array {
  const next = mulberry32(seed);
  return Float32Array.from({ length: count }, () => (2 * next() - 1) * scale + offset);
}

const b64 = (s: string) => btoa(s);
type Attr = Record<string, unknown>;
/** AttrValue encoders, as protobuf's JSON mapping writes them. */
export const A = {
  s: (v: string): Attr => ({ s: b64(v) }),
  i: (v: number): Attr => ({ i: String(v) }),
  f: (v: number): Attr => ({ f: v }),
  b: (v: boolean): Attr => ({ b: v }),
  ints: (v: number[]): Attr => ({ list: { i: v.map(String) } }),
  strs: (v: string[]): Attr => ({ list: { s: v.map(b64) } }),
  type: (v: string): Attr => ({ type: v }),
};

/** Hand-writes a GraphDef graph model: `b.placeholder(...)`, `b.const(...)`, `b.node(...)`, `b.artifacts()`. */
export class GraphDefBuilder {
  readonly nodes: { name: string; op: string; input: string[]; attr: Record<string, Attr> }[] = [];
  private readonly weights: { name: string; shape: number[]; dtype: string; quantization?: Record<string, unknown> }[] = [];
  private readonly chunks: Uint8Array[] = [];
  private seed = 7;

  constructor(readonly weightDtype: WeightDtype = 'float32') {}

  placeholder(name: string, shape: number[]): string {
    return this.node('Placeholder', name, [], { dtype: A.type('DT_FLOAT'), shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } });
  }

  /** A float Const; seeded values in ±scale (+offset) unless `data` is given; quantised per the builder's dtype. */
  const(name: string, shape: number[], data?: Float32Array, scale = 0.5, offset = 0): string {
    const values = data ?? seeded(shape.reduce((a, b) => a * b, 1), this.seed++, scale, offset);
    const { bytes, quantization } = encode(values, this.weightDtype);
    this.weights.push({ name, shape, dtype: 'float32', ...(quantization ? { quantization } : {}) });
    this.chunks.push(bytes);
    return this.constNode(name, shape, 'DT_FLOAT');
  }

  int32(name: string, shape: number[], values: number[]): string {
    this.weights.push({ name, shape, dtype: 'int32' });
    this.chunks.push(new Uint8Array(Int32Array.from(values).buffer));
    return this.constNode(name, shape, 'DT_INT32');
  }

  private constNode(name: string, shape: number[], dtype: string): string {
    return this.node('Const', name, [], {
      value: { tensor: { dtype, tensorShape: { dim: shape.map((d) => ({ size: String(d) })) } } }, dtype: A.type(dtype),
    });
  }

  node(op: string, name: string, input: string[], attr: Record<string, Attr> = {}): string {
    this.nodes.push({ name, op, input, attr: { ...(op === 'Const' || op === 'Placeholder' ? {} : { T: A.type('DT_FLOAT') }), ...attr } });
    return name;
  }

  artifacts(): GraphModelArtifacts {
    const total = this.chunks.reduce((s, c) => s + c.byteLength, 0);
    const weightData = new Uint8Array(total);
    let o = 0;
    for (const c of this.chunks) {
      weightData.set(c, o);
      o += c.byteLength;
    }
    return {
      modelJson: {
        format: 'graph-model', modelTopology: { node: this.nodes, library: {}, versions: {} },
        weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: this.weights }],
      },
      weightData,
    };
  }
}

/** Common conv attributes: NHWC, strides, padding. */
export function convAttrs(stride: number, padding: 'SAME' | 'VALID' | 'EXPLICIT', explicit?: number[]): Record<string, Attr> {
  return {
    strides: A.ints([1, stride, stride, 1]), dilations: A.ints([1, 1, 1, 1]), data_format: A.s('NHWC'), padding: A.s(padding),
    ...(explicit ? { explicit_paddings: A.ints(explicit) } : {}),
  };
}
