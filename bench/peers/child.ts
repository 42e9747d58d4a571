/**
 * One runtime in a fresh process: `node --import tsx bench/peers/child.ts '<ChildArgs JSON>'`,
 * spawned by the harness with an IPC channel. Loads the runtime on the case, runs once, reports the
 * first output and the cold-start split, then serves timed runs until told to exit
 * (bench/peers/protocol.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { caseFiles, readCaseInput } from './artifacts.js';
import type { ChildArgs, FromChild, ToChild } from './protocol.js';
import { importRuntime, type LoadedRuntime } from './runtimes.js';

const send = (m: FromChild) => new Promise<void>((resolve) => process.send!(m, undefined, {}, () => resolve()));

function osThreads(): number | undefined {
  if (!existsSync('/proc/self/status')) return undefined;
  const m = /^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : undefined;
}

async function main(args: ChildArgs): Promise<void> {
  if (args.prime) {
    await importRuntime(args.runtime);
    process.exit(0);
  }
  if (args.baseline) {
    process.on('message', () => process.exit(0));
    await send({
      type: 'ready', logits: new Float32Array(0), version: '', build: '', threads: 0, notes: [],
      processStartToOutputMs: performance.now(), importMs: 0, loadMs: 0, firstRunMs: 0,
    });
    return;
  }
  const files = caseFiles(args.caseDir);
  const input = readCaseInput(files);
  const threadsBefore = osThreads();
  let stage = 'import';
  let runtime: LoadedRuntime;
  let first: Float32Array;
  let importMs = 0, loadMs = 0, firstRunMs = 0;
  try {
    let t = performance.now();
    const load = await importRuntime(args.runtime);
    importMs = performance.now() - t;
    stage = 'load';
    t = performance.now();
    runtime = await load({ files, threads: args.threads, precision: args.precision, oursFrom: args.oursFrom, oursBuild: args.oursBuild });
    loadMs = performance.now() - t;
    stage = 'first run';
    t = performance.now();
    first = await runtime.run(input);
    firstRunMs = performance.now() - t;
  } catch (e) {
    await send({ type: 'failed', stage, message: (e as Error).stack ?? String(e) });
    process.exit(1);
  }
  const threadsAfter = osThreads();
  await send({
    type: 'ready', logits: first, version: runtime.version, build: runtime.build, threads: runtime.threads,
    arenaBytes: runtime.arenaBytes, notes: runtime.notes, features: runtime.features, processStartToOutputMs: performance.now(),
    importMs, loadMs, firstRunMs,
    osThreadsAdded: threadsBefore !== undefined && threadsAfter !== undefined ? threadsAfter - threadsBefore : undefined,
  });

  process.on('message', async (m: ToChild) => {
    try {
      switch (m.type) {
        case 'warmup':
          for (let i = 0; i < m.runs; i++) await runtime.run(input);
          return send({ type: 'warmedUp' });
        case 'time': {
          const start = performance.now();
          await runtime.run(input);
          return send({ type: 'timed', ms: performance.now() - start });
        }
        case 'profile':
          return send({ type: 'profiled', split: await runtime.profile?.() });
        case 'exit': {
          const peakRssBytes = process.resourceUsage().maxRSS * 1024;
          await runtime.dispose().catch(() => undefined);
          await send({ type: 'done', peakRssBytes });
          process.exit(0);
        }
      }
    } catch (e) {
      await send({ type: 'failed', stage: m.type, message: (e as Error).stack ?? String(e) });
      process.exit(1);
    }
  });
}

if (!process.send) {
  console.error('bench/peers/child.ts runs under the harness (bench/run.ts), which gives it an IPC channel');
  process.exit(2);
}
await main(JSON.parse(process.argv[2]) as ChildArgs);
