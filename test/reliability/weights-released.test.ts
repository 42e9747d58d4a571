/**
 * A session keeps only what it runs: once created, it holds no reference to the caller's f32
 * weight map or calibration inputs (an int8 session exists to be smaller than them). Checked with
 * WeakRefs and forced GCs: the map and the inputs must be collectable while the session, still
 * used afterwards, is alive. Before the fix the session's methods closed over `options`, which
 * kept both reachable for the session's lifetime.
 */
import { describe, expect, it } from 'vitest';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../../src/inception/seeded-weights.js';
import { createSession, type Session } from '../../src/session.js';
import { forcedGc } from '../helpers/leak.js';

/**
 * Whether `ref`'s target gets collected. A WeakRef keeps its target alive until the end of the job
 * that created or dereferenced it, so each gc() runs in a later job than the last deref().
 */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  const gc = forcedGc();
  const tick = () => new Promise((r) => setTimeout(r, 10));
  for (let i = 0; i < 10; i++) {
    await tick();
    gc();
    await tick();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

/** A session built from a weight map and inputs that only this function's frame references. */
async function sessionFromTemporaries(precision: 'f32' | 'int8'): Promise<{ session: Session; weightsRef: WeakRef<object>; inputsRef: WeakRef<object> }> {
  const graph = buildNetwork('googlenet', { inputSize: 64 });
  const weights = seededWeights(graph.weights);
  const inputs = [seededInputNCHW(1, 3, 64, 64, 1)];
  const session = await createSession({
    graph, weights, threads: 1, ...(precision === 'int8' ? { precision, calibration: { inputs } } : {}),
  });
  return { session, weightsRef: new WeakRef(weights), inputsRef: new WeakRef(inputs[0]!) };
}

describe('a session does not keep the caller\'s weights or calibration inputs', () => {
  for (const precision of ['f32', 'int8'] as const) {
    it(`${precision}: the weight map and the calibration inputs are collectable while the session lives`, async () => {
      const { session, weightsRef, inputsRef } = await sessionFromTemporaries(precision);
      expect(await collected(weightsRef), 'the weight map was collected').toBe(true);
      if (precision === 'int8') expect(await collected(inputsRef), 'the calibration input was collected').toBe(true);
      const { logits } = await session.run(seededInputNCHW(1, 3, 64, 64, 2));
      expect(logits.every(Number.isFinite)).toBe(true);
      await session.dispose();
    }, 60_000);
  }
});
