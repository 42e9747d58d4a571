/** Writes a benchmark case's files (see bench/peers/artifacts.ts for the layout). */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Graph } from '../../src/graph/graph.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { caseFiles, type BenchCase, type CaseFiles } from './artifacts.js';
import { buildCaseGraph } from './case-graph.js';

/**
 * Builds the case's graph, fills its weights with the seeded fill of
 * ../shared/fixtures/torch/README.md, exports it to ONNX and writes the files into `dir`.
 */
export function writeCaseFiles(c: BenchCase, dir: string): { files: CaseFiles; graph: Graph; weights: Map<string, Float32Array> } {
  mkdirSync(dir, { recursive: true });
  const files = caseFiles(dir);
  const graph = buildCaseGraph(c);
  const weights = seededWeights(graph.weights);
  const all = new Float32Array(graph.weights.reduce((s, w) => s + weights.get(w.name)!.length, 0));
  let at = 0;
  for (const w of graph.weights) {
    all.set(weights.get(w.name)!, at);
    at += weights.get(w.name)!.length;
  }
  writeFileSync(files.casePath, JSON.stringify(c));
  writeFileSync(files.weightsPath, new Uint8Array(all.buffer));
  writeFileSync(files.onnxPath, exportOnnx(graph, weights));
  writeFileSync(files.inputPath, new Uint8Array(seededInputNCHW(1, 3, c.inputSize, c.inputSize).buffer));
  return { files, graph, weights };
}
