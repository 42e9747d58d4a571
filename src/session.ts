/**
 * The session: one network, compiled once, run many times.
 *
 * Lifecycle: `createSession` builds the graph (or takes one), probes the runtime, picks the kernel
 * build (relaxed SIMD where it compiles, else baseline), creates the memory and instantiates the
 * kernels over it, packs the weights, plans the activations, and starts the worker pool.
 * `run()` copies the input in, runs the program, copies the logits out; it allocates nothing in
 * wasm memory. `dispose()` stops the workers; a disposed session rejects further calls.
 */

import { Arena, PAGE_BYTES } from './bindings/arena.js';
import { profileProgram, runProgramChecked, runProgramInline, type StepProfile } from './bindings/executor.js';
import { features, type Features } from './bindings/features.js';
import { asKernels, type Kernels } from './bindings/program.js';
import { compileKernelModule, instantiateKernels, type KernelBuild } from './bindings/wasm-module.js';
import { compileGraph, type CompiledGraph, type WeightMap } from './graph/compile.js';
import { graphCost } from './graph/cost.js';
import type { Graph } from './graph/graph.js';
import { ALL_PASSES } from './graph/passes.js';
import { outputImage, stageInput } from './graph/program-io.js';
import { DEFAULT_TUNING } from './graph/tuning.js';
import { buildNetwork, variantInfo } from './inception/models.js';
import { seededInputNCHW, seededWeights } from './inception/seeded-weights.js';
import { checkBoolean, checkInteger, checkOptionKeys, describeValue } from './util/options.js';
import { InputCopies, validateInput } from './session-input.js';
import { checkSessionOptions, MISSING_CALIBRATION, P, threadCount, type Layout, type Precision, type SessionOptions } from './session-options.js';
import type { ValueRange } from './graph/int8/quant-params.js';
import type { ValueId } from './graph/nodes.js';
import { calibrationRanges } from './graph/int8/calibrate.js';
import { compileInt8Graph, type CompiledInt8Graph } from './graph/int8/compile-int8.js';
import { exportQdqOnnx } from './onnx/export-qdq.js';
import { WorkerPool, poolControlBytes } from './bindings/pool.js';
import { inlineTraceHooks, profileThreads, traceBytes } from './bindings/trace.js';
import { importTfjs, TfjsImportError } from './tfjs/import.js';
import { importOnnx, OnnxImportError } from './onnx/import.js';

export type { CalibrationOptions, Layout, Precision, SessionOptions } from './session-options.js';

export interface SessionInfo {
  model?: string;
  variant?: string;
  params: number;
  macs: number;
  /** Activation arena peak (bytes) and the sum of all activations without reuse. */
  peakArenaBytes: number;
  activationBytesWithoutReuse: number;
  /** Bytes of packed weights the session holds (int8: the i8 panels, plus any layer kept in f32). */
  weightBytes: number;
  /** 'f32', or 'int8' (createSession's `precision`). */
  precision: Precision;
  inputShape: number[];
  outputShape: number[];
  threads: number;
  build: KernelBuild;
  features: Features;
}

export interface RunOptions {
  /**
   * Layout of `input`. Default: the model's declared input layout when it is NHWC
   * (`session.inputs[0].layout`, e.g. a tf2onnx export), else 'nchw' as in ONNX/PyTorch.
   * An `[N, F]` feature input is the same in either.
   */
  layout?: Layout;
  /** Reject an input holding NaN or ±Infinity (default: the session's `checkFinite`). */
  checkFinite?: boolean;
}

/** Every key of RunOptions: anything else in a `run()` options object is a typo and rejected. */
const RUN_OPTION_KEYS: Record<keyof RunOptions, true> = { layout: true, checkFinite: true };

