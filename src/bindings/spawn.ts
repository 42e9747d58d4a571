/**
 * Starting pool workers: Node (`worker_threads`) or browsers (module workers). Both give the
 * coordinator the same handle and the same two events, so it never asks which runtime it is on.
 */

import type { FromWorker, ToWorker } from './protocol.js';
import { describeError } from './protocol.js';

export interface WorkerHandle {
  post(message: ToWorker): void;
  terminate(): Promise<void>;
  /** Node: keep the process alive while an operation waits on this worker. */
  setRef(ref: boolean): void;
}

export interface WorkerEvents {
  message(message: FromWorker): void;
  /** The worker is gone; `reason` completes "worker N …". */
  lost(reason: string): void;
}

export type SpawnWorker = (index: number, events: WorkerEvents) => WorkerHandle;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export async function workerSpawner(): Promise<SpawnWorker> {
  return isNode ? nodeSpawner() : browserSpawner();
}

async function nodeSpawner(): Promise<SpawnWorker> {
  const { Worker } = await import('node:worker_threads');
  const entry = nodeWorkerEntry();
  return (index, events) => {
    const options = { name: `inception-wasm pool worker ${index}` };
    const w = 'url' in entry ? new Worker(entry.url, options) : new Worker(entry.code, { ...options, eval: true });
    w.on('message', events.message);
    w.on('error', (e: Error) => events.lost(`crashed: ${describeError(e)}`));
    w.on('messageerror', (e: Error) => events.lost(`could not read a message: ${describeError(e)}`));
    w.on('exit', (code: number) => events.lost(`exited (code ${code})`));
    w.unref();
    return {
      post: (m) => w.postMessage(m),
      terminate: async () => {
        await w.terminate();
      },
      setRef: (ref) => (ref ? w.ref() : w.unref()),
    };
  };
}

/**
 * The worker entry in Node. Compiled (dist/bindings/spawn.js): `./worker.js` beside this file.
 * From TypeScript sources (vitest, tsx: this file's URL ends in `.ts`) Node cannot load `.ts` in a
 * worker, and `execArgv: ['--import', 'tsx']` is not honoured for workers (Node 20.20: "Unknown
 * file extension .ts"), so the worker starts from a two-line eval'd bootstrap that registers
 * tsx's ESM loader, then imports worker.ts. tsx adds ~0.2 s per worker start; dist/ does not.
 */
function nodeWorkerEntry(): { url: URL } | { code: string } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { url: new URL('./worker.js', here) };
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const workerTs = new URL('./worker.ts', here).href;
  return {
    code: `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(workerTs)}); });`,
  };
}

/** Browsers: a module worker; there is no `exit` event, a crash shows as `error` (test/browser runs it in Chromium). */
async function browserSpawner(): Promise<SpawnWorker> {
  return (index, events) => {
    // Written out literally so that bundlers (Vite, webpack 5) see and emit the worker entry.
    const w = new Worker(new URL('./worker.js', import.meta.url), {
      type: 'module',
      name: `inception-wasm pool worker ${index}`,
    });
    w.onmessage = (e: MessageEvent<FromWorker>) => events.message(e.data);
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      events.lost(`crashed: ${e.message}`);
    };
    w.onmessageerror = () => events.lost('could not read a message');
    return {
      post: (m) => w.postMessage(m),
      terminate: async () => w.terminate(),
      setRef: () => undefined,
    };
  };
}
