/**
 * Inception-v4 (Szegedy et al., arXiv:1602.07261, Figures 3–9), as timm `inception_v4`
 * (reference §6). Names are timm's state-dict names: `features.0` … `features.21`, `last_linear`.
 *
 * Variants:
 *  - 'timm' (default): ConvNormAct = conv (no bias) → BN(γ, β, ε 1e-3) → ReLU; the pool branches'
 *    3×3/1 avg pools exclude padding (as TF); 1000 classes.
 *  - 'tf': tf-slim semantics under timm names: BN without γ, 1001 classes.
 * Aux head (`aux`; tf-slim only, training-only) after features.17 (Mixed_6h): avg 5×5/3 → 1×1 128 →
 * 5×5 VALID 768 → fc, named `aux_logits.*` (timm has none); outputs are then [logits, aux].
 */

import { Graph } from '../graph/graph.js';
import type { ValueId } from '../graph/nodes.js';
import { Layers, TORCH_NAMES_TF_BN, TORCH_UNIT, pads, type NetworkOptions } from './layers.js';

export type InceptionV4Variant = 'timm' | 'tf';

const row7 = { padding: pads(0, 3) };
const col7 = { padding: pads(3, 0) };
const row3 = { padding: pads(0, 1) };
const col3 = { padding: pads(1, 0) };
const same3 = { padding: pads(1) };

function avgPoolBranch(l: Layers, x: ValueId, name: string, outChannels: number): ValueId {
  const p = l.avgPool(`${name}.branch3.0`, x, 3, 1, false, { padding: pads(1) });
  return l.conv(`${name}.branch3.1`, p, outChannels, 1);
}

/** Stem part 1 (Mixed_3a, Fig. 3): [max 3×3/2 | 3×3/2 96] — pool first. */
export function mixed3a(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 64);
  const pool = l.maxPool(`${name}.maxpool`, x, 3, 2);
  const conv = l.conv(`${name}.conv`, x, 96, 3, { stride: 2 });
  return l.stage(name, l.g.concat(name, [pool, conv]));
}

/** Stem part 2 (Mixed_4a): [1×1 64 → 3×3 96 | 1×1 64 → 1×7 64 → 7×1 64 → 3×3 96], VALID 3×3s. */
export function mixed4a(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 160);
  let b0 = l.conv(`${name}.branch0.0`, x, 64, 1);
  b0 = l.conv(`${name}.branch0.1`, b0, 96, 3);
  let b1 = l.conv(`${name}.branch1.0`, x, 64, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 64, [1, 7], row7);
  b1 = l.conv(`${name}.branch1.2`, b1, 64, [7, 1], col7);
  b1 = l.conv(`${name}.branch1.3`, b1, 96, 3);
  return l.stage(name, l.g.concat(name, [b0, b1]));
}

/** Stem part 3 (Mixed_5a): [3×3/2 192 | max 3×3/2] — conv first. */
export function mixed5a(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 192);
  const conv = l.conv(`${name}.conv`, x, 192, 3, { stride: 2 });
  const pool = l.maxPool(`${name}.maxpool`, x, 3, 2);
  return l.stage(name, l.g.concat(name, [conv, pool]));
}

/** Inception-A (35×35, Fig. 4): 1×1 96 | 1×1 64 → 3×3 96 | 1×1 64 → 3×3 96 → 3×3 96 | avg → 1×1 96. */
export function inceptionA(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 384);
  const b0 = l.conv(`${name}.branch0`, x, 96, 1);
  let b1 = l.conv(`${name}.branch1.0`, x, 64, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 96, 3, same3);
  let b2 = l.conv(`${name}.branch2.0`, x, 64, 1);
  b2 = l.conv(`${name}.branch2.1`, b2, 96, 3, same3);
  b2 = l.conv(`${name}.branch2.2`, b2, 96, 3, same3);
  return l.stage(name, l.g.concat(name, [b0, b1, b2, avgPoolBranch(l, x, name, 96)]));
}

/** Reduction-A (35→17, Fig. 7, Table 1 k=192 l=224 m=256 n=384): 3×3/2 n | 1×1 k → 3×3 l → 3×3/2 m | max 3×3/2. */
export function reductionA(l: Layers, x: ValueId, name: string, k: number, lw: number, m: number, n: number): ValueId {
  const b0 = l.conv(`${name}.branch0`, x, n, 3, { stride: 2 });
  let b1 = l.conv(`${name}.branch1.0`, x, k, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, lw, 3, same3);
  b1 = l.conv(`${name}.branch1.2`, b1, m, 3, { stride: 2 });
  const b2 = l.maxPool(`${name}.branch2`, x, 3, 2);
  return l.stage(name, l.g.concat(name, [b0, b1, b2]));
}

/** Inception-B (17×17, Fig. 5): 1×1 384 | 1×1 192 → 1×7 224 → 7×1 256 | 1×1 192 → 7×1 192 → 1×7 224 → 7×1 224 → 1×7 256 | avg → 1×1 128. */
export function inceptionB(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 1024);
  const b0 = l.conv(`${name}.branch0`, x, 384, 1);
  let b1 = l.conv(`${name}.branch1.0`, x, 192, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 224, [1, 7], row7);
  b1 = l.conv(`${name}.branch1.2`, b1, 256, [7, 1], col7);
  let b2 = l.conv(`${name}.branch2.0`, x, 192, 1);
  b2 = l.conv(`${name}.branch2.1`, b2, 192, [7, 1], col7);
  b2 = l.conv(`${name}.branch2.2`, b2, 224, [1, 7], row7);
  b2 = l.conv(`${name}.branch2.3`, b2, 224, [7, 1], col7);
  b2 = l.conv(`${name}.branch2.4`, b2, 256, [1, 7], row7);
  return l.stage(name, l.g.concat(name, [b0, b1, b2, avgPoolBranch(l, x, name, 128)]));
}

