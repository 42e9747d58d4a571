/** A miniature Inception network touching every node kind, for engine-vs-reference tests. */
import { pads } from '../../src/graph/geometry.js';
import { Graph } from '../../src/graph/graph.js';
import type { ValueId } from '../../src/graph/nodes.js';

/** conv → BN → ReLU, as every Inception network's conv unit. */
function unit(g: Graph, name: string, x: ValueId, outChannels: number, kh: number, kw: number, opts: { stride?: number; padding?: Parameters<Graph['conv']>[2]['padding'] } = {}) {
  const c = g.conv(`${name}.conv`, x, {
    outChannels, kernelH: kh, kernelW: kw, strideH: opts.stride ?? 1, strideW: opts.stride ?? 1,
    padding: opts.padding ?? pads(Math.floor(kh / 2), Math.floor(kw / 2)), weight: `${name}.conv.weight`,
  });
  const b = g.batchNorm(`${name}.bn`, c, {
    gamma: `${name}.bn.weight`, beta: `${name}.bn.bias`, mean: `${name}.bn.running_mean`, var: `${name}.bn.running_var`, eps: 1e-3,
  });
  return g.relu(`${name}.relu`, b);
}

/** A miniature Inception network touching every node kind. */
export function miniNetwork(batch: number, h: number, w: number): Graph {
  const g = new Graph();
  const x = g.input('input', [batch, h, w, 3]);
  const dw = g.conv('stem.dw', x, {
    outChannels: 6, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padding: 'same', groups: 3, weight: 'stem.dw.weight', bias: 'stem.dw.bias',
  });
  const s1 = unit(g, 'stem.pw', g.relu('stem.dw.relu', dw), 17, 1, 1);
  const s2 = unit(g, 'stem.conv', s1, 21, 3, 3, { padding: { top: 0, left: 1, bottom: 1, right: 0 } });
  const lrn = g.lrn('stem.lrn', s2, { size: 5, alpha: 1e-2, beta: 0.75, k: 1 });
  const p = g.maxPool('stem.pool', lrn, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, ceilMode: true });
  // An Inception block: four branches concatenated.
  const b1 = unit(g, 'mixed.b1', p, 8, 1, 1);
  const b2 = unit(g, 'mixed.b2b', unit(g, 'mixed.b2a', p, 7, 1, 1), 9, 1, 7, { padding: pads(0, 3) });
  const b3 = unit(g, 'mixed.b3b', unit(g, 'mixed.b3a', p, 5, 1, 1), 6, 7, 1, { padding: pads(3, 0) });
  const b4 = unit(g, 'mixed.b4', g.avgPool('mixed.pool', p, { kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding: pads(1), countIncludePad: false }), 4, 1, 1);
  const mixed = g.concat('mixed', [b1, b2, b3, b4]);
  // An Inception-ResNet residual: relu(x + 0.17·up(concat(branches))).
  const r1 = unit(g, 'res.b1', mixed, 8, 1, 1);
  const r2 = unit(g, 'res.b2', mixed, 12, 3, 3);
  const up = g.conv('res.up', g.concat('res.cat', [r1, r2]), { outChannels: 27, kernelH: 1, kernelW: 1, weight: 'res.up.weight', bias: 'res.up.bias' });
  const res = g.relu('res.relu', g.add('res.add', mixed, up, 0.17));
  const red = g.avgPool('reduce', res, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, padding: pads(1), ceilMode: true, countIncludePad: true });
  const gap = g.globalAvgPool('gap', red);
  const fc = g.fc('fc', g.flatten('flatten', gap), { outFeatures: 10, weight: 'fc.weight', bias: 'fc.bias' });
  g.markOutput(g.softmax('softmax', fc));
  return g;
}

