/**
 * The session: one network, compiled once, run many times.
 *
 * Lifecycle: `createSession` builds the graph (or takes one), probes the runtime, picks the kernel
 * build (relaxed SIMD where it compiles, else baseline), creates the memory and instantiates the
 * kernels over it, packs the weights, plans the activations, and starts the worker pool.
 * `run()` copies the input in, runs the program, copies the logits out; it allocates nothing in
 * wasm memory. `dispose()` stops the workers; a disposed session rejects further calls.
 */

import { Arena } from './bindings/arena.js';
import { features, type Features } from './bindings/features.js';
import { asKernels, type Kernels } from './bindings/program.js';
import { compileKernelModule, instantiateKernels, type KernelBuild, type WasmSource } from './bindings/wasm-module.js';
import { compileGraph, type CompiledGraph, type WeightMap } from './graph/compile.js';
import { graphCost } from './graph/cost.js';
import { profileProgram, runProgramChecked, runProgramInline, type StepProfile } from './graph/executor.js';
import type { Graph } from './graph/graph.js';
import { ALL_PASSES, type PassName } from './graph/passes.js';
import { buildNetwork, variantInfo } from './inception/models.js';
import { seededWeights } from './inception/seeded-weights.js';
import { WorkerPool, poolControlBytes } from './bindings/pool.js';
import { importTfjs, type TfjsSource } from './tfjs/import.js';
import { importOnnx } from './onnx/import.js';

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
   * `'seeded'` (default): the deterministic fill of ../shared/fixtures/torch/README.md in the
   * network's state-dict order; or named Float32Arrays in framework layout (state-dict names).
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
   * Stride-1 3×3 convs by Winograd F(2×2, 3×3) (default true): 2.25× fewer multiplies; outputs
   * differ from the direct convolution by rounding only (relative RMS ~1e-7 per layer).
   */
  winograd?: boolean;
  /** The kernel module (precompiled, bytes, or URL) — for runtimes that forbid compiling or fetch elsewhere. */
  wasm?: WasmSource;
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

export interface SessionInfo {
  model?: string;
  variant?: string;
  params: number;
  macs: number;
  /** Activation arena peak (bytes) and the sum of all activations without reuse. */
  peakArenaBytes: number;
  activationBytesWithoutReuse: number;
  weightBytes: number;
  inputShape: number[];
  outputShape: number[];
  threads: number;
  build: KernelBuild;
  features: Features;
}

export interface RunOptions {
  /** Layout of `input` (default 'nchw', as in ONNX/PyTorch). */
  layout?: Layout;
  /** Reject an input holding NaN or ±Infinity (default: the session's `checkFinite`). */
  checkFinite?: boolean;
}

export interface RunResult {
  /** `[batch, classes]`, row-major. */
  logits: Float32Array;
  shape: [number, number];
}

/** A model input or output as the model file declares it (ONNX order: NCHW, or [N, F]). */
export interface TensorInfo {
  name: string;
  shape: readonly number[];
}

export interface Session {
  readonly info: SessionInfo;
  /** The inputs `run` takes: name and NCHW shape (for `layout: 'nhwc'`, permute). */
  readonly inputs: readonly TensorInfo[];
  /** The outputs: name and shape `[batch, classes]`. */
  readonly outputs: readonly TensorInfo[];
  readonly graph: Graph;
  /** Current size of the session's wasm memory in bytes (constant after creation: runs allocate nothing). */
  readonly memoryBytes: number;
  run(input: Float32Array, options?: RunOptions): Promise<RunResult>;
  /** Per-step timings (one thread, best of `repeats`) on the last input. */
  profile(repeats?: number): StepProfile[];
  dispose(): Promise<void>;
}

function toWeightMap(g: Graph, weights: SessionOptions['weights']): WeightMap {
  if (weights === undefined || weights === 'seeded') return seededWeights(g.weights);
  const map: ReadonlyMap<string, Float32Array> = weights instanceof Map ? weights : new Map(Object.entries(weights));
  const declared = new Set(g.weights.map((w) => w.name));
  const extra = [...map.keys()].filter((n) => !declared.has(n));
  if (extra.length > 0) {
    throw new Error(
      `inception-wasm: ${extra.length} weight(s) not in the network: ${extra.slice(0, 5).map((n) => `'${n}'`).join(', ')}` +
        (extra.length > 5 ? ', …' : '') + ' — check the model/variant, or strip a prefix such as "module."',
    );
  }
  for (const w of g.weights) {
    const t = map.get(w.name);
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (!t) throw new Error(`inception-wasm: weight '${w.name}' [${w.shape.join(', ')}] is missing`);
    if (!(t instanceof Float32Array)) throw new Error(`inception-wasm: weight '${w.name}' must be a Float32Array`);
    if (t.length !== count) {
      throw new Error(`inception-wasm: weight '${w.name}' has ${t.length} values, expected [${w.shape.join(', ')}] = ${count}`);
    }
  }
  return map;
}

