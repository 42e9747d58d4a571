/**
 * Inception-ResNet-v2 as released (tf-slim `inception_resnet_v2`, ported by timm; reference §8),
 * which differs from the paper's figures (§8.6: v3-style stem + Mixed_5b, 10/20/10 blocks).
 * Names are timm's state-dict names.
 *
 * Residual blocks: `relu(x + scale·up(concat(branches)))`, `up` a 1×1 conv with bias and no BN,
 * built as conv → add(x, up, scale) → relu (a pass fuses it into the GEMM epilogue). Scales 0.17
 * (Block35 ×10), 0.10 (Block17 ×20), 0.20 (Block8 ×9); the final `block8` has scale 1.0, no ReLU.
 *
 * Variants:
 *  - 'timm' (default): BN with γ, ε 1e-3; Mixed_5b's avg pool excludes padding; 1000 classes.
 *  - 'tf': tf-slim/Keras semantics under timm names: BN without γ, 1001 classes (tf-slim;
 *    `classes: 1000` gives Keras).
 * Aux head (`aux`; tf-slim only, training-only) on PreAuxLogits = after repeat_1, named `aux_logits.*`.
 */

import { Graph } from '../graph/graph.js';
import type { ValueId } from '../graph/nodes.js';
import { Layers, TORCH_NAMES_TF_BN, TORCH_UNIT, pads, type NetworkOptions } from './layers.js';
import { auxLogits } from './inception-v4.js';

export type InceptionResNetV2Variant = 'timm' | 'tf';

const same3 = { padding: pads(1) };

/** Mixed_5b (35×35): 1×1 96 | 1×1 48 → 5×5 64 | 1×1 64 → 3×3 96 → 3×3 96 | avg (excl. pad) → 1×1 64. */
export function mixed5b(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 192);
  const b0 = l.conv(`${name}.branch0`, x, 96, 1);
  let b1 = l.conv(`${name}.branch1.0`, x, 48, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 64, 5, { padding: pads(2) });
  let b2 = l.conv(`${name}.branch2.0`, x, 64, 1);
  b2 = l.conv(`${name}.branch2.1`, b2, 96, 3, same3);
  b2 = l.conv(`${name}.branch2.2`, b2, 96, 3, same3);
  let b3 = l.avgPool(`${name}.branch3.0`, x, 3, 1, false, { padding: pads(1) });
  b3 = l.conv(`${name}.branch3.1`, b3, 64, 1);
  return l.stage(name, l.g.concat(name, [b0, b1, b2, b3]));
}

/** Block35 / Inception-ResNet-A (35×35×320): 1×1 32 | 1×1 32 → 3×3 32 | 1×1 32 → 3×3 48 → 3×3 64; up 128→320. */
export function block35(l: Layers, x: ValueId, name: string, scale: number): ValueId {
  l.expectChannels(name, x, 320);
  const b0 = l.conv(`${name}.branch0`, x, 32, 1);
  let b1 = l.conv(`${name}.branch1.0`, x, 32, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 32, 3, same3);
  let b2 = l.conv(`${name}.branch2.0`, x, 32, 1);
  b2 = l.conv(`${name}.branch2.1`, b2, 48, 3, same3);
  b2 = l.conv(`${name}.branch2.2`, b2, 64, 3, same3);
  const up = l.convWithBias(`${name}.conv2d`, l.g.concat(`${name}.concat`, [b0, b1, b2]), 320, 1);
  return l.residual(name, x, up, scale, true);
}

/** Mixed_6a / Reduction-A (35→17): 3×3/2 384 | 1×1 256 → 3×3 256 → 3×3/2 384 | max 3×3/2 → 1088. */
export function mixed6a(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 320);
  const b0 = l.conv(`${name}.branch0`, x, 384, 3, { stride: 2 });
  let b1 = l.conv(`${name}.branch1.0`, x, 256, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 256, 3, same3);
  b1 = l.conv(`${name}.branch1.2`, b1, 384, 3, { stride: 2 });
  const b2 = l.maxPool(`${name}.branch2`, x, 3, 2);
  return l.stage(name, l.g.concat(name, [b0, b1, b2]));
}

/** Block17 / Inception-ResNet-B (17×17×1088): 1×1 192 | 1×1 128 → 1×7 160 → 7×1 192; up 384→1088. */
export function block17(l: Layers, x: ValueId, name: string, scale: number): ValueId {
  l.expectChannels(name, x, 1088);
  const b0 = l.conv(`${name}.branch0`, x, 192, 1);
  let b1 = l.conv(`${name}.branch1.0`, x, 128, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 160, [1, 7], { padding: pads(0, 3) });
  b1 = l.conv(`${name}.branch1.2`, b1, 192, [7, 1], { padding: pads(3, 0) });
  const up = l.convWithBias(`${name}.conv2d`, l.g.concat(`${name}.concat`, [b0, b1]), 1088, 1);
  return l.residual(name, x, up, scale, true);
}

