/**
 * Keras layers → Graph. One handler per supported layer class; each reads its config through
 * `LayerConfig` (errors name the layer), asks for its weights by Keras name (checked against the
 * manifest shape), and adds nodes named after the layer.
 *
 * Keras conventions kept here (TensorFlow's `tf.nn` padding and pooling semantics, as
 * keras.applications' inception_v3.py and inception_resnet_v2.py rely on them):
 *  - NHWC throughout; `padding: 'same'` is TF SAME (the odd pixel bottom/right);
 *  - AveragePooling2D excludes padded positions from the divisor (`countIncludePad: false`);
 *  - BatchNormalization over the last axis with its own ε; `scale: false` (Inception) → no gamma;
 *  - Flatten orders features (H, W, C). A 1×1 map flattens as a pure reshape; a larger map may
 *    only feed a Dense, which becomes the equal H×W VALID convolution (the Dense kernel
 *    `[H·W·C, units]` *is* an HWIO kernel `[H, W, C, units]`) followed by a 1×1 flatten;
 *  - the Inception-ResNet scaled residual `x + scale·up`: tf.keras ≥ 2.9 `CustomScaleLayer {scale}`,
 *    Keras 2.x `Lambda` with `arguments: {scale}` and two inputs (its Python body is opaque
 *    marshalled bytecode; keras.applications' `inception_resnet_v2` is the only source of that shape).
 */
import { Graph, GraphError } from '../graph/graph.js';
import type { Shape, ValueId } from '../graph/nodes.js';
import { LayerConfig, type KerasLayer, type KerasModel } from './keras-config.js';
import { TfjsImportError, type WeightSpec } from './model-json.js';

/** How a manifest tensor becomes the graph's weight of the same name. */
export type WeightLayout =
  | { kind: 'asIs' }
  | { kind: 'hwio'; kh: number; kw: number; cin: number; cout: number }
  | { kind: 'dense'; inFeatures: number; outFeatures: number };

export interface KerasGraphOptions {
  batch: number;
  /** Replaces the InputLayer's height and width (required when they are `null`). */
  inputSize?: readonly [number, number];
  /** Leave out the softmax that ends the (first) output layer. */
  logits: boolean;
}

export interface KerasGraph {
  graph: Graph;
  /** Manifest weight name → its layout transform; the graph's weights carry the same names. */
  uses: Map<string, WeightLayout>;
  inputs: { name: string; shape: number[] }[];
  outputs: { name: string; shape: number[] }[];
}

/** A Keras tensor: a graph value, possibly the (H, W, C) flattening of a larger map not yet emitted. */
interface Tensor {
  id: ValueId;
  pendingFlatten: boolean;
}

type Activation = 'linear' | 'relu' | 'relu6' | 'softmax';

export function buildKerasGraph(
  model: KerasModel, specs: ReadonlyMap<string, WeightSpec>, options: KerasGraphOptions, file: string,
): KerasGraph {
  if (model.inputs.length !== 1) throw new TfjsImportError(`${file}: the model has ${model.inputs.length} inputs; one image input is supported`);
  const b = new Builder(specs, options, file, model.outputs[0]!);
  for (const layer of model.layers) b.add(layer);
  const outputs = model.outputs.map((name) => {
    const t = b.tensor(name, `output '${name}'`);
    if (t.pendingFlatten) throw new TfjsImportError(`${file}: output '${name}' is the flattening of a larger-than-1×1 map, which only a following Dense can consume`);
    b.graph.markOutput(t.id);
    return { name, shape: [...b.graph.shape(t.id)] };
  });
  if (options.logits && !b.softmaxStripped) {
    throw new TfjsImportError(`${file}: logits were requested but the output layer '${model.outputs[0]}' does not end in a softmax`);
  }
  const input = b.graph.node(b.graph.inputs[0]!);
  return { graph: b.graph, uses: b.uses, inputs: [{ name: input.name, shape: [...input.shape] }], outputs };
}

class Builder {
  readonly graph = new Graph();
  readonly uses = new Map<string, WeightLayout>();
  softmaxStripped = false;
  private readonly tensors = new Map<string, Tensor>();
  private readonly shortNames = new Map<string, string>();

  constructor(
    private readonly specs: ReadonlyMap<string, WeightSpec>,
    readonly options: KerasGraphOptions,
    private readonly file: string,
    private readonly firstOutput: string,
  ) {
    // tfjs-layers' loadWeights also accepts `layer/cell/weight` for `layer/weight` (TF ≥ 2.2 names).
    for (const name of specs.keys()) {
      const t = name.split('/');
      if (t.length >= 3) this.shortNames.set([...t.slice(0, -2), t[t.length - 1]].join('/'), name);
    }
  }

