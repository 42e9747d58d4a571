/**
 * The network registry: one plain entry per network with its builder, variants, default and
 * minimum input size, class count and preprocessing preset, plus `buildNetwork`.
 * Per-variant differences live in the builders; `variants` overrides what changes per variant.
 */

import { GraphError, type Graph } from '../graph/graph.js';
import { googlenet, type GoogLeNetVariant } from './googlenet.js';
import { inceptionResNetV1, type InceptionResNetV1Variant } from './inception-resnet-v1.js';
import { inceptionResNetV2, type InceptionResNetV2Variant } from './inception-resnet-v2.js';
import { inceptionV2, type InceptionV2Variant } from './inception-v2.js';
import { inceptionV3, type InceptionV3Variant } from './inception-v3.js';
import { inceptionV4, type InceptionV4Variant } from './inception-v4.js';
import type { PresetName } from '../image/preprocess.js';
import type { NetworkOptions } from './layers.js';
import { describeValue, inputSizeProblem } from '../util/options.js';

/**
 * Input normalisation the weights expect (reference §2.4); the numbers live in
 * src/image/preprocess.ts. Note torchvision's *pretrained* GoogLeNet and Inception-v3 were trained
 * with `transform_input=True`, which our graphs leave out: their weights expect
 * 'torchvision-transform-input' (= x/127.5 − 1), not plain ImageNet mean/std.
 */
export type PreprocessingPreset = PresetName;

export interface VariantInfo {
  /** Default square input size [h, w]. */
  inputSize: readonly [number, number];
  /** Smallest square input the variant builds for (with aux heads off). */
  minInputSize: number;
  /** Output width: classes, or the embedding size. */
  classes: number;
  preprocessing: PreprocessingPreset;
  /** Aux classifier heads available (training-only). */
  aux: boolean;
}

export interface ModelEntry<V extends string> {
  build: (opts: NetworkOptions, variant: V) => Graph;
  defaultVariant: V;
  variants: Readonly<Record<V, VariantInfo>>;
}

const torchvision224 = { inputSize: [224, 224], preprocessing: 'torchvision-transform-input' } as const;
const tf299 = { inputSize: [299, 299], preprocessing: 'tf' } as const;

export const MODELS = {
  googlenet: {
    build: googlenet,
    defaultVariant: 'torchvision',
    variants: {
      torchvision: { ...torchvision224, minInputSize: 15, classes: 1000, aux: true },
      caffe: { inputSize: [224, 224], minInputSize: 31, classes: 1000, preprocessing: 'caffe', aux: true },
      tf: { inputSize: [224, 224], minInputSize: 1, classes: 1001, preprocessing: 'tf', aux: false },
    },
  } satisfies ModelEntry<GoogLeNetVariant>,
  inception_v2: {
    build: inceptionV2,
    defaultVariant: 'tf',
    variants: {
      tf: { inputSize: [224, 224], minInputSize: 1, classes: 1001, preprocessing: 'tf', aux: false },
      // Builds only for sizes ≡ 31…38 (mod 32): elsewhere the port's stride-2 convs (pad 1, floor)
      // and ceil-mode pools of modules 3c/4e disagree by one pixel, in PyTorch as here.
      caffe: { inputSize: [224, 224], minInputSize: 31, classes: 1000, preprocessing: 'caffe-bn-inception', aux: false },
    },
  } satisfies ModelEntry<InceptionV2Variant>,
  inception_v3: {
    build: inceptionV3,
    defaultVariant: 'torchvision',
    variants: {
      torchvision: { inputSize: [299, 299], minInputSize: 75, classes: 1000, preprocessing: 'torchvision-transform-input', aux: true },
      tf: { ...tf299, minInputSize: 75, classes: 1001, aux: true },
    },
  } satisfies ModelEntry<InceptionV3Variant>,
  inception_v4: {
    build: inceptionV4,
    defaultVariant: 'timm',
    variants: {
      timm: { ...tf299, minInputSize: 75, classes: 1000, aux: true },
      tf: { ...tf299, minInputSize: 75, classes: 1001, aux: true },
    },
  } satisfies ModelEntry<InceptionV4Variant>,
  inception_resnet_v1: {
    build: inceptionResNetV1,
    defaultVariant: 'imagenet',
    variants: {
      imagenet: { ...tf299, minInputSize: 75, classes: 1000, aux: false },
      facenet: { inputSize: [160, 160], minInputSize: 75, classes: 512, preprocessing: 'facenet', aux: false },
      facenet_tf: { inputSize: [160, 160], minInputSize: 75, classes: 512, preprocessing: 'facenet', aux: false },
    },
  } satisfies ModelEntry<InceptionResNetV1Variant>,
  inception_resnet_v2: {
    build: inceptionResNetV2,
    defaultVariant: 'timm',
    variants: {
      timm: { ...tf299, minInputSize: 75, classes: 1000, aux: true },
      tf: { ...tf299, minInputSize: 75, classes: 1001, aux: true },
    },
  } satisfies ModelEntry<InceptionResNetV2Variant>,
} as const;

