/**
 * What the importer refuses, and how: each case is a thrown Error whose message names the problem
 * (the node, op, attribute and supported set; or what the file really is). Then 200 seeded
 * mutations of a tiny exported model (truncations, byte flips, corrupted length varints) each
 * end in a clean import or an OnnxFormatError/OnnxImportError, in well under a second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pads } from '../../src/graph/geometry.js';
import { Graph } from '../../src/graph/graph.js';
import { seededWeights } from '../../src/inception/seeded-weights.js';
import { exportOnnx, graphToOnnxModel } from '../../src/onnx/export.js';
import { importOnnx, importOnnxBytes, type OnnxImportOptions } from '../../src/onnx/import.js';
import { encodeModel, type OnnxModel } from '../../src/onnx/onnx-proto.js';
import { ProtoReader, ProtoWriter, Wire } from '../../src/onnx/protobuf.js';
import { createSession } from '../../src/session.js';
import { mulberry32 } from '../../src/util/prng.js';
import { miniNetwork } from '../graph/mini.js';
import { f, OnnxModelBuilder } from './helpers.js';

/** A tiny network with most node kinds: ~2 KB of ONNX, mostly structure rather than weights. */
function tinyGraph(): Graph {
  const g = new Graph();
  const x = g.input('input', [1, 6, 7, 3]);
  const c = g.conv('conv', x, { outChannels: 4, kernelH: 3, kernelW: 3, padding: pads(1), weight: 'conv.w', bias: 'conv.b' });
  const bn = g.batchNorm('bn', c, { gamma: 'bn.g', beta: 'bn.b', mean: 'bn.m', var: 'bn.v', eps: 1e-3 });
  const p = g.maxPool('pool', g.relu('relu', bn), { kernelH: 3, kernelW: 3, strideH: 2, strideW: 2, ceilMode: true });
  const up = g.conv('up', p, { outChannels: 4, kernelH: 1, kernelW: 1, weight: 'up.w', bias: 'up.b' });
  const r = g.relu('res.relu', g.add('res', p, up, 0.17));
  const a = g.avgPool('avg', r, { kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding: pads(1), countIncludePad: false });
  const gap = g.globalAvgPool('gap', g.lrn('lrn', a, { size: 3, alpha: 1e-4, beta: 0.75, k: 1 }));
  g.markOutput(g.softmax('softmax', g.fc('fc', g.flatten('flatten', gap), { outFeatures: 3, weight: 'fc.w', bias: 'fc.b' })));
  return g;
}

const mini = miniNetwork(2, 33, 41);
const miniWeights = seededWeights(mini.weights);
const miniModel = () => graphToOnnxModel(mini, miniWeights);
const edit = (change: (m: OnnxModel) => void) => {
  const m = miniModel();
  change(m);
  return encodeModel(m);
};
const text = (s: string) => new TextEncoder().encode(s);

/** One-node models around an op, from the hand builder. */
function oneOp(opType: string, attrs: Parameters<OnnxModelBuilder['node']>[3], extraInputs: (b: OnnxModelBuilder) => string[] = () => [], opset = 13) {
  const b = new OnnxModelBuilder(opset);
  b.input('x', ['n', 4, 6, 6]);
  b.node(opType, ['x', ...extraInputs(b)], ['y'], attrs);
  b.output('y', ['n', 'c', 'h', 'w']);
  return b.bytes();
}

