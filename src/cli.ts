#!/usr/bin/env node
/**
 * The command line: `inception-wasm <command> [options]`. Exit codes: 0 success, 1 failure while
 * running, 2 usage error (unknown command or option, bad value) — the message names the argument
 * and the fix.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { features } from './bindings/features.js';
import { graphCost } from './graph/cost.js';
import { planGraph } from './graph/compile.js';
import { MODELS, buildNetwork, variantInfo } from './inception/models.js';
import { seededInputNCHW } from './inception/seeded-weights.js';
import { createSession } from './session.js';

class UsageError extends Error {}

const COMMANDS: Record<string, { summary: string; usage: string; options: ParseArgsConfig['options']; run: (v: Values) => Promise<void> }> = {
  list: {
    summary: 'list the networks and their variants',
    usage: 'inception-wasm list [--json]',
    options: { json: { type: 'boolean' } },
    run: list,
  },
  info: {
    summary: 'params, MACs, per-stage output shapes and the activation arena peak of a network',
    usage: 'inception-wasm info --model <name> [--variant v] [--size s | --size HxW] [--batch n] [--json]',
    options: { model: { type: 'string' }, variant: { type: 'string' }, size: { type: 'string' }, batch: { type: 'string' }, json: { type: 'boolean' } },
    run: info,
  },
  demo: {
    summary: 'build a network with seeded weights, run it on a synthetic input, print latency and GFLOP/s',
    usage: 'inception-wasm demo [--model inception_v3] [--size s] [--threads n] [--runs n] [--json]',
    options: { model: { type: 'string' }, variant: { type: 'string' }, size: { type: 'string' }, threads: { type: 'string' }, runs: { type: 'string' }, json: { type: 'boolean' } },
    run: demo,
  },
  features: {
    summary: 'what this runtime supports (SIMD, relaxed SIMD, threads, cores)',
    usage: 'inception-wasm features',
    options: {},
    run: async () => console.log(JSON.stringify(await features(), null, 2)),
  },
};

type Values = Record<string, string | boolean | undefined>;

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: inception-wasm <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'inception-wasm <command> --help' shows a command's options.`;
}

function intOption(v: Values, name: string, fallback: number, min = 0): number {
  const raw = v[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got '${raw}'`);
  return n;
}

function sizeOption(v: Values): number | [number, number] | undefined {
  const raw = v.size;
  if (raw === undefined) return undefined;
  const m = /^(\d+)(?:x(\d+))?$/.exec(String(raw));
  if (!m) throw new UsageError(`--size must be a number or HxW (e.g. 299 or 107x139), got '${raw}'`);
  return m[2] ? [Number(m[1]), Number(m[2])] : Number(m[1]);
}

function modelOption(v: Values, fallback?: string): string {
  const model = (v.model as string | undefined) ?? fallback;
  if (model === undefined) throw new UsageError(`--model is required; one of: ${Object.keys(MODELS).join(', ')}`);
  if (!Object.hasOwn(MODELS, model)) throw new UsageError(`--model '${model}' is unknown; one of: ${Object.keys(MODELS).join(', ')}`);
  return model;
}

async function list(v: Values): Promise<void> {
  const rows = Object.entries(MODELS).map(([name, entry]) => ({
    name,
    defaultVariant: entry.defaultVariant,
    variants: Object.fromEntries(Object.entries(entry.variants).map(([k, vi]) => [k, { inputSize: vi.inputSize, classes: vi.classes, preprocessing: vi.preprocessing }])),
  }));
  if (v.json) return console.log(JSON.stringify(rows, null, 2));
  for (const r of rows) {
    const variants = Object.entries(r.variants).map(([k, vi]) => `${k}${k === r.defaultVariant ? '*' : ''} (${vi.inputSize.join('x')}, ${vi.classes} classes, ${vi.preprocessing})`);
    console.log(`${r.name.padEnd(22)} ${variants.join(', ')}`);
  }
  console.log('\n* default variant');
}

async function info(v: Values): Promise<void> {
  const model = modelOption(v);
  const variant = variantInfo(model, v.variant as string | undefined).variant;
  const g = buildNetwork(model, { variant, inputSize: sizeOption(v), batch: intOption(v, 'batch', 1, 1) });
  const cost = graphCost(g);
  const plan = planGraph(g);
  const stages = g.stages.map((s, i) => ({ name: s.name, shape: [...g.shape(s.value)], params: cost.stages[i].params, macs: cost.stages[i].macs }));
  const out = {
    model, variant, inputShape: [...g.shape(g.inputs[0])], params: cost.params, bnStats: cost.bnStats, macs: cost.macs,
    stages, peakArenaBytes: plan.peakBytes, activationBytesWithoutReuse: plan.totalBytes,
  };
  if (v.json) return console.log(JSON.stringify(out, null, 2));
  console.log(`${model} (${variant}), input NHWC [${out.inputShape.join(', ')}]`);
  console.log(`params ${cost.params.toLocaleString('en')}, MACs ${cost.macs.toLocaleString('en')}`);
  console.log(`activation arena peak ${(plan.peakBytes / 2 ** 20).toFixed(1)} MiB (without reuse ${(plan.totalBytes / 2 ** 20).toFixed(1)} MiB)`);
  for (const s of stages) console.log(`  ${s.name.padEnd(16)} [${s.shape.join(', ')}]`.padEnd(44) + `${s.macs.toLocaleString('en').padStart(16)} MACs`);
}

async function demo(v: Values): Promise<void> {
  const model = modelOption(v, 'inception_v3');
  const runs = intOption(v, 'runs', 5, 1);
  const t0 = performance.now();
  const session = await createSession({ model, variant: v.variant as string | undefined, inputSize: sizeOption(v), threads: intOption(v, 'threads', 0) });
  try {
    const setupMs = performance.now() - t0;
    const [n, c, h, w] = session.info.inputShape;
    const input = seededInputNCHW(n, c, h, w);
    const times: number[] = [];
    let logits: Float32Array = new Float32Array();
    for (let i = 0; i < runs + 1; i++) {
      const t = performance.now();
      logits = (await session.run(input)).logits;
      times.push(performance.now() - t);
    }
    const steady = times.slice(1).sort((a, b) => a - b);
    const p50 = steady[Math.floor(steady.length / 2)];
    let top = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[top]) top = i;
    const result = {
      model, inputShape: session.info.inputShape, weights: 'seeded (deterministic, not trained)', threads: session.info.threads,
      build: session.info.build, setupMs: round(setupMs), firstRunMs: round(times[0]), p50Ms: round(p50),
      gflops: round((2 * session.info.macs) / (p50 * 1e6)), peakArenaBytes: session.info.peakArenaBytes, top1: top,
    };
    if (v.json) return console.log(JSON.stringify(result, null, 2));
    console.log(`${model} [${result.inputShape.join(', ')}] with seeded weights — ${result.threads} thread(s), ${result.build} SIMD build`);
    console.log(`setup ${result.setupMs} ms, first run ${result.firstRunMs} ms, p50 of ${runs} runs ${result.p50Ms} ms, ${result.gflops} GFLOP/s`);
    console.log(`activation arena peak ${(result.peakArenaBytes / 2 ** 20).toFixed(1)} MiB; top-1 class index ${top} (weights are synthetic, so the class means nothing)`);
    console.log('\nTo classify a real photo, bring real weights: see README "Weights from PyTorch and Keras".');
  } finally {
    await session.dispose();
  }
}

const round = (x: number) => Math.round(x * 10) / 10;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`inception-wasm: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`usage: ${command.usage}\n\n${command.summary}`);
    return 0;
  }
  try {
    const { values } = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false });
    await command.run(values as Values);
    return 0;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`inception-wasm ${name}: ${err.message}\nusage: ${command.usage}`);
      return 2;
    }
    console.error(`inception-wasm ${name}: ${err.message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
