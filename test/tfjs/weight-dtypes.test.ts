/**
 * Weight encodings of the TF.js manifest: float32, float16 and uint8/uint16 affine quantisation.
 *
 * - Decoding is bit-identical to tfjs-core's `tf.io.decodeWeights` (every one of the 65,536 float16
 *   patterns, and seeded uint8/uint16/float32 tensors).
 * - Decoded vs the float32 weights they were encoded from, per dtype, within the encoding's own
 *   error: affine `|ŵ − w| ≤ scale/2` (round to the nearest level; + float32 rounding of the
 *   result), float16 `|ŵ − w| ≤ 2⁻¹¹·|w|` (half an ulp of an 11-bit significand; the weights stay
 *   in float16's normal range).
 * - A tiny Keras model (Conv2D → BN → ReLU → GAP → Dense) per dtype: our output equals, bit for
 *   bit, the output of the float32 model holding the decoded weights (the decode path changes
 *   nothing else); matches tfjs on the same quantised artifacts within 1e-5·std; and lies within a
 *   per-dtype distance of the unquantised float32 model (the weight error propagated: see BOUNDS).
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createSession } from '../../src/session.js';
import { importTfjs } from '../../src/tfjs/import.js';
import type { WeightSpec } from '../../src/tfjs/model-json.js';
import { decodeWeight, float16ToFloat32 } from '../../src/tfjs/weights.js';
import { randomArray } from '../helpers/kernel-env.js';
import { encode, KerasFixture, loadInTfjs, runTfjs, type Artifacts, type WeightDtype } from './keras-fixture.js';

/**
 * Max |Δoutput| / std(float32 output) allowed between a quantised model and its float32 original.
 * Each is 3–4× the value measured on this model (uint8 8.2e-3, uint16 2.4e-5, float16 7.1e-4): the
 * per-weight error is uniform in ±scale/2 (scale = range/255 or range/65535 of the tensor) or up
 * to ±2⁻¹¹·|w| (float16: relatively coarser than uint16 for these ranges), and sums over each
 * output's fan-in (27 conv taps, 8 dense inputs) with random signs; dividing by the output's std
 * (small next to the terms summed) magnifies it.
 */
const BOUNDS: Record<Exclude<WeightDtype, 'float32'>, number> = { uint8: 2.5e-2, uint16: 1e-4, float16: 2.5e-3 };

function tinyModel(): KerasFixture & { out: string } {
  const k = new KerasFixture(2024);
  k.input('input_1', [10, 10, 3]);
  const x = k.activation('relu', k.batchNorm('bn', k.conv('conv', 'input_1', { filters: 8, kernel: 3, padding: 'same', useBias: false }), { scale: true }), 'relu');
  return Object.assign(k, { out: k.dense('fc', k.gap('gap', x), { units: 6 }) });
}

async function runOurs(art: Artifacts, x: Float32Array): Promise<Float32Array> {
  const m = await importTfjs({ modelJson: art.modelJson, weightData: art.weightData });
  const session = await createSession({ graph: m.graph, weights: m.weights, threads: 1 });
  try {
    return (await session.run(x, { layout: 'nhwc' })).logits;
  } finally {
    await session.dispose();
  }
}

/** tfjs-core's own decoder on the artifacts' manifest. */
function tfjsDecode(art: Artifacts): Map<string, Float32Array> {
  const specs = art.modelJson.weightsManifest.flatMap((g) => g.weights) as unknown as tf.io.WeightsManifestEntry[];
  const buffer = art.weightData.slice().buffer as ArrayBuffer;
  const tensors = tf.io.decodeWeights(buffer, specs);
  return new Map(Object.entries(tensors).map(([name, t]) => [name, t.dataSync() as Float32Array]));
}

function spec(name: string, count: number, quantization: WeightSpec['quantization']): WeightSpec {
  const bytes = quantization === undefined ? 4 : quantization.dtype === 'uint8' ? 1 : 2;
  return { name, shape: [count], ...(quantization ? { quantization } : {}), byteOffset: 0, byteLength: count * bytes, group: 0 };
}

const std = (v: ArrayLike<number>) => {
  const a = Array.from(v);
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  return Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length);
};
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));

