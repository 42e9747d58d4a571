import { writeFileSync } from 'node:fs';
import { buildNetwork } from '../inception/models.js';
import { seededWeights } from '../inception/seeded-weights.js';
import { EXPORT_OPSET, exportOnnx } from '../onnx/export.js';
import { registryOption, UsageError, type CliCommand, type Values } from './command.js';

/** Builds a network with seeded weights and writes it as ONNX (opset 13, input `input` [batch, 3, H, W], output `logits`). */
async function run(v: Values): Promise<void> {
  const { model, variant, inputSize } = registryOption(v);
  const out = v.out as string | undefined;
  if (out === undefined || out === '') throw new UsageError('--out <file.onnx> is required');
  const weights = (v.weights as string | undefined) ?? 'seeded';
  if (weights !== 'seeded') {
    throw new UsageError(`--weights '${weights}' is not supported; only 'seeded' (the deterministic fixture fill) — export real weights through the API (exportOnnx)`);
  }
  const g = buildNetwork(model, { variant, inputSize });
  const bytes = exportOnnx(g, seededWeights(g.weights));
  try {
    writeFileSync(out, bytes);
  } catch (e) {
    throw new Error(`cannot write '${out}': ${(e as Error).message}`);
  }
  const [, h, w, c] = g.shape(g.inputs[0]);
  console.log(
    `wrote ${out} (${bytes.length.toLocaleString('en')} bytes): ${model} (${variant}) with seeded weights, ONNX opset ${EXPORT_OPSET}, ` +
    `input 'input' [batch, ${c}, ${h}, ${w}], output 'logits' [batch, ${g.shape(g.output).slice(1).join(', ')}], ${g.weights.length} initializers`,
  );
}

export const exportCommand: CliCommand = {
  summary: 'write a network with seeded weights as an ONNX file (opset 13) for other engines',
  usage: 'inception-wasm export --model <name> [--variant v] [--size s | --size HxW] [--weights seeded] --out <file.onnx>',
  options: { model: { type: 'string' }, variant: { type: 'string' }, size: { type: 'string' }, weights: { type: 'string' }, out: { type: 'string' } },
  run,
};
