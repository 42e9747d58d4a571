/**
 * The platform-free half of the case files' format (bench/peers/artifacts.ts has the layout and
 * the Node readers): how a case's graph is built and how the raw float files split into weights
 * and images. No Node imports, so the Chromium pages (bench/peers/browser-page.ts) use it too.
 */
import type { Graph } from '../../src/graph/graph.js';

export interface BenchCase {
  model: string;
  variant: string;
  /** Square input size (pixels). */
  inputSize: number;
}

/** `buildNetwork` options of a case: main head only (aux heads are training-only), batch 1. */
export function caseBuildOptions(c: BenchCase): { variant: string; inputSize: number; batch: number; aux: boolean } {
  return { variant: c.variant, inputSize: c.inputSize, batch: 1, aux: false };
}

/** weights.bin's floats as named views (no copy) in the graph's declaration order; `what` names the file in errors. */
export function splitWeights(floats: Float32Array, graph: Pick<Graph, 'weights'>, what: string): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  let at = 0;
  for (const w of graph.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    out.set(w.name, floats.subarray(at, at + n));
    at += n;
  }
  if (at !== floats.length) {
    throw new Error(`${what}: ${floats.length} floats, but the graph declares ${at} — stale bench files? rerun the harness`);
  }
  return out;
}

/** `[n, 3, size, size]` floats → n images (views, no copy); throws when the length is no whole count. */
export function splitImages(floats: Float32Array, size: number, what: string): Float32Array[] {
  const per = 3 * size * size;
  if (floats.length === 0 || floats.length % per !== 0) {
    throw new Error(`${what}: ${floats.length} floats is not a whole number of [1, 3, ${size}, ${size}] images — stale bench files? rerun the harness`);
  }
  return Array.from({ length: floats.length / per }, (_, i) => floats.subarray(i * per, (i + 1) * per));
}
