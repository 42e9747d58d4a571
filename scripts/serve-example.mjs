#!/usr/bin/env node
/**
 * A tiny static server for the browser example: serves the repository root on the loopback
 * interface, with the cross-origin isolation headers that threads need in a browser
 * (SharedArrayBuffer exists only on cross-origin isolated pages).
 *
 *   node scripts/serve-example.mjs [port] [--no-isolation] [--root dir]
 *   PORT=9000 node scripts/serve-example.mjs
 *   → open http://127.0.0.1:8080/examples/browser/
 *
 * - `port`: argv, else $PORT, else 8080; `0` picks a free port (the URL is printed either way).
 * - `--no-isolation`: serve without COOP/COEP (the page then runs single-threaded, with a warning).
 * - `--root dir`: serve another directory (default: the repository root, this file's parent's parent).
 * - `/shared/…` maps to the fixtures folder beside the repository (`../shared/`), when present.
 *
 * Also importable: `startServer({ port, isolation, root, host })` → `{ url, port, close() }`.
 * Only GET/HEAD; paths are confined to the root (no `..` escapes); no directory listings
 * (a directory serves its index.html).
 */
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** Headers that make a page cross-origin isolated (`crossOriginIsolated === true`). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Resolves a URL path inside `root` (or a mount); undefined when it escapes. */
function resolvePath(root, mounts, urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  for (const [prefix, dir] of mounts) {
    if (decoded === prefix || decoded.startsWith(prefix + '/')) return confine(dir, decoded.slice(prefix.length));
  }
  return confine(root, decoded);
}

function confine(base, rel) {
  const full = path.resolve(base, '.' + path.posix.normalize('/' + rel));
  return full === base || full.startsWith(base + path.sep) ? full : undefined;
}

/**
 * Starts the server. `port` 0 picks a free one. Resolves once listening.
 * @param {{ port?: number, host?: string, isolation?: boolean, root?: string, log?: (line: string) => void }} [options]
 * @returns {Promise<{ url: string, port: number, close(): Promise<void> }>}
 */
export async function startServer(options = {}) {
  const root = path.resolve(options.root ?? REPO_ROOT);
  const host = options.host ?? '127.0.0.1';
  const isolation = options.isolation ?? true;
  const log = options.log ?? (() => undefined);
  const mounts = [['/shared', path.resolve(REPO_ROOT, '../shared')]];

  const server = createServer(async (req, res) => {
    const common = { 'Cache-Control': 'no-store', ...(isolation ? ISOLATION_HEADERS : {}) };
    const fail = (status, text) => {
      res.writeHead(status, { ...common, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(text + '\n');
      log(`${status} ${req.method} ${req.url}`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'only GET and HEAD');
    const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
    let file = resolvePath(root, mounts, urlPath);
    if (!file) return fail(403, 'forbidden path');
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        if (!urlPath.endsWith('/')) {
          res.writeHead(301, { ...common, Location: urlPath + '/' });
          return res.end();
        }
        file = path.join(file, 'index.html');
        info = await stat(file);
      }
      if (!info.isFile()) return fail(404, 'not found');
      const type = MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
      res.writeHead(200, {
        ...common,
        'Content-Type': type,
        'Content-Length': info.size,
        // Same-origin anyway; lets the files be embedded from another isolated origin too.
        'Cross-Origin-Resource-Policy': 'cross-origin',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
      log(`200 ${req.method} ${urlPath}`);
    } catch {
      fail(404, `not found: ${urlPath}`);
    }
  });
  // Keep-alive sockets would hold close() open; requests here are small and local.
  server.keepAliveTimeout = 1000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, resolve);
  });
  const port = server.address().port;
  return {
    url: `http://${host}:${port}/`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseCli(argv) {
  let port;
  let isolation = true;
  let root;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--no-isolation') isolation = false;
    else if (a === '--root') root = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/serve-example.mjs [port] [--no-isolation] [--root dir]   (port: argv, $PORT, or 8080)');
      process.exit(0);
    } else if (/^\d+$/.test(a)) port = Number(a);
    else {
      console.error(`serve-example: unknown argument '${a}'; usage: node scripts/serve-example.mjs [port] [--no-isolation] [--root dir]`);
      process.exit(2);
    }
  }
  if (port === undefined && process.env.PORT) {
    if (!/^\d+$/.test(process.env.PORT)) {
      console.error(`serve-example: PORT='${process.env.PORT}' is not a port number`);
      process.exit(2);
    }
    port = Number(process.env.PORT);
  }
  if (port !== undefined && port > 65535) {
    console.error(`serve-example: port ${port} is out of range (0–65535)`);
    process.exit(2);
  }
  return { port: port ?? 8080, isolation, root };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const options = parseCli(process.argv.slice(2));
  startServer({ ...options, log: (line) => process.stderr.write(line + '\n') }).then(
    (s) => {
      console.log(`serving ${options.root ?? REPO_ROOT} at ${s.url} (${options.isolation ? 'cross-origin isolated: COOP/COEP on' : 'no COOP/COEP: single-threaded'})`);
      console.log(`open ${s.url}examples/browser/`);
    },
    (e) => {
      console.error(`serve-example: cannot listen: ${e.message}${e.code === 'EADDRINUSE' ? ' — pick another port: node scripts/serve-example.mjs 8081' : ''}`);
      process.exit(1);
    },
  );
}
