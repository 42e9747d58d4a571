/**
 * Reference convolution and im2col: naive loops, float64 accumulation, NHWC dense in and out.
 * Window geometry (pads, output size) comes from src/graph/geometry.ts. Reused by every test that
 * needs a convolution's true value: the dwconv and im2col kernels, conv = im2col + GEMM, and
 * whole-graph checks.
 */
import { resolveWindow, type Pads, type Window2d } from '../../src/graph/geometry.js';

export interface ConvReferenceParams {
  /** `[batch][inH][inW][inChannels]` dense. */
  input: ArrayLike<number>;
  batch: number;
  inH: number;
  inW: number;
  inChannels: number;
  outChannels: number;
  /** 1 (ordinary conv), inChannels (depthwise: output channel ci·(out/in) + j reads input ci), or any divisor of both. */
  groups: number;
  /** `[outChannels][inChannels / groups][kernelH][kernelW]` (OIHW, PyTorch and the graph IR). */
  weight: ArrayLike<number>;
  /** `[outChannels]`, optional. */
  bias?: ArrayLike<number>;
  /** Kernel, strides and padding (explicit, SAME, VALID); dilation 1. */
  window: Window2d;
  /** Clamp applied after the bias (ReLU: lo = 0); default none. */
  lo?: number;
  hi?: number;
}

export interface ConvReferenceResult {
  /** `[batch][outH][outW][outChannels]` dense, the float64 result rounded once to f32. */
  output: Float32Array;
  outH: number;
  outW: number;
  pads: Pads;
  /** Per output: |bias| + Σ|x·w| over the terms summed — the scale of f32 rounding error. */
  absSum: Float64Array;
  /** Terms per output sum: kernelH·kernelW·inChannels/groups, +1 with a bias. */
  terms: number;
}

/** out[n][oy][ox][o] = clamp(bias[o] + Σ_{ky,kx,i} in[n][iy][ix][g·Cin/g + i] · w[o][i][ky][kx], lo, hi). */
export function convNhwcReference(p: ConvReferenceParams): ConvReferenceResult {
  const { batch, inH, inW, inChannels, outChannels, groups, weight, bias, window: w } = p;
  if (inChannels % groups !== 0 || outChannels % groups !== 0) {
    throw new RangeError(`conv reference: groups ${groups} must divide ${inChannels} and ${outChannels}`);
  }
  const { outH, outW, pads } = resolveWindow(inH, inW, w);
  const inPerGroup = inChannels / groups;
  const outPerGroup = outChannels / groups;
  const lo = p.lo ?? -Infinity;
  const hi = p.hi ?? Infinity;
  const output = new Float32Array(batch * outH * outW * outChannels);
  const absSum = new Float64Array(output.length);
  for (let n = 0; n < batch; n++) {
    for (let oy = 0; oy < outH; oy++) {
      for (let ox = 0; ox < outW; ox++) {
        for (let o = 0; o < outChannels; o++) {
          const g = Math.floor(o / outPerGroup);
          let sum = 0;
          let mag = 0;
          for (let ky = 0; ky < w.kernelH; ky++) {
            const iy = oy * w.strideH - pads.top + ky;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < w.kernelW; kx++) {
              const ix = ox * w.strideW - pads.left + kx;
              if (ix < 0 || ix >= inW) continue;
              for (let i = 0; i < inPerGroup; i++) {
                const x = p.input[((n * inH + iy) * inW + ix) * inChannels + g * inPerGroup + i];
                const wt = weight[((o * inPerGroup + i) * w.kernelH + ky) * w.kernelW + kx];
                sum += x * wt;
                mag += Math.abs(x * wt);
              }
            }
          }
          if (bias) {
            sum += bias[o];
            mag += Math.abs(bias[o]);
          }
          const at = ((n * outH + oy) * outW + ox) * outChannels + o;
          output[at] = Math.min(Math.max(sum, lo), hi);
          absSum[at] = mag;
        }
      }
    }
  }
  const terms = w.kernelH * w.kernelW * inPerGroup + (bias ? 1 : 0);
  return { output, outH, outW, pads, absSum, terms };
}

export interface Im2colReferenceResult {
  /** `[outH·outW][K]` dense, K = kernelH·kernelW·channels in (ky, kx, c) order. */
  rows: Float32Array;
  outH: number;
  outW: number;
  pads: Pads;
  K: number;
}

/** The GEMM A operand of one image's convolution: row oy·outW + ox holds its window, 0 outside the image. */
export function im2colNhwcReference(
  input: ArrayLike<number>, inH: number, inW: number, channels: number, window: Window2d,
): Im2colReferenceResult {
  const { outH, outW, pads } = resolveWindow(inH, inW, window);
  const { kernelH, kernelW, strideH, strideW } = window;
  const K = kernelH * kernelW * channels;
  const rows = new Float32Array(outH * outW * K);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let ky = 0; ky < kernelH; ky++) {
        for (let kx = 0; kx < kernelW; kx++) {
          const iy = oy * strideH - pads.top + ky;
          const ix = ox * strideW - pads.left + kx;
          if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
          for (let c = 0; c < channels; c++) {
            rows[(oy * outW + ox) * K + (ky * kernelW + kx) * channels + c] = input[(iy * inW + ix) * channels + c];
          }
        }
      }
    }
  }
  return { rows, outH, outW, pads, K };
}
