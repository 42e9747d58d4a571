/**
 * `inspectModel` on ONNX files the tests build, judged against the importer itself (the oracle):
 * the unsupported set is exactly what the importer rejects, one node at a time (each rejected node
 * is replaced by an Identity and the import retried until it passes), and the parameter counts
 * equal graphCost of the graph the importer builds. Nothing here hard-codes which ops are
 * supported: the ONNX importer's table changes, and the verdicts must follow it.
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { graphCost } from '../../src/graph/cost.js';
import { buildNetwork } from '../../src/inception/models.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { inspectModel } from '../../src/inspect/index.js';
import { exportOnnx } from '../../src/onnx/export.js';
import { importOnnx, importOnnxBytes } from '../../src/onnx/import.js';
import { createSession } from '../../src/session.js';
import { float32Tensor } from '../../src/onnx/tensor.js';
import { DataType, decodeModel, encodeModel, type OnnxModel, type OnnxTensor } from '../../src/onnx/onnx-proto.js';
import { f, OnnxModelBuilder, seeded } from '../onnx/helpers.js';

const UNSUPPORTED = /^ONNX node '(.*)' \((.*)\): (?:op '.*' is not supported|op '.*' is supported only on constants|domain '.*' is not supported)/;

/**
 * The importer's verdict, node by node: import; when it rejects a node's op (or domain), record
 * it, make that node an Identity of its first input and import again. Ends when the import passes
 * or fails for another reason (returned as `other`).
 */
function importerRejections(bytes: Uint8Array): { rejected: { node: string; op: string }[]; other?: string } {
  const model = decodeModel(bytes);
  const rejected: { node: string; op: string }[] = [];
  for (let round = 0; round <= model.graph!.node.length; round++) {
    try {
      importOnnxBytes(encodeModel(model));
      return { rejected };
    } catch (e) {
      const m = UNSUPPORTED.exec((e as Error).message);
      if (m === null) return { rejected, other: (e as Error).message };
      rejected.push({ node: m[1]!, op: m[2]! });
      const index = model.graph!.node.findIndex((n, i) => (n.name !== '' ? n.name : `${n.opType}_${i}`) === m[1]);
      const n = model.graph!.node[index]!;
      model.graph!.node[index] = { ...n, name: n.name !== '' ? n.name : `${n.opType}_${index}`, opType: 'Identity', domain: '', input: [n.input[0]!], attribute: [] };
    }
  }
  throw new Error('the importer kept rejecting');
}

async function expectAgreement(bytes: Uint8Array): Promise<void> {
  const report = await inspectModel(bytes);
  const verdict = importerRejections(bytes);
  expect(verdict.other).toBeUndefined();
  expect(report.supportChecked).toBe(true);
  expect(report.unsupported.map((u) => ({ node: u.node, op: u.op }))).toEqual(verdict.rejected);
}

/** conv → (ops) → global pool → flatten → gemm; `between` adds nodes reading 'c' and writing 'm'. */
function convNet(opset: number, between: (b: OnnxModelBuilder) => void): OnnxModelBuilder {
  const b = new OnnxModelBuilder(opset).input('x', ['N', 3, 8, 8]).output('y', ['N', 5]);
  b.node('Conv', ['x', b.weight('w', [4, 3, 3, 3]), b.weight('cb', [4])], ['c'], { pads: [1, 1, 1, 1] });
  between(b);
  b.node('GlobalAveragePool', ['m'], ['g']).node('Flatten', ['g'], ['fl']);
  b.node('Gemm', ['fl', b.weight('fw', [5, 4]), b.weight('fb', [5])], ['y'], { transB: 1 });
  return b;
}

