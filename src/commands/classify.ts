/**
 * `inception-wasm classify <images…>`: decode each image, preprocess it the way the weights expect,
 * run the network, print the top-k classes with probabilities (text or --json).
 *
 * Networks: --model (registry network, seeded weights: for trying the pipeline, the classes mean
 * nothing), --onnx file.onnx (importOnnx), --tfjs model.json (importTfjs, TF.js layers format).
 * Probabilities: softmax over the outputs, unless the graph already ends in a softmax node.
 * Preprocessing: --preset, which defaults to the registry's `variantInfo(...).preprocessing` for
 * --model and is required for --onnx/--tfjs (a file does not record it); centre crop 0.875
 * (timm/torchvision eval: shorter side to size/0.875, centre crop) unless --crop; half-pixel
 * bilinear sampling unless --align-corners (see src/image/resize.ts).
 * Every argument and image header is checked before the model loads. Errors: bad option values →
 * UsageError (exit 2); unreadable/non-image files, bad model files → Error naming the file (exit 1).
 */
import { checkImageFile, loadImage } from '../image/load.js';
import { PRESET_NAMES, preprocess, type PresetName } from '../image/preprocess.js';
import { MODELS } from '../inception/models.js';
import { imagenetLabels, loadLabels } from '../labels/labels.js';
import { softmax, topK, type TopClass } from '../labels/top.js';
import { importOnnx } from '../onnx/import.js';
import { createSession, type Session } from '../session.js';
import { importTfjs } from '../tfjs/import.js';
import { fractionOption, intOption, registryOption, sizeOption, threadsOption, UsageError, type CliCommand, type Values } from './command.js';

const DEFAULT_CROP = 0.875;

interface Loaded {
  session: Session;
  /** Human-readable model description for the header line / JSON. */
  model: string;
  defaultPreset?: PresetName;
  labels?: readonly string[];
  seeded: boolean;
}

function presetOption(v: Values): PresetName | undefined {
  const raw = v.preset as string | undefined;
  if (raw === undefined) return undefined;
  if (!PRESET_NAMES.some((name) => name === raw)) {
    throw new UsageError(`--preset '${raw}' is unknown; valid presets: ${PRESET_NAMES.join(', ')}`);
  }
  return raw as PresetName;
}

function cropOption(v: Values): number | undefined {
  const raw = v.crop as string | undefined;
  if (raw === undefined) return DEFAULT_CROP;
  if (raw === 'none') return undefined;
  return fractionOption(v, 'crop', " or 'none' (resize the whole image)");
}

/** Which model source was asked for; exactly one of --model, --onnx, --tfjs. */
function sourceOption(v: Values): { kind: 'model' | 'onnx' | 'tfjs'; value: string } {
  const given = (['model', 'onnx', 'tfjs'] as const).filter((k) => v[k] !== undefined);
  if (given.length > 1) throw new UsageError(`give one of --model, --onnx, --tfjs (got ${given.map((k) => `--${k}`).join(' and ')})`);
  if (given.length === 0) {
    throw new UsageError(`which network? --model <name> (one of: ${Object.keys(MODELS).join(', ')}), --onnx <file.onnx> or --tfjs <model.json>`);
  }
  const kind = given[0];
  if (kind !== 'model' && v.variant !== undefined) throw new UsageError(`--variant applies to --model only`);
  return { kind, value: String(v[kind]) };
}

/** Runs `work`; when stderr is a terminal and it takes over a second, says what is happening there. */
async function withProgress<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return work();
  const t0 = performance.now();
  let shown = false;
  const timer = setTimeout(() => {
    shown = true;
    process.stderr.write(`${label}…`);
  }, 1000);
  try {
    return await work();
  } finally {
    clearTimeout(timer);
    if (shown) process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }
}

async function loadModel(v: Values, source: { kind: 'model' | 'onnx' | 'tfjs'; value: string }, threads: number): Promise<Loaded> {
  if (source.kind === 'onnx' || source.kind === 'tfjs') {
    const inputSize = sizeOption(v);
    const file = source.value;
    return withProgress(`loading ${file}`, async () => {
      // An ONNX file fixes H/W; --size asks to run a fully convolutional graph at another size.
      const { graph, weights } = source.kind === 'onnx'
        ? await importOnnx(file, { batch: 1, inputSize, allowResize: inputSize !== undefined })
        : await importTfjs(file, { batch: 1, inputSize });
      const session = await createSession({ graph, weights, threads });
      return { session, model: file, labels: imagenetLabels(session.info.outputShape[1]), seeded: false };
    });
  }
  const { model, variant, info, inputSize } = registryOption({ ...v, model: source.value });
  const session = await withProgress(`loading ${model} (${variant})`, () => createSession({
    model, variant, inputSize, threads, weights: 'seeded',
  }));
  return {
    session, model: `${model} (${variant})`, defaultPreset: info.preprocessing,
    labels: imagenetLabels(info.classes), seeded: true,
  };
}

