/**
 * `inception-wasm classify` end to end with seeded weights (googlenet at 96×96 keeps it fast):
 * output format, JSON mode, the 1001-class background offset, and each error with its exit code.
 * In-process through the command's `run`; the subprocess tests run `node --import tsx src/cli.ts`
 * once src/cli.ts registers the command.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError, type Values } from '../../src/commands/command.js';
import { classify } from '../../src/commands/classify.js';
import { imagenetLabels } from '../../src/labels/labels.js';
import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';
import { runCli } from './run-cli.js';

const REPO = new URL('../../', import.meta.url).pathname;
const FAST = { model: 'googlenet', size: '96', threads: '1' };

let stdout: string[];
let stderr: string[];
beforeEach(() => {
  stdout = [];
  stderr = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void stdout.push(args.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
});
afterEach(() => vi.restoreAllMocks());

async function classifyInProcess(values: Values, images: string[]): Promise<string> {
  await classify.run(values, images);
  return stdout.join('\n');
}

/** `path (W×H)` then k lines `probability index label`. */
function parseText(text: string): { header: string; rows: { p: number; index: number; label: string }[] }[] {
  const blocks: { header: string; rows: { p: number; index: number; label: string }[] }[] = [];
  for (const line of text.split('\n')) {
    const row = /^ {2}(\d\.\d{4}) {2}([ \d]{4}) {2}(.+)$/.exec(line);
    if (row) blocks[blocks.length - 1].rows.push({ p: Number(row[1]), index: Number(row[2]), label: row[3] });
    else blocks.push({ header: line, rows: [] });
  }
  return blocks;
}

