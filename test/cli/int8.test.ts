/**
 * The command line's int8 support, run as a user runs it (subprocess, run-cli.ts):
 * - `classify --precision int8 --calibration <folder>`: the CLI's answer equals an int8 session
 *   built here through the API from the same folder images (listed, sorted and preprocessed by
 *   this test), bit for bit; the folder rules (image names only, code-unit order, at most 64,
 *   links confined to the folder) and every usage error with its exit code and message.
 * - `info`: the packed weight bytes per precision, which must equal `f32WeightBytes` /
 *   `int8WeightBytes`; and those equal real sessions' `info.weightBytes` exactly (googlenet,
 *   Inception-ResNet-v2, and the miniature network with a depthwise conv, standalone BatchNorms
 *   without the passes, and Winograd off).
 * The images are written here (seeded JPEGs and PNGs), so nothing is skipped for missing fixtures.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f32WeightBytes, int8WeightBytes } from '../../src/graph/int8/weight-bytes.js';
import type { Graph } from '../../src/graph/graph.js';
import type { PassName } from '../../src/graph/passes.js';
import { loadImage } from '../../src/image/load.js';
import { preprocess } from '../../src/image/preprocess.js';
import { buildNetwork, variantInfo } from '../../src/inception/models.js';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { softmax } from '../../src/labels/top.js';
import { createSession } from '../../src/session.js';
import { miniNetwork } from '../graph/mini.js';
import { runCli } from './run-cli.js';
import { writeJpeg, writePng } from './test-images.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-int8-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function folder(name: string): string {
  const path = join(dir, name);
  mkdirSync(path);
  return path;
}

const photo = writeJpeg(join(dir, 'photo.jpg'), 99, 64, 48);
// Calibration folder: images under three extensions and cases, plus entries that are not images.
const calib = folder('calib');
writePng(join(calib, 'b.png'), 1);
writeJpeg(join(calib, 'A.jpg'), 2);
writeJpeg(join(calib, 'c.JPEG'), 3);
writeFileSync(join(calib, 'notes.txt'), 'not an image');
mkdirSync(join(calib, 'sub.jpg'));
/** The images the CLI must use, in code-unit order ('A' < 'b'), computed independently of it. */
const CALIB_IMAGES = ['A.jpg', 'b.png', 'c.JPEG'];

const GOOGLENET = ['--model', 'googlenet', '--size', '96', '--threads', '1'];
const int8Args = (folderPath: string) => ['classify', photo, ...GOOGLENET, '--precision', 'int8', '--calibration', folderPath];

interface Top { index: number; probability: number; label: string }

/**
 * The oracle: an int8 googlenet@96 session (seeded weights) calibrated on `names` from `folderPath`,
 * each preprocessed as classify documents (the variant's preset, centre crop 0.875), and the
 * softmax of its logits for the photo.
 */
async function apiProbabilities(folderPath: string, names: readonly string[]): Promise<Float32Array> {
  const prep = async (path: string) => preprocess(await loadImage(path), {
    preset: variantInfo('googlenet').preprocessing, size: [96, 96], cropFraction: 0.875,
  });
  const inputs = await Promise.all(names.map((n) => prep(join(folderPath, n))));
  const session = await createSession({
    model: 'googlenet', inputSize: 96, weights: 'seeded', threads: 1, precision: 'int8', calibration: { inputs },
  });
  try {
    return softmax((await session.run(await prep(photo))).logits);
  } finally {
    await session.dispose();
  }
}

/** The k largest of `p` (index, value), by value then index. */
function topOf(p: Float32Array, k: number): Array<{ index: number; probability: number }> {
  return [...p].map((probability, index) => ({ index, probability })).sort((a, b) => b.probability - a.probability || a.index - b.index).slice(0, k);
}

