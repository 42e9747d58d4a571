/**
 * A residual conv part's epilogue recomputed from the bytes it read, in two arithmetics, to tell
 * why onnxruntime's uint8 output of the exported chain DQ → Conv → Mul(r) → Add(DQ(residual)) →
 * [Relu] → Q can differ from ours (used by export-qdq-residual.test.ts and bench/qdq-drift.ts):
 *
 *   acc[o]  = Σ_{ky,kx,ci} (x − zIn)·W[o][ci][ky][kx]            exact integer (a padded tap is zIn: 0)
 *   exact   t = (acc·sIn·sW[o] + bias[o]·f32(sIn·sW[o]))·f32(r) + (res − zRes)·sRes, ReLU'd, / sOut
 *             — the real number the QDQ file describes (every constant the f32 value it stores),
 *             evaluated in float64: far closer to the true value than any distance reported here;
 *   ours    t' = f32(f32(acc + bias)·scale[o]) + f32(f32(res − zRes)·f32(sRes/sOut)), f32 add
 *             — assembly/i8-epilogue.ts step by step (scale[o] the packed requantize factor);
 *   code    = clamp(nearest-even(t) + zOut) to the clamp's integer bounds.
 * An element whose two codes differ while both sides read the same bytes can only come from t
 * lying within the two arithmetics' rounding error of a rounding boundary (t − ⌊t⌋ = ½): the
 * distance |t − ⌊t⌋ − ½| in output steps of each such element is reported.
 *
 * Layouts: every byte array dense NHWC `[N][H][W][C]` (input `[N][H][W][Cin]`, residual and
 * outputs `[N][Ho][Wo][O]`), as `runInt8Walk` keeps them.
 */
import { packedI8GemmBytes } from '../../src/bindings/kernels/int8.js';
import type { ConvNode } from '../../src/graph/nodes.js';
import type { ConvPart } from '../../src/graph/ops.js';
import { unpackI8Panels } from '../../src/onnx/export-qdq.js';
import type { Int8Case } from './case.js';

const f32 = Math.fround;

/** Nearest integer, ties to even (f32x4.nearest, QuantizeLinear). */
export function nearestEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

export interface DifferingElement {
  /** Element index in the dense NHWC output. */
  at: number;
  exact: number;
  ours: number;
  theirs: number;
  /** |t − ⌊t⌋ − ½| of the exact t, in output steps. */
  distance: number;
}

export interface EpilogueAnalysis {
  elements: number;
  /** Elements whose exact t lies within `near` (an argument) of a rounding boundary. */
  nearBoundary: number;
  /** Elements where our epilogue emulated in f32 ≠ our bytes: must be 0, or the inputs here are not what the kernel read. */
  emulationMismatches: number;
  /** Elements where our code ≠ onnxruntime's (none when onnxruntime's codes are not given). */
  differing: DifferingElement[];
  /** Largest distance from a rounding boundary among the differing elements (0 when none differ). */
  maxDistance: number;
  /** Elements whose exact t lies within `maxDistance` of a boundary: the population a float re-summation can flip. */
  atRisk: number;
  /** Elements whose code ≠ the exact rounding, ours and onnxruntime's (0 when not given). */
  oursOff: number;
  theirsOff: number;
}

/**
 * Analyses residual conv part `part` (u8 output) from the bytes it read (`input`, `residual`),
 * our output bytes and, when given, onnxruntime's (all dense NHWC). `near`: the distance from a
 * boundary, in output steps, below which an element counts in `nearBoundary`.
 */
export function analyseResidualPart(
  p: Int8Case, part: ConvPart, inputShape: readonly number[], input: Uint8Array, residual: Uint8Array, ours: Uint8Array,
  theirs: Uint8Array | undefined, near = 1e-4,
): EpilogueAnalysis {
  const { compiled, arena } = p;
  const layer = compiled.int8.layers.find((l) => l.output === part.output);
  const node = part.layer as ConvNode;
  if (!layer || !part.residual || !layer.output8 || node.kind !== 'conv') throw new Error(`'${node.name}': not a residual conv part with a u8 output`);
  const [n, h, w, cin] = inputShape;
  const [, ho, wo, out] = compiled.int8.values.shape(part.output);
  const { kernelH: kh, kernelW: kw, strideH: sh, strideW: sw, pads } = node;
  const u = unpackI8Panels(arena.u8(layer.panels, packedI8GemmBytes(out, layer.depth)), out, cin, kh, kw);
  const sIn = layer.input.scale;
  const zIn = layer.input.zeroPoint;
  const res = compiled.int8.values.quant(part.residual.value);
  const q = layer.output8;
  const r = f32(part.residual.scale);
  const resStep = f32(res.scale / q.scale);
  // The integer bounds of the clamp as the step builder derives them (nearest code of each real bound).
  const code = (x: number) => Math.min(255, Math.max(0, Math.round(x / q.scale) + q.zeroPoint));
  const lo = Number.isFinite(part.clamp.lo) ? code(part.clamp.lo) : 0;
  const hi = Number.isFinite(part.clamp.hi) ? code(part.clamp.hi) : 255;
  const toCode = (t: number) => Math.min(hi, Math.max(lo, nearestEven(t) + q.zeroPoint));

  const a: EpilogueAnalysis = { elements: ours.length, nearBoundary: 0, emulationMismatches: 0, differing: [], maxDistance: 0, atRisk: 0, oursOff: 0, theirsOff: 0 };
  const distances = new Float64Array(ours.length);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        for (let o = 0; o < out; o++) {
          let acc = 0;
          for (let ky = 0; ky < kh; ky++) {
            const y = oy * sh - pads.top + ky;
            if (y < 0 || y >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const x = ox * sw - pads.left + kx;
              if (x < 0 || x >= w) continue;
              const row = ((b * h + y) * w + x) * cin;
              for (let ci = 0; ci < cin; ci++) acc += (input[row + ci] - zIn) * u.weights[((o * cin + ci) * kh + ky) * kw + kx];
            }
          }
          const at = ((b * ho + oy) * wo + ox) * out + o;
          const rd = residual[at] - res.zeroPoint;
          const emulated = toCode(f32(f32(f32(acc + u.bias[o]) * u.scales[o]) + f32(f32(rd) * resStep)));
          if (emulated !== ours[at]) a.emulationMismatches++;
          let real = (acc * sIn * layer.weightScales[o] + u.bias[o] * f32(sIn * layer.weightScales[o])) * r + rd * res.scale;
          if (part.clamp.lo === 0) real = Math.max(real, 0);
          const t = real / q.scale;
          const distance = Math.abs(t - Math.floor(t) - 0.5);
          distances[at] = distance;
          if (distance < near) a.nearBoundary++;
          const exact = toCode(t);
          if (ours[at] !== exact) a.oursOff++;
          if (!theirs) continue;
          if (theirs[at] !== exact) a.theirsOff++;
          if (ours[at] !== theirs[at]) {
            a.differing.push({ at, exact: t + q.zeroPoint, ours: ours[at], theirs: theirs[at], distance });
            a.maxDistance = Math.max(a.maxDistance, distance);
          }
        }
      }
    }
  }
  if (a.differing.length > 0) for (const d of distances) if (d <= a.maxDistance) a.atRisk++;
  return a;
}
