/**
 * What bounds our f32 speed against onnxruntime-node on this machine, layer by layer (bench/layers.ts).
 *
 * The bound is our SIMD peak loop (assembly/f32-peak.ts `f32_peak_madd`: independent f32x4
 * multiply-add chains, nothing read or written), measured in the same run (bench/layers-peak.ts).
 * WebAssembly's widest multiply-add is f32x4 (4 lanes), and no kernel issues them faster than that
 * loop, whose chains have nothing else to wait for; so a step that must do `k` multiplies takes at
 * least 2·k / peak. Per step:
 *
 * - a GEMM-family step (kinds in GEMM_STEP_KINDS: im2col / direct GEMM, Winograd, depthwise) with
 *   `macs` > 0: floor = 2 · multiplies / peak, multiplies = macs for a direct conv, and for Winograd
 *   macs / the tile's multiply reduction (winogradRule: the direct MACs per output tile over the
 *   transformed products per tile, F(m×m, 3×3): 9m² / (m+2)², F(m, r): m·r / (m+r−1)). That ignores
 *   the partial tiles at a map's edge and the transforms, so it stays a lower bound of our step;
 * - every other step (pools, concat copies, LRN, softmax, standalone BatchNorm or add): no floor,
 *   it counts at its measured time.
 *
 * A row's "at peak" time is the floors of its GEMM steps plus the measured time of its other steps;
 * a row without a GEMM step has none ("—"). Summed over the rows (measured time where there is no
 * floor) it gives the least time this engine's approach can reach on this machine, against native's
 * per-layer sum: the ratio bound. A row is "beyond our peak" when native runs it in less time than
 * the floors of its GEMM steps alone (for a direct conv: native GFLOP/s > our peak loop's).
 *
 * Pure functions, no timing: test/bench/layers-ceiling.test.ts checks them on hand-built rows.
 */
import { winogradPlan, type WinogradPlan } from '../src/graph/algorithm.js';
import { lowerWithPasses } from '../src/graph/compile.js';
import type { Graph } from '../src/graph/graph.js';
import { ALL_PASSES } from '../src/graph/passes.js';

/** Step kinds whose `macs` are multiply-accumulates of a convolution or FC layer. */
export const GEMM_STEP_KINDS: ReadonlySet<string> = new Set(['conv', 'winograd', 'winograd1d', 'dwconv']);
const WINOGRAD_STEP_KINDS: ReadonlySet<string> = new Set(['winograd', 'winograd1d']);

/** A Winograd tile and its multiply reduction: direct MACs per output tile over transformed products per tile. */
export interface WinogradRule {
  label: string;
  divisor: number;
}

/** F(m×m, 3×3): 9m² / (m+2)² (2.25, 4, 5.06); F(m, r): m·r / (m+r−1) (F(4, 3) 2, F(4, 7) 2.8, F(6, 7) 3.5). */
export function winogradRule(plan: WinogradPlan): WinogradRule {
  if (plan.dims === 2) {
    const alpha = plan.tile + 2;
    return { label: `F(${plan.tile}×${plan.tile}, 3×3)`, divisor: (9 * plan.tile * plan.tile) / (alpha * alpha) };
  }
  const alpha = plan.m + plan.r - 1;
  return { label: `F(${plan.m}, ${plan.r})`, divisor: (plan.m * plan.r) / alpha };
}

/**
 * The rule for a Winograd step whose tile is not known: the largest reduction of any tile the
 * engine has (F(6×6, 3×3)), so the floor stays a lower bound.
 */
export const UNKNOWN_WINOGRAD: WinogradRule = { label: 'F(?) ≤', divisor: winogradRule({ dims: 2, tile: 6 }).divisor };

/**
 * The Winograd plan of each conv op after the session's default passes and tuning (what
 * `createSession` compiles when given neither `passes`, `tuning` nor `winograd: false`), by op
 * name, which is the name of the step it compiles to.
 */
