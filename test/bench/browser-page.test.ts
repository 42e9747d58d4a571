/**
 * The --browser page driver (bench/peers/browser-host.ts, browser-server.ts, browser-page.ts) once,
 * small: our engine in a headless Chromium page on a googlenet 64 px case, two threads (so the
 * page must be cross-origin isolated and our module workers must load through the bench server),
 * its first output against the same case run by our engine in this Node process, then the
 * protocol's warm-up, timed run and exit. A case folder that is not there must fail at load with
 * the file's URL and HTTP status. Skips, saying why, without Chromium or playwright-core. No timing assertions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserUnavailable, DEFAULT_CHROMIUM, launchBrowserHost } from '../../bench/peers/browser-host.js';
import { readCaseInput } from '../../bench/peers/artifacts.js';
import { benchCase } from '../../bench/peers/case-graph.js';
import type { RuntimeHost } from '../../bench/peers/host.js';
import { checkOutput } from '../../bench/peers/stats.js';
import { writeCaseFiles } from '../../bench/peers/write-case.js';
import { createSession } from '../../src/session.js';

const SKIP = (await browserUnavailable(DEFAULT_CHROMIUM)) ?? '';

describe.skipIf(SKIP !== '')(`bench page driver in headless Chromium${SKIP ? ` (skipped: ${SKIP})` : ''}`, () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-page-'));
  let host: RuntimeHost;
  let nodeLogits: Float32Array;
  let caseDir: string;

  beforeAll(async () => {
    const { files, graph, weights } = writeCaseFiles(benchCase('googlenet', 64), path.join(work, 'googlenet-64'));
    caseDir = files.dir;
    const session = await createSession({ graph, weights, threads: 1 });
    try {
      nodeLogits = (await session.run(readCaseInput(files))).logits;
    } finally {
      await session.dispose();
    }
    host = await launchBrowserHost({ chromium: DEFAULT_CHROMIUM, root: work });
  }, 60_000);

  afterAll(async () => {
    await host?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('ours, 2 threads in an isolated page: same logits as in Node, then warm-up, a timed run, exit', async () => {
    const { child, ready } = await host.start({ runtime: 'ours', caseDir, threads: 2, oursFrom: 'src', oursBuild: 'auto' });
    try {
      expect(ready.threads).toBe(2);
      expect(['baseline', 'relaxed']).toContain(ready.build);
      expect(ready.features?.simd).toBe(true);
      expect(typeof ready.features?.relaxedDotI8).toBe('boolean');
      const check = checkOutput(nodeLogits, ready.logits, 1e-4);
      console.log(`page vs Node logits: max |Δ| ${check.maxAbsDiff.toExponential(2)} = ${check.relative.toExponential(2)} × std; ` +
        `Chromium features ${JSON.stringify(ready.features)}`);
      expect(check.ok).toBe(true);
      await child.request({ type: 'warmup', runs: 1 }, 'warmedUp');
      expect((await child.request({ type: 'time' }, 'timed')).ms).toBeGreaterThan(0);
    } finally {
      await child.finish();
    }
  }, 90_000);

  it('a case folder that is not served fails at load, naming the HTTP status', async () => {
    await expect(host.start({ runtime: 'ours', caseDir: path.join(work, 'absent'), threads: 1, oursFrom: 'src' }))
      .rejects.toThrow(/failed at load: .*\/case\/absent\/[\w.]+: HTTP 404/);
  }, 60_000);
});
