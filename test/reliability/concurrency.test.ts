/**
 * Concurrency on one session: queued runs each resolve with their own output in order; dispose()
 * while runs are queued rejects them with a clear error; the caller's input buffer is neither
 * detached nor mutated, and the returned logits are the caller's own copy.
 */
import { describe, expect, it } from 'vitest';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';

describe('concurrency and buffers', () => {
  it('dispose() while runs are queued rejects the queued runs, naming the cause', async () => {
    const session = await createSession({ model: 'googlenet', inputSize: 64, threads: 2, weights: 'seeded' });
    const input = seededInputNCHW(1, 3, 64, 64);
    const runs = [session.run(input), session.run(input), session.run(input)];
    const disposed = session.dispose();
    const settled = await Promise.allSettled(runs);
    await disposed;
    const rejected = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected.length, 'at least the queued runs reject').toBeGreaterThanOrEqual(2);
    for (const r of rejected) expect(String(r.reason)).toMatch(/disposed/);
  });

  it('the input buffer is neither detached nor mutated; results do not alias wasm memory', async () => {
    const session = await createSession({ model: 'googlenet', inputSize: 64, threads: 1, weights: 'seeded' });
    try {
      const input = seededInputNCHW(1, 3, 64, 64);
      const copy = input.slice();
      const a = await session.run(input);
      expect(input.buffer.byteLength, 'not detached').toBe(copy.byteLength);
      expect(Array.from(input)).toEqual(Array.from(copy));
      const saved = a.logits.slice();
      await session.run(seededInputNCHW(1, 3, 64, 64, 99));
      expect(Array.from(a.logits), 'an earlier result is not overwritten by a later run').toEqual(Array.from(saved));
      expect(a.logits.buffer instanceof ArrayBuffer, 'a plain ArrayBuffer, not the wasm memory').toBe(true);
    } finally {
      await session.dispose();
    }
  });
});
