import { MODELS } from '../inception/models.js';
import type { CliCommand, Values } from './command.js';

async function run(v: Values): Promise<void> {
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

export const list: CliCommand = {
  summary: 'list the networks and their variants',
  usage: 'inception-wasm list [--json]',
  options: { json: { type: 'boolean' } },
  run,
};
