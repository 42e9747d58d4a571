/**
 * onnxruntime on our ONNX export of the case (model.onnx; for an int8 row our int8 session's QDQ
 * export, model-int8.onnx): the WASM backend of onnxruntime-web (a peer) and onnxruntime-node's
 * native CPU provider (the ceiling, not a peer).
 *
 * onnxruntime-web in Node: the package's Node entry (`exports['.'].node.import`,
 * dist/ort.node.min.mjs) is the WASM-only build. 1.30 ships one WASM binary family,
 * `ort-wasm-simd-threaded.{mjs,wasm}` (SIMD always on); `env.wasm.numThreads` sets its intra-op
 * pool (1 = no workers; n > 1 starts n − 1 Emscripten pthread workers via worker_threads, which
 * Node allows without cross-origin isolation). `env.wasm.wasmPaths` is set to the package's dist/
 * folder as a file URL so the threaded loader and its workers find the .mjs/.wasm pair wherever the
 * bench imports the package from (the default, relative to import.meta.url, also works in Node).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { readCase } from './artifacts.js';
import { importPeerFile, resolvePeer } from './peer-modules.js';
import type { LoadedRuntime, LoadOptions } from './runtimes.js';

/** The part of onnxruntime's (common) API the bench uses. */
export interface OrtTensor {
  data: unknown;
}
export interface OrtSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  /** Writes the profiling trace (sessions created with `enableProfiling`). */
  endProfiling(): unknown;
  release(): Promise<void>;
}
export interface OrtModule {
  InferenceSession: { create(model: Uint8Array | string, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  env: { logLevel?: string; wasm: { numThreads?: number; simd?: boolean; wasmPaths?: string; proxy?: boolean } };
}

export function runner(ort: OrtModule, session: OrtSession, dims: number[]) {
  const [inputName] = session.inputNames;
  const [outputName] = session.outputNames;
  return async (input: Float32Array): Promise<Float32Array> => {
    const out = await session.run({ [inputName]: new ort.Tensor('float32', input, dims) });
    return Float32Array.from(out[outputName].data as Float32Array);
  };
}

/** The model file of a row: the f32 export, or the int8 session's QDQ export. */
export function modelFile(files: LoadOptions['files'], precision: LoadOptions['precision']): string {
  return precision === 'int8' ? files.qdqPath : files.onnxPath;
}

export async function loadOrtWeb({ files, threads, precision }: LoadOptions): Promise<LoadedRuntime> {
  const pkg = resolvePeer('onnxruntime-web');
  const manifest = JSON.parse(readFileSync(path.join(pkg.dir, 'package.json'), 'utf8'));
  const nodeEntry: string = manifest.exports?.['.']?.node?.import ?? './dist/ort.node.min.mjs';
  const ort = await importPeerFile<OrtModule>(pkg, nodeEntry);
  ort.env.logLevel = 'error';
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = pathToFileURL(path.join(pkg.dir, path.dirname(nodeEntry)) + path.sep).href;
  const c = readCase(files);
  const session = await ort.InferenceSession.create(readFileSync(modelFile(files, precision)), {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  return {
    version: pkg.version,
    build: 'simd-threaded',
    threads: ort.env.wasm.numThreads ?? threads,
    notes: [],
    run: runner(ort, session, [1, 3, c.inputSize, c.inputSize]),
    dispose: () => session.release(),
  };
}

/** onnxruntime-node's module and version (the bench's native ceiling). */
export function ortNodeModule(): { ort: OrtModule; version: string } {
  const pkg = resolvePeer('onnxruntime-node');
  return { ort: pkg.require(pkg.dir) as OrtModule, version: pkg.version };
}

/** The session options of the native row: every graph optimisation, one intra-op pool of `threads`. */
export function ortNodeSessionOptions(threads: number): Record<string, unknown> {
  return {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all', executionMode: 'sequential',
    intraOpNumThreads: threads, interOpNumThreads: 1,
  };
}

export async function loadOrtNode({ files, threads, precision }: LoadOptions): Promise<LoadedRuntime> {
  const pkg = resolvePeer('onnxruntime-node');
  const ort = pkg.require(pkg.dir) as OrtModule;
  const c = readCase(files);
  const session = await ort.InferenceSession.create(modelFile(files, precision), ortNodeSessionOptions(threads));
  return {
    version: pkg.version,
    build: 'native cpu',
    threads,
    notes: [],
    run: runner(ort, session, [1, 3, c.inputSize, c.inputSize]),
    dispose: () => session.release(),
  };
}
