/**
 * Feature probes: what this runtime can do, decided by compiling and running tiny modules
 * (validation alone is not enough: a runtime may validate SIMD and still miscompute or trap).
 */

/** `(func (param f32 f32) (result f32) lane1(splat(a) * splat(b)))` — SIMD128. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 125, 125, 1, 125, 3, 2, 1, 0, 7, 9, 1, 5, 112, 114, 111, 98, 101, 0, 0,
  10, 18, 1, 16, 0, 32, 0, 253, 19, 32, 1, 253, 19, 253, 230, 1, 253, 31, 1, 11,
]);
/** `lane1(f32x4.relaxed_madd(splat(a), splat(b), splat(b)))` — relaxed SIMD. */
const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 7, 1, 96, 2, 125, 125, 1, 125, 3, 2, 1, 0, 7, 9, 1, 5, 112, 114, 111, 98, 101, 0, 0,
  10, 22, 1, 20, 0, 32, 0, 253, 19, 32, 1, 253, 19, 32, 1, 253, 19, 253, 133, 2, 253, 31, 1, 11,
]);

/**
 * `(func (param i32 i32 i32) (result i32) lane0(i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.splat(a),
 * i8x16.splat(b), i32x4.splat(c))))` — the int8 relaxed dot. Known answer: lane 0 = 4·a·b + c;
 * with a = −3 (a negative first operand) and b = 100 (a 7-bit second operand, the range where
 * every CPU agrees) that is −1193. A runtime that computes it wrong answers otherwise (Node 20's
 * V8 11.3 returns −2400: twice the products, the addend dropped).
 */
const RELAXED_DOT_I8_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 127, 127, 127, 1, 127, 3, 2, 1, 0, 7, 9, 1, 5, 112, 114, 111, 98, 101, 0,
  0, 10, 22, 1, 20, 0, 32, 0, 253, 15, 32, 1, 253, 15, 32, 2, 253, 17, 253, 147, 2, 253, 27, 0, 11,
]);
const RELAXED_DOT_I8_ARGS = [-3, 100, 7] as const;
const RELAXED_DOT_I8_ANSWER = 4 * RELAXED_DOT_I8_ARGS[0] * RELAXED_DOT_I8_ARGS[1] + RELAXED_DOT_I8_ARGS[2];

export interface Features {
  /** SIMD128 compiles and computes. Required: the engine has no scalar build. */
  simd: boolean;
  /** Relaxed SIMD (fused multiply-add) compiles and computes. */
  relaxedSimd: boolean;
  /**
   * i32x4.relaxed_dot_i8x16_i7x16_add_s compiles and gives the known answer (false where relaxed
   * SIMD is off or skipped). `features()` always sets it; absent means false.
   */
  relaxedDotI8?: boolean;
  /** SharedArrayBuffer exists and a shared WebAssembly.Memory can be created. */
  sharedMemory: boolean;
  /** Threads usable: shared memory and (in browsers) cross-origin isolation. */
  threads: boolean;
  /** Why threads are not usable, with the fix; undefined when they are. */
  threadsUnavailableReason?: string;
  /** Logical cores reported by the runtime. */
  cores: number;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** The probe's answer for `args`, or undefined when the module does not compile or traps. */
function probeAnswer(bytes: Uint8Array<ArrayBuffer>, args: readonly number[]): number | undefined {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return (instance.exports.probe as (...a: number[]) => number)(...args);
  } catch {
    return undefined;
  }
}

function runProbe(bytes: Uint8Array<ArrayBuffer>, a: number, b: number, expected: number): boolean {
  return probeAnswer(bytes, [a, b]) === expected;
}

/**
 * What this runtime computes for the int8 relaxed-dot probe, next to the right answer (for tests
 * and diagnostics; `features().relaxedDotI8` is `got === want`). `got` is undefined when relaxed
 * SIMD does not compile here; call after `features()` so Node's flag is set.
 */
export function relaxedDotI8Probe(): { got: number | undefined; want: number } {
  return { got: probeAnswer(RELAXED_DOT_I8_PROBE, RELAXED_DOT_I8_ARGS), want: RELAXED_DOT_I8_ANSWER };
}

let relaxedFlagTried = false;

/**
 * Node 20 validates relaxed SIMD only behind `--experimental-wasm-relaxed-simd`; setting the V8
 * flag at run time, before any relaxed module is compiled, turns it on (measured on Node 20.20).
 */
async function enableRelaxedSimdInNode(): Promise<void> {
  if (relaxedFlagTried || !isNode) return;
  relaxedFlagTried = true;
  try {
    const v8 = await import('node:v8');
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    /* not Node, or flags locked: the probe below decides */
  }
}

function cores(): number {
  if (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) return navigator.hardwareConcurrency;
  return 1;
}

async function nodeCores(): Promise<number> {
  const os = await import('node:os');
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

function sharedMemoryProbe(): { ok: boolean; reason?: string } {
  if (typeof SharedArrayBuffer === 'undefined') {
    const isolatedHint =
      typeof globalThis.crossOriginIsolated === 'boolean' && !globalThis.crossOriginIsolated
        ? 'the page is not cross-origin isolated: serve it with the headers ' +
          '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"'
        : 'this runtime has no SharedArrayBuffer';
    return { ok: false, reason: `SharedArrayBuffer is unavailable (${isolatedHint})` };
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: `a shared WebAssembly.Memory cannot be created (${(e as Error).message})` };
  }
}

/**
 * Probes the runtime. `relaxedSimd: false` skips the relaxed probe (and leaves V8 flags alone).
 * Cheap (three tiny compiles); the result does not change within a process, so callers may cache it.
 */
export async function features(options: { relaxedSimd?: boolean } = {}): Promise<Features> {
  const simd = runProbe(SIMD_PROBE, 1.5, 2, 3);
  let relaxedSimd = false;
  let relaxedDotI8 = false;
  if (simd && options.relaxedSimd !== false) {
    await enableRelaxedSimdInNode();
    relaxedSimd = runProbe(RELAXED_SIMD_PROBE, 2, 3, 9);
    relaxedDotI8 = relaxedSimd && relaxedDotI8Probe().got === RELAXED_DOT_I8_ANSWER;
  }
  const shared = sharedMemoryProbe();
  const n = isNode ? await nodeCores() : cores();
  return {
    simd,
    relaxedSimd,
    relaxedDotI8,
    sharedMemory: shared.ok,
    threads: shared.ok,
    threadsUnavailableReason: shared.reason,
    cores: n,
  };
}
