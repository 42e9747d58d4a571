/**
 * The options of `createSession` and their checks. Every option is checked before anything is
 * built: an unknown key (a typo would silently run the default), an enum-like value outside its
 * set, a number outside its range is an error naming the nearest valid choice. Model files and
 * weights are checked by their loaders.
 */

import { PAGE_BYTES } from './bindings/arena.js';
import type { KernelBuild, WasmSource } from './bindings/wasm-module.js';
import type { Graph } from './graph/graph.js';
import { ALL_PASSES, type PassName } from './graph/passes.js';
import { MAX_THREADS } from './limits.js';
import { checkBoolean, checkInteger, checkOneOf, checkOptionKeys, describeValue, inputSizeProblem, suggestion } from './util/options.js';
import type { TfjsSource } from './tfjs/import.js';

export type Layout = 'nchw' | 'nhwc';

export interface SessionOptions {
  /** A network of the registry (`inception-wasm list`), or pass `graph`. */
  model?: string;
  variant?: string;
  /** A graph built elsewhere (your own builder, tests). */
  graph?: Graph;
  /**
   * A TF.js layers (Keras) model: the path of its model.json (Node), or its JSON and all weight
   * shards concatenated in manifest order. Weights come from the model.
   */
  tfjs?: TfjsSource;
  /**
   * An ONNX model: a path (Node) or its bytes. Weights come from the model; `batch` and
   * `inputSize` fill free dimensions. External data files are read from the model's directory.
   */
  onnx?: string | Uint8Array;
  /**
   * Required with `model` and `graph` (model files carry their own): named Float32Arrays in
   * framework layout (state-dict names), or `'seeded'` for the deterministic, untrained fill of
   * the network's state-dict order (tests, benchmarks, demos).
   */
  weights?: 'seeded' | ReadonlyMap<string, Float32Array> | Readonly<Record<string, Float32Array>>;
  /** Square size or [height, width]; default the network's standard size. */
  inputSize?: number | readonly [number, number];
  /** Batch the session is planned for (default 1); `run` accepts 1..batch images. */
  batch?: number;
  /** 0 = one per core (default), 1 = no workers. */
  threads?: number;
  /** Kernel build: 'auto' (relaxed SIMD where available) or a fixed one. */
  build?: 'auto' | KernelBuild;
  /** Graph passes to run (default: all). `[]` runs the graph as built. */
  passes?: readonly PassName[];
  /**
   * Stride-1 3×3, 1×7/7×1 and 1×3/3×1 convs by Winograd transforms (default true): F(2×2),
   * F(4×4) or F(6×6, 3×3) and 1-D F(4, r) / F(6, 7) as the map size pays (graph/algorithm.ts);
   * outputs differ from the direct convolution by rounding only. `false`: im2col/direct GEMM.
   */
  winograd?: boolean;
  /** The kernel module (precompiled, bytes, or URL) — for runtimes that forbid compiling or fetch elsewhere. */
  wasm?: WasmSource;
  /**
   * 'f32' (default), or 'int8': weights per-output-channel symmetric int8 (after BatchNorm
   * folding), activations per-tensor asymmetric u8 from static calibration, integer GEMMs;
   * about a quarter of the weight bytes. Needs `calibration`. See README, "Int8".
   */
  precision?: Precision;
  /** Inputs for int8's static calibration (`precision: 'int8'` only). */
  calibration?: CalibrationOptions;
  /** Upper bound on wasm memory; session creation fails with the bytes needed when exceeded. */
  maxMemoryBytes?: number;
  /**
   * Debug mode: each run executes step by step on the calling thread and checks every step's
   * output; the first non-finite value throws an error naming the node. Slow; for finding bugs.
   */
  debug?: boolean;
  /** Reject inputs holding NaN or ±Infinity (default false; can be set per run). */
  checkFinite?: boolean;
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void;
}

export type Precision = 'f32' | 'int8';

