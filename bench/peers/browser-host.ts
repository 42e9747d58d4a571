/**
 * `npm run bench -- --browser`: every runtime in headless Chromium — Debian's `chromium` package
 * driven by playwright-core with `executablePath`, as test/browser/browser.test.ts does; never a
 * browser download — one fresh browser context and page per runtime and case (the analogue of a
 * fresh child process), each on an origin of its own so that it gets a renderer process of its
 * own (bench/peers/browser-server.ts). The page runs bench/peers/browser-page.ts; this module is
 * the `RuntimeHost` (bench/peers/host.ts) that drives it.
 *
 * What differs from the Node host:
 * - cold start = new context + page → first output (page load, the runtime's code fetched over
 *   loopback HTTP and compiled, the case files fetched, session creation, the first run); the
 *   floor (`startupMs`) is a page that loads only the driver;
 * - `prime` loads each runtime's code once in a throwaway page: the server's TypeScript
 *   transpile cache is warm, as tsx's cache is for the Node children (responses are `no-store`,
 *   so the browser itself caches nothing between pages);
 * - no peak RSS and no OS thread count: the page cannot see its process.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Ready } from './child-process.js';
import type { PageMessage, PageReply } from './browser-page.js';
import { PAGE_PATH, startBenchServer } from './browser-server.js';
import type { RuntimeHandle, RuntimeHost } from './host.js';
import { REPO_ROOT, resolvePeer } from './peer-modules.js';
import type { ChildArgs, FromChild, ToChild } from './protocol.js';
import { RUNTIME_ORDER, RUNTIMES, type RuntimeId } from './runtimes.js';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
/** Longest wait for one page request; session creation with int8 calibration is the slow one. */
const REQUEST_MS = 20 * 60_000;

type Playwright = typeof import('playwright-core');
type Browser = import('playwright-core').Browser;
type BrowserContext = import('playwright-core').BrowserContext;
type Page = import('playwright-core').Page;

async function loadPlaywright(): Promise<Playwright | undefined> {
  try {
    return await import('playwright-core');
  } catch {
    return undefined;
  }
}

/** Why --browser cannot run here (no Chromium binary, no playwright-core), or undefined. */
export async function browserUnavailable(chromium: string): Promise<string | undefined> {
  if (!existsSync(chromium)) return `${chromium} is absent (install Debian's package: apt-get install chromium; or pass --chromium <path>)`;
  if (!(await loadPlaywright())) return 'playwright-core is not installed (npm ci)';
  return undefined;
}

/** Rejects after `ms`: page.evaluate has no timeout of its own. */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Versions as the packages declare them (the pages do not read package.json). */
function versions(): Record<RuntimeId, string> {
  const of = (id: RuntimeId) => {
    const pkg = RUNTIMES[id].package;
    if (!pkg) return JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    try {
      return resolvePeer(pkg).version;
    } catch {
      return '';
    }
  };
  return Object.fromEntries(RUNTIME_ORDER.map((id) => [id, of(id)])) as Record<RuntimeId, string>;
}

class RuntimePage implements RuntimeHandle {
  private dead?: string;
  private readonly errors: string[] = [];

  constructor(private readonly context: BrowserContext, private readonly page: Page, private readonly what: string) {
    page.on('crash', () => (this.dead = `${what}: the page crashed`));
    page.on('pageerror', (e) => this.errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && this.errors.push(m.text()));
  }

  /** Sends one message to the page's driver and returns its reply (logits back to a Float32Array). */
  async send(message: PageMessage): Promise<FromChild> {
    if (this.dead) throw new Error(this.dead);
    const reply = await withTimeout(
      this.page.evaluate((m) => (window as unknown as { benchPage: { handle(m: PageMessage): Promise<PageReply> } }).benchPage.handle(m), message),
      REQUEST_MS, `${this.what} '${message.type}'`,
    ).catch((e: Error) => {
      throw new Error(`${this.dead ?? e.message}${this.errors.length ? `; page errors:\n${this.errors.slice(-5).join('\n')}` : ''}`);
    });
    return reply.type === 'ready' ? { ...reply, logits: Float32Array.from(reply.logits) } : reply;
  }

