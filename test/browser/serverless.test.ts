/**
 * The serverless example (examples/serverless/handler.mjs) in a locked-down child Node process:
 * `--disallow-code-generation-from-strings` (no eval / new Function), SharedArrayBuffer deleted
 * before import, and compiling wasm bytes forbidden after the platform compiled the kernel module
 * (see serverless-runner.mjs). Checks the answers against the Node path, that the session is
 * created once and reused, and that a bad image is a 400 naming the problem.
 *
 * Needs `npm run build` (the handler imports dist/); skips, saying why, without it or the fixtures.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_AVAILABLE, FIXTURES_SKIP_REASON, fixturePath } from '../helpers/fixtures.js';
import { createSession, loadImage, preprocess, softmax, topK, IMAGENET_CLASSES } from '../../src/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNNER = fileURLToPath(new URL('./serverless-runner.mjs', import.meta.url));
const BUILT = existsSync(`${ROOT}dist/index.js`) && existsSync(`${ROOT}build/baseline-plain.wasm`);
const SKIP_NOTE = !BUILT ? ' (skipped: dist/ or build/ is not built — npm run build)' : FIXTURES_SKIP_REASON;
const HOPPER = 'images/tf/grace_hopper.jpg';

interface Answer {
  statusCode: number;
  body: { model?: string; top?: { index: number; label: string; probability: number }[]; coldStartMs?: number; error?: string };
}
interface RunnerReport {
  evalBlocked: boolean;
  sharedArrayBuffer: string;
  kernelInstances: number;
  answers: Answer[];
}

/** Runs the runner; rejects with its stderr on a non-zero exit, or after `ms`. */
function runLockedDown(image: string, ms = 90_000): Promise<RunnerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--disallow-code-generation-from-strings', RUNNER, image], {
      cwd: ROOT,
      env: { ...process.env, INCEPTION_MODEL: 'googlenet', INCEPTION_INPUT_SIZE: '224', NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serverless runner: no answer within ${ms} ms; stderr: ${err}`));
    }, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`serverless runner exited with ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!));
      } catch {
        reject(new Error(`serverless runner: unreadable output ${JSON.stringify(out)}; stderr: ${err}`));
      }
    });
  });
}

describe.skipIf(!BUILT || !FIXTURES_AVAILABLE)(`serverless handler, locked down (no eval, no SharedArrayBuffer, no wasm compiling)${SKIP_NOTE}`, () => {
  let report: RunnerReport;
  let nodeTop: { index: number; probability: number }[];

  beforeAll(async () => {
    const [r, top] = await Promise.all([
      runLockedDown(fixturePath(HOPPER)),
      (async () => {
        const session = await createSession({ model: 'googlenet', inputSize: 224, weights: 'seeded', threads: 1 });
        try {
          const input = preprocess(await loadImage(fixturePath(HOPPER)), { preset: 'torchvision-transform-input', size: [224, 224] });
          return topK(softmax((await session.run(input)).logits), 5);
        } finally {
          await session.dispose();
        }
      })(),
    ]);
    report = r;
    nodeTop = top;
  });

  it('the child really was locked down: eval throws, SharedArrayBuffer is gone', () => {
    expect(report.evalBlocked).toBe(true);
    expect(report.sharedArrayBuffer).toBe('undefined');
  });

  it('base64 body: 200 with the Node path top-5 (labels, probabilities within 1e-5), cold start reported', () => {
    const [first] = report.answers;
    expect(first.statusCode).toBe(200);
    expect(first.body.model).toBe('googlenet');
    expect(first.body.top!.map((c) => c.index)).toEqual(nodeTop.map((c) => c.index));
    expect(first.body.top![0].label).toBe(IMAGENET_CLASSES[nodeTop[0].index]);
    first.body.top!.forEach((c, i) => expect(Math.abs(c.probability - nodeTop[i].probability)).toBeLessThan(1e-5));
    expect(first.body.coldStartMs).toBeGreaterThan(0);
  });

  it('bytes + top 3 on the same instance: same answer, no new session (one kernel instance in all)', () => {
    const second = report.answers[1];
    expect(second.statusCode).toBe(200);
    expect(second.body.top!.map((c) => c.index)).toEqual(nodeTop.slice(0, 3).map((c) => c.index));
    expect(second.body.coldStartMs).toBeUndefined();
    expect(report.kernelInstances).toBe(1);
  });

  it('not an image: 400 naming the problem', () => {
    const bad = report.answers[2];
    expect(bad.statusCode).toBe(400);
    expect(bad.body.error).toMatch(/request image: not a JPEG or PNG/);
  });
});
