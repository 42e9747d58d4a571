/**
 * The per-layer comparison with onnxruntime-node (bench/layers.ts): the matching of our steps with
 * ORT's nodes on hand-made cases, the trace parser on a hand-made trace, and one real run, small
 * (googlenet 64, one thread, two rounds), checked for structure: every step and every ORT node in
 * exactly one row, the rows' sums equal to the totals, merged and fused units grouped.
 */
import { describe, expect, it } from 'vitest';
import { rankRows, renderLayersMarkdown, runLayers, DEFAULT_LAYERS } from '../../bench/layers.js';
import { matchLayers, UNMATCHED_NATIVE, UNMATCHED_OURS, type LayerRow, type MatchGraphNode } from '../../bench/peers/layer-match.js';
import { OrtTraceError, parseOrtTrace } from '../../bench/peers/ort-profile.js';
import { runtimeUnavailable } from '../../bench/peers/runtimes.js';

/** Each index in [0, count) is in exactly one row's `pick` list. */
function expectPartition(rows: readonly LayerRow[], pick: (r: LayerRow) => number[], count: number): void {
  const seen = rows.flatMap(pick).sort((a, b) => a - b);
  expect(seen).toEqual(Array.from({ length: count }, (_, i) => i));
}

describe('matching steps and native nodes', () => {
  // x → a.conv → a.bn → a.relu ─┐
  // x → b.conv, x → c.conv ─────┼→ cat (concat) → r.conv → add(cat, r.conv) → out.relu
  const nodes: MatchGraphNode[] = [
    { id: 0, name: 'x', kind: 'input', inputs: [] },
    { id: 1, name: 'a.conv', kind: 'conv', inputs: [0] },
    { id: 2, name: 'a.bn', kind: 'batchNorm', inputs: [1] },
    { id: 3, name: 'a.relu', kind: 'relu', inputs: [2] },
    { id: 4, name: 'b.conv', kind: 'conv', inputs: [0] },
    { id: 5, name: 'c.conv', kind: 'conv', inputs: [0] },
    { id: 6, name: 'cat', kind: 'concat', inputs: [3, 4, 5] },
    { id: 7, name: 'r.conv', kind: 'conv', inputs: [6] },
    { id: 8, name: 'add', kind: 'add', inputs: [6, 7] },
    { id: 9, name: 'out.relu', kind: 'relu', inputs: [8] },
  ];
  const steps = [
    { name: 'a.conv', kind: 'conv', ms: 3 },
    { name: 'b.conv+c.conv', kind: 'conv', ms: 2 },
    { name: 'r.conv', kind: 'conv', ms: 5 },
    { name: 'mystery', kind: 'copy', ms: 0.5 },
  ];
  const native = [
    { name: 'a.relu_nchwc', opType: 'Conv', ms: 1 },
    { name: 'b.conv_nchwc', opType: 'Conv', ms: 0.5 },
    { name: 'c.conv', opType: 'Conv', ms: 0.25 },
    { name: 'cat', opType: 'Concat', ms: 0.125 },
    { name: 'out.relu_nchwc', opType: 'Conv', ms: 2 },
    { name: 'ReorderOutput', opType: 'ReorderOutput', ms: 0.0625 },
  ];
  const ortGraph = [
    { name: 'out.relu_nchwc', opType: 'Conv', inputs: ['t_cat', 'w'], outputs: ['t_out'] },
    { name: 'ReorderOutput', opType: 'ReorderOutput', inputs: ['t_out'], outputs: ['out.relu'] },
  ];
  const rows = matchLayers(nodes, steps, native, ortGraph, (i) => (nodes[i]!.kind === 'conv' ? 10 : 0));
  const byName = (name: string) => rows.find((r) => r.name === name);

  it('puts every step and every native node in exactly one row', () => {
    expectPartition(rows, (r) => r.steps, steps.length);
    expectPartition(rows, (r) => r.native, native.length);
  });
  it('groups the fused BN and ReLU with their conv, the merged siblings with both native convs', () => {
    expect(byName('a.conv')).toMatchObject({ nodes: ['a.conv', 'a.bn', 'a.relu'], native: [0], oursMs: 3, nativeMs: 1, macs: 10 });
    expect(byName('b.conv+c.conv')).toMatchObject({ native: [1, 2], nativeOps: 'Conv×2', oursMs: 2, nativeMs: 0.75, macs: 20 });
  });
  it('joins the residual add and its ReLU to the conv whose epilogue they became, and a generated node to its producer', () => {
    expect(byName('r.conv')).toMatchObject({ nodes: ['r.conv', 'add', 'out.relu'], native: [4, 5], oursMs: 5, nativeMs: 2.0625 });
  });
  it('keeps a concat no step names as a row of its own, and names what matched nothing', () => {
    expect(byName('cat')).toMatchObject({ steps: [], native: [3], kind: '', nativeOps: 'Concat', oursMs: 0 });
    expect(byName(UNMATCHED_OURS)).toMatchObject({ steps: [3], oursMs: 0.5 });
    expect(byName(UNMATCHED_NATIVE)).toBeUndefined();
  });
  it('ranks by gap with a cumulative share ending at 100 %', () => {
    const { rows: ranked, totals } = rankRows(rows);
    expect(ranked.map((r) => r.gapMs)).toEqual([...ranked.map((r) => r.gapMs)].sort((a, b) => b - a));
    expect(totals.oursMs).toBe(10.5);
    expect(totals.nativeMs).toBe(3.9375);
    expect(ranked.at(-1)!.cumulativeGapShare).toBeCloseTo(1, 12);
  });
});

