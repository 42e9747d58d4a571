/**
 * Session-level lifecycle with threads: a process that creates, runs and disposes sessions exits
 * by itself; two sessions in one process run concurrently without interfering; runs queue; a
 * disposed session rejects further calls.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { createSession } from '../../src/session.js';

const fixture = fileURLToPath(new URL('./fixtures/session-exit.ts', import.meta.url));

describe('session lifecycle with threads', () => {
  it('a process that creates, runs and disposes 2-thread sessions exits by itself (20 s limit)', () => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', fixture], { timeout: 20_000, encoding: 'utf8' });
    expect(child.error, 'the child did not exit within 20 s').toBeUndefined();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/session 0: threads 2, top-1 \d+\nsession 1: threads 2, top-1 \d+/);
  });

  it('two 2-thread sessions in one process, run concurrently, each give their own single-thread answer', async () => {
    const specs = [{ model: 'googlenet', inputSize: 64, weights: 'seeded' }, { model: 'inception_v3', inputSize: 75, weights: 'seeded' }] as const;
    const expected: Float32Array[] = [];
    for (const spec of specs) {
      const s = await createSession({ ...spec, threads: 1 });
      expected.push((await s.run(seededInputNCHW(1, 3, spec.inputSize, spec.inputSize))).logits);
      await s.dispose();
    }
    const sessions = await Promise.all(specs.map((spec) => createSession({ ...spec, threads: 2 })));
    try {
      const results = await Promise.all(
        sessions.flatMap((s, i) => [0, 1, 2].map(() => s.run(seededInputNCHW(1, 3, specs[i].inputSize, specs[i].inputSize)))),
      );
      results.forEach((r, j) => expect(Array.from(r.logits)).toEqual(Array.from(expected[Math.floor(j / 3)])));
    } finally {
      await Promise.all(sessions.map((s) => s.dispose()));
    }
  });

  it('queued runs resolve in order with their own outputs; dispose rejects later calls', async () => {
    const session = await createSession({ model: 'googlenet', inputSize: 64, batch: 1, threads: 2, weights: 'seeded' });
    const a = seededInputNCHW(1, 3, 64, 64, 1);
    const b = seededInputNCHW(1, 3, 64, 64, 2);
    const [ra, rb, ra2] = await Promise.all([session.run(a), session.run(b), session.run(a)]);
    expect(Array.from(ra.logits)).toEqual(Array.from(ra2.logits));
    expect(Array.from(ra.logits)).not.toEqual(Array.from(rb.logits));
    await session.dispose();
    await expect(session.run(a)).rejects.toThrow(/disposed/);
  });
});
