/**
 * Fuzz: 200 seeded mutations (mulberry32) of a small uint8-quantised Keras model — truncated or
 * garbled model.json text, truncated / flipped / extended weight bytes, JSON fields replaced or
 * deleted (anywhere, in layer configs, in the weights manifest), layers dropped, duplicated or
 * reordered. Each import must end in a loaded model or a `TfjsImportError` with a message (no
 * TypeError from an unchecked path), within 1 s; a loaded model must then either run in a session,
 * giving logits of its declared output shape, or be refused by it with one of the engine's own
 * errors (a `GraphError`, or an Error whose message starts with `inception-wasm:`) — a TypeError or
 * RangeError from an unchecked path is a failure.
 */
import { describe, expect, it } from 'vitest';
import { GraphError } from '../../src/graph/graph.js';
import { createSession } from '../../src/session.js';
import { importTfjs, TfjsImportError } from '../../src/tfjs/import.js';
import { mulberry32 } from '../../src/util/prng.js';
import { KerasFixture, type Artifacts } from './keras-fixture.js';

const MUTATIONS = 200;

/** The engine's own refusals: what a session may throw for a model the importer let through. */
function isEngineError(e: unknown): boolean {
  if (e instanceof GraphError) return true;
  return e instanceof Error && !(e instanceof TypeError) && e.message.startsWith('inception-wasm:');
}
const SEED = 0x7f1a;

function baseModel(): Artifacts {
  const k = new KerasFixture(3);
  k.input('input_1', [12, 12, 3]);
  const stem = k.activation('stem_ac', k.batchNorm('stem_bn', k.conv('stem', 'input_1', { filters: 6, kernel: 3, strides: 2, useBias: false }), { scale: false }), 'relu');
  const b0 = k.conv('b0', stem, { filters: 3, kernel: 1, activation: 'relu' });
  const b1 = k.conv('b1', k.pool('avg', 'b1_pool', stem, { pool: 3, strides: 1, padding: 'same' }), { filters: 3, kernel: 1 });
  const mixed = k.concat('mixed', [b0, b1]);
  const res = k.customScale('block_1', stem, k.conv('up', mixed, { filters: 6, kernel: 1 }), 0.2);
  const x = k.pool('max', 'pool', k.add('sum', [res, stem]), { pool: 2 });
  const h = k.dropout('drop', k.dense('fc1', k.flatten('flat', x), { units: 8, activation: 'relu' }));
  return k.artifacts('uint8', k.dense('fc2', h, { units: 4, activation: 'softmax' }), 128);
}

const POOL: unknown[] = [null, -1, 0, 1, 2.5, 1e9, -1e9, '', 'x', 'same', 'relu', 'float16', 'constructor', [], [1], [1, 2], [null, 3, 3, 3], {}, true, false];

type Mutant = { text?: string; json: Artifacts['modelJson']; data: Uint8Array; what: string };