describe('onnxruntime profile trace', () => {
  const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ts, dur });
  const node = (name: string, ts: number, dur: number) => ({ cat: 'Node', name: `${name}_kernel_time`, ts, dur, args: { op_name: 'Conv' } });
  const events = [
    run(0, 100), node('b', 10, 500), node('a', 20, 500),
    run(200, 100), node('a', 210, 1000), node('b', 220, 2000), { cat: 'Node', name: 'a_fence_before', ts: 205, dur: 9 },
    run(400, 100), node('a', 410, 3000), node('b', 420, 4000),
  ];
  it('keeps the last runs, per node in execution order, µs to ms; fence events do not count', () => {
    expect(parseOrtTrace(events, 2)).toEqual([
      { name: 'a', opType: 'Conv', msPerRun: [1, 3] },
      { name: 'b', opType: 'Conv', msPerRun: [2, 4] },
    ]);
  });
  it('refuses a trace with fewer runs than asked for, or no event array', () => {
    expect(() => parseOrtTrace(events, 4)).toThrow(/3 model_run events, expected at least 4/);
    expect(() => parseOrtTrace({ events }, 1)).toThrow(OrtTraceError);
  });
});

const ortMissing = runtimeUnavailable('ort-node');

describe.skipIf(ortMissing !== undefined)(`googlenet 64 against onnxruntime-node${ortMissing ? ` (skipped: ${ortMissing})` : ''}`, () => {
  it('matches every step and every native node once, rows summing to the totals', async () => {
    const r = await runLayers({ ...DEFAULT_LAYERS, model: 'googlenet', inputSize: 64, threads: [1], runs: 2, warmup: 1, primer: 0, command: 'test' });
    expect(r.check.ok).toBe(true);
    expect(r.steps.length).toBeGreaterThan(40);
    expect(r.native.length).toBeGreaterThan(40);
    expectPartition(r.rows, (row) => row.steps, r.steps.length);
    expectPartition(r.rows, (row) => row.native, r.native.length);
    expect(r.rows.map((row) => row.name)).not.toContain(UNMATCHED_OURS);
    expect(r.rows.map((row) => row.name)).not.toContain(UNMATCHED_NATIVE);
    for (const row of r.rows) {
      expect(row.oursMs).toBeCloseTo(row.steps.reduce((s, i) => s + r.steps[i]!.ms, 0), 9);
      expect(row.nativeMs).toBeCloseTo(row.native.reduce((s, i) => s + r.native[i]!.ms, 0), 9);
    }
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(r.rows.map((row) => row.oursMs))).toBeCloseTo(r.totals.oursMs, 9);
    expect(sum(r.rows.map((row) => row.nativeMs))).toBeCloseTo(r.totals.nativeMs, 9);
    expect(r.totals.oursMs).toBeCloseTo(sum(r.steps.map((s) => s.ms)), 9);
    expect(r.totals.nativeMs).toBeCloseTo(sum(r.native.map((m) => m.ms)), 9);
    expect(sum(r.rows.map((row) => row.macs))).toBe(r.macs);
    // Our merged sibling 1×1 convs are one step; ORT runs them as three Conv(+BN+ReLU) nodes.
    const merged = r.rows.find((row) => row.name === 'inception3a.branch1.conv+inception3a.branch2.0.conv+inception3a.branch3.0.conv')!;
    expect(merged.steps).toHaveLength(1);
    expect(merged.native.map((i) => r.native[i]!.kind)).toEqual(['Conv', 'Conv', 'Conv']);
    expect(r.rows.at(-1)!.cumulativeGapShare).toBeCloseTo(1, 9);
    expect(r.wholeRun).toHaveLength(1);
    expect(r.wholeRun[0]!.oursTimesMs).toHaveLength(2);
    expect(r.wholeRun[0]!.ratio).toBeGreaterThan(0);
    const md = renderLayersMarkdown(r);
    expect(md).toContain(`**total** (${r.steps.length} steps, ${r.native.length} native nodes)`);
  });
});
