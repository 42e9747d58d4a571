/**
 * Messages between the harness (bench/run.ts) and one runtime's child process (bench/peers/child.ts)
 * over the IPC channel (`serialization: 'advanced'`, so typed arrays travel as such).
 *
 *   harness                          child
 *   spawn(args) ───────────────────► import runtime, load case, run once
 *               ◄─────────────────── ready (first output + cold-start split)   or  failed
 *   warmup n   ───────────────────►  n untimed runs
 *               ◄─────────────────── warmedUp
 *   time       ───────────────────►  one timed run
 *               ◄─────────────────── timed (ms)
 *   profile    ───────────────────►  (ours) where one run's time goes
 *               ◄─────────────────── profiled
 *   exit       ───────────────────►  dispose
 *               ◄─────────────────── done (peak RSS), then the process exits
 */
import type { Precision, RuntimeFeatures, RuntimeId, TimeSplit } from './runtimes.js';

export interface ChildArgs {
  runtime: RuntimeId;
  /** The case folder (bench/peers/artifacts.ts). */
  caseDir: string;
  threads: number;
  /** f32 (default), or int8: ours calibrates on the case's calibration inputs, onnxruntime loads the QDQ export. */
  precision?: Precision;
  /** Ours: src/ or dist/ (bench/peers/runtime-ours.ts). */
  oursFrom?: 'src' | 'dist';
  /** Ours: kernel build (bench/peers/runtime-ours.ts). */
  oursBuild?: 'auto' | 'baseline' | 'relaxed';
  /** Only import the runtime's modules and exit (warms the TypeScript transform cache). */
  prime?: boolean;
  /** Load nothing: reply 'ready' at once, then exit when told (measures process start-up). */
  baseline?: boolean;
}

export type ToChild = { type: 'warmup'; runs: number } | { type: 'time' } | { type: 'profile' } | { type: 'exit' };

export type FromChild =
  | {
      type: 'ready';
      logits: Float32Array;
      version: string;
      build: string;
      threads: number;
      arenaBytes?: number;
      notes: string[];
      /** ms from the child's process start (Node's timeOrigin) to its first output. */
      processStartToOutputMs: number;
      /** ms importing the runtime's code, creating the session (reading its files), and the first run. */
      importMs: number;
      loadMs: number;
      firstRunMs: number;
      /** OS threads the session added (Linux; worker threads it started). */
      osThreadsAdded?: number;
      /** Ours: what the engine's feature probe found on this platform. */
      features?: RuntimeFeatures;
    }
  | { type: 'failed'; stage: string; message: string }
  | { type: 'warmedUp' }
  | { type: 'timed'; ms: number }
  | { type: 'profiled'; split?: TimeSplit }
  | { type: 'done'; peakRssBytes: number };
