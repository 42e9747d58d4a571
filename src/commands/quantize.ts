/**
 * `inception-wasm quantize (--model m | --onnx f.onnx | --tfjs model.json) --calibration <folder>
 * [--preset p] [--crop f|none] [--align-corners] [--size s] --out model.int8.onnx`: calibrates an
 * int8 session on the folder's images (preprocessed as classify preprocesses its inputs) and writes
 * it as QDQ ONNX (`session.exportOnnx()`): per-channel int8 weights, u8 activations with the
 * calibrated scales — a file onnxruntime runs as int8 and `createSession({ onnx })` loads as int8
 * without calibrating again. Every argument and calibration image is checked before the model loads.
 */
import { writeFileSync } from 'node:fs';
import { PRESET_NAMES, preprocess, type PresetName } from '../image/preprocess.js';
import { createSession } from '../session.js';
import { isFolderPath } from './export.js';
import {
  calibrationInputs, calibrationOption, checkCalibrationImages, cropOption, MAX_CALIBRATION_IMAGES, presetOption, sourceGraph, sourceOption,
} from './calibration.js';
import { registryOption, sizeOption, threadsOption, UsageError, type CliCommand, type Values } from './command.js';

async function run(v: Values, positionals: string[]): Promise<void> {
  if (positionals.length > 0) throw new UsageError(`quantize takes no positional arguments (got ${positionals.map((p) => `'${p}'`).join(' ')}); the images go in --calibration <folder>`);
  const source = sourceOption(v);
  const out = v.out as string | undefined;
  if (out === undefined) throw new UsageError('--out <file.onnx> is required: where to write the int8 (QDQ) ONNX model');
  if (!out.toLowerCase().endsWith('.onnx')) throw new UsageError(`--out '${out}': name a file ending in .onnx`);
  if (isFolderPath(out)) throw new UsageError(`--out '${out}' is a folder; name the .onnx file to write`);
  const presetArg = presetOption(v);
  if (presetArg === undefined && source.kind !== 'model') {
    throw new UsageError(`--preset is required with --${source.kind} (the file does not say how its input was normalised); valid presets: ${PRESET_NAMES.join(', ')}`);
  }
  const registry = source.kind === 'model' ? registryOption({ ...v, model: source.value }) : undefined;
  if (!registry) sizeOption(v);
  const preset: PresetName = presetArg ?? registry!.info.preprocessing;
  const crop = cropOption(v);
  const threads = threadsOption(v, 1);
  const calibration = calibrationOption({ ...v, precision: 'int8' }, 'int8')!;
  checkCalibrationImages(calibration);

  const { graph, weights, model } = await sourceGraph(v, source);
  const [, h, w] = graph.shape(graph.inputs[0]); // NHWC
  const inputs = await calibrationInputs(calibration, (image) =>
    preprocess(image, { preset, size: [h!, w!], cropFraction: crop, alignCorners: v['align-corners'] === true }));
  const session = await createSession({ graph, weights, threads, precision: 'int8', calibration: { inputs, layout: 'nchw' } });
  try {
    const bytes = session.exportOnnx();
    try {
      writeFileSync(out, bytes);
    } catch (e) {
      throw new Error(`cannot write '${out}': ${(e as Error).message}`);
    }
    console.log(
      `wrote ${out} (${bytes.length.toLocaleString('en')} bytes): ${model} as int8 QDQ ONNX, calibrated on ` +
        `${calibration.names.length} image(s) in ${calibration.folder} (preset ${preset}); packed int8 weights ${session.info.weightBytes.toLocaleString('en')} bytes`,
    );
  } finally {
    await session.dispose();
  }
}

export const quantize: CliCommand = {
  summary: 'calibrate a network on a folder of images and write it as int8 (QDQ) ONNX',
  usage: 'inception-wasm quantize (--model m [--variant v] | --onnx f.onnx | --tfjs model.json) ' +
    `--calibration <folder of ≤ ${MAX_CALIBRATION_IMAGES} JPEG/PNG images> [--preset ${PRESET_NAMES.join('|')}] ` +
    '[--crop 0.875|none] [--align-corners] [--size s] [--threads n] --out model.int8.onnx',
  options: {
    model: { type: 'string' }, variant: { type: 'string' }, onnx: { type: 'string' }, tfjs: { type: 'string' },
    calibration: { type: 'string' }, preset: { type: 'string' }, crop: { type: 'string' }, 'align-corners': { type: 'boolean' },
    size: { type: 'string' }, threads: { type: 'string' }, out: { type: 'string' },
  },
  positionals: true,
  run,
};
