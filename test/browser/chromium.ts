/**
 * Headless Chromium for the browser tests (browser.test.ts, int8-dot*.test.ts): Debian's `chromium`
 * driven by playwright-core with `executablePath` (never a browser download), one page on
 * scripts/serve-example.mjs serving the repository root with COOP/COEP (so the page may create
 * shared memories and workers, and import dist/ and build/ by URL).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
// @ts-expect-error — a plain .mjs script without type declarations
import { startServer } from '../../scripts/serve-example.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CHROMIUM = '/usr/bin/chromium';

async function loadPlaywright(): Promise<typeof import('playwright-core') | undefined> {
  try {
    return await import('playwright-core');
  } catch {
    return undefined;
  }
}
/** playwright-core, or undefined where it is not installed (chromiumSkipReason says so). */
export const playwright = await loadPlaywright();

/** Why these tests cannot run here ('' when they can): Chromium, playwright-core and the repository files they load. */
export function chromiumSkipReason(files: readonly string[]): string {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} is absent (install Debian's package: apt-get install chromium)`;
  if (!playwright) return 'playwright-core is not installed (npm i -D playwright-core)';
  const missing = files.find((f) => !existsSync(path.join(ROOT, f)));
  if (missing) return `${missing} is not built (npm run build)`;
  return '';
}

/** Rejects after `ms` (page.evaluate has no timeout of its own): a test must not hang. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface ChromiumPage {
  page: Page;
  /** The server's base URL (ends in '/'): build/…, dist/… are below it. */
  url: string;
  /** Uncaught page errors so far. */
  errors: string[];
  close(): Promise<void>;
}

/** Starts the server and Chromium and opens one cross-origin isolated page on the repository's origin. */
export async function openChromiumPage(stepMs: number): Promise<ChromiumPage> {
  const server = (await startServer({ port: 0, isolation: true })) as { url: string; close(): Promise<void> };
  let browser: Browser | undefined;
  try {
    browser = await playwright!.chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: stepMs,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
    });
    const page = await browser.newPage();
    page.setDefaultTimeout(stepMs);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Any document of the origin will do: the tests import modules and fetch wasm by URL.
    await page.goto(`${server.url}package.json`);
    const opened = browser;
    return {
      page, url: server.url, errors,
      close: async () => {
        await withTimeout(opened.close(), 20_000, 'closing Chromium').catch(() => undefined);
        await server.close();
      },
    };
  } catch (e) {
    await browser?.close().catch(() => undefined);
    await server.close();
    throw e;
  }
}

/** Base64 of bytes (page.evaluate carries strings far faster than number arrays). */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}
