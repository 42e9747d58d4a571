/**
 * What the commands that calibrate share: --precision, --calibration <folder> (listed, bounded,
 * every image opened under the model-folder rules of src/io/model-files.ts and its header checked
 * before the model loads), the calibration inputs preprocessed as the command's own inputs, and
 * the model source (--model | --onnx | --tfjs) as a graph and its weights.
 */
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../graph/graph.js';
import type { RgbImage } from '../image/decode.js';
import { DEFAULT_MAX_MEMORY_MB, inspectImage } from '../image/header.js';
import { loadImage } from '../image/load.js';
import { buildNetwork, MODELS } from '../inception/models.js';
import { ModelFolder } from '../io/model-files.js';
import { imagenetLabels } from '../labels/labels.js';
import { importOnnx } from '../onnx/import.js';
import type { SessionOptions } from '../session.js';
import { importTfjs } from '../tfjs/import.js';
import { PRESET_NAMES, type PresetName } from '../image/preprocess.js';
import { fractionOption, registryOption, sizeOption, UsageError, type Values } from './command.js';

export const PRECISIONS = ['f32', 'int8'] as const;
export type Precision = (typeof PRECISIONS)[number];

/**
 * Most images --calibration reads (the first ones by name): each is a full f32 run of the network
 * at session creation and a preprocessed input held until then, and min/max ranges only widen
 * with more images, so a bound keeps a large folder from costing minutes and memory for little.
 */
export const MAX_CALIBRATION_IMAGES = 64;
/** Largest calibration image file read (its size is compared before reading): the decoder's default memory limit (header.ts). */
const MAX_CALIBRATION_FILE_BYTES = DEFAULT_MAX_MEMORY_MB * 2 ** 20;
const IMAGE_NAME = /\.(?:jpe?g|png)$/i;

/** The images --calibration names: `names` sorted by code units (the same order in every locale), at most MAX_CALIBRATION_IMAGES. */
export interface CalibrationSet {
  folder: string;
  names: string[];
  /** Images in the folder, including those past the limit. */
  found: number;
}

export function precisionOption(v: Values): Precision {
  const raw = v.precision as string | undefined;
  if (raw === undefined) return 'f32';
  if (!PRECISIONS.some((p) => p === raw)) throw new UsageError(`--precision '${raw}' is unknown; valid precisions: ${PRECISIONS.join(', ')}`);
  return raw as Precision;
}

/**
 * --calibration goes with --precision int8 and int8 needs it. Lists the folder: its regular files
 * and links named *.jpg, *.jpeg or *.png (any case; links are resolved, and confined to the
 * folder, when read); other entries are never opened.
 */
export function calibrationOption(v: Values, precision: Precision): CalibrationSet | undefined {
  const folder = v.calibration as string | undefined;
  if (precision !== 'int8') {
    if (folder !== undefined) throw new UsageError(`--calibration is for --precision int8; add --precision int8 or drop --calibration`);
    return undefined;
  }
  if (folder === undefined) {
    throw new UsageError(`--precision int8 needs --calibration <folder>: a folder of typical JPEG/PNG images (up to ${MAX_CALIBRATION_IMAGES} are used) that set each activation's 8-bit range`);
  }
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`--calibration '${folder}': no such folder`);
    if (code === 'ENOTDIR') throw new UsageError(`--calibration '${folder}' is a file; give a folder of JPEG/PNG images`);
    throw new Error(`--calibration '${folder}': the folder cannot be read (${code ?? (e as Error).message})`);
  }
  const names = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && IMAGE_NAME.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (names.length === 0) {
    throw new UsageError(`--calibration '${folder}' holds no images (*.jpg, *.jpeg, *.png); put a few typical JPEG/PNG images in it`);
  }
  return { folder, names: names.slice(0, MAX_CALIBRATION_IMAGES), found: names.length };
}

/**
 * The bytes of calibration image `name`, opened under the model-folder rules (io/model-files.ts:
 * inside the folder's real path, a regular file, no swap between check and open), at most
 * MAX_CALIBRATION_FILE_BYTES. `./` keeps a name such as 'c:1.png' from reading as a drive letter.
 */
