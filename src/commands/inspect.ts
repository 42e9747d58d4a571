import { inspectModel } from '../inspect/index.js';
import { formatReport } from '../inspect/text.js';
import { UsageError, type CliCommand, type Values } from './command.js';

/** Reports one model file; a file that cannot be read (or is no model) fails with exit 1. */
async function run(v: Values, positionals: string[]): Promise<void> {
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0
      ? 'name the model file: an .onnx file, a TF.js model.json, or the folder holding it'
      : `inspect takes one model file, got ${positionals.length}: ${positionals.map((p) => `'${p}'`).join(', ')}`);
  }
  const report = await inspectModel(positionals[0]!);
  console.log(v.json ? JSON.stringify(report, null, 2) : formatReport(report));
}

export const inspect: CliCommand = {
  summary: 'what a model file holds and whether it loads: format, inputs/outputs, ops, parameters, external files, unsupported ops',
  usage: 'inception-wasm inspect <model.onnx | model.json | folder> [--json]',
  options: { json: { type: 'boolean' } },
  positionals: true,
  run,
};
