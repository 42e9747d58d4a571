/**
 * Reading a Keras model config (the `modelTopology` of a TF.js layers model) into a flat list of
 * layers with their inbound layer names, in an order where every layer follows its inputs; and
 * typed readers for layer config fields that fail with the layer's name and the offending value.
 *
 * Accepted: functional models (`class_name` 'Model' — Keras 2.x — or 'Functional' — tf.keras ≥ 2.4)
 * whose layers are each called once (`inbound_nodes: [[[name, 0, 0, {}], …]]`), and Sequential
 * models (Keras 2.2 list form or `{ layers }`). Keras 3 configs (`inbound_nodes` of `{args, kwargs}`)
 * and nested models are refused with the reason.
 */
import { describe, isRecord, TfjsImportError } from './model-json.js';

export interface KerasLayer {
  name: string;
  className: string;
  config: Record<string, unknown>;
  /** Names of the layers whose (only) output this layer consumes, in call order. */
  inbound: string[];
}

export interface KerasModel {
  /** Topologically ordered. */
  layers: KerasLayer[];
  inputs: string[];
  outputs: string[];
}

export function readKerasModel(modelConfig: Record<string, unknown>, file: string): KerasModel {
  const className = modelConfig.class_name;
  if (className === 'Sequential') return readSequential(modelConfig.config, file);
  if (className !== 'Model' && className !== 'Functional') {
    throw new TfjsImportError(`${file}: model class ${describe(className)} is not supported (a Keras functional 'Model' or 'Sequential' is)`);
  }
  const config = isRecord(modelConfig.config) ? modelConfig.config : undefined;
  if (!config || !Array.isArray(config.layers)) throw new TfjsImportError(`${file}: the model config has no 'layers' array`);
  const layers = config.layers.map((entry: unknown, i) => readFunctionalLayer(entry, i, file));
  return {
    layers: topologicalOrder(layers, file),
    inputs: readEndpoints(config.input_layers, 'input_layers', file),
    outputs: readEndpoints(config.output_layers, 'output_layers', file),
  };
}

function readFunctionalLayer(entry: unknown, index: number, file: string): KerasLayer {
  const where = `${file}: layers[${index}]`;
  if (!isRecord(entry)) throw new TfjsImportError(`${where} must be an object, got ${describe(entry)}`);
  const { name, className, config } = layerHeader(entry, where);
  const nodes = entry.inbound_nodes;
  if (!Array.isArray(nodes)) throw new TfjsImportError(`${where} ('${name}'): 'inbound_nodes' must be an array`);
  if (nodes.length > 1) {
    throw new TfjsImportError(`${where}: layer '${name}' is called ${nodes.length} times (a shared layer); only layers called once are supported`);
  }
  const inbound: string[] = [];
  for (const node of nodes as unknown[]) {
    if (isRecord(node)) {
      throw new TfjsImportError(`${where} ('${name}'): this is a Keras 3 config (inbound nodes as {args, kwargs}); re-save the model with tf.keras 2.x before converting`);
    }
    if (!Array.isArray(node)) throw new TfjsImportError(`${where} ('${name}'): an inbound node must be an array, got ${describe(node)}`);
    for (const ref of node as unknown[]) {
      if (!Array.isArray(ref) || typeof ref[0] !== 'string') {
        throw new TfjsImportError(`${where} ('${name}'): an inbound reference must be [layer, node, tensor, kwargs], got ${describe(ref)}`);
      }
      if (ref[1] !== 0 || ref[2] !== 0) {
        throw new TfjsImportError(`${where} ('${name}'): input ${describe(ref)} refers to call ${describe(ref[1])}, output ${describe(ref[2])} of '${ref[0]}'; only single-call, single-output layers are supported`);
      }
      inbound.push(ref[0]);
    }
  }
  return { name, className, config, inbound };
}

function layerHeader(entry: Record<string, unknown>, where: string): { name: string; className: string; config: Record<string, unknown> } {
  if (typeof entry.class_name !== 'string') throw new TfjsImportError(`${where}: 'class_name' must be a string, got ${describe(entry.class_name)}`);
  if (!isRecord(entry.config)) throw new TfjsImportError(`${where} (${entry.class_name}): 'config' must be an object, got ${describe(entry.config)}`);
  const name = entry.name ?? entry.config.name;
  if (typeof name !== 'string' || name.length === 0) throw new TfjsImportError(`${where} (${entry.class_name}): the layer has no name`);
  if (['Model', 'Functional', 'Sequential'].includes(entry.class_name)) {
    throw new TfjsImportError(`${where}: layer '${name}' is a nested ${entry.class_name}; flatten the model into one functional model before converting`);
  }
  return { name, className: entry.class_name, config: entry.config };
}

function readSequential(config: unknown, file: string): KerasModel {
  const list = Array.isArray(config) ? config : isRecord(config) && Array.isArray(config.layers) ? config.layers : undefined;
  if (!list || list.length === 0) throw new TfjsImportError(`${file}: the Sequential model has no layers`);
  const layers: KerasLayer[] = [];
  list.forEach((entry: unknown, i) => {
    const where = `${file}: layers[${i}]`;
    if (!isRecord(entry)) throw new TfjsImportError(`${where} must be an object, got ${describe(entry)}`);
    const layer = layerHeader(entry, where);
    if (i === 0 && layer.className !== 'InputLayer') {
      const shape = layer.config.batch_input_shape ?? layer.config.batch_shape;
      if (shape === undefined) throw new TfjsImportError(`${where}: the first layer '${layer.name}' declares no 'batch_input_shape'`);
      layers.push({ name: `${layer.name}_input`, className: 'InputLayer', config: { batch_input_shape: shape }, inbound: [] });
    }
    const previous = layers[layers.length - 1];
    layers.push({ ...layer, inbound: previous ? [previous.name] : [] });
  });
  return { layers: topologicalOrder(layers, file), inputs: [layers[0]!.name], outputs: [layers[layers.length - 1]!.name] };
}

