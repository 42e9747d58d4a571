/**
 * The PyTorch reference fixtures as the network tests read them, on top of test/helpers/fixtures.ts
 * (which locates ../shared/fixtures and gives the skip reason): the fields these tests use, the
 * fixture names per model, and NCHW → NHWC for activation shapes.
 */

import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, torchFixture, type TorchFixture } from '../helpers/fixtures.js';

export const HAVE_FIXTURES = FIXTURES_AVAILABLE;
export const SKIP_REASON = FIXTURES_SKIP_REASON;

export type FixtureModel = 'googlenet' | 'inception_v2' | 'inception_v3' | 'inception_v4' | 'inception_resnet_v1' | 'inception_resnet_v2';

export interface NetworkFixture extends TorchFixture {
  input: TorchFixture['input'] & { first8: number[]; sum: number };
  weights: TorchFixture['weights'] & { num_draws: number };
  /** Forward-hook outputs of named modules, NCHW (or [N, C] after a flattening pool). */
  activations: { module: string; shape: number[] }[];
  /** The registry variant the weights and layers correspond to; absent = the default variant. */
  variant?: string;
}

export function loadFixture(name: string): NetworkFixture {
  return torchFixture(name) as NetworkFixture;
}

/**
 * The fixtures, per model: the standard size first, then the small ones (square, non-square).
 * BN-Inception's Caffe port builds for square inputs only (its head pools with a kernel equal to
 * the map height), so it has no non-square fixture.
 */
export const FIXTURE_NAMES: Record<FixtureModel, string[]> = {
  googlenet: ['googlenet_224', 'googlenet_96', 'googlenet_80x112'],
  inception_v2: ['inception_v2_224', 'inception_v2_96'],
  inception_v3: ['inception_v3_299', 'inception_v3_139', 'inception_v3_107x139'],
  inception_v4: ['inception_v4_299', 'inception_v4_139', 'inception_v4_107x139'],
  inception_resnet_v1: ['inception_resnet_v1_160', 'inception_resnet_v1_107x139'],
  inception_resnet_v2: ['inception_resnet_v2_299', 'inception_resnet_v2_139', 'inception_resnet_v2_107x139'],
};

/** The registry network a fixture describes: its `variant` field (default variant when absent), batch and input size. */
export function fixtureBuildOptions(fixture: NetworkFixture): { variant?: string; batch: number; inputSize: [number, number] } {
  const [n, , h, w] = fixture.input.shape;
  return { ...(fixture.variant !== undefined ? { variant: fixture.variant } : {}), batch: n, inputSize: [h, w] };
}

/** Output width of the fixture's network (classes, or facenet's embedding size): the logits' row length. */
export function fixtureClasses(fixture: NetworkFixture): number {
  return fixture.logits_f64[0].length;
}

/** NCHW (fixture) shape → NHWC (graph) shape; 2-D shapes are unchanged. */
export function nchwToNhwc(shape: readonly number[]): number[] {
  return shape.length === 4 ? [shape[0]!, shape[2]!, shape[3]!, shape[1]!] : [...shape];
}