/** Reduction-B (17→8, Fig. 8): 1×1 192 → 3×3/2 192 | 1×1 256 → 1×7 256 → 7×1 320 → 3×3/2 320 | max 3×3/2. */
export function reductionB(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 1024);
  let b0 = l.conv(`${name}.branch0.0`, x, 192, 1);
  b0 = l.conv(`${name}.branch0.1`, b0, 192, 3, { stride: 2 });
  let b1 = l.conv(`${name}.branch1.0`, x, 256, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 256, [1, 7], row7);
  b1 = l.conv(`${name}.branch1.2`, b1, 320, [7, 1], col7);
  b1 = l.conv(`${name}.branch1.3`, b1, 320, 3, { stride: 2 });
  const b2 = l.maxPool(`${name}.branch2`, x, 3, 2);
  return l.stage(name, l.g.concat(name, [b0, b1, b2]));
}

/**
 * Inception-C (8×8, Fig. 6): 1×1 256 | 1×1 384 → [1×3 256, 3×1 256] |
 * 1×1 384 → 3×1 448 → 1×3 512 → [1×3 256, 3×1 256] | avg → 1×1 256.
 */
export function inceptionC(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 1536);
  const b0 = l.conv(`${name}.branch0`, x, 256, 1);
  const b1 = l.conv(`${name}.branch1_0`, x, 384, 1);
  const b1a = l.conv(`${name}.branch1_1a`, b1, 256, [1, 3], row3);
  const b1b = l.conv(`${name}.branch1_1b`, b1, 256, [3, 1], col3);
  let b2 = l.conv(`${name}.branch2_0`, x, 384, 1);
  b2 = l.conv(`${name}.branch2_1`, b2, 448, [3, 1], col3);
  b2 = l.conv(`${name}.branch2_2`, b2, 512, [1, 3], row3);
  const b2a = l.conv(`${name}.branch2_3a`, b2, 256, [1, 3], row3);
  const b2b = l.conv(`${name}.branch2_3b`, b2, 256, [3, 1], col3);
  return l.stage(name, l.g.concat(name, [b0, b1a, b1b, b2a, b2b, avgPoolBranch(l, x, name, 256)]));
}

/** tf-slim aux head on a 17×17 map: avg 5×5/3 VALID → 1×1 128 → 5×5 VALID 768 → flatten → fc. */
export function auxLogits(l: Layers, x: ValueId, name: string, classes: number): ValueId {
  let y = l.avgPool(`${name}.avgpool`, x, 5, 3, false);       // 5×5×C
  y = l.conv(`${name}.conv0`, y, 128, 1);                     // 5×5×128
  y = l.conv(`${name}.conv1`, y, 768, 5);                     // 1×1×768
  return l.linear(`${name}.fc`, l.g.flatten(`${name}.flatten`, y), classes);
}

/** Builds Inception-v4. Shape comments are for a 299×299 input. */
export function inceptionV4(opts: NetworkOptions, variant: InceptionV4Variant = 'timm'): Graph {
  const tf = variant === 'tf';
  const classes = opts.classes ?? (tf ? 1001 : 1000);
  const l = new Layers(new Graph(), tf ? TORCH_NAMES_TF_BN : TORCH_UNIT);
  const f = (i: number) => `features.${i}`;

  let x = l.input(opts);                                                       // 299×299×3
  x = l.stage(f(0), l.conv(f(0), x, 32, 3, { stride: 2 }));                    // 149×149×32
  x = l.stage(f(1), l.conv(f(1), x, 32, 3));                                   // 147×147×32
  x = l.stage(f(2), l.conv(f(2), x, 64, 3, same3));                            // 147×147×64
  x = mixed3a(l, x, f(3));                                                     // 73×73×160
  x = mixed4a(l, x, f(4));                                                     // 71×71×192
  x = mixed5a(l, x, f(5));                                                     // 35×35×384

  let i = 6;
  for (let r = 0; r < 4; r++) x = inceptionA(l, x, f(i++));                    // 4 × A: 35×35×384
  l.expectChannels(f(i), x, 384);
  x = reductionA(l, x, f(i++), 192, 224, 256, 384);                            // 17×17×1024
  for (let r = 0; r < 7; r++) x = inceptionB(l, x, f(i++));                    // 7 × B: 17×17×1024
  const aux = opts.aux ? l.stage('aux_logits', auxLogits(l, x, 'aux_logits', classes)) : undefined;
  x = reductionB(l, x, f(i++));                                                // 8×8×1536
  for (let r = 0; r < 3; r++) x = inceptionC(l, x, f(i++));                    // 3 × C: 8×8×1536

  x = l.g.globalAvgPool('global_pool.pool', x);                                // 1×1×1536
  x = l.stage('global_pool', l.g.flatten('global_pool.flatten', x));           // N×1536
  l.g.markOutput(l.stage('last_linear', l.linear('last_linear', x, classes))); // N×classes
  if (aux !== undefined) l.g.markOutput(aux);
  return l.g;
}
