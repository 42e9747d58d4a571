import { graphCost } from '../graph/cost.js';
import { planGraph } from '../graph/compile.js';
import { f32WeightBytes, int8WeightBytes } from '../graph/int8/weight-bytes.js';
import { attachProfile, formatStageTable, stageRows, type StageRow } from '../draw/stage-table.js';
import { buildNetwork } from '../inception/models.js';
import { seededInputNCHW } from '../inception/seeded-weights.js';
import { createSession } from '../session.js';
import { intOption, registryOption, round1, threadsOption, UsageError, type CliCommand, type Values } from './command.js';

interface Profiled {
  rows: StageRow[];
  threads: number;
  build: string;
  runMs: number;
}

/**
 * Builds a session with seeded weights, runs it once (plus a warm-up), then times every step on one
 * thread (`session.profile`, on the same input) and maps the steps onto the stage rows.
 */
async function profileStages(model: string, variant: string, v: Values, rows: StageRow[]): Promise<Profiled> {
  const session = await createSession({
    model, variant, inputSize: registryOption(v).inputSize, batch: intOption(v, 'batch', 1, 1), threads: threadsOption(v, 1),
    weights: 'seeded',
  });
  try {
    const [n, c, h, w] = session.info.inputShape;
    const input = seededInputNCHW(n, c, h, w);
    await session.run(input);
    const t0 = performance.now();
    await session.run(input);
    const runMs = performance.now() - t0;
    const profile = await session.profile({ input, repeats: intOption(v, 'repeats', 1, 1) });
    return { rows: attachProfile(session.graph, rows, profile), threads: session.info.threads, build: session.info.build, runMs };
  } finally {
    await session.dispose();
  }
}

async function run(v: Values): Promise<void> {
  const { model, variant, inputSize } = registryOption(v);
  const batch = intOption(v, 'batch', 1, 1);
  threadsOption(v, 1);
  intOption(v, 'repeats', 1, 1);
  if (v.profile && !v.stages) throw new UsageError('--profile goes with --stages (it adds measured time per stage)');
  const g = buildNetwork(model, { variant, inputSize, batch });
  const cost = graphCost(g);
  const plan = planGraph(g);
  // What a session's info.weightBytes will be at each precision (same passes, Winograd on), from the graph alone.
  const weightBytes = { f32: f32WeightBytes(g), int8: int8WeightBytes(g) };
  const stages = g.stages.map((s, i) => ({ name: s.name, shape: [...g.shape(s.value)], params: cost.stages[i].params, macs: cost.stages[i].macs }));
  const profiled = v.stages && v.profile ? await profileStages(model, variant, v, stageRows(g)) : undefined;
  const stageTable = v.stages ? profiled?.rows ?? stageRows(g) : undefined;
  const out = {
    model, variant, inputShape: [...g.shape(g.inputs[0])], params: cost.params, bnStats: cost.bnStats, macs: cost.macs,
    stages, peakArenaBytes: plan.peakBytes, activationBytesWithoutReuse: plan.totalBytes, weightBytes,
    ...(stageTable ? { stageTable } : {}),
    ...(profiled ? { profile: { threads: profiled.threads, build: profiled.build, runMs: round1(profiled.runMs), stepTimes: 'one thread, per step' } } : {}),
  };
  if (v.json) return console.log(JSON.stringify(out, null, 2));
  console.log(`${model} (${variant}), input NHWC [${out.inputShape.join(', ')}]`);
  console.log(`params ${cost.params.toLocaleString('en')}, MACs ${cost.macs.toLocaleString('en')}`);
  console.log(`activation arena peak ${(plan.peakBytes / 2 ** 20).toFixed(1)} MiB (without reuse ${(plan.totalBytes / 2 ** 20).toFixed(1)} MiB)`);
  const bytes = (n: number, note = '') => `${(n / 2 ** 20).toFixed(1)} MiB (${n.toLocaleString('en')} bytes${note})`;
  const ratio = `, ${(weightBytes.int8 / weightBytes.f32).toFixed(3)}× f32`;
  console.log(`packed weights: f32 ${bytes(weightBytes.f32)}, int8 ${bytes(weightBytes.int8, ratio)}`);
  if (stageTable) {
    if (profiled) {
      console.log(
        `run with ${profiled.threads} thread(s), ${profiled.build} build: ${profiled.runMs.toFixed(1)} ms; ` +
        'the ms column times each step on one thread (seeded weights)',
      );
    }
    console.log(`\n${formatStageTable(stageTable)}`);
    return;
  }
  for (const s of stages) console.log(`  ${s.name.padEnd(16)} [${s.shape.join(', ')}]`.padEnd(44) + `${s.macs.toLocaleString('en').padStart(16)} MACs`);
}

export const info: CliCommand = {
  summary: 'params, MACs, per-stage output shapes, the activation arena peak and the packed weight bytes (f32 and int8) of a network; --stages: per-stage costs, --profile: measured',
  usage:
    'inception-wasm info --model <name> [--variant v] [--size s | --size HxW] [--batch n] [--stages [--profile [--threads n] [--repeats n]]] [--json]',
  options: {
    model: { type: 'string' }, variant: { type: 'string' }, size: { type: 'string' }, batch: { type: 'string' }, json: { type: 'boolean' },
    stages: { type: 'boolean' }, profile: { type: 'boolean' }, threads: { type: 'string' }, repeats: { type: 'string' },
  },
  run,
};
