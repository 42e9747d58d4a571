/**
 * The PyTorch reference fixtures as the network tests read them, on top of test/helpers/fixtures.ts
 * (which locates ../shared/fixtures and gives the skip reason): the fields these tests use, the
 * fixture names per model, and NCHW → NHWC for activation shapes.
 */

import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, torchFixture, type TorchFixture } from '../helpers/fixtures.js';

export const HAVE_FIXTURES = FIXTURES_AVAILABLE;
export const SKIP_REASON = FIXTURES_SKIP_REASON;

export type FixtureModel = 'googlenet' | 'inception_v3' | 'inception_v4' | 'inception_resnet_v2';

export interface NetworkFixture extends TorchFixture {
  input: TorchFixture['input'] & { first8: number[]; sum: number };
  weights: TorchFixture['weights'] & { num_draws: number };
  /** Forward-hook outputs of named modules, NCHW (or [N, C] after a flattening pool). */
  activations: { module: string; shape: number[] }[];
}

export function loadFixture(name: string): NetworkFixture {
  return torchFixture(name) as NetworkFixture;
}

/** The fixtures, per model: the standard size first, then the small square and the non-square one. */
export const FIXTURE_NAMES: Record<FixtureModel, string[]> = {
  googlenet: ['googlenet_224', 'googlenet_96', 'googlenet_80x112'],
  inception_v3: ['inception_v3_299', 'inception_v3_139', 'inception_v3_107x139'],
  inception_v4: ['inception_v4_299', 'inception_v4_139', 'inception_v4_107x139'],
  inception_resnet_v2: ['inception_resnet_v2_299', 'inception_resnet_v2_139', 'inception_resnet_v2_107x139'],
};

/** NCHW (fixture) shape → NHWC (graph) shape; 2-D shapes are unchanged. */
export function nchwToNhwc(shape: readonly number[]): number[] {
  return shape.length === 4 ? [shape[0]!, shape[2]!, shape[3]!, shape[1]!] : [...shape];
}
