/**
 * tfjs-backend-wasm on the TF.js form of our graph (bench/peers/tfjs-graph.ts) with the case's
 * weights. One thread: the package's SIMD build as it ships. More threads: its threaded SIMD build,
 * which it disables under Node, switched on by bench/peers/tfjs-threads.ts (the row says so).
 */
import { readCase, readCaseWeights } from './artifacts.js';
import { buildCaseGraph } from './case-graph.js';
import { resolvePeer } from './peer-modules.js';
import type { LoadedRuntime, LoadOptions } from './runtimes.js';
import { buildTfjsModel, type Tf } from './tfjs-graph.js';
import { initTfjsWasm, type TfjsWasmBackendModule } from './tfjs-threads.js';

export async function loadTfjsWasm({ files, threads }: LoadOptions): Promise<LoadedRuntime> {
  const pkg = resolvePeer('@tensorflow/tfjs-backend-wasm');
  const bundlePath = pkg.require.resolve(pkg.dir);
  const backend = pkg.require(bundlePath) as TfjsWasmBackendModule;
  // tfjs-core as the backend itself resolves it, so both share one engine instance.
  const tf = pkg.require('@tensorflow/tfjs-core') as Tf;
  const init = await initTfjsWasm(tf, backend, bundlePath, threads);
  const graph = buildCaseGraph(readCase(files));
  const model = buildTfjsModel(tf, graph, readCaseWeights(files, graph));
  return {
    version: pkg.version,
    build: init.build,
    threads: init.threads,
    notes: threads > 1 ? ['threaded build switched on under Node by bench/peers/tfjs-threads.ts'] : [],
    run: async (input) => model.run(input),
    dispose: async () => model.dispose(),
  };
}