export interface ProfileOptions {
  /** Runs per step; the fastest is kept (default 1). */
  repeats?: number;
  /**
   * The input to profile on, checked like `run()`'s and copied when `profile()` is called
   * (default: `seededInputNCHW` at the planned `[batch, C, H, W]`, the fixtures' deterministic input).
   */
  input?: Float32Array;
  /** Layout of `input` (default as for `run`); only with `input`. */
  layout?: Layout;
  /**
   * Time whole runs on the session's threads instead of each step alone on the calling thread:
   * a step's `ms` then spans from the first thread's start of it to the last thread's end of its
   * tasks (steps the compiler lets overlap share time), and `threads` gives each thread's start,
   * end of tasks, barrier exit (ms from the run's start) and tasks run — where threads wait. The
   * fastest of `repeats` runs is reported (default false).
   */
  threads?: boolean;
}

const PROFILE_OPTION_KEYS: Record<keyof ProfileOptions, true> = { repeats: true, input: true, layout: true, threads: true };

export interface RunResult {
  /** The main output's values, row-major in the order of `shape`. */
  logits: Float32Array;
  /**
   * The main output's shape, the run's batch first: `[batch, classes]` for a classifier. A 4-D
   * output of a model file is returned as the file declares it: ONNX `[batch, C, H, W]` (values
   * NCHW), TF.js `[batch, H, W, C]` (values NHWC); a `graph`'s is `[batch, H·W·C]` (values NHWC).
   */
  shape: number[];
}

/** Order of a tensor's values: a feature map NCHW (ONNX) or NHWC (Keras), or `[N, F]` features. */
export type TensorLayout = 'nchw' | 'nhwc' | 'features';

/** A model input or output as the model file declares it (ONNX order: NCHW, or [N, F]; TF.js: NHWC). */
export interface TensorInfo {
  name: string;
  shape: readonly number[];
  /** Order of the values (models loaded from a file); `run` returns an output in this order. */
  layout?: TensorLayout;
}

export interface Session {
  readonly info: SessionInfo;
  /**
   * The inputs `run` takes: name and shape — as a model file declares it when it gives a layout
   * (ONNX NCHW, NHWC before an absorbed Transpose, or `[N, F]` features), else NCHW (for
   * `layout: 'nhwc'`, permute).
   */
  readonly inputs: readonly TensorInfo[];
  /** The main output: name, shape (as `RunResult.shape`, for the planned batch) and layout. */
  readonly outputs: readonly TensorInfo[];
  readonly graph: Graph;
  /** Current size of the session's wasm memory in bytes (constant after creation: runs allocate nothing). */
  readonly memoryBytes: number;
  /**
   * Runs one batch. `input` is checked and copied before `run` returns (a later write to the
   * buffer does not change this run); a bad input or option rejects at once, without waiting
   * for queued runs. Concurrent calls queue and resolve in order.
   */
  run(input: Float32Array, options?: RunOptions): Promise<RunResult>;
  /**
   * Per-step timings: each step on the calling thread, best of `repeats`, on its own copy of
   * the input staged before every repeat; with `threads: true`, whole runs on the session's
   * threads with each thread's timeline (ProfileOptions). Queues with `run()` (never runs beside one).
   */
  profile(options?: ProfileOptions): Promise<StepProfile[]>;
  /**
   * An int8 session as a QDQ ONNX file (QuantizeLinear/DequantizeLinear around each quantized
   * conv/FC with its per-channel int8 weights, as onnxruntime's quantize_static writes): the
   * model this session runs, for onnxruntime or another engine. An f32 session throws — export
   * its graph with `exportOnnx(graph, weights)` from the weights you loaded.
   */
  exportOnnx(): Uint8Array;
  dispose(): Promise<void>;
}

function toWeightMap(g: Graph, weights: NonNullable<SessionOptions['weights']>): WeightMap {
  if (weights === 'seeded') return seededWeights(g.weights);
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


/**
 * An import that fails on the model's content names the first problem only; `inspect` lists every
 * unsupported op at once, so the error points at it.
 */
async function withInspectHint<T>(source: unknown, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (e instanceof OnnxImportError || e instanceof TfjsImportError) {
      e.message += ` — run \`npx inception-wasm inspect ${typeof source === 'string' ? source : '<file>'}\` for the whole list`;
    }
    throw e;
  }
}

