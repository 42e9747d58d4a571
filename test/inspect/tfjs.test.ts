/**
 * `inspectModel` on TF.js models the tests write (KerasFixture layers models; a hand-written
 * graph model), judged against the importer: it accepts ⇔ nothing is listed, a layer it rejects
 * is listed, parameters equal graphCost of the graph it builds; shards inside / missing / outside.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { graphCost } from '../../src/graph/cost.js';
import { inspectModel } from '../../src/inspect/index.js';
import { Graph } from '../../src/graph/graph.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { exportGraphModel, GRAPH_MODEL_SHARD } from '../../src/tfjs/export-graph-model.js';
import { importTfjs } from '../../src/tfjs/import.js';
import { KerasFixture, type Artifacts, type WeightDtype } from '../tfjs/keras-fixture.js';

const root = mkdtempSync(join(tmpdir(), 'inspect-tfjs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function smallNet(dtype: WeightDtype): Artifacts {
  const k = new KerasFixture(3);
  const x = k.input('input_1', [9, 9, 3]);
  const c = k.activation('relu1', k.batchNorm('bn1', k.conv('conv1', x, { filters: 4, kernel: 3, padding: 'same', useBias: false }), { scale: false }), 'relu');
  const p = k.pool('max', 'pool1', c, { pool: 3, strides: 2, padding: 'valid' });
  const y = k.dense('fc', k.gap('gap', p), { units: 5, activation: 'softmax' });
  return k.artifacts(dtype, y, 64);
}

/** Writes model.json and its shards into a new folder; returns model.json's path. */
function write(art: Artifacts, edit: (json: Artifacts['modelJson'], folder: string) => void = () => {}): string {
  const folder = mkdtempSync(join(root, 'm-'));
  art.shards.forEach((s, i) => writeFileSync(join(folder, art.modelJson.weightsManifest[0]!.paths[i]!), s));
  const json = structuredClone(art.modelJson);
  edit(json, folder);
  writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
  return join(folder, 'model.json');
}

describe('TF.js layers models', () => {
  for (const dtype of ['float32', 'uint8'] as const) {
    it(`${dtype}: accepted by the importer, nothing listed; parameters equal graphCost; shards inside and complete`, async () => {
      const art = smallNet(dtype);
      const file = write(art);
      const imported = await importTfjs(file);
      const cost = graphCost(imported.graph);
      const report = await inspectModel(file);
      expect(report).toMatchObject({
        file, format: 'tfjs-layers', supportChecked: true, unsupported: [],
        inputs: [{ name: 'input_1', dtype: 'float32', shape: ['?', 9, 9, 3] }],
        outputs: [{ name: 'fc', shape: ['?', 5] }],
      });
      expect(report.parameters.count).toBe(cost.params);
      expect(report.parameters.bnStats).toBe(cost.bnStats);
      expect(report.parameters.byDtype).toEqual([{ dtype, elements: cost.params + cost.bnStats, bytes: art.weightData.length }]);
      expect(report.externalFiles.length).toBe(art.shards.length);
      expect(report.externalFiles.map((f) => [f.status, f.size])).toEqual(art.shards.map((s) => ['ok', s.length]));
      expect(report.ops.find((o) => o.op === 'Conv2D')?.count).toBe(1);
      // The same from the folder, and from the bytes (then shards are not looked for).
      expect((await inspectModel(join(file, '..'))).parameters).toEqual(report.parameters);
      const fromBytes = await inspectModel(new TextEncoder().encode(JSON.stringify(art.modelJson)));
      expect(fromBytes.externalFiles.every((f) => f.status === 'not-checked')).toBe(true);
    });
  }

  it('layers the importer does not build: the one it rejects first is listed, and every other', async () => {
    const art = smallNet('float32');
    const file = write(art, (json) => {
      const layers = (json.modelTopology.model_config as { config: { layers: { class_name: string; name: string }[] } }).config.layers;
      layers.find((l) => l.name === 'relu1')!.class_name = 'LeakyReLU';
      layers.find((l) => l.name === 'pool1')!.class_name = 'FractionalMaxPooling2D';
    });
    const error = await importTfjs(file).then(() => undefined, (e: Error) => e);
    const rejected = /layer '(.*)' \((.*)\): layer class/.exec(error?.message ?? '');
    expect(rejected, error?.message).not.toBeNull();
    const report = await inspectModel(file);
    expect(report.unsupported).toContainEqual({ node: rejected![1], op: rejected![2] });
    expect(report.unsupported).toEqual([{ node: 'relu1', op: 'LeakyReLU' }, { node: 'pool1', op: 'FractionalMaxPooling2D' }]);
  });

  it('shards: missing, wrong size, outside by path and by link — reported without outside sizes, and the importer refuses each', async () => {
    const art = smallNet('float32');
    const outside = mkdtempSync(join(root, 'outside-'));
    writeFileSync(join(outside, 'secret.bin'), art.shards[0]!);
    const cases: [string, (json: Artifacts['modelJson'], folder: string) => void, string][] = [
      ['missing', (json) => (json.weightsManifest[0]!.paths[0] = 'gone.bin'), 'missing'],
      ['short', (_json, folder) => writeFileSync(join(folder, _json.weightsManifest[0]!.paths[1]!), new Uint8Array(3)), 'wrong-size'],
      ['dotdot', (json) => (json.weightsManifest[0]!.paths[0] = `../${outside.split('/').pop()}/secret.bin`), 'outside'],
      ['absolute', (json) => (json.weightsManifest[0]!.paths[0] = join(outside, 'secret.bin')), 'outside'],
      ['link', (json, folder) => {
        symlinkSync(join(outside, 'secret.bin'), join(folder, 'link.bin'));
        json.weightsManifest[0]!.paths[0] = 'link.bin';
      }, 'outside'],
      ['directory', (json, folder) => {
        mkdirSync(join(folder, 'dir.bin'));
        json.weightsManifest[0]!.paths[0] = 'dir.bin';
      }, 'unreadable'],
    ];
    for (const [name, edit, status] of cases) {
      const file = write(art, edit);
      const report = await inspectModel(file);
      const bad = report.externalFiles.filter((f) => f.status !== 'ok');
      expect(bad.length, name).toBeGreaterThan(0);
      expect(bad.every((f) => f.status === status), name).toBe(true);
      if (status === 'outside') expect(bad.every((f) => f.size === undefined && /outside the model folder/.test(f.detail ?? '')), name).toBe(true);
      await expect(importTfjs(file), name).rejects.toThrow();
    }
  });
});

