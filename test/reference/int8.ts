/**
 * Plain-TypeScript integer references for the 8-bit kernels, written from their contracts:
 * exact integer sums in JS numbers (all far below 2⁵³), f32 steps as Math.fround of the f64
 * result (correctly rounded for one +, −, × or ÷ of f32 operands), round half to even by hand.
 * Dense row-major arrays; the kernels must match these byte for byte.
 */

import { I8_PANEL_HEAD_BYTES } from '../../src/bindings/kernels/int8.js';

const f32 = Math.fround;

/** Round half to even of a finite or infinite number (NaN stays NaN). */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The shared tail of the GEMM epilogue and quantisation: n = nearest(real), clamped to
 * [lo − zero, hi − zero] with NaN going to the lower bound, then + zero.
 */
function requantize(real: number, zero: number, lo: number, hi: number): number {
  const n = roundHalfEven(real);
  const loF = lo - zero;
  const hiF = hi - zero;
  const a = loF < n ? n : loF;
  const b = a < hiF ? a : hiF;
  return b + zero;
}

export interface I8GemmParams {
  aZero: number;
  outZero: number;
  lo: number;
  hi: number;
  /** `[m][n]` dense u8 residual (none when absent), its zero point and scale (f32). */
  res?: ArrayLike<number>;
  resZero?: number;
  resScale?: number;
}

/** What the reference saw: exact halves rounded, values clamped at lo / hi (a test's grid must reach them). */
export interface I8GemmStats {
  ties: number;
  clampedLo: number;
  clampedHi: number;
}

/**
 * out[i][j] = clamp(nearest(f32(Σ_k (a − aZero)·w + bias)·scale (+ f32(res − resZero)·resScale)) + outZero, lo, hi).
 * a `[m][k]` u8, w `[k][n]` i8, bias `[n]` i32 (or none), scale `[n]` f32. Throws when the
 * integer sum leaves i32 (outside the kernel's contract, so no test may rely on it).
 */
export function i8GemmRef(
  a: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, scale: ArrayLike<number>,
  m: number, n: number, k: number, p: I8GemmParams, stats?: I8GemmStats,
): Uint8Array {
  const out = new Uint8Array(m * n);
  const resScale = f32(p.resScale ?? 1);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let kk = 0; kk < k; kk++) acc += (a[i * k + kk] - p.aZero) * w[kk * n + j];
      const y = acc + (bias ? bias[j] : 0);
      if (y !== (y | 0)) throw new Error(`i8GemmRef: y = ${y} at (${i}, ${j}) leaves i32, outside the kernel's contract`);
      let real = f32(f32(y) * f32(scale[j]));
      if (p.res) real = f32(real + f32(f32(p.res[i * n + j] - (p.resZero ?? 0)) * resScale));
      out[i * n + j] = requantize(real, p.outZero, p.lo, p.hi);
      if (stats) {
        if (real - Math.floor(real) === 0.5) stats.ties++;
        const q = roundHalfEven(real) + p.outZero;
        if (q < p.lo) stats.clampedLo++;
        if (q > p.hi) stats.clampedHi++;
      }
    }
  }
  return out;
}

/** What i8GemmF32Ref saw, so a test can show its grid reaches each rule of the epilogue. */
export interface I8GemmF32Stats {
  /** Outputs set by lo, by hi (a product strictly beyond the bound). */
  clampedLo: number;
  clampedHi: number;
  nan: number;
  negZero: number;
  infinite: number;
  /** Sums whose acc + bias left i32 and wrapped. */
  wrapped: number;
}

/**
 * i8_gemm_f32's contract: out[i][j] = min(max(f32(y)·f32(scale[j]), lo), hi) as f32, where
 * y = Σ_k (a − aZero)·w + bias wrapped to i32 (exact in JS numbers for k ≤ 65536, then `| 0`),
 * max(x, lo) = x < lo ? lo : x and min(x, hi) = hi < x ? hi : x (NaN passes, −0 stays −0), lo and
 * hi taken as f32. a `[m][k]` u8, w `[k][n]` i8, bias `[n]` i32 (or none), scale `[n]` f32.
 */
