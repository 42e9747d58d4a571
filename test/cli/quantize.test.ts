/**
 * `inception-wasm quantize`, run as a user runs it (subprocess): it calibrates on a folder of
 * images and writes QDQ ONNX. Oracles: onnxruntime-node runs the written file, and its logits
 * must equal (within 1e-4 of the logits' spread: the exporter reproduces the program's integer
 * steps, test/onnx/export-qdq.test.ts) those of an int8 session built here through the API from
 * the same images, listed and preprocessed by this test; the file loads back with
 * `createSession({ onnx })` as int8, byte-identical to that session. Usage errors exit 2.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadImage } from '../../src/image/load.js';
import { preprocess } from '../../src/image/preprocess.js';
import { buildNetwork, variantInfo } from '../../src/inception/models.js';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';
import { runCli } from './run-cli.js';
import { writeJpeg, writePng } from './test-images.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-quantize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const calib = join(dir, 'calib');
mkdirSync(calib);
writeJpeg(join(calib, 'a.jpg'), 5, 50, 40);
writePng(join(calib, 'b.png'), 6, 44, 52);
const SIZE = 96;

function std(v: ArrayLike<number>): number {
  const mean = Array.from(v).reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(Array.from(v).reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
}

describe('quantize', () => {
  it('writes a QDQ file that onnxruntime runs as the API int8 session does, and that loads back as int8', async () => {
    const out = join(dir, 'googlenet.int8.onnx');
    const r = await runCli(['quantize', '--model', 'googlenet', '--size', String(SIZE), '--calibration', calib, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^wrote ${out.replace(/[.]/g, '\\.')} \\([\\d,]+ bytes\\): googlenet .* as int8 QDQ ONNX, calibrated on 2 image\\(s\\)`));
    expect(existsSync(out)).toBe(true);

    // The same calibration through the API: the registry's preset, centre crop 0.875, NCHW.
    const preset = variantInfo('googlenet').preprocessing;
    const inputs = await Promise.all(['a.jpg', 'b.png'].map(async (name) =>
      preprocess(await loadImage(join(calib, name)), { preset, size: [SIZE, SIZE], cropFraction: 0.875 })));
    const api = await createSession({
      graph: buildNetwork('googlenet', { inputSize: SIZE }), weights: 'seeded', threads: 1, precision: 'int8', calibration: { inputs },
    });
    const fromFile = await createSession({ onnx: out, threads: 1 });
    try {
      const x = seededInputNCHW(1, 3, SIZE, SIZE, 77);
      const ours = (await api.run(x)).logits;
      const ortSession = await ort.InferenceSession.create(out);
      const result = await ortSession.run({ input: new ort.Tensor('float32', x, [1, 3, SIZE, SIZE]) });
      const theirs = result[ortSession.outputNames[0]!]!.data as Float32Array;
      await ortSession.release();
      const worst = Math.max(...Array.from(ours, (v, i) => Math.abs(v - theirs[i]!)));
      expect(worst / std(ours), `max |ours − onnxruntime| = ${worst}`).toBeLessThanOrEqual(1e-4);

      expect(fromFile.info.precision).toBe('int8');
      const back = (await fromFile.run(x)).logits;
      expect(new Uint32Array(back.buffer)).toEqual(new Uint32Array(ours.buffer));
    } finally {
      await api.dispose();
      await fromFile.dispose();
    }
  }, 180_000);

  it.each([
    [['--model', 'googlenet', '--calibration', calib], /--out <file\.onnx> is required/],
    [['--model', 'googlenet', '--calibration', calib, '--out', join(dir, 'x.bin')], /--out '.*x\.bin': name a file ending in \.onnx/],
    [['--model', 'googlenet', '--out', join(dir, 'x.onnx')], /--precision int8 needs --calibration <folder>|needs --calibration/],
    [['--calibration', calib, '--out', join(dir, 'x.onnx')], /which network\?/],
    [['--onnx', 'm.onnx', '--calibration', calib, '--out', join(dir, 'x.onnx')], /--preset is required with --onnx/],
    [['--model', 'googlenet', '--calibration', calib, '--out', join(dir, 'x.onnx'), 'photo.jpg'], /quantize takes no positional arguments/],
    [['--model', 'googlenet', '--calibration', join(dir, 'missing'), '--out', join(dir, 'x.onnx')], /no such folder/],
  ])('usage error %#: exit 2 naming the problem', async (args, message) => {
    const r = await runCli(['quantize', ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(dir, 'x.onnx'))).toBe(false);
  }, 60_000);
});
