/**
 * `inspectModel(pathOrBytes)`: what a model file is and whether this engine would load it —
 * format, producer, opset, inputs/outputs, op histogram, parameters, external files and every
 * unsupported op with its node — without building a session or decoding a weight.
 *
 *   const report = await inspectModel('model.onnx');   // or model.json, its folder, or the bytes
 *   for (const u of report.unsupported) console.log(u.node, u.op);
 *
 * The file is untrusted: it is read through src/io/model-files.ts (a regular file, size-capped
 * before it is read), and the files it names are opened only for their size, under the same
 * confinement to the model's folder as the loaders use. Throws `InspectError` (or the format
 * reader's own error) when the file cannot be read or is not a model of a known format.
 */
import { isRecord, sniffNonJson } from '../tfjs/model-json.js';
import { FolderProbe } from './external.js';
import { inspectOnnx } from './onnx.js';
import type { InspectReport } from './report.js';
import { inspectTfjsGraph } from './tfjs-graph.js';
import { inspectTfjsLayers } from './tfjs-layers.js';

export type * from './report.js';

export class InspectError extends Error {
  override name = 'InspectError';
}

/** Largest .onnx read (protobuf's 2 GiB message limit; bigger models keep weights outside). */
const MAX_ONNX_BYTES = 2 ** 31;
/** Largest model.json read: topology and manifest only (an Inception's is about 1 MB). */
const MAX_JSON_BYTES = 64 << 20;

/** True when the bytes start (after whitespace or a BOM) like a JSON object or array. */
function looksLikeJson(bytes: Uint8Array): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && i < 4096 && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  return bytes[i] === 0x7b || bytes[i] === 0x5b;
}

function inspectJson(bytes: Uint8Array, label: string, probe: FolderProbe | undefined): InspectReport {
  if (bytes.length > MAX_JSON_BYTES) {
    throw new InspectError(`${label} has ${bytes.length} bytes of JSON, more than the ${MAX_JSON_BYTES} a TF.js model.json may have; is it the right file?`);
  }
  const text = new TextDecoder().decode(bytes);
  const what = sniffNonJson(text);
  if (what !== undefined) throw new InspectError(`${label}: this is ${what}`);
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new InspectError(`${label}: not valid JSON (${(e as Error).message}); the file is truncated or corrupted`);
  }
  if (!isRecord(root) || !isRecord(root.modelTopology)) {
    throw new InspectError(`${label}: JSON without a 'modelTopology' object; not a TF.js model.json (ONNX files are binary protobuf)`);
  }
  if (root.format === 'graph-model' || Array.isArray(root.modelTopology.node)) return inspectTfjsGraph(root, probe);
  return inspectTfjsLayers(root, label, probe);
}

/**
 * Inspects a model: a path (Node: an `.onnx` file, a TF.js `model.json`, or the folder holding
 * it) or the file's bytes (then external files are listed but not looked for).
 */
export async function inspectModel(source: string | Uint8Array): Promise<InspectReport> {
  if (source instanceof Uint8Array) {
    return looksLikeJson(source) ? inspectJson(source, 'model.json', undefined) : inspectOnnx(source, undefined);
  }
  if (typeof source !== 'string' || source === '') throw new InspectError('inspectModel: pass the path of a model file (or its folder), or its bytes');
  const files = await import('../io/model-files.js');
  const path = await import('node:path');
  const file = files.isDirectory(source) ? path.join(source, 'model.json') : source;
  const fail = (message: string) => new InspectError(message);
  const json = file.toLowerCase().endsWith('.json');
  const bytes = files.readModelFile(file, json ? MAX_JSON_BYTES : MAX_ONNX_BYTES, `model file '${file}'`, fail);
  const probe = await FolderProbe.create(path.dirname(file));
  const report = json || looksLikeJson(bytes) ? inspectJson(bytes, file, probe) : inspectOnnx(bytes, probe);
  return { file, ...report };
}