export function i8GemmF32Ref(
  a: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | undefined, scale: ArrayLike<number>,
  m: number, n: number, k: number, aZero: number, lo: number, hi: number, stats?: I8GemmF32Stats,
): Float32Array {
  const out = new Float32Array(m * n);
  const loF = f32(lo);
  const hiF = f32(hi);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let kk = 0; kk < k; kk++) acc += (a[i * k + kk] - aZero) * w[kk * n + j];
      const exact = acc + (bias ? bias[j] : 0);
      const y = exact | 0;
      const x = f32(f32(y) * f32(scale[j]));
      const atLeastLo = x < loF ? loF : x;
      const v = hiF < atLeastLo ? hiF : atLeastLo;
      out[i * n + j] = v;
      if (stats) {
        if (y !== exact) stats.wrapped++;
        if (x < loF) stats.clampedLo++;
        if (hiF < atLeastLo) stats.clampedHi++;
        if (Number.isNaN(v)) stats.nan++;
        if (Object.is(v, -0)) stats.negZero++;
        if (v === Infinity || v === -Infinity) stats.infinite++;
      }
    }
  }
  return out;
}

/** OIHW i8 weights → `[k][n]` with k = (ky·kernelW + kx)·inChannels + ci (the u8_im2col row order). */
export function i8WeightsKN(src: ArrayLike<number>, outChannels: number, inChannels: number, kernelH: number, kernelW: number): Int8Array {
  const k = kernelH * kernelW * inChannels;
  const w = new Int8Array(k * outChannels);
  for (let o = 0; o < outChannels; o++) {
    for (let ci = 0; ci < inChannels; ci++) {
      for (let ky = 0; ky < kernelH; ky++) {
        for (let kx = 0; kx < kernelW; kx++) {
          w[((ky * kernelW + kx) * inChannels + ci) * outChannels + o] = src[((o * inChannels + ci) * kernelH + ky) * kernelW + kx];
        }
      }
    }
  }
  return w;
}

/**
 * What i8_pack_gemm_weights must produce for `[k][n]` weights: per 8-column panel, the head
 * (I8_PANEL_HEAD_BYTES: bias i32[8], colSum i32[8], scale f32[8], qSum i32[8] with
 * qSum = Σ_k max(−w, 0)), then ceil(k/2) k-pairs of [8][2] i8; zeros past n and past k.
 */
export function packI8PanelsRef(w: ArrayLike<number>, bias: ArrayLike<number> | undefined, scale: ArrayLike<number>, k: number, n: number): Uint8Array {
  const kp = Math.ceil(k / 2);
  const head = I8_PANEL_HEAD_BYTES;
  const panelBytes = head + 16 * kp;
  const panels = Math.ceil(n / 8);
  const out = new Uint8Array(panels * panelBytes);
  const view = new DataView(out.buffer);
  for (let p = 0; p < panels; p++) {
    const base = p * panelBytes;
    for (let j = 0; j < 8; j++) {
      const col = p * 8 + j;
      if (col >= n) continue;
      let sum = 0;
      let neg = 0;
      for (let kk = 0; kk < k; kk++) {
        const v = w[kk * n + col];
        sum += v;
        neg += Math.max(-v, 0);
        out[base + head + (kk >> 1) * 16 + 2 * j + (kk & 1)] = v & 255;
      }
      view.setInt32(base + 4 * j, bias ? bias[col] : 0, true);
      view.setInt32(base + 32 + 4 * j, sum, true);
      view.setFloat32(base + 64 + 4 * j, scale[col], true);
      view.setInt32(base + 96 + 4 * j, neg, true);
    }
  }
  return out;
}

export interface WindowGeometry {
  inH: number;
  inW: number;
  channels: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** u8 im2col of a dense `[inH][inW][channels]` image: `[outH·outW][kh·kw·channels]`, padding = padValue. */
export function u8Im2colRef(input: ArrayLike<number>, g: WindowGeometry, padValue: number): Uint8Array {
  const K = g.kernelH * g.kernelW * g.channels;
  const out = new Uint8Array(g.outH * g.outW * K);
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      const r = oy * g.outW + ox;
      for (let ky = 0; ky < g.kernelH; ky++) {
        for (let kx = 0; kx < g.kernelW; kx++) {
          const iy = oy * g.strideH - g.padTop + ky;
          const ix = ox * g.strideW - g.padLeft + kx;
          const inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
          for (let c = 0; c < g.channels; c++) {
            out[r * K + (ky * g.kernelW + kx) * g.channels + c] = inside ? input[(iy * g.inW + ix) * g.channels + c] : padValue;
          }
        }
      }
    }
  }
  return out;
}