  async request<T extends FromChild['type']>(message: ToChild, expect: T): Promise<Extract<FromChild, { type: T }>> {
    const m = await this.send(message);
    if (m.type === 'failed') throw new Error(`${this.what} failed at ${m.stage}: ${m.message}`);
    if (m.type !== expect) throw new Error(`${this.what}: expected '${expect}', got '${m.type}'`);
    return m as Extract<FromChild, { type: T }>;
  }

  async finish(): Promise<number | undefined> {
    try {
      await this.request({ type: 'exit' }, 'done');
    } finally {
      await this.context.close().catch(() => undefined);
    }
    return undefined;
  }

  kill(): void {
    void this.context.close().catch(() => undefined);
  }
}

export interface BrowserHostOptions {
  chromium: string;
  /** The folder the case folders are written into (served at /case/). */
  root: string;
  log?: (line: string) => void;
}

/** Starts the server and Chromium; `close()` stops both. */
export async function launchBrowserHost({ chromium, root, log = () => undefined }: BrowserHostOptions): Promise<RuntimeHost> {
  const playwright = await loadPlaywright();
  if (!playwright) throw new Error('playwright-core is not installed (npm ci)');
  // One origin per runtime, plus one for the start-up floor: 127.0.0.2, .3, …
  const addresses = [...RUNTIME_ORDER, 'floor'].map((_, i) => `127.0.0.${i + 2}`);
  const server = await startBenchServer(root, addresses, log);
  const origin = (id: RuntimeId | 'floor') => server.origins[id === 'floor' ? RUNTIME_ORDER.length : RUNTIME_ORDER.indexOf(id)]!;
  let browser: Browser;
  try {
    browser = await playwright.chromium.launch({
      executablePath: chromium, headless: true, timeout: 60_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (e) {
    await server.close();
    throw e;
  }
  const version = versions();
  const caseUrl = (dir: string) => `/case/${path.relative(root, dir).split(path.sep).join('/')}`;

  async function open(id: RuntimeId | 'floor', what: string): Promise<RuntimePage> {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const handle = new RuntimePage(context, page, what);
      await page.goto(`${origin(id)}${PAGE_PATH}`, { timeout: 60_000 });
      await page.waitForFunction(() => 'benchPage' in window, undefined, { timeout: 60_000 });
      const isolated = await page.evaluate(() => crossOriginIsolated);
      if (!isolated) throw new Error(`${what}: the page is not cross-origin isolated (COOP/COEP headers missing?)`);
      return handle;
    } catch (e) {
      await context.close().catch(() => undefined);
      throw e;
    }
  }

  return {
    platform: 'chromium',
    description: `Chromium ${browser.version()} (${chromium}, headless, ${os.availableParallelism()} cores)`,
    async start(args: ChildArgs) {
      const what = `${args.runtime} in Chromium (${args.threads} thread${args.threads > 1 ? 's' : ''})`;
      const t0 = performance.now();
      const page = await open(args.runtime, what);
      let m: FromChild;
      try {
        m = await page.send({ type: 'start', args: { ...args, caseDir: caseUrl(args.caseDir) } });
      } catch (e) {
        page.kill();
        throw e;
      }
      const coldStartMs = performance.now() - t0;
      if (m.type !== 'ready') {
        page.kill();
        throw new Error(m.type === 'failed' ? `${what} failed at ${m.stage}: ${m.message}` : `${what}: unexpected '${m.type}'`);
      }
      const ready: Ready = { ...m, version: version[args.runtime] };
      return { child: page, ready, coldStartMs };
    },
    async prime(args: ChildArgs) {
      const page = await open(args.runtime, `${args.runtime} in Chromium (prime)`);
      try {
        const m = await page.send({ type: 'prime', args });
        if (m.type === 'failed') throw new Error(`${args.runtime} in Chromium failed to load its code: ${m.message}`);
      } finally {
        page.kill();
      }
    },
    async startupMs() {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const page = await open('floor', 'empty page');
        times.push(performance.now() - t0);
        page.kill();
      }
      return times.sort((a, b) => a - b)[1]!;
    },
    async close() {
      await withTimeout(browser.close(), 20_000, 'closing Chromium').catch(() => undefined);
      await server.close();
    },
  };
}