describe('ONNX: the unsupported set is what the importer rejects', () => {
  it('a supported model: the importer accepts and inspect lists nothing', async () => {
    const bytes = convNet(13, (b) => b.node('Relu', ['c'], ['m'])).bytes();
    expect(() => importOnnxBytes(bytes)).not.toThrow();
    await expectAgreement(bytes);
    expect((await inspectModel(bytes)).unsupported).toEqual([]);
  });

  it('elementwise ops and a foreign-domain op on the data path: all of them listed, with node names, in file order', async () => {
    const bytes = convNet(13, (b) => {
      b.node('Sin', ['c'], ['s'], {}, 'the_sine');
      b.node('Elu', ['s'], ['e'], {}, '');
      b.nodes.push({ name: 'custom', opType: 'Swish', domain: 'com.example', input: ['e'], output: ['m'], attribute: [] });
    }).bytes();
    await expectAgreement(bytes);
    const report = await inspectModel(bytes);
    expect(report.unsupported.length).toBeGreaterThanOrEqual(1);
    expect(report.unsupported.find((u) => u.node === 'custom')).toEqual({ op: 'Swish', node: 'custom', domain: 'com.example' });
  });

  it('an op the importer evaluates only at load, used on the data path: listed with the reason', async () => {
    const bytes = convNet(13, (b) => {
      b.node('Constant', [], ['two'], { value: float32Tensor('', [], Float32Array.of(2)) });
      b.node('Div', ['c', 'two'], ['m'], {}, 'halve');
    }).bytes();
    await expectAgreement(bytes);
    const [u] = (await inspectModel(bytes)).unsupported;
    if (u?.reason !== undefined) expect(u.reason).toMatch(/computed from the image/);
  });

  for (const opset of [9, 11, 13, 17]) {
    it(`the shape subgraph torch writes for x.view(x.size(0), -1), opset ${opset}`, async () => {
      const b = new OnnxModelBuilder(opset).input('x', ['batch', 3, 8, 8]).output('y', ['batch', 5]);
      b.node('Conv', ['x', b.weight('w', [4, 3, 3, 3])], ['c'], { pads: [1, 1, 1, 1] });
      b.node('GlobalAveragePool', ['c'], ['g']);
      b.node('Shape', ['g'], ['/Shape_output_0'], {}, '/Shape');
      b.node('Constant', [], ['/Constant_output_0'], { value: { ...b.initializers[0]!, name: '', dims: [], dataType: DataType.INT64, rawData: undefined, floatData: undefined, int64Data: [0] } as OnnxTensor }, '/Constant');
      b.node('Gather', ['/Shape_output_0', '/Constant_output_0'], ['/Gather_output_0'], { axis: 0 }, '/Gather');
      if (opset >= 13) {
        b.ints('axes0', [0]);
        b.node('Unsqueeze', ['/Gather_output_0', 'axes0'], ['/Unsqueeze_output_0'], {}, '/Unsqueeze');
      } else {
        b.node('Unsqueeze', ['/Gather_output_0'], ['/Unsqueeze_output_0'], { axes: [0] }, '/Unsqueeze');
      }
      b.ints('minus1', [-1]);
      b.node('Concat', ['/Unsqueeze_output_0', 'minus1'], ['/Concat_output_0'], { axis: 0 }, '/Concat');
      b.node('Reshape', ['g', '/Concat_output_0'], ['/Reshape_output_0'], {}, '/Reshape');
      b.node('Gemm', ['/Reshape_output_0', b.weight('fw', [5, 4]), b.weight('fb', [5])], ['y'], { transB: 1 }, '/fc/Gemm');
      await expectAgreement(b.bytes());
    });
  }

  it('a node that leads to no output is skipped by the importer, so it is counted as unused, not listed', async () => {
    const bytes = convNet(13, (b) => {
      b.node('Relu', ['c'], ['m']);
      b.node('Sin', ['c'], ['dead'], {}, 'dead_sine');
    }).bytes();
    expect(() => importOnnxBytes(bytes)).not.toThrow();
    const report = await inspectModel(bytes);
    expect(report.unsupported).toEqual([]);
    expect(report.unusedNodes).toBe(1);
    expect(report.ops.find((o) => o.op === 'Sin')?.count).toBe(1);
    expect(report.nodes).toBe(decodeModel(bytes).graph!.node.length);
  });
});

