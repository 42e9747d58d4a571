/**
 * Static calibration: runs the f32 program of a graph on the calibration inputs and records, for
 * every value the program writes (and the graph input), the smallest and largest value seen.
 * Each step's outputs are read right after the step (the memory planner reuses buffers, so a
 * value may be gone by the end of the run). The op list is the one the int8 compiler lowers
 * (same passes), so the ranges are keyed by the same values.
 */

import { Arena } from '../../bindings/arena.js';
import { runProgramInline } from '../../bindings/executor.js';
import { asKernels, pixelPtr, type View } from '../../bindings/program.js';
import { instantiateKernels } from '../../bindings/wasm-module.js';
import { compileGraph, type WeightMap } from '../compile.js';
import type { Graph } from '../graph.js';
import type { ValueId } from '../nodes.js';
import { opOutputs } from '../ops.js';
import type { PassName } from '../passes.js';
import { stageInput } from '../program-io.js';
import type { ValueRange } from './quant-params.js';

/**
 * How a value's range is taken from what calibration saw: the full min/max, or the
 * `percentile`-th percentile at each end (e.g. 99.99: the top and bottom 0.01 % of values
 * clipped), which spends the 256 levels on the bulk of the distribution instead of rare outliers.
 */
export type CalibrationMethod = { method: 'minmax' } | { method: 'percentile'; percentile: number };

/** Histogram bins per value for the percentile method (over the value's min/max). */
const BINS = 2048;

export interface CalibrationRun {
  /** The kernel module (compiled for `shared` memory or not). */
  module: WebAssembly.Module;
  shared: boolean;
  passes: readonly PassName[];
  maxMemoryBytes?: number;
}

/** Calls `each` with the channels of every pixel of the first `images` images of a view. */
function forPixels(arena: Arena, v: View, images: number, each: (px: Float32Array) => void): void {
  for (let n = 0; n < images; n++) {
    for (let p = 0; p < v.height * v.width; p++) each(arena.f32(pixelPtr(v, n * v.height * v.width + p), v.channels));
  }
}

/** Widens `into` to the min/max of a view's first `images` images; NaN counts as non-finite. */
function widen(arena: Arena, v: View, images: number, into: ValueRange): void {
  let min = into.min;
  let max = into.max;
  let nan = false;
  forPixels(arena, v, images, (px) => {
    for (let c = 0; c < px.length; c++) {
      const x = px[c];
      if (x < min) min = x;
      if (x > max) max = x;
      if (x !== x) nan = true;
    }
  });
  into.min = nan ? NaN : min;
  into.max = nan ? NaN : max;
}

/** Adds a view's values to a histogram of BINS bins over [range.min, range.max]. */
function count(arena: Arena, v: View, images: number, range: ValueRange, bins: Float64Array): void {
  const width = (range.max - range.min) / BINS;
  if (!(width > 0)) return;
  forPixels(arena, v, images, (px) => {
    for (let c = 0; c < px.length; c++) bins[Math.min(BINS - 1, Math.floor((px[c] - range.min) / width))]++;
  });
}

/** The range clipped at the `percentile`-th percentile at both ends (bin edges, never past min/max). */
function clipped(range: ValueRange, bins: Float64Array, percentile: number): ValueRange {
  const total = bins.reduce((a, b) => a + b, 0);
  const width = (range.max - range.min) / BINS;
  if (!(width > 0) || total === 0) return range;
  const tail = (total * (100 - percentile)) / 100;
  let lo = 0;
  for (let seen = 0; lo < BINS - 1 && seen + bins[lo] <= tail; lo++) seen += bins[lo];
  let hi = BINS - 1;
  for (let seen = 0; hi > lo && seen + bins[hi] <= tail; hi--) seen += bins[hi];
  return { min: range.min + lo * width, max: range.min + (hi + 1) * width };
}

/**
 * Ranges of every value over `inputs` (each 1..batch images, checked by the caller) in `layout`.
 * A non-finite value in any activation is an error naming the value: it would make every scale
 * downstream meaningless.
 */
export function calibrationRanges(
  g: Graph, weights: WeightMap, inputs: readonly Float32Array[], layout: 'nchw' | 'nhwc', run: CalibrationRun,
  method: CalibrationMethod = { method: 'minmax' },
): Map<ValueId, ValueRange> {
  const arena = new Arena({ shared: run.shared, maxBytes: run.maxMemoryBytes });
  const k = asKernels(instantiateKernels(run.module, arena.memory));
  const compiled = compileGraph(g, weights, k, arena, { passes: run.passes, threads: 1, gemmMr: k.f32_gemm_mr() });
  const { input } = compiled;
  const imageFloats = input.channels * input.height * input.width;
  /** Runs every input, calling `observe` with each written value's view right after its step. */
  const pass = (observe: (v: ValueId, view: View, images: number) => void) => {
    for (const data of inputs) {
      const images = data.length / imageFloats;
      stageInput(k, arena, compiled, data, layout);
      observe(g.inputs[0], input, images);
      runProgramInline(k, compiled.program, {
        afterStep: (s) => {
          for (const v of opOutputs(compiled.ops[compiled.stepOps[s]])) observe(v, compiled.view(v), images);
        },
      });
    }
  };
  const ranges = new Map<ValueId, ValueRange>();
  pass((v, view, images) => {
    let r = ranges.get(v);
    if (!r) ranges.set(v, (r = { min: Infinity, max: -Infinity }));
    widen(arena, view, images, r);
  });
  for (const [v, r] of ranges) {
    if (!Number.isFinite(r.min) || !Number.isFinite(r.max)) {
      throw new Error(`inception-wasm: calibration: value '${g.node(v).name}' reached ${Number.isFinite(r.min) ? r.max : r.min}; the calibration inputs or the weights hold non-finite values`);
    }
  }
  if (method.method === 'minmax') return ranges;
  const histograms = new Map<ValueId, Float64Array>();
  pass((v, view, images) => {
    let h = histograms.get(v);
    if (!h) histograms.set(v, (h = new Float64Array(BINS)));
    count(arena, view, images, ranges.get(v)!, h);
  });
  return new Map([...ranges].map(([v, r]) => [v, clipped(r, histograms.get(v)!, method.percentile)]));
}