function chooseBuild(f: Features, requested: SessionOptions['build']): KernelBuild {
  if (!f.simd) throw new Error('inception-wasm: this runtime has no WebAssembly SIMD (needed: Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4)');
  if (requested === 'relaxed' && !f.relaxedSimd) throw new Error('inception-wasm: build "relaxed" requested, but relaxed SIMD is unavailable here');
  if (requested === 'baseline' || requested === 'relaxed') return requested;
  return f.relaxedSimd ? 'relaxed' : 'baseline';
}

/** The graph and weights a session runs: an imported model, a given graph, or a registry network. */
async function resolveModel(options: SessionOptions): Promise<{ graph: Graph; weights: WeightMap; inputs?: TensorInfo[]; outputs?: TensorInfo[] }> {
  const sources = (['model', 'graph', 'tfjs', 'onnx'] as const).filter((k) => options[k] !== undefined);
  if (sources.length !== 1) {
    throw new Error(
      `inception-wasm: createSession needs exactly one of \`model\` (see \`inception-wasm list\`), \`graph\`, \`tfjs\`, \`onnx\`` +
        (sources.length > 1 ? `; got ${sources.join(' and ')}` : ''),
    );
  }
  if (options.tfjs !== undefined) {
    if (options.weights !== undefined) throw new Error('inception-wasm: `weights` cannot be combined with `tfjs` (the model carries its weights)');
    const imported = await importTfjs(options.tfjs, { batch: options.batch, inputSize: options.inputSize as number | [number, number] | undefined });
    return { graph: imported.graph, weights: imported.weights, inputs: imported.inputs, outputs: imported.outputs };
  }
  if (options.onnx !== undefined) {
    if (options.weights !== undefined) throw new Error('inception-wasm: `weights` cannot be combined with `onnx` (the model carries its weights)');
    const imported = await importOnnx(options.onnx, { batch: options.batch, inputSize: options.inputSize });
    return { graph: imported.graph, weights: imported.weights, inputs: imported.inputs, outputs: imported.outputs };
  }
  const graph = options.graph ?? buildNetwork(options.model!, {
    variant: options.variant, inputSize: options.inputSize, batch: options.batch,
  });
  return { graph, weights: toWeightMap(graph, options.weights) };
}

