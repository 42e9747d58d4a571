/**
 * Where the runtimes of a case run. The harness (bench/run.ts, bench/peers/run-case.ts) starts,
 * checks, times and stops runtimes through this one interface, so the Node rows (one child process
 * per runtime, bench/peers/child-process.ts) and the Chromium rows (one fresh page per runtime,
 * bench/peers/browser-host.ts) share the check-before-timing, warm-up, primer and interleaving.
 */
import { RuntimeChild, type Ready } from './child-process.js';
import type { ChildArgs, FromChild, ToChild } from './protocol.js';
import type { Platform } from './runtimes.js';

/** One started runtime: a child process or a page. */
export interface RuntimeHandle {
  /** Sends `message`, returns the reply of type `expect`; a 'failed' reply, an exit or a crash throws. */
  request<T extends FromChild['type']>(message: ToChild, expect: T): Promise<Extract<FromChild, { type: T }>>;
  /** Disposes the runtime and closes it; resolves its peak RSS in bytes where the host can measure it. */
  finish(): Promise<number | undefined>;
  /** Ends it at once (after a failure). */
  kill(): void;
}

export interface Started {
  child: RuntimeHandle;
  ready: Ready;
  /** Host-side wall time from creating the process / page to its first output. */
  coldStartMs: number;
}

export interface RuntimeHost {
  platform: Platform;
  /** What ran the runtimes, for the results (`machine.browser`); undefined on Node. */
  description?: string;
  /** Starts one runtime on a case and waits for its first output. */
  start(args: ChildArgs): Promise<Started>;
  /** Loads a runtime's code once without a case (caches transforms), so no cold start pays for that. */
  prime(args: ChildArgs): Promise<void>;
  /** The floor under every cold start: a child or page that loads no runtime, median of 3 (ms). */
  startupMs(): Promise<number>;
  close(): Promise<void>;
}

/** Node: each runtime in its own child process (`node --import tsx bench/peers/child.ts`). */
export function nodeHost(nodeFlags: readonly string[]): RuntimeHost {
  return {
    platform: 'node',
    start: (args) => RuntimeChild.start(args, nodeFlags),
    prime: (args) => RuntimeChild.prime(args, nodeFlags),
    startupMs: () => RuntimeChild.startupMs(nodeFlags),
    close: async () => undefined,
  };
}
