/**
 * The pool's worker entry (Node `worker_threads` or a browser module worker). Protocol and
 * control-block layout: protocol.ts; the coordinator (pool.ts) is never loaded here.
 *
 * A worker lives in two modes:
 *  - in its event loop, between `init` and the first `load`, and whenever the coordinator sends
 *    COMMAND_LOAD (it must receive the program by message);
 *  - otherwise blocked in `idle()`: `Atomics.wait` on the generation word; each new generation
 *    with COMMAND_RUN runs the program once, without any message.
 *
 * A run walks the program through the one executor (executor.ts) with this thread's hooks: for
 * each step, take tasks from the step's atomic counter until they run out, then meet the others
 * at the barrier — or, when the compiler marked the step `overlapsNext` (the next step touches
 * other memory), go straight on to the next step's tasks. The barrier counts
 * generations: a thread reads the barrier generation, then increments `barrierArrived`; the last
 * of T arrivals resets the count and bumps the generation; the others spin on it briefly
 * (`spinMicros`, on `Atomics.load`), then `Atomics.wait` for it to change. Because each thread
 * reads the generation *before* it arrives, a bump can never be missed, and no reset races with an
 * early arrival at the next barrier.
 */

import { runSteps, TaskError, type StepHooks } from './executor.js';
import { asKernels, type Kernels, type Program } from './program.js';
import {
  COMMAND_RUN,
  CONTROL_BYTES,
  describeError,
  MESSAGE_MAX_BYTES,
  type FromWorker,
  type InitMessage,
  type ToWorker,
} from './protocol.js';
import { threadRecord, tracedHooks } from './trace.js';
import { instantiateKernels } from './wasm-module.js';

/** Longest single `Atomics.wait` at a barrier before re-checking `failed` (belt and braces: failures also notify). */
const WAIT_SLICE_MS = 100;
/** `Atomics.load`s between clock reads while spinning. */
const SPIN_BATCH = 64;

class PoolThread {
  private readonly kernels: Kernels;
  private readonly i32: Int32Array;
  private readonly thread: number;
  private readonly threads: number;
  private readonly spinMicros: number;
  private program?: Program;
  /** The last generation this thread acted on. */
  private seen = 0;
  // Word indices of the control block's words.
  private readonly generation: number;
  private readonly command: number;
  private readonly arrived: number;
  private readonly barrierGeneration: number;
  private readonly remaining: number;
  private readonly done: number;
  private readonly failed: number;
  private readonly messageLength: number;
  private readonly taskCounters: number;
  private readonly trace: number;
  /** How this thread walks a program: tasks from the shared counters, barriers between dependent steps. */
  private readonly hooks: StepHooks;

  constructor(
    private readonly init: InitMessage,
    private readonly post: (message: FromWorker) => void,
  ) {
    this.kernels = asKernels(instantiateKernels(init.module, init.memory));
    // The control block lies inside the memory as it was at pool creation: a later grow never
    // invalidates this view of it (shared memory never detaches).
    this.i32 = new Int32Array(init.memory.buffer);
    this.thread = init.thread;
    this.threads = init.threads;
    this.spinMicros = init.spinMicros;
    const word = (byteOffset: number) => (init.controlBase + byteOffset) >> 2;
    this.generation = word(CONTROL_BYTES.generation);
    this.command = word(CONTROL_BYTES.command);
    this.arrived = word(CONTROL_BYTES.barrierArrived);
    this.barrierGeneration = word(CONTROL_BYTES.barrierGeneration);
    this.remaining = word(CONTROL_BYTES.remaining);
    this.done = word(CONTROL_BYTES.done);
    this.failed = word(CONTROL_BYTES.failed);
    this.messageLength = word(CONTROL_BYTES.messageLength);
    this.taskCounters = word(CONTROL_BYTES.taskCounters);
    this.trace = word(CONTROL_BYTES.trace);
    const { i32, failed, taskCounters } = this;
    this.hooks = {
      // No new task once the run has failed (Infinity ends the step).
      nextTask: (s) => (Atomics.load(i32, failed) === 0 ? Atomics.add(i32, taskCounters + s, 1) : Infinity),
      barrier: () => this.barrier(),
    };
  }

  /** Takes the program, acknowledges, and blocks in `idle()` until the next COMMAND_LOAD. */
  load(program: Program, generation: number): void {
    this.program = program;
    this.seen = generation;
    this.post({ type: 'loaded' });
    this.idle();
  }

