/**
 * Prints a SHA-256 of the logits of every registry network, run with seeded weights and a seeded
 * input at a small size, on 1, 2 and 3 threads, with Winograd on and off, and once in debug
 * (step-checked) mode. Two trees that print the same lines compute bit-identical outputs on this
 * machine's kernel build; use it to prove a refactor changes no result:
 *
 *   npx tsx scripts/logits-digest.ts > before.txt   # … edit …
 *   npx tsx scripts/logits-digest.ts | diff before.txt -
 *
 * Optional arguments: network names to restrict the run to.
 */

import { createHash } from 'node:crypto';
import { createSession, type SessionOptions } from '../src/session.js';
import { buildNetwork } from '../src/inception/models.js';
import { seededInputNCHW, seededWeights } from '../src/inception/seeded-weights.js';

interface Case {
  model: string;
  size: number;
  batch: number;
}

/** Small sizes that still reach every op of each network (its smallest buildable input or near it). */
const CASES: readonly Case[] = [
  { model: 'googlenet', size: 96, batch: 1 },
  { model: 'googlenet', size: 64, batch: 2 },
  { model: 'inception_v2', size: 96, batch: 1 },
  { model: 'inception_v3', size: 75, batch: 1 },
  { model: 'inception_v4', size: 75, batch: 1 },
  { model: 'inception_resnet_v1', size: 75, batch: 1 },
  { model: 'inception_resnet_v2', size: 75, batch: 1 },
];

type Config = Pick<SessionOptions, 'threads' | 'winograd' | 'debug'>;

const CONFIGS: readonly Config[] = [
  ...[1, 2, 3].flatMap((threads) => [true, false].map((winograd) => ({ threads, winograd }))),
  { threads: 1, winograd: true, debug: true },
];

function sha256(data: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex');
}

const only = new Set(process.argv.slice(2));
const all = createHash('sha256');
for (const c of CASES) {
  if (only.size > 0 && !only.has(c.model)) continue;
  const graph = buildNetwork(c.model, { inputSize: c.size, batch: c.batch });
  const weights = seededWeights(graph.weights);
  const input = seededInputNCHW(c.batch, 3, c.size, c.size);
  for (const config of CONFIGS) {
    const session = await createSession({ graph, weights, ...config, warn: () => undefined });
    try {
      const { logits } = await session.run(input);
      const digest = sha256(logits);
      all.update(digest);
      const label = `threads=${config.threads} winograd=${config.winograd}${config.debug ? ' debug' : ''}`;
      console.log(`${c.model} ${c.size}x${c.size} batch=${c.batch} ${label} ${digest}`);
    } finally {
      await session.dispose();
    }
  }
}
console.log(`all ${all.digest('hex')}`);