  tensor(layer: string, consumer: string): Tensor {
    const t = this.tensors.get(layer);
    if (!t) throw new TfjsImportError(`${this.file}: ${consumer} reads layer '${layer}', which produced no tensor`);
    return t;
  }

  add(layer: KerasLayer): void {
    const c = new LayerConfig(layer, this.file);
    const inputs = layer.inbound.map((src) => this.tensor(src, `layer '${layer.name}'`));
    const handler = Object.hasOwn(HANDLERS, layer.className) ? HANDLERS[layer.className] : undefined;
    if (!handler) {
      throw c.fail(`layer class '${layer.className}' is not supported (supported: ${Object.keys(HANDLERS).join(', ')})`);
    }
    for (const x of inputs) {
      if (x.pendingFlatten && !['Dense', 'Dropout', 'SpatialDropout2D', 'Activation', 'ReLU'].includes(layer.className)) {
        throw c.fail(`its input is a Flatten of a larger-than-1×1 map, which only Dense (after Dropout/ReLU) may consume here`);
      }
    }
    try {
      this.tensors.set(layer.name, handler(this, c, inputs));
    } catch (e) {
      if (e instanceof GraphError) throw c.fail(e.message);
      throw e;
    }
  }

  /** The manifest name of weight `short` of `layer`, after checking its shape is `shape`. */
  weight(c: LayerConfig, short: string, shape: readonly number[], layout: WeightLayout): string {
    const wanted = `${c.layer.name}/${short}`;
    const name = this.specs.has(wanted) ? wanted : this.shortNames.get(wanted);
    if (name === undefined) throw c.fail(`weight '${wanted}' is not in the weights manifest`);
    const spec = this.specs.get(name)!;
    if (spec.shape.length !== shape.length || spec.shape.some((d, i) => d !== shape[i])) {
      throw c.fail(`weight '${name}' has shape [${spec.shape.join(', ')}], the layer needs [${shape.join(', ')}]`);
    }
    if (this.uses.has(name)) throw c.fail(`weight '${name}' is already used by another layer`);
    this.uses.set(name, layout);
    return name;
  }

  shape(t: Tensor): Shape {
    return this.graph.shape(t.id);
  }

  featureMap(c: LayerConfig, t: Tensor): [number, number, number, number] {
    const s = this.shape(t);
    if (s.length !== 4 || t.pendingFlatten) throw c.fail(`expects a feature map [N, H, W, C], got [${s.join(', ')}]${t.pendingFlatten ? ' flattened' : ''}`);
    return s as unknown as [number, number, number, number];
  }

  /** `min(max(x, 0), maxValue)`: Keras relu6, and ReLU with a `max_value`. */
  clamp(x: Tensor, nodeName: string, maxValue: number): Tensor {
    return { id: this.graph.clamp(nodeName, x.id, { lo: 0, hi: maxValue }), pendingFlatten: x.pendingFlatten };
  }

  activate(c: LayerConfig, x: Tensor, act: Activation, nodeName: string): Tensor {
    if (act === 'linear') return x;
    // Elementwise, so they commute with a pending flatten.
    if (act === 'relu') return { id: this.graph.relu(nodeName, x.id), pendingFlatten: x.pendingFlatten };
    if (act === 'relu6') return this.clamp(x, nodeName, 6);
    if (this.options.logits && c.layer.name === this.firstOutput) {
      this.softmaxStripped = true;
      return x;
    }
    if (this.shape(x).length !== 2 || x.pendingFlatten) throw c.fail(`softmax is supported on [N, classes] only, got [${this.shape(x).join(', ')}]`);
    return { id: this.graph.softmax(nodeName, x.id), pendingFlatten: false };
  }
}

type Handler = (b: Builder, c: LayerConfig, inputs: Tensor[]) => Tensor;

const plain = (id: ValueId): Tensor => ({ id, pendingFlatten: false });

const identity: Handler = (_b, c, [x]) => {
  c.inputCount(1);
  return x!;
};