/** Mixed_7a / Reduction-B (17→8): 1×1 256 → 3×3/2 384 | 1×1 256 → 3×3/2 288 | 1×1 256 → 3×3 288 → 3×3/2 320 | max → 2080. */
export function mixed7a(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 1088);
  let b0 = l.conv(`${name}.branch0.0`, x, 256, 1);
  b0 = l.conv(`${name}.branch0.1`, b0, 384, 3, { stride: 2 });
  let b1 = l.conv(`${name}.branch1.0`, x, 256, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 288, 3, { stride: 2 });
  let b2 = l.conv(`${name}.branch2.0`, x, 256, 1);
  b2 = l.conv(`${name}.branch2.1`, b2, 288, 3, same3);
  b2 = l.conv(`${name}.branch2.2`, b2, 320, 3, { stride: 2 });
  const b3 = l.maxPool(`${name}.branch3`, x, 3, 2);
  return l.stage(name, l.g.concat(name, [b0, b1, b2, b3]));
}

/** Block8 / Inception-ResNet-C (8×8×2080): 1×1 192 | 1×1 192 → 1×3 224 → 3×1 256; up 448→2080. */
export function block8(l: Layers, x: ValueId, name: string, scale: number, relu: boolean): ValueId {
  l.expectChannels(name, x, 2080);
  const b0 = l.conv(`${name}.branch0`, x, 192, 1);
  let b1 = l.conv(`${name}.branch1.0`, x, 192, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 224, [1, 3], { padding: pads(0, 1) });
  b1 = l.conv(`${name}.branch1.2`, b1, 256, [3, 1], { padding: pads(1, 0) });
  const up = l.convWithBias(`${name}.conv2d`, l.g.concat(`${name}.concat`, [b0, b1]), 2080, 1);
  return l.residual(name, x, up, scale, relu);
}

/** Builds Inception-ResNet-v2. Shape comments are for a 299×299 input. */
export function inceptionResNetV2(opts: NetworkOptions, variant: InceptionResNetV2Variant = 'timm'): Graph {
  const tf = variant === 'tf';
  const classes = opts.classes ?? (tf ? 1001 : 1000);
  const l = new Layers(new Graph(), tf ? TORCH_NAMES_TF_BN : TORCH_UNIT);

  let x = l.input(opts);                                                        // 299×299×3
  x = l.stage('conv2d_1a', l.conv('conv2d_1a', x, 32, 3, { stride: 2 }));       // 149×149×32
  x = l.stage('conv2d_2a', l.conv('conv2d_2a', x, 32, 3));                      // 147×147×32
  x = l.stage('conv2d_2b', l.conv('conv2d_2b', x, 64, 3, same3));               // 147×147×64
  x = l.stage('maxpool_3a', l.maxPool('maxpool_3a', x, 3, 2));                  // 73×73×64
  x = l.stage('conv2d_3b', l.conv('conv2d_3b', x, 80, 1));                      // 73×73×80
  x = l.stage('conv2d_4a', l.conv('conv2d_4a', x, 192, 3));                     // 71×71×192
  x = l.stage('maxpool_5a', l.maxPool('maxpool_5a', x, 3, 2));                  // 35×35×192
  x = mixed5b(l, x, 'mixed_5b');                                                // 35×35×320

  for (let i = 0; i < 10; i++) x = block35(l, x, `repeat.${i}`, 0.17);          // 10 × Block35
  l.stage('repeat', x);                                                         // 35×35×320
  x = mixed6a(l, x, 'mixed_6a');                                                // 17×17×1088
  for (let i = 0; i < 20; i++) x = block17(l, x, `repeat_1.${i}`, 0.1);         // 20 × Block17
  l.stage('repeat_1', x);                                                       // 17×17×1088
  const aux = opts.aux ? l.stage('aux_logits', auxLogits(l, x, 'aux_logits', classes)) : undefined;
  x = mixed7a(l, x, 'mixed_7a');                                                // 8×8×2080
  for (let i = 0; i < 9; i++) x = block8(l, x, `repeat_2.${i}`, 0.2, true);     // 9 × Block8
  l.stage('repeat_2', x);                                                       // 8×8×2080
  x = l.stage('block8', block8(l, x, 'block8', 1.0, false));                    // 8×8×2080, no ReLU
  x = l.stage('conv2d_7b', l.conv('conv2d_7b', x, 1536, 1));                    // 8×8×1536

  x = l.g.globalAvgPool('global_pool.pool', x);                                 // 1×1×1536
  x = l.stage('global_pool', l.g.flatten('global_pool.flatten', x));            // N×1536
  l.g.markOutput(l.stage('classif', l.linear('classif', x, classes)));          // N×classes
  if (aux !== undefined) l.g.markOutput(aux);
  return l.g;
}
