/**
 * The runtimes the benchmark compares, behind one small interface. Each loader lives in its own
 * module, imported only by the child process that runs it, so a child loads one runtime's code and
 * nothing else (its cold start is its own).
 *
 * Lifecycle (in a child process, bench/peers/child.ts): `importRuntime` → its loader reads the case
 * files and builds the session → `run` per image → `dispose`.
 */
import { resolvePeer, type PeerPackage } from './peer-modules.js';
import type { CaseFiles } from './artifacts.js';

export type RuntimeId = 'ours' | 'ort-web' | 'tfjs-wasm' | 'ort-node';
/** 'peer' rows are what the goal compares against; 'native' is the ceiling, not a peer. */
export type RuntimeRole = 'ours' | 'peer' | 'native';

export interface RuntimeInfo {
  id: RuntimeId;
  label: string;
  role: RuntimeRole;
  package?: PeerPackage;
}

export const RUNTIMES: Readonly<Record<RuntimeId, RuntimeInfo>> = {
  ours: { id: 'ours', label: 'inception-wasm', role: 'ours' },
  'ort-web': { id: 'ort-web', label: 'onnxruntime-web (wasm)', role: 'peer', package: 'onnxruntime-web' },
  'tfjs-wasm': { id: 'tfjs-wasm', label: 'tfjs-backend-wasm', role: 'peer', package: '@tensorflow/tfjs-backend-wasm' },
  'ort-node': { id: 'ort-node', label: 'onnxruntime-node (native)', role: 'native', package: 'onnxruntime-node' },
};

export const RUNTIME_ORDER: readonly RuntimeId[] = ['ours', 'ort-web', 'tfjs-wasm', 'ort-node'];

export interface LoadOptions {
  files: CaseFiles;
  threads: number;
  /** Ours: load the engine from src/ (through tsx) or dist/ (compiled). */
  oursFrom?: 'src' | 'dist';
  /** Ours: kernel build ('auto' = relaxed SIMD where it compiles). */
  oursBuild?: 'auto' | 'baseline' | 'relaxed';
}

/** A per-step-kind split of one run (ours only): ms per kind and the slowest steps. */
export interface TimeSplit {
  totalMs: number;
  byKindMs: Record<string, number>;
  slowest: { name: string; kind: string; shape: number[]; ms: number; gflops: number }[];
}

export interface LoadedRuntime {
  version: string;
  /** Which build of the runtime runs (e.g. 'baseline', 'relaxed', 'simd-threaded'). */
  build: string;
  /** Threads the runtime reports it uses. */
  threads: number;
  /** Activation arena peak (ours). */
  arenaBytes?: number;
  /** Facts worth a footnote (a patch applied, a fallback taken). */
  notes: string[];
  /** One batch-1 image, NCHW float32 → logits. */
  run(inputNchw: Float32Array): Promise<Float32Array>;
  /** Where one run's time goes (ours). */
  profile?(): Promise<TimeSplit>;
  dispose(): Promise<void>;
}

/** Why `id` cannot run here (its package is missing), or undefined when it can. */
export function runtimeUnavailable(id: RuntimeId): string | undefined {
  const pkg = RUNTIMES[id].package;
  if (pkg === undefined) return undefined;
  try {
    resolvePeer(pkg);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export type RuntimeLoader = (options: LoadOptions) => Promise<LoadedRuntime>;

/** Imports `id`'s module (its code and its package's) and returns its loader. */
export async function importRuntime(id: RuntimeId): Promise<RuntimeLoader> {
  switch (id) {
    case 'ours':
      return (await import('./runtime-ours.js')).loadOurs;
    case 'ort-web':
      return (await import('./runtime-ort.js')).loadOrtWeb;
    case 'ort-node':
      return (await import('./runtime-ort.js')).loadOrtNode;
    case 'tfjs-wasm':
      return (await import('./runtime-tfjs.js')).loadTfjsWasm;
  }
}
