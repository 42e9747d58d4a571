/**
 * The exporter's file layout and the node kinds the network round trips do not reach
 * (adaptiveAvgPool, BN without γ/β, several outputs), its errors, and the `export` CLI command.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportCommand } from '../../src/commands/export.js';
import { UsageError } from '../../src/commands/command.js';
import { Graph } from '../../src/graph/graph.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { importOnnx } from '../../src/onnx/import.js';
import { decodeModel } from '../../src/onnx/onnx-proto.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { miniNetwork } from '../graph/mini.js';
import { relativeMaxError, runOrt, runOurs, seeded } from './helpers.js';

describe('exported file layout', () => {
  const g = miniNetwork(2, 33, 41);
  const weights = seededWeights(g.weights);
  const model = decodeModel(exportOnnx(g, weights));

  it('IR 7, opset 13, input [batch, 3, H, W], output logits [batch, 10]', () => {
    expect(model.irVersion).toBe(7);
    expect(model.opsetImport).toEqual([{ domain: '', version: 13 }]);
    expect(model.graph!.input).toEqual([{ name: 'input', elemType: 1, shape: [{ param: 'batch' }, { value: 3 }, { value: 33 }, { value: 41 }] }]);
    expect(model.graph!.output).toEqual([{ name: 'logits', elemType: 1, shape: [{ param: 'batch' }, { value: 10 }] }]);
  });

  it('initializers are the weights, by name, in declaration order, as float32 raw_data', () => {
    const inits = model.graph!.initializer;
    expect(inits.map((t) => t.name)).toEqual(g.weights.map((w) => w.name));
    for (const [i, t] of inits.entries()) {
      expect(t.dims).toEqual(g.weights[i].shape);
      expect(t.rawData, t.name).toBeDefined();
      expect(tensorToFloat32(t, t.name)).toEqual(weights.get(t.name));
    }
  });

  it('standard ops only; the residual add(x, y, 0.17) is Constant · Mul → Add', () => {
    const ops = new Set(model.graph!.node.map((n) => n.opType));
    expect([...ops].sort()).toEqual(['Add', 'AveragePool', 'BatchNormalization', 'Concat', 'Constant', 'Conv', 'Flatten', 'Gemm', 'GlobalAveragePool', 'LRN', 'MaxPool', 'Mul', 'Relu', 'Softmax']);
    const add = model.graph!.node.find((n) => n.opType === 'Add')!;
    const mul = model.graph!.node.find((n) => n.output[0] === add.input[1])!;
    expect(mul.opType).toBe('Mul');
    const scale = model.graph!.node.find((n) => n.output[0] === mul.input[1])!;
    expect(tensorToFloat32(scale.attribute[0].t!, 'scale')).toEqual(Float32Array.of(0.17));
  });
});

describe('exporter: the rarer node kinds against onnxruntime', () => {
  it('BatchNorm without γ and β (tf-slim) exports ones/zeros initializers', async () => {
    const g = new Graph();
    const x = g.input('input', [2, 5, 6, 3]);
    const c = g.conv('conv', x, { outChannels: 4, kernelH: 3, kernelW: 3, padding: 'same', weight: 'conv/weights' });
    g.markOutput(g.relu('relu', g.batchNorm('bn', c, { mean: 'bn/moving_mean', var: 'bn/moving_variance', eps: 1e-3 })));
    const w = seededWeights(g.weights);
    const bytes = exportOnnx(g, w);
    expect(decodeModel(bytes).graph!.initializer.map((t) => t.name)).toEqual(['conv/weights', 'bn/moving_mean', 'bn/moving_variance', 'bn.scale', 'bn.bias']);
    const input = seeded(2 * 3 * 5 * 6, 3);
    const reference = (await runOrt(bytes, 'input', input, [2, 3, 5, 6])).get('logits')!;
    const ours = await runOurs(g, w, input);
    const nchw = new Float32Array(ours.length);
    for (let n = 0; n < 2; n++) for (let p = 0; p < 30; p++) for (let k = 0; k < 4; k++) nchw[n * 120 + k * 30 + p] = ours[n * 120 + p * 4 + k];
    expect(relativeMaxError(nchw, reference)).toBeLessThan(1e-5);
  });

  it('adaptiveAvgPool 8x6 → 4x3 exports as AveragePool 2x2/2 (block means)', async () => {
    const g = new Graph();
    g.markOutput(g.adaptiveAvgPool('pool', g.input('input', [1, 8, 6, 2]), 4, 3));
    const input = seeded(2 * 8 * 6, 9);
    const out = (await runOrt(exportOnnx(g, new Map()), 'input', input, [1, 2, 8, 6])).get('logits')!;
    const expected = new Float32Array(2 * 4 * 3);
    for (let c = 0; c < 2; c++) for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let di = 0; di < 2; di++) for (let dj = 0; dj < 2; dj++) s += input[c * 48 + (2 * i + di) * 6 + 2 * j + dj];
      expected[c * 12 + i * 3 + j] = s / 4;
    }
    expect(relativeMaxError(out, expected)).toBeLessThan(1e-6);
  });

  it('a graph with two outputs: logits first, the second under its node name', async () => {
    const g = new Graph();
    const x = g.input('input', [1, 4, 4, 3]);
    const pooled = g.globalAvgPool('gap', x);
    g.markOutput(g.fc('fc', g.flatten('flatten', pooled), { outFeatures: 2, weight: 'fc.w' }));
    g.markOutput(pooled);
    const outputs = await runOrt(exportOnnx(g, seededWeights(g.weights)), 'input', seeded(48, 1), [1, 3, 4, 4]);
    expect([...outputs.keys()].sort()).toEqual(['gap', 'logits']);
    expect(outputs.get('gap')!.length).toBe(3);
  });

  const errors: [label: string, build: () => Uint8Array, message: RegExp][] = [
    ['adaptiveAvgPool 14 → 4 (torchvision aux at 224)', () => {
      const g = new Graph();
      g.markOutput(g.adaptiveAvgPool('aux.pool', g.input('input', [1, 14, 14, 8]), 4, 4));
      return exportOnnx(g, new Map());
    }, /adaptiveAvgPool 'aux\.pool': 14x14 → 4x4 has no ONNX equivalent/],
    ['a weight missing from the map', () => {
      const g = miniNetwork(1, 17, 17);
      const w = seededWeights(g.weights);
      w.delete('fc.bias');
      return exportOnnx(g, w);
    }, /weight 'fc\.bias' \[10\] is missing from the weights/],
    ['a weight of the wrong length', () => {
      const g = miniNetwork(1, 17, 17);
      const w = seededWeights(g.weights);
      w.set('fc.bias', new Float32Array(3));
      return exportOnnx(g, w);
    }, /weight 'fc\.bias' has 3 values, expected \[10\] = 10/],
  ];
  for (const [label, build, message] of errors) it(`refuses ${label}`, () => expect(build).toThrow(message));
});

describe('CLI: inception-wasm export', () => {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('export --model googlenet --size 31 --out f.onnx writes a file that imports back', async () => {
    const out = join(dir, 'googlenet.onnx');
    await exportCommand.run({ model: 'googlenet', size: '31', out }, []);
    const model = await importOnnx(out);
    expect(model.inputs).toEqual([{ name: 'input', shape: [1, 3, 31, 31], layout: 'nchw' }]);
    expect(model.outputs).toEqual([{ name: 'logits', shape: [1, 1000], layout: 'features' }]);
    expect(decodeModel(readFileSync(out)).graph!.input[0].shape![0]).toEqual({ param: 'batch' });
  });

  const usage: [label: string, values: Record<string, string>, message: RegExp][] = [
    ['no --out', { model: 'googlenet' }, /--out <file\.onnx \| folder> is required/],
    ['--weights other than seeded', { model: 'googlenet', out: join(dir, 'x.onnx'), weights: 'imagenet' }, /--weights 'imagenet' is not supported; only 'seeded'/],
    ['an unknown model', { model: 'resnet50', out: join(dir, 'x.onnx') }, /--model 'resnet50' is unknown/],
  ];
  for (const [label, values, message] of usage) {
    it(`UsageError: ${label}`, async () => {
      const run = exportCommand.run(values, []);
      await expect(run).rejects.toBeInstanceOf(UsageError);
      await expect(run).rejects.toThrow(message);
    });
  }
});
