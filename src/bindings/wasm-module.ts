/**
 * Locating and compiling the kernel modules. Four builds come from one source
 * (`assembly/index.ts`): {baseline SIMD128, relaxed SIMD} × {shared memory, plain memory}.
 * A module declared over a shared memory cannot import a plain one, so runtimes without
 * SharedArrayBuffer get the `-plain` build.
 */

export type KernelBuild = 'baseline' | 'relaxed';

export interface KernelModuleSpec {
  build: KernelBuild;
  shared: boolean;
}

/** A precompiled module (runtimes that forbid compiling bytes), raw bytes, or a URL/path to fetch. */
export type WasmSource = WebAssembly.Module | ArrayBuffer | Uint8Array | URL | string;

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** File name of a build, e.g. `baseline-shared.wasm`. */
export function kernelFileName(spec: KernelModuleSpec): string {
  return `${spec.build}-${spec.shared ? 'shared' : 'plain'}.wasm`;
}

/** Default location: `build/` at the package root (this file is src/bindings/ or dist/bindings/). */
export function defaultKernelUrl(spec: KernelModuleSpec): URL {
  return new URL(`../../build/${kernelFileName(spec)}`, import.meta.url);
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Throws a clear error when `bytes` are not a WebAssembly binary (e.g. an HTML 404 page). */
export function assertWasmBytes(bytes: Uint8Array, where: string): void {
  if (bytes.length >= 4 && WASM_MAGIC.every((b, i) => bytes[i] === b)) return;
  const head = new TextDecoder().decode(bytes.subarray(0, 64)).replace(/\s+/g, ' ').trim();
  const looksHtml = /^<!doctype|^<html|^</i.test(head);
  throw new Error(
    `inception-wasm: ${where} is not a WebAssembly module (${bytes.length} bytes starting "${head.slice(0, 40)}")` +
      (looksHtml
        ? '; it looks like an HTML page — the server probably answered 404: check the wasm URL'
        : '; check that the package was built (npm run build:wasm) and the path is right'),
  );
}

async function readBytes(location: URL | string): Promise<Uint8Array> {
  const url = typeof location === 'string' ? new URL(location, import.meta.url) : location;
  if (isNode && url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    try {
      return new Uint8Array(await readFile(url));
    } catch (e) {
      throw new Error(
        `inception-wasm: cannot read the kernel module ${url.pathname} (${(e as Error).message}); ` +
          'run `npm run build:wasm` to build it',
      );
    }
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`inception-wasm: fetching ${url} failed: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Compiles a kernel module from any source; a `WebAssembly.Module` is returned as is. */
export async function compileKernelModule(spec: KernelModuleSpec, source?: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  let bytes: Uint8Array;
  let where: string;
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    where = 'the given bytes';
  } else {
    const location = source ?? defaultKernelUrl(spec);
    bytes = await readBytes(location);
    where = String(location);
  }
  assertWasmBytes(bytes, where);
  return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
}

/** Instantiates a kernel module over `memory` (its only import). */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): WebAssembly.Exports {
  return new WebAssembly.Instance(module, { env: { memory } }).exports;
}