describe('a load that fails points at inspect', () => {
  it('createSession({ onnx }) rejects with the importer error and the inspect command for that file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inspect-hint-'));
    try {
      const file = join(dir, 'sine.onnx');
      writeFileSync(file, convNet(13, (b) => b.node('Sin', ['c'], ['m'], {}, 'the_sine')).bytes());
      const error = await createSession({ onnx: file, threads: 1 }).then(() => undefined, (e: Error) => e);
      expect(error?.name).toBe('OnnxImportError');
      expect(error?.message).toContain(`run \`npx inception-wasm inspect ${file}\` for the whole list`);
      const fromBytes = await createSession({ onnx: readFileSync(file), threads: 1 }).then(() => undefined, (e: Error) => e);
      expect(fromBytes?.message).toContain('inspect <file>');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ONNX: what the report says about the file', () => {
  it('format, producer, opset, IR, inputs and outputs with named free dimensions, op histogram', async () => {
    const b = convNet(11, (x) => x.node('Relu', ['c'], ['m']));
    b.inputs[0]!.shape![2] = {};
    const model: OnnxModel = { ...b.model(), producerName: 'pytorch', producerVersion: '2.1.0', irVersion: 6 };
    const report = await inspectModel(encodeModel(model));
    expect(report).toMatchObject({
      format: 'onnx', producer: 'pytorch 2.1.0', opset: 11, irVersion: 6,
      inputs: [{ name: 'x', dtype: 'FLOAT', shape: ['N', 3, '?', 8] }],
      outputs: [{ name: 'y', dtype: 'FLOAT', shape: ['N', 5] }],
    });
    const counts = new Map<string, number>();
    for (const n of model.graph!.node) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
    expect(new Map(report.ops.map((o) => [o.op, o.count]))).toEqual(counts);
    expect(report.ops.map((o) => o.count)).toEqual([...report.ops.map((o) => o.count)].sort((x, y) => y - x));
  });

  it('parameters of a hand-built model (conv bias, BN, MatMul + Add, a scalar Mul) equal graphCost of the imported graph', async () => {
    const b = new OnnxModelBuilder(13).input('x', [1, 3, 8, 8]).output('y', [1, 6]);
    b.node('Conv', ['x', b.weight('w', [4, 3, 3, 3]), b.weight('cb', [4])], ['c'], { pads: [1, 1, 1, 1] });
    const variance = Float32Array.from(seeded(4, 9), (v) => 1 + Math.abs(v));
    b.node('BatchNormalization', ['c', b.weight('s', [4]), b.weight('bb', [4]), b.weight('mean', [4]), b.weight('var', [4], variance)], ['n'], { epsilon: f(1e-3) });
    b.node('Constant', [], ['half'], { value: float32Tensor('', [], Float32Array.of(0.5)) }).node('Mul', ['n', 'half'], ['nh']).node('Add', ['n', 'nh'], ['h']);
    b.node('Relu', ['h'], ['r']).node('GlobalAveragePool', ['r'], ['g']).node('Flatten', ['g'], ['fl']);
    b.node('MatMul', ['fl', b.weight('mw', [4, 6])], ['mm']).node('Add', ['mm', b.weight('ab', [6])], ['y']);
    const bytes = b.bytes();
    const cost = graphCost(importOnnxBytes(bytes).graph);
    const report = await inspectModel(bytes);
    expect(report.parameters.count).toBe(cost.params);
    expect(report.parameters.bnStats).toBe(cost.bnStats);
    // Stored: the parameters, the statistics and the one scalar constant (0.5), all float32.
    const stored = cost.params + cost.bnStats + 1;
    expect(report.parameters.byDtype).toEqual([{ dtype: 'FLOAT', elements: stored, bytes: 4 * stored }]);
    expect(report.parameters.bytes).toBe(4 * stored);
  });

  for (const [model, variant, size] of [['googlenet', 'torchvision', 96], ['inception_v2', undefined, 96], ['inception_resnet_v1', undefined, 107]] as const) {
    it(`${model}: exported with exportOnnx, every op supported and the parameter counts equal graphCost (file and re-import)`, async () => {
      const g = buildNetwork(model, { ...(variant ? { variant } : {}), inputSize: size });
      const bytes = exportOnnx(g, seededWeights(g.weights));
      const report = await inspectModel(bytes);
      await expectAgreement(bytes);
      expect(report.unsupported).toEqual([]);
      const built = graphCost(g);
      const imported = graphCost(importOnnxBytes(bytes).graph);
      expect(report.parameters.count).toBe(imported.params);
      expect(report.parameters.bnStats).toBe(imported.bnStats);
      expect(report.parameters.count).toBeGreaterThanOrEqual(built.params);
      expect(report.inputs).toEqual([{ name: 'input', dtype: 'FLOAT', shape: ['batch', 3, size, size] }]);
    });
  }
});

