/**
 * The browser example: file input → canvas → ImageData → preprocess → session → top-5.
 *
 * Imports the package entry straight from dist/ (build first: `npm run build`); the kernel
 * module is found beside it (`new URL('../../build/…', import.meta.url)` inside the package), or
 * pass `wasm: '/path/to/baseline-shared.wasm'` (or a compiled WebAssembly.Module) to createSession.
 * In your own app: `import { … } from 'inception-wasm'` through a bundler.
 *
 * Test hooks (used by test/browser/browser.test.ts, handy from the console too):
 *   await window.classifyUrl(url, { model, inputSize, threads, top })
 *   await window.classifyPixels({ width, height, data /* RGB/RGBA bytes, array or base64 *\/ }, opts)
 * both → { top: [{ index, label, probability }], logits, threads, build, warnings, crossOriginIsolated, ms }.
 */
import { MODELS, createSession, decodeImage, imagenetLabels, preprocess, softmax, topK, variantInfo } from '../../dist/index.js';

const $ = (id) => document.getElementById(id);
const warnings = [];
let current; // { key, session: Promise<Session> }

/** One session per (model, size, threads, weights); replaced (and disposed) when they change. */
function sessionFor({ model = 'googlenet', variant, inputSize, threads = 0, onnx }) {
  const key = JSON.stringify([model, variant, inputSize, threads, onnx ? `${onnx.name}:${onnx.bytes.length}` : 'seeded']);
  if (current?.key === key) return current.session;
  const previous = current;
  const options = {
    threads,
    warn: (message) => {
      warnings.push(message);
      console.warn(message);
      $('warnings').textContent = warnings.join('\n');
    },
  };
  if (onnx) Object.assign(options, { onnx: onnx.bytes, inputSize });
  else Object.assign(options, { model, variant, inputSize, weights: 'seeded' });
  current = {
    key,
    session: (async () => {
      if (previous) await (await previous.session.catch(() => undefined))?.dispose();
      return createSession(options);
    })(),
  };
  current.session.catch(() => {
    if (current?.key === key) current = undefined;
  });
  return current.session;
}

/** The preset and labels: the registry's for a named network; an ONNX file gets 'tf' (override in code). */
function modelConfig(model, variant, classes) {
  const info = variantInfo(model, variant);
  return { preset: info.preprocessing, labels: imagenetLabels(classes) };
}

/** Classifies decoded pixels (ImageData or any {width, height, data} with 1/3/4 bytes per pixel). */
async function classify(pixels, opts = {}) {
  const t0 = performance.now();
  const session = await sessionFor(opts);
  const [, , h, w] = session.info.inputShape;
  const classes = session.info.outputShape[1];
  const model = opts.onnx ? undefined : (opts.model ?? 'googlenet');
  const { preset, labels } = model
    ? modelConfig(model, opts.variant, classes)
    : { preset: opts.preset ?? 'tf', labels: imagenetLabels(classes) };
  const rgb = await decodeImage(pixels, { name: opts.name ?? 'image' });
  const input = preprocess(rgb, { preset: opts.preset ?? preset, size: [h, w], cropFraction: opts.cropFraction });
  const { logits } = await session.run(input);
  const top = topK(softmax(logits), opts.top ?? 5, labels);
  return {
    top,
    logits: Array.from(logits),
    threads: session.info.threads,
    build: session.info.build,
    warnings: [...warnings],
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    ms: Math.round(performance.now() - t0),
  };
}

/** Decodes an image with the browser (no colour conversion, as a file decoder would) → ImageData. */
async function decodeWithCanvas(blob, canvas = document.createElement('canvas')) {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

window.classifyUrl = async (url, opts = {}) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`fetching ${url}: HTTP ${response.status}`);
  return classify(await decodeWithCanvas(await response.blob()), { name: url, ...opts });
};

window.classifyPixels = async (pixels, opts = {}) => {
  const data = typeof pixels.data === 'string' ? fromBase64(pixels.data) : Uint8Array.from(pixels.data);
  return classify({ width: pixels.width, height: pixels.height, data }, opts);
};

/* ---- the page ---- */

function status(text) {
  $('status').textContent = text;
}

function showTop(result) {
  $('top').replaceChildren(
    ...result.top.map((c, i) => {
      const row = document.createElement('tr');
      for (const [text, cls] of [[`${i + 1}.`], [c.label], [`${(c.probability * 100).toFixed(2)} %`, 'p'], [`#${c.index}`]]) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        row.append(td);
      }
      return row;
    }),
  );
}

let onnx; // { name, bytes } from the second file input

function pageOptions() {
  const size = Number($('size').value);
  return {
    model: $('model').value,
    inputSize: size > 0 ? size : undefined,
    threads: Number($('threads').value) || 0,
    onnx,
  };
}

async function run() {
  const file = $('image').files[0];
  if (!file) return;
  try {
    status(`decoding ${file.name}…`);
    const pixels = await decodeWithCanvas(file, $('preview'));
    status(`classifying ${file.name} (${pixels.width}×${pixels.height}) — the first run builds the session…`);
    const result = await classify(pixels, { ...pageOptions(), name: file.name });
    showTop(result);
    status(
      `${file.name}: ${result.ms} ms (including session creation on the first run) · threads ${result.threads} · ` +
        `build ${result.build} · ${onnx ? `weights from ${onnx.name}` : 'seeded weights (classes are meaningless)'}`,
    );
  } catch (e) {
    status(`error: ${e.message}`);
    console.error(e);
  }
}

function init() {
  for (const name of Object.keys(MODELS)) {
    const option = new Option(name, name, name === 'googlenet', name === 'googlenet');
    $('model').append(option);
  }
  $('image').addEventListener('change', run);
  $('onnx').addEventListener('change', async () => {
    const file = $('onnx').files[0];
    onnx = file ? { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) } : undefined;
    $('model').disabled = !!onnx;
    run();
  });
  for (const id of ['model', 'size', 'threads']) $(id).addEventListener('change', run);
  status(
    `ready · ${globalThis.crossOriginIsolated ? 'cross-origin isolated: threads on' : 'not cross-origin isolated: single-threaded (serve with COOP/COEP)'} · ` +
      `${navigator.hardwareConcurrency} cores — pick an image`,
  );
  window.inceptionReady = true;
}

init();