/** The graph and weights a session runs: an imported model, a given graph, or a registry network. */
interface ResolvedModel {
  graph: Graph;
  weights: WeightMap;
  inputs?: TensorInfo[];
  outputs?: TensorInfo[];
  /** A quantized (QDQ) model file's activation ranges: the session runs int8 from them unless told otherwise. */
  ranges?: ReadonlyMap<ValueId, ValueRange>;
  /** Its per-channel weight scales, by weight name. */
  weightScales?: ReadonlyMap<string, Float32Array>;
}

async function resolveModel(options: SessionOptions): Promise<ResolvedModel> {
  const sources = (['model', 'graph', 'tfjs', 'onnx'] as const).filter((k) => options[k] !== undefined);
  if (sources.length !== 1) {
    throw new Error(
      `inception-wasm: createSession needs exactly one of \`model\` (see \`inception-wasm list\`), \`graph\`, \`tfjs\`, \`onnx\`` +
        (sources.length > 1 ? `; got ${sources.join(' and ')}` : ''),
    );
  }
  if (options.tfjs !== undefined) {
    if (options.weights !== undefined) throw new Error('inception-wasm: `weights` cannot be combined with `tfjs` (the model carries its weights)');
    const imported = await withInspectHint(options.tfjs, () => importTfjs(options.tfjs!, {
      batch: options.batch, inputSize: options.inputSize as number | [number, number] | undefined, maxWeightBytes: options.maxMemoryBytes,
    }));
    // Keras is channels-last: a 4-D output is declared, and returned, NHWC.
    const outputs = imported.outputs.map((o): TensorInfo => ({ ...o, layout: o.shape.length === 4 ? 'nhwc' : 'features' }));
    return { graph: imported.graph, weights: imported.weights, inputs: imported.inputs, outputs };
  }
  if (options.onnx !== undefined) {
    if (options.weights !== undefined) throw new Error('inception-wasm: `weights` cannot be combined with `onnx` (the model carries its weights)');
    const imported = await withInspectHint(options.onnx, () => importOnnx(options.onnx!, { batch: options.batch, inputSize: options.inputSize, maxWeightBytes: options.maxMemoryBytes }));
    return {
      graph: imported.graph, weights: imported.weights, inputs: imported.inputs, outputs: imported.outputs,
      ...(imported.quantization ? { ranges: imported.quantization.ranges, weightScales: imported.quantization.weightScales } : {}),
    };
  }
  // Never a silent default: untrained weights give confident, meaningless classes.
  if (options.weights === undefined) throw new Error(`${P}\`${sources[0]}\` needs \`weights\`: pass a state dict (a Map or object of named Float32Arrays, torchvision/timm names) or \`weights: 'seeded'\` for the deterministic untrained weights`);
  const graph = options.graph ?? buildNetwork(options.model!, {
    variant: options.variant, inputSize: options.inputSize, batch: options.batch,
  });
  return { graph, weights: toWeightMap(graph, options.weights) };
}

