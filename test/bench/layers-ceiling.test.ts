/**
 * The ceiling of bench:layers (bench/layers-ceiling.ts): the per-step floor at a given peak, the
 * Winograd multiply rule, the row columns and the network summary, on hand-built steps and rows
 * whose expected values are worked out by hand below; the Winograd rule against the compiled
 * program of a real network (the tiles its steps use, the products they compute); and the peak
 * loop and ceiling fields of one small real run, checked for structure (no timing assertions).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_LAYERS, runLayers } from '../../bench/layers.js';
import {
  boundAtPeak, ceilingFields, ceilingLine, ceilingSummary, stepFloor, UNKNOWN_WINOGRAD, winogradPlansByStepName, winogradRule, winogradRules,
  type RowTimes, type StepWork,
} from '../../bench/layers-ceiling.js';
import { benchCase, buildCaseGraph } from '../../bench/peers/case-graph.js';
import { runtimeUnavailable } from '../../bench/peers/runtimes.js';
import { Arena } from '../../src/bindings/arena.js';
import { asKernels } from '../../src/bindings/program.js';
import { compileKernelModule, instantiateKernels } from '../../src/bindings/wasm-module.js';
import { compileGraph } from '../../src/graph/compile.js';
import { ALL_PASSES } from '../../src/graph/passes.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';

describe('Winograd multiply rule', () => {
  it('divides by the textbook reductions: F(2×2) 2.25, F(4×4) 4, F(6×6) 81/16; F(4, 3) 2, F(4, 7) 2.8, F(6, 7) 3.5', () => {
    expect(winogradRule({ dims: 2, tile: 2 }).divisor).toBe(2.25);
    expect(winogradRule({ dims: 2, tile: 4 }).divisor).toBe(4);
    expect(winogradRule({ dims: 2, tile: 6 }).divisor).toBe(81 / 16);
    expect(winogradRule({ dims: 1, axis: 'w', r: 3, m: 4 }).divisor).toBe(2);
    expect(winogradRule({ dims: 1, axis: 'h', r: 7, m: 4 }).divisor).toBeCloseTo(2.8, 14);
    expect(winogradRule({ dims: 1, axis: 'w', r: 7, m: 6 }).divisor).toBe(3.5);
    expect(winogradRule({ dims: 2, tile: 4 }).label).toBe('F(4×4, 3×3)');
    expect(winogradRule({ dims: 1, axis: 'h', r: 7, m: 4 }).label).toBe('F(4, 7)');
  });

  it('takes the plan of the step name when its dimensionality fits the kind, else the largest reduction', () => {
    const steps: StepWork[] = [
      { name: 'a', kind: 'winograd', macs: 9, ms: 1 },
      { name: 'b', kind: 'winograd1d', macs: 9, ms: 1 },
      { name: 'c', kind: 'winograd', macs: 9, ms: 1 },
      { name: 'd', kind: 'conv', macs: 9, ms: 1 },
      { name: 'e', kind: 'winograd1d', macs: 9, ms: 1 },
    ];
    const plans = new Map([
      ['a', { dims: 2, tile: 4 }], ['b', { dims: 1, axis: 'w', r: 7, m: 6 }], ['c', { dims: 1, axis: 'w', r: 3, m: 4 }], ['d', { dims: 2, tile: 2 }],
    ] as const);
    const rules = winogradRules(steps, new Map(plans));
    expect(rules.map((r) => r?.label)).toEqual(['F(4×4, 3×3)', 'F(6, 7)', UNKNOWN_WINOGRAD.label, undefined, UNKNOWN_WINOGRAD.label]);
    expect(UNKNOWN_WINOGRAD.divisor).toBe(81 / 16);
  });

  // The compiled program says which tile each Winograd step uses and how many products it computes:
  // 2-D, per image, tilesH · tilesW tiles of α² products per (in, out) channel pair; 1-D, lines ·
  // tilesPerLine tiles of α. The floor's multiplies must be those products without the edge tiles'
  // padding: at most the step's, equal to them scaled by the covered share of the padded map.
  it('matches the tiles and products of the compiled program (inception_v3 139: every 2-D tile, F(4, 3), F(4, 7))', async () => {
    const graph = buildCaseGraph(benchCase('inception_v3', 139));
    const arena = new Arena({ shared: false });
    const k = asKernels(instantiateKernels(await compileKernelModule({ build: 'baseline', shared: false }), arena.memory));
    const { program } = compileGraph(graph, seededWeights(graph.weights), k, arena, { passes: ALL_PASSES, threads: 1, gemmMr: k.f32_gemm_mr() });
    const work = program.steps.map(({ name, kind, macs }) => ({ name, kind, macs, ms: 0 }));
    const rules = winogradRules(work, winogradPlansByStepName(graph));
    const seen = new Set<string>();
    program.steps.forEach((step, i) => {
      const rule = rules[i];
      if (step.kind !== 'winograd' && step.kind !== 'winograd1d') {
        expect(rule, step.name).toBeUndefined();
        return;
      }
      const floor = stepFloor(work[i]!, 1, rule)!;
      const pairs = step.input.channels * step.out.channels;
      let done: number, covered: number;
      if (step.kind === 'winograd') {
        expect(rule!.label, step.name).toBe(`F(${step.tile}×${step.tile}, 3×3)`);
        const alpha = step.tile + 2;
        done = step.out.batch * step.tilesH * step.tilesW * alpha * alpha * pairs;
        covered = (step.outH * step.outW) / (step.tilesH * step.tilesW * step.tile * step.tile);
      } else {
        const r = step.macs / (step.out.batch * step.out.height * step.out.width * pairs);
        const m = step.alpha - r + 1;
        expect(rule!.label, step.name).toBe(`F(${m}, ${r})`);
        done = step.lines * step.tilesPerLine * step.alpha * pairs;
        covered = step.outLen / (step.tilesPerLine * m);
      }
      seen.add(rule!.label);
      expect(floor.multiplies, step.name).toBeLessThanOrEqual(done * (1 + 1e-12));
      expect(floor.multiplies / (done * covered), step.name).toBeCloseTo(1, 12);
    });
    expect([...seen].sort()).toEqual(['F(2×2, 3×3)', 'F(4, 3)', 'F(4, 7)', 'F(4×4, 3×3)', 'F(6×6, 3×3)']);
  });
});

// Peak 50 GFLOP/s = 5e7 FLOP per ms: a conv of 100 M MACs (2e8 FLOP) takes ≥ 4 ms.
const PEAK = 50;
const steps: StepWork[] = [
  { name: 'a', kind: 'conv', macs: 100e6, ms: 10 }, //          floor 4 ms
  { name: 'a.copy', kind: 'copy', macs: 0, ms: 1 }, //           no floor: 1 ms measured
  { name: 'b', kind: 'winograd', macs: 400e6, ms: 8 }, //        F(4×4): 100 M multiplies, floor 4 ms
  { name: 'p', kind: 'maxPool', macs: 1e6, ms: 2 }, //           a pool counts window MACs but has no floor
  { name: 'c', kind: 'conv', macs: 50e6, ms: 5 }, //             floor 2 ms
  { name: 'd', kind: 'dwconv', macs: 25e6, ms: 3 }, //           floor 1 ms
];
const rules = [undefined, undefined, winogradRule({ dims: 2, tile: 4 }), undefined, undefined, undefined];
const floors = steps.map((s, i) => stepFloor(s, PEAK, rules[i]));
const rows: RowTimes[] = [
  { steps: [0, 1], macs: 100e6, oursMs: 11, nativeMs: 3 }, //   at peak 4 + 1 = 5; convs 4 > 3: beyond
  { steps: [2], macs: 400e6, oursMs: 8, nativeMs: 5 }, //        at peak 4 < 5 though native does 160 GFLOP/s direct
  { steps: [3], macs: 0, oursMs: 2, nativeMs: 1 }, //            no conv: —, the bound takes 2
  { steps: [], macs: 0, oursMs: 0, nativeMs: 0.5 }, //           native's concat, nothing of ours
  { steps: [4, 5], macs: 75e6, oursMs: 8, nativeMs: 2.5 }, //    at peak 2 + 1 = 3 > 2.5: beyond
];

describe('floors, row columns and summary on hand-built steps', () => {
  it('puts 2 · multiplies at the peak for conv-family steps only', () => {
    expect(floors.map((f) => f?.floorMs)).toEqual([4, undefined, 4, undefined, 2, 1]);
    expect(floors[2]!.multiplies).toBe(100e6);
    expect(stepFloor({ name: 'z', kind: 'conv', macs: 0, ms: 1 }, PEAK)).toBeUndefined();
    // 120.7 M MACs at 57 GFLOP/s: 241.4e6 / 57e9 s.
    expect(stepFloor({ name: 'x', kind: 'conv', macs: 120.7e6, ms: 5.3 }, 57)!.floorMs).toBeCloseTo((241.4e6 / 57e9) * 1e3, 12);
    // A Winograd step without a known tile gets the largest reduction, so its floor stays below any tile's.
    expect(stepFloor({ name: 'w', kind: 'winograd1d', macs: 81e6, ms: 1 }, PEAK)!.multiplies).toBe(16e6);
  });

  it('fills the row columns', () => {
    const f = rows.map((r) => ceilingFields(r, steps, floors));
    expect(f[0]).toMatchObject({ atPeakMs: 5, gemmFloorMs: 4, beyondPeak: true, winograd: '' });
    expect(f[0]!.floorOverNative).toBeCloseTo(5 / 3, 14);
    expect(f[0]!.oursGflops).toBeCloseTo(2e8 / 11e6, 12);
    expect(f[0]!.nativeGflops).toBeCloseTo(2e8 / 3e6, 12);
    expect(f[1]).toMatchObject({ atPeakMs: 4, beyondPeak: false, nativeGflops: 160, winograd: 'F(4×4, 3×3) /4.00' });
    expect(f[2]!.atPeakMs).toBeNaN();
    expect(f[2]!.oursGflops).toBeNaN();
    expect(f[2]!.beyondPeak).toBe(false);
    expect(f[3]!.atPeakMs).toBeNaN();
    expect(f[3]!.nativeGflops).toBeNaN();
    expect(f[4]).toMatchObject({ atPeakMs: 3, gemmFloorMs: 3, beyondPeak: true });
  });

  it('sums the bound: floors where there are, measured time elsewhere; the native share beyond our peak', () => {
    const full = rows.map((r) => ({ ...r, ...ceilingFields(r, steps, floors) }));
    const s = ceilingSummary(full, steps, floors, PEAK);
    expect(s).toMatchObject({
      peakGflops: 50, oursMs: 29, nativeMs: 12, boundMs: 5 + 4 + 2 + 0 + 3, gemmOursMs: 10 + 8 + 5 + 3, gemmFloorMs: 4 + 4 + 2 + 1,
      nativeMsBeyondPeak: 3 + 2.5, rowsBeyondPeak: 2, rows: 5,
    });
    expect(s.ratioBound).toBeCloseTo(14 / 12, 14);
    expect(s.shareBeyondPeak).toBeCloseTo(5.5 / 12, 14);
    // At twice the peak the 11 ms of floors halve; the 3 ms measured outside them stay.
    expect(boundAtPeak(s, 100).boundMs).toBeCloseTo(3 + 11 / 2, 12);
    expect(boundAtPeak(s, 100).ratioBound).toBeCloseTo(8.5 / 12, 12);
    expect(ceilingLine('net', s)).toBe(
      'net: with every conv/gemm at our peak loop (50.0 GFLOP/s) and every other layer at its measured time, ours would be 14.0 ms ' +
        'against native 12.0 ms: ratio ≥ 1.17; 45.8 % of native time is in layers native runs faster than our peak allows (2 of 5 rows).',
    );
  });
});

const ortMissing = runtimeUnavailable('ort-node');

describe.skipIf(ortMissing !== undefined)(`peak loop and ceiling in a real run${ortMissing ? ` (skipped: ${ortMissing})` : ''}`, () => {
  it('samples the peak loop of the session build around every round and fills the ceiling from it', async () => {
    const r = await runLayers({ ...DEFAULT_LAYERS, model: 'googlenet', inputSize: 64, threads: [1], runs: 2, warmup: 1, primer: 0, command: 'test' });
    expect(r.peak.build).toBe(r.oursBuild);
    expect(r.peak.samples).toHaveLength(2 * 2 * 2);
    for (const g of r.peak.samples) expect(g).toBeGreaterThan(0);
    const convKinds = new Set(['conv', 'winograd', 'winograd1d', 'dwconv']);
    let bound = 0;
    for (const row of r.rows) {
      const gemm = row.steps.filter((i) => convKinds.has(r.steps[i]!.kind) && r.steps[i]!.macs > 0);
      expect(Number.isFinite(row.atPeakMs), row.name).toBe(gemm.length > 0);
      if (gemm.length === 0) {
        bound += row.oursMs;
        continue;
      }
      // Independent of the module: 2 · MACs / peak for direct convs (googlenet 64 has one F(2×2) step).
      const floor = gemm.reduce((s, i) => s + (2 * r.steps[i]!.macs) / (r.steps[i]!.kind === 'winograd' ? 2.25 : 1) / (r.peak.gflops * 1e6), 0);
      const other = row.steps.filter((i) => !gemm.includes(i)).reduce((s, i) => s + r.steps[i]!.ms, 0);
      expect(row.atPeakMs, row.name).toBeCloseTo(floor + other, 9);
      bound += row.atPeakMs;
    }
    expect(r.ceiling.boundMs).toBeCloseTo(bound, 9);
    expect(r.ceiling.ratioBound).toBeCloseTo(bound / r.totals.nativeMs, 9);
    expect(r.rows.filter((row) => row.kind.includes('winograd')).map((row) => row.winograd)).toEqual(['F(2×2, 3×3) /2.25']);
  });
});
