/**
 * The seeded QDQ case and its onnxruntime and engine sides, shared by the QDQ export tests
 * (export-qdq.test.ts, export-qdq-residual.test.ts) and bench/qdq-drift.ts. No vitest import:
 * the bench runs this under tsx.
 *
 *  - `seededCase`: seeded weights, calibration on seeded inputs 11, 12, 13, held-out inputs
 *    101, 102, … (NCHW);
 *  - `outputStep`: one output quantisation step, the main output's calibrated range / 255;
 *  - `runOrtOptimised`: a model in onnxruntime-node (CPU, one thread, its default
 *    optimisations), every graph output per input, and its node types after optimisation;
 *  - `compileInt8Case` + `runInt8Walk`: the int8 program a session of the case compiles (same
 *    calibration, passes and kernels: ranges from the baseline build's f32 program, one thread),
 *    run step by step, keeping each u8 value's bytes as they were right after the op that wrote
 *    them — buffers are reused and residual convs write in place over their residual, so the
 *    arena after the run no longer holds them;
 *  - `u8TensorNames` / `withU8Outputs`: the exported model's uint8 tensor of each such value,
 *    added as extra graph outputs so onnxruntime returns them; `nchwToNhwc` puts onnxruntime's
 *    codes in our order.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Arena } from '../../src/bindings/arena.js';
import { runProgramInline } from '../../src/bindings/executor.js';
import { asKernels, viewElementBytes, type Kernels, type View } from '../../src/bindings/program.js';
import { compileKernelModule, instantiateKernels } from '../../src/bindings/wasm-module.js';
import type { Graph } from '../../src/graph/graph.js';
import { calibrationRanges } from '../../src/graph/int8/calibrate.js';
import { compileInt8Graph, type CompiledInt8Graph } from '../../src/graph/int8/compile-int8.js';
import { paramsForRange } from '../../src/graph/int8/quant-params.js';
import type { ValueId } from '../../src/graph/nodes.js';
import { opOutputs, type Op } from '../../src/graph/ops.js';
import { ALL_PASSES } from '../../src/graph/passes.js';
import { stageInput } from '../../src/graph/program-io.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { qdqOnnxModel } from '../../src/onnx/export-qdq.js';
import { DataType, decodeModel, type OnnxModel, type OnnxNode } from '../../src/onnx/onnx-proto.js';

export interface Case {
  graph: Graph;
  weights: Map<string, Float32Array>;
  calibration: Float32Array[];
  heldOut: Float32Array[];
}

/** The case of `graph`: `heldOut` held-out inputs at seeds 101, 102, …. */
export function seededCase(graph: Graph, weights = seededWeights(graph.weights), heldOut = 2): Case {
  const [n, h, w, c] = graph.shape(graph.inputs[0]);
  return {
    graph, weights,
    calibration: [11, 12, 13].map((seed) => seededInputNCHW(n, c, h, w, seed)),
    heldOut: Array.from({ length: heldOut }, (_, i) => seededInputNCHW(n, c, h, w, 101 + i)),
  };
}

/** The calibration ranges a session computes for `c` (baseline build's f32 kernels, all passes). */
export async function caseRanges(c: Case): Promise<ReturnType<typeof calibrationRanges>> {
  const module = await compileKernelModule({ build: 'baseline', shared: false });
  return calibrationRanges(c.graph, c.weights, c.calibration, 'nchw', { module, shared: false, passes: ALL_PASSES });
}

/** One output quantisation step: the graph's main output's calibrated range (0 included) / 255. */
export async function outputStep(c: Case): Promise<number> {
  return paramsForRange((await caseRanges(c)).get(c.graph.output)!).scale;
}

/** The NCHW input shape of the case's graph. */
export function nchwShape(g: Graph): number[] {
  const [n, h, w, c] = g.shape(g.inputs[0]);
  return [n, c, h, w];
}

export function countTypes(nodes: readonly OnnxNode[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of nodes) m.set(n.opType, (m.get(n.opType) ?? 0) + 1);
  return new Map([...m].sort((a, b) => b[1] - a[1]));
}

export const typesText = (m: Map<string, number>) => [...m].map(([t, n]) => `${t} ${n}`).join(', ');

/**
 * Runs `bytes` in onnxruntime-node (CPU, 1 thread, its default optimisations) on each NCHW input;
 * returns the `logits` of each, every graph output of each, and the node types of the model as
 * onnxruntime optimised it.
 */