export async function createSession(options: SessionOptions): Promise<Session> {
  checkSessionOptions(options);
  const { graph: g, weights, inputs: modelInputs, outputs: modelOutputs, ranges: fileRanges, weightScales: fileWeightScales } = await resolveModel(options);
  // A QDQ file runs int8 by itself; `precision: 'f32'` runs its dequantized weights in f32.
  const precision: Precision = options.precision ?? (fileRanges ? 'int8' : 'f32');
  if (precision === 'int8' && !options.calibration && !fileRanges) throw new Error(MISSING_CALIBRATION);
  const warn = options.warn ?? ((m: string) => console.warn(m));
  let f = await features({ relaxedSimd: options.build !== 'baseline' });
  if (!f.simd && options.wasm instanceof WebAssembly.Module) {
    // The probes compile bytes, which some runtimes forbid (Cloudflare Workers: only modules the
    // platform compiled); a kernel module that compiled here proves SIMD128, so trust it.
    f = { ...f, simd: true };
  }
  const build = chooseBuild(f, options.build);

  let threads = threadCount(options.threads, f.cores);
  if (threads > 1 && !f.threads) {
    warn(`inception-wasm: running single-threaded (1 thread instead of ${threads}): ${f.threadsUnavailableReason}`);
    threads = 1;
  }
  const shared = threads > 1;
  const module = await compileKernelModule({ build, shared }, options.wasm);
  // The initial memory stays within the maximum, so an over-budget request reports what it needed
  // against what the maximum leaves (never a negative amount).
  const initialBytes = Math.min(DEFAULT_TUNING.initialArenaBytes, Math.floor((options.maxMemoryBytes ?? Infinity) / PAGE_BYTES) * PAGE_BYTES);
  const arena = new Arena({ shared, maxBytes: options.maxMemoryBytes, initialBytes });
  const k: Kernels = asKernels(instantiateKernels(module, arena.memory));
  const gemmMr = k.f32_gemm_mr();
  const passes = options.passes ?? ALL_PASSES;
  const compileOptions = { passes, threads, gemmMr, winograd: options.winograd ?? true };
  // The relaxed-dot kernels where the module has them and the probe above found the instruction right.
  const int8Options = { ...compileOptions, int8Dot: f.relaxedDotI8 === true };
  const declaredInput = modelInputs?.[0]?.layout !== undefined ? modelInputs[0] : undefined;
  const defaultLayout: Layout = declaredInput?.layout === 'nhwc' ? 'nhwc' : 'nchw';
  let compiled: CompiledGraph;
  if (precision === 'int8' && !options.calibration) {
    compiled = compileInt8Graph(g, weights, k, arena, { ...int8Options, ranges: fileRanges!, weightScales: fileWeightScales });
  } else if (precision === 'int8') {
    const planned = inputShapeOf(g);
    const layout = options.calibration!.layout ?? defaultLayout;
    options.calibration!.inputs.forEach((x, i) => {
      try {
        validateInput(x, layout, planned, false, declaredInput?.layout === 'features');
        const bad = x.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw new Error(`holds a non-finite value (${x[bad]}) at index ${bad}; calibration inputs must be finite`);
      } catch (e) {
        throw new Error(`${P}calibration.inputs[${i}]: ${(e as Error).message.replace(P, '')}`, { cause: e });
      }
    });
    const { method, percentile } = options.calibration!;
    // Ranges from the baseline build's f32 kernels (no fused multiply-add), so an int8 session's
    // bytes do not depend on the build it runs; a caller-provided module is the one there is.
    const calibrationModule = options.wasm !== undefined ? module : await compileKernelModule({ build: 'baseline', shared: false });
    const ranges = calibrationRanges(g, weights, options.calibration!.inputs, layout, {
      module: calibrationModule, shared: options.wasm !== undefined && shared, passes, maxMemoryBytes: options.maxMemoryBytes,
    }, method === 'percentile' ? { method, percentile: percentile ?? 99.99 } : { method: 'minmax' });
    compiled = compileInt8Graph(g, weights, k, arena, { ...int8Options, ranges });
  } else {
    compiled = compileGraph(g, weights, k, arena, compileOptions);
  }
  let pool: WorkerPool | undefined;
  if (threads > 1) {
    const maxSteps = compiled.program.steps.length;
    const controlOffset = arena.alloc(poolControlBytes(maxSteps));
    pool = await WorkerPool.create({ module, memory: arena.memory, threads, controlOffset, maxSteps });
    await pool.load(compiled.program);
  }

  const cost = graphCost(g);
  const { input, output } = compiled;
  // The main output as the model declares it (per-image shape), and whether the engine's NHWC
  // values must be transposed on the way out: only an NCHW map larger than 1×1 differs in order.
  const declaredOutput = modelOutputs?.[0];
  const outputPerImage = declaredOutput !== undefined ? declaredOutput.shape.slice(1) : [output.height * output.width * output.channels];
  const outputToNchw = declaredOutput?.layout === 'nchw' && output.height * output.width > 1;
  // The input as the model declares it (declaredInput above); `run` takes an NHWC-declared input NHWC by default.
  const info: SessionInfo = {
    model: options.model,
    variant: options.model ? variantInfo(options.model, options.variant).variant : undefined,
    params: cost.params,
    macs: cost.macs,
    peakArenaBytes: compiled.plan.peakBytes,
    activationBytesWithoutReuse: compiled.plan.totalBytes,
    weightBytes: compiled.weightBytes,
    precision,
    inputShape: [input.batch, input.channels, input.height, input.width],
    outputShape: [output.batch, ...outputPerImage],
    threads,
    build,
    features: f,
  };
  // The session's methods read these, never `options`: a closure over `options` would keep the
  // caller's f32 weight map and calibration inputs alive as long as the session.
  const debug = options.debug === true;
  const checkFiniteDefault = options.checkFinite ?? false;
  const imageFloats = input.channels * input.height * input.width;
  const classes = output.height * output.width * output.channels;
  let disposed = false;
  let queue: Promise<unknown> = Promise.resolve();
  let defaultProfileInput: Float32Array | undefined;

  /**
   * Runs `job` after every earlier run/profile has settled: the program's activations, the input
   * area and each thread's scratch belong to one computation at a time.
   */
  const enqueue = <T>(job: () => T | Promise<T>): Promise<T> => {
    const result = queue.then(job);
    queue = result.catch(() => undefined);
    return result;
  };

  /**
   * Checks a `run()`/`profile()` input and returns the caller's values copied (one `slice`), so a
   * later write to the caller's buffer cannot reach a queued computation.
   */
  const captureInput = (data: Float32Array, layoutOption: unknown, checkFinite: boolean): { data: Float32Array; layout: Layout } => {
    if (disposed) throw new Error(`${P}the session was disposed`);
    if (layoutOption !== undefined && layoutOption !== 'nchw' && layoutOption !== 'nhwc') {
      throw new Error(`${P}layout must be 'nchw' or 'nhwc', got ${describeValue(layoutOption)}`);
    }
    const layout: Layout = layoutOption ?? defaultLayout;
    validateInput(data, layout, info.inputShape, checkFinite, declaredInput?.layout === 'features');
    return { data: copies.copyOf(data), layout };
  };
  const copies = new InputCopies();

  const stage = (data: Float32Array, layout: Layout): void => stageInput(k, arena, compiled, data, layout);


  /** The trace area of `profile({ threads: true })`, allocated at its first call. */
  let traceOffset: number | undefined;
  const runOnce = async (data: Float32Array, layout: Layout): Promise<RunResult> => {
    if (disposed) throw new Error(`${P}the session was disposed`);
    const batch = data.length / imageFloats;
    stage(data, layout);
    copies.release(data); // staged: this run no longer reads its copy
    if (debug) runProgramChecked(k, compiled.program, arena);
    else if (pool) await pool.run();
    else runProgramInline(k, compiled.program);
    const logits = new Float32Array(batch * classes);
    for (let n = 0; n < batch; n++) {
      const image = outputImage(arena, compiled, n);
      if (outputToNchw) nhwcToNchwInto(image, logits, n * classes, output.height * output.width, output.channels);
      else logits.set(image, n * classes);
    }
    return { logits, shape: [batch, ...outputPerImage] };
  };

  return {
    info,
    graph: g,
    inputs: [declaredInput !== undefined
      ? { name: declaredInput.name, shape: [...declaredInput.shape], layout: declaredInput.layout }
      : { name: modelInputs?.[0]?.name ?? g.node(g.inputs[0]).name, shape: info.inputShape }],
    outputs: [{ name: declaredOutput?.name ?? 'logits', shape: info.outputShape, ...(declaredOutput?.layout !== undefined ? { layout: declaredOutput.layout } : {}) }],
    get memoryBytes() {
      return arena.memory.buffer.byteLength;
    },
    run(data, runOptions) {
      let captured: { data: Float32Array; layout: Layout };
      try {
        const o = checkOptionKeys(runOptions, Object.keys(RUN_OPTION_KEYS) as (keyof RunOptions)[], 'run()', P);
        const checkFinite = checkBoolean(o.checkFinite, 'checkFinite', P) ?? checkFiniteDefault;
        captured = captureInput(data, o.layout, checkFinite);
      } catch (e) {
        return Promise.reject(e);
      }
      return enqueue(() => runOnce(captured.data, captured.layout));
    },
    profile(profileOptions) {
      let captured: { data: Float32Array; layout: Layout };
      let repeats: number;
      let traced: boolean;
      try {
        const o = checkOptionKeys(profileOptions, Object.keys(PROFILE_OPTION_KEYS) as (keyof ProfileOptions)[], 'profile()', P);
        repeats = checkInteger(o.repeats, 'repeats', 1, Number.MAX_SAFE_INTEGER, 'an integer ≥ 1', P) ?? 1;
        traced = checkBoolean(o.threads, 'threads', P) ?? false;
        if (o.input === undefined && o.layout !== undefined) throw new Error(`${P}profile(): \`layout\` describes \`input\`; pass both, or neither for the default input`);
        if (o.input === undefined) {
          if (disposed) throw new Error(`${P}the session was disposed`);
          const [n, c, h, w] = info.inputShape;
          defaultProfileInput ??= seededInputNCHW(n, c, h, w);
          captured = { data: defaultProfileInput, layout: 'nchw' };
        } else {
          captured = captureInput(o.input, o.layout, checkFiniteDefault);
        }
      } catch (e) {
        return Promise.reject(e);
      }
      return enqueue(() => {
        if (disposed) throw new Error(`${P}the session was disposed`);
        // Staged before every repeat: the planner may reuse the input's memory for later steps.
        const restage = () => stage(captured.data, captured.layout);
        if (!traced) return profileProgram(k, compiled.program, repeats, restage);
        const { program } = compiled;
        traceOffset ??= arena.alloc(traceBytes(threads, program.steps.length));
        const runTraced = async (at: number) => {
          if (pool) await pool.run(at);
          else runProgramInline(k, program, inlineTraceHooks(program, arena.memory.buffer, at));
        };
        return profileThreads(program, threads, repeats, arena.memory, traceOffset, runTraced, restage);
      });
    },
    exportOnnx() {
      if (disposed) throw new Error(`${P}the session was disposed`);
      if (!('int8' in compiled)) {
        throw new Error(`${P}session.exportOnnx() writes an int8 session's QDQ model; for an f32 session use exportOnnx(graph, weights) with the weights you loaded`);
      }
      return exportQdqOnnx({ graph: g, compiled: compiled as CompiledInt8Graph, arena });
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await pool?.dispose();
    },
  };
}

/** The planned `[batch, C, H, W]` of a graph's (NHWC or `[N, F]`) input. */
function inputShapeOf(g: Graph): number[] {
  const s = g.shape(g.inputs[0]);
  return s.length === 4 ? [s[0], s[3], s[1], s[2]] : [s[0], s[1], 1, 1];
}

/** One image of the engine's output, NHWC `[pixels, channels]`, into `out` at `base` as NCHW `[channels, pixels]`. */
function nhwcToNchwInto(nhwc: Float32Array, out: Float32Array, base: number, pixels: number, channels: number): void {
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) out[base + c * pixels + p] = nhwc[p * channels + c];
  }
}
