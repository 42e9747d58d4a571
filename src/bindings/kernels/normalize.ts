/**
 * Typed access to the normalisation kernels — BatchNorm, LRN, softmax (contracts in
 * assembly/f32-batchnorm.ts, f32-lrn.ts, f32-softmax.ts) — and the host-side BatchNorm fold.
 */

/**
 * Cross-channel LRN parameters, declared once: the graph node, its builder spec and the program
 * step extend this. `y_c = x_c / (k + alpha/size · Σ_{c' in the size-window around c} x_c'²)^beta`.
 */
export interface LrnParams {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
}

export interface NormalizeKernels {
  /**
   * out[p, c] = clamp(in[p, c]·scale[c] + shift[c], lo, hi); scale/shift dense `[channels]`
   * (from `batchNormScaleShift`); pixel strides in bytes. In place: out == in (same stride).
   */
  f32_batchnorm_nhwc(
    inPtr: number, inPixelStrideBytes: number, pixels: number, channels: number,
    scalePtr: number, shiftPtr: number,
    outPtr: number, outPixelStrideBytes: number,
    lo: number, hi: number,
  ): void;
  /**
   * Cross-channel LRN (ONNX definition, window ⌊(size−1)/2⌋ before, ⌈(size−1)/2⌉ after, clipped):
   * out = in / (k + alpha/size·Σ in²)^beta. beta = 0.75 is the fast path. k > 0. Not in place.
   */
  f32_lrn_nhwc(
    inPtr: number, inPixelStrideBytes: number, pixels: number, channels: number,
    size: number, alpha: number, beta: number, k: number,
    outPtr: number, outPixelStrideBytes: number,
  ): void;
  /** Softmax over each of `rows` rows of n floats; row strides in bytes. In place: out == in (same stride). */
  f32_softmax(
    inPtr: number, inRowStrideBytes: number, rows: number, n: number,
    outPtr: number, outRowStrideBytes: number,
  ): void;
}

export function normalizeKernels(exports: WebAssembly.Exports): NormalizeKernels {
  return exports as unknown as NormalizeKernels;
}

/** Inference BatchNorm statistics of `[channels]` tensors; gamma absent = 1, beta absent = 0. */
export interface BatchNormParams {
  gamma?: ArrayLike<number>;
  beta?: ArrayLike<number>;
  mean: ArrayLike<number>;
  var: ArrayLike<number>;
  eps: number;
}

/**
 * Folds BatchNorm into the per-channel affine map f32_batchnorm_nhwc applies:
 * scale = γ/√(var + ε), shift = β − mean·scale, computed in f64 and rounded once to f32.
 */
export function batchNormScaleShift(p: BatchNormParams): { scale: Float32Array; shift: Float32Array } {
  const channels = p.mean.length;
  const lengths = { gamma: p.gamma?.length ?? channels, beta: p.beta?.length ?? channels, var: p.var.length };
  for (const [name, length] of Object.entries(lengths)) {
    if (length !== channels) {
      throw new RangeError(`inception-wasm: batchNorm ${name} has ${length} values, mean has ${channels}`);
    }
  }
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const s = (p.gamma ? p.gamma[c] : 1) / Math.sqrt(p.var[c] + p.eps);
    scale[c] = s;
    shift[c] = (p.beta ? p.beta[c] : 0) - p.mean[c] * s;
  }
  return { scale, shift };
}
