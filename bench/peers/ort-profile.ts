/**
 * onnxruntime-node's own per-node times, for the per-layer comparison (bench/layers.ts).
 *
 * A session created with `enableProfiling` records one trace event per kernel run; `endProfiling()`
 * writes them to `<prefix>_<timestamp>.json` (Chrome trace format, an array of events). Events of
 * category "Node" named `<node>_kernel_time` carry the kernel's duration in µs (`dur`) and its op
 * type (`args.op_name`); events of category "Session" named `model_run` bracket each `run()`. The
 * node names are those of ORT's optimised graph: fusions and the NCHWc layout pass rename nodes
 * (`conv1.relu_nchwc` is conv1's Conv+BN+ReLU) and add nodes of their own (`ReorderOutput`). The
 * optimised graph itself is saved too (`optimizedModelFilePath`, weights kept in a side file so the
 * graph file stays small): it gives each node's input and output tensors, which is how a node with
 * a generated name is tied to its neighbours.
 *
 * Both files are read through src/io/model-files.ts with a size bound, like any model file.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { readModelFile } from '../../src/io/model-files.js';
import { decodeModel } from '../../src/onnx/onnx-proto.js';
import { ortNodeModule, ortNodeSessionOptions, runner, type OrtModule, type OrtSession } from './runtime-ort.js';

/** Largest trace read (a few hundred bytes per node and run: far above any network here). */
const MAX_TRACE_BYTES = 512 * 2 ** 20;
/** Largest optimised graph read (weights live in the side file, so it holds names and attributes only). */
const MAX_GRAPH_BYTES = 64 * 2 ** 20;
/** Largest number of trace events looked at. */
const MAX_EVENTS = 10_000_000;

/** One node of ORT's optimised graph. */
export interface OrtGraphNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
}

/** One node's kernel time in each profiled run, in execution order of the first run. */
export interface OrtNodeTimes {
  name: string;
  opType: string;
  /** ms per kept run (0 where the node did not run in that run). */
  msPerRun: number[];
}

export class OrtTraceError extends Error {
  override name = 'OrtTraceError';
}
const fail = (message: string) => new OrtTraceError(message);

interface TraceEvent {
  cat?: unknown;
  name?: unknown;
  ts?: unknown;
  dur?: unknown;
  args?: { op_name?: unknown };
}

const KERNEL_SUFFIX = '_kernel_time';

/**
 * Per-node times of the last `keepRuns` `model_run`s in `events` (earlier runs are warm-up). Throws
 * OrtTraceError when the trace has fewer runs or is not an event array.
 */
export function parseOrtTrace(events: unknown, keepRuns: number): OrtNodeTimes[] {
  if (!Array.isArray(events)) throw fail('onnxruntime profile trace: expected a JSON array of events');
  if (events.length > MAX_EVENTS) throw fail(`onnxruntime profile trace: ${events.length} events, more than the ${MAX_EVENTS} read`);
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const runs = (events as TraceEvent[])
    .filter((e) => e?.cat === 'Session' && e.name === 'model_run' && num(e.ts) !== undefined && num(e.dur) !== undefined)
    .map((e) => ({ start: e.ts as number, end: (e.ts as number) + (e.dur as number) }))
    .sort((a, b) => a.start - b.start);
  if (runs.length < keepRuns) throw fail(`onnxruntime profile trace: ${runs.length} model_run events, expected at least ${keepRuns}`);
  const kept = runs.slice(runs.length - keepRuns);
  const byName = new Map<string, OrtNodeTimes & { firstTs: number }>();
  for (const e of events as TraceEvent[]) {
    if (e?.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith(KERNEL_SUFFIX)) continue;
    const ts = num(e.ts), dur = num(e.dur);
    if (ts === undefined || dur === undefined) throw fail(`onnxruntime profile trace: event '${e.name}' has no numeric ts/dur`);
    const run = kept.findIndex((r) => ts >= r.start && ts <= r.end);
    if (run < 0) continue;
    const name = e.name.slice(0, -KERNEL_SUFFIX.length);
    let entry = byName.get(name);
    if (!entry) {
      entry = { name, opType: typeof e.args?.op_name === 'string' ? e.args.op_name : '?', msPerRun: new Array<number>(keepRuns).fill(0), firstTs: Infinity };
      byName.set(name, entry);
    }
    // A node that runs twice in one run (none does in these graphs) counts both times.
    entry.msPerRun[run]! += dur / 1000;
    if (run === 0) entry.firstTs = Math.min(entry.firstTs, ts);
  }
  return [...byName.values()].sort((a, b) => a.firstTs - b.firstTs).map(({ name, opType, msPerRun }) => ({ name, opType, msPerRun }));
}

/** A native session profiled per node: run it, then `finish()` for the per-node times. */
export interface OrtProfiler {
  version: string;
  run(input: Float32Array): Promise<Float32Array>;
  /** Ends profiling; per-node times of the last `keepRuns` runs and the optimised graph. */
  finish(keepRuns: number): Promise<{ nodes: OrtNodeTimes[]; graph: OrtGraphNode[] }>;
  release(): Promise<void>;
}

/**
 * A one-session native profiler on `onnxPath` (`dims` the NCHW input), with the bench's native
 * session options at `threads`. Trace and optimised graph go to `workDir` (the caller removes it).
 */
export async function createOrtProfiler(onnxPath: string, dims: number[], threads: number, workDir: string): Promise<OrtProfiler> {
  const { ort, version } = ortNodeModule();
  mkdirSync(workDir, { recursive: true });
  const prefix = path.join(workDir, 'ort-profile');
  const graphPath = path.join(workDir, 'ort-optimised.onnx');
  const session: OrtSession = await ort.InferenceSession.create(onnxPath, {
    ...ortNodeSessionOptions(threads),
    enableProfiling: true, profileFilePrefix: prefix, logSeverityLevel: 3,
    optimizedModelFilePath: graphPath,
    extra: { session: { optimized_model_external_initializers_file_name: 'ort-optimised.weights' } },
  });
  const run = runner(ort as OrtModule, session, dims);
  let ended = false;
  return {
    version,
    run,
    async finish(keepRuns) {
      session.endProfiling();
      ended = true;
      const traces = readdirSync(workDir).filter((f) => f.startsWith('ort-profile') && f.endsWith('.json'));
      if (traces.length !== 1) throw fail(`onnxruntime wrote ${traces.length} profile traces into the work folder, expected 1`);
      const trace = readModelFile(path.join(workDir, traces[0]!), MAX_TRACE_BYTES, 'onnxruntime profile trace', fail);
      const nodes = parseOrtTrace(JSON.parse(new TextDecoder().decode(trace)), keepRuns);
      const model = decodeModel(readModelFile(graphPath, MAX_GRAPH_BYTES, 'onnxruntime optimised graph', fail));
      if (!model.graph) throw fail('onnxruntime optimised graph: the file has no graph');
      const graph = model.graph.node.map((n) => ({ name: n.name, opType: n.opType, inputs: [...n.input], outputs: [...n.output] }));
      return { nodes, graph };
    },
    async release() {
      if (!ended) session.endProfiling();
      await session.release();
    },
  };
}
