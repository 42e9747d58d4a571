/**
 * The files every runtime of one benchmark case loads, written once by the harness
 * (bench/peers/write-case.ts) so that all of them start from the same bytes on disk — the same
 * graph, the same weights, the same input:
 *
 *   <dir>/case.json     which network, variant and input size (the graph is rebuilt from these)
 *   <dir>/weights.bin   every weight, float32 little-endian, concatenated in the graph's
 *                       declaration (state-dict) order, framework layout (conv OIHW, fc [out, in])
 *   <dir>/model.onnx    `exportOnnx(graph, weights)`: what onnxruntime-web / -node load
 *   <dir>/input.bin     the image, NCHW float32 `[1, 3, H, W]`
 *
 * and for the int8 rows (bench/peers/write-int8.ts):
 *
 *   <dir>/calibration.bin    int8 calibration images, NCHW float32 `[n, 3, H, W]` (each a seeded
 *                            input of its own seed, none the timed input's)
 *   <dir>/model-int8.onnx    `session.exportOnnx()` of our int8 session calibrated on them: the
 *                            QDQ model onnxruntime-web / -node run for their int8 rows
 *
 * This module only reads them and imports no engine code, so an onnxruntime child loads none.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Graph } from '../../src/graph/graph.js';
import { splitImages, splitWeights, type BenchCase } from './case-format.js';

export { caseBuildOptions, splitImages, splitWeights, type BenchCase } from './case-format.js';

export interface CaseFiles {
  dir: string;
  casePath: string;
  weightsPath: string;
  onnxPath: string;
  inputPath: string;
  calibrationPath: string;
  qdqPath: string;
}

export function caseFiles(dir: string): CaseFiles {
  return {
    dir,
    casePath: path.join(dir, 'case.json'),
    weightsPath: path.join(dir, 'weights.bin'),
    onnxPath: path.join(dir, 'model.onnx'),
    inputPath: path.join(dir, 'input.bin'),
    calibrationPath: path.join(dir, 'calibration.bin'),
    qdqPath: path.join(dir, 'model-int8.onnx'),
  };
}

export function readCase(files: CaseFiles): BenchCase {
  return JSON.parse(readFileSync(files.casePath, 'utf8')) as BenchCase;
}

function readFloats(file: string): Float32Array {
  const bytes = readFileSync(file);
  return bytes.byteOffset % 4 === 0
    ? new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)
    : new Float32Array(new Uint8Array(bytes).buffer);
}

export function readCaseInput(files: CaseFiles): Float32Array {
  return readFloats(files.inputPath);
}

/** calibration.bin as one `[1, 3, H, W]` array per image. */
export function readCaseCalibration(files: CaseFiles, c: BenchCase): Float32Array[] {
  return splitImages(readFloats(files.calibrationPath), c.inputSize, files.calibrationPath);
}

/** Reads weights.bin back as named views (no copy) in the graph's declaration order. */
export function readCaseWeights(files: CaseFiles, graph: Graph): Map<string, Float32Array> {
  return splitWeights(readFloats(files.weightsPath), graph, files.weightsPath);
}
