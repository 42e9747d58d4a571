/**
 * The session's API contract under misuse: `profile()` queues behind runs instead of racing the
 * workers over the same memory; `run()` captures (validates and copies) its input when called, so
 * later writes to the caller's buffer cannot change a queued run, and a bad input rejects without
 * waiting for the queue; every option object (createSession, run, profile) rejects unknown keys,
 * naming the nearest valid one, and every option value is checked with an error naming the valid
 * values; registry names are own-property lookups ('__proto__' is not a variant).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildNetwork } from '../../src/inception/models.js';
import { seededInputNCHW } from '../../src/inception/seeded-weights.js';
import { MAX_THREADS } from '../../src/limits.js';
import { createSession, type Session } from '../../src/session.js';

const small = { model: 'googlenet', inputSize: 32, threads: 1, weights: 'seeded' } as const;

function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

describe('profile() queues like run()', () => {
  it('a profile() started while a 2-thread run() is in flight leaves that run bitwise equal to the run alone', async () => {
    const session = await createSession({ model: 'googlenet', inputSize: 112, threads: 2, weights: 'seeded' });
    try {
      const input = seededInputNCHW(1, 3, 112, 112);
      const alone = (await session.run(input)).logits;
      // The run has reached the workers once a timer fires (a run here takes tens of ms).
      for (const delayMs of [0, 1, 3]) {
        const running = session.run(input);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const profiled = session.profile();
        const [result, steps] = await Promise.all([running, profiled]);
        expect(bits(result.logits), `profile() after ${delayMs} ms`).toEqual(bits(alone));
        expect(steps.length).toBeGreaterThan(0);
      }
      // A run queued after the profile still computes from its own input.
      expect(bits((await session.run(input)).logits)).toEqual(bits(alone));
    } finally {
      await session.dispose();
    }
  });

  it('profile() takes its own input (checked like run()) and rejects unknown options by name', async () => {
    const session = await createSession(small);
    try {
      const steps = await session.profile({ input: seededInputNCHW(1, 3, 32, 32), repeats: 2 });
      expect(steps.every((s) => Number.isFinite(s.ms) && s.ms >= 0)).toBe(true);
      await expect(session.profile({ input: new Float32Array(5) })).rejects.toThrow(/input 'input': expected \[1,3,32,32\]/);
      await expect(session.profile({ repeat: 2 } as never)).rejects.toThrow(/unknown option 'repeat' of profile\(\); did you mean 'repeats'\?/);
      await expect(session.profile({ repeats: 0 })).rejects.toThrow(/repeats must be an integer ≥ 1, got 0/);
    } finally {
      await session.dispose();
    }
  });
});

describe('run() captures its input when called', () => {
  let session: Session;
  beforeAll(async () => {
    session = await createSession(small);
  });
  afterAll(async () => {
    await session.dispose();
  });

  it('writing the buffer after run() returns does not change that run', async () => {
    const a = seededInputNCHW(1, 3, 32, 32, 1);
    const b = seededInputNCHW(1, 3, 32, 32, 2);
    const aloneA = (await session.run(a)).logits;
    const aloneB = (await session.run(b)).logits;
    const buf = new Float32Array(a.length);
    buf.set(a);
    const p1 = session.run(buf);
    buf.set(b);
    const p2 = session.run(buf);
    const [r1, r2] = await Promise.all([p1, p2]);
    expect(bits(r1.logits), 'p1 is A').toEqual(bits(aloneA));
    expect(bits(r2.logits), 'p2 is B').toEqual(bits(aloneB));
  });

  it('checkFinite judges the input as it was when run() was called', async () => {
    const buf = seededInputNCHW(1, 3, 32, 32);
    const alone = (await session.run(buf)).logits;
    const p = session.run(buf, { checkFinite: true });
    buf[0] = NaN;
    expect(bits((await p).logits)).toEqual(bits(alone));
  });

  it('a bad input rejects without waiting for the queue, and run() never throws synchronously', async () => {
    const input = seededInputNCHW(1, 3, 32, 32);
    const queued = [session.run(input), session.run(input)];
    let bad: Promise<unknown> | undefined;
    expect(() => {
      bad = session.run(new Float32Array(7));
    }).not.toThrow();
    const first = await Promise.race([
      Promise.all(queued).then(() => 'queued runs resolved first'),
      bad!.then(() => 'bad input resolved', (e: Error) => e.message),
    ]);
    expect(first).toMatch(/input 'input': expected \[1,3,32,32\].*got 7 floats/);
    await Promise.all(queued);
  });

  it('unknown run() options are rejected, naming the nearest valid one', async () => {
    const input = seededInputNCHW(1, 3, 32, 32);
    await expect(session.run(input, { layot: 'nhwc' } as never)).rejects.toThrow(/unknown option 'layot' of run\(\); did you mean 'layout'\?/);
    await expect(session.run(input, { checkFinite: 'yes' } as never)).rejects.toThrow(/checkFinite must be true or false, got 'yes'/);
  });
});

describe('createSession options are checked', () => {
  const cases: { case: string; options: object; message: RegExp }[] = [
    { case: 'a misspelt key (thread)', options: { ...small, thread: 2 }, message: /unknown option 'thread' of createSession\(\); did you mean 'threads'\?/ },
    { case: 'a key with no near name (verbosity)', options: { ...small, verbosity: 2 }, message: /unknown option 'verbosity' of createSession\(\); valid options: model, variant/ },
    { case: 'a misspelled precision', options: { ...small, precison: 'int8' }, message: /unknown option 'precison' of createSession\(\); did you mean 'precision'\?/ },
    { case: "variant '__proto__'", options: { ...small, variant: '__proto__' }, message: /network 'googlenet' has no variant '__proto__'; known: torchvision, caffe, tf/ },
    { case: "variant 'constructor'", options: { ...small, variant: 'constructor' }, message: /has no variant 'constructor'; known: torchvision, caffe, tf/ },
    { case: "model '__proto__'", options: { ...small, model: '__proto__' }, message: /unknown network '__proto__'; known: googlenet/ },
    { case: 'threads above the maximum', options: { ...small, threads: MAX_THREADS + 1 }, message: new RegExp(`threads must be an integer from 0 to ${MAX_THREADS}.*got ${MAX_THREADS + 1}`) },
    { case: 'maxMemoryBytes NaN', options: { ...small, maxMemoryBytes: NaN }, message: /maxMemoryBytes must be an integer number of bytes ≥ 65536 \(one wasm page\), got NaN/ },
    { case: 'maxMemoryBytes negative', options: { ...small, maxMemoryBytes: -1 }, message: /maxMemoryBytes must be an integer number of bytes ≥ 65536 \(one wasm page\), got -1/ },
    { case: 'maxMemoryBytes fractional', options: { ...small, maxMemoryBytes: 5e7 + 0.5 }, message: /maxMemoryBytes must be an integer number of bytes ≥ 65536 \(one wasm page\), got 50000000.5/ },
    { case: "build 'turbo'", options: { ...small, build: 'turbo' }, message: /build must be one of 'auto', 'baseline', 'relaxed'; got 'turbo'/ },
    { case: 'an unknown pass', options: { ...small, passes: ['foldBatchnorm'] }, message: /unknown pass 'foldBatchnorm'; did you mean 'foldBatchNorm'\?/ },
    { case: "winograd 'false'", options: { ...small, winograd: 'false' }, message: /winograd must be true or false, got 'false'/ },
    { case: 'batch 0', options: { ...small, batch: 0 }, message: /batch must be a positive integer, got 0/ },
    { case: 'batch 1.5', options: { ...small, batch: 1.5 }, message: /batch must be a positive integer, got 1.5/ },
    { case: "inputSize '32'", options: { ...small, inputSize: '32' }, message: /inputSize must be a positive integer or \[height, width\] of positive integers, got '32'/ },
    { case: 'inputSize [32]', options: { ...small, inputSize: [32] }, message: /inputSize must be a positive integer or \[height, width\] of positive integers, got \[32\]/ },
    { case: "weights 'random'", options: { ...small, weights: 'random' }, message: /weights must be 'seeded', a Map or an object of named Float32Arrays, got 'random'/ },
    { case: 'options not an object', options: 'googlenet' as never, message: /createSession\(\) takes an options object/ },
    {
      case: 'a registry model without weights (never silently the seeded, untrained ones)',
      options: { model: 'googlenet', inputSize: 32, threads: 1 },
      message: /`model` needs `weights`: pass a state dict .* or `weights: 'seeded'`/,
    },
    {
      case: 'a graph without weights',
      options: { graph: buildNetwork('googlenet', { inputSize: 32 }), threads: 1 },
      message: /`graph` needs `weights`: pass a state dict .* or `weights: 'seeded'`/,
    },
  ];
  it.each(cases)('$case', async ({ options, message }) => {
    await expect(createSession(options as never)).rejects.toThrow(message);
  });

  it('a maxMemoryBytes below the initial memory fails with the bytes needed, never a negative amount', async () => {
    const attempt = createSession({ ...small, maxMemoryBytes: 1 << 20 });
    await expect(attempt).rejects.toThrow(/memory request of \d+ bytes exceeds the maximum of 1048576 bytes/);
    await expect(attempt).rejects.not.toThrow(/-\d+ available/);
  });

  it('without SharedArrayBuffer, threads resolve to 1 in one place: one warning naming the count asked for and the reason', async () => {
    vi.resetModules();
    const reason = 'SharedArrayBuffer is unavailable (the page is not cross-origin isolated: serve it with the headers ' +
      '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp")';
    vi.doMock('../../src/bindings/features.js', () => ({
      features: async () => ({ simd: true, relaxedSimd: false, sharedMemory: false, threads: false, threadsUnavailableReason: reason, cores: 4 }),
    }));
    try {
      const { createSession: isolated } = await import('../../src/session.js');
      for (const [threads, asked] of [[0, 4], [2, 2]]) {
        const warn = vi.fn();
        const session = await isolated({ ...small, threads, warn });
        try {
          expect(session.info.threads).toBe(1);
          expect(warn.mock.calls).toEqual([[`inception-wasm: running single-threaded (1 thread instead of ${asked}): ${reason}`]]);
          expect((await session.run(seededInputNCHW(1, 3, 32, 32))).shape).toEqual([1, 1000]);
        } finally {
          await session.dispose();
        }
      }
    } finally {
      vi.doUnmock('../../src/bindings/features.js');
      vi.resetModules();
    }
  });

  it('threads: 0 takes one per core, at most MAX_THREADS', async () => {
    const session = await createSession({ ...small, threads: 0 });
    try {
      expect(session.info.threads).toBe(Math.min(session.info.features.cores, MAX_THREADS));
    } finally {
      await session.dispose();
    }
  });
});