describe('TF.js graph models', () => {
  it('format, producer, signature shapes with free dimensions, op histogram, weights; every op supported', async () => {
    const folder = mkdtempSync(join(root, 'g-'));
    const node = (name: string, op: string, input: string[] = []) => ({ name, op, input, attr: {} });
    const json = {
      format: 'graph-model', generatedBy: '2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: {
        node: [node('x', 'Placeholder'), node('w', 'Const'), node('b', 'Const'), node('conv', '_FusedConv2D', ['x', 'w', 'b']), node('relu', 'Relu', ['conv']), node('Identity', 'Identity', ['relu'])],
        versions: { producer: 1 },
      },
      signature: {
        inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '8' }, { size: '8' }, { size: '3' }] } } },
        outputs: { y: { name: 'Identity:0', dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '-1' }, { size: '8' }, { size: '8' }, { size: '4' }] } } },
      },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [{ name: 'w', shape: [3, 3, 3, 4], dtype: 'float32' }, { name: 'b', shape: [4], dtype: 'float32', quantization: { dtype: 'float16' } }] }],
    };
    writeFileSync(join(folder, 'model.json'), JSON.stringify(json));
    writeFileSync(join(folder, 'group1-shard1of1.bin'), new Uint8Array(4 * 108 + 2 * 4));
    const report = await inspectModel(join(folder, 'model.json'));
    expect(report).toMatchObject({
      format: 'tfjs-graph', producer: '2.15.0; TensorFlow.js Converter v4.22.0', supportChecked: true, unsupported: [],
      inputs: [{ name: 'x:0', dtype: 'float32', shape: ['?', 8, 8, 3] }],
      outputs: [{ name: 'Identity:0', dtype: 'float32', shape: ['?', 8, 8, 4] }],
      nodes: 6,
      parameters: { count: 112, bnStats: 0, bytes: 440 },
      externalFiles: [{ path: 'group1-shard1of1.bin', status: 'ok', size: 440, expectedBytes: 440, group: 0 }],
    });
    expect(report.ops.find((o) => o.op === 'Const')?.count).toBe(2);
  });

  it('the unsupported ops listed are exactly those the importer rejects, over the nodes the outputs use', async () => {
    const folder = mkdtempSync(join(root, 'g-'));
    const g = new Graph();
    const x = g.input('x', [1, 8, 8, 3]);
    const y = g.globalAvgPool('gap', g.relu('relu', g.conv('conv', x, { outChannels: 4, kernelH: 3, kernelW: 3, padding: 'same', weight: 'conv.weight', bias: 'conv.bias' })));
    g.markOutput(g.flatten('flat', y));
    const art = exportGraphModel(g, seededWeights(g.weights));
    writeFileSync(join(folder, GRAPH_MODEL_SHARD), art.weightData);
    const accepted = join(folder, 'model.json');
    writeFileSync(accepted, JSON.stringify(art.modelJson));
    await importTfjs(accepted);
    expect(await inspectModel(accepted)).toMatchObject({ supportChecked: true, unsupported: [], unusedNodes: 0 });

    // The same file with a Relu6 and then an Erf after the conv, and a node no output uses: the
    // Relu6 is supported, so only the Erf is listed (and the importer names it).
    const json = structuredClone(art.modelJson) as { modelTopology: { node: { name: string; op: string; input: string[]; attr: object }[] } };
    const nodes = json.modelTopology.node;
    const conv = nodes.find((n) => n.op === '_FusedConv2D')!;
    const consumer = nodes.find((n) => n.input.includes(conv.name))!;
    nodes.push({ name: 'relu6_of_conv', op: 'Relu6', input: [conv.name], attr: {} });
    nodes.push({ name: 'erf_of_relu6', op: 'Erf', input: ['relu6_of_conv'], attr: {} });
    consumer.input = consumer.input.map((i) => (i === conv.name ? 'erf_of_relu6' : i));
    nodes.push({ name: 'dangling', op: 'Sigmoid', input: [conv.name], attr: {} });
    const rejected = join(folder, 'erf.json');
    writeFileSync(rejected, JSON.stringify({ ...json, weightsManifest: (art.modelJson as { weightsManifest: unknown }).weightsManifest }));
    await expect(importTfjs(rejected)).rejects.toThrow(/node 'erf_of_relu6': op 'Erf' is not supported/);
    const report = await inspectModel(rejected);
    expect(report.unsupported).toEqual([{ op: 'Erf', node: 'erf_of_relu6' }]);
    expect(report.unusedNodes).toBe(1);
  });
});
