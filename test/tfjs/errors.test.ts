/**
 * Every refusal of the TF.js importer is a `TfjsImportError` whose message names the file, layer
 * or weight and the problem; and the file-based loader reads shards relative to model.json, in
 * manifest order across groups.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTfjs, TfjsImportError, type TfjsImportOptions } from '../../src/tfjs/import.js';
import { KerasFixture, type Artifacts } from './keras-fixture.js';

type Json = Artifacts['modelJson'];
type LayerJson = { name: string; class_name: string; config: Record<string, unknown>; inbound_nodes: unknown[] };

function base(): Artifacts {
  const k = new KerasFixture(11);
  k.input('input_1', [8, 8, 3]);
  const x = k.activation('act', k.batchNorm('bn', k.conv('conv', 'input_1', { filters: 4, kernel: 3 }), { scale: false }), 'relu');
  return k.artifacts('float32', k.dense('fc', k.gap('gap', x), { units: 3, activation: 'softmax' }), 256);
}

const layersOf = (j: Json) => (j.modelTopology.model_config as { config: { layers: LayerJson[]; input_layers: unknown[]; output_layers: unknown[] } }).config;
const layer = (j: Json, name: string) => layersOf(j).layers.find((l) => l.name === name)!;
const weightsOf = (j: Json) => j.weightsManifest[0]!.weights;

type Case = [name: string, mutate: (a: { json: Json; data: Uint8Array; text?: string; options: TfjsImportOptions }) => void, message: RegExp];

const memoryCases: Case[] = [
  ['model.json is a Git LFS pointer', (a) => { a.text = 'version https://git-lfs.github.com/spec/v1\noid sha256:ab12\nsize 197452\n'; }, /model\.json: this is a Git LFS pointer.*git lfs pull/],
  ['model.json is an HTML error page', (a) => { a.text = '<!DOCTYPE html><html><body>404</body></html>'; }, /model\.json: this is an HTML\/XML page/],
  ['model.json truncated', (a) => { a.text = JSON.stringify(a.json).slice(0, 300); }, /model\.json: not valid JSON .*truncated or corrupted/],
  ['format graph-model over a Keras topology', (a) => { a.json.format = 'graph-model'; }, /'modelTopology\.node' must be the GraphDef's array of nodes/],
  ['no model topology', (a) => { (a.json as Partial<Json>).modelTopology = undefined; }, /'modelTopology' must be a JSON object, got nothing/],
  ['unknown layer class', (a) => { layer(a.json, 'conv').class_name = 'SeparableConv2D'; }, /layer 'conv' \(SeparableConv2D\): layer class 'SeparableConv2D' is not supported \(supported: InputLayer, Conv2D/],
  ['a layer class named like an Object method', (a) => { layer(a.json, 'act').class_name = 'toString'; }, /layer 'act' \(toString\): layer class 'toString' is not supported/],
  ['Conv2D dilation 2', (a) => { layer(a.json, 'conv').config.dilation_rate = [2, 2]; }, /layer 'conv' \(Conv2D\): 'dilation_rate' an array of 2 is not supported \(only 1\)/],
  ['Conv2D padding causal', (a) => { layer(a.json, 'conv').config.padding = 'causal'; }, /'padding' "causal" is not supported \('same', 'valid' are\)/],
  ['Conv2D channels_first', (a) => { layer(a.json, 'conv').config.data_format = 'channels_first'; }, /'data_format' "channels_first" is not supported/],
  ['Conv2D groups 2', (a) => { layer(a.json, 'conv').config.groups = 2; }, /'groups' 2 is not supported/],
  ['activation tanh', (a) => { layer(a.json, 'act').config.activation = 'tanh'; }, /layer 'act' \(Activation\): 'activation' "tanh" is not supported \('linear', 'relu', 'relu6', 'softmax' are\)/],
  ['BatchNormalization over axis 1', (a) => { layer(a.json, 'bn').config.axis = 1; }, /layer 'bn' \(BatchNormalization\): 'axis' 1 is not supported/],
  ['kernel_size not a pair', (a) => { layer(a.json, 'conv').config.kernel_size = [3, 3, 3]; }, /'kernel_size' must be a positive integer or a pair of them, got an array of 3/],
  ['Lambda that is not the residual', (a) => {
    Object.assign(layer(a.json, 'act'), { class_name: 'Lambda', config: { name: 'act', function: ['xyz', null, null], arguments: {} } });
  }, /layer 'act' \(Lambda\): a Lambda layer holds Python code that cannot be read.*CustomScaleLayer/],
  ['InputLayer without a fixed size', (a) => { layer(a.json, 'input_1').config.batch_input_shape = [null, null, null, 3]; }, /input height is null; pass inputSize/],
  ['softmax on a feature map', (a) => { layer(a.json, 'act').config.activation = 'softmax'; }, /softmax is supported on \[N, classes\] only, got \[1, 6, 6, 4\]/],
  ['weight missing from the manifest', (a) => {
    weightsOf(a.json).splice(1, 1); // conv/bias: 4 floats after the 3·3·3·4 kernel
    a.data = new Uint8Array([...a.data.subarray(0, 432), ...a.data.subarray(448)]);
  }, /layer 'conv' \(Conv2D\): weight 'conv\/bias' is not in the weights manifest/],
  ['weight of the wrong shape', (a) => { weightsOf(a.json)[0]!.shape = [3, 3, 4, 3]; }, /weight 'conv\/kernel' has shape \[3, 3, 4, 3\], the layer needs \[3, 3, 3, 4\]/],
  ['weight no layer uses', (a) => { layer(a.json, 'bn').config.center = false; }, /1 weight\(s\) of the manifest belong to no supported layer: 'bn\/beta'/],
  ['int32 weight', (a) => { weightsOf(a.json)[1]!.dtype = 'int32'; }, /weights\[1\] \('conv\/bias'\): dtype "int32" is not supported/],
  ['uint8 quantisation without scale', (a) => { weightsOf(a.json)[1]!.quantization = { dtype: 'uint8', min: 0 }; }, /uint8 quantization needs finite numbers 'min' and 'scale'/],
  ['int4 quantisation', (a) => { weightsOf(a.json)[1]!.quantization = { dtype: 'int4' }; }, /quantization dtype "int4" is not supported/],
  ['weight data one byte short', (a) => { a.data = a.data.subarray(0, a.data.length - 1); }, /weight data holds \d+ bytes, the weightsManifest describes \d+/],
  ['weight data one byte long', (a) => { a.data = new Uint8Array(a.data.length + 1); }, /weight data holds \d+ bytes, the weightsManifest describes \d+/],
  ['a weight listed twice', (a) => { weightsOf(a.json).push({ ...weightsOf(a.json)[1]! }); }, /weight 'conv\/bias' is listed twice/],
  ['shared layer (two calls)', (a) => { layer(a.json, 'act').inbound_nodes.push([['bn', 0, 0, {}]]); }, /layer 'act' is called 2 times \(a shared layer\)/],
  ['Keras 3 inbound nodes', (a) => { layer(a.json, 'act').inbound_nodes = [{ args: [], kwargs: {} }]; }, /Keras 3 config/],
  ['input from an unknown layer', (a) => { layer(a.json, 'act').inbound_nodes = [[['nope', 0, 0, {}]]]; }, /layer 'act' takes its input from 'nope', which is not a layer of the model/],
  ['a cycle', (a) => { layer(a.json, 'conv').inbound_nodes = [[['act', 0, 0, {}]]]; }, /the layers 'conv', 'bn', 'act', 'gap', 'fc' form a cycle/],
  ['two model inputs', (a) => { layersOf(a.json).input_layers.push(['input_1', 0, 0]); }, /the model has 2 inputs; one image input is supported/],
  ['nested model', (a) => { layer(a.json, 'act').class_name = 'Functional'; }, /layer 'act' is a nested Functional/],
  ['logits without a final softmax', (a) => { layer(a.json, 'fc').config.activation = 'linear'; a.options.logits = true; }, /logits were requested but the output layer 'fc' does not end in a softmax/],
  ['bad batch option', (a) => { a.options.batch = 0; }, /batch must be a positive integer, got 0/],
  ['decoded weights beyond maxWeightBytes', (a) => { a.options.maxWeightBytes = 100; }, /describes \d+ bytes of float32 weights, more than maxWeightBytes \(100\)/],
];

describe('TfjsImportError for each problem (in-memory artifacts)', () => {
  for (const [name, mutate, message] of memoryCases) {
    it(name, async () => {
      const art = base();
      const a = { json: structuredClone(art.modelJson), data: art.weightData, options: {} as TfjsImportOptions } as Parameters<Case[1]>[0];
      mutate(a);
      const error = await importTfjs({ modelJson: a.text ?? a.json, weightData: a.data }, a.options).then(() => undefined, (e: unknown) => e);
      expect(error, 'must throw').toBeInstanceOf(TfjsImportError);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('the unmutated base loads (so each case above fails for its own reason)', async () => {
    const art = base();
    const m = await importTfjs({ modelJson: JSON.stringify(art.modelJson), weightData: art.weightData.slice().buffer });
    expect(m.classes).toBe(3);
  });

  it('an InputLayer without a fixed size builds at the inputSize given', async () => {
    const art = base();
    layer(art.modelJson, 'input_1').config.batch_input_shape = [null, null, null, 3];
    const m = await importTfjs({ modelJson: art.modelJson, weightData: art.weightData }, { inputSize: [11, 9], batch: 2 });
    expect(m.inputs).toEqual([{ name: 'input_1', shape: [2, 11, 9, 3] }]);
  });
});

describe('model.json and shards from files', () => {
  let dir: string;
  const art = base();

  async function writeModel(folder: string, json: Json, shards: (Uint8Array | string)[]): Promise<string> {
    await mkdir(folder, { recursive: true });
    const paths = json.weightsManifest.flatMap((g) => g.paths);
    await Promise.all(shards.map((s, i) => writeFile(join(folder, paths[i]!), s)));
    await writeFile(join(folder, 'model.json'), JSON.stringify(json));
    return join(folder, 'model.json');
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tfjs-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads from model.json or its folder, identical to the in-memory import', async () => {
    expect(art.shards.length).toBeGreaterThan(1);
    const path = await writeModel(join(dir, 'ok'), art.modelJson, art.shards);
    const fromMemory = await importTfjs({ modelJson: art.modelJson, weightData: art.weightData });
    for (const source of [path, join(dir, 'ok')]) {
      const fromFile = await importTfjs(source);
      expect([...fromFile.weights.keys()]).toEqual([...fromMemory.weights.keys()]);
      for (const [name, w] of fromMemory.weights) expect(Array.from(fromFile.weights.get(name)!), name).toEqual(Array.from(w));
    }
  });

  it('two manifest groups, shards in a subfolder: concatenated in manifest order', async () => {
    const json = structuredClone(art.modelJson);
    const weights = json.weightsManifest[0]!.weights;
    const split = 3;
    const bytes = weights.slice(0, split).reduce((s, w) => s + 4 * (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
    json.weightsManifest = [
      { paths: ['w/a.bin'], weights: weights.slice(0, split) },
      { paths: ['w/b1.bin', 'w/b2.bin'], weights: weights.slice(split) },
    ];
    const d = art.weightData;
    const rest = d.subarray(bytes);
    await mkdir(join(dir, 'groups', 'w'), { recursive: true });
    const path = await writeModel(join(dir, 'groups'), json, [d.subarray(0, bytes), rest.subarray(0, 10), rest.subarray(10)]);
    const m = await importTfjs(path);
    const reference = await importTfjs({ modelJson: art.modelJson, weightData: art.weightData });
    for (const [name, w] of reference.weights) expect(Array.from(m.weights.get(name)!), name).toEqual(Array.from(w));
  });

  const fileCases: [name: string, shards: (s: Uint8Array[]) => (Uint8Array | string | undefined)[], message: RegExp][] = [
    ['a missing shard', (s) => [s[0], undefined, ...s.slice(2)], /weightsManifest\[0\]\.paths\[1\] 'group1-shard2of\d' is not found in the model's folder/],
    ['a truncated shard', (s) => [s[0], s[1]!.subarray(0, 100), ...s.slice(2)], /weightsManifest\[0\] describes \d+ bytes of weights but its shards hold \d+ \(group1-shard1of\d: 256, group1-shard2of\d: 100.*truncated or missing data/],
    ['a shard too long', (s) => [...s.slice(0, -1), new Uint8Array(300)], /shards hold \d+ .*too long/],
    ['a Git LFS pointer shard', (s) => [s[0], 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 256\n', ...s.slice(2)], /weight shard 'group1-shard2of\d' \(weightsManifest\[0\] of .*model\.json\) is a Git LFS pointer/],
    ['an HTML shard', (s) => [s[0], '<html><head><title>Not Found</title></head></html>', ...s.slice(2)], /weight shard 'group1-shard2of\d' .* is an HTML\/XML page/],
  ];
  fileCases.forEach(([name, shards, message], i) => {
    it(name, async () => {
      const folder = join(dir, `case${i}`);
      const list = shards(art.shards);
      await mkdir(folder, { recursive: true });
      const paths = art.modelJson.weightsManifest[0]!.paths;
      await Promise.all(list.map((s, j) => (s === undefined ? undefined : writeFile(join(folder, paths[j]!), s))));
      await writeFile(join(folder, 'model.json'), JSON.stringify(art.modelJson));
      const error = await importTfjs(join(folder, 'model.json')).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(TfjsImportError);
      expect((error as Error).message).toMatch(message);
    });
  });

  it('a missing model.json', async () => {
    await expect(importTfjs(join(dir, 'nowhere', 'model.json'))).rejects.toThrow(/nowhere\/model\.json: file not found/);
  });
});