const cases: [label: string, source: () => Uint8Array, message: RegExp, options?: OnnxImportOptions][] = [
  ['unsupported op: an exported model with a Relu renamed Sin', () => edit((m) => (m.graph!.node.find((n) => n.opType === 'Relu')!.opType = 'Sin')),
    /ONNX node 'stem\.dw\.relu' \(Sin\): op 'Sin' is not supported; supported ops: Conv, BatchNormalization, Relu, Clip, MaxPool/],
  ['custom-domain op', () => edit((m) => (m.graph!.node[0].domain = 'com.microsoft')), /\(Conv\): domain 'com\.microsoft' is not supported/],
  ['Conv dilations [2, 2]', () => oneOp('Conv', { dilations: [2, 2] }, (b) => [b.weight('w', [2, 4, 3, 3])]),
    /ONNX node 'y' \(Conv\): attribute 'dilations' = \[2, 2\] is not supported; supported: \[1, 1\]/],
  ['Conv with an unknown attribute', () => oneOp('Conv', { foo: 1 }, (b) => [b.weight('w', [2, 4, 1, 1])]),
    /attribute 'foo' = 1 is not supported; supported attributes: auto_pad, dilations, group, kernel_shape, pads, strides/],
  ['Conv group 2 of 4 channels', () => oneOp('Conv', { group: 2 }, (b) => [b.weight('w', [4, 2, 1, 1])]),
    /attribute 'group' = 2 is not supported; supported: 1, or the input channels \(4\) for a depthwise conv/],
  ['Clip(6, 0) (min above max)', () => oneOp('Clip', {}, (b) => [b.weight('lo', [], Float32Array.of(6)), b.weight('hi', [], Float32Array.of(0))]),
    /ONNX node 'y' \(Clip\): Clip\(min 6, max 0\) has an empty or single-point range .*; supported: min < max/],
  ['Mul by a constant feeding a Relu (not a residual Add)', () => {
    const b = new OnnxModelBuilder();
    b.input('x', ['n', 4, 6, 6]);
    b.node('Mul', ['x', b.weight('s', [], Float32Array.of(0.5))], ['m']);
    b.node('Relu', ['m'], ['y']);
    return b.output('y', ['n', 'c', 'h', 'w']).bytes();
  }, /\(Relu\): it reads Mul 'm' \(× 0\.5\); a Mul by a constant is supported only as the residual x \+ c·y/],
  ['Mul of two tensors', () => oneOp('Mul', {}, () => ['x']), /Mul of two computed tensors is not supported/],
  ['Pad(0) before a MaxPool of a signed tensor', () => {
    const b = new OnnxModelBuilder();
    b.input('x', ['n', 4, 6, 6]);
    b.node('Pad', ['x', b.ints('p', [0, 0, 1, 1, 0, 0, 1, 1])], ['p']);
    b.node('MaxPool', ['p'], ['y'], { kernel_shape: [3, 3] });
    return b.output('y', ['n', 'c', 'h', 'w']).bytes();
  }, /the zero Pad 'p' before it cannot become MaxPool padding/],
  ['Pad in reflect mode', () => oneOp('Pad', { mode: 'reflect' }, (b) => [b.ints('p', [0, 0, 1, 1, 0, 0, 1, 1])]), /attribute 'mode' = 'reflect' is not supported; supported: 'constant'/],
  ['Pad feeding a Relu', () => {
    const b = new OnnxModelBuilder();
    b.input('x', ['n', 4, 6, 6]);
    b.node('Pad', ['x', b.ints('p', [0, 0, 1, 1, 0, 0, 1, 1])], ['p']);
    b.node('Relu', ['p'], ['y']);
    return b.output('y', ['n', 'c', 'h', 'w']).bytes();
  }, /\(Relu\): it reads the zero Pad 'p', which can only be folded into a following Conv, AveragePool or MaxPool/],
  ['Softmax over W (axis −1 of NCHW)', () => oneOp('Softmax', { axis: -1 }), /Softmax over axis -1 of \[2, 4, 6, 6\] is not supported/],
  ['Gemm transA 1', () => {
    const b = new OnnxModelBuilder();
    b.input('x', ['n', 4, 1, 1]);
    b.node('Flatten', ['x'], ['flat']);
    b.node('Gemm', ['flat', b.weight('w', [2, 3])], ['y'], { alpha: f(2), transA: 1 });
    return b.output('y', ['n', 'f']).bytes();
  }, /attribute 'transA' = 1 is not supported: A is the computed batch \[2, 4\], which the engine cannot transpose; supported: 0/],
  ['a node reading a tensor nobody produces', () => edit((m) => (m.graph!.node[1].input[0] = 'ghost')),
    /input 'ghost' is not produced by an earlier node, an initializer or a graph input/],
  ['free H/W without inputSize', () => edit((m) => (m.graph!.input[0].shape![2] = { param: 'h' })), /input 'input' has a free height \('h'\): pass inputSize/],
  ['fixed H/W and another inputSize', () => miniBytes(), /fixes height = 33 in the file, but inputSize asks for 35; pass allowResize: true/, { inputSize: 35 }],
  ['fixed batch 1 and batch 2', () => edit((m) => (m.graph!.input[0].shape![0] = { value: 1 })), /fixes batch = 1 in the file, but options.batch asks for 2/, { batch: 2 }],
  ['two graph inputs', () => edit((m) => m.graph!.input.push({ name: 'extra', elemType: 1, shape: [] })), /expected exactly one graph input \(an NCHW image batch\), got 2: 'input', 'extra'/],
  ['an INT64 input', () => edit((m) => (m.graph!.input[0].elemType = 7)), /input 'input' is INT64; supported: FLOAT/],
  ['no ai.onnx opset', () => edit((m) => (m.opsetImport = [])), /imports no ai\.onnx opset/],
  ['a conv weight with fewer values than its dims', () => edit((m) => (m.graph!.initializer[0].rawData = m.graph!.initializer[0].rawData!.subarray(4))),
    /ONNX node 'stem\.dw' \(Conv\): weight 'stem\.dw\.weight' of node 'stem\.dw': dims \[6, 1, 3, 3\] of FLOAT need 216 bytes, the tensor holds 212/],
  ['external data, model given as bytes', () => edit((m) => {
    const t = m.graph!.initializer[0];
    t.rawData = undefined;
    t.dataLocation = 1;
    t.externalData = [{ key: 'location', value: 'w.bin' }];
  }), /its data is stored outside the model in 'w\.bin'; import the model by its file path/],
  ['truncated file (first half)', () => miniBytes().subarray(0, Math.floor(miniBytes().length / 2)), /not a valid ONNX model \(truncated or corrupt, \d+ bytes\): ModelProto: field 7: length \d+ runs past the end of the message/],
  ['a Git LFS pointer', () => text('version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 26501698\n'),
    /not an ONNX model: the file is a Git LFS pointer \(\d+ bytes of text standing for 26501698 bytes\), not the model itself: run `git lfs pull`/],
  ['an HTML page', () => text('<!DOCTYPE html>\n<html><body>Sign in</body></html>'), /not an ONNX model: the file is an HTML\/XML page/],
  ['an empty file', () => new Uint8Array(0), /not an ONNX model: the file is empty \(0 bytes\)/],
  ['a JSON file', () => text('{"name": "googlenet_224"}'), /not an ONNX model: the file is JSON text/],
  ['JPEG bytes', () => Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46), /not (a valid|an) ONNX model/],
  ['a protobuf without a graph', () => new ProtoWriter().int(1, 7).finish(), /not an ONNX model: no graph \(ModelProto field 7\)/],
];

