/**
 * The pool's protocol, shared by the coordinator (pool.ts) and the workers (worker.ts): the
 * control block's layout in shared memory, the commands, and the structured-clone messages.
 * Workers import this file and the executor only, never the coordinator.
 */

import type { Program } from './program.js';

/**
 * Byte offsets inside the control block, from its base (the caller's offset rounded up to 64).
 * Words written during a run by different threads sit on separate 64-byte cache lines.
 *
 * | bytes      | word                | written by                   | meaning                                    |
 * |------------|---------------------|------------------------------|--------------------------------------------|
 * | 0          | generation          | coordinator                  | bumped to start a run or a load; idle workers `Atomics.wait` on it |
 * | 4          | command             | coordinator                  | what the new generation asks: COMMAND_RUN / COMMAND_LOAD |
 * | 64         | barrierArrived      | workers                      | threads arrived at the current barrier     |
 * | 128        | barrierGeneration   | last arriver (+ on failure)  | barrier waiters `Atomics.wait` on it       |
 * | 192        | remaining           | workers                      | workers still in the run (reset to T)      |
 * | 196        | done                | last worker to leave         | 1 when the run is over (`waitAsync` completion) |
 * | 200        | trace               | coordinator                  | byte offset of this run's trace area (trace.ts), 0: none |
 * | 256        | failed              | failing worker / coordinator | 0 ok; t + 1: worker t threw; −1: a worker died |
 * | 260        | messageLength       | failing worker               | UTF-8 bytes in the message slot            |
 * | 264..1023  | message             | failing worker               | the cause, UTF-8, truncated to fit         |
 * | 1024 + 4s  | taskCounter[s]      | workers (`Atomics.add`)      | next task of step s (reset to 0 per run)   |
 *
 * Why a message slot in shared memory rather than an error message: messages from different
 * workers are not ordered, so the `done` of the last worker could overtake the failing worker's
 * error message. The slot is written before the failing worker leaves the run, so it is visible
 * when `done` arrives.
 */
export const CONTROL_BYTES = {
  generation: 0,
  command: 4,
  barrierArrived: 64,
  barrierGeneration: 128,
  remaining: 192,
  done: 196,
  trace: 200,
  failed: 256,
  messageLength: 260,
  message: 264,
  taskCounters: 1024,
} as const;

export const MESSAGE_MAX_BYTES = CONTROL_BYTES.taskCounters - CONTROL_BYTES.message;
export const COMMAND_RUN = 1;
/** Return to the event loop to receive the `load` message (posted right after the notify). */
export const COMMAND_LOAD = 2;
/** `failed` value when the coordinator saw a worker die. */
export const FAILED_BY_COORDINATOR = -1;
const CACHE_LINE_BYTES = 64;

/** Bytes the caller allocates (4-byte aligned, e.g. from the arena) for programs of up to `maxSteps` steps. */
export function poolControlBytes(maxSteps: number): number {
  return CACHE_LINE_BYTES - 4 + CONTROL_BYTES.taskCounters + 4 * Math.max(0, maxSteps);
}

/** The block's base byte offset: the caller's offset rounded up to a cache line. */
export function controlBase(controlOffset: number): number {
  return Math.ceil(controlOffset / CACHE_LINE_BYTES) * CACHE_LINE_BYTES;
}

/** How the last worker to finish tells the coordinator (measured in bench/pool.ts). */
export type Completion = 'message' | 'waitAsync';

export interface InitMessage {
  type: 'init';
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  thread: number;
  threads: number;
  /** Byte offset of the control block's base (64-aligned). */
  controlBase: number;
  /** Spin budget before `Atomics.wait`, µs (0 = wait at once). */
  spinMicros: number;
  completion: Completion;
}

export type ToWorker = InitMessage | { type: 'load'; program: Program; generation: number };

export type FromWorker = { type: 'ready' } | { type: 'loaded' } | { type: 'done'; generation: number };

/** An error as a one-line cause in a message: `Name: message`. */
export function describeError(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
