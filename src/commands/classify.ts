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
 * Precision: --precision f32 (default) or int8, which needs --calibration <folder>: the folder's
 * JPEG/PNG images (the first MAX_CALIBRATION_IMAGES by name), preprocessed exactly as the images
 * to classify, are the session's static calibration inputs (createSession's `calibration`).
 * Every argument and image header (the calibration images' too) is checked before the model
 * loads. Errors: bad option values, a calibration folder without images → UsageError (exit 2);
 * unreadable/non-image files, bad model files → Error naming the file (exit 1).
 */
import type { Graph } from '../graph/graph.js';
import type { RgbImage } from '../image/decode.js';
import { checkImageFile, loadImage } from '../image/load.js';
import { PRESET_NAMES, preprocess, type PresetName } from '../image/preprocess.js';
import { loadLabels } from '../labels/labels.js';
import { softmax, topK, type TopClass } from '../labels/top.js';
import { createSession, type Session, type SessionOptions } from '../session.js';
import {
  calibrationInputs, calibrationOption, checkCalibrationImages, cropOption, MAX_CALIBRATION_IMAGES, precisionOption, presetOption,
  sourceGraph, sourceOption,
  type ModelSource,
} from './calibration.js';
import { fractionOption, intOption, registryOption, sizeOption, threadsOption, UsageError, type CliCommand, type Values } from './command.js';

interface Loaded {
  session: Session;
  /** Human-readable model description for the header line / JSON. */
  model: string;
  labels?: readonly string[];
  seeded: boolean;
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

/** For int8: the calibration inputs at the graph's input height and width (NCHW, as `run` gets them). */
type Calibrate = ((height: number, width: number) => Promise<Float32Array[]>) | undefined;

/** The session over `graph`: f32, or int8 calibrated on `calibrate`'s inputs at the graph's input size. */
async function sessionFor(graph: Graph, weights: NonNullable<SessionOptions['weights']>, threads: number, calibrate: Calibrate): Promise<Session> {
  if (!calibrate) return createSession({ graph, weights, threads });
  const [, height, width] = graph.shape(graph.inputs[0]); // NHWC
  const inputs = await calibrate(height, width);
  return createSession({ graph, weights, threads, precision: 'int8', calibration: { inputs, layout: 'nchw' } });
}

async function loadModel(v: Values, source: ModelSource, threads: number, calibrate: Calibrate, label: string): Promise<Loaded> {
  return withProgress(`loading ${source.value}${label}`, async () => {
    const { graph, weights, model, labels, seeded } = await sourceGraph(v, source);
    return { session: await sessionFor(graph, weights, threads, calibrate), model, labels, seeded };
  });
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
  const precision = precisionOption(v);
  const calibration = calibrationOption(v, precision);
  // --preset is required for a file (checked above); a registry network's default is its own.
  const registry = source.kind === 'model' ? registryOption({ ...v, model: source.value }) : undefined;
  if (!registry) sizeOption(v);
  const preset: PresetName = presetArg ?? registry!.info.preprocessing;
  // Each image's header (format, size, decoder memory, enough data): milliseconds, before the model load.
  for (const path of images) await checkImageFile(path);
  if (calibration) checkCalibrationImages(calibration);
  const userLabels = v.labels !== undefined ? await loadLabels(String(v.labels)) : undefined;

  const prepare = (image: RgbImage, h: number, w: number) =>
    preprocess(image, { preset, size: [h, w], cropFraction, alignCorners: v['align-corners'] === true });
  if (calibration && calibration.found > calibration.names.length) {
    process.stderr.write(`note: ${calibration.folder} holds ${calibration.found} images; calibrating on the first ${calibration.names.length} by name\n`);
  }
  const calibrate: Calibrate = calibration && ((h, w) => calibrationInputs(calibration, (image) => prepare(image, h, w)));
  const label = calibration ? `, calibrating int8 on ${calibration.names.length} image(s)` : '';
  const loaded = await loadModel(v, source, threads, calibrate, label);
  const { session } = loaded;
  try {
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
    // Text output states a non-default precision first; JSON always has the field.
    if (calibration && !v.json) console.log(`precision int8 (calibrated on ${calibration.names.length} image(s) in ${calibration.folder})`);
    const results: ImageResult[] = [];
    for (const path of images) {
      const image = await loadImage(path);
      const input = prepare(image, h, w);
      // preprocess() gives NCHW; a model may declare NHWC (run's default then), so say which.
      const { logits } = await session.run(input, { layout: 'nchw' });
      const probabilities = endsInSoftmax ? logits : softmax(logits);
      const result = { image: path, width: image.width, height: image.height, top: topK(probabilities, k, labels) };
      results.push(result);
      if (!v.json) printResult(result);
    }
    if (v.json) {
      console.log(JSON.stringify({
        model: loaded.model, weights: loaded.seeded ? 'seeded' : 'file', precision: session.info.precision,
        ...(calibration ? { calibration: { folder: calibration.folder, images: calibration.names } } : {}),
        inputShape: session.info.inputShape, preset,
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
  summary: 'classify images (JPEG/PNG): top-k classes with probabilities; --precision int8 --calibration <folder>: the 8-bit engine, calibrated on that folder\'s images',
  usage: 'inception-wasm classify <images…> (--model m [--variant v] | --onnx f.onnx | --tfjs model.json) ' +
    `[--preset ${PRESET_NAMES.join('|')}] [--labels file] [--top 5] ` +
    '[--crop 0.875|none] [--align-corners] [--size s] [--threads n] ' +
    `[--precision f32|int8 --calibration <folder of ≤ ${MAX_CALIBRATION_IMAGES} JPEG/PNG images>] [--json]`,
  options: {
    precision: { type: 'string' }, calibration: { type: 'string' },
    model: { type: 'string' }, onnx: { type: 'string' }, tfjs: { type: 'string' }, variant: { type: 'string' },
    preset: { type: 'string' }, labels: { type: 'string' }, top: { type: 'string' }, crop: { type: 'string' },
    'align-corners': { type: 'boolean' }, size: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' },
  },
  positionals: true,
  run,
};