export async function runOrtOptimised(bytes: Uint8Array, inputs: Float32Array[], shape: number[]): Promise<{
  logits: Float32Array[]; outputs: Array<Record<string, ort.Tensor>>; types: Map<string, number>;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'qdq-'));
  try {
    const path = join(dir, 'optimised.onnx');
    const s = await ort.InferenceSession.create(bytes, {
      executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, optimizedModelFilePath: path,
    });
    const outputs: Array<Record<string, ort.Tensor>> = [];
    try {
      for (const x of inputs) outputs.push(await s.run({ input: new ort.Tensor('float32', x, shape) }) as Record<string, ort.Tensor>);
    } finally {
      await s.release();
    }
    return { logits: outputs.map((o) => o.logits.data as Float32Array), outputs, types: countTypes(decodeModel(readFileSync(path)).graph!.node) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An int8 program of a case in its own arena, compiled as a one-thread session compiles it. */
export interface Int8Case {
  k: Kernels;
  arena: Arena;
  compiled: CompiledInt8Graph;
  graph: Graph;
  /** The QDQ model `session.exportOnnx()` writes for this program. */
  model: OnnxModel;
}

export async function compileInt8Case(c: Case): Promise<Int8Case> {
  const ranges = await caseRanges(c);
  const arena = new Arena({ shared: false });
  const k = asKernels(instantiateKernels(await compileKernelModule({ build: 'baseline', shared: false }), arena.memory));
  const compiled = compileInt8Graph(c.graph, c.weights, k, arena, { passes: ALL_PASSES, threads: 1, gemmMr: k.f32_gemm_mr(), ranges });
  return { k, arena, compiled, graph: c.graph, model: qdqOnnxModel({ graph: c.graph, compiled, arena }) };
}

/** The elements of view `v`, dense `[batch][H][W][C]`, as raw bytes (4 per f32 element). */
export function denseBytes(arena: Arena, v: View): Uint8Array {
  const rowBytes = v.channels * viewElementBytes(v);
  const out = new Uint8Array(v.batch * v.height * v.width * rowBytes);
  const mem = arena.u8(0, arena.memory.buffer.byteLength);
  let at = 0;
  for (let n = 0; n < v.batch; n++) {
    for (let p = 0; p < v.height * v.width; p++) {
      const from = v.offset + n * v.imageStrideBytes + p * v.pixelStrideBytes;
      out.set(mem.subarray(from, from + rowBytes), at);
      at += rowBytes;
    }
  }
  return out;
}

/** The u8 values an int8 program writes, in program order: op outputs, then each slice-alias concat once complete. */
export interface U8Value {
  v: ValueId;
  name: string;
  /** The op that writes it (index in `compiled.ops`); for a concat alias, the op writing its last slice. */
  op: number;
  kind: 'conv' | 'residual' | 'pool' | 'quantize' | 'concat' | 'other';
}

export function u8Values(p: Int8Case): U8Value[] {
  const { compiled, graph } = p;
  const isU8 = (v: ValueId) => compiled.view(v).elementBytes === 1;
  const written = new Set(compiled.ops.flatMap(opOutputs));
  const concats = graph.nodes.filter((n) => n.kind === 'concat' && !written.has(n.id) && isU8(n.id));
  const done = new Set<ValueId>();
  const out: U8Value[] = [];
  const kindOf = (op: Op, v: ValueId): U8Value['kind'] => {
    if (op.kind === 'conv') return op.parts.find((x) => x.output === v)!.residual ? 'residual' : 'conv';
    if (op.kind === 'maxPool' || op.kind === 'avgPool' || op.kind === 'globalAvgPool') return 'pool';
    return op.kind === 'quantize' ? 'quantize' : 'other';
  };
  compiled.ops.forEach((op, i) => {
    if (op.kind === 'flatten') return; // an alias of its input: the same bytes
    for (const v of opOutputs(op)) {
      if (!isU8(v)) continue;
      out.push({ v, name: compiled.int8.values.node(v).name, op: i, kind: kindOf(op, v) });
      done.add(v);
    }
    for (let again = true; again;) {
      again = false;
      for (const n of concats) {
        if (done.has(n.id) || !n.inputs.every((x) => done.has(x))) continue;
        out.push({ v: n.id, name: n.name, op: i, kind: 'concat' });
        done.add(n.id);
        again = true;
      }
    }
  });
  return out;
}

/** What a walk of the program kept for one input. */
export interface Int8Walk {
  /** Dense NHWC bytes of each u8 value right after the op that completes it. */
  bytes: Map<ValueId, Uint8Array>;
  /** For each residual conv op (index in `compiled.ops`): its input's and each part's residual's bytes just before its first step. */
  residualInputs: Map<number, { input: Uint8Array; residuals: Map<ValueId, Uint8Array> }>;
  /** The main output (f32), as run() returns it. */
  logits: Float32Array;
}

/** Runs the program on NCHW `input` one step at a time, keeping the bytes `Int8Walk` lists. */
export function runInt8Walk(p: Int8Case, input: Float32Array, values: readonly U8Value[] = u8Values(p)): Int8Walk {
  const { k, arena, compiled } = p;
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  compiled.stepOps.forEach((op, s) => {
    if (!first.has(op)) first.set(op, s);
    last.set(op, s);
  });
  const byOp = new Map<number, U8Value[]>();
  for (const x of values) byOp.set(x.op, [...(byOp.get(x.op) ?? []), x]);
  const walk: Int8Walk = { bytes: new Map(), residualInputs: new Map(), logits: new Float32Array(0) };
  stageInput(k, arena, compiled, input, 'nchw');
  runProgramInline(k, compiled.program, {
    beforeStep: (s) => {
      const i = compiled.stepOps[s];
      const op = compiled.ops[i];
      if (first.get(i) !== s || op.kind !== 'conv' || !op.parts.some((x) => x.residual)) return;
      const residuals = new Map(op.parts.filter((x) => x.residual).map((x) => [x.residual!.value, denseBytes(arena, compiled.view(x.residual!.value))]));
      walk.residualInputs.set(i, { input: denseBytes(arena, compiled.view(op.input)), residuals });
    },
    afterStep: (s) => {
      const i = compiled.stepOps[s];
      if (last.get(i) !== s) return;
      for (const x of byOp.get(i) ?? []) walk.bytes.set(x.v, denseBytes(arena, compiled.view(x.v)));
    },
  });
  const out = denseBytes(arena, compiled.output);
  walk.logits = new Float32Array(out.buffer, out.byteOffset, out.byteLength / 4).slice();
  return walk;
}

/**
 * The tensor of each value in the exported model: named after the value (the writer names each
 * engine value's tensor after it, first come), checked to be the output of exactly one node.
 */
export function u8TensorNames(model: OnnxModel, values: readonly U8Value[]): Map<ValueId, string> {
  const producers = new Map<string, OnnxNode[]>();
  for (const n of model.graph!.node) for (const o of n.output) producers.set(o, [...(producers.get(o) ?? []), n]);
  return new Map(values.map((x) => {
    const p = producers.get(x.name) ?? [];
    if (p.length !== 1) throw new Error(`value '${x.name}': ${p.length} nodes of the exported model write a tensor of that name`);
    if (!U8_WRITERS.has(p[0].opType)) throw new Error(`value '${x.name}': its tensor is written by ${p[0].opType}, which writes no uint8 tensor in the export`);
    return [x.v, x.name];
  }));
}

/** The node types that write a uint8 tensor in the export (Cast: the integer average pools). */
const U8_WRITERS = new Set(['QuantizeLinear', 'MaxPool', 'Concat', 'Cast']);

/** `model` with the uint8 tensors `names` added as graph outputs (shape left open). */
export function withU8Outputs(model: OnnxModel, names: Iterable<string>): OnnxModel {
  const have = new Set(model.graph!.output.map((o) => o.name));
  const extra = [...names].filter((n) => !have.has(n)).map((name) => ({ name, elemType: DataType.UINT8 }));
  return { ...model, graph: { ...model.graph!, output: [...model.graph!.output, ...extra] } };
}

/**
 * NCHW bytes (as onnxruntime returns them) → dense NHWC for an NHWC `shape` (`[N, F]` unchanged);
 * test/reference/layout.ts converts 32-bit arrays only, one image.
 */
export function nchwToNhwc(bytes: Uint8Array, shape: readonly number[]): Uint8Array {
  if (shape.length !== 4) return bytes;
  const [n, h, w, c] = shape;
  const out = new Uint8Array(bytes.length);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) out[((b * h + y) * w + x) * c + ch] = bytes[((b * c + ch) * h + y) * w + x];
      }
    }
  }
  return out;
}
