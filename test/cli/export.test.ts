/**
 * `inception-wasm export` as a user runs it (`node --import tsx src/cli.ts export …`): googlenet at
 * 64×64 written as a TF.js graph model folder and as ONNX, then run by engines that are not ours —
 * @tensorflow/tfjs `loadGraphModel` (CPU) reading the folder's files through their manifest, and
 * onnxruntime-node on the .onnx — and by `createSession({ tfjs: folder/model.json })`; logits within
 * 1e-4·std. Exit 2 for usage errors: unknown --format, an --out that names no format, an existing
 * model.json without --force (left untouched).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/session.js';
import { nhwcToNchwReference } from '../reference/layout.js';
import { BOUND, relErr, seeded } from '../tfjs/graph-model-helpers.js';
import { runCli } from './run-cli.js';

const SIZE = 64;

const cli = (...args: string[]) => runCli(['export', ...args]);

/** tfjs on the folder as written: model.json, then each shard its weightsManifest names, read from disk. */
async function runTfjsFolder(folder: string, nhwc: Float32Array): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const json = JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const handler: tf.io.IOHandler = {
    load: () => tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const buffers = manifest.flatMap((group) => group.paths.map((p) => {
        const b = readFileSync(join(folder, p));
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      }));
      return [manifest.flatMap((group) => group.weights), tf.io.concatenateArrayBuffers(buffers)];
    }),
  };
  const model = await tf.loadGraphModel(handler);
  try {
    const x = tf.tensor(nhwc, [1, SIZE, SIZE, 3]);
    const y = model.execute(x) as tf.Tensor;
    const out = Float32Array.from(y.dataSync() as Float32Array);
    tf.dispose([x, y]);
    return out;
  } finally {
    model.dispose();
  }
}

async function runOursFolder(folder: string, nhwc: Float32Array): Promise<Float32Array> {
  const session = await createSession({ tfjs: join(folder, 'model.json'), threads: 1 });
  try {
    return (await session.run(nhwc, { layout: 'nhwc' })).logits;
  } finally {
    await session.dispose();
  }
}

describe('inception-wasm export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'export-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = ['--model', 'googlenet', '--size', String(SIZE)];
  const input = seeded(SIZE * SIZE * 3, 11);

  it('tfjs-graph into a new folder: tfjs loadGraphModel and our session agree; ORT on the ONNX export agrees too', async () => {
    const folder = join(dir, 'googlenet-tfjs');
    const r = await cli(...base, '--format', 'tfjs-graph', '--out', folder);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/TF\.js graph model, input '[^']+' \[batch, 64, 64, 3\] \(NHWC\)/);
    const expected = await runTfjsFolder(folder, input);
    expect(expected.length).toBe(1000);
    const ours = await runOursFolder(folder, input);
    const err = relErr(ours, expected);
    console.log(`export tfjs-graph googlenet@${SIZE}: ours vs tfjs max |Δ| / std = ${err.toExponential(2)}`);
    expect(err).toBeLessThan(BOUND);

    // The same network and seeded weights through the ONNX path (format read from the .onnx name).
    const file = join(dir, 'googlenet.onnx');
    const o = await cli(...base, '--out', file);
    expect(o.code, o.stderr).toBe(0);
    expect(o.stdout).toMatch(/ONNX opset 13/);
    const session = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    try {
      const nchw = nhwcToNchwReference(input, 3, SIZE, SIZE);
      const result = await session.run({ input: new ort.Tensor('float32', nchw, [1, 3, SIZE, SIZE]) });
      const ortErr = relErr(result.logits!.data as Float32Array, expected);
      console.log(`export onnx googlenet@${SIZE}: ORT vs tfjs max |Δ| / std = ${ortErr.toExponential(2)}`);
      expect(ortErr).toBeLessThan(BOUND);
    } finally {
      await session.release();
    }
  }, 180_000);

  it('format from --out: an existing folder or a path ending in model.json is tfjs-graph', async () => {
    const existing = join(dir, 'existing');
    mkdirSync(existing);
    const a = await cli(...base, '--out', existing);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(existing, 'model.json'), 'utf8'))).toMatchObject({ format: 'graph-model' });
    const nested = join(dir, 'new', 'deeper', 'model.json');
    const b = await cli(...base, '--out', nested);
    expect(b.code, b.stderr).toBe(0);
    expect(readFileSync(join(dir, 'new', 'deeper', 'group1-shard1of1.bin')).byteLength)
      .toBe(readFileSync(join(existing, 'group1-shard1of1.bin')).byteLength);
  }, 120_000);

  it('exit 2: unknown --format, an --out that names no format, an existing model.json without --force', async () => {
    const unknown = await cli(...base, '--format', 'tflite', '--out', join(dir, 'x.onnx'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--format 'tflite' is unknown; one of: onnx, tfjs-graph/);
    const vague = await cli(...base, '--out', join(dir, 'model.bin'));
    expect(vague.code).toBe(2);
    expect(vague.stderr).toMatch(/cannot tell the format.*--format onnx\|tfjs-graph/);

    const folder = join(dir, 'occupied');
    mkdirSync(folder);
    const mine = join(folder, 'model.json');
    writeFileSync(mine, '{"mine": true}');
    const refused = await cli(...base, '--format', 'tfjs-graph', '--out', folder);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already exists; pass --force/);
    expect(readFileSync(mine, 'utf8')).toBe('{"mine": true}');
    const forced = await cli(...base, '--out', folder, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(readFileSync(mine, 'utf8'))).toMatchObject({ format: 'graph-model' });

    const onnxIntoFolder = await cli(...base, '--format', 'onnx', '--out', folder);
    expect(onnxIntoFolder.code).toBe(2);
    expect(onnxIntoFolder.stderr).toMatch(/is a folder; ONNX is one file/);
  }, 120_000);
});
