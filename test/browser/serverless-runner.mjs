/**
 * Child process for serverless.test.ts: runs examples/serverless/handler.mjs the way a locked-down
 * function runtime would. Start it with `node --disallow-code-generation-from-strings`.
 *
 *   node --disallow-code-generation-from-strings serverless-runner.mjs <image.jpg>
 *
 * Before the library is imported: SharedArrayBuffer is deleted from globalThis, the kernel module
 * is compiled (as the platform does for a bundled .wasm), then compiling wasm bytes is forbidden
 * (WebAssembly.compile / instantiate(bytes) / new WebAssembly.Module throw, as on Cloudflare
 * Workers). Invokes the handler twice with the image and once with garbage, and prints one JSON
 * line: { evalBlocked, sharedArrayBuffer, kernelInstances, answers: [{ statusCode, body }] }.
 */
import { readFile } from 'node:fs/promises';

delete globalThis.SharedArrayBuffer;

let evalBlocked = false;
try {
  (0, eval)('1');
} catch (e) {
  evalBlocked = e instanceof EvalError;
}

const kernels = await WebAssembly.compile(await readFile(new URL('../../build/baseline-plain.wasm', import.meta.url)));
const refuse = () => {
  throw new WebAssembly.CompileError('Wasm code generation disallowed by embedder (simulated)');
};
const RealInstance = WebAssembly.Instance;
let kernelInstances = 0;
WebAssembly.compile = async () => refuse();
WebAssembly.Module = new Proxy(WebAssembly.Module, { construct: refuse });
WebAssembly.instantiate = async (source, imports) => {
  if (!(source instanceof WebAssembly.Module)) refuse();
  return new WebAssembly.Instance(source, imports);
};
WebAssembly.Instance = new Proxy(RealInstance, {
  construct(target, args) {
    if (args[0] === kernels) kernelInstances++;
    return Reflect.construct(target, args);
  },
});

const { handler, setKernelModule } = await import('../../examples/serverless/handler.mjs');
setKernelModule(kernels);

const image = await readFile(process.argv[2]);
const answers = [];
for (const event of [
  { body: image.toString('base64'), isBase64Encoded: true },
  { image: new Uint8Array(image), top: 3 },
  { body: Buffer.from('not an image at all').toString('base64'), isBase64Encoded: true },
]) {
  const { statusCode, body } = await handler(event);
  answers.push({ statusCode, body: JSON.parse(body) });
}

process.stdout.write(
  JSON.stringify({ evalBlocked, sharedArrayBuffer: typeof SharedArrayBuffer, kernelInstances, answers }) + '\n',
);