interface ImageResult {
  image: string;
  width: number;
  height: number;
  top: TopClass[];
}

async function run(v: Values, images: string[]): Promise<void> {
  // Every argument is checked before the (slow) model load.
  if (images.length === 0) throw new UsageError('no images given; pass one or more JPEG/PNG files');
  const source = sourceOption(v);
  const presetArg = presetOption(v);
  if (presetArg === undefined && source.kind !== 'model') {
    throw new UsageError(`--preset is required with --${source.kind} (the file does not say how its input was normalised); valid presets: ${PRESET_NAMES.join(', ')}`);
  }
  const k = intOption(v, 'top', 5, 1);
  const threads = threadsOption(v);
  const cropFraction = cropOption(v);
  if (source.kind === 'model') registryOption({ ...v, model: source.value });
  else sizeOption(v);
  // Each image's header (format, size, decoder memory, enough data): milliseconds, before the model load.
  for (const path of images) await checkImageFile(path);
  const userLabels = v.labels !== undefined ? await loadLabels(String(v.labels)) : undefined;

  const loaded = await loadModel(v, source, threads);
  const { session } = loaded;
  try {
    const preset = presetArg ?? loaded.defaultPreset!;
    const [, , h, w] = session.info.inputShape;
    const classes = session.info.outputShape[1];
    const labels = userLabels ?? loaded.labels;
    if (labels && labels.length !== classes) {
      throw new Error(`${v.labels ?? 'labels'}: ${labels.length} names for a network with ${classes} outputs; give one name per output`);
    }
    const g = session.graph;
    const endsInSoftmax = g.nodes[g.output].kind === 'softmax';
    if (loaded.seeded) {
      process.stderr.write(`note: ${loaded.model} runs with seeded (synthetic, untrained) weights, so its classes mean nothing\n`);
    }
    const results: ImageResult[] = [];
    for (const path of images) {
      const image = await loadImage(path);
      const input = preprocess(image, { preset, size: [h, w], cropFraction, alignCorners: v['align-corners'] === true });
      // preprocess() gives NCHW; a model may declare NHWC (run's default then), so say which.
      const { logits } = await session.run(input, { layout: 'nchw' });
      const probabilities = endsInSoftmax ? logits : softmax(logits);
      const result = { image: path, width: image.width, height: image.height, top: topK(probabilities, k, labels) };
      results.push(result);
      if (!v.json) printResult(result);
    }
    if (v.json) {
      console.log(JSON.stringify({
        model: loaded.model, weights: loaded.seeded ? 'seeded' : 'file', inputShape: session.info.inputShape, preset,
        cropFraction: cropFraction ?? null, alignCorners: v['align-corners'] === true, images: results,
      }, null, 2));
    }
  } finally {
    await session.dispose();
  }
}

function printResult(r: ImageResult): void {
  console.log(`${r.image} (${r.width}×${r.height})`);
  for (const t of r.top) console.log(`  ${t.probability.toFixed(4)}  ${String(t.index).padStart(4)}  ${t.label}`);
}

export const classify: CliCommand = {
  summary: 'classify images (JPEG/PNG): top-k classes with probabilities',
  usage: 'inception-wasm classify <images…> (--model m [--variant v] | --onnx f.onnx | --tfjs model.json) ' +
    `[--preset ${PRESET_NAMES.join('|')}] [--labels file] [--top 5] ` +
    '[--crop 0.875|none] [--align-corners] [--size s] [--threads n] [--json]',
  options: {
    model: { type: 'string' }, onnx: { type: 'string' }, tfjs: { type: 'string' }, variant: { type: 'string' },
    preset: { type: 'string' }, labels: { type: 'string' }, top: { type: 'string' }, crop: { type: 'string' },
    'align-corners': { type: 'boolean' }, size: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
  },
  positionals: true,
  run,
};
