/**
 * The framework "conv unit" and naming conventions shared by the network builders
 * (reference/inception-architectures.md §2.1): which tensors a conv + normalisation + ReLU has,
 * what they are called, and the BN epsilon. Builders call `Layers` methods with module paths
 * (torchvision/timm `state_dict` prefixes, or tf-slim scopes) and table widths.
 */

import { Graph, GraphError, formatShape } from '../graph/graph.js';
import { pads, type Padding } from '../graph/geometry.js';
import type { ValueId } from '../graph/nodes.js';

export { pads };

/** How one framework spells and builds a conv unit. */
export interface ConvUnitStyle {
  /** 'torch': `p.conv.weight`, `p.bn.{weight,bias,running_mean,running_var}`;
   *  'torch_flat' (Caffe ports): `p.weight`, `p.bias`, `p_bn.{weight,bias,running_mean,running_var}`;
   *  'tf': `p/weights`, `p/biases`, `p/BatchNorm/{gamma,beta,moving_mean,moving_variance}`. */
  naming: 'torch' | 'torch_flat' | 'tf';
  /** BatchNorm after the conv (false: BVLC Caffe). */
  batchNorm: boolean;
  /** BN has γ (false: tf-slim, Keras, facenet TF). */
  bnScale: boolean;
  bnEps: number;
  /** The conv itself has a bias (Caffe). */
  convBias: boolean;
}

/** torchvision `BasicConv2d` / timm `ConvNormAct`: conv (no bias) → BN(γ, β, ε 1e-3) → ReLU. */
export const TORCH_UNIT: ConvUnitStyle = { naming: 'torch', batchNorm: true, bnScale: true, bnEps: 1e-3, convBias: false };
/** Torch module names with tf-slim/Keras semantics: BN without γ. */
export const TORCH_NAMES_TF_BN: ConvUnitStyle = { ...TORCH_UNIT, bnScale: false };
/** tf-slim `slim.conv2d` under `inception_arg_scope`: conv (no bias) → BN(β only, ε 1e-3) → ReLU. */
export const SLIM_UNIT: ConvUnitStyle = { naming: 'tf', batchNorm: true, bnScale: false, bnEps: 1e-3, convBias: false };
/** Cadene's Caffe BN-Inception port: conv with bias → BN(γ, β, ε 1e-5, PyTorch default) → ReLU. */
export const CAFFE_BN_UNIT: ConvUnitStyle = { naming: 'torch_flat', batchNorm: true, bnScale: true, bnEps: 1e-5, convBias: true };
/** BVLC Caffe: conv with bias → ReLU, no BN (torchvision module names). */
export const CAFFE_UNIT: ConvUnitStyle = { naming: 'torch', batchNorm: false, bnScale: false, bnEps: 0, convBias: true };

export type Kernel = number | readonly [number, number];

export interface ConvOptions {
  stride?: number;
  /** Default 'valid' (PyTorch padding=0). */
  padding?: Padding;
}

export interface PoolOptions {
  padding?: Padding;
  ceilMode?: boolean;
}

/** The shape-independent options every builder takes. */
export interface NetworkOptions {
  inputH: number;
  inputW: number;
  batch: number;
  aux: boolean;
  /** Overrides the variant's class count. */
  classes?: number;
}

function kernelHW(kernel: Kernel): [number, number] {
  return typeof kernel === 'number' ? [kernel, kernel] : [kernel[0], kernel[1]];
}

/** Graph-building helpers bound to one graph and one conv-unit style. */
export class Layers {
  constructor(readonly g: Graph, readonly unit: ConvUnitStyle) {}

  /** NHWC input `[batch, inputH, inputW, 3]` named 'input'. */
  input(opts: NetworkOptions): ValueId {
    return this.g.input('input', [opts.batch, opts.inputH, opts.inputW, 3]);
  }

  /** The conv unit at module path `path`: conv → [BN] → ReLU, `outChannels` wide. */
  conv(path: string, x: ValueId, outChannels: number, kernel: Kernel, opts: ConvOptions = {}): ValueId {
    const [kernelH, kernelW] = kernelHW(kernel);
    const names = this.unitNames(path);
    const stride = opts.stride ?? 1;
    let y = this.g.conv(names.conv, x, {
      outChannels, kernelH, kernelW, strideH: stride, strideW: stride, padding: opts.padding ?? 'valid',
      weight: names.weight, ...(this.unit.convBias ? { bias: names.bias } : {}),
    });
    if (this.unit.batchNorm) y = this.batchNorm(names.bn, y);
    return this.g.relu(names.relu, y);
  }

