/**
 * Child process of hostile-folder.test.ts: imports each case's model and prints one JSON line
 * before (`{ start }`) and one after (`{ id, error, message }` or `{ id, logits }`). It runs in its
 * own process so that the parent's timer still fires when an import blocks this event loop (a
 * synchronous open of a FIFO) or eats memory (reading /dev/zero): the parent kills it then.
 *
 *   node --import tsx hostile-folder-runner.ts cases.json
 */
import { readFileSync, writeSync } from 'node:fs';
import { importOnnx } from '../../src/onnx/import.js';
import { createSession } from '../../src/session.js';
import { importTfjs } from '../../src/tfjs/import.js';

export interface RunnerCase {
  id: string;
  format: 'tfjs' | 'onnx';
  /** The path handed to the importer (model.json, its folder, or the .onnx file). */
  source: string;
}

export type RunnerResult =
  | { id: string; kind: 'error'; error: string; message: string }
  | { id: string; kind: 'ok'; logits: number[] };

const line = (v: unknown) => writeSync(1, `${JSON.stringify(v)}\n`);

async function logitsOf(c: RunnerCase): Promise<number[]> {
  // Every test model is input → global average pool → fully connected with zero weights, so on a
  // zero input the logits are the fully connected layer's bias: whatever bytes the loader read.
  const m = c.format === 'tfjs' ? await importTfjs(c.source) : await importOnnx(c.source);
  line({ imported: c.id }); // the import is what the parent times; the session after it is not
  const session = await createSession({ graph: m.graph, weights: m.weights, threads: 1 });
  try {
    const shape = m.inputs[0]!.shape;
    const input = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const { logits } = await session.run(input, c.format === 'tfjs' ? { layout: 'nhwc' } : {});
    return Array.from(logits);
  } finally {
    await session.dispose();
  }
}

const cases = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as RunnerCase[];
for (const c of cases) {
  line({ start: c.id });
  let result: RunnerResult;
  try {
    result = { id: c.id, kind: 'ok', logits: await logitsOf(c) };
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    result = { id: c.id, kind: 'error', error: error.name, message: error.message };
  }
  line(result);
}
