/**
 * The browser example end to end, in headless Chromium (Debian's `chromium` package driven by
 * `playwright-core` with `executablePath`; never a browser download).
 *
 * Serves the repository with scripts/serve-example.mjs twice (with and without COOP/COEP) on free
 * loopback ports, opens examples/browser/ in each, and calls the page's test hooks
 * (`window.classifyUrl`, `window.classifyPixels`). Checks: threads > 1 and no warning when
 * isolated, with the main thread free while it runs; one thread and the one COOP/COEP warning when
 * not; and the Node path's top-1 on a fixture photo (through the browser's own JPEG decoder, and
 * through jpeg-js pixels, where the logits must match too).
 *
 * Needs `npm run build` (the page imports dist/, which loads build/*.wasm). Skips, saying why,
 * without /usr/bin/chromium, playwright-core, the build or ../shared/fixtures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';
import { CHROMIUM, chromiumSkipReason, playwright, ROOT, withTimeout } from './chromium.js';
import { createSession, loadImage, preprocess, softmax, topK, IMAGENET_CLASSES } from '../../src/index.js';
// @ts-expect-error — a plain .mjs script without type declarations
import { startServer } from '../../scripts/serve-example.mjs';

const STEP_MS = 60_000;

const SKIP = chromiumSkipReason(['dist/index.js', 'build/baseline-shared.wasm']);
const SKIP_NOTE = SKIP ? ` (skipped: ${SKIP})` : '';

interface PageResult {
  top: { index: number; label: string; probability: number }[];
  logits: number[];
  threads: number;
  build: string;
  warnings: string[];
  crossOriginIsolated: boolean;
  ms: number;
}

interface Server {
  url: string;
  close(): Promise<void>;
}

const HOPPER = 'images/tf/grace_hopper.jpg';
const OPTS = { model: 'googlenet', inputSize: 224 };

describe.skipIf(SKIP !== '')(`browser example in headless Chromium${SKIP_NOTE}`, () => {
  let context: BrowserContext;
  let userDataDir: string;
  const servers: Record<'isolated' | 'plain', Server | undefined> = { isolated: undefined, plain: undefined };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    servers.isolated = await startServer({ port: 0, isolation: true });
    servers.plain = await startServer({ port: 0, isolation: false });
    userDataDir = mkdtempSync(path.join(tmpdir(), 'inception-wasm-chromium-'));
    context = await playwright!.chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: STEP_MS,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await withTimeout(context?.close() ?? Promise.resolve(), 20_000, 'closing Chromium').catch(() => undefined);
    await Promise.all(Object.values(servers).map((s) => s?.close()));
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  async function openExample(kind: 'isolated' | 'plain'): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (e) => pageErrors.push(`${kind}: ${e.message}`));
    await page.goto(`${servers[kind]!.url}examples/browser/`);
    await page.waitForFunction(() => (window as unknown as { inceptionReady?: boolean }).inceptionReady === true);
    return page;
  }

  function classifyUrl(page: Page, url: string, opts: object): Promise<PageResult> {
    return withTimeout(
      page.evaluate(([u, o]) => (window as any).classifyUrl(u, o), [url, opts] as const),
      STEP_MS, `classifyUrl(${url})`,
    );
  }

  it('isolated (COOP/COEP): several threads, no warning, the main thread stays free during a run', async () => {
    const page = await openExample('isolated');
    try {
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      // Explicit 2 threads (works on any core count), then the default (one per core).
      const result = await withTimeout(
        page.evaluate(async (o) => {
          let ticks = 0;
          const timer = setInterval(() => ticks++, 5);
          const out = await (window as any).classifyPixels({ width: 2, height: 2, data: [0, 0, 0, 255, 255, 255, 9, 9, 9, 90, 90, 90] }, o);
          clearInterval(timer);
          return { ...out, ticks };
        }, { ...OPTS, threads: 2 }),
        STEP_MS, 'classifyPixels (threads: 2)',
      ) as PageResult & { ticks: number };
      expect(result.crossOriginIsolated).toBe(true);
      expect(result.threads).toBe(2);
      expect(result.warnings).toEqual([]);
      expect(result.ticks, 'timer ticks on the main thread while the session was created and run').toBeGreaterThan(0);

      const byDefault = await withTimeout(
        page.evaluate((o) => (window as any).classifyPixels({ width: 1, height: 1, data: [1, 2, 3] }, o), { ...OPTS, threads: 0 }),
        STEP_MS, 'classifyPixels (threads: 0)',
      ) as PageResult;
      expect(byDefault.threads).toBe(cores);
      if (cores > 1) expect(byDefault.threads).toBeGreaterThan(1);
    } finally {
      await page.close();
    }
    expect(pageErrors).toEqual([]);
  });

  it('not isolated: one thread and exactly one warning naming COOP/COEP', async () => {
    const page = await openExample('plain');
    try {
      const result = await withTimeout(
        page.evaluate((o) => (window as any).classifyPixels({ width: 1, height: 1, data: [1, 2, 3] }, o), { ...OPTS, threads: 0 }),
        STEP_MS, 'classifyPixels (not isolated)',
      ) as PageResult;
      expect(result.crossOriginIsolated).toBe(false);
      expect(result.threads).toBe(1);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]).toMatch(/single-threaded/);
      expect(result.warnings[0]).toContain('Cross-Origin-Opener-Policy: same-origin');
      expect(result.warnings[0]).toContain('Cross-Origin-Embedder-Policy: require-corp');
    } finally {
      await page.close();
    }
    expect(pageErrors).toEqual([]);
  });

  describe.skipIf(!FIXTURES_AVAILABLE)(`the Node path's answer on ${HOPPER}${FIXTURES_SKIP_REASON}`, () => {
    let node: { top1: number; logits: Float32Array; width: number; height: number; rgb: Uint8Array };

    beforeAll(async () => {
      const image = await loadImage(fixturePath(HOPPER));
      const session = await createSession({ ...OPTS, weights: 'seeded', threads: 1, warn: () => undefined });
      try {
        const input = preprocess(image, { preset: 'torchvision-transform-input', size: [224, 224] });
        const { logits } = await session.run(input);
        node = { top1: topK(softmax(logits), 1)[0].index, logits, width: image.width, height: image.height, rgb: image.data };
      } finally {
        await session.dispose();
      }
    });

    it('same pixels (jpeg-js) in the page, 2 threads: same top-1 and logits within 1e-3 of the largest', async () => {
      const page = await openExample('isolated');
      try {
        const pixels = { width: node.width, height: node.height, data: Buffer.from(node.rgb).toString('base64') };
        const result = await withTimeout(
          page.evaluate(([p, o]) => (window as any).classifyPixels(p, o), [pixels, { ...OPTS, threads: 2 }] as const),
          STEP_MS, 'classifyPixels (fixture)',
        ) as PageResult;
        expect(result.threads).toBe(2);
        expect(result.top[0].index).toBe(node.top1);
        expect(result.top[0].label).toBe(IMAGENET_CLASSES[node.top1]);
        const scale = Math.max(...node.logits.map(Math.abs));
        const worst = Math.max(...result.logits.map((v, i) => Math.abs(v - node.logits[i])));
        expect(worst / scale).toBeLessThan(1e-3);
      } finally {
        await page.close();
      }
    });

    it('the page itself: picking the photo in the file input shows 5 rows, the first the Node top-1', async () => {
      const page = await openExample('isolated');
      try {
        await page.setInputFiles('#image', fixturePath(HOPPER));
        await page.waitForFunction(() => document.querySelectorAll('#top tr').length === 5);
        const first = await page.textContent('#top tr:first-child');
        expect(first).toContain(IMAGENET_CLASSES[node.top1]);
        expect(first).toContain(`#${node.top1}`);
        const cores = await page.evaluate(() => navigator.hardwareConcurrency);
        expect(await page.textContent('#status')).toContain(`threads ${cores} `);
      } finally {
        await page.close();
      }
      expect(pageErrors).toEqual([]);
    });

    it("the browser's own JPEG decoder (fetch → canvas → ImageData): same top-1, logits within 2e-2", async () => {
      const page = await openExample('isolated');
      try {
        const result = await classifyUrl(page, `/shared/fixtures/${HOPPER}`, OPTS);
        expect(result.top).toHaveLength(5);
        expect(result.top[0].index).toBe(node.top1);
        // Seeded weights make the top-1 nearly input-blind, so check the logits too. The decoders
        // differ (libjpeg-turbo vs jpeg-js: up to ~70 levels on a few pixels), hence a loose bound.
        const scale = Math.max(...node.logits.map(Math.abs));
        const worst = Math.max(...result.logits.map((v, i) => Math.abs(v - node.logits[i])));
        console.log(`browser decoder vs jpeg-js: max logit difference ${(worst / scale).toExponential(2)} of the largest logit`);
        expect(worst / scale).toBeLessThan(0.02);
      } finally {
        await page.close();
      }
      expect(pageErrors).toEqual([]);
    });
  });
});