describe('ONNX: external data files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'inspect-onnx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A conv model whose weight `w` [4, 3, 3, 3] lives in `location` (offset, length as given). */
  function externalModel(location: string, extra: { key: string; value: string }[] = []): Uint8Array {
    const b = convNet(13, (x) => x.node('Relu', ['c'], ['m']));
    const w = b.initializers.find((t) => t.name === 'w')!;
    Object.assign(w, { floatData: undefined, rawData: undefined, dataLocation: 1, externalData: [{ key: 'location', value: location }, ...extra] });
    return b.bytes();
  }
  const needed = 4 * 4 * 3 * 3 * 3;

  it('inside and the right size: ok, with its size; the importer loads it', async () => {
    const folder = mkdtempSync(join(dir, 'ok-'));
    writeFileSync(join(folder, 'm.onnx'), externalModel('weights.bin'));
    writeFileSync(join(folder, 'weights.bin'), new Uint8Array(needed));
    const report = await inspectModel(join(folder, 'm.onnx'));
    expect(report.externalFiles).toEqual([{ path: 'weights.bin', referencedBy: "initializer 'w'", status: 'ok', size: needed, expectedBytes: needed }]);
    await expect(importOnnx(join(folder, 'm.onnx'))).resolves.toBeDefined();
  });

  it('missing, wrong size, an escaping path and a link out of the folder: each reported, no outside size; the importer refuses each', async () => {
    const outside = mkdtempSync(join(dir, 'outside-'));
    writeFileSync(join(outside, 'secret.bin'), new Uint8Array(needed));
    const cases = [
      { location: 'absent.bin', status: 'missing', setUp: () => {} },
      { location: 'short.bin', status: 'wrong-size', setUp: (f: string) => writeFileSync(join(f, 'short.bin'), new Uint8Array(needed - 4)) },
      { location: `../${outside.split('/').pop()}/secret.bin`, status: 'outside', setUp: () => {} },
      { location: join(outside, 'secret.bin'), status: 'outside', setUp: () => {} },
      { location: 'link.bin', status: 'outside', setUp: (f: string) => symlinkSync(join(outside, 'secret.bin'), join(f, 'link.bin')) },
    ] as const;
    for (const c of cases) {
      const folder = mkdtempSync(join(dir, 'case-'));
      c.setUp(folder);
      const file = join(folder, 'm.onnx');
      writeFileSync(file, externalModel(c.location));
      const [entry] = (await inspectModel(file)).externalFiles;
      expect(entry, c.location).toMatchObject({ path: c.location, status: c.status });
      if (c.status === 'outside') {
        expect(entry!.size).toBeUndefined();
        expect(entry!.detail).toMatch(/^outside the model folder/);
      }
      if (c.status === 'wrong-size') expect(entry).toMatchObject({ size: needed - 4, expectedBytes: needed });
      await expect(importOnnx(file), c.location).rejects.toThrow();
    }
  });

  it('given as bytes: listed, not looked for (an escaping path is still called outside)', async () => {
    const report = await inspectModel(externalModel('weights.bin', [{ key: 'offset', value: '8' }]));
    expect(report.externalFiles).toEqual([expect.objectContaining({ path: 'weights.bin', status: 'not-checked', expectedBytes: 8 + needed })]);
    expect((await inspectModel(externalModel('/etc/passwd'))).externalFiles[0]).toMatchObject({ status: 'outside' });
  });
});
