/**
 * `precision` and `calibration` option errors: each bad combination or value rejects
 * `createSession` with a message naming the option and the problem. The valid forms are shown
 * to work (so a rejection is not from something else), and `calibration.layout` is shown to be
 * honoured: the same images given NHWC calibrate exactly as given NCHW.
 */
import { describe, expect, it } from 'vitest';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession, type SessionOptions } from '../../src/session.js';
import { concatGraph } from './small-graphs.js';

const { g } = concatGraph();
const weights = seededWeights(g.weights, 5);
const [, H, W, C] = g.shape(g.inputs[0]);
const image = () => seededInputNCHW(1, C, H, W, 3);
const base: SessionOptions = { graph: g, weights, threads: 1 };

function nchwToNhwc(x: Float32Array): Float32Array {
  const y = new Float32Array(x.length);
  for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) y[p * C + c] = x[c * H * W + p];
  return y;
}

async function rejects(extra: Record<string, unknown>, message: RegExp): Promise<void> {
  await expect(createSession({ ...base, ...extra } as SessionOptions)).rejects.toThrow(message);
}

describe('int8 session options', () => {
  it('precision and calibration go together', async () => {
    await rejects({ precision: 'int8' }, /precision 'int8' needs `calibration: \{ inputs \}`/);
    await rejects({ calibration: { inputs: [image()] } }, /`calibration` is for precision 'int8'/);
    await rejects({ precision: 'f32', calibration: { inputs: [image()] } }, /`calibration` is for precision 'int8'/);
  });

  it('precision must be f32 or int8', async () => {
    await rejects({ precision: 'int16', calibration: { inputs: [image()] } }, /precision must be one of 'f32', 'int8'; got 'int16'/);
    await rejects({ precision: 8 }, /precision must be one of 'f32', 'int8'; got 8/);
  });

  it('calibration.inputs: a non-empty array of Float32Arrays', async () => {
    const shape = /calibration\.inputs must be a non-empty array of Float32Arrays/;
    await rejects({ precision: 'int8', calibration: { inputs: [] } }, shape);
    await rejects({ precision: 'int8', calibration: {} }, shape);
    // A wrong element is named by its index and type.
    await rejects({ precision: 'int8', calibration: { inputs: [Array.from(image())] } }, /calibration\.inputs\[0\] must be a Float32Array shaped like run\(\)'s input, got \[object Array\]/);
    await rejects({ precision: 'int8', calibration: { inputs: [new Float64Array(image())] } }, /calibration\.inputs\[0\] must be a Float32Array .*got \[object Float64Array\]/);
    await rejects({ precision: 'int8', calibration: { inputs: [image(), 'x'] } }, /calibration\.inputs\[1\] must be a Float32Array .*got \[object String\]/);
    // One image rather than an array of them.
    await rejects({ precision: 'int8', calibration: { inputs: image() } }, shape);
    await rejects({ precision: 'int8', calibration: [image()] }, /calibration takes an options object/);
  });

  it('calibration.inputs[i] must be shaped like run()\'s input', async () => {
    const planned = `\\[1,${C},${H},${W}\\]`;
    await rejects(
      { precision: 'int8', calibration: { inputs: [image(), new Float32Array(7)] } },
      new RegExp(`calibration\\.inputs\\[1\\]: input 'input': expected ${planned} .*got 7 floats`),
    );
    // Two images for a batch-1 session.
    await rejects(
      { precision: 'int8', calibration: { inputs: [new Float32Array(2 * C * H * W)] } },
      new RegExp(`calibration\\.inputs\\[0\\]: input 'input': expected ${planned} .*got ${2 * C * H * W} floats`),
    );
  });

  it('calibration takes only inputs and layout, layout nchw or nhwc', async () => {
    await rejects({ precision: 'int8', calibration: { inputs: [image()], layuot: 'nhwc' } }, /unknown option 'layuot' of calibration; did you mean 'layout'\?/);
    await rejects({ precision: 'int8', calibration: { inputs: [image()], layout: 'NCHW' } }, /calibration\.layout must be 'nchw' or 'nhwc', got 'NCHW'/);
  });

  it('a non-finite calibration value names the input and the index', async () => {
    const nan = image();
    nan[5] = NaN;
    await rejects({ precision: 'int8', calibration: { inputs: [nan] } }, /calibration\.inputs\[0\]: .*non-finite value \(NaN\) at index 5; calibration inputs must be finite$/);
    const inf = image();
    inf[9] = -Infinity;
    await rejects({ precision: 'int8', calibration: { inputs: [image(), inf] } }, /calibration\.inputs\[1\]: .*non-finite value \(-Infinity\) at index 9/);
  });

  it('valid options work, and NHWC calibration of the same images gives the same program', async () => {
    const images = [1, 2].map((seed) => seededInputNCHW(1, C, H, W, seed));
    const input = seededInputNCHW(1, C, H, W, 7);
    const outputs: Float32Array[] = [];
    for (const calibration of [{ inputs: images }, { inputs: images, layout: 'nchw' as const }, { inputs: images.map(nchwToNhwc), layout: 'nhwc' as const }]) {
      const s = await createSession({ ...base, precision: 'int8', calibration });
      try {
        expect(s.info.precision).toBe('int8');
        outputs.push((await s.run(input)).logits);
      } finally {
        await s.dispose();
      }
    }
    const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
    expect(bits(outputs[1]), 'explicit nchw = default').toEqual(bits(outputs[0]));
    expect(bits(outputs[2]), 'nhwc calibration = nchw calibration of the same images').toEqual(bits(outputs[0]));
    // The layout is read, not ignored: NCHW data declared NHWC calibrates other ranges.
    const s = await createSession({ ...base, precision: 'int8', calibration: { inputs: images, layout: 'nhwc' } });
    try {
      expect(bits((await s.run(input)).logits), 'mislabelled layout changes the program').not.toEqual(bits(outputs[0]));
    } finally {
      await s.dispose();
    }
  });
});
