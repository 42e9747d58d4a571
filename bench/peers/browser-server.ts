/**
 * The static server of `npm run bench -- --browser`: loopback only, GET/HEAD only, every response
 * cross-origin isolated (COOP same-origin + COEP require-corp: SharedArrayBuffer, so threads, in
 * every page), `no-store` (each page fetches and compiles what it runs: a first visit's cold start).
 *
 *   /bench-page.html     the page a runtime runs in: loads bench/peers/browser-page.ts
 *   /src/…, /bench/…     the repository's TypeScript, each module transpiled on request by the
 *                        esbuild that tsx runs on (types stripped, cached by mtime; ~1 ms a module,
 *                        where typescript.transpileModule took ~100) — a `.js` path serves the
 *                        `.ts` beside it, as Node's tsx does; the browser's own module loader
 *                        resolves the imports, so `import.meta.url` (our workers, build/*.wasm) is
 *                        the file's own URL, as in dist/
 *   /dist/…, /build/…    our compiled package and kernel builds, as they are
 *   /peer/<name>/…       a peer package's dist/ folder (onnxruntime-web, tfjs-core, tfjs-backend-wasm)
 *   /case/…              the bench's case files (bench/peers/artifacts.ts)
 *
 * One listener per loopback address asked for: each runtime's page gets an origin of its own
 * (127.0.0.2, 127.0.0.3, …: different sites), so Chromium's site isolation gives it a renderer
 * process of its own — the page analogue of the Node child process.
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO_ROOT, resolvePeer, type ResolvedPackage } from './peer-modules.js';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.map': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
};

export const PAGE_PATH = '/bench-page.html';
const PAGE_HTML = `<!doctype html>
<meta charset="utf-8">
<title>inception-wasm bench page</title>
<script type="module" src="/bench/peers/browser-page.js"></script>
`;

/** The part of esbuild's API used here (esbuild comes with tsx, a devDependency, which resolves it). */
interface Esbuild {
  transformSync(code: string, options: Record<string, unknown>): { code: string };
}
let esbuild: Esbuild | undefined;
function transformer(): Esbuild {
  const fromHere = createRequire(import.meta.url);
  return (esbuild ??= createRequire(fromHere.resolve('tsx'))('esbuild') as Esbuild);
}

/** The peer packages whose dist/ folders the pages load, by their URL name. */
export function peerDirs(): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (name: string, resolve: () => ResolvedPackage | string) => {
    try {
      const r = resolve();
      out[name] = path.join(typeof r === 'string' ? r : r.dir, 'dist');
    } catch {
      /* not installed: its rows say so (runtimeUnavailable) */
    }
  };
  add('onnxruntime-web', () => resolvePeer('onnxruntime-web'));
  add('tfjs-backend-wasm', () => resolvePeer('@tensorflow/tfjs-backend-wasm'));
  // tfjs-core as the backend resolves it: one engine instance, the version the backend was built with.
  add('tfjs-core', () => {
    const backend = resolvePeer('@tensorflow/tfjs-backend-wasm');
    return path.dirname(backend.require.resolve('@tensorflow/tfjs-core/package.json'));
  });
  return out;
}

/** `full` when it lies inside `base` (no `..` escape), else undefined. */
function inside(base: string, rel: string): string | undefined {
  const full = path.resolve(base, '.' + path.posix.normalize('/' + rel));
  return full === base || full.startsWith(base + path.sep) ? full : undefined;
}

