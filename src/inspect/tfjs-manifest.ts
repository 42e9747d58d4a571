/**
 * A TF.js weights manifest read for inspection, leniently (an entry that cannot be read becomes a
 * note, not a failure) and with bounded loops over the parsed JSON: each weight's stored type and
 * size, and each group's shard paths and total bytes. Paths are kept as written; whether they stay
 * in the model's folder is external.ts's question.
 */
import { isRecord } from '../tfjs/model-json.js';
import type { ShardGroup } from './external.js';

/** Bytes per stored element of a manifest dtype (quantised: of `quantization.dtype`); strings have none. */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, int8: 1, int16: 2, complex64: 8,
};

export interface ManifestWeight {
  name: string;
  dtype: string;
  stored: string;
  elements: number;
  bytes?: number;
  rank: number;
}

export function readManifest(manifest: unknown, notes: string[]): { groups: ShardGroup[]; weights: ManifestWeight[] } {
  const groups: ShardGroup[] = [];
  const weights: ManifestWeight[] = [];
  if (!Array.isArray(manifest)) {
    if (manifest !== undefined) notes.push("'weightsManifest' is not an array of groups");
    return { groups, weights };
  }
  manifest.forEach((g: unknown, gi) => {
    const group = isRecord(g) ? g : {};
    const paths = Array.isArray(group.paths) ? group.paths.filter((p): p is string => typeof p === 'string') : [];
    let byteLength: number | undefined = 0;
    for (const [wi, w] of (Array.isArray(group.weights) ? group.weights : []).entries()) {
      const spec = isRecord(w) ? w : {};
      const name = typeof spec.name === 'string' ? spec.name : `weightsManifest[${gi}].weights[${wi}]`;
      const shape = Array.isArray(spec.shape) && spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0) ? (spec.shape as number[]) : undefined;
      const dtype = typeof spec.dtype === 'string' ? spec.dtype : '?';
      const q = isRecord(spec.quantization) && typeof spec.quantization.dtype === 'string' ? spec.quantization.dtype : undefined;
      const stored = q ?? dtype;
      const elements = shape?.reduce((a, b) => a * b, 1);
      if (elements === undefined || !Number.isSafeInteger(elements)) {
        notes.push(`weight '${name}': 'shape' is not a list of sizes ≥ 0`);
        byteLength = undefined;
        continue;
      }
      const size = Object.hasOwn(DTYPE_BYTES, stored) ? DTYPE_BYTES[stored] : undefined;
      const bytes = size === undefined ? undefined : elements * size;
      byteLength = byteLength === undefined || bytes === undefined ? undefined : byteLength + bytes;
      weights.push({ name, dtype, stored, elements, rank: shape!.length, ...(bytes !== undefined ? { bytes } : {}) });
    }
    groups.push({ paths, ...(byteLength !== undefined ? { byteLength } : {}) });
  });
  return { groups, weights };
}

