/**
 * bench/claims.ts: every claim's variants build to the same output shape with the papers' MACs
 * ratios at the real shapes, and each runs once through a session at tiny shapes (smoke test).
 */
import { describe, expect, it } from 'vitest';
import { CLAIMS, formatClaimsTable, measureClaim, variantGraph, type ClaimResult } from '../../bench/claims.js';
import { graphCost } from '../../src/graph/cost.js';

/** MACs ratio of each variant to the first, at the claim's real shape, as the papers state them. */
const PAPER_RATIOS: Record<string, number[]> = {
  '5x5-vs-two-3x3': [1, 18 / 25],
  '3x3-vs-1x3-3x1': [1, 6 / 9],
  '3x3-vs-two-2x2': [1, 8 / 9],
  '7x7-vs-1x7-7x1': [1, 14 / 49],
  // 14·14·(480·96 + 9·96·208) / (14·14·9·480·208)
  '1x1-reduction-3x3': [1, (480 * 96 + 9 * 96 * 208) / (9 * 480 * 208)],
  '1x1-reduction-5x5': [1, (480 * 16 + 25 * 16 * 48) / (25 * 480 * 48)],
  // conv at 35×35 → pool; pool → conv at 17×17; stride-2 conv to k channels at 17×17.
  'grid-reduction': [1, (17 * 17) / (35 * 35), (17 * 17 * 288) / (35 * 35 * 576)],
};

describe('claims: MACs at the networks\' shapes', () => {
  it('every claim has its paper ratio listed', () => {
    expect(CLAIMS.map((c) => c.id).sort()).toEqual(Object.keys(PAPER_RATIOS).sort());
  });

  it.each(CLAIMS.map((c) => [c.id, c] as const))('%s', (id, claim) => {
    const graphs = claim.variants.map((v) => variantGraph(v, claim.shape));
    const macs = graphs.map((g) => graphCost(g).macs);
    macs.forEach((m, i) => expect(m / macs[0]!, claim.variants[i]!.name).toBeCloseTo(PAPER_RATIOS[id]![i]!, 9));
    expect(new Set(graphs.map((g) => g.shape(g.output).join('x'))).size).toBe(1);
  });
});

describe('claims: smoke run at tiny shapes', () => {
  it('runs one claim once and formats the table', async () => {
    const claim = CLAIMS.find((c) => c.id === 'grid-reduction')!;
    const result: ClaimResult = await measureClaim(claim, { threads: [1], rounds: 1, tiny: true });
    expect(result.variants.map((v) => v.name)).toEqual(claim.variants.map((v) => v.name));
    for (const v of result.variants) {
      expect(v.timings).toHaveLength(1);
      expect(v.timings[0]!.ms).toBeGreaterThan(0);
    }
    expect(result.variants[0]!.timings[0]!.timeRatio).toBe(1);
    const table = formatClaimsTable([result]).split('\n');
    expect(table).toHaveLength(2 + claim.variants.length);
    expect(table[0]).toMatch(/\| MACs ratio \| 1T ms \| 1T time ratio \| 1T GFLOP\/s \|$/);
    // The parallel variant's name has a '|' that must not split the markdown cell.
    expect(table[4]).toContain('3×3/2 conv \\| max pool 3×3/2 → concat');
    for (const row of table) expect(row.split(/(?<!\\)\|/).length).toBe(table[0]!.split('|').length);
  });
});