describe.skipIf(!FIXTURES_AVAILABLE)(`classify in process, seeded googlenet 96${FIXTURES_SKIP_REASON}`, () => {
  const hopper = fixturePath('images/tf/grace_hopper.jpg');
  const cat = fixturePath('images/caffe/cat.jpg');

  it('text: a header per image and its top-5, probabilities descending, summing to ≤ 1, labels from the ImageNet list', async () => {
    const blocks = parseText(await classifyInProcess(FAST, [hopper, cat]));
    expect(blocks.map((b) => b.header)).toEqual([`${hopper} (517×606)`, `${cat} (480×360)`]);
    const labels = imagenetLabels(1000)!;
    for (const { rows } of blocks) {
      expect(rows.length).toBe(5);
      expect(rows.map((r) => r.p)).toEqual([...rows.map((r) => r.p)].sort((a, b) => b - a));
      expect(rows.reduce((s, r) => s + r.p, 0)).toBeLessThanOrEqual(1.0005); // 4-decimal rounding
      for (const r of rows) expect(r.label).toBe(labels[r.index]);
    }
    expect(stderr.join('')).toMatch(/seeded \(synthetic, untrained\) weights/);
  });

  it('--json parses: one entry per image with --top entries, probabilities in (0, 1] summing to ≤ 1', async () => {
    const out = JSON.parse(await classifyInProcess({ ...FAST, json: true, top: '3' }, [cat]));
    expect(out).toMatchObject({ model: 'googlenet (torchvision)', weights: 'seeded', inputShape: [1, 3, 96, 96], preset: 'torchvision-transform-input', cropFraction: 0.875 });
    expect(out.images).toHaveLength(1);
    const [image] = out.images;
    expect([image.image, image.width, image.height]).toEqual([cat, 480, 360]);
    expect(image.top).toHaveLength(3);
    const sum = image.top.reduce((s: number, t: { probability: number }) => s + t.probability, 0);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThanOrEqual(1 + 1e-6);
  });

  it('--preset changes the input, and so the probabilities', async () => {
    const run = async (preset: string) => JSON.parse(await classifyInProcess({ ...FAST, json: true, preset }, [cat])).images[0].top[0].probability;
    const a = await run('torchvision');
    stdout = [];
    const b = await run('caffe');
    expect(a).not.toBe(b);
  });

  it('a tf-slim variant (1001 outputs) names output k+1 after class k, output 0 background', async () => {
    const out = JSON.parse(await classifyInProcess({ ...FAST, variant: 'tf', json: true, top: '1000' }, [cat]));
    const labels = imagenetLabels(1001)!;
    for (const t of out.images[0].top) expect(t.label).toBe(labels[t.index]);
    expect(out.images[0].top.some((t: { label: string }) => t.label === 'background')).toBe(true);
  });

  it('--labels with a user list of the right length names the classes from it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'classify-'));
    const file = join(dir, 'labels.txt');
    writeFileSync(file, Array.from({ length: 1000 }, (_, i) => `mine ${i}`).join('\n'));
    const out = JSON.parse(await classifyInProcess({ ...FAST, json: true, labels: file }, [cat]));
    for (const t of out.images[0].top) expect(t.label).toBe(`mine ${t.index}`);
  });

  it.each([
    { case: 'no images', values: FAST, images: [], error: UsageError, message: /no images given/ },
    { case: 'no model source', values: {}, images: ['x.jpg'], error: UsageError, message: /which network\? --model <name> \(one of: googlenet/ },
    { case: 'two model sources', values: { ...FAST, onnx: 'm.onnx' }, images: ['x.jpg'], error: UsageError, message: /give one of --model, --onnx, --tfjs/ },
    { case: 'a wrong preset', values: { ...FAST, preset: 'imagenet' }, images: ['x.jpg'], error: UsageError, message: /--preset 'imagenet' is unknown; valid presets: torchvision, torchvision-transform-input, tf, keras, caffe, caffe-bn-inception, facenet, unit/ },
    { case: 'a bad crop', values: { ...FAST, crop: '1.5' }, images: ['x.jpg'], error: UsageError, message: /--crop must be a fraction in \(0, 1\]/ },
    { case: '--top 0', values: { ...FAST, top: '0' }, images: ['x.jpg'], error: UsageError, message: /--top must be an integer from 1 to/ },
    { case: 'an unknown model', values: { ...FAST, model: 'resnet50' }, images: ['x.jpg'], error: UsageError, message: /--model 'resnet50' is unknown/ },
    { case: 'an unknown variant', values: { ...FAST, variant: 'keras' }, images: ['x.jpg'], error: UsageError, message: /--variant 'keras' is unknown for googlenet; one of: torchvision, caffe, tf/ },
    { case: 'a size below the network minimum', values: { ...FAST, size: '10' }, images: ['x.jpg'], error: UsageError, message: /--size 10 is too small for googlenet \(torchvision\); the smallest input it builds for is 15/ },
    { case: 'a missing image path', values: FAST, images: ['/nonexistent/photo.jpg'], error: Error, message: "cannot read image '/nonexistent/photo.jpg': no such file" },
    { case: 'a non-image file', values: FAST, images: [`${REPO}package.json`], error: Error, message: `${REPO}package.json: not a JPEG or PNG image` },
    { case: 'a label list of the wrong length', values: { ...FAST, labels: `${REPO}package.json` }, images: [fixturePath('images/caffe/cat.jpg')], error: Error, message: /package\.json: \d+ names for a network with 1000 outputs/ },
  ])('$case → $error.name', async ({ values, images, error, message }) => {
    const failure = classify.run(values as Values, images);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toBeInstanceOf(error);
    if (error === Error) await expect(failure).rejects.not.toBeInstanceOf(UsageError);
  });
});