describe('TF.js weight decoding', () => {
  it('float16: all 65,536 bit patterns decode as tfjs-core does (subnormals, ±0, ±∞, NaN)', () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const bytes = new Uint8Array(bits.buffer);
    const ours = decodeWeight(spec('h', 65536, { dtype: 'float16' }), bytes);
    const theirs = tf.io.decodeWeights(bits.buffer, [{ name: 'h', shape: [65536], dtype: 'float32', quantization: { dtype: 'float16' } }]).h!.dataSync();
    const differing: string[] = [];
    for (let i = 0; i < 65536; i++) {
      const same = Number.isNaN(theirs[i]!) ? Number.isNaN(ours[i]!) : Object.is(ours[i], theirs[i]);
      if (!same) differing.push(`0x${i.toString(16)}: ${ours[i]} vs ${theirs[i]}`);
    }
    expect(differing.slice(0, 5), `${differing.length} patterns differ`).toEqual([]);
    expect([0x3c00, 0xc000, 0x0001, 0x7bff, 0x8000].map(float16ToFloat32)).toEqual([1, -2, 2 ** -24, 65504, -0]);
  });

  const dtypes: WeightDtype[] = ['float32', 'uint8', 'uint16', 'float16'];
  for (const dtype of dtypes) {
    it(`${dtype}: bit-identical to tf.io.decodeWeights, and within the encoding error of the original`, () => {
      const original = randomArray(1001, 77, -0.9, 1.7);
      const { bytes, quantization } = encode(original, dtype);
      const padded = new Uint8Array(bytes.byteLength + 3); // an odd offset: no alignment assumed
      padded.set(bytes, 3);
      const s = { ...spec('w', 1001, quantization as WeightSpec['quantization']), byteOffset: 3 };
      const ours = decodeWeight(s, padded);
      const theirs = tf.io.decodeWeights(bytes.slice().buffer, [{ name: 'w', shape: [1001], dtype: 'float32', ...(quantization ? { quantization } : {}) } as tf.io.WeightsManifestEntry]).w!.dataSync();
      expect(Array.from(ours)).toEqual(Array.from(theirs));
      for (let i = 0; i < original.length; i++) {
        const w = original[i]!;
        const bound = dtype === 'float32' ? 0
          : dtype === 'float16' ? 2 ** -11 * Math.abs(w)
            : (quantization!.scale as number) / 2 + 2 ** -24 * 2;
        expect(Math.abs(ours[i]! - w), `${dtype} [${i}] ${w}`).toBeLessThanOrEqual(bound);
      }
    });
  }
});

describe('quantised Keras models run as their float32 originals', () => {
  const x = randomArray(10 * 10 * 3, 8, 0, 1);
  let reference: Float32Array | undefined;
  const originalOutput = async () => (reference ??= await runOurs(tinyModel().artifacts('float32', 'fc'), x));

  for (const dtype of ['uint8', 'uint16', 'float16'] as const) {
    it(`${dtype}: = float32 model of the decoded weights (bitwise); ≈ tfjs (1e-5·std); ≈ original (${BOUNDS[dtype]}·std)`, async () => {
      const k = tinyModel();
      const art = k.artifacts(dtype, k.out, 128);
      expect(art.shards.length).toBeGreaterThan(1);
      const ours = await runOurs(art, x);

      const decoded = tfjsDecode(art);
      const asFloat32 = k.artifacts('float32', k.out);
      let offset = 0;
      for (const w of asFloat32.modelJson.weightsManifest[0]!.weights) {
        const values = decoded.get(w.name as string)!;
        asFloat32.weightData.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), offset);
        offset += values.byteLength;
      }
      expect(Array.from(ours), 'vs float32 artifacts of the decoded values').toEqual(Array.from(await runOurs(asFloat32, x)));

      const [theirs] = runTfjs(await loadInTfjs(art.modelJson, art.weightData), x, [1, 10, 10, 3]);
      expect(maxAbsDiff(ours, theirs!)).toBeLessThanOrEqual(1e-5 * std(theirs!) + 1e-7);

      const original = await originalOutput();
      const distance = maxAbsDiff(ours, original) / std(original);
      console.log(`${dtype}: max |Δ| vs float32 original = ${distance.toExponential(2)}·std`);
      expect(distance).toBeLessThanOrEqual(BOUNDS[dtype]);
      expect(distance, 'quantisation must change something').toBeGreaterThan(0);
    });
  }
});
