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
export type Precision = 'f32' | 'int8';
export const PRECISIONS: readonly Precision[] = ['f32', 'int8'];
/** Where the runtimes run: each in a Node child process, or each in its own headless Chromium page. */
export type Platform = 'node' | 'chromium';
/** 'peer' rows are what the goal compares against; 'native' is the ceiling, not a peer. */
export type RuntimeRole = 'ours' | 'peer' | 'native';

export interface RuntimeInfo {
  id: RuntimeId;
  label: string;
  role: RuntimeRole;
  package?: PeerPackage;
  /** Runs the int8 case: ours calibrates; onnxruntime runs our QDQ export. TF.js has no int8 path for these graphs. */
  int8: boolean;
  /** Has a browser form (the WASM runtimes); onnxruntime-node is native, Node only. */
  browser: boolean;
}

export const RUNTIMES: Readonly<Record<RuntimeId, RuntimeInfo>> = {
  ours: { id: 'ours', label: 'inception-wasm', role: 'ours', int8: true, browser: true },
  'ort-web': { id: 'ort-web', label: 'onnxruntime-web (wasm)', role: 'peer', package: 'onnxruntime-web', int8: true, browser: true },
  'tfjs-wasm': { id: 'tfjs-wasm', label: 'tfjs-backend-wasm', role: 'peer', package: '@tensorflow/tfjs-backend-wasm', int8: false, browser: true },
  'ort-node': { id: 'ort-node', label: 'onnxruntime-node (native)', role: 'native', package: 'onnxruntime-node', int8: true, browser: false },
};

export const RUNTIME_ORDER: readonly RuntimeId[] = ['ours', 'ort-web', 'tfjs-wasm', 'ort-node'];

/** The row text of a runtime that has no int8 form. */
export const NO_INT8 = 'n/a (no int8)';

/** Ours' feature probe (src/bindings/features.ts) as one platform answered it. */
export interface RuntimeFeatures {
  simd: boolean;
  relaxedSimd: boolean;
  /** The int8 relaxed dot's known-answer probe (false where relaxed SIMD is off or the answer is wrong). */
  relaxedDotI8: boolean;
  threads: boolean;
  cores: number;
}

export interface LoadOptions {
  files: CaseFiles;
  threads: number;
  /** 'int8': ours calibrates on the case's calibration inputs; onnxruntime loads the QDQ export. */
  precision?: Precision;
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
  /** Ours: the feature probe's answers. */
  features?: RuntimeFeatures;
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
