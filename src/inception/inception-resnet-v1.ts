/**
 * Inception-ResNet-v1 (Szegedy et al., arXiv:1602.07261, Figures 10–15; reference §7), with
 * facenet-pytorch (timesler/facenet-pytorch `InceptionResnetV1`) state-dict names. Google released
 * no ImageNet checkpoint; the trained weights in use are davidsandberg/facenet face embedders.
 *
 * Residual blocks as in Inception-ResNet-v2 (§7.2): conv → add(x, up, scale) → relu; scales 0.17
 * (Block35 ×5), 0.10 (Block17 ×10), 0.20 (Block8 ×5), then `block8` with scale 1.0 and no ReLU.
 *
 * Variants:
 *  - 'imagenet' (default): BN with γ (PyTorch), head global avg → `last_linear` fc 1792→1000 + bias.
 *  - 'facenet': facenet-pytorch at 160×160: global avg → `last_linear` 1792→512 (no bias) →
 *    `last_bn` BatchNorm1d(512, ε 1e-3) → the 512-d embedding. facenet-pytorch then L2-normalises
 *    it, which is not a graph op here; with `classes` a `logits` fc 512→classes follows instead
 *    (8631 for the VGGFace2 checkpoint).
 *  - 'facenet_tf': davidsandberg/facenet semantics under the same names: BN without γ (also on the
 *    bottleneck).
 */

import { Graph } from '../graph/graph.js';
import type { ValueId } from '../graph/nodes.js';
import { Layers, TORCH_NAMES_TF_BN, TORCH_UNIT, pads, type NetworkOptions } from './layers.js';

export type InceptionResNetV1Variant = 'imagenet' | 'facenet' | 'facenet_tf';

const same3 = { padding: pads(1) };

/** Block35 / Inception-ResNet-A (35×35×256, Fig. 10): 1×1 32 | 1×1 32 → 3×3 32 | 1×1 32 → 3×3 32 → 3×3 32; up 96→256. */
export function block35(l: Layers, x: ValueId, name: string, scale: number): ValueId {
  l.expectChannels(name, x, 256);
  const b0 = l.conv(`${name}.branch0`, x, 32, 1);
  let b1 = l.conv(`${name}.branch1.0`, x, 32, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 32, 3, same3);
  let b2 = l.conv(`${name}.branch2.0`, x, 32, 1);
  b2 = l.conv(`${name}.branch2.1`, b2, 32, 3, same3);
  b2 = l.conv(`${name}.branch2.2`, b2, 32, 3, same3);
  const up = l.convWithBias(`${name}.conv2d`, l.g.concat(`${name}.concat`, [b0, b1, b2]), 256, 1);
  return l.residual(name, x, up, scale, true);
}

/** Mixed_6a / Reduction-A (35→17, k=192 l=192 m=256 n=384): 3×3/2 384 | 1×1 192 → 3×3 192 → 3×3/2 256 | max → 896. */
export function mixed6a(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 256);
  const b0 = l.conv(`${name}.branch0`, x, 384, 3, { stride: 2 });
  let b1 = l.conv(`${name}.branch1.0`, x, 192, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 192, 3, same3);
  b1 = l.conv(`${name}.branch1.2`, b1, 256, 3, { stride: 2 });
  const b2 = l.maxPool(`${name}.branch2`, x, 3, 2);
  return l.stage(name, l.g.concat(name, [b0, b1, b2]));
}

/** Block17 / Inception-ResNet-B (17×17×896, Fig. 11): 1×1 128 | 1×1 128 → 1×7 128 → 7×1 128; up 256→896. */
export function block17(l: Layers, x: ValueId, name: string, scale: number): ValueId {
  l.expectChannels(name, x, 896);
  const b0 = l.conv(`${name}.branch0`, x, 128, 1);
  let b1 = l.conv(`${name}.branch1.0`, x, 128, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 128, [1, 7], { padding: pads(0, 3) });
  b1 = l.conv(`${name}.branch1.2`, b1, 128, [7, 1], { padding: pads(3, 0) });
  const up = l.convWithBias(`${name}.conv2d`, l.g.concat(`${name}.concat`, [b0, b1]), 896, 1);
  return l.residual(name, x, up, scale, true);
}

