/**
 * GoogLeNet / Inception-v1 (Szegedy et al. 2014, arXiv:1409.4842, Table 1), reference §3.
 *
 * Variants (names are torchvision's `googlenet` state-dict names in all three):
 *  - 'torchvision' (default): conv unit Conv → BN(γ, β, ε 1e-3) → ReLU; the "5×5" branch is a 3×3
 *    (ported from the TF checkpoint, pytorch/vision#906); every max pool ceil-mode; 2×2 pool before 5a.
 *  - 'caffe': the paper/BVLC topology: true 5×5, conv biases, no BN, LRN after pool1 and conv3,
 *    3×3/2 pool before 5a.
 *  - 'tf': tf-slim `inception_v1`: TF SAME padding everywhere (asymmetric at stride 2), BN without γ,
 *    3×3 "5×5" branch, 1001 classes, no aux heads.
 * Head: global average pool → flatten → fc (logits, no softmax).
 * Aux heads (`aux`, torchvision/caffe only; training-only, untrained in the torchvision checkpoint)
 * are built after inception5b because torchvision registers `aux1`/`aux2` there, which keeps the
 * weight list in state-dict order; outputs are then [logits, aux1, aux2].
 */

import { Graph, GraphError } from '../graph/graph.js';
import type { Padding } from '../graph/geometry.js';
import type { ValueId } from '../graph/nodes.js';
import {
  CAFFE_UNIT, Layers, TORCH_NAMES_TF_BN, TORCH_UNIT, pads, type NetworkOptions,
} from './layers.js';

export type GoogLeNetVariant = 'torchvision' | 'caffe' | 'tf';

export interface Conventions {
  /** Kernel of the branch the paper calls "5×5". */
  kernel5x5: 3 | 5;
  /** Padding of stride-1 k×k convs and of stride-2 pools. */
  same: (k: number) => Padding;
  poolPad: Padding;
  ceilMode: boolean;
}

function conventions(variant: GoogLeNetVariant): Conventions {
  if (variant === 'tf') return { kernel5x5: 3, same: () => 'same', poolPad: 'same', ceilMode: false };
  return {
    kernel5x5: variant === 'caffe' ? 5 : 3,
    same: (k) => pads((k - 1) / 2),
    poolPad: 'valid',
    ceilMode: true,
  };
}

/**
 * One Inception module: branches 1×1 | 1×1→3×3 | 1×1→"5×5" | max 3×3/1 → 1×1, concatenated.
 * Arguments are the paper's Table 1 columns.
 */
export function inceptionModule(
  l: Layers, c: Conventions, x: ValueId, name: string, inChannels: number,
  ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number,
): ValueId {
  l.expectChannels(name, x, inChannels);
  const b1 = l.conv(`${name}.branch1`, x, ch1x1, 1);
  let b2 = l.conv(`${name}.branch2.0`, x, ch3x3red, 1);
  b2 = l.conv(`${name}.branch2.1`, b2, ch3x3, 3, { padding: c.same(3) });
  let b3 = l.conv(`${name}.branch3.0`, x, ch5x5red, 1);
  b3 = l.conv(`${name}.branch3.1`, b3, ch5x5, c.kernel5x5, { padding: c.same(c.kernel5x5) });
  let b4 = l.maxPool(`${name}.branch4.0`, x, 3, 1, { padding: c.same(3), ceilMode: c.ceilMode });
  b4 = l.conv(`${name}.branch4.1`, b4, poolProj, 1);
  return l.stage(name, l.g.concat(name, [b1, b2, b3, b4]));
}

/**
 * Auxiliary classifier on a 14×14 map (`aux1` after 4a, `aux2` after 4d). torchvision
 * `InceptionAux`: adaptive avg pool 4×4 → 1×1 conv 128 → flatten → fc1 1024 + ReLU → fc2.
 * Caffe (paper): avg pool 5×5/3 instead of the adaptive pool.
 */