export async function createSession(options: SessionOptions): Promise<Session> {
  const { graph: g, weights, inputs: modelInputs, outputs: modelOutputs } = await resolveModel(options);
  const warn = options.warn ?? ((m: string) => console.warn(m));
  let f = await features({ relaxedSimd: options.build !== 'baseline' });
  if (!f.simd && options.wasm instanceof WebAssembly.Module) {
    // The probes compile bytes, which some runtimes forbid (Cloudflare Workers: only modules the
    // platform compiled); a kernel module that compiled here proves SIMD128, so trust it.
    f = { ...f, simd: true };
  }
  const build = chooseBuild(f, options.build);

  let threads = options.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`inception-wasm: threads must be an integer ≥ 0, got ${threads}`);
  if (threads === 0) threads = f.cores;
  if (threads > 1 && !f.threads) {
    warn(`inception-wasm: running single-threaded: ${f.threadsUnavailableReason}`);
    threads = 1;
  }
  const shared = threads > 1;
  const module = await compileKernelModule({ build, shared }, options.wasm);
  const arena = new Arena({ shared, maxBytes: options.maxMemoryBytes, initialBytes: 16 << 20 });
  const k: Kernels = asKernels(instantiateKernels(module, arena.memory));
  const gemmMr = k.f32_gemm_mr();
  const compiled: CompiledGraph = compileGraph(g, weights, k, arena, {
    passes: options.passes ?? ALL_PASSES, threads, gemmMr, winograd: options.winograd ?? true,
  });
  let pool: WorkerPool | undefined;
  if (threads > 1) {
    const maxSteps = compiled.program.steps.length;
    const controlOffset = arena.alloc(poolControlBytes(maxSteps));
    pool = await WorkerPool.create({ module, memory: arena.memory, threads, controlOffset, maxSteps, warn });
    await pool.load(compiled.program);
  }

  const cost = graphCost(g);
  const { input, output } = compiled;
  const info: SessionInfo = {
    model: options.model,
    variant: options.model ? variantInfo(options.model, options.variant).variant : undefined,
    params: cost.params,
    macs: cost.macs,
    peakArenaBytes: compiled.plan.peakBytes,
    activationBytesWithoutReuse: compiled.plan.totalBytes,
    weightBytes: compiled.weightBytes,
    inputShape: [input.batch, input.channels, input.height, input.width],
    outputShape: [output.batch, output.height * output.width * output.channels],
    threads,
    build,
    features: f,
  };
  const imageFloats = input.channels * input.height * input.width;
  const classes = output.height * output.width * output.channels;
  let disposed = false;
  let queue: Promise<unknown> = Promise.resolve();

  const runOnce = async (data: Float32Array, layout: Layout): Promise<RunResult> => {
    if (disposed) throw new Error('inception-wasm: the session was disposed');
    const batch = data.length / imageFloats;
    if (layout === 'nchw') {
      arena.f32(compiled.inputNchwOffset, data.length).set(data);
      for (let n = 0; n < batch; n++) {
        k.f32_nchw_to_nhwc(
          compiled.inputNchwOffset + n * imageFloats * 4, input.channels, input.height, input.width,
          input.offset + n * input.imageStrideBytes, input.pixelStrideBytes,
        );
      }
    } else {
      arena.f32(input.offset, data.length).set(data);
    }
    if (options.debug) runProgramChecked(k, compiled.program, arena);
    else if (pool) await pool.run();
    else runProgramInline(k, compiled.program);
    const logits = new Float32Array(batch * classes);
    for (let n = 0; n < batch; n++) {
      logits.set(arena.f32(output.offset + n * output.imageStrideBytes, classes), n * classes);
    }
    return { logits, shape: [batch, classes] };
  };

  return {
    info,
    graph: g,
    inputs: [{ name: modelInputs?.[0]?.name ?? g.node(g.inputs[0]).name, shape: info.inputShape }],
    outputs: [{ name: modelOutputs?.[0]?.name ?? 'logits', shape: info.outputShape }],
    get memoryBytes() {
      return arena.memory.buffer.byteLength;
    },
    run(data, runOptions = {}) {
      const layout = runOptions.layout ?? 'nchw';
      const checkFinite = runOptions.checkFinite ?? options.checkFinite ?? false;
      const result = queue.then(() => {
        validateInput(data, layout, info.inputShape, checkFinite);
        return runOnce(data, layout);
      });
      queue = result.catch(() => undefined);
      return result;
    },
    profile(repeats = 1) {
      if (disposed) throw new Error('inception-wasm: the session was disposed');
      return profileProgram(k, compiled.program, repeats);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await pool?.dispose();
    },
  };
}

/** Checks an input against the planned `[batch, C, H, W]` before any kernel runs. */
function validateInput(data: Float32Array, layout: Layout, planned: number[], checkFinite: boolean): void {
  const [batch, c, h, w] = planned;
  const image = c * h * w;
  const shape = layout === 'nchw' ? `[${batch},${c},${h},${w}]` : `[${batch},${h},${w},${c}]`;
  if (!(data instanceof Float32Array)) {
    throw new TypeError(`inception-wasm: input must be a Float32Array (${layout.toUpperCase()} ${shape}), got ${Object.prototype.toString.call(data)}`);
  }
  if (layout !== 'nchw' && layout !== 'nhwc') throw new Error(`inception-wasm: layout must be 'nchw' or 'nhwc', got '${layout}'`);
  if (data.length === 0 || data.length % image !== 0 || data.length / image > batch) {
    throw new Error(
      `inception-wasm: input 'input': expected ${shape} (${batch * image} floats; or a multiple of ${image} up to batch ${batch}), got ${data.length} floats`,
    );
  }
  if (checkFinite) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new Error(`inception-wasm: input 'input' holds a non-finite value (${data[i]}) at index ${i}; inputs must be finite (checkFinite is on)`);
      }
    }
  }
}
