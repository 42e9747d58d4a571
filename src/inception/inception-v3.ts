/**
 * Inception-v3 (Szegedy et al., "Rethinking the Inception Architecture", arXiv:1512.00567), as
 * released (tf-slim) and ported by torchvision `Inception3` / timm `inception_v3`; reference §5.
 * Names are torchvision's state-dict names.
 *
 * Variants:
 *  - 'torchvision' (default): BN with γ; the 3×3/1 avg pools of the pool branches count padding
 *    (`F.avg_pool2d(x, 3, 1, 1)`, divisor 9 at borders) although the weights came from TF; 1000 classes.
 *  - 'tf': tf-slim/Keras semantics under the same names: BN without γ, avg pools exclude padding,
 *    1001 classes (tf-slim; pass `classes: 1000` for Keras).
 * Head: global average pool → flatten → fc. Aux head (`aux`, training-only) after Mixed_6e,
 * registered there by torchvision too; outputs are then [logits, aux].
 */

import { Graph } from '../graph/graph.js';
import type { ValueId } from '../graph/nodes.js';
import { Layers, TORCH_NAMES_TF_BN, TORCH_UNIT, pads, type NetworkOptions } from './layers.js';

export type InceptionV3Variant = 'torchvision' | 'tf';

export interface Ctx {
  l: Layers;
  /** Border divisor of the pool branches' 3×3/1 average pools. */
  countIncludePad: boolean;
}

function poolBranch(c: Ctx, x: ValueId, name: string, outChannels: number): ValueId {
  const p = c.l.avgPool(`${name}.branch_pool.avgpool`, x, 3, 1, c.countIncludePad, { padding: pads(1) });
  return c.l.conv(`${name}.branch_pool`, p, outChannels, 1);
}

/** InceptionA (35×35): 1×1 64 | 1×1 48 → 5×5 64 | 1×1 64 → 3×3 96 → 3×3 96 | avg → 1×1 poolFeatures. */
export function inceptionA(c: Ctx, x: ValueId, name: string, inChannels: number, poolFeatures: number): ValueId {
  const { l } = c;
  l.expectChannels(name, x, inChannels);
  const b1x1 = l.conv(`${name}.branch1x1`, x, 64, 1);
  let b5x5 = l.conv(`${name}.branch5x5_1`, x, 48, 1);
  b5x5 = l.conv(`${name}.branch5x5_2`, b5x5, 64, 5, { padding: pads(2) });
  let dbl = l.conv(`${name}.branch3x3dbl_1`, x, 64, 1);
  dbl = l.conv(`${name}.branch3x3dbl_2`, dbl, 96, 3, { padding: pads(1) });
  dbl = l.conv(`${name}.branch3x3dbl_3`, dbl, 96, 3, { padding: pads(1) });
  const pool = poolBranch(c, x, name, poolFeatures);
  return l.stage(name, l.g.concat(name, [b1x1, b5x5, dbl, pool]));
}

/** InceptionB (35→17 grid reduction): 3×3/2 384 | 1×1 64 → 3×3 96 → 3×3/2 96 | max 3×3/2. */
export function inceptionB(c: Ctx, x: ValueId, name: string, inChannels: number): ValueId {
  const { l } = c;
  l.expectChannels(name, x, inChannels);
  const b3x3 = l.conv(`${name}.branch3x3`, x, 384, 3, { stride: 2 });
  let dbl = l.conv(`${name}.branch3x3dbl_1`, x, 64, 1);
  dbl = l.conv(`${name}.branch3x3dbl_2`, dbl, 96, 3, { padding: pads(1) });
  dbl = l.conv(`${name}.branch3x3dbl_3`, dbl, 96, 3, { stride: 2 });
  const pool = l.maxPool(`${name}.branch_pool`, x, 3, 2);
  return l.stage(name, l.g.concat(name, [b3x3, dbl, pool]));
}

