/**
 * An int8 session in headless Chromium gives the same output bytes on the relaxed build, whose
 * `i8conv` steps run the relaxed-dot kernels there (Chromium's V8 computes the instruction right:
 * `features().relaxedDotI8`), as on the baseline build (i8_gemm on dot_i16x8_s), at one and two
 * threads: GoogLeNet at 96 px and Inception-v3 at 107 px, seeded weights, calibrated on two seeded
 * inputs, run on a third. That the dot kernels ran (and the i16 ones did not, for those steps) is
 * counted in the page: its kernel instances are wrapped (one thread: the calls happen on the page's
 * own thread), so a session that silently fell back to i8_gemm fails here.
 *
 * Needs `npm run build` (the page imports dist/, which loads build/*.wasm). Skips, saying why,
 * without /usr/bin/chromium, playwright-core or the build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, openChromiumPage, withTimeout, type ChromiumPage } from './chromium.js';

const SKIP = chromiumSkipReason(['dist/index.js', 'build/relaxed-shared.wasm', 'build/baseline-shared.wasm']);
const SKIP_NOTE = SKIP ? ` (skipped: ${SKIP})` : '';
const STEP_MS = 240_000;

interface PageSession {
  build: string;
  threads: number;
  relaxedDotI8: boolean;
  /** Output logits as base64 of their f32 bytes. */
  logits: string;
  /** Kernel calls during one run (one-thread sessions only; workers' calls are not seen). */
  calls?: Record<string, number>;
}

/**
 * In the page: for each (build, threads) an int8 session of `model` at `inputSize` (seeded
 * weights, calibration on seeds 1001 and 1002), one run on seed 42; the logits' bytes and, at one
 * thread, the int8 GEMM calls of that run. Self-contained: it is serialized into the page.
 */
async function pageSessions(arg: { model: string; inputSize: number; runs: Array<{ build: string; threads: number }> }): Promise<PageSession[]> {
  // Through Function: vitest rewrites a literal import() in this file, and this function runs in the page.
  const load = new Function('url', 'return import(url)') as (url: string) => Promise<any>;
  const lib = await load('/dist/index.js');
  const s = arg.inputSize;
  const calibration = { inputs: [1001, 1002].map((seed) => lib.seededInputNCHW(1, 3, s, s, seed)) };
  const input = lib.seededInputNCHW(1, 3, s, s, 42);
  const counted = ['i8_gemm', 'i8_gemm_f32', 'i8_gemm_dot', 'i8_gemm_dot_f32'];
  const out: PageSession[] = [];
  for (const { build, threads } of arg.runs) {
    const calls: Record<string, number> = Object.fromEntries(counted.map((name) => [name, 0]));
    const Instance = WebAssembly.Instance;
    // Kernel instances (those exporting i8_gemm) get counting wrappers; the probes' instances pass through.
    const Counting = function (module: WebAssembly.Module, imports?: WebAssembly.Imports) {
      const instance = new Instance(module, imports);
      const exports = instance.exports as Record<string, any>;
      if (typeof exports.i8_gemm !== 'function') return instance;
      const wrapped: Record<string, unknown> = { ...exports };
      for (const name of counted) {
        const f = exports[name];
        if (typeof f === 'function') wrapped[name] = (...a: number[]) => (calls[name]++, f(...a));
      }
      return { exports: wrapped };
    };
    (WebAssembly as any).Instance = Counting;
    let session: any;
    try {
      session = await lib.createSession({
        model: arg.model, inputSize: s, weights: 'seeded', precision: 'int8', calibration, build, threads, warn: () => undefined,
      });
    } finally {
      (WebAssembly as any).Instance = Instance;
    }
    try {
      for (const name of counted) calls[name] = 0;
      const { logits } = await session.run(input);
      const bytes = new Uint8Array(logits.buffer, logits.byteOffset, logits.byteLength);
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      out.push({
        build: session.info.build, threads: session.info.threads, relaxedDotI8: session.info.features.relaxedDotI8,
        logits: btoa(text), ...(threads === 1 ? { calls: { ...calls } } : {}),
      });
    } finally {
      await session.dispose();
    }
  }
  return out;
}

const CASES = [
  { model: 'googlenet', inputSize: 96 },
  { model: 'inception_v3', inputSize: 107 },
];

describe.skipIf(SKIP !== '')(`int8 session on the relaxed dot in headless Chromium${SKIP_NOTE}`, () => {
  let chromium: ChromiumPage;

  beforeAll(async () => {
    chromium = await openChromiumPage(STEP_MS);
  }, STEP_MS);

  afterAll(async () => {
    await chromium?.close();
  });

  for (const c of CASES) {
    it(`${c.model} at ${c.inputSize} px: relaxed (dot kernels) and baseline (i16) give the same bytes at 1 and 2 threads`, async () => {
      const runs = [
        { build: 'relaxed', threads: 1 }, { build: 'baseline', threads: 1 }, { build: 'relaxed', threads: 2 }, { build: 'baseline', threads: 2 },
      ];
      const got = await withTimeout(chromium.page.evaluate(pageSessions, { ...c, runs }), STEP_MS, `${c.model} sessions`);
      expect(got.map((r) => `${r.build}/${r.threads}`)).toEqual(runs.map((r) => `${r.build}/${r.threads}`));
      const [relaxed1, baseline1] = got;
      expect(relaxed1.relaxedDotI8, 'the probe in Chromium').toBe(true);
      // The relaxed session ran its int8 GEMM steps on the dot kernels; the baseline one never could.
      const r = relaxed1.calls!;
      const b = baseline1.calls!;
      console.log(`${c.model}@${c.inputSize}: relaxed run calls ${JSON.stringify(r)}; baseline run calls ${JSON.stringify(b)}`);
      expect(r.i8_gemm_dot, 'i8_gemm_dot calls in the relaxed run').toBeGreaterThan(10);
      expect(r.i8_gemm_dot_f32, 'the classifier on i8_gemm_dot_f32').toBeGreaterThan(0);
      expect(r.i8_gemm + r.i8_gemm_f32, 'i8_gemm calls left in the relaxed run (no conv has a −128 weight)').toBe(0);
      expect(b.i8_gemm_dot + b.i8_gemm_dot_f32).toBe(0);
      // The dot path runs more convs direct (tuning.ts int8WinogradDot: no 1-D Winograd), so it makes at least as many GEMM calls.
      expect(b.i8_gemm, 'i8_gemm calls in the baseline run').toBeGreaterThan(10);
      expect(r.i8_gemm_dot).toBeGreaterThanOrEqual(b.i8_gemm);
      expect(b.i8_gemm_f32).toBe(r.i8_gemm_dot_f32);
      for (const run of got.slice(1)) expect(run.logits, `${run.build}/${run.threads} logits bytes = relaxed/1`).toBe(relaxed1.logits);
    }, STEP_MS);
  }

  it('no page errors', () => {
    expect(chromium.errors).toEqual([]);
  });
});
