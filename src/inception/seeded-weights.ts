/**
 * Deterministic weights and inputs that reproduce the PyTorch reference fixtures the tests compare
 * against (test/networks/torch-fixtures.test.ts; the fixtures state the same fill rules): one
 * mulberry32 stream walks a graph's
 * weight list in order, one draw per element in row-major order, each value computed in float64
 * and rounded once to float32.
 */

import type { WeightDecl, WeightRole } from '../graph/nodes.js';
import { mulberry32 } from '../util/prng.js';

export const FIXTURE_WEIGHT_SEED = 1234;
export const FIXTURE_INPUT_SEED = 42;

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Fills `out` from `next` by the fixture rule for `role`; `fanIn` = product of shape[1..]. */
function fillTensor(out: Float32Array, role: WeightRole, fanIn: number, next: () => number): void {
  switch (role) {
    case 'conv_w':
    case 'linear_w': {
      const bound = Math.sqrt(6 / fanIn);
      for (let i = 0; i < out.length; i++) out[i] = (2 * next() - 1) * bound;
      break;
    }
    case 'bias':
    case 'bn_beta':
    case 'bn_mean':
      for (let i = 0; i < out.length; i++) out[i] = 0.2 * (next() - 0.5);
      break;
    case 'bn_gamma':
    case 'bn_var':
      for (let i = 0; i < out.length; i++) out[i] = 1 + 0.2 * (next() - 0.5);
      break;
  }
}

/**
 * Seeded weights for `weights` (a graph's weight list), filled in list order from one
 * `mulberry32(seed)` stream. The Map iterates in fill order. The tensors are views of one buffer:
 * one allocation, which the allocator maps and unmaps as a whole, so the memory goes back to the
 * system once the map is dropped. Hundreds of separately allocated tensors leave freed memory in
 * the C heap instead: an int8 Inception-ResNet-v2 session measured 271 MB RSS after load with
 * them, 178 MB with one buffer (`npm run bench:int8`, mode 'cleared').
 */
export function seededWeights(weights: readonly WeightDecl[], seed = FIXTURE_WEIGHT_SEED): Map<string, Float32Array> {
  const next = mulberry32(seed);
  const out = new Map<string, Float32Array>();
  const slab = new Float32Array(weights.reduce((sum, w) => sum + elementCount(w.shape), 0));
  let at = 0;
  for (const w of weights) {
    const data = slab.subarray(at, at + elementCount(w.shape));
    at += data.length;
    fillTensor(data, w.role, elementCount(w.shape.slice(1)), next);
    out.set(w.name, data);
  }
  return out;
}

/**
 * The fixtures' input: NCHW `[batch, channels, height, width]` float32 filled in row-major order
 * with `Math.fround(2u − 1)` from a fresh `mulberry32(seed)`. No normalisation.
 */
export function seededInputNCHW(
  batch: number, channels: number, height: number, width: number, seed = FIXTURE_INPUT_SEED,
): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(batch * channels * height * width);
  for (let i = 0; i < out.length; i++) out[i] = 2 * next() - 1;
  return out;
}