export interface CalibrationOptions {
  /**
   * Float32Arrays shaped like `run`'s input (1..batch images each, `layout` order): typical
   * preprocessed images. Each activation's range over them sets its quantisation.
   */
  inputs: readonly Float32Array[];
  /** Layout of `inputs` (default: as `run`'s default). */
  layout?: Layout;
  /**
   * How each activation's range is taken: 'minmax' (default: everything seen), or 'percentile':
   * the `percentile`-th percentile at both ends (default 99.99), clipping rare outliers.
   */
  method?: 'minmax' | 'percentile';
  /** For method 'percentile': in (50, 100]; default 99.99. */
  percentile?: number;
}

export const P = 'inception-wasm: ';

/** Every key of SessionOptions (a Record, so adding an option without listing it fails to compile). */
const SESSION_OPTION_KEYS: Record<keyof SessionOptions, true> = {
  model: true, variant: true, graph: true, tfjs: true, onnx: true, weights: true, inputSize: true, batch: true,
  threads: true, build: true, passes: true, winograd: true, wasm: true, maxMemoryBytes: true, debug: true,
  checkFinite: true, warn: true, precision: true, calibration: true,
};

const PRECISIONS: readonly Precision[] = ['f32', 'int8'];

export const MISSING_CALIBRATION = `${P}precision 'int8' needs \`calibration: { inputs }\`: a few typical preprocessed inputs (Float32Arrays shaped like run()'s) to set each activation's range (a QDQ ONNX model carries its own)`;
const CALIBRATION_KEYS: Record<keyof CalibrationOptions, true> = { inputs: true, layout: true, method: true, percentile: true };
const CALIBRATION_METHODS: readonly NonNullable<CalibrationOptions['method']>[] = ['minmax', 'percentile'];

/** `precision` and `calibration`: one of the precisions; calibration inputs with int8, and only then. */
function checkPrecision(options: SessionOptions): void {
  checkOneOf(options.precision, PRECISIONS, 'precision', P);
  const int8 = options.precision === 'int8';
  if (options.calibration === undefined) {
    // A quantized ONNX file carries its own ranges: checked once the model is loaded (session.ts).
    if (int8 && options.onnx === undefined) throw new Error(MISSING_CALIBRATION);
    return;
  }
  if (!int8) throw new Error(`${P}\`calibration\` is for precision 'int8'; add \`precision: 'int8'\` or drop it`);
  const c = checkOptionKeys(options.calibration, Object.keys(CALIBRATION_KEYS) as (keyof CalibrationOptions)[], 'calibration', P);
  if (!Array.isArray(c.inputs) || c.inputs.length === 0) {
    throw new Error(`${P}calibration.inputs must be a non-empty array of Float32Arrays shaped like run()'s input, got ${describeValue(c.inputs)}`);
  }
  const bad = (c.inputs as unknown[]).findIndex((x) => !(x instanceof Float32Array));
  if (bad >= 0) {
    throw new Error(`${P}calibration.inputs[${bad}] must be a Float32Array shaped like run()'s input, got ${Object.prototype.toString.call(c.inputs[bad])}`);
  }
  if (c.layout !== undefined && c.layout !== 'nchw' && c.layout !== 'nhwc') {
    throw new Error(`${P}calibration.layout must be 'nchw' or 'nhwc', got ${describeValue(c.layout)}`);
  }
  checkOneOf(c.method, CALIBRATION_METHODS, 'calibration.method', P);
  if (c.percentile !== undefined) {
    if (c.method !== 'percentile') throw new Error(`${P}calibration.percentile is for method 'percentile'; add \`method: 'percentile'\` or drop it`);
    if (typeof c.percentile !== 'number' || !(c.percentile > 50 && c.percentile <= 100)) {
      throw new Error(`${P}calibration.percentile must be a number in (50, 100], e.g. 99.99, got ${describeValue(c.percentile)}`);
    }
  }
}

const BUILDS: readonly NonNullable<SessionOptions['build']>[] = ['auto', 'baseline', 'relaxed'];

/**
 * Checks every option before anything is built: unknown keys (a typo would silently run the
 * default), enum-like values against their valid set, numbers against their range. Model files
 * and weights are checked by their loaders.
 */
