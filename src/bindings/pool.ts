/**
 * The worker pool: runs a Program's steps on T threads over the one shared `WebAssembly.Memory`.
 *
 * Lifecycle: `create` → `load(program)` → `run()` … → `dispose()`.
 *  - create: T workers start once; each receives, in one message, the compiled module (compiled
 *    once by the caller, posted — never recompiled), the shared memory, its thread index and the
 *    control block's offset, instantiates the kernels and answers `ready`.
 *  - load: the program (plain data) is posted once to every worker, which answers `loaded`.
 *  - run: no message at all. Workers idle in `Atomics.wait` on the control block's generation
 *    word; the coordinator resets the per-run words, bumps the generation and notifies. Workers
 *    take tasks from a per-step atomic counter and meet at a barrier after each step that the
 *    next one depends on (a step marked `overlapsNext` is followed directly); the last one
 *    to finish the last step signals completion (a `done` message, or the `done` word for
 *    `Atomics.waitAsync`: see `completion` below).
 *  - dispose: terminates the workers.
 *
 * Why all compute threads are workers (T workers, the calling thread only coordinates): a thread
 * blocked in `Atomics.wait` cannot see a sibling worker's `exit`/`error` event, so only a thread
 * that never blocks can turn a dead worker into a rejected `run()` instead of a hang. Browsers
 * need the coordinator off the page's main thread anyway (it may not block). The cost is one
 * wake-up and one completion signal per run (bench/pool.ts: ~35–90 µs for an empty run() on 2
 * threads), paid once per run, not per step: at a barrier between steps threads meet (~0.4 µs
 * when the spin catches it, ~10 µs through the futex).
 * With `threads === 1` there is no worker at all: `run()` computes inline on the calling thread
 * (serverless runtimes, pages without SharedArrayBuffer). Every path walks the program through the
 * one executor (executor.ts). The thread count comes resolved: choosing it (0 = one per core, the
 * fallback to one thread and its warning) is the session's job, done once there.
 *
 * Faults never hang a run:
 *  - a worker that throws (a kernel trap) claims the `failed` word, writes the cause into the
 *    message slot, wakes the barrier; the others stop taking tasks, and the run rejects with
 *    "worker N failed in step …: cause" once all workers are back to idle — the pool stays usable;
 *  - a worker that dies (crash, `terminate()`) is seen by the coordinator's `exit`/`error` event:
 *    it sets `failed`, wakes every word a worker may wait on, and rejects the run with
 *    "worker N exited (code …)"; the next `run()`/`load()` rebuilds the pool (terminate all,
 *    start anew, reload the program), or rejects for good with a clear error if that fails.
 *
 * Node: `worker_threads`, workers unref'd while idle so a process that forgets `dispose()` still
 * exits. Browsers: module workers (spawn.ts; test/browser runs them in headless Chromium).
 * The control block and the messages: protocol.ts.
 */

import { runProgramInline } from './executor.js';
import { features } from './features.js';
import { asKernels, type Kernels, type Program } from './program.js';
import {
  COMMAND_LOAD, COMMAND_RUN, CONTROL_BYTES, controlBase, FAILED_BY_COORDINATOR, MESSAGE_MAX_BYTES,
  poolControlBytes, type Completion, type FromWorker,
} from './protocol.js';
import { workerSpawner, type WorkerHandle } from './spawn.js';
import { inlineTraceHooks } from './trace.js';
import { instantiateKernels } from './wasm-module.js';

export { poolControlBytes, type Completion };

/* ------------------------------------------------------------------------------------------ *
 * The pool.                                                                                  *
 * ------------------------------------------------------------------------------------------ */

export interface WorkerPoolOptions {
  /** The kernel module, compiled once: the shared-memory build when threads > 1. */
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /**
   * Compute threads, resolved by the caller (≥ 1; more than 1 needs a shared `memory`). 1 = no
   * worker, `run()` computes inline.
   */
  threads: number;
  /** Byte offset (4-aligned) of `poolControlBytes(maxSteps)` bytes in `memory` owned by this pool. */
  controlOffset: number;
  /** The most steps a loaded program may have (sizes the control block). */
  maxSteps: number;
  /**
   * Spin budget before `Atomics.wait` (at barriers and when idle), in µs (default 5). Forced to 0
   * when there are more threads than cores: a spinning thread would steal the core of the one it
   * waits for. bench/pool.ts: 5 µs turns a ~10 µs futex barrier into ~0.4 µs on an idle machine
   * and costs ~3 µs per barrier on an oversubscribed one; 20 µs costs 2–3× there.
   */
  spinMicros?: number;
  /**
   * How the last worker signals the end of a run: 'waitAsync' (the coordinator awaits
   * `Atomics.waitAsync` on the `done` word) or 'message' (one postMessage). Default 'waitAsync'
   * where the runtime has it: bench/pool.ts, empty run() on 2 threads, medians 4–30 µs lower than
   * 'message' over four runs, equal minima (~30 µs).
   */
  completion?: Completion;
}

