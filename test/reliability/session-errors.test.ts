/**
 * Bad input never reaches a kernel, and every failure is an error that names the problem and the
 * expected value: input length/dtype/batch, non-finite inputs, weights missing/extra/misshapen,
 * memory beyond the maximum (at creation, not mid-run), a debug run naming the first node that
 * produced a non-finite value. A failed creation does not poison the next session.
 */
import { describe, expect, it } from 'vitest';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';

const small = { model: 'googlenet', inputSize: 32, threads: 1, weights: 'seeded' } as const;

describe('input validation', () => {
  const cases: { case: string; input: () => unknown; options?: object; message: RegExp }[] = [
    { case: 'too few floats', input: () => new Float32Array(100), message: /input 'input': expected \[2,3,32,32\] \(6144 floats; or a multiple of 3072 up to batch 2\), got 100 floats/ },
    { case: 'more images than the planned batch', input: () => new Float32Array(3 * 3072), message: /up to batch 2\), got 9216 floats/ },
    { case: 'a Float64Array', input: () => new Float64Array(3072), message: /input must be a Float32Array \(NCHW \[2,3,32,32\]\), got \[object Float64Array\]/ },
    { case: 'NHWC layout named in the message', input: () => new Float32Array(7), options: { layout: 'nhwc' }, message: /expected \[2,32,32,3\]/ },
    { case: 'an unknown layout', input: () => new Float32Array(3072), options: { layout: 'chw' }, message: /layout must be 'nchw' or 'nhwc', got 'chw'/ },
    {
      case: 'NaN with checkFinite', options: { checkFinite: true }, message: /non-finite value \(NaN\) at index 5/,
      input: () => { const x = seededInputNCHW(1, 3, 32, 32); x[5] = NaN; return x; },
    },
  ];
  it.each(cases)('$case', async ({ input, options, message }) => {
    const session = await createSession({ ...small, batch: 2 });
    try {
      await expect(session.run(input() as Float32Array, options as never)).rejects.toThrow(message);
      // The session still works after a rejected call.
      expect((await session.run(seededInputNCHW(1, 3, 32, 32))).shape).toEqual([1, 1000]);
    } finally {
      await session.dispose();
    }
  });
});

describe('weights', () => {
  const g = buildNetwork('googlenet', { inputSize: 32 });
  const seeded = () => seededWeights(g.weights);
  it('a missing tensor is named with its shape', async () => {
    const w = seeded();
    w.delete('inception4a.branch3.1.conv.weight');
    await expect(createSession({ ...small, weights: w })).rejects.toThrow(/weight 'inception4a.branch3.1.conv.weight' \[48, 16, 3, 3\] is missing/);
  });
  it('an extra tensor is named, with a hint', async () => {
    const w = seeded();
    w.set('module.fc.weight', new Float32Array(4));
    await expect(createSession({ ...small, weights: w })).rejects.toThrow(/not in the network: 'module.fc.weight'.*strip a prefix/);
  });
  it('a misshapen tensor is named with expected and actual sizes', async () => {
    const w = seeded();
    w.set('fc.bias', new Float32Array(1001));
    await expect(createSession({ ...small, weights: w })).rejects.toThrow(/weight 'fc.bias' has 1001 values, expected \[1000\] = 1000/);
  });
});

describe('memory and debug', () => {
  it('a memory maximum too small fails at creation with the bytes needed; the next session works', async () => {
    await expect(createSession({ model: 'inception_v4', weights: 'seeded', threads: 1, maxMemoryBytes: 64 << 20 })).rejects.toThrow(
      /memory request of \d+ bytes exceeds the maximum of 67108864 bytes/,
    );
    const session = await createSession(small);
    expect((await session.run(seededInputNCHW(1, 3, 32, 32))).shape).toEqual([1, 1000]);
    await session.dispose();
  });

  it('debug mode names the first node whose output is non-finite', async () => {
    const g = buildNetwork('googlenet', { inputSize: 32 });
    const w = seededWeights(g.weights);
    w.get('inception3b.branch2.1.conv.weight')![7] = Infinity;
    const session = await createSession({ ...small, weights: w, debug: true });
    try {
      await expect(session.run(seededInputNCHW(1, 3, 32, 32))).rejects.toThrow(/node 'inception3b\.branch2\.1\.conv' \(conv\) produced (NaN|Infinity|-Infinity) at image 0/);
    } finally {
      await session.dispose();
    }
  });
});
