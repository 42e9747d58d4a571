import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import type { Graph } from '../graph/graph.js';
import type { ValueId } from '../graph/nodes.js';
import { buildNetwork } from '../inception/models.js';
import { seededWeights } from '../inception/seeded-weights.js';
import { EXPORT_OPSET, exportOnnx } from '../onnx/export.js';
import { exportGraphModel, GRAPH_MODEL_SHARD } from '../tfjs/export-graph-model.js';
import { assertNever } from '../util/assert-never.js';
import { registryOption, UsageError, type CliCommand, type Values } from './command.js';

const FORMATS = ['onnx', 'tfjs-graph'] as const;
type Format = (typeof FORMATS)[number];

const MODEL_JSON = 'model.json';

/** Whether `path` names an existing folder. */
export const isFolderPath = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/**
 * --format, else read from --out: an existing folder, a path ending in a separator, or one whose
 * file name is `model.json` is a TF.js graph model; a `.onnx` name is ONNX; anything else is
 * ambiguous and a usage error rather than a guess.
 */
function formatOption(v: Values, out: string): Format {
  const raw = v.format as string | undefined;
  if (raw !== undefined) {
    if (!(FORMATS as readonly string[]).includes(raw)) {
      throw new UsageError(`--format '${raw}' is unknown; one of: ${FORMATS.join(', ')}`);
    }
    return raw as Format;
  }
  if (basename(out) === MODEL_JSON || out.endsWith('/') || out.endsWith(sep) || isFolderPath(out)) return 'tfjs-graph';
  if (out.toLowerCase().endsWith('.onnx')) return 'onnx';
  throw new UsageError(
    `cannot tell the format from --out '${out}': name a file ending in .onnx (ONNX) or a folder / a path ending in ${MODEL_JSON} (TF.js graph model), or pass --format ${FORMATS.join('|')}`,
  );
}

function write(path: string, bytes: Uint8Array | string): void {
  try {
    writeFileSync(path, bytes);
  } catch (e) {
    throw new Error(`cannot write '${path}': ${(e as Error).message}`);
  }
}

function writeOnnx(g: Graph, weights: ReadonlyMap<string, Float32Array>, out: string, label: string): void {
  if (isFolderPath(out)) throw new UsageError(`--out '${out}' is a folder; ONNX is one file: name it, e.g. ${join(out, 'model.onnx')}`);
  const bytes = exportOnnx(g, weights);
  write(out, bytes);
  const [, h, w, c] = g.shape(g.inputs[0]);
  console.log(
    `wrote ${out} (${bytes.length.toLocaleString('en')} bytes): ${label}, ONNX opset ${EXPORT_OPSET}, ` +
    `input 'input' [batch, ${c}, ${h}, ${w}], output 'logits' [batch, ${g.shape(g.output).slice(1).join(', ')}], ${g.weights.length} initializers`,
  );
}

/**
 * `--out` names the folder (or its model.json). The shard is written before model.json, so a
 * model.json on disk never names a shard that is not there yet; an existing model.json is
 * someone's model and is replaced only with --force.
 */
function writeGraphModel(g: Graph, weights: ReadonlyMap<string, Float32Array>, out: string, force: boolean, label: string): void {
  const folder = basename(out) === MODEL_JSON && !isFolderPath(out) ? dirname(out) : out;
  if (existsSync(folder) && !isFolderPath(folder)) {
    throw new UsageError(`--out '${folder}' exists and is not a folder; a TF.js graph model is a folder (model.json + ${GRAPH_MODEL_SHARD})`);
  }
  const modelPath = join(folder, MODEL_JSON);
  if (existsSync(modelPath) && !force) {
    throw new UsageError(`'${modelPath}' already exists; pass --force to overwrite it, or choose another --out folder`);
  }
  const { modelJson, weightData } = exportGraphModel(g, weights);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (e) {
    throw new Error(`cannot create the folder '${folder}': ${(e as Error).message}`);
  }
  write(join(folder, GRAPH_MODEL_SHARD), weightData);
  const json = JSON.stringify(modelJson);
  write(modelPath, json);
  // The signature's names are the TF node names that hold each value (a fused conv's, for one).
  const signature = modelJson.signature as { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
  const named = (names: string[], values: readonly ValueId[]) =>
    names.map((n, i) => `'${n}' [batch, ${g.shape(values[i]!).slice(1).join(', ')}]`).join(', ');
  console.log(
    `wrote ${modelPath} (${json.length.toLocaleString('en')} bytes) and ${GRAPH_MODEL_SHARD} (${weightData.length.toLocaleString('en')} bytes): ` +
    `${label}, TF.js graph model, input ${named(Object.keys(signature.inputs), g.inputs)} (NHWC), output ${named(Object.keys(signature.outputs), g.outputs)}`,
  );
}

/** Builds a network with seeded weights and writes it as ONNX (opset 13, NCHW) or as a TF.js graph model (NHWC). */
async function run(v: Values): Promise<void> {
  const { model, variant, inputSize } = registryOption(v);
  const out = v.out as string | undefined;
  if (out === undefined || out === '') throw new UsageError('--out <file.onnx | folder> is required');
  const format = formatOption(v, out);
  const weights = (v.weights as string | undefined) ?? 'seeded';
  if (weights !== 'seeded') {
    throw new UsageError(`--weights '${weights}' is not supported; only 'seeded' (the deterministic fixture fill) — export real weights through the API (exportOnnx, exportGraphModel)`);
  }
  const g = buildNetwork(model, { variant, inputSize });
  const label = `${model} (${variant}) with seeded weights`;
  switch (format) {
    case 'onnx':
      writeOnnx(g, seededWeights(g.weights), out, label);
      return;
    case 'tfjs-graph':
      writeGraphModel(g, seededWeights(g.weights), out, v.force === true, label);
      return;
    default:
      assertNever(format, 'export format');
  }
}

export const exportCommand: CliCommand = {
  summary: 'write a network with seeded weights as an ONNX file (opset 13) or a TF.js graph model folder for other engines',
  usage:
    'inception-wasm export --model <name> [--variant v] [--size s | --size HxW] [--weights seeded] ' +
    '[--format onnx|tfjs-graph] --out <file.onnx | folder[/model.json]> [--force]',
  options: {
    model: { type: 'string' }, variant: { type: 'string' }, size: { type: 'string' }, weights: { type: 'string' },
    format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' },
  },
  run,
};
