/** The network of a benchmark case, and a case from a network name. */
import type { Graph } from '../../src/graph/graph.js';
import { buildNetwork, variantInfo } from '../../src/inception/models.js';
import { caseBuildOptions, type BenchCase } from './artifacts.js';

/** The graph of a case (`caseBuildOptions`: main head only, batch 1). */
export function buildCaseGraph(c: BenchCase): Graph {
  return buildNetwork(c.model, caseBuildOptions(c));
}

/** `model` with its default variant at `inputSize` (default: the network's standard size). */
export function benchCase(model: string, inputSize?: number): BenchCase {
  const info = variantInfo(model);
  return { model, variant: info.variant, inputSize: inputSize ?? info.inputSize[0] };
}
