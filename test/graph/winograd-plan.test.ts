/**
 * Which algorithm each stride-1 conv of the published networks gets (winogradPlan): the tile
 * choice is part of the numerics (F(6×6) and F(4×4) round differently), so it must follow from
 * the layer alone, and the expensive mistakes (F(6×6) on a 35×35 map that splits into 1–3 tasks,
 * or on 192 output channels) must not come back unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { winogradPlan } from '../../src/graph/algorithm.js';
import type { ConvNode } from '../../src/graph/nodes.js';
import { lowerGraph } from '../../src/ops/index.js';
import { ALL_PASSES, runPasses } from '../../src/graph/passes.js';
import { buildNetwork } from '../../src/inception/models.js';

/** `layer name → plan label` for every single-part conv op of a network at `size`. */
function plans(model: string, size?: [number, number], batch = 1): Map<string, string> {
  const g = buildNetwork(model, size ? { inputSize: size, batch } : { batch });
  const ops = runPasses(g, { ops: lowerGraph(g), aliases: new Map() }, ALL_PASSES).ops;
  const out = new Map<string, string>();
  for (const op of ops) {
    if (op.kind !== 'conv' || op.parts.length !== 1) continue;
    const plan = winogradPlan(op);
    const label = !plan ? 'direct' : plan.dims === 2 ? `F(${plan.tile}x${plan.tile},3x3)` : `F(${plan.m},${plan.r})`;
    out.set((op.parts[0].layer as ConvNode).name, label);
  }
  return out;
}

describe('winogradPlan', () => {
  it('Inception-v3 299: F(6×6) for the 147×147 / 71×71 stem, F(4×4) at 35×35, F(6, 7) at 17×17, F(4, 3) at 8×8', () => {
    const p = plans('inception_v3');
    expect(p.get('Conv2d_2a_3x3.conv')).toBe('F(6x6,3x3)');
    expect(p.get('Conv2d_2b_3x3.conv')).toBe('F(6x6,3x3)');
    expect(p.get('Conv2d_4a_3x3.conv')).toBe('F(4x4,3x3)'); // 192 output channels
    expect(p.get('Mixed_5b.branch3x3dbl_3.conv')).toBe('F(4x4,3x3)'); // 35×35: 36 6×6 tiles, too few tasks
    expect(p.get('Mixed_6b.branch7x7_2.conv')).toBe('F(6,7)');
    expect(p.get('Mixed_6b.branch7x7_3.conv')).toBe('F(6,7)');
    expect(p.get('Mixed_7b.branch3x3_2a.conv')).toBe('F(4,3)');
    expect(p.get('Conv2d_1a_3x3.conv')).toBe('direct'); // stride 2
  });

  it('GoogLeNet 224 keeps F(4×4) (56×56 64 → 192, 28×28) and F(2×2) (14×14)', () => {
    const p = plans('googlenet');
    expect(p.get('conv3.conv')).toBe('F(4x4,3x3)');
    expect(p.get('inception3a.branch2.1.conv')).toBe('F(4x4,3x3)');
    expect(p.get('inception4a.branch2.1.conv')).toBe('F(2x2,3x3)');
    expect(p.get('inception5a.branch2.1.conv')).toBe('direct');
  });

  it('the choice does not depend on the batch, and 1×7 lines of 7 or 8 outputs take F(4, 7)', () => {
    expect(plans('inception_v4', undefined, 2)).toEqual(plans('inception_v4'));
    const small = plans('inception_v3', [139, 139]); // 17×17 maps become 7×7
    expect(small.get('Mixed_6b.branch7x7_2.conv')).toBe('F(4,7)');
    const counts = new Map<string, number>();
    for (const label of plans('inception_resnet_v2').values()) counts.set(label, (counts.get(label) ?? 0) + 1);
    expect(counts.get('F(6,7)')).toBe(40); // the 1×7 and 7×1 of the 20 block17s
    expect(counts.get('F(6x6,3x3)')).toBe(2); // conv2d_2a, conv2d_2b
  });
});