  /** BatchNorm module at `path` (`path.weight`… or `path/beta`…) in this style. */
  batchNorm(path: string, x: ValueId): ValueId {
    const tf = this.unit.naming === 'tf';
    const t = (torchName: string, tfName: string): string => (tf ? `${path}/${tfName}` : `${path}.${torchName}`);
    return this.g.batchNorm(path, x, {
      ...(this.unit.bnScale ? { gamma: t('weight', 'gamma') } : {}),
      beta: t('bias', 'beta'),
      mean: t('running_mean', 'moving_mean'),
      var: t('running_var', 'moving_variance'),
      eps: this.unit.bnEps,
    });
  }

  /** Node and tensor names of the conv unit at `path`. */
  private unitNames(path: string) {
    switch (this.unit.naming) {
      case 'torch':
        return {
          conv: `${path}.conv`, weight: `${path}.conv.weight`, bias: `${path}.conv.bias`,
          bn: `${path}.bn`, relu: `${path}.relu`,
        };
      case 'torch_flat':
        return { conv: path, weight: `${path}.weight`, bias: `${path}.bias`, bn: `${path}_bn`, relu: `${path}_relu` };
      case 'tf':
        return {
          conv: `${path}/Conv2D`, weight: `${path}/weights`, bias: `${path}/biases`,
          bn: `${path}/BatchNorm`, relu: `${path}/Relu`,
        };
    }
  }

  /** A plain conv with bias, no BN, no activation (residual "up" projection, tf-slim logits). */
  convWithBias(path: string, x: ValueId, outChannels: number, kernel: Kernel, opts: ConvOptions = {}): ValueId {
    const [kernelH, kernelW] = kernelHW(kernel);
    const tf = this.unit.naming === 'tf';
    const stride = opts.stride ?? 1;
    return this.g.conv(path, x, {
      outChannels, kernelH, kernelW, strideH: stride, strideW: stride, padding: opts.padding ?? 'valid',
      weight: tf ? `${path}/weights` : `${path}.weight`,
      bias: tf ? `${path}/biases` : `${path}.bias`,
    });
  }

  maxPool(path: string, x: ValueId, kernel: number, stride: number, opts: PoolOptions = {}): ValueId {
    return this.g.maxPool(path, x, {
      kernelH: kernel, kernelW: kernel, strideH: stride, strideW: stride,
      padding: opts.padding ?? 'valid', ceilMode: opts.ceilMode ?? false,
    });
  }

  avgPool(path: string, x: ValueId, kernel: number, stride: number, countIncludePad: boolean, opts: PoolOptions = {}): ValueId {
    return this.g.avgPool(path, x, {
      kernelH: kernel, kernelW: kernel, strideH: stride, strideW: stride,
      padding: opts.padding ?? 'valid', ceilMode: opts.ceilMode ?? false, countIncludePad,
    });
  }

  /** `Linear` at module path `path` (`path.weight`, `path.bias`) on a `[N, F]` value. */
  linear(path: string, x: ValueId, outFeatures: number, bias = true): ValueId {
    return this.g.fc(path, x, {
      outFeatures, weight: `${path}.weight`, ...(bias ? { bias: `${path}.bias` } : {}),
    });
  }

  /** Inception-ResNet residual: `act(x + scale·up)`, as add → (relu). */
  residual(path: string, x: ValueId, up: ValueId, scale: number, relu: boolean): ValueId {
    const sum = this.g.add(`${path}.add`, x, up, scale);
    return relu ? this.g.relu(`${path}.relu`, sum) : sum;
  }

  /** Throws a GraphError naming `block` unless `x` has `inChannels` channels (the table's input width). */
  expectChannels(block: string, x: ValueId, inChannels: number): void {
    const shape = this.g.shape(x);
    if (shape.length !== 4 || shape[3] !== inChannels) {
      throw new GraphError(
        `block '${block}': expected input '${this.g.node(x).name}' of shape [N, H, W, ${inChannels}], got ${formatShape(shape)}`,
      );
    }
  }

  stage(name: string, v: ValueId): ValueId {
    return this.g.markStage(name, v);
  }
}
