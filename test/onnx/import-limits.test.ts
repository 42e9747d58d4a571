/**
 * The ONNX importer against files built to make it run away: a weight shared by thousands of nodes
 * (decoded once, counted against `maxWeightBytes` / the session's `maxMemoryBytes` before anything
 * is allocated), node counts beyond the stated bound, names and chains that would cost quadratic
 * time or deep recursion, and integer attributes beyond what the kernels' 32-bit ints hold.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ONNX_NODES } from '../../src/onnx/import-context.js';
import { importOnnxBytes, OnnxImportError } from '../../src/onnx/import.js';
import { createSession } from '../../src/session.js';
import { OnnxModelBuilder, type AttrValue } from './helpers.js';

/** `count` 3×3 Convs in a chain, all reading the one weight 'W' [channels, channels, 3, 3]. */
function sharedWeightChain(count: number, channels: number): Uint8Array {
  const b = new OnnxModelBuilder();
  b.input('x', [1, channels, 4, 4]);
  b.weight('W', [channels, channels, 3, 3], undefined, 0.01);
  let prev = 'x';
  for (let i = 0; i < count; i++) {
    b.node('Conv', [prev, 'W'], [`c${i}`], { pads: [1, 1, 1, 1] });
    prev = `c${i}`;
  }
  b.output(prev, [1, channels, 4, 4]);
  return b.bytes();
}

const MiB = 1 << 20;

