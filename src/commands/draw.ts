import { writeFileSync } from 'node:fs';
import { renderBlockDiagram } from '../draw/block-diagram.js';
import { blockNodeIds, subBlocks } from '../draw/block.js';
import { renderStageStrip } from '../draw/stage-strip.js';
import type { Graph } from '../graph/graph.js';
import { buildNetwork } from '../inception/models.js';
import { registryOption, UsageError, type CliCommand, type Values } from './command.js';

/** Names `--block` accepts, for the error message: every stage mark, and numbered children (`repeat.0`). */
function blockNames(g: Graph): string[] {
  return g.stages.flatMap((s) => [s.name, ...subBlocks(g, s.name)]);
}

async function run(v: Values): Promise<void> {
  const { model, variant, inputSize } = registryOption(v);
  const g = buildNetwork(model, { variant, inputSize });
  const block = v.block as string | undefined;
  const context = `${model} (${variant})`;
  let svg: string;
  if (block === undefined) {
    svg = renderStageStrip(g, { title: context });
  } else {
    if (blockNodeIds(g, block).length === 0 && subBlocks(g, block).length === 0) {
      const names = blockNames(g);
      const shown = names.length > 40 ? `${names.slice(0, 40).join(', ')}, …` : names.join(', ');
      throw new UsageError(`--block '${block}' names no module of ${context}; one of: ${shown}`);
    }
    svg = renderBlockDiagram(g, block, { context });
  }
  const out = v.out as string | undefined;
  if (out === undefined || out === '-') {
    process.stdout.write(svg);
    return;
  }
  writeFileSync(out, svg);
  console.error(`wrote ${out} (${svg.length.toLocaleString('en')} bytes)`);
}

export const draw: CliCommand = {
  summary: 'draw a network as an SVG strip of stages, or one block (--block) as the papers draw it',
  usage: 'inception-wasm draw --model <name> [--variant v] [--size s] [--block <stage or module, e.g. Mixed_5b, repeat.0>] [--out file.svg | -]',
  options: { model: { type: 'string' }, variant: { type: 'string' }, size: { type: 'string' }, block: { type: 'string' }, out: { type: 'string' } },
  run,
};