/** The in-image taps of output pixel (oy, ox) as [iy, ix] pairs. */
function taps(g: WindowGeometry, oy: number, ox: number): Array<[number, number]> {
  const list: Array<[number, number]> = [];
  for (let ky = 0; ky < g.kernelH; ky++) {
    for (let kx = 0; kx < g.kernelW; kx++) {
      const iy = oy * g.strideH - g.padTop + ky;
      const ix = ox * g.strideW - g.padLeft + kx;
      if (iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW) list.push([iy, ix]);
    }
  }
  return list;
}

/** Max over in-image taps (0 for a window with none), dense NHWC in and out. */
export function u8MaxPoolRef(input: ArrayLike<number>, g: WindowGeometry): Uint8Array {
  const out = new Uint8Array(g.outH * g.outW * g.channels);
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      const t = taps(g, oy, ox);
      for (let c = 0; c < g.channels; c++) {
        let m = 0;
        for (const [iy, ix] of t) m = Math.max(m, input[(iy * g.inW + ix) * g.channels + c]);
        out[(oy * g.outW + ox) * g.channels + c] = m;
      }
    }
  }
  return out;
}

/** ⌊(2S + count)/(2·count)⌋ with exact integers: S / count rounded half up (0 when count is 0). */
export function divRoundHalfUp(sum: number, count: number): number {
  return count > 0 ? Math.floor((2 * sum + count) / (2 * count)) : 0;
}

/**
 * Average pool: in-image taps summed, plus padValue for each padded tap counted when
 * countIncludePad (the window clipped to [−padTop, inH + padBottom) × [−padLeft, inW + padRight)).
 */
export function u8AvgPoolRef(
  input: ArrayLike<number>, g: WindowGeometry, padBottom: number, padRight: number, countIncludePad: boolean, padValue: number,
): Uint8Array {
  const out = new Uint8Array(g.outH * g.outW * g.channels);
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      const t = taps(g, oy, ox);
      const y0 = oy * g.strideH - g.padTop;
      const x0 = ox * g.strideW - g.padLeft;
      const paddedH = Math.min(y0 + g.kernelH, g.inH + padBottom) - y0;
      const paddedW = Math.min(x0 + g.kernelW, g.inW + padRight) - x0;
      const count = countIncludePad ? Math.max(0, paddedH * paddedW) : t.length;
      for (let c = 0; c < g.channels; c++) {
        let s = countIncludePad ? (count - t.length) * padValue : 0;
        for (const [iy, ix] of t) s += input[(iy * g.inW + ix) * g.channels + c];
        out[(oy * g.outW + ox) * g.channels + c] = divRoundHalfUp(s, count);
      }
    }
  }
  return out;
}

/** Per-channel rounded mean over `pixels` dense pixels. */
export function u8GlobalAvgPoolRef(input: ArrayLike<number>, pixels: number, channels: number): Uint8Array {
  const out = new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let p = 0; p < pixels; p++) s += input[p * channels + c];
    out[c] = divRoundHalfUp(s, pixels);
  }
  return out;
}

/** clamp(nearest(f32(x / scale)) + zero, 0, 255), NaN → 0. */
export function quantizeRef(x: ArrayLike<number>, scale: number, zero: number): Uint8Array {
  const out = new Uint8Array(x.length);
  const s = f32(scale);
  for (let i = 0; i < x.length; i++) out[i] = requantize(f32(f32(x[i]) / s), zero, 0, 255);
  return out;
}

/** f32(q − zero) · scale, rounded to f32. */
export function dequantizeRef(q: ArrayLike<number>, scale: number, zero: number): Float32Array {
  const out = new Float32Array(q.length);
  const s = f32(scale);
  for (let i = 0; i < q.length; i++) out[i] = f32((q[i] - zero) * s);
  return out;
}

/** The contents of packed int8 GEMM panels: weights `[k][n]`, bias, column sums and scales `[n]`. */
export interface I8Panels {
  w: Int8Array;
  bias: Int32Array;
  colSum: Int32Array;
  scale: Float32Array;
}