/** Mixed_7a / Reduction-B (17→8, Fig. 12): 1×1 256 → 3×3/2 384 | 1×1 256 → 3×3/2 256 | 1×1 256 → 3×3 256 → 3×3/2 256 | max → 1792. */
export function mixed7a(l: Layers, x: ValueId, name: string): ValueId {
  l.expectChannels(name, x, 896);
  let b0 = l.conv(`${name}.branch0.0`, x, 256, 1);
  b0 = l.conv(`${name}.branch0.1`, b0, 384, 3, { stride: 2 });
  let b1 = l.conv(`${name}.branch1.0`, x, 256, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 256, 3, { stride: 2 });
  let b2 = l.conv(`${name}.branch2.0`, x, 256, 1);
  b2 = l.conv(`${name}.branch2.1`, b2, 256, 3, same3);
  b2 = l.conv(`${name}.branch2.2`, b2, 256, 3, { stride: 2 });
  const b3 = l.maxPool(`${name}.branch3`, x, 3, 2);
  return l.stage(name, l.g.concat(name, [b0, b1, b2, b3]));
}

/** Block8 / Inception-ResNet-C (8×8×1792, Fig. 13): 1×1 192 | 1×1 192 → 1×3 192 → 3×1 192; up 384→1792. */
export function block8(l: Layers, x: ValueId, name: string, scale: number, relu: boolean): ValueId {
  l.expectChannels(name, x, 1792);
  const b0 = l.conv(`${name}.branch0`, x, 192, 1);
  let b1 = l.conv(`${name}.branch1.0`, x, 192, 1);
  b1 = l.conv(`${name}.branch1.1`, b1, 192, [1, 3], { padding: pads(0, 1) });
  b1 = l.conv(`${name}.branch1.2`, b1, 192, [3, 1], { padding: pads(1, 0) });
  const up = l.convWithBias(`${name}.conv2d`, l.g.concat(`${name}.concat`, [b0, b1]), 1792, 1);
  return l.residual(name, x, up, scale, relu);
}

/** Builds Inception-ResNet-v1. Shape comments are for 299×299 (facenet's 160×160 in brackets). */
export function inceptionResNetV1(opts: NetworkOptions, variant: InceptionResNetV1Variant = 'imagenet'): Graph {
  const l = new Layers(new Graph(), variant === 'facenet_tf' ? TORCH_NAMES_TF_BN : TORCH_UNIT);

  let x = l.input(opts);                                                         // 299×299×3 [160]
  x = l.stage('conv2d_1a', l.conv('conv2d_1a', x, 32, 3, { stride: 2 }));        // 149×149×32 [79]
  x = l.stage('conv2d_2a', l.conv('conv2d_2a', x, 32, 3));                       // 147×147×32 [77]
  x = l.stage('conv2d_2b', l.conv('conv2d_2b', x, 64, 3, same3));                // 147×147×64 [77]
  x = l.stage('maxpool_3a', l.maxPool('maxpool_3a', x, 3, 2));                   // 73×73×64 [38]
  x = l.stage('conv2d_3b', l.conv('conv2d_3b', x, 80, 1));                       // 73×73×80 [38]
  x = l.stage('conv2d_4a', l.conv('conv2d_4a', x, 192, 3));                      // 71×71×192 [36]
  x = l.stage('conv2d_4b', l.conv('conv2d_4b', x, 256, 3, { stride: 2 }));       // 35×35×256 [17]

  for (let i = 0; i < 5; i++) x = block35(l, x, `repeat_1.${i}`, 0.17);          // 5 × Block35
  l.stage('repeat_1', x);                                                        // 35×35×256 [17]
  x = mixed6a(l, x, 'mixed_6a');                                                 // 17×17×896 [8]
  for (let i = 0; i < 10; i++) x = block17(l, x, `repeat_2.${i}`, 0.1);          // 10 × Block17
  l.stage('repeat_2', x);                                                        // 17×17×896 [8]
  x = mixed7a(l, x, 'mixed_7a');                                                 // 8×8×1792 [3]
  for (let i = 0; i < 5; i++) x = block8(l, x, `repeat_3.${i}`, 0.2, true);      // 5 × Block8
  l.stage('repeat_3', x);                                                        // 8×8×1792 [3]
  x = l.stage('block8', block8(l, x, 'block8', 1.0, false));                     // 8×8×1792 [3], no ReLU

  x = l.stage('avgpool_1a', l.g.globalAvgPool('avgpool_1a', x));                 // 1×1×1792
  x = l.g.flatten('flatten', x);                                                 // N×1792
  if (variant === 'imagenet') {
    l.g.markOutput(l.stage('last_linear', l.linear('last_linear', x, opts.classes ?? 1000)));
    return l.g;
  }
  x = l.stage('last_linear', l.linear('last_linear', x, 512, false));            // N×512
  x = l.stage('last_bn', l.batchNorm('last_bn', x));                             // N×512 embedding
  if (opts.classes !== undefined) x = l.stage('logits', l.linear('logits', x, opts.classes));
  l.g.markOutput(x);
  return l.g;
}
