/**
 * Synthesises small Keras functional models as TF.js layers artifacts (model.json + shards), with
 * seeded weights, encoded as float32, float16 or uint8/uint16 affine — the way the tensorflowjs
 * converter writes them — plus helpers to run the same artifacts in @tensorflow/tfjs (CPU).
 *
 *   const k = new KerasFixture(7);
 *   const x = k.input('input_1', [9, 9, 3]);
 *   const y = k.dense('fc', k.gap('gap', k.conv('c1', x, { filters: 4, kernel: 3 })), { units: 5 });
 *   const art = k.artifacts('uint8', y);           // { modelJson, weightData, shards, original }
 */
import * as tf from '@tensorflow/tfjs';
import { resolveWindow } from '../../src/graph/geometry.js';
import { mulberry32 } from '../../src/util/prng.js';

export type WeightDtype = 'float32' | 'float16' | 'uint8' | 'uint16';
type Act = 'linear' | 'relu' | 'softmax';
type Pair = number | [number, number];

interface Layer {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: unknown[];
}

export interface Artifacts {
  /** Parsed model.json (a fresh object each call; mutate freely). */
  modelJson: { modelTopology: Record<string, unknown>; weightsManifest: { paths: string[]; weights: Record<string, unknown>[] }[]; format?: string };
  /** All shards concatenated. */
  weightData: Uint8Array;
  shards: Uint8Array[];
  /** The float32 weights before encoding, by name (Keras layout). */
  original: Map<string, Float32Array>;
}

const pair = (p: Pair): [number, number] => (typeof p === 'number' ? [p, p] : p);

export class KerasFixture {
  private readonly layers: Layer[] = [];
  private readonly shapes = new Map<string, number[]>();
  private readonly weights: { name: string; shape: number[]; values: Float32Array }[] = [];
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  shape(name: string): number[] {
    return this.shapes.get(name)!;
  }

  input(name: string, shape: [number, number, number]): string {
    return this.push(name, 'InputLayer', { batch_input_shape: [null, ...shape], dtype: 'float32', sparse: false }, [], shape);
  }

  conv(name: string, x: string, o: { filters: number; kernel: Pair; strides?: Pair; padding?: 'same' | 'valid'; useBias?: boolean; activation?: Act }): string {
    const [h, w, c] = this.shape(x);
    const [kh, kw] = pair(o.kernel);
    const [sh, sw] = pair(o.strides ?? 1);
    const padding = o.padding ?? 'valid';
    const r = resolveWindow(h, w, { kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, padding });
    const useBias = o.useBias ?? true;
    this.weight(`${name}/kernel`, [kh, kw, c, o.filters], 1 / Math.sqrt(kh * kw * c));
    if (useBias) this.weight(`${name}/bias`, [o.filters], 0.1);
    return this.push(name, 'Conv2D', {
      filters: o.filters, kernel_size: [kh, kw], strides: [sh, sw], padding, data_format: 'channels_last',
      dilation_rate: [1, 1], activation: o.activation ?? 'linear', use_bias: useBias,
    }, [x], [r.outH, r.outW, o.filters]);
  }

  batchNorm(name: string, x: string, o: { scale?: boolean; center?: boolean; epsilon?: number } = {}): string {
    const c = this.shape(x)[2]!;
    const scale = o.scale ?? true;
    const center = o.center ?? true;
    if (scale) this.weight(`${name}/gamma`, [c], 0.5, 1);
    if (center) this.weight(`${name}/beta`, [c], 0.5);
    this.weight(`${name}/moving_mean`, [c], 0.5);
    this.weight(`${name}/moving_variance`, [c], 0.5, 1);
    return this.push(name, 'BatchNormalization', { axis: 3, momentum: 0.99, epsilon: o.epsilon ?? 1e-3, center, scale }, [x], this.shape(x));
  }