const HANDLERS: Record<string, Handler> = {
  InputLayer(b, c) {
    c.inputCount(0);
    const declared = c.raw('batch_input_shape') ?? c.raw('batch_shape');
    if (!Array.isArray(declared) || declared.length !== 4) {
      throw c.fail(`'batch_input_shape' must be [batch, height, width, channels], got ${JSON.stringify(declared)}; only image inputs are supported`);
    }
    c.oneOf('dtype', ['float32'], 'float32');
    const [h, w] = b.options.inputSize ?? [declared[1], declared[2]];
    const channels = declared[3];
    for (const [label, d] of [['height', h], ['width', w], ['channels', channels]] as const) {
      if (!Number.isSafeInteger(d) || (d as number) < 1) {
        throw c.fail(`input ${label} is ${JSON.stringify(d)}; pass inputSize to importTfjs for a model built without a fixed size`);
      }
    }
    return plain(b.graph.input(c.layer.name, [b.options.batch, h as number, w as number, channels as number]));
  },

  Conv2D(b, c, [x]) {
    c.inputCount(1);
    const [, , , cin] = b.featureMap(c, x!);
    c.channelsLast();
    c.ones('dilation_rate');
    c.ones('groups');
    const filters = c.positiveInt('filters');
    const [kh, kw] = c.pair('kernel_size');
    const [sh, sw] = c.pair('strides', [1, 1]);
    const padding = c.oneOf('padding', ['same', 'valid']);
    const act = c.activation();
    const useBias = c.bool('use_bias', true);
    const weight = b.weight(c, 'kernel', [kh, kw, cin, filters], { kind: 'hwio', kh, kw, cin, cout: filters });
    const bias = useBias ? b.weight(c, 'bias', [filters], { kind: 'asIs' }) : undefined;
    const y = b.graph.conv(c.layer.name, x!.id, {
      outChannels: filters, kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, padding, weight, ...(bias ? { bias } : {}),
    });
    return b.activate(c, plain(y), act, `${c.layer.name}/${act}`);
  },

  BatchNormalization(b, c, [x]) {
    c.inputCount(1);
    const [, , , channels] = b.featureMap(c, x!);
    const axis = c.raw('axis');
    const axes = Array.isArray(axis) ? axis : [axis ?? -1];
    if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== 3)) throw c.fail(`'axis' ${JSON.stringify(axis)} is not supported (the channel axis, 3 or −1, is)`);
    const eps = c.finite('epsilon', 1e-3);
    if (eps < 0) throw c.fail(`'epsilon' must be ≥ 0, got ${eps}`);
    const vec = (short: string) => b.weight(c, short, [channels], { kind: 'asIs' });
    const gamma = c.bool('scale', true) ? vec('gamma') : undefined;
    const beta = c.bool('center', true) ? vec('beta') : undefined;
    const y = b.graph.batchNorm(c.layer.name, x!.id, {
      ...(gamma ? { gamma } : {}), ...(beta ? { beta } : {}), mean: vec('moving_mean'), var: vec('moving_variance'), eps,
    });
    return plain(y);
  },

  Activation(b, c, [x]) {
    c.inputCount(1);
    return b.activate(c, x!, c.activation(), c.layer.name);
  },

  ReLU(b, c, [x]) {
    c.inputCount(1);
    if (c.finite('negative_slope', 0) !== 0 || c.finite('threshold', 0) !== 0) {
      throw c.fail('only ReLU with negative_slope 0 and threshold 0 is supported (optionally with a max_value)');
    }
    const raw = c.raw('max_value');
    if (raw === undefined || raw === null) return b.activate(c, x!, 'relu', c.layer.name);
    const maxValue = c.finite('max_value');
    if (maxValue <= 0) throw c.fail(`'max_value' must be > 0, got ${maxValue}`);
    return b.clamp(x!, c.layer.name, maxValue);
  },

  MaxPooling2D: pool('max'),
  AveragePooling2D: pool('avg'),

  GlobalAveragePooling2D(b, c, [x]) {
    c.inputCount(1);
    b.featureMap(c, x!);
    c.channelsLast();
    const pooled = b.graph.globalAvgPool(c.layer.name, x!.id);
    return plain(c.bool('keepdims', false) ? pooled : b.graph.flatten(`${c.layer.name}/flatten`, pooled));
  },

  Flatten(b, c, [x]) {
    c.inputCount(1);
    c.channelsLast();
    const s = b.shape(x!);
    if (s.length === 2) return x!;
    const [, h, w] = b.featureMap(c, x!);
    // (H, W, C) order: a reshape for 1×1; otherwise deferred to the consuming Dense (see header).
    return h * w === 1 ? plain(b.graph.flatten(c.layer.name, x!.id)) : { id: x!.id, pendingFlatten: true };
  },

  Dense(b, c, [x]) {
    c.inputCount(1);
    const units = c.positiveInt('units');
    const act = c.activation();
    const useBias = c.bool('use_bias', true);
    const name = c.layer.name;
    let y: ValueId;
    if (x!.pendingFlatten) {
      const [, h, w, ch] = b.shape(x!) as [number, number, number, number];
      const weight = b.weight(c, 'kernel', [h * w * ch, units], { kind: 'hwio', kh: h, kw: w, cin: ch, cout: units });
      const bias = useBias ? b.weight(c, 'bias', [units], { kind: 'asIs' }) : undefined;
      const conv = b.graph.conv(name, x!.id, { outChannels: units, kernelH: h, kernelW: w, padding: 'valid', weight, ...(bias ? { bias } : {}) });
      y = b.graph.flatten(`${name}/flatten`, conv);
    } else {
      const s = b.shape(x!);
      if (s.length !== 2) throw c.fail(`Dense on a rank-${s.length} input (applied per position) is not supported; expected [N, features]`);
      const inFeatures = s[1]!;
      const weight = b.weight(c, 'kernel', [inFeatures, units], { kind: 'dense', inFeatures, outFeatures: units });
      const bias = useBias ? b.weight(c, 'bias', [units], { kind: 'asIs' }) : undefined;
      y = b.graph.fc(name, x!.id, { outFeatures: units, weight, ...(bias ? { bias } : {}) });
    }
    return b.activate(c, plain(y), act, `${name}/${act}`);
  },

  Dropout: identity,
  SpatialDropout2D: identity,

  Concatenate(b, c, inputs) {
    c.inputCount('atLeast2');
    for (const x of inputs) b.featureMap(c, x);
    const axis = c.raw('axis') ?? -1;
    if (axis !== -1 && axis !== 3) throw c.fail(`'axis' ${JSON.stringify(axis)} is not supported (the channel axis, 3 or −1, is)`);
    return plain(b.graph.concat(c.layer.name, inputs.map((x) => x.id)));
  },

  Add(b, c, inputs) {
    c.inputCount('atLeast2');
    for (const x of inputs) b.featureMap(c, x);
    let sum = inputs[0]!.id;
    for (let i = 1; i < inputs.length; i++) {
      sum = b.graph.add(i === inputs.length - 1 ? c.layer.name : `${c.layer.name}/${i}`, sum, inputs[i]!.id);
    }
    return plain(sum);
  },

  CustomScaleLayer(b, c, inputs) {
    c.inputCount(2);
    for (const x of inputs) b.featureMap(c, x);
    return plain(b.graph.add(c.layer.name, inputs[0]!.id, inputs[1]!.id, c.finite('scale')));
  },

  Lambda(b, c, inputs) {
    const args = c.raw('arguments');
    const keys = args !== null && typeof args === 'object' ? Object.keys(args) : [];
    const scale = (args as { scale?: unknown } | null)?.scale;
    if (inputs.length !== 2 || keys.length !== 1 || typeof scale !== 'number' || !Number.isFinite(scale)) {
      throw c.fail(
        'a Lambda layer holds Python code that cannot be read; only the Keras 2.x Inception-ResNet residual ' +
          '(two inputs, arguments {scale}: x + scale·y) is recognised — re-save the model with tf.keras ≥ 2.9 (CustomScaleLayer) or replace the Lambda',
      );
    }
    for (const x of inputs) b.featureMap(c, x);
    return plain(b.graph.add(c.layer.name, inputs[0]!.id, inputs[1]!.id, scale));
  },
};

function pool(kind: 'max' | 'avg'): Handler {
  return (b, c, [x]) => {
    c.inputCount(1);
    b.featureMap(c, x!);
    c.channelsLast();
    const [kernelH, kernelW] = c.pair('pool_size', [2, 2]);
    const [strideH, strideW] = c.pair('strides', [kernelH, kernelW]);
    const spec = { kernelH, kernelW, strideH, strideW, padding: c.oneOf('padding', ['same', 'valid'], 'valid') };
    return plain(kind === 'max'
      ? b.graph.maxPool(c.layer.name, x!.id, spec)
      : b.graph.avgPool(c.layer.name, x!.id, { ...spec, countIncludePad: false }));
  };
}

/** The Keras layer class names the importer builds (the keys of its handler table). */
export const SUPPORTED_LAYERS: readonly string[] = Object.keys(HANDLERS);
