/**
 * tfjs-backend-wasm's threaded build under Node. The backend turns it off there
 * (`WASM_HAS_MULTITHREAD_SUPPORT` is false when `IS_NODE`, tensorflow/tfjs#3830) because it hands
 * Emscripten's pthread workers *blob URLs* — the worker script and the main script — which Node's
 * `worker_threads` cannot load. The build itself runs fine in Node once those two scripts are files:
 *
 * 1. set the flag to true before the backend initialises;
 * 2. while it initialises, record the text of the Blobs it makes (a Blob subclass on `globalThis`)
 *    and answer `URL.createObjectURL` for the worker Blob with the path of a `.cjs` file holding
 *    that text, prefixed so that inside the worker `URL.createObjectURL(mainScriptBlob)` returns
 *    the path of a second file holding the main script (the worker then `importScripts` it);
 * 3. report twice the wanted thread count as logical cores while the module starts: its C++ caps
 *    the pool at `emscripten_num_logical_cores() / 2` ("many x86-64 processors have 2 threads per
 *    core"), which is 1 on a 2-vCPU machine — in a browser there too (hardwareConcurrency 2).
 *
 * Everything else (the wasm binary, `setThreadsCount`) is the package's own. The patch is undone
 * once the backend is ready; the files live in a temporary folder removed at exit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Tf } from './tfjs-graph.js';

const MAIN_SCRIPT_MARK = 'var WasmBackendModuleThreadedSimd';

export interface TfjsWasmBackendModule {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/**
 * Initialises the 'wasm' backend of `tf` with `threads` threads (1 = the plain SIMD build).
 * Returns the build the backend loaded and its thread count as XNNPACK reports it.
 */
export async function initTfjsWasm(
  tf: Tf, backend: TfjsWasmBackendModule, bundlePath: string, threads: number,
): Promise<{ build: string; threads: number }> {
  if (threads <= 1) {
    await tf.setBackend('wasm');
    await tf.ready();
    return { build: 'simd', threads: 1 };
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfjs-wasm-threads-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const mainScript = path.join(dir, 'tfjs-backend-wasm-threaded-simd.main.js');
  const workerScript = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');

  // The main script is the factory's source text as the package's Node bundle holds it: it names
  // the bundle's module-level `require$$N` aliases of Node built-ins and rollup's `commonjsGlobal`.
  const bundle = readFileSync(bundlePath, 'utf8');
  const aliases = [...bundle.matchAll(/^var (require\$\$\d+) = require\('([\w:]+)'\);$/gm)].map((m) => `var ${m[1]} = require(${JSON.stringify(m[2])});`);
  const bundlePrelude = `${aliases.join('\n')}\nvar commonjsGlobal = globalThis;\n`;

  const OriginalBlob = globalThis.Blob;
  const originalCreateObjectURL = URL.createObjectURL;
  const blobText = new WeakMap<Blob, string>();
  globalThis.Blob = class RecordingBlob extends OriginalBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      const text = (parts ?? []).every((p) => typeof p === 'string') ? (parts as string[]).join('') : undefined;
      if (text === undefined) return;
      blobText.set(this, text);
      if (text.startsWith(MAIN_SCRIPT_MARK)) writeFileSync(mainScript, bundlePrelude + text);
    }
  };
  URL.createObjectURL = (obj: Blob | MediaSource): string => {
    const text = obj instanceof OriginalBlob ? blobText.get(obj) : undefined;
    if (text === undefined || text.startsWith(MAIN_SCRIPT_MARK)) return originalCreateObjectURL(obj);
    // The worker script: inside the worker, the main-script Blob it is sent resolves to our file.
    writeFileSync(workerScript, `URL.createObjectURL = () => ${JSON.stringify(mainScript)};\n${text}`);
    return workerScript;
  };
  const originalCpus = os.cpus;
  os.cpus = () => {
    const cpus = originalCpus();
    return Array.from({ length: 2 * threads }, (_, i) => cpus[i % cpus.length]);
  };
  try {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    backend.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed with threads on');
    await tf.ready();
  } finally {
    os.cpus = originalCpus;
    globalThis.Blob = OriginalBlob;
    URL.createObjectURL = originalCreateObjectURL;
  }
  return { build: 'simd-threaded (Node patch)', threads: backend.getThreadsCount() };
}
