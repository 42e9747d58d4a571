/**
 * Reference GEMM with the kernel's epilogue, and the reference weight packing / BatchNorm fold.
 * Plain loops, float64 arithmetic; dense row-major arrays. Reused by every later test (convs,
 * FC layers, whole networks).
 */

/** Clamp bounds and optional residual of the GEMM epilogue. */
export interface GemmEpilogue {
  lo: number;
  hi: number;
  /** `[m][n]` dense residual; when given, out = clamp(res + resScale·(acc + bias)). */
  res?: ArrayLike<number>;
  resScale?: number;
}

export interface GemmRefResult {
  /** `[m][n]` outputs in float64 (not rounded to f32). */
  out: Float64Array;
  /**
   * `[m][n]` magnitude of what was summed: |resScale|·(Σ_k |A·W| + |bias|) + |res|. Rounding error
   * of any f32 evaluation order is bounded by a small multiple of (k + 3)·2⁻²⁴ times it.
   */
  magnitude: Float64Array;
}

/**
 * out[i][j] = epilogue(Σ_k a[i][k]·w[k][j] + bias[j]); a `[m][k]`, w `[k][n]`, bias `[n]` (or
 * none), all dense.
 */
export function gemmRef(
  a: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | undefined,
  m: number, n: number, k: number, epilogue: GemmEpilogue,
): GemmRefResult {
  const out = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  const scale = epilogue.resScale ?? 1;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const b = bias ? bias[j] : 0;
      let acc = b;
      let mag = Math.abs(b);
      for (let kk = 0; kk < k; kk++) {
        const p = a[i * k + kk] * w[kk * n + j];
        acc += p;
        mag += Math.abs(p);
      }
      let v = acc;
      if (epilogue.res) {
        const r = epilogue.res[i * n + j];
        v = r + scale * acc;
        mag = Math.abs(scale) * mag + Math.abs(r);
      }
      out[i * n + j] = Math.min(Math.max(v, epilogue.lo), epilogue.hi);
      magnitude[i * n + j] = mag;
    }
  }
  return { out, magnitude };
}

export interface BatchNormParams {
  /** Absent = 1 (tf-slim / Keras BN without scale). */
  gamma?: ArrayLike<number>;
  /** Absent = 0. */
  beta?: ArrayLike<number>;
  mean: ArrayLike<number>;
  var: ArrayLike<number>;
  eps: number;
}

export interface GemmWeightsRef {
  /** `[k][n]` with k = (ky·kernelW + kx)·inChannels + ci, n = output channel; f32-rounded. */
  w: Float32Array;
  /** `[n]`, f32-rounded. */
  bias: Float32Array;
  k: number;
  n: number;
}

/**
 * Conv/FC weights, OIHW `[out][in][kh][kw]`, as a GEMM operand in NHWC im2col row order, BatchNorm folded:
 * s = γ/√(var+ε), w' = w·s, b' = (b − mean)·s + β, each computed in float64 and rounded to f32 once.
 */
export function gemmWeightsRef(
  src: ArrayLike<number>,
  outChannels: number, inChannels: number, kernelH: number, kernelW: number,
  bias?: ArrayLike<number>, bn?: BatchNormParams,
): GemmWeightsRef {
  const k = kernelH * kernelW * inChannels;
  const n = outChannels;
  const w = new Float32Array(k * n);
  const b = new Float32Array(n);
  for (let o = 0; o < n; o++) {
    const b0 = bias ? bias[o] : 0;
    let s = 1;
    let shift = b0;
    if (bn) {
      const gamma = bn.gamma ? bn.gamma[o] : 1;
      const beta = bn.beta ? bn.beta[o] : 0;
      s = gamma / Math.sqrt(bn.var[o] + bn.eps);
      shift = (b0 - bn.mean[o]) * s + beta;
    }
    b[o] = shift;
    for (let ky = 0; ky < kernelH; ky++) {
      for (let kx = 0; kx < kernelW; kx++) {
        for (let ci = 0; ci < inChannels; ci++) {
          const srcIndex = ((o * inChannels + ci) * kernelH + ky) * kernelW + kx;
          const row = (ky * kernelW + kx) * inChannels + ci;
          w[row * n + o] = bn ? src[srcIndex] * s : src[srcIndex];
        }
      }
    }
  }
  return { w, bias: b, k, n };
}

/** Lays `[k][n]` weights and `[n]` bias out in f32_gemm panels (bias[8], then k rows of 8), zero-padded. */
export function packGemmPanelsRef(w: ArrayLike<number>, bias: ArrayLike<number> | undefined, k: number, n: number): Float32Array {
  const panels = Math.ceil(n / 8);
  const panelFloats = 8 + 8 * k;
  const out = new Float32Array(panels * panelFloats);
  for (let p = 0; p < panels; p++) {
    for (let j = 0; j < 8; j++) {
      const col = p * 8 + j;
      if (col >= n) continue;
      out[p * panelFloats + j] = bias ? bias[col] : 0;
      for (let kk = 0; kk < k; kk++) out[p * panelFloats + 8 + kk * 8 + j] = w[kk * n + col];
    }
  }
  return out;
}

/** What f32_pack_gemm_weights must produce. */
export function packGemmWeightsRef(
  src: ArrayLike<number>,
  outChannels: number, inChannels: number, kernelH: number, kernelW: number,
  bias?: ArrayLike<number>, bn?: BatchNormParams,
): Float32Array {
  const g = gemmWeightsRef(src, outChannels, inChannels, kernelH, kernelW, bias, bn);
  return packGemmPanelsRef(g.w, g.bias, g.k, g.n);
}