let miniCache: Uint8Array | undefined;
function miniBytes(): Uint8Array {
  return (miniCache ??= exportOnnx(mini, miniWeights));
}

describe('ONNX import errors name the problem', () => {
  for (const [label, source, message, options] of cases) {
    it(label, () => {
      const bytes = source();
      let error: unknown;
      try {
        importOnnxBytes(bytes, { batch: 2, ...options });
      } catch (e) {
        error = e;
      }
      expect(error, 'throws').toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
    });
  }

  const dir = mkdtempSync(join(tmpdir(), 'onnx-errors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('external data whose location leaves the model directory', async () => {
    const bytes = edit((m) => {
      const t = m.graph!.initializer[0];
      t.rawData = undefined;
      t.dataLocation = 1;
      t.externalData = [{ key: 'location', value: '../secret.bin' }];
    });
    await expect(importOnnx(bytes, { externalDataDir: dir, batch: 2 })).rejects.toThrow(/external data 'location' must be a relative path inside the model's folder: it has a '\.\.' segment/);
  });

  it('a missing model file', async () => {
    await expect(importOnnx(join(dir, 'absent.onnx'))).rejects.toThrow(/ONNX model '.*absent\.onnx': file not found/);
  });

  it('a wrong input length at run time', async () => {
    const model = importOnnxBytes(miniBytes(), { batch: 2 });
    const session = await createSession({ graph: model.graph, weights: model.weights, threads: 1, batch: 2 });
    try {
      await expect(session.run(new Float32Array(100))).rejects.toThrow(/input 'input': expected \[2,3,33,41\] \(8118 floats; or a multiple of 4059 up to batch 2\), got 100 floats/);
    } finally {
      await session.dispose();
    }
  });
});

/** Byte offsets of the length varints of every length-delimited field that parses as a message. */
function lengthOffsets(bytes: Uint8Array, start = 0, end = bytes.length, depth = 0): number[] {
  const out: number[] = [];
  const r = new ProtoReader(bytes, 'walk', start, end, depth);
  while (!r.done()) {
    const { wire } = r.tag();
    if (wire !== Wire.Bytes) {
      r.skip(wire);
      continue;
    }
    const at = r.pos;
    const body = r.bytes();
    out.push(at);
    try {
      out.push(...lengthOffsets(bytes, body.byteOffset - bytes.byteOffset, body.byteOffset - bytes.byteOffset + body.length, depth + 1));
    } catch {
      // a string or raw bytes, not a message
    }
  }
  return out;
}

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) (out.push((v % 128) | 0x80), (v = Math.floor(v / 128)));
  out.push(v);
  return out;
}