const DEFAULT_SPIN_MICROS = 5;
const DEFAULT_COMPLETION: Completion = 'waitAsync' in Atomics ? 'waitAsync' : 'message';

interface Runner {
  load(program: Program): Promise<void>;
  run(traceOffset: number): Promise<void>;
  dispose(): Promise<void>;
}

export class WorkerPool {
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(
    /** Compute threads: the `threads` the pool was created with. */
    readonly threads: number,
    private readonly maxSteps: number,
    private readonly runner: Runner,
  ) {}

  /** Starts the pool: with threads > 1, starts the workers and waits until all are ready. */
  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const { module, memory, maxSteps, threads } = options;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(
        `inception-wasm: the pool's threads must be an integer ≥ 1, got ${threads} (createSession resolves threads: 0 to one per core)`,
      );
    }
    if (!Number.isInteger(maxSteps) || maxSteps < 0) {
      throw new RangeError(`inception-wasm: maxSteps must be an integer ≥ 0, got ${maxSteps}`);
    }
    if (threads === 1) return new WorkerPool(1, maxSteps, new InlineRunner(module, memory));
    if (!isSharedMemory(memory)) {
      throw new RangeError(
        `inception-wasm: a pool of ${threads} threads needs a shared WebAssembly.Memory: create the arena with shared: true, or use threads: 1`,
      );
    }

    const { controlOffset } = options;
    const end = controlOffset + poolControlBytes(maxSteps);
    if (!Number.isInteger(controlOffset) || controlOffset % 4 !== 0 || controlOffset <= 0 || end > memory.buffer.byteLength) {
      throw new RangeError(
        `inception-wasm: the pool's control block [${controlOffset}, ${end}) must be 4-byte aligned and inside the ` +
          `memory (${memory.buffer.byteLength} bytes): allocate poolControlBytes(maxSteps) bytes for it`,
      );
    }
    const completion = options.completion ?? DEFAULT_COMPLETION;
    if (completion === 'waitAsync' && !('waitAsync' in Atomics)) {
      throw new Error("inception-wasm: Atomics.waitAsync is unavailable in this runtime: use completion 'message'");
    }
    // More threads than cores: a spinning thread would steal the core of the one it waits for.
    const { cores } = await features({ relaxedSimd: false });
    const spin = threads <= cores ? (options.spinMicros ?? DEFAULT_SPIN_MICROS) : 0;
    const crew = new WorkerCrew({
      module,
      memory,
      threads,
      controlBase: controlBase(controlOffset),
      maxSteps,
      spinMicros: spin,
      completion,
    });
    await crew.start();
    return new WorkerPool(threads, maxSteps, crew);
  }

  /** Sends `program` to every thread (once); later `run()`s execute it. Queued behind earlier calls. */
  load(program: Program): Promise<void> {
    if (program.steps.length > this.maxSteps) {
      return Promise.reject(
        new RangeError(
          `inception-wasm: the program has ${program.steps.length} steps but the pool was created for at most ` +
            `${this.maxSteps} (maxSteps; poolControlBytes(steps) sizes its control block)`,
        ),
      );
    }
    return this.enqueue(() => this.runner.load(program));
  }

  /**
   * Runs the loaded program once. Concurrent calls queue and resolve in order. `traceOffset`
   * (8-aligned, `traceBytes(threads, steps)` bytes the caller cleared): record the run's
   * timeline there (trace.ts); 0, the default: no trace.
   */
  run(traceOffset = 0): Promise<void> {
    return this.enqueue(() => this.runner.run(traceOffset));
  }

  /** Terminates the workers; a run in flight rejects, later calls reject. Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.runner.dispose();
  }

  /**
   * Testing hook: terminates worker `index` as a crash would; the pool learns of it only through
   * the worker's `exit` event, like a real crash. No-op on a 1-thread pool.
   */
  simulateWorkerCrash(index: number): Promise<void> {
    return this.runner instanceof WorkerCrew ? this.runner.killWorker(index) : Promise.resolve();
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const result = this.queue.then(() => {
      if (this.disposed) throw disposedError();
      return op();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function isSharedMemory(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** threads = 1: the calling thread runs every task, in order. */
class InlineRunner implements Runner {
  private readonly kernels: Kernels;
  private program?: Program;

  constructor(module: WebAssembly.Module, private readonly memory: WebAssembly.Memory) {
    this.kernels = asKernels(instantiateKernels(module, memory));
  }

  async load(program: Program): Promise<void> {
    this.program = program;
  }

  async run(traceOffset: number): Promise<void> {
    if (!this.program) throw new Error('inception-wasm: run() before load(program)');
    const { program } = this;
    runProgramInline(this.kernels, program, traceOffset === 0 ? undefined : inlineTraceHooks(program, this.memory.buffer, traceOffset));
  }

  async dispose(): Promise<void> {
    this.program = undefined;
  }
}

/* ------------------------------------------------------------------------------------------ *
 * threads > 1: the coordinator side.                                                         *
 * ------------------------------------------------------------------------------------------ */

interface CrewConfig {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  threads: number;
  controlBase: number;
  maxSteps: number;
  spinMicros: number;
  completion: Completion;
}


/** One outstanding operation: `count` more `kind` messages expected. */
interface PendingOp {
  kind: FromWorker['type'];
  count: number;
  generation: number;
  resolve(): void;
  reject(error: Error): void;
}

class WorkerCrew implements Runner {
  private workers: WorkerHandle[] = [];
  private generation = 0;
  private pending?: PendingOp;
  private program?: Program;
  /** A worker died: rebuild before the next operation. */
  private broken = false;
  /** Rebuilding failed: every later operation rejects with this. */
  private unusable?: Error;
  private disposed = false;
  private readonly i32: Int32Array;
  private readonly word: (byteOffset: number) => number;

  constructor(private readonly config: CrewConfig) {
    this.i32 = new Int32Array(config.memory.buffer);
    this.word = (byteOffset) => (config.controlBase + byteOffset) >> 2;
  }

  /** Starts the workers and waits until every one has instantiated the kernels. */
  async start(): Promise<void> {
    this.i32.fill(0, this.word(0), this.word(CONTROL_BYTES.taskCounters) + this.config.maxSteps);
    this.generation = 0;
    const spawn = await workerSpawner();
    if (this.disposed) throw disposedError();
    const { module, memory, threads, controlBase, spinMicros, completion } = this.config;
    for (let thread = 0; thread < threads; thread++) {
      const handle: WorkerHandle = spawn(thread, {
        message: (m) => this.onMessage(m),
        lost: (reason) => {
          if (this.workers[thread] === handle) this.onWorkerLost(thread, reason);
        },
      });
      this.workers.push(handle);
    }
    try {
      await this.expect('ready', threads, () => {
        this.workers.forEach((w, thread) =>
          w.post({ type: 'init', module, memory, thread, threads, controlBase, spinMicros, completion }),
        );
      });
    } catch (e) {
      await this.terminateAll();
      throw new Error(`inception-wasm: the worker pool could not start: ${(e as Error).message}`, { cause: e });
    }
  }

  async load(program: Program): Promise<void> {
    this.program = program;
    if (await this.ensureHealthy()) return; // the rebuild has just sent it
    await this.sendProgram(program);
  }

  async run(traceOffset: number): Promise<void> {
    await this.ensureHealthy();
    if (!this.program) throw new Error('inception-wasm: run() before load(program)');
    const { i32, word } = this;
    // Every worker is idle (the previous operation completed): the per-run words are ours to reset.
    i32.fill(0, word(CONTROL_BYTES.taskCounters), word(CONTROL_BYTES.taskCounters) + this.program.steps.length);
    Atomics.store(i32, word(CONTROL_BYTES.failed), 0);
    Atomics.store(i32, word(CONTROL_BYTES.messageLength), 0);
    Atomics.store(i32, word(CONTROL_BYTES.barrierArrived), 0);
    Atomics.store(i32, word(CONTROL_BYTES.remaining), this.config.threads);
    Atomics.store(i32, word(CONTROL_BYTES.done), 0);
    Atomics.store(i32, word(CONTROL_BYTES.trace), traceOffset);
    const generation = ++this.generation;
    await this.expect('done', 1, () => {
      if (this.config.completion === 'waitAsync') {
        const wait = waitAsync(i32, word(CONTROL_BYTES.done), 0);
        void wait.then(() => this.onMessage({ type: 'done', generation }));
      }
      Atomics.store(i32, word(CONTROL_BYTES.command), COMMAND_RUN);
      Atomics.store(i32, word(CONTROL_BYTES.generation), generation);
      Atomics.notify(i32, word(CONTROL_BYTES.generation));
    });
    const failed = Atomics.load(i32, word(CONTROL_BYTES.failed));
    if (failed > 0) throw new Error(`inception-wasm: worker ${failed - 1} failed in ${this.readMessage()}`);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.settle(disposedError());
    await this.terminateAll();
  }

  async killWorker(index: number): Promise<void> {
    const w = this.workers[index];
    if (!w) throw new RangeError(`inception-wasm: no worker ${index} (threads ${this.config.threads})`);
    await w.terminate();
  }

  /** Rebuilds after a worker died; true when it did (and reloaded the program). */
  private async ensureHealthy(): Promise<boolean> {
    if (this.unusable) throw this.unusable;
    if (!this.broken) return false;
    try {
      await this.terminateAll();
      await this.start();
      if (this.program) await this.sendProgram(this.program);
      this.broken = false;
      return true;
    } catch (e) {
      if (this.disposed) throw e;
      this.unusable = new Error(
        `inception-wasm: the worker pool is unusable: a worker died and rebuilding the pool failed (${(e as Error).message})`,
        { cause: e },
      );
      await this.terminateAll();
      throw this.unusable;
    }
  }

  private async sendProgram(program: Program): Promise<void> {
    const generation = ++this.generation;
    await this.expect('loaded', this.config.threads, () => {
      // Workers idling in Atomics.wait return to their event loop to receive the message. The
      // words come first: a worker may take the message at once and then read them.
      Atomics.store(this.i32, this.word(CONTROL_BYTES.command), COMMAND_LOAD);
      Atomics.store(this.i32, this.word(CONTROL_BYTES.generation), generation);
      Atomics.notify(this.i32, this.word(CONTROL_BYTES.generation));
      for (const w of this.workers) w.post({ type: 'load', program, generation });
    });
  }

  /** Runs `start` (which posts or notifies) and resolves when `count` `kind` messages arrived. */
  private expect(kind: FromWorker['type'], count: number, start: () => void): Promise<void> {
    for (const w of this.workers) w.setRef(true);
    const settled = new Promise<void>((resolve, reject) => {
      this.pending = { kind, count, generation: this.generation, resolve, reject };
    });
    start();
    return settled.finally(() => {
      for (const w of this.workers) w.setRef(false);
    });
  }

  private onMessage(m: FromWorker): void {
    const p = this.pending;
    if (!p || p.kind !== m.type || (m.type === 'done' && m.generation !== p.generation)) return;
    if (--p.count === 0) {
      this.pending = undefined;
      p.resolve();
    }
  }

  private onWorkerLost(thread: number, reason: string): void {
    if (this.disposed) return;
    this.broken = true;
    this.settle(new Error(`inception-wasm: worker ${thread} ${reason}; the pool will be rebuilt on the next run()`));
  }

  /**
   * Rejects the pending operation, if any. A run in flight is failed in shared memory too: every
   * word a worker may wait on is bumped and notified, so the survivors see `failed` and go back
   * to idle, and a pending `Atomics.waitAsync` on `done` resolves (and is ignored).
   */
  private settle(error: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    if (p.kind === 'done') {
      const { i32, word } = this;
      Atomics.compareExchange(i32, word(CONTROL_BYTES.failed), 0, FAILED_BY_COORDINATOR);
      Atomics.add(i32, word(CONTROL_BYTES.barrierGeneration), 1);
      Atomics.notify(i32, word(CONTROL_BYTES.barrierGeneration));
      Atomics.store(i32, word(CONTROL_BYTES.done), 1);
      Atomics.notify(i32, word(CONTROL_BYTES.done));
    }
    p.reject(error);
  }

  private readMessage(): string {
    const length = Math.min(Atomics.load(this.i32, this.word(CONTROL_BYTES.messageLength)), MESSAGE_MAX_BYTES);
    const start = this.config.controlBase + CONTROL_BYTES.message;
    // TextDecoder refuses views of a SharedArrayBuffer in browsers: copy out first.
    const bytes = new Uint8Array(this.config.memory.buffer, start, length).slice();
    return new TextDecoder().decode(bytes);
  }

  private async terminateAll(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function disposedError(): Error {
  return new Error('inception-wasm: the WorkerPool has been disposed');
}

type WaitAsyncResult = { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };

/** `Atomics.waitAsync` (ES2024: Node ≥ 16, Chromium, Safari ≥ 16.4; checked at create). */
function waitAsync(i32: Int32Array, index: number, value: number): Promise<string> {
  const r = (Atomics as unknown as { waitAsync(i: Int32Array, index: number, value: number): WaitAsyncResult }).waitAsync(
    i32, index, value,
  );
  return r.async ? r.value : Promise.resolve(r.value);
}
