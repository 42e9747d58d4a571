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
 * This module only reads them and imports no engine code, so an onnxruntime child loads none.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Graph } from '../../src/graph/graph.js';

export interface BenchCase {
  model: string;
  variant: string;
  /** Square input size (pixels). */
  inputSize: number;
}

export interface CaseFiles {
  dir: string;
  casePath: string;
  weightsPath: string;
  onnxPath: string;
  inputPath: string;
}

/** `buildNetwork` options of a case: main head only (aux heads are training-only), batch 1. */
export function caseBuildOptions(c: BenchCase): { variant: string; inputSize: number; batch: number; aux: boolean } {
  return { variant: c.variant, inputSize: c.inputSize, batch: 1, aux: false };
}

export function caseFiles(dir: string): CaseFiles {
  return {
    dir,
    casePath: path.join(dir, 'case.json'),
    weightsPath: path.join(dir, 'weights.bin'),
    onnxPath: path.join(dir, 'model.onnx'),
    inputPath: path.join(dir, 'input.bin'),
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

/** Reads weights.bin back as named views (no copy) in the graph's declaration order. */
export function readCaseWeights(files: CaseFiles, graph: Graph): Map<string, Float32Array> {
  const floats = readFloats(files.weightsPath);
  const out = new Map<string, Float32Array>();
  let at = 0;
  for (const w of graph.weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    out.set(w.name, floats.subarray(at, at + n));
    at += n;
  }
  if (at !== floats.length) {
    throw new Error(`${files.weightsPath}: ${floats.length} floats, but the graph declares ${at} — stale bench files? rerun the harness`);
  }
  return out;
}