function auxClassifier(l: Layers, x: ValueId, name: string, classes: number, caffe: boolean): ValueId {
  let y = caffe
    ? l.avgPool(`${name}.pool`, x, 5, 3, true, { ceilMode: true })           // N×4×4×C
    : l.g.adaptiveAvgPool(`${name}.pool`, x, 4, 4);                         // N×4×4×C
  y = l.conv(`${name}.conv`, y, 128, 1);                                    // N×4×4×128
  y = l.g.flatten(`${name}.flatten`, y);                                    // N×2048
  y = l.g.relu(`${name}.fc1.relu`, l.linear(`${name}.fc1`, y, 1024));      // N×1024
  return l.linear(`${name}.fc2`, y, classes);                               // N×classes
}

/** Builds GoogLeNet. Shape comments are for a 224×224 input. */
export function googlenet(opts: NetworkOptions, variant: GoogLeNetVariant = 'torchvision'): Graph {
  const caffe = variant === 'caffe';
  const classes = opts.classes ?? (variant === 'tf' ? 1001 : 1000);
  if (opts.aux && variant === 'tf') throw new GraphError("googlenet 'tf' (tf-slim inception_v1) has no aux heads");
  const l = new Layers(new Graph(), variant === 'caffe' ? CAFFE_UNIT : variant === 'tf' ? TORCH_NAMES_TF_BN : TORCH_UNIT);
  const c = conventions(variant);
  const pool = (name: string, x: ValueId, kernel: number) =>
    l.stage(name, l.maxPool(name, x, kernel, 2, { padding: c.poolPad, ceilMode: c.ceilMode }));
  const lrn = (name: string, x: ValueId) => l.g.lrn(name, x, { size: 5, alpha: 1e-4, beta: 0.75, k: 1 });

  let x = l.input(opts);                                                     // N×224×224×3
  x = l.stage('conv1', l.conv('conv1', x, 64, 7, { stride: 2, padding: variant === 'tf' ? 'same' : pads(3) })); // 112×112×64
  x = pool('maxpool1', x, 3);                                                // 56×56×64
  if (caffe) x = lrn('norm1', x);
  x = l.stage('conv2', l.conv('conv2', x, 64, 1));                           // 56×56×64
  x = l.stage('conv3', l.conv('conv3', x, 192, 3, { padding: c.same(3) }));  // 56×56×192
  if (caffe) x = lrn('norm2', x);
  x = pool('maxpool2', x, 3);                                                // 28×28×192

  x = inceptionModule(l, c, x, 'inception3a', 192, 64, 96, 128, 16, 32, 32);      // 28×28×256
  x = inceptionModule(l, c, x, 'inception3b', 256, 128, 128, 192, 32, 96, 64);    // 28×28×480
  x = pool('maxpool3', x, 3);                                                      // 14×14×480
  const in4a = inceptionModule(l, c, x, 'inception4a', 480, 192, 96, 208, 16, 48, 64);      // 14×14×512
  x = inceptionModule(l, c, in4a, 'inception4b', 512, 160, 112, 224, 24, 64, 64);           // 14×14×512
  x = inceptionModule(l, c, x, 'inception4c', 512, 128, 128, 256, 24, 64, 64);              // 14×14×512
  const in4d = inceptionModule(l, c, x, 'inception4d', 512, 112, 144, 288, 32, 64, 64);     // 14×14×528
  x = inceptionModule(l, c, in4d, 'inception4e', 528, 256, 160, 320, 32, 128, 128);        // 14×14×832
  x = pool('maxpool4', x, caffe ? 3 : 2);                                          // 7×7×832
  x = inceptionModule(l, c, x, 'inception5a', 832, 256, 160, 320, 32, 128, 128);  // 7×7×832
  x = inceptionModule(l, c, x, 'inception5b', 832, 384, 192, 384, 48, 128, 128);  // 7×7×1024

  const aux = opts.aux
    ? [
      l.stage('aux1', auxClassifier(l, in4a, 'aux1', classes, caffe)),
      l.stage('aux2', auxClassifier(l, in4d, 'aux2', classes, caffe)),
    ]
    : [];

  x = l.stage('avgpool', l.g.globalAvgPool('avgpool', x));                  // 1×1×1024
  x = l.g.flatten('flatten', x);                                             // N×1024
  const logits = l.stage('fc', l.linear('fc', x, classes));                  // N×classes
  l.g.markOutput(logits);
  for (const a of aux) l.g.markOutput(a);
  return l.g;
}
