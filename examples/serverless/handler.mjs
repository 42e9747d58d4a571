/**
 * A serverless image classifier: JPEG in, top-5 JSON out.
 *
 * Written for the constraints of function runtimes (AWS Lambda, Cloudflare/Vercel edge, Deno Deploy):
 * - one session per instance: created lazily on the first invocation (the cold start), kept at
 *   module scope and reused by every later invocation on the same instance;
 * - no SharedArrayBuffer needed: `threads: 1` uses the plain-memory kernel build, no workers;
 * - a precompiled `WebAssembly.Module` is passed in (`createSession({ wasm: module })`), for
 *   runtimes that forbid compiling wasm bytes at run time (there, import the module the way the
 *   platform provides: e.g. Cloudflare `import kernels from './baseline-plain.wasm'`, then
 *   `setKernelModule(kernels)` before the first request);
 * - no `eval` / `new Function` anywhere on this path (the test runs it under
 *   `node --disallow-code-generation-from-strings`).
 *
 * Event (AWS-Lambda-like): `{ body: <base64 JPEG>, isBase64Encoded: true }`, or
 * `{ image: Uint8Array | <base64 string>, top?: number }`. Answer: `{ statusCode, headers, body }`
 * with body = JSON `{ model, top: [{ index, label, probability }], ms, coldStartMs? }`;
 * statusCode 400 for a missing or undecodable image (the message names the problem).
 *
 * Configuration (environment): INCEPTION_MODEL (default googlenet), INCEPTION_INPUT_SIZE
 * (default: the model's), INCEPTION_ONNX (path to an ONNX file with real weights; without it the
 * weights are the deterministic seeded ones, so the classes are meaningless — a smoke test),
 * INCEPTION_PRESET (override the preprocessing preset).
 *
 * Run locally: `npm run build && node examples/serverless/handler.mjs photo.jpg`.
 * In a deployed package, import from 'inception-wasm' instead of ../../dist/index.js.
 */
import { createSession, decodeImage, imagenetLabels, preprocess, softmax, topK, variantInfo } from '../../dist/index.js';

const env = typeof process !== 'undefined' ? process.env : {};
const MODEL = env.INCEPTION_MODEL || 'googlenet';
const INPUT_SIZE = env.INCEPTION_INPUT_SIZE ? Number(env.INCEPTION_INPUT_SIZE) : undefined;
const ONNX = env.INCEPTION_ONNX || undefined;

/** The kernel build this handler runs: SIMD128 over plain (non-shared) memory. */
export const KERNEL_FILE = 'baseline-plain.wasm';

let kernelModule; // WebAssembly.Module, given by the platform or compiled once at cold start
let instance; // Promise<{ session, preset, labels, coldStartMs }>

/** Hands the handler a precompiled kernel module (build/baseline-plain.wasm). Call before the first request. */
export function setKernelModule(module) {
  if (!(module instanceof WebAssembly.Module)) {
    throw new TypeError(`setKernelModule: expected a WebAssembly.Module compiled from ${KERNEL_FILE}, got ${Object.prototype.toString.call(module)}`);
  }
  if (instance) throw new Error('setKernelModule: the session already exists; call it before the first request');
  kernelModule = module;
}

/** Node fallback when no module was given: read and compile build/baseline-plain.wasm once. */
async function compileBundledKernels() {
  const { readFile } = await import('node:fs/promises');
  const url = new URL(`../../build/${KERNEL_FILE}`, import.meta.url);
  return WebAssembly.compile(await readFile(url));
}

async function createInstance() {
  const t0 = performance.now();
  const wasm = kernelModule ?? (kernelModule = await compileBundledKernels());
  const common = { threads: 1, build: 'baseline', wasm, warn: (m) => console.warn(m) };
  let session;
  let preset;
  if (ONNX) {
    const { readFile } = await import('node:fs/promises');
    session = await createSession({ ...common, onnx: new Uint8Array(await readFile(ONNX)), inputSize: INPUT_SIZE });
    preset = 'tf';
  } else {
    session = await createSession({ ...common, model: MODEL, inputSize: INPUT_SIZE, weights: 'seeded' });
    preset = variantInfo(MODEL).preprocessing;
  }
  return {
    session,
    preset: env.INCEPTION_PRESET || preset,
    labels: imagenetLabels(session.info.outputShape[1]),
    coldStartMs: Math.round(performance.now() - t0),
  };
}

function getInstance() {
  instance ??= createInstance().catch((e) => {
    instance = undefined; // let the next invocation retry
    throw e;
  });
  return instance;
}

function imageBytes(event) {
  const raw = event?.image ?? event?.body;
  if (raw instanceof Uint8Array) return raw;
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw);
  if (typeof raw === 'string' && raw.length > 0) {
    if (event.body === raw && event.isBase64Encoded === false) return new TextEncoder().encode(raw);
    return Uint8Array.from(atob(raw), (c) => c.charCodeAt(0));
  }
  return undefined;
}

const json = (statusCode, body) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** The function entry: classifies one JPEG (or PNG) per invocation. */
export async function handler(event) {
  const t0 = performance.now();
  const bytes = imageBytes(event);
  if (!bytes) return json(400, { error: 'no image: send the JPEG as the base64 body (isBase64Encoded: true) or as `image`' });
  const cold = instance === undefined;
  const { session, preset, labels, coldStartMs } = await getInstance();
  let rgb;
  try {
    rgb = await decodeImage(bytes, { name: 'request image', maxResolutionInMP: 40 });
  } catch (e) {
    return json(400, { error: e.message });
  }
  const [, , h, w] = session.info.inputShape;
  const input = preprocess(rgb, { preset, size: [h, w] });
  const { logits } = await session.run(input);
  const k = Math.min(Math.max(1, Number(event?.top) || 5), 20);
  return json(200, {
    model: ONNX ?? MODEL,
    top: topK(softmax(logits), k, labels),
    ms: Math.round(performance.now() - t0),
    ...(cold ? { coldStartMs } : {}),
  });
}

// `node examples/serverless/handler.mjs photo.jpg [more.jpg…]`: invoke locally, one instance.
if (typeof process !== 'undefined' && process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL(process.argv[1]).href) {
  const { readFile } = await import('node:fs/promises');
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node examples/serverless/handler.mjs <image.jpg> [more…]');
    process.exit(2);
  }
  for (const file of files) {
    const event = { body: (await readFile(file)).toString('base64'), isBase64Encoded: true };
    const answer = await handler(event);
    console.log(file, answer.statusCode, answer.body);
  }
  const { session } = await getInstance();
  await session.dispose();
}
