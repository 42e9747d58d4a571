/**
 * Reference pooling: naive loops, float64 accumulation, NHWC dense in and out. Window geometry
 * (pads, output size with ceil mode, window spans, the count_include_pad divisor) comes from
 * src/graph/geometry.ts.
 */
import { inputSpan, paddedWindowLength, resolveWindow, type Pads, type Window2d } from '../../src/graph/geometry.js';

export interface PoolReferenceParams {
  /** `[batch][inH][inW][channels]` dense. */
  input: ArrayLike<number>;
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  /** Kernel, strides, padding (explicit/SAME/VALID) and ceil mode. */
  window: Window2d;
}

export interface PoolReferenceResult {
  /** `[batch][outH][outW][channels]` dense. */
  output: Float32Array;
  outH: number;
  outW: number;
  pads: Pads;
  /** Average pools: per output, Σ|x| / divisor — the scale of f32 rounding error. Max pool: zeros. */
  absSum: Float64Array;
}

function poolReference(
  p: PoolReferenceParams,
  reduce: (values: number[], oy: number, ox: number, pads: Pads) => [value: number, absSum: number],
): PoolReferenceResult {
  const { batch, inH, inW, channels, window: w } = p;
  const { outH, outW, pads } = resolveWindow(inH, inW, w);
  const output = new Float32Array(batch * outH * outW * channels);
  const absSum = new Float64Array(output.length);
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      const [iy0, iy1] = inputSpan(oy, w.kernelH, w.strideH, pads.top, inH);
      for (let ox = 0; ox < outW; ox++) {
        const [ix0, ix1] = inputSpan(ox, w.kernelW, w.strideW, pads.left, inW);
        for (let c = 0; c < channels; c++) {
          const values: number[] = [];
          for (let iy = iy0; iy < iy1; iy++)
            for (let ix = ix0; ix < ix1; ix++) values.push(p.input[((n * inH + iy) * inW + ix) * channels + c]);
          const at = ((n * outH + oy) * outW + ox) * channels + c;
          [output[at], absSum[at]] = reduce(values, oy, ox, pads);
        }
      }
    }
  }
  return { output, outH, outW, pads, absSum };
}

/**
 * Max over the in-image part of each window (padding is −∞ and never wins; NaN propagates, as
 * the canonical quiet NaN: WebAssembly leaves a NaN result's sign and payload open, so a test
 * compares NaNs as NaNs).
 */
export function maxPoolNhwcReference(p: PoolReferenceParams): PoolReferenceResult {
  return poolReference(p, (values) => {
    const m = values.reduce((a, v) => Math.max(a, v), -Infinity);
    return [Number.isNaN(m) ? NaN : m, 0];
  });
}

/**
 * Average of the in-image part of each window, divided by
 * `countIncludePad` true: the window clipped to the padded extent (PyTorch default, Caffe);
 * false: the number of in-image elements (TF/Keras, timm v4/IRv2). An empty divisor gives 0.
 */
export function avgPoolNhwcReference(p: PoolReferenceParams & { countIncludePad: boolean }): PoolReferenceResult {
  const { inH, inW, window: w } = p;
  return poolReference(p, (values, oy, ox, pads) => {
    const divisor = p.countIncludePad
      ? paddedWindowLength(oy, w.kernelH, w.strideH, pads.top, pads.bottom, inH) *
        paddedWindowLength(ox, w.kernelW, w.strideW, pads.left, pads.right, inW)
      : values.length;
    if (divisor <= 0) return [0, 0];
    let sum = 0;
    let mag = 0;
    for (const v of values) {
      sum += v;
      mag += Math.abs(v);
    }
    return [sum / divisor, mag / divisor];
  });
}

/** Mean over all pixels of each image: `[batch][pixels][channels]` → `[batch][channels]`. */
export function globalAvgPoolNhwcReference(
  input: ArrayLike<number>, batch: number, pixels: number, channels: number,
): { output: Float32Array; absSum: Float64Array } {
  const output = new Float32Array(batch * channels);
  const absSum = new Float64Array(batch * channels);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      let mag = 0;
      for (let i = 0; i < pixels; i++) {
        const v = input[(n * pixels + i) * channels + c];
        sum += v;
        mag += Math.abs(v);
      }
      output[n * channels + c] = sum / pixels;
      absSum[n * channels + c] = mag / pixels;
    }
  }
  return { output, absSum };
}
