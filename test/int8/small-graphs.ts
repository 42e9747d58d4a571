/**
 * Small hand-built graphs for the int8 lowering rules, each with the values a test asserts on,
 * and the comparison of an int8 session's output with the f32 session's (SQNR).
 */
import { pads } from '../../src/graph/geometry.js';
import { Graph } from '../../src/graph/graph.js';
import type { ValueId } from '../../src/graph/nodes.js';

/** conv → BatchNorm → ReLU, as the networks' conv unit. */
export function unit(g: Graph, name: string, x: ValueId, outChannels: number, k: number, stride = 1): ValueId {
  const c = g.conv(`${name}.conv`, x, {
    outChannels, kernelH: k, kernelW: k, strideH: stride, strideW: stride, padding: pads(Math.floor(k / 2)), weight: `${name}.conv.weight`,
  });
  const b = g.batchNorm(`${name}.bn`, c, {
    gamma: `${name}.bn.weight`, beta: `${name}.bn.bias`, mean: `${name}.bn.running_mean`, var: `${name}.bn.running_var`, eps: 1e-3,
  });
  return g.relu(`${name}.relu`, b);
}

/**
 * Branches into a concat (b1 and b2a are sibling 1×1 convs, merged; b3 reads a max pool of a
 * conv without ReLU, so the pool's output alone would have a narrower range than its input), a
 * strided 3×3 conv, global average pool, FC, softmax.
 */
export function concatGraph(batch = 1): { g: Graph; pre: ValueId; pool: ValueId; branches: ValueId[]; cat: ValueId; fc: ValueId; softmax: ValueId } {
  const g = new Graph();
  const x = g.input('input', [batch, 12, 12, 3]);
  const stem = unit(g, 'stem', x, 16, 3);
  const b1 = unit(g, 'b1', stem, 8, 1);
  const b2 = unit(g, 'b2b', unit(g, 'b2a', stem, 6, 1), 8, 3);
  const pre = g.conv('pre', stem, { outChannels: 8, kernelH: 3, kernelW: 3, padding: pads(1), weight: 'pre.weight', bias: 'pre.bias' });
  const pool = g.maxPool('pool', pre, { kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding: pads(1) });
  const b3 = unit(g, 'b3', pool, 5, 1);
  const cat = g.concat('cat', [b1, b2, b3]);
  const head = unit(g, 'head', cat, 12, 3, 2);
  const fc = g.fc('fc', g.flatten('flatten', g.globalAvgPool('gap', head)), { outFeatures: 10, weight: 'fc.weight', bias: 'fc.bias' });
  const softmax = g.markOutput(g.softmax('softmax', fc));
  return { g, pre, pool, branches: [b1, b2, b3], cat, fc, softmax };
}

/**
 * LRN twice: right after a conv (whose only reader is the LRN) and after a max pool (a u8
 * value); the graph's output is a max pool.
 */
export function lrnGraph(): { g: Graph; c1: ValueId; lrnA: ValueId; p1: ValueId; lrnB: ValueId; c2: ValueId; p2: ValueId } {
  const g = new Graph();
  const x = g.input('input', [1, 15, 15, 3]);
  const c1 = unit(g, 'c1', x, 8, 3);
  const lrnA = g.lrn('lrnA', c1, { size: 5, alpha: 1e-2, beta: 0.75, k: 1 });
  const p1 = g.maxPool('p1', lrnA, { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, ceilMode: true });
  const lrnB = g.lrn('lrnB', p1, { size: 3, alpha: 2e-2, beta: 0.75, k: 2 });
  const c2 = unit(g, 'c2', lrnB, 12, 3);
  const p2 = g.markOutput(g.maxPool('p2', c2, { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2 }));
  return { g, c1, lrnA, p1, lrnB, c2, p2 };
}

/** A depthwise 3×3 conv (with bias, ReLU) between a max pool and a 1×1 conv; output a global average pool. */
export function depthwiseGraph(): { g: Graph; c1: ValueId; p1: ValueId; dw: ValueId; c2: ValueId; gap: ValueId } {
  const g = new Graph();
  const x = g.input('input', [1, 14, 14, 3]);
  const c1 = unit(g, 'c1', x, 8, 3);
  const p1 = g.maxPool('p1', c1, { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2 });
  const dw = g.relu('dw.relu', g.conv('dw', p1, {
    outChannels: 8, kernelH: 3, kernelW: 3, groups: 8, padding: pads(1), weight: 'dw.weight', bias: 'dw.bias',
  }));
  const c2 = unit(g, 'c2', dw, 16, 1);
  const gap = g.markOutput(g.globalAvgPool('gap', c2));
  return { g, c1, p1, dw, c2, gap };
}

