/**
 * The one geometry module: output sizes and padding for convolution, im2col and pooling.
 * Every kernel wrapper, graph node, network builder and test computes window geometry here.
 *
 * Conventions (those of PyTorch, ONNX and TensorFlow):
 *  - explicit pads: `{ top, left, bottom, right }` (PyTorch/ONNX; asymmetric allowed);
 *  - `'same'`: TF SAME / ONNX SAME_UPPER — out = ceil(in / stride), the odd extra pixel goes
 *    bottom/right; `'same_lower'`: ONNX SAME_LOWER, the extra pixel goes top/left;
 *  - `'valid'`: no padding;
 *  - `ceilMode`: PyTorch/ONNX ceil_mode — out = ceil((in + pads − k) / s) + 1, minus one when the
 *    last window would start in the bottom/right padding (pytorch/pytorch#57178 rule).
 */

export interface Pads {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export type Padding = Pads | 'same' | 'same_lower' | 'valid';

export interface Window2d {
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padding: Padding;
  /** Pooling only: ceil instead of floor for the output size. */
  ceilMode?: boolean;
}

export interface ResolvedWindow {
  outH: number;
  outW: number;
  pads: Pads;
}

export const NO_PADS: Readonly<Pads> = Object.freeze({ top: 0, left: 0, bottom: 0, right: 0 });

/** Symmetric explicit pads: `pads(1)` → all sides 1, `pads(0, 3)` → top/bottom 0, left/right 3. */
export function pads(padH: number, padW: number = padH): Pads {
  return { top: padH, left: padW, bottom: padH, right: padW };
}

/** Output length of one spatial axis for explicit pads. */
export function outputLength(
  input: number, kernel: number, stride: number, padBefore: number, padAfter: number, ceilMode = false,
): number {
  const span = input + padBefore + padAfter - kernel;
  if (!ceilMode) return span < 0 ? 0 : Math.floor(span / stride) + 1;
  // Ceil mode lets the last window hang past the input, even a window longer than the input
  // (PyTorch: 2 → 1 for a 3×3/2 pool, which torchvision GoogLeNet needs at its 15-pixel minimum).
  let out = Math.ceil(span / stride) + 1;
  if ((out - 1) * stride >= input + padBefore) out -= 1;
  return Math.max(out, 0);
}

/** TF SAME pads for one axis: [before, after]; `lower` puts the odd pixel before (ONNX SAME_LOWER). */
export function samePads(input: number, kernel: number, stride: number, lower = false): [number, number] {
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + kernel - input, 0);
  const small = Math.floor(total / 2);
  return lower ? [total - small, small] : [small, total - small];
}

/** Resolves a window over an `inH × inW` map to explicit pads and the output size. */
export function resolveWindow(inH: number, inW: number, w: Window2d): ResolvedWindow {
  let p: Pads;
  if (w.padding === 'valid') p = { ...NO_PADS };
  else if (w.padding === 'same' || w.padding === 'same_lower') {
    const lower = w.padding === 'same_lower';
    const [top, bottom] = samePads(inH, w.kernelH, w.strideH, lower);
    const [left, right] = samePads(inW, w.kernelW, w.strideW, lower);
    p = { top, left, bottom, right };
  } else p = { ...w.padding };
  const ceil = w.ceilMode ?? false;
  return {
    outH: outputLength(inH, w.kernelH, w.strideH, p.top, p.bottom, ceil),
    outW: outputLength(inW, w.kernelW, w.strideW, p.left, p.right, ceil),
    pads: p,
  };
}

/**
 * Rows [y0, y1) of the input that output row `oy` of a window reads, clipped to the image.
 * Also used for columns. Pooling's count_include_pad divisor uses `paddedWindowLength`.
 */
export function inputSpan(o: number, kernel: number, stride: number, padBefore: number, input: number): [number, number] {
  const start = o * stride - padBefore;
  return [Math.max(start, 0), Math.min(start + kernel, input)];
}

/** Length of a window clipped to the padded extent [−padBefore, input + padAfter) (count_include_pad). */
export function paddedWindowLength(
  o: number, kernel: number, stride: number, padBefore: number, padAfter: number, input: number,
): number {
  const start = o * stride - padBefore;
  return Math.min(start + kernel, input + padAfter) - start;
}