  private idle(): void {
    const { i32 } = this;
    for (;;) {
      if (!this.spin(this.generation, this.seen)) {
        while (Atomics.load(i32, this.generation) === this.seen) Atomics.wait(i32, this.generation, this.seen);
      }
      this.seen = Atomics.load(i32, this.generation);
      if (Atomics.load(i32, this.command) !== COMMAND_RUN) return; // COMMAND_LOAD: the program comes by message
      this.runProgram();
    }
  }

  private runProgram(): void {
    const program = this.program!;
    // A traced run records into the memory as it is now (the area may lie past a grow since init).
    const traceAt = Atomics.load(this.i32, this.trace);
    const hooks = traceAt === 0 ? this.hooks
      : tracedHooks(this.hooks, program, threadRecord(this.init.memory.buffer, traceAt, this.thread, program.steps.length));
    try {
      runSteps(this.kernels, program, this.thread, hooks);
    } catch (e) {
      this.fail(e instanceof TaskError ? e.message : describeError(e));
    }
    this.leave();
  }

  /** Waits until all threads arrive; false when the run has failed meanwhile. */
  private barrier(): boolean {
    const { i32, barrierGeneration } = this;
    const generation = Atomics.load(i32, barrierGeneration);
    if (Atomics.add(i32, this.arrived, 1) === this.threads - 1) {
      Atomics.store(i32, this.arrived, 0);
      Atomics.add(i32, barrierGeneration, 1);
      Atomics.notify(i32, barrierGeneration);
    } else if (!this.spin(barrierGeneration, generation)) {
      // `failed` is set before any failure bumps the generation, so checking it before each wait
      // cannot miss a failure that happened after our read of the generation.
      while (Atomics.load(i32, barrierGeneration) === generation && Atomics.load(i32, this.failed) === 0) {
        Atomics.wait(i32, barrierGeneration, generation, WAIT_SLICE_MS);
      }
    }
    return Atomics.load(i32, this.failed) === 0;
  }

  /** Spins on `Atomics.load` for at most `spinMicros`; true when the word changed from `value`. */
  private spin(index: number, value: number): boolean {
    const { i32 } = this;
    if (Atomics.load(i32, index) !== value) return true;
    if (this.spinMicros <= 0) return false;
    const deadline = performance.now() + this.spinMicros / 1000;
    do {
      for (let k = 0; k < SPIN_BATCH; k++) if (Atomics.load(i32, index) !== value) return true;
    } while (performance.now() < deadline);
    return false;
  }

  /** The first failure claims `failed` and writes the cause; every failure wakes the barrier. */
  private fail(message: string): void {
    const { i32 } = this;
    if (Atomics.compareExchange(i32, this.failed, 0, this.thread + 1) === 0) {
      const encoded = new TextEncoder().encode(message).subarray(0, MESSAGE_MAX_BYTES);
      new Uint8Array(i32.buffer, this.init.controlBase + CONTROL_BYTES.message, encoded.length).set(encoded);
      Atomics.store(i32, this.messageLength, encoded.length);
    }
    Atomics.add(i32, this.barrierGeneration, 1);
    Atomics.notify(i32, this.barrierGeneration);
  }

  /** Leaves the run; the last thread out tells the coordinator. */
  private leave(): void {
    const { i32 } = this;
    if (Atomics.sub(i32, this.remaining, 1) !== 1) return;
    if (this.init.completion === 'message') {
      this.post({ type: 'done', generation: this.seen });
    } else {
      Atomics.store(i32, this.done, 1);
      Atomics.notify(i32, this.done);
    }
  }
}

/** Wires the protocol to a message port (`post` sends to the coordinator). */
function serve(post: (message: FromWorker) => void): (message: ToWorker) => void {
  let thread: PoolThread | undefined;
  return (message) => {
    if (message.type === 'init') {
      thread = new PoolThread(message, post);
      post({ type: 'ready' });
    } else {
      thread!.load(message.program, message.generation);
    }
  };
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

if (isNode) {
  const { parentPort } = await import('node:worker_threads');
  if (!parentPort) throw new Error('inception-wasm: worker.ts is a worker entry; it was loaded on the main thread');
  const port = parentPort;
  port.on('message', serve((m) => port.postMessage(m)));
} else {
  // A dedicated module worker: attach the handler synchronously so no early message is missed.
  const scope = globalThis as unknown as {
    postMessage(message: FromWorker): void;
    onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  };
  const handle = serve((m) => scope.postMessage(m));
  scope.onmessage = (e) => handle(e.data);
}
