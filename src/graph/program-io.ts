/**
 * Moving data into and out of a compiled program's arena: the one place that knows where the
 * input view, its NCHW staging buffer and the output view are. Used by the session and by tests
 * that run a compiled program directly.
 */

import type { Arena } from '../bindings/arena.js';
import type { Kernels } from '../bindings/program.js';
import type { CompiledGraph } from './compile.js';

/**
 * Writes `data` (1..planned-batch images, `nchw` or `nhwc`) into the program's input view: NHWC
 * directly, NCHW through the staging buffer and `f32_nchw_to_nhwc` per image. Checks nothing: the
 * caller has validated the length.
 */
export function stageInput(k: Kernels, arena: Arena, compiled: CompiledGraph, data: Float32Array, layout: 'nchw' | 'nhwc'): void {
  const { input } = compiled;
  if (layout === 'nhwc') {
    arena.f32(input.offset, data.length).set(data);
    return;
  }
  const imageFloats = input.channels * input.height * input.width;
  arena.f32(compiled.inputNchwOffset, data.length).set(data);
  for (let n = 0; n < data.length / imageFloats; n++) {
    k.f32_nchw_to_nhwc(
      compiled.inputNchwOffset + n * imageFloats * 4, input.channels, input.height, input.width,
      input.offset + n * input.imageStrideBytes, input.pixelStrideBytes,
    );
  }
}

/** Image `n` of the main output, NHWC, as a view into the arena (copy it before the next run). */
export function outputImage(arena: Arena, compiled: CompiledGraph, n: number): Float32Array {
  const { output } = compiled;
  return arena.f32(output.offset + n * output.imageStrideBytes, output.height * output.width * output.channels);
}