/** InceptionC (17×17, 1×7/7×1 factorised): 1×1 192 | c7 → 1×7 c7 → 7×1 192 | c7 → 7×1 → 1×7 → 7×1 → 1×7 192 | avg → 192. */
export function inceptionC(c: Ctx, x: ValueId, name: string, inChannels: number, c7: number): ValueId {
  const { l } = c;
  l.expectChannels(name, x, inChannels);
  const row = { padding: pads(0, 3) };
  const col = { padding: pads(3, 0) };
  const b1x1 = l.conv(`${name}.branch1x1`, x, 192, 1);
  let b7 = l.conv(`${name}.branch7x7_1`, x, c7, 1);
  b7 = l.conv(`${name}.branch7x7_2`, b7, c7, [1, 7], row);
  b7 = l.conv(`${name}.branch7x7_3`, b7, 192, [7, 1], col);
  let dbl = l.conv(`${name}.branch7x7dbl_1`, x, c7, 1);
  dbl = l.conv(`${name}.branch7x7dbl_2`, dbl, c7, [7, 1], col);
  dbl = l.conv(`${name}.branch7x7dbl_3`, dbl, c7, [1, 7], row);
  dbl = l.conv(`${name}.branch7x7dbl_4`, dbl, c7, [7, 1], col);
  dbl = l.conv(`${name}.branch7x7dbl_5`, dbl, 192, [1, 7], row);
  const pool = poolBranch(c, x, name, 192);
  return l.stage(name, l.g.concat(name, [b1x1, b7, dbl, pool]));
}

/** InceptionD (17→8 grid reduction): 1×1 192 → 3×3/2 320 | 1×1 192 → 1×7 → 7×1 → 3×3/2 192 | max 3×3/2. */
export function inceptionD(c: Ctx, x: ValueId, name: string, inChannels: number): ValueId {
  const { l } = c;
  l.expectChannels(name, x, inChannels);
  let b3 = l.conv(`${name}.branch3x3_1`, x, 192, 1);
  b3 = l.conv(`${name}.branch3x3_2`, b3, 320, 3, { stride: 2 });
  let b7 = l.conv(`${name}.branch7x7x3_1`, x, 192, 1);
  b7 = l.conv(`${name}.branch7x7x3_2`, b7, 192, [1, 7], { padding: pads(0, 3) });
  b7 = l.conv(`${name}.branch7x7x3_3`, b7, 192, [7, 1], { padding: pads(3, 0) });
  b7 = l.conv(`${name}.branch7x7x3_4`, b7, 192, 3, { stride: 2 });
  const pool = l.maxPool(`${name}.branch_pool`, x, 3, 2);
  return l.stage(name, l.g.concat(name, [b3, b7, pool]));
}

/**
 * InceptionE (8×8, expanded): 1×1 320 | 1×1 384 → [1×3 384, 3×1 384] | 1×1 448 → 3×3 384 →
 * [1×3 384, 3×1 384] | avg → 192. The nested concats are flattened into one (same channel order).
 */
export function inceptionE(c: Ctx, x: ValueId, name: string, inChannels: number): ValueId {
  const { l } = c;
  l.expectChannels(name, x, inChannels);
  const row = { padding: pads(0, 1) };
  const col = { padding: pads(1, 0) };
  const b1x1 = l.conv(`${name}.branch1x1`, x, 320, 1);
  const b3 = l.conv(`${name}.branch3x3_1`, x, 384, 1);
  const b3a = l.conv(`${name}.branch3x3_2a`, b3, 384, [1, 3], row);
  const b3b = l.conv(`${name}.branch3x3_2b`, b3, 384, [3, 1], col);
  let dbl = l.conv(`${name}.branch3x3dbl_1`, x, 448, 1);
  dbl = l.conv(`${name}.branch3x3dbl_2`, dbl, 384, 3, { padding: pads(1) });
  const dblA = l.conv(`${name}.branch3x3dbl_3a`, dbl, 384, [1, 3], row);
  const dblB = l.conv(`${name}.branch3x3dbl_3b`, dbl, 384, [3, 1], col);
  const pool = poolBranch(c, x, name, 192);
  return l.stage(name, l.g.concat(name, [b1x1, b3a, b3b, dblA, dblB, pool]));
}

