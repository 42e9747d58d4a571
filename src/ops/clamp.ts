/**
 * `clamp`: `y = min(max(x, lo), hi)` on any shape (ReLU6 is [0, 6]). Lowers to the engine's clamp op,
 * as `relu` does, so the passes fuse it into the producing conv, BatchNorm or add epilogue the
 * same way; its standalone steps are relu.ts's `clampSteps`.
 */

import { GraphError } from '../graph/nodes.js';
import { first, type OpDef } from './op-def.js';

/** The builder's spec: `lo < hi`; `-Infinity` / `Infinity` leave that side unbounded. */
export interface ClampSpec {
  lo: number;
  hi: number;
}

/** `[lo, hi]` as the papers and frameworks name it: ReLU6, ReLU, or the interval. */
export function clampText(lo: number, hi: number): string {
  if (lo === 0 && hi === 6) return 'ReLU6';
  if (lo === 0 && hi === Infinity) return 'ReLU';
  const bound = (v: number) => (v === Infinity ? '+∞' : v === -Infinity ? '−∞' : String(v));
  return `clamp [${bound(lo)}, ${bound(hi)}]`;
}

export const clamp: OpDef<'clamp', ClampSpec> = {
  kind: 'clamp',
  infer(b, name, inputs, spec) {
    const { lo, hi } = spec;
    // NaN bounds would make every comparison false (the clamp would silently do nothing); an empty
    // or single-point interval is a constant, which no framework's clip is meant to produce here.
    if (typeof lo !== 'number' || typeof hi !== 'number' || Number.isNaN(lo) || Number.isNaN(hi) || !(lo < hi)) {
      throw new GraphError(`clamp '${name}': needs numbers lo < hi (either may be ±Infinity), got lo ${String(lo)}, hi ${String(hi)}`);
    }
    if (lo === -Infinity && hi === Infinity) throw new GraphError(`clamp '${name}': both bounds are infinite; leave the node out instead`);
    return { kind: 'clamp', name, inputs: [...inputs], shape: b.shape(first(inputs)), lo, hi };
  },
  macs: () => 0,
  lower: (node) => [{ kind: 'clamp', name: node.name, input: node.inputs[0]!, output: node.id, clamp: { lo: node.lo, hi: node.hi } }],
  onnx(node, e) {
    // Clip (opset ≥ 11) takes its bounds as optional scalar inputs; an infinite bound is left out
    // (an empty name, or a dropped trailing input).
    const bound = (v: number, suffix: string) => (Number.isFinite(v) ? e.constant(`${node.name}.${suffix}`, [], Float32Array.of(v)) : '');
    const inputs = [e.value(node.inputs[0]!), bound(node.lo, 'min'), bound(node.hi, 'max')];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    e.node('Clip', node.name, inputs, e.value(node.id));
  },
  label: (node) => clampText(node.lo, node.hi),
  diagramKind: () => 'other',
};