describe('ONNX import: weights are decoded once and counted against a budget', () => {
  // 2,000 Convs sharing one 576 KiB weight: 1.1 GiB if every use decoded its own copy.
  const bytes = sharedWeightChain(2000, 128);
  const weightBytes = 128 * 128 * 9 * 4;

  it('a weight shared by 2,000 Convs is one Float32Array, and the import allocates about one copy', () => {
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const imported = importOnnxBytes(bytes, { maxWeightBytes: 2000 * weightBytes });
    const ms = performance.now() - t0;
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(imported.graph.nodes.filter((n) => n.kind === 'conv')).toHaveLength(2000);
    expect(imported.weights.size).toBe(2000);
    expect(new Set(imported.weights.values()).size, 'distinct weight arrays').toBe(1);
    expect(grown, 'array-buffer bytes the import added').toBeLessThan(8 * weightBytes);
    expect(ms, 'import time (ms)').toBeLessThan(5000);
  });

  it('uses beyond maxWeightBytes fail before decoding, naming the budget and the fix', () => {
    const before = process.memoryUsage().arrayBuffers;
    expect(() => importOnnxBytes(bytes, { maxWeightBytes: 64 * MiB })).toThrow(
      /^ONNX node 'c\d+' \(Conv\): weight 'W' takes the model's weights past maxWeightBytes = 67108864 bytes .*raise maxMemoryBytes/,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * weightBytes);
  });

  it('a session with maxMemoryBytes rejects the file at import, quickly and without allocating its copies', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const t0 = performance.now();
    const error = await createSession({ onnx: bytes, maxMemoryBytes: 256 * MiB, threads: 1 }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(OnnxImportError);
    expect((error as Error).message).toMatch(/maxWeightBytes = 268435456 bytes/);
    expect(performance.now() - t0, 'ms').toBeLessThan(5000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * weightBytes);
  });

  it('maxWeightBytes must be a positive integer', () => {
    expect(() => importOnnxBytes(bytes, { maxWeightBytes: -1 })).toThrow(/maxWeightBytes must be a positive integer/);
  });
});

describe('ONNX import: node counts and graph shapes cannot make the import run away', () => {
  it(`more than ${MAX_ONNX_NODES} nodes is an error stating the bound`, () => {
    const b = new OnnxModelBuilder();
    b.input('x', [1, 1, 2, 2]);
    let prev = 'x';
    for (let i = 0; i <= MAX_ONNX_NODES; i++) (b.node('Identity', [prev], [`i${i}`]), (prev = `i${i}`));
    b.output(prev, [1, 1, 2, 2]);
    expect(() => importOnnxBytes(b.bytes())).toThrow(new RegExp(`has ${MAX_ONNX_NODES + 1} nodes; at most ${MAX_ONNX_NODES} are supported`));
  });

  it('20,000 nodes that all share one name import in linear time', () => {
    const b = new OnnxModelBuilder();
    b.input('x', [1, 1, 2, 2]);
    let prev = 'x';
    for (let i = 0; i < 20000; i++) (b.node('Relu', [prev], [`r${i}`], {}, 'same'), (prev = `r${i}`));
    b.output(prev, [1, 1, 2, 2]);
    const bytes = b.bytes();
    const t0 = performance.now();
    const imported = importOnnxBytes(bytes);
    expect(imported.graph.nodes).toHaveLength(20001);
    expect(performance.now() - t0, 'ms').toBeLessThan(2000);
  });

  it('a zero Pad before a MaxPool at the end of a 30,000-pool chain: no deep recursion', () => {
    const b = new OnnxModelBuilder();
    b.input('x', [1, 1, 2, 2]);
    b.node('Relu', ['x'], ['r']);
    let prev = 'r';
    for (let i = 0; i < 30000; i++) (b.node('MaxPool', [prev], [`m${i}`], { kernel_shape: [1, 1] }), (prev = `m${i}`));
    b.node('Pad', [prev, b.ints('pads', [0, 0, 1, 1, 0, 0, 1, 1])], ['p']);
    b.node('MaxPool', ['p'], ['y'], { kernel_shape: [3, 3] });
    b.output('y', [1, 1, 2, 2]);
    expect(importOnnxBytes(b.bytes()).graph.nodes.at(-1)!.kind).toBe('maxPool');
  });

  it('a zero Pad before a MaxPool after 32 nested Concats of one map: each value is visited once', () => {
    // Each Concat reads the pool below it twice: walking inputs without memory visits 2^32 paths.
    const b = new OnnxModelBuilder();
    b.input('x', [1, 1, 2, 2]);
    b.node('Relu', ['x'], ['c0']);
    for (let i = 1; i <= 32; i++) {
      b.node('MaxPool', [`c${i - 1}`], [`m${i}`], { kernel_shape: [1, 1] });
      b.node('Concat', [`m${i}`, `m${i}`], [`c${i}`], { axis: 1 });
    }
    b.node('Pad', ['c32', b.ints('pads', [0, 0, 1, 1, 0, 0, 1, 1])], ['p']);
    b.node('MaxPool', ['p'], ['y'], { kernel_shape: [3, 3] });
    b.output('y', [1, 2 ** 32, 2, 2]);
    const t0 = performance.now();
    expect(importOnnxBytes(b.bytes()).graph.nodes.at(-1)!.kind).toBe('maxPool');
    expect(performance.now() - t0, 'ms').toBeLessThan(2000);
  });
});

describe('ONNX import: integer attributes are range-checked (the kernels take 32-bit ints)', () => {
  const big = [2 ** 32 + 3, 2 ** 40, 2 ** 31, -(2 ** 31) - 1];
  const cases: [op: string, attr: string, attrs: (v: number) => Record<string, AttrValue>, inputs: (b: OnnxModelBuilder) => string[]][] = [
    ['LRN', 'size', (v) => ({ size: v }), () => ['x']],
    ['Conv', 'strides', (v) => ({ strides: [v, 1] }), (b) => ['x', b.weight('w', [2, 3, 1, 1])]],
    ['Conv', 'pads', (v) => ({ pads: [0, v, 0, 0] }), (b) => ['x', b.weight('w', [2, 3, 1, 1])]],
    ['Conv', 'dilations', (v) => ({ dilations: [1, v] }), (b) => ['x', b.weight('w', [2, 3, 1, 1])]],
    ['Conv', 'group', (v) => ({ group: v }), (b) => ['x', b.weight('w', [2, 3, 1, 1])]],
    ['MaxPool', 'kernel_shape', (v) => ({ kernel_shape: [v, 3] }), () => ['x']],
    ['AveragePool', 'strides', (v) => ({ kernel_shape: [2, 2], strides: [1, v] }), () => ['x']],
    ['AveragePool', 'count_include_pad', (v) => ({ kernel_shape: [2, 2], count_include_pad: v }), () => ['x']],
    ['Concat', 'axis', (v) => ({ axis: v }), () => ['x', 'x']],
    ['Softmax', 'axis', (v) => ({ axis: v }), () => ['x']],
    ['Flatten', 'axis', (v) => ({ axis: v }), () => ['x']],
  ];
  for (const [op, attr, attrs, inputs] of cases) {
    for (const v of big) {
      it(`${op} ${attr} holding ${v}: an error naming node, attribute, value and allowed range`, () => {
        const b = new OnnxModelBuilder();
        b.input('x', [1, 3, 8, 8]);
        b.node(op, inputs(b), ['y'], attrs(v));
        b.output('y', ['n', 'c', 'h', 'w'].slice(0, op === 'Flatten' ? 2 : 4));
        let error: unknown;
        try {
          importOnnxBytes(b.bytes());
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(OnnxImportError);
        expect((error as Error).message).toMatch(new RegExp(`^ONNX node 'y' \\(${op}\\): attribute '${attr}' (= ${v} is|holds ${v},) out of range; allowed: -?\\d+\\.\\.\\d+`));
      });
    }
  }

  it('Pad (opset 11+) pads beyond the allowed range: an error naming them', () => {
    const b = new OnnxModelBuilder();
    b.input('x', [1, 3, 8, 8]);
    b.node('Relu', ['x'], ['r']);
    b.node('Pad', ['r', b.ints('pads', [0, 0, 2 ** 40, 0, 0, 0, 0, 0])], ['p']);
    b.node('MaxPool', ['p'], ['y'], { kernel_shape: [3, 3] });
    b.output('y', ['n', 'c', 'h', 'w']);
    expect(() => importOnnxBytes(b.bytes())).toThrow(/^ONNX node 'p' \(Pad\): pads \[0, 0, 1099511627776, .*allowed: 0\.\.\d+/);
  });
});
