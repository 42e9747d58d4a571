/**
 * A session over an ONNX model returns its graph output as the file declares it: 4-D feature maps
 * in NCHW order with the declared shape (the run's batch first), checked value for value against
 * onnxruntime-node on models built here. [N, F] outputs and 1×1 maps keep the flat path; TF.js
 * (Keras, channels-last) outputs stay NHWC with their NHWC shape.
 */
import { describe, expect, it } from 'vitest';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { createSession } from '../../src/session.js';
import { importTfjs } from '../../src/tfjs/import.js';
import { KerasFixture } from '../tfjs/keras-fixture.js';
import { OnnxModelBuilder, relativeMaxError, runOrt, seeded } from './helpers.js';

const BOUND = 1e-5;

interface Case {
  name: string;
  /** Per-image input [C, H, W]. */
  image: [number, number, number];
  /** Per-image output [C, H, W] or [F]. */
  out: number[];
  build: (b: OnnxModelBuilder) => void;
}

const conv = (b: OnnxModelBuilder, x: string, y: string, cin: number, cout: number, k: number, attrs: Record<string, number | number[]> = {}) =>
  b.node('Conv', [x, b.weight(`${y}.w`, [cout, cin, k, k]), b.weight(`${y}.b`, [cout])], [y], attrs);

const cases: Case[] = [
  { name: 'Relu [N,3,4,4]', image: [3, 4, 4], out: [3, 4, 4], build: (b) => b.node('Relu', ['x'], ['y']) },
  {
    name: 'Conv 3x3 pads 1, 3→5 channels, 6x7 (H ≠ W)', image: [3, 6, 7], out: [5, 6, 7],
    build: (b) => conv(b, 'x', 'y', 3, 5, 3, { pads: [1, 1, 1, 1] }),
  },
  {
    name: 'Conv → Relu → MaxPool 3x3 s2, 4→6 channels, 9x9 → 4x4', image: [4, 9, 9], out: [6, 4, 4],
    build: (b) => {
      conv(b, 'x', 'c', 4, 6, 1);
      b.node('Relu', ['c'], ['r']);
      b.node('MaxPool', ['r'], ['y'], { kernel_shape: [3, 3], strides: [2, 2] });
    },
  },
  {
    name: 'Concat of two convs (channel slices), 2+3 channels, 5x5', image: [3, 5, 5], out: [5, 5, 5],
    build: (b) => {
      conv(b, 'x', 'a', 3, 2, 1);
      conv(b, 'x', 'c', 3, 3, 3, { pads: [1, 1, 1, 1] });
      b.node('Concat', ['a', 'c'], ['y'], { axis: 1 });
    },
  },
  {
    name: 'GlobalAveragePool [N,4,1,1] (1x1 map: same order either way)', image: [4, 5, 5], out: [4, 1, 1],
    build: (b) => b.node('GlobalAveragePool', ['x'], ['y']),
  },
  {
    name: 'GlobalAveragePool → Flatten [N,4] (features)', image: [4, 5, 5], out: [4],
    build: (b) => (b.node('GlobalAveragePool', ['x'], ['g']), b.node('Flatten', ['g'], ['y'])),
  },
];

function model(c: Case): { bytes: Uint8Array; declared: (number | string)[] } {
  const b = new OnnxModelBuilder();
  b.input('x', ['batch', ...c.image]);
  c.build(b);
  const declared = ['batch', ...c.out];
  b.output('y', declared);
  return { bytes: b.bytes(), declared };
}

describe('ONNX graph outputs come back in the declared (NCHW) order and shape', () => {
  for (const c of cases) {
    for (const [planned, images] of [[1, 1], [2, 2], [2, 1]] as const) {
      it(`${c.name}: session planned for batch ${planned}, run on ${images}`, async () => {
        const { bytes } = model(c);
        const x = seeded(images * c.image.reduce((a, d) => a * d, 1), 7 + images);
        const expected = (await runOrt(bytes, 'x', x, [images, ...c.image])).get('y')!;
        const session = await createSession({ onnx: bytes, batch: planned, threads: 1 });
        try {
          const r = await session.run(x);
          expect(r.logits.length).toBe(expected.length);
          expect(relativeMaxError(r.logits, expected), 'max |ours − onnxruntime| / std').toBeLessThan(BOUND);
          expect(r.shape).toEqual([images, ...c.out]);
          expect(session.outputs[0].shape).toEqual([planned, ...c.out]);
        } finally {
          await session.dispose();
        }
      });
    }
  }

  it('the importer states each output layout: NCHW for a 4-D map, features for [N, F]', () => {
    expect(importOnnxBytes(model(cases[0]).bytes).outputs).toEqual([{ name: 'y', shape: [1, 3, 4, 4], layout: 'nchw' }]);
    expect(importOnnxBytes(model(cases[5]).bytes).outputs).toEqual([{ name: 'y', shape: [1, 4], layout: 'features' }]);
  });
});

describe('TF.js (Keras, channels-last) outputs stay NHWC', () => {
  it('a conv output [N,5,6,4] is returned as NHWC with its NHWC shape', async () => {
    const k = new KerasFixture(11);
    const y = k.conv('c', k.input('in', [7, 8, 3]), { filters: 4, kernel: 3 });
    const art = k.artifacts('float32', y);
    const x = seeded(2 * 7 * 8 * 3, 3);
    const m = await importTfjs({ modelJson: art.modelJson, weightData: art.weightData }, { batch: 2 });
    const reference = await createSession({ graph: m.graph, weights: m.weights, threads: 1, batch: 2 });
    const session = await createSession({ tfjs: { modelJson: art.modelJson, weightData: art.weightData }, batch: 2, threads: 1 });
    try {
      expect(session.outputs[0].shape).toEqual([2, 5, 6, 4]);
      const r = await session.run(x, { layout: 'nhwc' });
      expect(r.shape).toEqual([2, 5, 6, 4]);
      expect(r.logits).toEqual((await reference.run(x, { layout: 'nhwc' })).logits);
    } finally {
      await session.dispose();
      await reference.dispose();
    }
  });
});