function mutate(bytes: Uint8Array, next: () => number, offsets: number[]): [kind: string, Uint8Array] {
  const pick = (n: number) => Math.floor(next() * n);
  const kind = pick(3);
  if (kind === 0) return ['truncation', bytes.slice(0, pick(bytes.length))];
  if (kind === 1) {
    const out = bytes.slice();
    const flips = 1 + pick(4);
    for (let i = 0; i < flips; i++) out[pick(out.length)] ^= 1 + pick(255);
    return ['byte flips', out];
  }
  const at = offsets[pick(offsets.length)];
  const old = new ProtoReader(bytes, 'm', at);
  const len = old.uint32();
  const choices = [len + 1, Math.max(len - 1, 0), len + 2 ** (1 + pick(30)), 0x7fffffff, pick(2 * len + 2), 0];
  const encoded = varint(choices[pick(choices.length)]);
  return ['length varint', Uint8Array.from([...bytes.subarray(0, at), ...encoded, ...bytes.subarray(old.pos)])];
}

describe('fuzz: 200 seeded mutations of a tiny exported model', () => {
  it('each mutation imports cleanly or throws OnnxFormatError / OnnxImportError, in < 1 s', () => {
    const g = tinyGraph();
    const original = exportOnnx(g, seededWeights(g.weights));
    expect(() => importOnnxBytes(original)).not.toThrow();
    const offsets = lengthOffsets(original);
    expect(offsets.length).toBeGreaterThan(50);
    const next = mulberry32(2024);
    const outcomes = new Map<string, number>();
    const unexpected: string[] = [];
    let slowestMs = 0;
    for (let i = 0; i < 200; i++) {
      const [kind, bytes] = mutate(original, next, offsets);
      const t0 = performance.now();
      let outcome = 'imported';
      try {
        importOnnxBytes(bytes);
      } catch (e) {
        outcome = e instanceof Error ? e.name : typeof e;
        if (!(e instanceof Error) || !['OnnxFormatError', 'OnnxImportError'].includes(e.name) || e.message.length < 20) {
          unexpected.push(`#${i} ${kind}: ${String(e instanceof Error ? `${e.name}: ${e.message}` : e)}`);
        }
      }
      slowestMs = Math.max(slowestMs, performance.now() - t0);
      outcomes.set(`${kind} → ${outcome}`, (outcomes.get(`${kind} → ${outcome}`) ?? 0) + 1);
    }
    console.log(`fuzz: ${original.length}-byte model, 200 mutations, slowest ${slowestMs.toFixed(1)} ms:`, Object.fromEntries([...outcomes].sort()));
    expect(unexpected, 'errors that are not a named ONNX error').toEqual([]);
    expect(slowestMs).toBeLessThan(1000);
    expect([...outcomes.keys()].some((k) => k.endsWith('imported'))).toBe(true);
  });
});
