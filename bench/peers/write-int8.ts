/**
 * The int8 files of a benchmark case (layout: bench/peers/artifacts.ts): the calibration images,
 * and the QDQ model the onnxruntime rows run, exported from our own int8 session so that every
 * runtime of an int8 row computes the same quantised network.
 *
 * Calibration is deterministic (static min/max over the f32 program's values on these images),
 * so the session each `ours` child or page builds from calibration.bin is the one exported here.
 */
import { writeFileSync } from 'node:fs';
import type { Graph } from '../../src/graph/graph.js';
import { FIXTURE_INPUT_SEED, seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';
import type { BenchCase, CaseFiles } from './artifacts.js';

/** Default number of calibration images. */
export const CALIBRATION_IMAGES = 4;

/**
 * `count` seeded images `[1, 3, size, size]`, seeds FIXTURE_INPUT_SEED + 1 … + count: never the
 * timed input (seed FIXTURE_INPUT_SEED), so the int8 rows are not calibrated on what they run.
 */
export function calibrationImages(size: number, count: number): Float32Array[] {
  return Array.from({ length: count }, (_, i) => seededInputNCHW(1, 3, size, size, FIXTURE_INPUT_SEED + 1 + i));
}

export interface Int8CaseFiles {
  /** Calibration images written. */
  calibrationImages: number;
  /** Why there is no model-int8.onnx (the export threw); undefined when it was written. */
  qdqError?: string;
  /** Bytes of model-int8.onnx. */
  qdqBytes?: number;
}

/**
 * Writes calibration.bin, then builds our int8 session (one thread) on it and writes its QDQ
 * export. An export that throws leaves no model file and returns the reason, for the onnxruntime
 * rows to show; a session that cannot be built throws (the harness shows that reason on the
 * onnxruntime rows too, and ours' own int8 row fails by itself).
 */
export async function writeInt8Files(
  c: BenchCase, graph: Graph, weights: ReadonlyMap<string, Float32Array>, files: CaseFiles, count = CALIBRATION_IMAGES,
): Promise<Int8CaseFiles> {
  const images = calibrationImages(c.inputSize, count);
  const all = new Float32Array(images.reduce((n, x) => n + x.length, 0));
  images.forEach((x, i) => all.set(x, i * x.length));
  writeFileSync(files.calibrationPath, new Uint8Array(all.buffer));
  const session = await createSession({ graph, weights, threads: 1, precision: 'int8', calibration: { inputs: images }, warn: () => undefined });
  try {
    const qdq = session.exportOnnx();
    writeFileSync(files.qdqPath, qdq);
    return { calibrationImages: count, qdqBytes: qdq.length };
  } catch (e) {
    return { calibrationImages: count, qdqError: `our QDQ export failed: ${(e as Error).message}` };
  } finally {
    await session.dispose();
  }
}
