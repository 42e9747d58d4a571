/**
 * scripts/serve-example.mjs: MIME types, cross-origin isolation headers (and --no-isolation),
 * confinement to the root, loopback only, and the CLI's port handling.
 */
import { spawn } from 'node:child_process';
import { get as httpGet } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error — a plain .mjs script without type declarations
import { startServer } from '../../scripts/serve-example.mjs';

const SCRIPT = fileURLToPath(new URL('../../scripts/serve-example.mjs', import.meta.url));

interface Server {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function get(url: string): Promise<Response> {
  return fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'manual' });
}

/** A request whose path is sent as written (fetch would normalise `..` and `%2e%2e` away). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: timeout`)));
    req.on('error', reject);
  });
}

describe('serve-example', () => {
  let isolated: Server;
  let plain: Server;
  beforeAll(async () => {
    isolated = await startServer({ port: 0 });
    plain = await startServer({ port: 0, isolation: false });
  });
  afterAll(async () => {
    await isolated?.close();
    await plain?.close();
  });

  const files: [name: string, path: string, type: string][] = [
    ['the example page', 'examples/browser/', 'text/html; charset=utf-8'],
    ['a module script', 'examples/browser/main.js', 'text/javascript; charset=utf-8'],
    ['a kernel module', 'build/baseline-shared.wasm', 'application/wasm'],
  ];
  it.each(files)('%s (%s): 200, %s, COOP/COEP on', async (_, path, type) => {
    const r = await get(isolated.url + path);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(type);
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  });

  it('--no-isolation: same file, no COOP/COEP', async () => {
    const r = await get(plain.url + 'examples/browser/main.js');
    expect(r.status).toBe(200);
    expect(r.headers.get('cross-origin-opener-policy')).toBeNull();
    expect(r.headers.get('cross-origin-embedder-policy')).toBeNull();
  });

  const refused: [name: string, path: string, status: number][] = [
    ['a missing file', 'examples/browser/nope.js', 404],
    ['an escape from the root', '../../../../etc/passwd', 404],
    ['an encoded escape from the root', '%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', 404],
    ['an escape through the /shared mount', 'shared/../../../../../etc/passwd', 404],
    ['an escape with encoded slashes', '..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd', 404],
    ['an escape with encoded slashes under /shared', 'shared/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd', 404],
    ['a directory without a slash', 'examples/browser', 301],
  ];
  it.each(refused)('%s (%s): %i', async (_, path, status) => {
    const r = await rawGet(isolated.port, '/' + path);
    expect(r.status).toBe(status);
    expect(r.body).not.toMatch(/root:/);
  });

  it('listens on loopback only', () => {
    expect(isolated.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  const cli: [name: string, args: string[], env: Record<string, string>, code: number, stderr: RegExp][] = [
    ['an unknown flag', ['--nope'], {}, 2, /unknown argument '--nope'/],
    ['a bad $PORT', [], { PORT: 'eighty' }, 2, /PORT='eighty' is not a port number/],
    ['a port out of range', ['70000'], {}, 2, /port 70000 is out of range/],
  ];
  it.each(cli)('CLI, %s: a usage error naming it', async (_, args, env, code, stderr) => {
    const child = spawn(process.execPath, [SCRIPT, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const exit = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('close', (c) => (clearTimeout(timer), resolve(c)));
    });
    expect(exit).toBe(code);
    expect(err).toMatch(stderr);
  });

  it('CLI: port from $PORT, prints the example URL', async () => {
    const probe = await startServer({ port: 0 });
    const port = probe.port;
    await probe.close();
    const child = spawn(process.execPath, [SCRIPT, '--no-isolation'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no output within 10 s')), 10_000);
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('open ')) (clearTimeout(timer), resolve(out));
        });
      });
      expect(line).toContain(`http://127.0.0.1:${port}/examples/browser/`);
      expect(line).toContain('no COOP/COEP');
      expect((await get(`http://127.0.0.1:${port}/examples/browser/`)).status).toBe(200);
    } finally {
      child.kill();
    }
  });
});