/**
 * Every op on u8 values: an Inception-ResNet block (branches into a concat, a 3×3 up-projection
 * — an int8 Winograd step from 16 tiles on — with the scaled residual and ReLU fused into its
 * epilogue, in place over the block input), an average pool without the padding count, a strided
 * conv, global pool, FC as the output.
 */
export function residualGraph(batch: number, size = 20): { g: Graph; block: ValueId } {
  const g = new Graph();
  const x = g.input('input', [batch, size, size, 3]);
  const stem = unit(g, 'stem', x, 24, 3);
  const b1 = unit(g, 'b1', stem, 8, 1);
  const b2 = unit(g, 'b2b', unit(g, 'b2a', stem, 8, 1), 12, 3);
  const up = g.conv('up', g.concat('cat', [b1, b2]), {
    outChannels: 24, kernelH: 3, kernelW: 3, padding: pads(1), weight: 'up.weight', bias: 'up.bias',
  });
  const block = g.relu('block.relu', g.add('block', stem, up, 0.2));
  const pool = g.avgPool('pool', block, { kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding: pads(1), countIncludePad: false });
  const head = unit(g, 'head', pool, 16, 3, 2);
  g.markOutput(g.fc('fc', g.flatten('flatten', g.globalAvgPool('gap', head)), { outFeatures: 10, weight: 'fc.weight', bias: 'fc.bias' }));
  return { g, block };
}

/**
 * A concat input with a second reader (a max pool reads the slice it was written to), and a
 * concat as the graph output (dequantized from its u8 buffer).
 */
export function sharedBranchGraph(batch: number): Graph {
  const g = new Graph();
  const x = g.input('input', [batch, 10, 10, 3]);
  const stem = unit(g, 'stem', x, 8, 3);
  const b1 = unit(g, 'b1', stem, 6, 1);
  const cat = g.concat('cat', [b1, unit(g, 'b2', stem, 5, 3)]);
  const pool = g.maxPool('pool', b1, { kernelH: 2, kernelW: 2, strideH: 2, strideW: 2 });
  g.markOutput(g.concat('out', [pool, unit(g, 'c2', cat, 4, 3, 2)]));
  return g;
}

/** Signal-to-quantisation-noise ratio of `test` against `ref` in dB: 10·log10(Σref² / Σ(ref − test)²). */
export function sqnrDb(ref: Float32Array, test: Float32Array): number {
  if (ref.length !== test.length) throw new Error(`sqnr: lengths ${ref.length} and ${test.length}`);
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    signal += ref[i] * ref[i];
    noise += (ref[i] - test[i]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/**
 * 16×16×16 input → 1×1 → 1×7 → 7×1 (+ the 1×1's output, a fused residual) → 1×3 → 3×1 → 3×3
 * (+ a fused residual) → 3×3 to 10 channels as the graph output (written f32 by its conv).
 */
export function everyWinogradForm(): Graph {
  const g = new Graph();
  const conv = (name: string, x: ValueId, n: number, kh: number, kw: number, relu = true) => {
    const y = g.conv(name, x, {
      outChannels: n, kernelH: kh, kernelW: kw, padding: pads((kh - 1) / 2, (kw - 1) / 2), weight: `${name}.weight`, bias: `${name}.bias`,
    });
    return relu ? g.relu(`${name}.relu`, y) : y;
  };
  const x = g.input('input', [1, 16, 16, 16]);
  const c0 = conv('c0', x, 32, 1, 1);
  const c2 = conv('c2', conv('c1', c0, 32, 1, 7), 32, 7, 1, false);
  const r1 = g.relu('r1', g.add('a1', c0, c2, 0.5));
  const c5 = conv('c5', conv('c4', conv('c3', r1, 24, 1, 3), 32, 3, 1), 32, 3, 3, false);
  const r2 = g.relu('r2', g.add('a2', r1, c5, 0.25));
  g.markOutput(conv('c6', r2, 10, 3, 3, false));
  return g;
}
