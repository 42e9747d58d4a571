/**
 * One runtime in a headless Chromium page: the browser analogue of bench/peers/child.ts. Served
 * (transpiled) by bench/peers/browser-server.ts at /bench/peers/browser-page.js and driven by
 * bench/peers/browser-host.ts through `window.benchPage.handle(message)`, one message at a time,
 * with the replies of bench/peers/protocol.ts (logits as plain arrays: they cross page.evaluate).
 *
 * The loaders mirror the Node ones, reading the case files over HTTP (/case/…):
 * - ours: `createSession` from /src/ (transpiled per module) or /dist/, the graph built by the
 *   same copy; int8 with `calibration: { inputs }` from calibration.bin. `build` as asked ('auto'
 *   takes the relaxed build where relaxed SIMD compiles: Chromium has it on);
 * - onnxruntime-web: the package's `onnxruntime-web/wasm` browser entry (ort.wasm.bundle.min.mjs),
 *   `env.wasm.numThreads` = threads (n > 1: its pthread workers, the page being isolated);
 * - tfjs-backend-wasm: tfjs-core and the backend's browser builds (their UMD files), our graph
 *   mapped by bench/peers/tfjs-graph.ts. One thread: the plain SIMD build, as under Node. More:
 *   the threaded SIMD build, with `navigator.hardwareConcurrency` reported as 2 × threads while it
 *   starts (its C++ caps the pool at cores / 2: bench/peers/tfjs-threads.ts).
 * Only this module and what it imports by URL load in the page; it imports no Node module.
 */
import { caseBuildOptions, splitImages, splitWeights, type BenchCase } from './case-format.js';
import { oursFeatures, timeSplit } from './ours-info.js';
import type { ChildArgs, FromChild, ToChild } from './protocol.js';
import type { LoadedRuntime } from './runtimes.js';
import type { Tf } from './tfjs-graph.js';

/** What the host sends: start a runtime on a case, only load a runtime's code, or a child message. */
export type PageMessage = { type: 'start'; args: ChildArgs } | { type: 'prime'; args: ChildArgs } | ToChild;
/** The replies: FromChild with the logits as a plain array. */
export type PageReply =
  | (Omit<Extract<FromChild, { type: 'ready' }>, 'logits'> & { logits: number[] })
  | Exclude<FromChild, { type: 'ready' }>;

// Module URLs held in variables: the transpiled page must not make TypeScript resolve them.
const ORT_WEB = '/peer/onnxruntime-web/ort.wasm.bundle.min.mjs';
const TFJS_SCRIPTS = ['/peer/tfjs-core/tf-core.min.js', '/peer/tfjs-backend-wasm/tf-backend-wasm.min.js'];
const importUrl = (url: string): Promise<any> => import(url);

async function fetchFloats(url: string): Promise<Float32Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Float32Array(await res.arrayBuffer());
}

async function fetchCase(caseUrl: string): Promise<BenchCase> {
  const res = await fetch(`${caseUrl}/case.json`);
  if (!res.ok) throw new Error(`${caseUrl}/case.json: HTTP ${res.status}`);
  return (await res.json()) as BenchCase;
}

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(s);
  });
}

const oursBase = (args: ChildArgs) => (args.oursFrom === 'dist' ? '/dist/' : '/src/');