export type ModelName = keyof typeof MODELS;

export interface BuildOptions {
  /** Default: the entry's `defaultVariant`. */
  variant?: string;
  /** Square size or [height, width]; default: the variant's `inputSize`. */
  inputSize?: number | readonly [number, number];
  /** Default 1. */
  batch?: number;
  /** Build the (training-only) aux classifiers too; default false. */
  aux?: boolean;
  /** Override the variant's class count (e.g. 1000 for Keras weights, 8631 for facenet's VGGFace2 logits). */
  classes?: number;
}

function entryOf(name: string): ModelEntry<string> {
  if (!Object.hasOwn(MODELS, name)) {
    throw new GraphError(`unknown network '${name}'; known: ${Object.keys(MODELS).join(', ')}`);
  }
  return MODELS[name as ModelName] as unknown as ModelEntry<string>;
}

/** The registry entry's facts for one variant of a network. Throws on unknown names. */
export function variantInfo(name: string, variant?: string): VariantInfo & { variant: string } {
  const entry = entryOf(name);
  const v = variant ?? entry.defaultVariant;
  // An own-property lookup: 'constructor' or '__proto__' must not find Object.prototype's members.
  const info = Object.hasOwn(entry.variants, v) ? entry.variants[v] : undefined;
  if (info === undefined) {
    throw new GraphError(`network '${name}' has no variant '${v}'; known: ${Object.keys(entry.variants).join(', ')}`);
  }
  return { ...info, variant: v };
}

/**
 * Builds network `name` (a key of MODELS) as a Graph with NHWC input `[batch, h, w, 3]`.
 * Throws a GraphError for an unknown name/variant, aux on a variant without aux heads, or an
 * input smaller than the network can take (the error names the first node that does not fit).
 */
export function buildNetwork(name: string, options: BuildOptions = {}): Graph {
  const entry = entryOf(name);
  const info = variantInfo(name, options.variant);
  const sizeProblem = inputSizeProblem(options.inputSize);
  if (sizeProblem) throw new GraphError(sizeProblem);
  if (options.batch !== undefined && !(Number.isInteger(options.batch) && options.batch > 0)) {
    throw new GraphError(`batch must be a positive integer, got ${describeValue(options.batch)}`);
  }
  const size = options.inputSize ?? info.inputSize;
  const [inputH, inputW] = typeof size === 'number' ? [size, size] : size;
  if (options.aux === true && !info.aux) throw new GraphError(`network '${name}' variant '${info.variant}' has no aux heads`);
  return entry.build({
    inputH, inputW, batch: options.batch ?? 1, aux: options.aux ?? false,
    ...(options.classes !== undefined ? { classes: options.classes } : {}),
  }, info.variant);
}