/**
 * Aux classifier on the 17×17 map: avg 5×5/3 → 1×1 128 → 5×5 VALID 768 → global avg → fc.
 * The 5×5 conv needs a ≥ 17×17 map, i.e. an input of at least 299 (as in torchvision training).
 */
export function inceptionAux(l: Layers, x: ValueId, name: string, classes: number): ValueId {
  let y = l.avgPool(`${name}.avgpool`, x, 5, 3, true);                      // 5×5×768
  y = l.conv(`${name}.conv0`, y, 128, 1);                                   // 5×5×128
  y = l.conv(`${name}.conv1`, y, 768, 5);                                   // 1×1×768
  y = l.g.flatten(`${name}.flatten`, l.g.globalAvgPool(`${name}.global_pool`, y));
  return l.linear(`${name}.fc`, y, classes);
}

/** Builds Inception-v3. Shape comments are for a 299×299 input. */
export function inceptionV3(opts: NetworkOptions, variant: InceptionV3Variant = 'torchvision'): Graph {
  const tf = variant === 'tf';
  const classes = opts.classes ?? (tf ? 1001 : 1000);
  const l = new Layers(new Graph(), tf ? TORCH_NAMES_TF_BN : TORCH_UNIT);
  const c: Ctx = { l, countIncludePad: !tf };

  let x = l.input(opts);                                                                  // 299×299×3
  x = l.stage('Conv2d_1a_3x3', l.conv('Conv2d_1a_3x3', x, 32, 3, { stride: 2 }));        // 149×149×32
  x = l.stage('Conv2d_2a_3x3', l.conv('Conv2d_2a_3x3', x, 32, 3));                       // 147×147×32
  x = l.stage('Conv2d_2b_3x3', l.conv('Conv2d_2b_3x3', x, 64, 3, { padding: pads(1) })); // 147×147×64
  x = l.stage('maxpool1', l.maxPool('maxpool1', x, 3, 2));                               // 73×73×64
  x = l.stage('Conv2d_3b_1x1', l.conv('Conv2d_3b_1x1', x, 80, 1));                       // 73×73×80
  x = l.stage('Conv2d_4a_3x3', l.conv('Conv2d_4a_3x3', x, 192, 3));                      // 71×71×192
  x = l.stage('maxpool2', l.maxPool('maxpool2', x, 3, 2));                               // 35×35×192

  x = inceptionA(c, x, 'Mixed_5b', 192, 32);    // 35×35×256
  x = inceptionA(c, x, 'Mixed_5c', 256, 64);    // 35×35×288
  x = inceptionA(c, x, 'Mixed_5d', 288, 64);    // 35×35×288
  x = inceptionB(c, x, 'Mixed_6a', 288);        // 17×17×768
  x = inceptionC(c, x, 'Mixed_6b', 768, 128);   // 17×17×768
  x = inceptionC(c, x, 'Mixed_6c', 768, 160);   // 17×17×768
  x = inceptionC(c, x, 'Mixed_6d', 768, 160);   // 17×17×768
  x = inceptionC(c, x, 'Mixed_6e', 768, 192);   // 17×17×768
  const aux = opts.aux ? l.stage('AuxLogits', inceptionAux(l, x, 'AuxLogits', classes)) : undefined;
  x = inceptionD(c, x, 'Mixed_7a', 768);        // 8×8×1280
  x = inceptionE(c, x, 'Mixed_7b', 1280);       // 8×8×2048
  x = inceptionE(c, x, 'Mixed_7c', 2048);       // 8×8×2048

  x = l.stage('avgpool', l.g.globalAvgPool('avgpool', x));                // 1×1×2048
  x = l.g.flatten('flatten', x);                                          // N×2048
  l.g.markOutput(l.stage('fc', l.linear('fc', x, classes)));              // N×classes
  if (aux !== undefined) l.g.markOutput(aux);
  return l.g;
}
