/**
 * Per-stage costs as a table: output shape, params, MACs and their share, one row per stage mark
 * (plus a row for nodes after the last mark, if any), so the rows' MACs sum to the network's.
 * With a profile (`session.profile()`), each row also gets the measured ms, GFLOP/s and share of
 * time: a step belongs to the stage of the node it is named after (merged sibling convs are named
 * `a+b+c`, concat copies `name[i]`); a step whose parts fall in different stages is split by MACs.
 */

import { graphCost, nodeCost } from '../graph/cost.js';
import type { StepProfile } from '../bindings/executor.js';
import type { Graph } from '../graph/graph.js';
import { formatHWC } from './ops.js';
import { stageNodeIds } from './block.js';

export interface StageRow {
  name: string;
  shape: number[];
  params: number;
  macs: number;
  /** Fraction of the network's MACs. */
  macsShare: number;
  /** Measured (with a profile): milliseconds, GFLOP/s (2 FLOPs per MAC of the steps), fraction of time. */
  ms?: number;
  gflops?: number;
  timeShare?: number;
}

/** Name of the row holding nodes after the last stage mark. */
export const TAIL_ROW = '(after last stage)';
/** Name of the row holding profile steps no node name matches. */
export const UNMATCHED_ROW = '(unmatched steps)';

/** One row per stage mark of `g` (and a tail row when nodes follow the last mark). */
export function stageRows(g: Graph): StageRow[] {
  const cost = graphCost(g);
  const rows: StageRow[] = g.stages.map((mark, i) => ({
    name: mark.name, shape: [...g.shape(mark.value)], params: cost.stages[i]!.params, macs: cost.stages[i]!.macs, macsShare: 0,
  }));
  const lastMarked = Math.max(-1, ...g.stages.map((m) => m.value));
  if (lastMarked < g.nodes.length - 1) {
    const tail = g.nodes.slice(lastMarked + 1).map((n) => nodeCost(g, n));
    rows.push({
      name: TAIL_ROW, shape: [...g.nodes[g.nodes.length - 1]!.shape],
      params: tail.reduce((s, c) => s + c.params, 0), macs: tail.reduce((s, c) => s + c.macs, 0), macsShare: 0,
    });
  }
  for (const r of rows) r.macsShare = cost.macs > 0 ? r.macs / cost.macs : 0;
  return rows;
}

/**
 * Adds measured time to `rows` (from `stageRows(g)`) from a profile of a session over `g`.
 * Returns the rows (mutated) — plus an UNMATCHED_ROW when some step names match no node.
 */
export function attachProfile(g: Graph, rows: StageRow[], profile: readonly StepProfile[]): StageRow[] {
  const rowOfNode = new Map<string, number>();
  stageNodeIds(g).forEach((ids, i) => { for (const id of ids) rowOfNode.set(g.node(id).name, i); });
  const tailRow = rows.findIndex((r) => r.name === TAIL_ROW);
  g.nodes.forEach((n) => { if (!rowOfNode.has(n.name) && tailRow >= 0) rowOfNode.set(n.name, tailRow); });
  const nodeByName = new Map(g.nodes.map((n) => [n.name, n]));
  const ms = new Array<number>(rows.length + 1).fill(0);
  const stepMacs = new Array<number>(rows.length + 1).fill(0);
  for (const step of profile) {
    const parts = step.name.replace(/\[\d+\]$/, '').split('+');
    const where = parts.map((p) => rowOfNode.get(p) ?? rows.length);
    const weights = parts.map((p) => { const n = nodeByName.get(p); return n ? nodeCost(g, n).macs : 0; });
    const total = weights.reduce((a, b) => a + b, 0);
    where.forEach((row, k) => {
      const f = total > 0 ? weights[k]! / total : 1 / parts.length;
      ms[row]! += step.ms * f;
      stepMacs[row]! += step.macs * f;
    });
  }
  if (ms[rows.length]! > 0) rows.push({ name: UNMATCHED_ROW, shape: [], params: 0, macs: 0, macsShare: 0 });
  const totalMs = ms.reduce((a, b) => a + b, 0);
  rows.forEach((r, i) => {
    r.ms = ms[i]!;
    r.gflops = ms[i]! > 0 ? (2 * stepMacs[i]!) / (ms[i]! * 1e6) : 0;
    r.timeShare = totalMs > 0 ? ms[i]! / totalMs : 0;
  });
  return rows;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The rows as an aligned text table (measured columns when the rows carry them), with a total line. */
export function formatStageTable(rows: readonly StageRow[]): string {
  const measured = rows.some((r) => r.ms !== undefined);
  const header = ['stage', 'output', 'params', 'MACs', 'MACs %', ...(measured ? ['ms', 'GFLOP/s', 'time %'] : [])];
  const body = rows.map((r) => [
    r.name, r.shape.length > 0 ? formatHWC(r.shape) : '', r.params.toLocaleString('en'), r.macs.toLocaleString('en'), pct(r.macsShare),
    ...(measured ? [(r.ms ?? 0).toFixed(2), (r.gflops ?? 0).toFixed(1), pct(r.timeShare ?? 0)] : []),
  ]);
  const sum = (f: (r: StageRow) => number) => rows.reduce((s, r) => s + f(r), 0);
  const total = [
    'total', '', sum((r) => r.params).toLocaleString('en'), sum((r) => r.macs).toLocaleString('en'), pct(sum((r) => r.macsShare)),
    ...(measured ? [sum((r) => r.ms ?? 0).toFixed(2), '', pct(sum((r) => r.timeShare ?? 0))] : []),
  ];
  const table = [header, ...body, total];
  const widths = header.map((_, c) => Math.max(...table.map((row) => [...row[c]!].length)));
  const line = (row: string[]) => row.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line), rule, line(total)].join('\n');
}