function readCalibrationImage(folder: ModelFolder, set: CalibrationSet, name: string): { path: string; bytes: Uint8Array } {
  const path = join(set.folder, name);
  const what = `calibration image '${path}'`;
  const fail = (message: string) => new Error(message);
  const file = folder.open(`./${name}`, what, fail);
  try {
    if (file.size > MAX_CALIBRATION_FILE_BYTES) throw fail(`${what} has ${file.size} bytes, more than the ${MAX_CALIBRATION_FILE_BYTES} an image may have`);
    return { path, bytes: file.read(0, file.size) };
  } finally {
    file.close();
  }
}

const openCalibrationFolder = (set: CalibrationSet) =>
  new ModelFolder(set.folder, `--calibration '${set.folder}'`, (m) => new Error(m), 'the calibration folder');

/** Every calibration image's header, before the model loads (as classify's own images). */
export function checkCalibrationImages(set: CalibrationSet): void {
  const folder = openCalibrationFolder(set);
  for (const name of set.names) {
    const { path, bytes } = readCalibrationImage(folder, set, name);
    inspectImage(bytes, {}, path);
  }
}

/** The calibration inputs: each image decoded and preprocessed as classify's inputs are, NCHW. */
export async function calibrationInputs(set: CalibrationSet, prepare: (image: RgbImage) => Float32Array): Promise<Float32Array[]> {
  const folder = openCalibrationFolder(set);
  const inputs: Float32Array[] = [];
  for (const name of set.names) {
    const { path, bytes } = readCalibrationImage(folder, set, name);
    inputs.push(prepare(await loadImage(bytes, { name: path })));
  }
  return inputs;
}

/** Which model source was asked for; exactly one of --model, --onnx, --tfjs. */
export function sourceOption(v: Values): { kind: 'model' | 'onnx' | 'tfjs'; value: string } {
  const given = (['model', 'onnx', 'tfjs'] as const).filter((k) => v[k] !== undefined);
  if (given.length > 1) throw new UsageError(`give one of --model, --onnx, --tfjs (got ${given.map((k) => `--${k}`).join(' and ')})`);
  if (given.length === 0) {
    throw new UsageError(`which network? --model <name> (one of: ${Object.keys(MODELS).join(', ')}), --onnx <file.onnx> or --tfjs <model.json>`);
  }
  const kind = given[0];
  if (kind !== 'model' && v.variant !== undefined) throw new UsageError(`--variant applies to --model only`);
  return { kind, value: String(v[kind]) };
}

/** Centre crop fraction of the shorter side when --crop is not given (timm/torchvision eval). */
const DEFAULT_CROP = 0.875;

export function presetOption(v: Values): PresetName | undefined {
  const raw = v.preset as string | undefined;
  if (raw === undefined) return undefined;
  if (!PRESET_NAMES.some((name) => name === raw)) {
    throw new UsageError(`--preset '${raw}' is unknown; valid presets: ${PRESET_NAMES.join(', ')}`);
  }
  return raw as PresetName;
}

export function cropOption(v: Values): number | undefined {
  const raw = v.crop as string | undefined;
  if (raw === undefined) return DEFAULT_CROP;
  if (raw === 'none') return undefined;
  return fractionOption(v, 'crop', " or 'none' (resize the whole image)");
}

export type ModelSource = ReturnType<typeof sourceOption>;

/** A model source as a graph and its weights (a registry network: seeded), with a label for messages. */
export async function sourceGraph(v: Values, source: ModelSource): Promise<{
  graph: Graph; weights: NonNullable<SessionOptions['weights']>; model: string; labels?: readonly string[]; seeded: boolean;
}> {
  if (source.kind === 'onnx' || source.kind === 'tfjs') {
    const inputSize = sizeOption(v);
    const file = source.value;
    // An ONNX file fixes H/W; --size asks to run a fully convolutional graph at another size.
    const { graph, weights } = source.kind === 'onnx'
      ? await importOnnx(file, { batch: 1, inputSize, allowResize: inputSize !== undefined })
      : await importTfjs(file, { batch: 1, inputSize });
    const classes = graph.shape(graph.output);
    return { graph, weights, model: file, labels: classes.length === 2 ? imagenetLabels(classes[1]!) : undefined, seeded: false };
  }
  const { model, variant, info, inputSize } = registryOption({ ...v, model: source.value });
  return {
    graph: buildNetwork(model, { variant, inputSize, batch: 1 }), weights: 'seeded', model: `${model} (${variant})`,
    labels: imagenetLabels(info.classes), seeded: true,
  };
}