/** Imports a runtime's code (nothing of the case); returns the function that loads it on one. */
async function importRuntime(args: ChildArgs): Promise<(args: ChildArgs) => Promise<LoadedRuntime>> {
  switch (args.runtime) {
    case 'ours': {
      const [{ createSession }, { buildNetwork }] = await Promise.all([importUrl(`${oursBase(args)}session.js`), importUrl(`${oursBase(args)}inception/models.js`)]);
      return async ({ caseDir, threads, precision, oursBuild = 'auto' }) => {
        const c = await fetchCase(caseDir);
        const graph = buildNetwork(c.model, caseBuildOptions(c));
        const weights = splitWeights(await fetchFloats(`${caseDir}/weights.bin`), graph, 'weights.bin');
        const int8 = precision === 'int8'
          ? { precision: 'int8', calibration: { inputs: splitImages(await fetchFloats(`${caseDir}/calibration.bin`), c.inputSize, 'calibration.bin') } }
          : {};
        const session = await createSession({ graph, weights, threads, build: oursBuild, warn: () => undefined, ...int8 });
        return {
          version: '', build: session.info.build, threads: session.info.threads, arenaBytes: session.info.peakArenaBytes,
          features: oursFeatures(session.info.features),
          notes: [args.oursFrom === 'dist' ? 'loaded from dist/ (compiled)' : 'loaded from src/, each module transpiled by the bench server (no bundle)'],
          run: async (x: Float32Array) => (await session.run(x)).logits as Float32Array,
          profile: async () => timeSplit(await session.profile({ repeats: 3 })),
          dispose: () => session.dispose(),
        };
      };
    }
    case 'ort-web': {
      const ort = await importUrl(ORT_WEB);
      return async ({ caseDir, threads, precision }) => {
        const c = await fetchCase(caseDir);
        ort.env.logLevel = 'error';
        ort.env.wasm.numThreads = threads;
        ort.env.wasm.simd = true;
        ort.env.wasm.proxy = false;
        ort.env.wasm.wasmPaths = new URL('./', new URL(ORT_WEB, location.href)).href;
        const bytes = new Uint8Array(await (await fetch(`${caseDir}/${precision === 'int8' ? 'model-int8.onnx' : 'model.onnx'}`)).arrayBuffer());
        const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', executionMode: 'sequential' });
        const [inputName] = session.inputNames, [outputName] = session.outputNames;
        const dims = [1, 3, c.inputSize, c.inputSize];
        return {
          version: '', build: 'simd-threaded', threads: ort.env.wasm.numThreads ?? threads, notes: [],
          run: async (x: Float32Array) => Float32Array.from((await session.run({ [inputName]: new ort.Tensor('float32', x, dims) }))[outputName].data),
          dispose: () => session.release(),
        };
      };
    }
    case 'tfjs-wasm': {
      for (const src of TFJS_SCRIPTS) await loadScript(src);
      const [{ buildTfjsModel }, { buildNetwork }] = await Promise.all([importUrl('/bench/peers/tfjs-graph.js'), importUrl('/src/inception/models.js')]);
      return async ({ caseDir, threads }) => {
        const tf = (globalThis as unknown as { tf: Tf & { wasm: TfWasm } }).tf;
        const threaded = await initTfjsWasm(tf, threads);
        const c = await fetchCase(caseDir);
        const graph = buildNetwork(c.model, caseBuildOptions(c));
        const model = buildTfjsModel(tf, graph, splitWeights(await fetchFloats(`${caseDir}/weights.bin`), graph, 'weights.bin'));
        return {
          version: '', build: threaded ? 'simd-threaded' : 'simd', threads: tf.wasm.getThreadsCount(),
          notes: threaded ? ['navigator.hardwareConcurrency reported as 2 × threads while the backend started (its pool is capped at cores / 2)'] : [],
          run: async (x: Float32Array) => model.run(x),
          dispose: async () => model.dispose(),
        };
      };
    }
    case 'ort-node':
      throw new Error('onnxruntime-node is native: it has no page form');
  }
}

interface TfWasm {
  setWasmPaths(prefix: string): void;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/** The 'wasm' backend with `threads` threads (module comment); returns whether the threaded build runs. */
async function initTfjsWasm(tf: Tf & { wasm: TfWasm }, threads: number): Promise<boolean> {
  tf.wasm.setWasmPaths(new URL('/peer/tfjs-backend-wasm/', location.href).href);
  if (threads <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  else tf.wasm.setThreadsCount(threads);
  const own = Object.getOwnPropertyDescriptor(Navigator.prototype, 'hardwareConcurrency');
  if (threads > 1) Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { configurable: true, get: () => 2 * threads });
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    await tf.ready();
  } finally {
    if (own) Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', own);
  }
  return threads > 1;
}

let runtime: LoadedRuntime | undefined;
let input: Float32Array | undefined;

async function handle(m: PageMessage): Promise<PageReply> {
  let stage: string = m.type;
  try {
    switch (m.type) {
      case 'prime':
        await importRuntime(m.args);
        return { type: 'warmedUp' };
      case 'start': {
        stage = 'import';
        let t = performance.now();
        const load = await importRuntime(m.args);
        const importMs = performance.now() - t;
        stage = 'load';
        t = performance.now();
        input = await fetchFloats(`${m.args.caseDir}/input.bin`);
        runtime = await load(m.args);
        const loadMs = performance.now() - t;
        stage = 'first run';
        t = performance.now();
        const first = await runtime.run(input);
        const firstRunMs = performance.now() - t;
        return {
          type: 'ready', logits: Array.from(first), version: runtime.version, build: runtime.build, threads: runtime.threads,
          arenaBytes: runtime.arenaBytes, notes: runtime.notes, features: runtime.features,
          processStartToOutputMs: performance.now(), importMs, loadMs, firstRunMs,
        };
      }
      case 'warmup':
        for (let i = 0; i < m.runs; i++) await runtime!.run(input!);
        return { type: 'warmedUp' };
      case 'time': {
        const start = performance.now();
        await runtime!.run(input!);
        return { type: 'timed', ms: performance.now() - start };
      }
      case 'profile':
        return { type: 'profiled', split: await runtime!.profile?.() };
      case 'exit':
        await runtime?.dispose().catch(() => undefined);
        runtime = undefined;
        return { type: 'done', peakRssBytes: NaN };
    }
  } catch (e) {
    return { type: 'failed', stage, message: (e as Error).stack ?? String(e) };
  }
}

(globalThis as unknown as { benchPage: { handle: typeof handle } }).benchPage = { handle };