describe('classify --precision int8 --calibration <folder>', () => {
  it('--json: precision int8, the folder images in code-unit order, and the API session\'s top-5 bit for bit', async () => {
    const r = await runCli([...int8Args(calib), '--json']);
    expect(r.stderr).not.toMatch(/inception-wasm classify:/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.precision).toBe('int8');
    expect(out.calibration).toEqual({ folder: calib, images: CALIB_IMAGES });
    const top: Top[] = out.images[0].top;
    expect(top).toHaveLength(5);

    const expected = await apiProbabilities(calib, CALIB_IMAGES);
    expect(top.map(({ index, probability }) => ({ index, probability }))).toEqual(topOf(expected, 5));
    // The comparison sees the calibration set: one image fewer changes the answer.
    const fewer = await apiProbabilities(calib, CALIB_IMAGES.slice(0, 2));
    expect(top.map((t) => t.probability)).not.toEqual(topOf(fewer, 5).map((t) => t.probability));
  });

  it('text: a "precision int8" line first, then the image header and its top-5 rows', async () => {
    const r = await runCli(int8Args(calib));
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`precision int8 (calibrated on 3 image(s) in ${calib})`);
    expect(lines[1]).toBe(`${photo} (64×48)`);
    expect(lines.slice(2)).toHaveLength(5);
    for (const line of lines.slice(2)) expect(line).toMatch(/^ {2}\d\.\d{4} {2}[ \d]{4} {2}\S/);
  });

  it('reads at most 64 images: the first 64 in code-unit order, and says so on stderr', async () => {
    const many = folder('many');
    const names = Array.from({ length: 65 }, (_, i) => `img${i}.${i % 2 ? 'png' : 'jpg'}`);
    names.forEach((n, i) => (i % 2 ? writePng(join(many, n), 100 + i, 8, 8) : writeJpeg(join(many, n), 100 + i, 8, 8)));
    const r = await runCli([...int8Args(many), '--json', '--top', '1']);
    expect(r.code).toBe(0);
    const sorted = [...names].sort(); // default sort compares UTF-16 code units: img10 before img2
    expect(JSON.parse(r.stdout).calibration.images).toEqual(sorted.slice(0, 64));
    expect(r.stderr).toContain(`${many} holds 65 images; calibrating on the first 64 by name`);
  });

  const empty = folder('empty');
  writeFileSync(join(empty, 'readme.txt'), 'no images here');
  mkdirSync(join(empty, 'photos.png'));
  it.each([
    { case: 'int8 without --calibration', args: ['classify', photo, ...GOOGLENET, '--precision', 'int8'], message: '--precision int8 needs --calibration <folder>' },
    { case: '--calibration without --precision', args: ['classify', photo, ...GOOGLENET, '--calibration', calib], message: '--calibration is for --precision int8' },
    { case: '--calibration with --precision f32', args: ['classify', photo, ...GOOGLENET, '--precision', 'f32', '--calibration', calib], message: '--calibration is for --precision int8' },
    { case: 'an unknown precision', args: ['classify', photo, ...GOOGLENET, '--precision', 'int4'], message: "--precision 'int4' is unknown; valid precisions: f32, int8" },
    { case: 'a folder without images', args: int8Args(empty), message: `--calibration '${empty}' holds no images (*.jpg, *.jpeg, *.png)` },
    { case: 'a missing folder', args: int8Args(join(dir, 'absent')), message: `--calibration '${join(dir, 'absent')}': no such folder` },
    { case: 'a file for the folder', args: int8Args(photo), message: `--calibration '${photo}' is a file` },
  ])('$case → exit 2 and says what to pass', async ({ args, message }) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`inception-wasm classify: ${message}`);
    expect(r.stdout).toBe('');
  });

  it('a non-image named .png, or a link out of the folder → exit 1 naming the file, before the model loads', async () => {
    const bad = folder('bad');
    writeJpeg(join(bad, 'a.jpg'), 5);
    writeFileSync(join(bad, 'b.png'), '{"not": "a png"}');
    const r = await runCli(int8Args(bad));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(bad, 'b.png')}: not a JPEG or PNG image`);
    expect(r.stderr).not.toMatch(/seeded/); // the model never loaded

    const linked = folder('linked');
    writeJpeg(join(linked, 'a.jpg'), 6);
    symlinkSync(photo, join(linked, 'outside.jpg'));
    const l = await runCli(int8Args(linked));
    expect(l.code).toBe(1);
    expect(l.stderr).toContain(`calibration image '${join(linked, 'outside.jpg')}' leads outside`);
  });

  it('--help lists --precision and --calibration', async () => {
    const r = await runCli(['classify', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[--precision f32|int8 --calibration <folder of ≤ 64 JPEG/PNG images>]');
  });
});

describe('info: packed weight bytes per precision', () => {
  it('--json and text give f32WeightBytes and int8WeightBytes of the graph', async () => {
    const g = buildNetwork('googlenet', { inputSize: 96 });
    const expected = { f32: f32WeightBytes(g), int8: int8WeightBytes(g) };
    const json = await runCli(['info', '--model', 'googlenet', '--size', '96', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).weightBytes).toEqual(expected);

    const text = await runCli(['info', '--model', 'googlenet', '--size', '96']);
    expect(text.code).toBe(0);
    const line = /^packed weights: f32 [\d.]+ MiB \(([\d,]+) bytes\), int8 [\d.]+ MiB \(([\d,]+) bytes, ([\d.]+)× f32\)$/m.exec(text.stdout);
    expect(line).not.toBeNull();
    const n = (s: string) => Number(s.replaceAll(',', ''));
    expect({ f32: n(line![1]), int8: n(line![2]) }).toEqual(expected);
    expect(Number(line![3])).toBeCloseTo(expected.int8 / expected.f32, 3);
  });
});

describe('f32WeightBytes / int8WeightBytes equal real sessions\' info.weightBytes exactly', () => {
  async function sessionBytes(graph: Graph, precision: 'f32' | 'int8', passes?: PassName[], winograd?: boolean): Promise<number> {
    const [n, h, w, c] = graph.shape(graph.inputs[0]);
    const calibration = precision === 'int8' ? { inputs: [seededInputNCHW(n, c, h, w)] } : undefined;
    const session = await createSession({ graph, weights: 'seeded', threads: 1, precision, calibration, passes, winograd });
    try {
      expect(session.info.precision).toBe(precision);
      return session.info.weightBytes;
    } finally {
      await session.dispose();
    }
  }

  it.each([
    { case: 'googlenet@96', graph: () => buildNetwork('googlenet', { inputSize: 96 }) },
    { case: 'inception_resnet_v2@75', graph: () => buildNetwork('inception_resnet_v2', { inputSize: 75 }) },
    { case: 'mini network (depthwise conv, LRN, residual)', graph: () => miniNetwork(1, 33, 33) },
    { case: 'mini network without passes (standalone BatchNorms)', graph: () => miniNetwork(1, 33, 33), passes: [] as PassName[] },
    { case: 'googlenet@96 without Winograd', graph: () => buildNetwork('googlenet', { inputSize: 96 }), winograd: false },
  ])('$case', async ({ graph, passes, winograd }) => {
    const g = graph();
    const f32 = await sessionBytes(g, 'f32', passes, winograd);
    const int8 = await sessionBytes(g, 'int8', passes, winograd);
    expect(f32WeightBytes(g, passes, winograd)).toBe(f32);
    expect(int8WeightBytes(g, passes, winograd)).toBe(int8);
    expect(int8).toBeLessThan(f32);
  });
});
