import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:fast`: the tests that check one part at a time — kernels, bindings and the pool,
 * the graph engine, the session's options and API, the loaders' small cases — in under a minute.
 * Left to `npm test`: whole networks (reference logits, every network at 1–3 threads, exports of
 * whole networks), soak and fuzz runs, the browser and the command line (child processes), and
 * the benchmark harness. A new test file joins the fast set by being listed here.
 */
export default defineConfig({
  ...base,
  test: {
    // Spread, not mergeConfig: that would append this list to the base config's `test/**`.
    ...base.test,
    // Files share a worker's module cache (about 64 s → 40 s on the 2-core dev machine); `npm test` keeps every file isolated,
    // so a test that leaks state into another still fails there.
    isolate: false,
    include: [
      'test/module-shape.test.ts',
      'test/kernels/**/*.test.ts',
      'test/bindings/**/*.test.ts',
      'test/graph/**/*.test.ts',
      'test/ops/**/*.test.ts',
      'test/io/**/*.test.ts',
      'test/image/**/*.test.ts',
      'test/reliability/session-api.test.ts',
      'test/reliability/session-errors.test.ts',
      'test/onnx/protobuf.test.ts',
      'test/onnx/import-errors.test.ts',
      'test/onnx/import-limits.test.ts',
      'test/onnx/import-ops.test.ts',
      'test/onnx/outputs-nchw.test.ts',
      'test/onnx/export-graph.test.ts',
      'test/tfjs/errors.test.ts',
      'test/tfjs/keras-layers.test.ts',
      'test/tfjs/weight-dtypes.test.ts',
    ],
  },
});
