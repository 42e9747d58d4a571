import { graphCost } from '../graph/cost.js';
import { planGraph } from '../graph/compile.js';
import { buildNetwork, variantInfo } from '../inception/models.js';
import { intOption, modelOption, sizeOption, type CliCommand, type Values } from './command.js';

async function run(v: Values): Promise<void> {
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

export const info: CliCommand = {
  summary: 'params, MACs, per-stage output shapes and the activation arena peak of a network',
  usage: 'inception-wasm info --model <name> [--variant v] [--size s | --size HxW] [--batch n] [--json]',
  options: { model: { type: 'string' }, variant: { type: 'string' }, size: { type: 'string' }, batch: { type: 'string' }, json: { type: 'boolean' } },
  run,
};
