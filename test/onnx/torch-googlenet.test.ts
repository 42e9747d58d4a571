/**
 * A real `torch.onnx.export` (../shared/fixtures/torch/googlenet_224.onnx: BatchNorm folded into
 * the Conv biases, generated initializer names such as `onnx::Conv_542`, dynamic batch, H/W fixed
 * to 224) imported and run against the float64 PyTorch logits of the same weights, with the
 * fixtures README's bound. The 96 and 80x112 fixtures share the weights, so the same file runs at
 * those sizes too once `allowResize` lets the input size differ from the file's.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { importOnnx } from '../../src/onnx/import.js';
import { compareToFixture, FIXTURES_SKIP_REASON, fixturePath, torchFixture } from '../helpers/fixtures.js';
import { BOUND, runOurs } from './helpers.js';

const FILE = fixturePath('torch/googlenet_224.onnx');
const PRESENT = existsSync(FILE);
const SKIP = PRESENT ? '' : FIXTURES_SKIP_REASON || ` (skipped: ${FILE} is absent)`;

describe.skipIf(!PRESENT)(`torch.onnx.export GoogLeNet → import → PyTorch float64 logits${SKIP}`, () => {
  const cases: [fixture: string, resized: boolean][] = [
    ['googlenet_224', false],
    ['googlenet_96', true],
    ['googlenet_80x112', true],
  ];
  for (const [name, resized] of cases) {
    it(`${name}${resized ? ' (the 224 file run at this size with allowResize)' : ''}: max |Δ| and item difference ≤ ${BOUND}·std`, async () => {
      const fixture = torchFixture(name);
      const [n, c, h, w] = fixture.input.shape;
      const model = await importOnnx(FILE, { batch: n, inputSize: [h, w], allowResize: resized });
      expect(model.inputs).toEqual([{ name: 'input', shape: [n, c, h, w], layout: 'nchw' }]);
      expect(model.outputs).toEqual([{ name: 'logits', shape: [n, 1000], layout: 'features' }]);
      const logits = await runOurs(model.graph, model.weights, seededInputNCHW(n, c, h, w));
      const err = compareToFixture(logits, fixture);
      expect(err.logits, 'max |ours − logits_f64| / std').toBeLessThan(BOUND);
      expect(err.itemDiff, 'max |Δ(item0 − item1)| / std').toBeLessThan(BOUND);
    });
  }

  it('imports as the folded export: 57 biased convs, no BatchNorm, 13 ceil-mode max pools, weights named by initializer', async () => {
    const model = await importOnnx(FILE);
    const count = (kind: string) => model.graph.nodes.filter((v) => v.kind === kind).length;
    expect([count('conv'), count('batchNorm'), count('relu'), count('maxPool'), count('concat'), count('fc')]).toEqual([57, 0, 57, 13, 9, 1]);
    expect(model.graph.nodes.filter((v) => v.kind === 'conv').every((v) => v.kind === 'conv' && v.bias !== undefined)).toBe(true);
    expect(model.graph.nodes.filter((v) => v.kind === 'maxPool').every((v) => v.kind === 'maxPool' && v.ceilMode)).toBe(true);
    expect(model.weights.size).toBe(116);
    expect([...model.weights.keys()].some((k) => k.startsWith('onnx::Conv_'))).toBe(true);
    expect(model.inputs[0].shape).toEqual([1, 3, 224, 224]);
    expect(model.producer).toMatch(/pytorch/);
  });

  it('the file fixes H/W to 224: inputSize 96 without allowResize is refused with the fix', async () => {
    await expect(importOnnx(FILE, { inputSize: 96 })).rejects.toThrow(/fixes height = 224 in the file, but inputSize asks for 96; pass allowResize: true/);
  });
});