function mutate(art: Artifacts, next: () => number): Mutant {
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const json = structuredClone(art.modelJson);
  let data = art.weightData.slice();
  const text = JSON.stringify(json);
  const layers = (json.modelTopology.model_config as { config: { layers: { config: Record<string, unknown> }[] } }).config.layers;
  switch (int(9)) {
    case 0: {
      const at = int(text.length);
      return { text: text.slice(0, at), json, data, what: `model.json truncated at ${at}` };
    }
    case 1: {
      const chars = text.split('');
      const n = 1 + int(5);
      for (let i = 0; i < n; i++) chars[int(chars.length)] = String.fromCharCode(32 + int(95));
      return { text: chars.join(''), json, data, what: `${n} model.json chars garbled` };
    }
    case 2: {
      const at = int(data.length);
      return { json, data: data.subarray(0, at), what: `weights truncated at ${at}` };
    }
    case 3: {
      const n = 1 + int(10);
      for (let i = 0; i < n; i++) data[int(data.length)] ^= 1 << int(8);
      return { json, data, what: `${n} weight bits flipped` };
    }
    case 4: {
      const extra = 1 + int(64);
      const longer = new Uint8Array(data.length + extra);
      longer.set(data);
      data = longer;
      return { json, data, what: `weights extended by ${extra}` };
    }
    case 5: {
      const path: (string | number)[] = [];
      let parent: Record<string, unknown> | unknown[] = json as unknown as Record<string, unknown>;
      let key: string | number = 'modelTopology';
      for (;;) {
        const value: unknown = (parent as Record<string, unknown>)[key as string];
        path.push(key);
        if (value === null || typeof value !== 'object' || (path.length > 1 && next() < 0.2)) break;
        const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
        if (keys.length === 0) break;
        parent = value as Record<string, unknown>;
        key = pick(keys);
      }
      const replacement = pick(POOL);
      if (!Array.isArray(parent) && next() < 0.25) delete (parent as Record<string, unknown>)[key as string];
      else (parent as Record<string, unknown>)[key as string] = structuredClone(replacement);
      return { json, data, what: `field ${path.join('.')} ← ${JSON.stringify(replacement)}` };
    }
    case 6: {
      const l = pick(layers);
      const field = pick(Object.keys(l.config));
      const replacement = pick(POOL);
      l.config[field] = structuredClone(replacement);
      return { json, data, what: `layer ${String(l.config.name)}.${field} ← ${JSON.stringify(replacement)}` };
    }
    case 7: {
      const w = pick(json.weightsManifest[0]!.weights);
      const field = pick(['name', 'shape', 'dtype', 'quantization', 'quantization.min', 'quantization.scale', 'quantization.dtype']);
      const replacement = pick(POOL);
      if (field.startsWith('quantization.')) (w.quantization as Record<string, unknown>)[field.slice(13)] = structuredClone(replacement);
      else w[field] = structuredClone(replacement);
      return { json, data, what: `weight ${String(w.name)}.${field} ← ${JSON.stringify(replacement)}` };
    }
    default: {
      const i = int(layers.length);
      const j = int(layers.length);
      const op = pick(['drop', 'duplicate', 'swap'] as const);
      if (op === 'drop') layers.splice(i, 1);
      else if (op === 'duplicate') layers.splice(j, 0, structuredClone(layers[i]!));
      else [layers[i], layers[j]] = [layers[j]!, layers[i]!];
      return { json, data, what: `layers: ${op} ${i}${op === 'drop' ? '' : `, ${j}`}` };
    }
  }
}

describe('fuzzing the TF.js importer', () => {
  it(`${MUTATIONS} seeded mutations: each loads or throws a TfjsImportError, in bounded time`, async () => {
    const art = baseModel();
    const next = mulberry32(SEED);
    const counts = { loaded: 0, rejected: 0, sessionRan: 0, sessionRefused: 0 };
    const unexpected: string[] = [];
    let slowestMs = 0;
    for (let i = 0; i < MUTATIONS; i++) {
      const m = mutate(art, next);
      const started = performance.now();
      try {
        const imported = await importTfjs({ modelJson: m.text ?? m.json, weightData: m.data });
        counts.loaded++;
        try {
          const session = await createSession({ graph: imported.graph, weights: imported.weights, threads: 1, maxMemoryBytes: 64 << 20 });
          try {
            const [n, h, w, c] = imported.inputs[0]!.shape;
            const { logits, shape } = await session.run(new Float32Array(n! * h! * w! * c!).fill(0.5), { layout: 'nhwc' });
            const declared = imported.outputs[0]!.shape;
            if (shape.join() !== declared.join() || logits.length !== declared.reduce((a, b) => a * b, 1)) {
              unexpected.push(`#${i} ${m.what}: ran, but gave shape [${shape}] with ${logits.length} values for declared [${declared}]`);
            }
          } finally {
            await session.dispose();
          }
          counts.sessionRan++;
        } catch (e) {
          if (!isEngineError(e)) unexpected.push(`#${i} ${m.what}: session threw ${(e as Error)?.stack ?? String(e)}`);
          counts.sessionRefused++;
        }
      } catch (e) {
        if (e instanceof TfjsImportError && e.message.length > 10) counts.rejected++;
        else unexpected.push(`#${i} ${m.what}: ${(e as Error)?.stack ?? String(e)}`);
      }
      slowestMs = Math.max(slowestMs, performance.now() - started);
    }
    console.log(`tfjs fuzz: ${JSON.stringify(counts)}, slowest ${slowestMs.toFixed(0)} ms`);
    expect(unexpected, unexpected.join('\n\n')).toEqual([]);
    expect(counts.loaded).toBeGreaterThan(0);
    expect(counts.rejected).toBeGreaterThan(0);
    expect(slowestMs).toBeLessThan(1000);
  });
});