describe.skipIf(!FIXTURES_AVAILABLE)(`classify with imported models${FIXTURES_SKIP_REASON}`, () => {
  const reference = () => JSON.parse(readFileSync(fixturePath('reference-outputs/nsfwjs_inception_v3_probs_jpegjs.json'), 'utf8')) as
    Record<string, { classes: string[]; probs: number[] }>;

  it('--tfjs nsfwjs Inception-v3 with its recipe (--preset unit --crop none --align-corners) reproduces the tfjs reference probabilities', async () => {
    const ref = reference();
    const images = ['darknet/scream.jpg', 'tf/grace_hopper.jpg', 'opencv/HappyFish.jpg'];
    const dir = mkdtempSync(join(tmpdir(), 'classify-'));
    writeFileSync(join(dir, 'nsfw.txt'), ref[images[0]].classes.join('\n'));
    const out = JSON.parse(await classifyInProcess({
      tfjs: fixturePath('tfjs-keras-inception-v3/model.json'), preset: 'unit', crop: 'none', 'align-corners': true,
      labels: join(dir, 'nsfw.txt'), threads: '2', top: '5', json: true,
    }, images.map((f) => fixturePath(`images/${f}`))));
    expect(out.weights).toBe('file');
    images.forEach((file, i) => {
      const { top } = out.images[i];
      expect(top.map((t: { index: number }) => t.index).sort()).toEqual([0, 1, 2, 3, 4]);
      // The graph ends in softmax, so the outputs are used as they are (softmax twice would flatten them).
      for (const t of top) {
        expect(t.label).toBe(ref[file].classes[t.index]);
        expect(Math.abs(t.probability - ref[file].probs[t.index]), `${file} ${t.label}`).toBeLessThan(1e-5); // measured ≤ 2.4e-7
      }
    });
  });

  it('--onnx of the torch fixture googlenet (seeded weights) at --size 96 gives the probabilities of --model googlenet --size 96', async () => {
    const cat = fixturePath('images/caffe/cat.jpg');
    const viaOnnx = JSON.parse(await classifyInProcess({ onnx: fixturePath('torch/googlenet_224.onnx'), size: '96', preset: 'torchvision-transform-input', threads: '1', json: true }, [cat]));
    stdout = [];
    const viaModel = JSON.parse(await classifyInProcess({ ...FAST, json: true }, [cat]));
    expect(viaOnnx.inputShape).toEqual([1, 3, 96, 96]);
    const a = viaOnnx.images[0].top;
    const b = viaModel.images[0].top;
    expect(a.map((t: { index: number }) => t.index)).toEqual(b.map((t: { index: number }) => t.index));
    a.forEach((t: { probability: number }, i: number) => expect(t.probability).toBeCloseTo(b[i].probability, 5));
  });

  it.each([
    { case: '--onnx without --preset', values: { onnx: 'm.onnx' }, message: /--preset is required with --onnx .*; valid presets: torchvision/ },
    { case: '--tfjs with --variant', values: { tfjs: 'model.json', variant: 'tf', preset: 'unit' }, message: /--variant applies to --model only/ },
  ])('$case → UsageError', async ({ values, message }) => {
    const failure = classify.run(values as Values, [fixturePath('images/caffe/cat.jpg')]);
    await expect(failure).rejects.toThrow(message);
    await expect(failure).rejects.toBeInstanceOf(UsageError);
  });

  it('--onnx of a file that is not ONNX fails naming the problem', async () => {
    await expect(classify.run({ onnx: `${REPO}package.json`, preset: 'tf' }, [fixturePath('images/caffe/cat.jpg')])).rejects.toThrow(/not an ONNX model/);
  });
});

const registered = readFileSync(`${REPO}src/cli.ts`, 'utf8').includes('classify');

const cli = (args: string[]) => runCli(['classify', ...args]);

describe.skipIf(!FIXTURES_AVAILABLE || !registered)(
  `subprocess: node --import tsx src/cli.ts classify${FIXTURES_SKIP_REASON}${registered ? '' : ' (skipped: classify is not registered in src/cli.ts yet)'}`,
  () => {
    it('prints top-5 per image and exits 0', async () => {
      const r = await cli(['--model', 'googlenet', '--size', '96', '--threads', '1', fixturePath('images/caffe/cat.jpg')]);
      expect(r.code).toBe(0);
      const [block] = parseText(r.stdout.trimEnd());
      expect(block.rows.length).toBe(5);
    });

    it.each([
      { case: 'a wrong preset', args: ['--preset', 'bgr'], code: 2, message: /valid presets: torchvision, torchvision-transform-input, tf, keras, caffe, caffe-bn-inception, facenet, unit/ },
      { case: 'an unknown option', args: ['--colour'], code: 2, message: /unknown option '--colour'; (did you mean|options:)/ },
      { case: 'a missing image', args: ['/nonexistent/photo.jpg'], code: 1, message: /cannot read image '\/nonexistent\/photo\.jpg': no such file/ },
      { case: 'a non-image file', args: ['package.json'], code: 1, message: /package\.json: not a JPEG or PNG image/ },
    ])('$case → exit $code', async ({ args, code, message }) => {
      const images = args[0].startsWith('--') ? [fixturePath('images/caffe/cat.jpg')] : [];
      const r = await cli(['--model', 'googlenet', '--size', '96', '--threads', '1', ...args, ...images]);
      expect(r.code).toBe(code);
      expect(r.stderr).toMatch(message);
    });
  },
);
