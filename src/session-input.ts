/**
 * A `run()` input as the session takes it: checked against the planned shape when the call is
 * made, and copied, so a later write to the caller's buffer cannot reach a queued computation.
 */

import type { Layout } from './session-options.js';

/**
 * Checks an input (of a checked `layout`) against the planned `[batch, C, H, W]` before any kernel
 * runs; a `features` input (`[batch, F, 1, 1]` planned) is named `[batch, F]`.
 */
export function validateInput(data: Float32Array, layout: Layout, planned: number[], checkFinite: boolean, features = false): void {
  const [batch, c, h, w] = planned;
  const image = c * h * w;
  const shape = features ? `[${batch},${c}]` : layout === 'nchw' ? `[${batch},${c},${h},${w}]` : `[${batch},${h},${w},${c}]`;
  if (!(data instanceof Float32Array)) {
    throw new TypeError(`inception-wasm: input must be a Float32Array (${features ? 'features' : layout.toUpperCase()} ${shape}), got ${Object.prototype.toString.call(data)}`);
  }
  if (data.length === 0 || data.length % image !== 0 || data.length / image > batch) {
    throw new Error(
      `inception-wasm: input 'input': expected ${shape} (${batch * image} floats; or a multiple of ${image} up to batch ${batch}), got ${data.length} floats`,
    );
  }
  if (checkFinite) {
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new Error(`inception-wasm: input 'input' holds a non-finite value (${data[i]}) at index ${i}; inputs must be finite (checkFinite is on)`);
      }
    }
  }
}

/**
 * The copies of `run()` inputs: a copy its run has staged is kept for the next call of the same
 * length, since `slice()` allocates and zeroes a new buffer per call. In Chromium 156 that made
 * googlenet's int8 run() on 2 threads 14.4 ms at p50 against 11.4–13.0 ms with the reuse
 * (`npx tsx bench/int8-browser.ts --model googlenet --threads 1,2 --rounds 15 --variants
 * int8-dot,f32`, before and after, alternating). At most one is kept, and a copy is handed out
 * once, so queued runs never share one.
 */
export class InputCopies {
  private spare?: Float32Array;

  /** `data`'s values in a buffer no one else holds. */
  copyOf(data: Float32Array): Float32Array {
    const spare = this.spare;
    if (spare === undefined || spare.length !== data.length) return data.slice();
    this.spare = undefined;
    spare.set(data);
    return spare;
  }

  /** A copy from `copyOf` that its run no longer reads. */
  release(copy: Float32Array): void {
    this.spare = copy;
  }
}