/** The file a URL path names, and whether it is TypeScript to transpile; undefined for anything else. */
export function resolveRequest(urlPath: string, caseRoot: string, peers: Readonly<Record<string, string>>): { file: string; transpile: boolean } | undefined {
  let p: string;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (p.includes('\0')) return undefined;
  const [, top, ...rest] = p.split('/');
  const rel = rest.join('/');
  let file: string | undefined;
  switch (top) {
    case 'src':
    case 'bench': {
      file = inside(path.join(REPO_ROOT, top), rel);
      if (file?.endsWith('.js') && !existsSync(file) && existsSync(file.slice(0, -3) + '.ts')) return { file: file.slice(0, -3) + '.ts', transpile: true };
      break;
    }
    case 'dist':
    case 'build':
      file = inside(path.join(REPO_ROOT, top), rel);
      break;
    case 'peer': {
      const [name, ...inDist] = rest;
      file = name !== undefined && peers[name] ? inside(peers[name]!, inDist.join('/')) : undefined;
      break;
    }
    case 'case':
      file = inside(caseRoot, rel);
      break;
  }
  return file === undefined ? undefined : { file, transpile: false };
}

const transpiled = new Map<string, { mtimeMs: number; code: string }>();

/** A TypeScript module as the browser loads it (type-only imports dropped), cached by mtime. */
export function transpileFile(file: string): string {
  const mtimeMs = statSync(file).mtimeMs;
  const hit = transpiled.get(file);
  if (hit?.mtimeMs === mtimeMs) return hit.code;
  const code = transformer().transformSync(readFileSync(file, 'utf8'), {
    loader: 'ts', format: 'esm', target: 'es2022', sourcefile: file,
  }).code;
  transpiled.set(file, { mtimeMs, code });
  return code;
}

export interface BenchServer {
  /** `http://<address>:<port>` per address asked for, in order. */
  origins: string[];
  close(): Promise<void>;
}

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-store',
};

function send(res: ServerResponse, status: number, type: string, body?: string | Buffer, head = false): void {
  res.writeHead(status, { ...HEADERS, 'Content-Type': type, 'Content-Length': body === undefined ? 0 : Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

/**
 * Serves the bench on `addresses` (loopback: 127.0.0.x), one listener each on a free port.
 * An address that cannot be bound falls back to 127.0.0.1 (pages then share a site).
 */
export async function startBenchServer(caseRoot: string, addresses: readonly string[], log: (line: string) => void = () => undefined): Promise<BenchServer> {
  const peers = peerDirs();
  const handler = (req: import('node:http').IncomingMessage, res: ServerResponse) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return send(res, 405, 'text/plain', 'only GET and HEAD\n');
    const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (urlPath === PAGE_PATH) return send(res, 200, MIME['.html']!, PAGE_HTML, head);
    const target = resolveRequest(urlPath, caseRoot, peers);
    if (!target || !existsSync(target.file) || !statSync(target.file).isFile()) return send(res, 404, 'text/plain', `not found: ${urlPath}\n`);
    try {
      if (target.transpile) return send(res, 200, MIME['.js']!, transpileFile(target.file), head);
      const type = MIME[path.extname(target.file)] ?? 'application/octet-stream';
      res.writeHead(200, { ...HEADERS, 'Content-Type': type, 'Content-Length': statSync(target.file).size });
      if (head) return res.end();
      createReadStream(target.file).on('error', () => res.destroy()).pipe(res);
    } catch (e) {
      log(`bench server: ${urlPath}: ${(e as Error).message}`);
      send(res, 500, 'text/plain', `${(e as Error).message}\n`);
    }
  };
  const servers: Server[] = [];
  const origins: string[] = [];
  for (const address of addresses) {
    const listen = (host: string) => new Promise<Server>((resolve, reject) => {
      const server = createServer(handler);
      server.once('error', reject);
      server.listen(0, host, () => resolve(server));
    });
    let server: Server;
    try {
      server = await listen(address);
    } catch (e) {
      log(`bench server: cannot listen on ${address} (${(e as Error).message}); using 127.0.0.1`);
      server = await listen('127.0.0.1');
    }
    servers.push(server);
    const a = server.address() as AddressInfo;
    origins.push(`http://${a.address}:${a.port}`);
  }
  return {
    origins,
    close: async () => {
      await Promise.all(servers.map((s) => new Promise((resolve) => {
        s.closeAllConnections();
        s.close(resolve);
      })));
    },
  };
}