/**
 * Reads `ceil(n/8)` packed panels of depth k (the layout `packI8PanelsRef` writes: per panel the
 * head, then ceil(k/2) k-pairs of [8][2] i8) back into dense arrays, so a reference can run on
 * exactly the weights a program holds. qSum is not read: no reference needs it.
 */
export function unpackI8PanelsRef(packed: Uint8Array, k: number, n: number): I8Panels {
  const head = I8_PANEL_HEAD_BYTES;
  const panelBytes = head + 16 * Math.ceil(k / 2);
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const out: I8Panels = { w: new Int8Array(k * n), bias: new Int32Array(n), colSum: new Int32Array(n), scale: new Float32Array(n) };
  for (let col = 0; col < n; col++) {
    const base = (col >> 3) * panelBytes;
    const j = col & 7;
    out.bias[col] = view.getInt32(base + 4 * j, true);
    out.colSum[col] = view.getInt32(base + 32 + 4 * j, true);
    out.scale[col] = view.getFloat32(base + 64 + 4 * j, true);
    for (let kk = 0; kk < k; kk++) out.w[kk * n + col] = view.getInt8(base + head + (kk >> 1) * 16 + 2 * j + (kk & 1));
  }
  return out;
}

/** A conv/FC layer's f32 parameters and the quantisation around it, as pack-int8.ts takes them. */
export interface LayerToQuantize {
  /** OIHW `[out][depth]` (FC `[out][in]`). */
  weight: Float32Array;
  bias?: Float32Array;
  bn?: { gamma?: Float32Array; beta?: Float32Array; mean: Float32Array; var: Float32Array; eps: number };
  outChannels: number;
  depth: number;
  inputScale: number;
  /** Undefined: the layer writes f32 (the requantize factor is then to real values). */
  outputScale?: number;
  residualScale?: number;
}

/**
 * The int8 layer contract of src/graph/int8/pack-int8.ts, written from its formulas in f64:
 * BatchNorm folded (s = γ/√(var + ε), w' = w·s, b' = (b − mean)·s + β), per-output-channel
 * symmetric weights sW = f32(max|w'|/127) (1 for an all-zero channel), q = round(w'/sW) in
 * [−127, 127], bias round(b'/(sIn·sW)) as i32, requantize factor f32(f32(sIn·sW)/sOut) for a u8
 * output without residual (onnxruntime's f32 order), f32(sIn·sW·r/sOut) with residual scale r,
 * f32(sIn·sW) for an f32 output.
 * Returns OIHW i8 weights (`i8WeightsKN` reorders them), the i32 bias, the factors and sW.
 */
export function quantizeLayerRef(l: LayerToQuantize): { q: Int8Array; bias: Int32Array; scale: Float32Array; weightScales: Float32Array } {
  const { outChannels: n, depth: k } = l;
  const q = new Int8Array(n * k);
  const bias = new Int32Array(n);
  const scale = new Float32Array(n);
  const weightScales = new Float32Array(n);
  for (let o = 0; o < n; o++) {
    const s = l.bn ? (l.bn.gamma ? l.bn.gamma[o] : 1) / Math.sqrt(l.bn.var[o] + l.bn.eps) : 1;
    let most = 0;
    for (let i = 0; i < k; i++) most = Math.max(most, Math.abs(l.weight[o * k + i] * s));
    const sW = f32(most > 0 ? most / 127 : 1);
    weightScales[o] = sW;
    for (let i = 0; i < k; i++) q[o * k + i] = Math.max(-127, Math.min(127, Math.round((l.weight[o * k + i] * s) / sW)));
    const folded = l.bn ? ((l.bias ? l.bias[o] : 0) - l.bn.mean[o]) * s + (l.bn.beta ? l.bn.beta[o] : 0) : (l.bias ? l.bias[o] : 0);
    bias[o] = Math.round(folded / (l.inputScale * sW));
    scale[o] = l.outputScale === undefined
      ? f32(l.inputScale * sW)
      : l.residualScale !== undefined
        ? f32((l.inputScale * sW * l.residualScale) / l.outputScale)
        : f32(f32(l.inputScale * sW) / l.outputScale);
  }
  return { q, bias, scale, weightScales };
}