/** `[[name, 0, 0], …]`, or tf.keras's single `[name, 0, 0]`. */
function readEndpoints(value: unknown, key: string, file: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new TfjsImportError(`${file}: '${key}' must be a non-empty array, got ${describe(value)}`);
  const refs = typeof value[0] === 'string' ? [value] : value;
  return refs.map((ref: unknown) => {
    if (!Array.isArray(ref) || typeof ref[0] !== 'string') throw new TfjsImportError(`${file}: '${key}' entry ${describe(ref)} must be [layer, 0, 0]`);
    if (ref[1] !== 0 || ref[2] !== 0) throw new TfjsImportError(`${file}: '${key}' entry ${describe(ref)}: only the first output of a single-call layer is supported`);
    return ref[0] as string;
  });
}

/** Kahn's algorithm, stable (keeps the config's order where it is already valid). */
function topologicalOrder(layers: KerasLayer[], file: string): KerasLayer[] {
  const byName = new Map<string, KerasLayer>();
  for (const l of layers) {
    if (byName.has(l.name)) throw new TfjsImportError(`${file}: two layers are named '${l.name}'`);
    byName.set(l.name, l);
  }
  const waiting = new Map<string, number>();
  const consumers = new Map<string, KerasLayer[]>();
  for (const l of layers) {
    for (const src of l.inbound) {
      if (!byName.has(src)) throw new TfjsImportError(`${file}: layer '${l.name}' takes its input from '${src}', which is not a layer of the model`);
      consumers.set(src, [...(consumers.get(src) ?? []), l]);
    }
    waiting.set(l.name, l.inbound.length);
  }
  const ready = layers.filter((l) => l.inbound.length === 0);
  const order: KerasLayer[] = [];
  while (ready.length > 0) {
    const l = ready.shift()!;
    order.push(l);
    for (const c of consumers.get(l.name) ?? []) {
      const left = waiting.get(c.name)! - 1;
      waiting.set(c.name, left);
      if (left === 0) ready.push(c);
    }
  }
  if (order.length !== layers.length) {
    const stuck = layers.filter((l) => !order.includes(l)).map((l) => `'${l.name}'`);
    throw new TfjsImportError(`${file}: the layers ${stuck.slice(0, 5).join(', ')}${stuck.length > 5 ? ', …' : ''} form a cycle`);
  }
  return order;
}

// ---- typed config readers ------------------------------------------------------------------

/** Reads fields of one layer's config; every failure names the layer and the field. */
export class LayerConfig {
  constructor(readonly layer: KerasLayer, private readonly file: string) {}

  fail(problem: string): TfjsImportError {
    return new TfjsImportError(`${this.file}: layer '${this.layer.name}' (${this.layer.className}): ${problem}`);
  }

  private get(key: string): unknown {
    return this.layer.config[key];
  }

  positiveInt(key: string): number {
    const v = this.get(key);
    if (!Number.isSafeInteger(v) || (v as number) < 1) throw this.fail(`'${key}' must be a positive integer, got ${describe(v)}`);
    return v as number;
  }

  /** An int or a pair of ints ≥ 1, as `[h, w]`. */
  pair(key: string, fallback?: readonly [number, number]): [number, number] {
    const v = this.get(key);
    if ((v === undefined || v === null) && fallback) return [...fallback];
    const pair = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((d) => Number.isSafeInteger(d) && d >= 1)) {
      throw this.fail(`'${key}' must be a positive integer or a pair of them, got ${describe(v)}`);
    }
    return [pair[0], pair[1]];
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const v = this.get(key);
    if ((v === undefined || v === null) && fallback !== undefined) return fallback;
    if (!allowed.includes(v as T)) throw this.fail(`'${key}' ${describe(v)} is not supported (${allowed.map((a) => `'${a}'`).join(', ')} are)`);
    return v as T;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.get(key);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') throw this.fail(`'${key}' must be true or false, got ${describe(v)}`);
    return v;
  }

  finite(key: string, fallback?: number): number {
    const v = this.get(key);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail(`'${key}' must be a finite number, got ${describe(v)}`);
    return v;
  }

  /** `data_format` must be channels_last (the TF.js default). */
  channelsLast(): void {
    this.oneOf('data_format', ['channels_last'], 'channels_last');
  }

  /** Checks a field holds only ones (dilation, groups), absent allowed. */
  ones(key: string): void {
    const v = this.get(key);
    if (v === undefined || v === null) return;
    const all = typeof v === 'number' ? [v] : Array.isArray(v) ? v : [undefined];
    if (!all.every((d) => d === 1)) throw this.fail(`'${key}' ${describe(v)} is not supported (only 1)`);
  }

  /** The activation name: 'linear' (also for null), 'relu', 'relu6' or 'softmax'. */
  activation(key = 'activation'): 'linear' | 'relu' | 'relu6' | 'softmax' {
    const v = this.get(key);
    if (v === undefined || v === null) return 'linear';
    return this.oneOf(key, ['linear', 'relu', 'relu6', 'softmax']);
  }

  inputCount(expected: number | 'atLeast2'): void {
    const n = this.layer.inbound.length;
    if (expected === 'atLeast2' ? n < 2 : n !== expected) {
      throw this.fail(`takes ${expected === 'atLeast2' ? 'two or more inputs' : expected === 1 ? 'one input' : `${expected} inputs`}, got ${n}`);
    }
  }

  raw(key: string): unknown {
    return this.get(key);
  }
}
