/**
 * Int8 on a real pretrained network: the Keras Inception-v3 of ../shared/fixtures
 * (tfjs-keras-inception-v3, nsfwjs 4.4.0; 5 classes), quantized by our static calibration on half
 * of the fixture photos (sorted by path, even positions) and compared with the f32 session on the
 * other half, every photo preprocessed as the fixture's reference was made (preset 'unit',
 * 299×299, align corners). Issue bounds: the int8 top-1 equals f32's on every held-out photo, the
 * largest probability change is ≤ 0.03, and the logits' SQNR (10·log10 Σy² / Σ(y − ŷ)², y the
 * f32 pre-softmax logits over all held-out photos) is ≥ 20 dB. The measured values are printed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadImage, preprocess } from '../../src/image/index.js';
import { softmax } from '../../src/labels/index.js';
import { createSession, type Session } from '../../src/session.js';
import { importTfjs } from '../../src/tfjs/import.js';
import { FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';

const MODEL_DIR = fixturePath('tfjs-keras-inception-v3/');
const IMAGES = fixturePath('images/');
const AVAILABLE = existsSync(`${MODEL_DIR}model.json`) && existsSync(IMAGES);
const SKIP = AVAILABLE ? '' : FIXTURES_SKIP_REASON || ` (skipped: ${MODEL_DIR} is absent)`;

function photos(): string[] {
  return readdirSync(IMAGES, { recursive: true, encoding: 'utf8' })
    .filter((p) => /\.(jpe?g|png)$/i.test(p))
    .sort();
}

async function input(path: string): Promise<Float32Array> {
  return preprocess(await loadImage(join(IMAGES, path)), { preset: 'unit', size: [299, 299], alignCorners: true });
}

const argmax = (v: ArrayLike<number>) => Array.from(v).reduce((best, x, i, a) => (x > a[best]! ? i : best), 0);

describe.skipIf(!AVAILABLE)(`int8 Keras Inception-v3 (real weights) against its f32 session${SKIP}`, () => {
  let f32: Session;
  const int8: Partial<Record<'minmax' | 'percentile', Session>> = {};
  const heldOut: string[] = [];

  beforeAll(async () => {
    const all = photos();
    const calibration = all.filter((_, i) => i % 2 === 0);
    heldOut.push(...all.filter((_, i) => i % 2 === 1));
    const imported = await importTfjs(MODEL_DIR, { logits: true });
    const inputs = await Promise.all(calibration.map(input));
    f32 = await createSession({ graph: imported.graph, weights: imported.weights, threads: 1 });
    for (const method of ['minmax', 'percentile'] as const) {
      int8[method] = await createSession({
        graph: imported.graph, weights: imported.weights, threads: 1, precision: 'int8', calibration: { inputs, layout: 'nchw', method },
      });
      expect(int8[method]!.info.precision).toBe('int8');
    }
  }, 240_000);

  afterAll(async () => {
    await f32?.dispose();
    for (const s of Object.values(int8)) await s.dispose();
  });

  it.each(['minmax', 'percentile'] as const)('calibration %s — held-out photos: same top-1 as f32, max |Δp| ≤ 0.03, logits SQNR ≥ 20 dB; weights ≤ 0.30× f32', async (method) => {
    const session = int8[method]!;
    let signal = 0;
    let noise = 0;
    let worstDp = 0;
    const rows: string[] = [];
    for (const path of heldOut) {
      const x = await input(path);
      const y = (await f32.run(x, { layout: 'nchw' })).logits;
      const q = (await session.run(x, { layout: 'nchw' })).logits;
      const p = softmax(y);
      const pq = softmax(q);
      const dp = Math.max(...Array.from(p, (v, i) => Math.abs(v - pq[i]!)));
      worstDp = Math.max(worstDp, dp);
      for (let i = 0; i < y.length; i++) {
        signal += y[i]! ** 2;
        noise += (y[i]! - q[i]!) ** 2;
      }
      rows.push(`${path}: top-1 f32 ${argmax(y)} int8 ${argmax(q)}, max |Δp| ${dp.toFixed(4)}`);
      expect(argmax(q), `${path}: f32 logits ${Array.from(y)}, int8 ${Array.from(q)}`).toBe(argmax(y));
    }
    const sqnr = 10 * Math.log10(signal / noise);
    const ratio = session.info.weightBytes / f32.info.weightBytes;
    console.log(`int8 (${method}) Keras v3 on ${heldOut.length} held-out photos: logits SQNR ${sqnr.toFixed(2)} dB, max |Δp| ${worstDp.toFixed(4)}, weight bytes ${session.info.weightBytes} / ${f32.info.weightBytes} = ${ratio.toFixed(3)}\n${rows.join('\n')}`);
    expect(worstDp).toBeLessThanOrEqual(0.03);
    expect(sqnr).toBeGreaterThanOrEqual(20);
    expect(ratio).toBeLessThanOrEqual(0.3);
  }, 240_000);
});