export function winogradPlansByStepName(graph: Graph): Map<string, WinogradPlan> {
  const plans = new Map<string, WinogradPlan>();
  for (const op of lowerWithPasses(graph, ALL_PASSES).ops) {
    const plan = op.kind === 'conv' ? winogradPlan(op) : undefined;
    if (plan) plans.set(op.name, plan);
  }
  return plans;
}

/** What the ceiling reads of a profiled step. */
export interface StepWork {
  name: string;
  kind: string;
  /** Direct-convolution MACs (Winograd steps count those too), as `session.profile()` reports. */
  macs: number;
  ms: number;
}

/**
 * The Winograd rule of each step (undefined for the others): the plan of its name when its
 * dimensionality matches the step kind, else UNKNOWN_WINOGRAD.
 */
export function winogradRules(steps: readonly StepWork[], plans: ReadonlyMap<string, WinogradPlan>): (WinogradRule | undefined)[] {
  return steps.map((s) => {
    if (!WINOGRAD_STEP_KINDS.has(s.kind)) return undefined;
    const plan = plans.get(s.name);
    const fits = plan !== undefined && plan.dims === (s.kind === 'winograd' ? 2 : 1);
    return fits ? winogradRule(plan) : UNKNOWN_WINOGRAD;
  });
}

export interface StepFloor {
  /** Multiplies the step must do: macs, or macs / the Winograd divisor. */
  multiplies: number;
  /** 2 · multiplies at the peak loop's rate. */
  floorMs: number;
  rule?: WinogradRule;
}

/** ms for `flops` at `gflops` GFLOP/s (1 GFLOP/s = 1e6 FLOP per ms). */
export const msAtRate = (flops: number, gflops: number) => flops / (gflops * 1e6);
/** GFLOP/s of 2 · `macs` in `ms`; NaN when either is 0. */
export const gflopsOf = (macs: number, ms: number) => (macs > 0 && ms > 0 ? (2 * macs) / (ms * 1e6) : NaN);

/** The step's floor at `peakGflops` (module comment); undefined for a step that is not GEMM-family or has no MACs. */
export function stepFloor(step: StepWork, peakGflops: number, rule?: WinogradRule): StepFloor | undefined {
  if (!GEMM_STEP_KINDS.has(step.kind) || !(step.macs > 0)) return undefined;
  const r = WINOGRAD_STEP_KINDS.has(step.kind) ? (rule ?? UNKNOWN_WINOGRAD) : undefined;
  const multiplies = r ? step.macs / r.divisor : step.macs;
  return { multiplies, floorMs: msAtRate(2 * multiplies, peakGflops), ...(r ? { rule: r } : {}) };
}

/** What the ceiling reads of a layer row (bench/peers/layer-match.ts). */
export interface RowTimes {
  macs: number;
  oursMs: number;
  nativeMs: number;
  /** Indices into the step list. */
  steps: readonly number[];
}

export interface CeilingFields {
  /** 2 · direct MACs / ours ms (for Winograd rows more than the multiplies done); NaN without MACs. */
  oursGflops: number;
  nativeGflops: number;
  /** Floors of the row's GEMM steps plus the measured ms of its other steps; NaN without a GEMM step. */
  atPeakMs: number;
  /** atPeakMs / nativeMs. */
  floorOverNative: number;
  /** Floors of the row's GEMM steps alone (0 without one). */
  gemmFloorMs: number;
  /** Native runs the row in less than gemmFloorMs. */
  beyondPeak: boolean;
  /** The Winograd rules of the row's steps ('' when none). */
  winograd: string;
}