export function checkSessionOptions(options: SessionOptions): void {
  if (options === undefined) throw new Error(`${P}createSession() takes an options object with one of \`model\` (see \`inception-wasm list\`), \`graph\`, \`tfjs\`, \`onnx\``);
  checkOptionKeys(options, Object.keys(SESSION_OPTION_KEYS) as (keyof SessionOptions)[], 'createSession()', P);
  for (const key of ['model', 'variant'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string') {
      throw new Error(`${P}${key} must be a string (see \`inception-wasm list\`), got ${describeValue(options[key])}`);
    }
  }
  if (options.variant !== undefined && options.model === undefined) {
    throw new Error(`${P}\`variant\` selects a variant of \`model\`; a \`graph\`, \`onnx\` or \`tfjs\` model has none — drop \`variant\``);
  }
  // Duck-typed, not `instanceof`: a graph built by another copy of this package is still a graph.
  const graph = options.graph as Partial<Graph> | undefined;
  if (graph !== undefined && (typeof graph !== 'object' || graph === null || typeof graph.node !== 'function' || !Array.isArray(graph.weights))) {
    throw new Error(`${P}graph must be a Graph (from a builder or buildNetwork), got ${describeValue(options.graph)}`);
  }
  const w = options.weights;
  if (w !== undefined && w !== 'seeded' && !(w instanceof Map) && (typeof w !== 'object' || w === null || Array.isArray(w) || ArrayBuffer.isView(w))) {
    throw new Error(`${P}weights must be 'seeded', a Map or an object of named Float32Arrays, got ${describeValue(w)}`);
  }
  const sizeProblem = inputSizeProblem(options.inputSize);
  if (sizeProblem) throw new Error(`${P}${sizeProblem}`);
  checkPrecision(options);
  checkInteger(options.batch, 'batch', 1, Number.MAX_SAFE_INTEGER, 'a positive integer', P);
  checkInteger(options.threads, 'threads', 0, MAX_THREADS, `an integer from 0 to ${MAX_THREADS} (0 = one per core, at most ${MAX_THREADS}; 1 = no workers)`, P);
  checkOneOf(options.build, BUILDS, 'build', P);
  if (options.passes !== undefined) {
    if (!Array.isArray(options.passes)) throw new Error(`${P}passes must be an array of pass names (${ALL_PASSES.join(', ')}), got ${describeValue(options.passes)}`);
    for (const pass of options.passes as unknown[]) {
      if (typeof pass !== 'string' || !(ALL_PASSES as readonly string[]).includes(pass)) {
        throw new Error(`${P}unknown pass ${describeValue(pass)}; ${suggestion(String(pass), ALL_PASSES, 'passes')}`);
      }
    }
  }
  for (const key of ['winograd', 'debug', 'checkFinite'] as const) checkBoolean(options[key], key, P);
  checkInteger(options.maxMemoryBytes, 'maxMemoryBytes', PAGE_BYTES, Number.MAX_SAFE_INTEGER, `an integer number of bytes ≥ ${PAGE_BYTES} (one wasm page)`, P);
  if (options.warn !== undefined && typeof options.warn !== 'function') throw new Error(`${P}warn must be a function (message: string) => void, got ${describeValue(options.warn)}`);
  const wasm = options.wasm;
  if (
    wasm !== undefined && typeof wasm !== 'string' && !(wasm instanceof WebAssembly.Module) && !(wasm instanceof ArrayBuffer) &&
    !(wasm instanceof Uint8Array) && !(typeof URL !== 'undefined' && wasm instanceof URL)
  ) {
    throw new Error(`${P}wasm must be a WebAssembly.Module, an ArrayBuffer, a Uint8Array, a URL or a URL string, got ${describeValue(wasm)}`);
  }
}

/** Compute threads for a checked `threads` option: 0 = one per core, never more than MAX_THREADS. */
export function threadCount(requested: number | undefined, cores: number): number {
  const threads = requested ?? 0;
  return threads === 0 ? Math.max(1, Math.min(cores, MAX_THREADS)) : threads;
}
