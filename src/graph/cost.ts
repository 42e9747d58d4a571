/**
 * Parameter and MAC counts, with the conventions of reference/inception-architectures.md §1:
 *  - `params` (trainable) = conv/FC weights + biases + BN γ (where present) + BN β;
 *  - `bnStats` = BN moving mean + variance (buffers, not parameters), reported separately;
 *  - `macs` = multiply-accumulates of conv and fully-connected layers only (pool, BN, ReLU, add,
 *    LRN, softmax excluded), for the graph's own batch size: the quantity torchvision publishes
 *    as "GFLOPS" (`_ops`).
 */

import { opDef } from '../ops/index.js';
import type { Graph } from './graph.js';
import { weightNamesOf, type GraphNode } from './nodes.js';

export interface Cost {
  params: number;
  bnStats: number;
  macs: number;
}

export interface StageCost extends Cost {
  name: string;
}

export interface GraphCost extends Cost {
  /** One entry per stage mark: the nodes after the previous mark's node up to this mark's node. */
  stages: StageCost[];
}

const zero = (): Cost => ({ params: 0, bnStats: 0, macs: 0 });

function addTo(total: Cost, c: Cost): void {
  total.params += c.params;
  total.bnStats += c.bnStats;
  total.macs += c.macs;
}

/** Params, BN statistics and MACs of one node of `g`. */
export function nodeCost(g: Graph, node: GraphNode): Cost {
  const cost = zero();
  for (const name of weightNamesOf(node)) {
    const w = g.weight(name);
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (w.role === 'bn_mean' || w.role === 'bn_var') cost.bnStats += count;
    else cost.params += count;
  }
  cost.macs = opDef(node).macs(node);
  return cost;
}

/**
 * Totals and per-stage costs. Stage i covers the nodes with ids in
 * (stages[i−1].value, stages[i].value] — builders mark each stage right after building it.
 * Nodes after the last mark count in the total only.
 */
export function graphCost(g: Graph): GraphCost {
  const total = zero();
  const perNode = g.nodes.map((node) => nodeCost(g, node));
  for (const c of perNode) addTo(total, c);
  const stages: StageCost[] = [];
  let start = 0;
  for (const mark of g.stages) {
    const stage: StageCost = { name: mark.name, ...zero() };
    for (let id = start; id <= mark.value; id++) addTo(stage, perNode[id]!);
    stages.push(stage);
    start = Math.max(start, mark.value + 1);
  }
  return { ...total, stages };
}