/** The ceiling columns of one row, from the per-step floors (`floors[i]` of step i). */
export function ceilingFields(row: RowTimes, steps: readonly StepWork[], floors: readonly (StepFloor | undefined)[]): CeilingFields {
  let gemmFloorMs = 0, otherMs = 0, gemmSteps = 0;
  const rules = new Set<string>();
  for (const i of row.steps) {
    const f = floors[i];
    if (f === undefined) {
      otherMs += steps[i]!.ms;
      continue;
    }
    gemmSteps++;
    gemmFloorMs += f.floorMs;
    if (f.rule) rules.add(`${f.rule.label} /${f.rule.divisor.toFixed(2)}`);
  }
  const atPeakMs = gemmSteps > 0 ? gemmFloorMs + otherMs : NaN;
  return {
    oursGflops: gflopsOf(row.macs, row.oursMs),
    nativeGflops: gflopsOf(row.macs, row.nativeMs),
    atPeakMs,
    floorOverNative: row.nativeMs > 0 ? atPeakMs / row.nativeMs : NaN,
    gemmFloorMs,
    beyondPeak: gemmSteps > 0 && gemmFloorMs > row.nativeMs,
    winograd: [...rules].join(', '),
  };
}

export interface CeilingSummary {
  peakGflops: number;
  /** Per-layer sums (one thread). */
  oursMs: number;
  nativeMs: number;
  /** Σ atPeakMs over the rows that have one, measured oursMs over the rest. */
  boundMs: number;
  /** boundMs / nativeMs: the least ours / native this engine's approach reaches here. */
  ratioBound: number;
  /** Our measured time in GEMM-family steps and its floor. */
  gemmOursMs: number;
  gemmFloorMs: number;
  /** Native time in rows beyond our peak, and its share of native's per-layer sum. */
  nativeMsBeyondPeak: number;
  shareBeyondPeak: number;
  rowsBeyondPeak: number;
  rows: number;
}

/** The network's bound (module comment) over all rows. */
export function ceilingSummary(
  rows: readonly (RowTimes & CeilingFields)[], steps: readonly StepWork[], floors: readonly (StepFloor | undefined)[], peakGflops: number,
): CeilingSummary {
  const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
  const oursMs = sum(rows.map((r) => r.oursMs));
  const nativeMs = sum(rows.map((r) => r.nativeMs));
  const boundMs = sum(rows.map((r) => (Number.isNaN(r.atPeakMs) ? r.oursMs : r.atPeakMs)));
  const beyond = rows.filter((r) => r.beyondPeak);
  const nativeMsBeyondPeak = sum(beyond.map((r) => r.nativeMs));
  return {
    peakGflops, oursMs, nativeMs, boundMs, ratioBound: boundMs / nativeMs,
    gemmOursMs: sum(steps.filter((_, i) => floors[i] !== undefined).map((s) => s.ms)),
    gemmFloorMs: sum(floors.map((f) => f?.floorMs ?? 0)),
    nativeMsBeyondPeak, shareBeyondPeak: nativeMsBeyondPeak / nativeMs, rowsBeyondPeak: beyond.length, rows: rows.length,
  };
}

/**
 * The bound at another peak (say the fastest sample's): only the floors scale, by old peak / new
 * peak; the measured times stay.
 */
export function boundAtPeak(s: CeilingSummary, peakGflops: number): { boundMs: number; ratioBound: number } {
  const boundMs = s.boundMs - s.gemmFloorMs + (s.gemmFloorMs * s.peakGflops) / peakGflops;
  return { boundMs, ratioBound: boundMs / s.nativeMs };
}

const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : '—');

/** The summary line of issue 22 (one network, one thread). */
export function ceilingLine(model: string, s: CeilingSummary): string {
  return `${model}: with every conv/gemm at our peak loop (${fixed(s.peakGflops, 1)} GFLOP/s) and every other layer at its measured ` +
    `time, ours would be ${fixed(s.boundMs, 1)} ms against native ${fixed(s.nativeMs, 1)} ms: ratio ≥ ${fixed(s.ratioBound, 2)}; ` +
    `${fixed(100 * s.shareBeyondPeak, 1)} % of native time is in layers native runs faster than our peak allows ` +
    `(${s.rowsBeyondPeak} of ${s.rows} rows).`;
}
