/**
 * Int8 against f32 for every registry network with seeded weights: packed weight bytes of both
 * sessions and their ratio, and the logits' SQNR (10·log10 Σy² / Σ(y − ŷ)², y = f32 logits,
 * ŷ = int8) over held-out seeded inputs, calibration on other seeded inputs. Seeded weights are
 * random, so SQNR here measures the quantisation scheme on these shapes, not accuracy (the
 * real-network check is test/tfjs/keras-v3-int8.test.ts).
 *
 *   npx tsx scripts/int8-report.ts [--size px] [--calibration n] [--held-out n] [network …]
 */

import { parseArgs } from 'node:util';
import { MODELS, type ModelName } from '../src/inception/models.js';
import { seededInputNCHW } from '../src/inception/seeded-weights.js';
import { createSession } from '../src/session.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { size: { type: 'string' }, calibration: { type: 'string', default: '4' }, 'held-out': { type: 'string', default: '4' } },
});
const models = (positionals.length > 0 ? positionals : Object.keys(MODELS)) as ModelName[];
const calibrationCount = Number(values.calibration);
const heldOutCount = Number(values['held-out']);

console.log('| network | input | f32 weight bytes | int8 weight bytes | int8 / f32 | logits SQNR (dB) | top-1 agree |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const model of models) {
  const inputSize = values.size !== undefined ? Number(values.size) : undefined;
  const f32 = await createSession({ model, weights: 'seeded', inputSize, threads: 1 });
  const [n, c, h, w] = f32.info.inputShape as [number, number, number, number];
  const calibration = Array.from({ length: calibrationCount }, (_, i) => seededInputNCHW(n, c, h, w, 1 + i));
  const int8 = await createSession({ model, weights: 'seeded', inputSize, threads: 1, precision: 'int8', calibration: { inputs: calibration } });
  let signal = 0;
  let noise = 0;
  let agree = 0;
  for (let i = 0; i < heldOutCount; i++) {
    const x = seededInputNCHW(n, c, h, w, 1000 + i);
    const y = (await f32.run(x)).logits;
    const q = (await int8.run(x)).logits;
    for (let j = 0; j < y.length; j++) {
      signal += y[j]! ** 2;
      noise += (y[j]! - q[j]!) ** 2;
    }
    const top = (v: Float32Array) => v.indexOf(Math.max(...v));
    if (top(y) === top(q)) agree++;
  }
  const sqnr = 10 * Math.log10(signal / noise);
  console.log(
    `| ${model} | ${h}×${w} | ${f32.info.weightBytes} | ${int8.info.weightBytes} | ${(int8.info.weightBytes / f32.info.weightBytes).toFixed(3)} | ${sqnr.toFixed(1)} | ${agree}/${heldOutCount} |`,
  );
  await f32.dispose();
  await int8.dispose();
}