  activation(name: string, x: string, activation: Act): string {
    return this.push(name, 'Activation', { activation }, [x], this.shape(x));
  }

  pool(kind: 'max' | 'avg', name: string, x: string, o: { pool: Pair; strides?: Pair; padding?: 'same' | 'valid' }): string {
    const [h, w, c] = this.shape(x);
    const [kh, kw] = pair(o.pool);
    const [sh, sw] = pair(o.strides ?? o.pool);
    const padding = o.padding ?? 'valid';
    const r = resolveWindow(h, w, { kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, padding });
    return this.push(name, kind === 'max' ? 'MaxPooling2D' : 'AveragePooling2D', {
      pool_size: [kh, kw], strides: [sh, sw], padding, data_format: 'channels_last',
    }, [x], [r.outH, r.outW, c!]);
  }

  concat(name: string, xs: string[]): string {
    const [h, w] = this.shape(xs[0]!);
    const c = xs.reduce((s, x) => s + this.shape(x)[2]!, 0);
    return this.push(name, 'Concatenate', { axis: -1 }, xs, [h!, w!, c]);
  }

  add(name: string, xs: string[]): string {
    return this.push(name, 'Add', {}, xs, this.shape(xs[0]!));
  }

  /** tf.keras ≥ 2.9 Inception-ResNet residual: `x + scale·up`. */
  customScale(name: string, x: string, up: string, scale: number): string {
    return this.push(name, 'CustomScaleLayer', { scale }, [x, up], this.shape(x));
  }

  /** Keras 2.x Inception-ResNet residual as serialised: a Lambda with `arguments: {scale}`. */
  lambdaScale(name: string, x: string, up: string, scale: number): string {
    return this.push(name, 'Lambda', {
      function: ['4wIAAAAAAAAAAwAAAAQAAABDAAAAcw4AAAB8AGQBGQB8AGQCGQAUAFMAKQNO', null, null],
      function_type: 'lambda', output_shape: this.shape(x), output_shape_type: 'raw', arguments: { scale },
    }, [x, up], this.shape(x));
  }

  gap(name: string, x: string): string {
    return this.push(name, 'GlobalAveragePooling2D', { data_format: 'channels_last' }, [x], [this.shape(x)[2]!]);
  }

  flatten(name: string, x: string): string {
    return this.push(name, 'Flatten', { data_format: 'channels_last' }, [x], [this.shape(x).reduce((a, b) => a * b, 1)]);
  }

  dropout(name: string, x: string): string {
    return this.push(name, 'Dropout', { rate: 0.5, noise_shape: null, seed: null }, [x], this.shape(x));
  }

  dense(name: string, x: string, o: { units: number; activation?: Act; useBias?: boolean }): string {
    const [features] = this.shape(x);
    const useBias = o.useBias ?? true;
    this.weight(`${name}/kernel`, [features!, o.units], 1 / Math.sqrt(features!));
    if (useBias) this.weight(`${name}/bias`, [o.units], 0.1);
    return this.push(name, 'Dense', { units: o.units, activation: o.activation ?? 'linear', use_bias: useBias }, [x], [o.units]);
  }

  /** Serialises the model with output `output`, weights encoded as `dtype`, cut into shards of `shardBytes`. */
  artifacts(dtype: WeightDtype, output: string, shardBytes = 4096): Artifacts {
    const input = this.layers[0]!.name;
    const modelTopology = {
      keras_version: '2.2.4', backend: 'tensorflow',
      model_config: {
        class_name: 'Model',
        config: { name: 'synthetic', layers: structuredClone(this.layers), input_layers: [[input, 0, 0]], output_layers: [[output, 0, 0]] },
      },
    };
    const specs: Record<string, unknown>[] = [];
    const chunks: Uint8Array[] = [];
    for (const w of this.weights) {
      const { bytes, quantization } = encode(w.values, dtype);
      specs.push({ name: w.name, shape: w.shape, dtype: 'float32', ...(quantization ? { quantization } : {}) });
      chunks.push(bytes);
    }
    const weightData = concatBytes(chunks);
    const shards: Uint8Array[] = [];
    for (let o = 0; o < weightData.length || shards.length === 0; o += shardBytes) shards.push(weightData.slice(o, o + shardBytes));
    const paths = shards.map((_, i) => `group1-shard${i + 1}of${shards.length}`);
    return {
      modelJson: { modelTopology, weightsManifest: [{ paths, weights: specs }] },
      weightData, shards,
      original: new Map(this.weights.map((w) => [w.name, w.values])),
    };
  }

  private push(name: string, className: string, config: Record<string, unknown>, inbound: string[], shape: number[]): string {
    this.layers.push({
      name, class_name: className, config: { name, trainable: false, ...config },
      inbound_nodes: inbound.length === 0 ? [] : [inbound.map((src) => [src, 0, 0, {}])],
    });
    this.shapes.set(name, shape);
    return name;
  }

  private weight(name: string, shape: number[], spread: number, centre = 0): void {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = centre + spread * (2 * this.next() - 1);
    this.weights.push({ name, shape, values });
  }
}

/** Encodes like the tensorflowjs converter: affine `q = round((w − min)/scale)`, or IEEE half. */
export function encode(values: Float32Array, dtype: WeightDtype): { bytes: Uint8Array; quantization?: Record<string, unknown> } {
  if (dtype === 'float32') return { bytes: new Uint8Array(values.slice().buffer) };
  if (dtype === 'float16') {
    const out = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]!);
    return { bytes: new Uint8Array(out.buffer), quantization: { dtype: 'float16' } };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const levels = dtype === 'uint8' ? 255 : 65535;
  const scale = max > min ? (max - min) / levels : 1;
  const q = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = Math.round((values[i]! - min) / scale);
  return { bytes: new Uint8Array(q.buffer), quantization: { dtype, min, scale } };
}

/** Round-to-nearest-even float32 → binary16 bits (normal range; the fixtures stay well inside it). */
export function toFloat16Bits(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (exp <= 0) return sign; // flush tiny values to ±0 (never reached by the fixtures' weights)
  let half = sign | (exp << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half += 1;
  return half;
}

export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/** tf.keras's `CustomScaleLayer` for tfjs (tfjs has none): `inputs[0] + scale·inputs[1]`. */
class CustomScaleLayer extends tf.layers.Layer {
  static className = 'CustomScaleLayer';
  readonly scale: number;
  constructor(config: { scale: number; name?: string }) {
    super(config);
    this.scale = config.scale;
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return (inputShape as tf.Shape[])[0]!;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [x, up] = inputs as tf.Tensor[];
    return tf.tidy(() => tf.add(x!, tf.mul(up!, this.scale)));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale };
  }
}
tf.serialization.registerClass(CustomScaleLayer);

let backendReady: Promise<boolean> | undefined;

/** Loads artifacts into tfjs (CPU backend) through `tf.io.fromMemory`. */
export async function loadInTfjs(modelJson: Artifacts['modelJson'], weightData: Uint8Array): Promise<tf.LayersModel> {
  backendReady ??= tf.setBackend('cpu');
  await backendReady;
  const buffer = weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights) as unknown as tf.io.WeightsManifestEntry[],
    weightData: buffer,
  }));
}

/** Runs a tfjs model on an NHWC input; returns each requested layer's output (default: the model's). */
export function runTfjs(model: tf.LayersModel, nhwc: Float32Array, shape: number[], layers?: string[]): Float32Array[] {
  return tf.tidy(() => {
    const m = layers ? tf.model({ inputs: model.inputs, outputs: layers.map((l) => model.getLayer(l).output as tf.SymbolicTensor) }) : model;
    const out = m.predict(tf.tensor(nhwc, shape)) as tf.Tensor | tf.Tensor[];
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}
