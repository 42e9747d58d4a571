/**
 * An experiment on the QDQ export (issue 21; export-qdq.ts is unchanged): each residual chain
 * DQ(x) → Conv(DQ(W), DQ(B)) → Mul(r) → Add(DQ(res)) → [Relu] → Q(sOut, zOut) rewritten so
 * that its float ops carry integers and then exactly our epilogue's f32 operations
 * (assembly/i8-epilogue.ts), in place:
 *
 *   DQ(x, 1, zIn) = x − zIn;  DQ(W, 1, 0) = W;  DQ(B, 1, 0) = bias       (integers, exact in f32)
 *   Conv → acc + bias exactly, when every partial sum is an integer of magnitude < 2²⁴, whatever
 *          the summation order: guaranteed when K·255·127 + |bias| < 2²⁴ (`bound`, per layer)
 *   Mul(scale[o] as [O, 1, 1])                            = f32(f32(acc + bias)·scale[o])
 *   Add(·, Mul(DQ(res, 1, zRes), f32(sRes/sOut)))         = + f32(f32(res − zRes)·resScale)
 *   Relu; Q(1, zOut)                                      = nearest-even, + zOut, saturate
 * (ours clamps after rounding; for ReLU that is the same code). The chain's Q output is the same
 * uint8 tensor, and its readers still dequantize it at (sOut, zOut); every other node is the export's.
 * The catch: inside the chain the tensors are in integer units, not real values, and its Q node
 * says scale 1 where its readers say sOut — a consumer that takes a tensor's scale from its Q
 * node would misread it. A Clip (finite bounds) is not rewritten: it throws.
 */
import { packedI8GemmBytes } from '../../src/bindings/kernels/int8.js';
import { unpackI8Panels } from '../../src/onnx/export-qdq.js';
import type { OnnxModel, OnnxNode } from '../../src/onnx/onnx-proto.js';
import { float32Tensor } from '../../src/onnx/tensor.js';
import type { Int8Case } from './case.js';

/** The rewritten model, the largest partial-sum bound over the chains, and how many chains were rewritten. */
export function integerResidualForm(p: Int8Case, model: OnnxModel = p.model): { model: OnnxModel; bound: number; chains: number } {
  const nodes = model.graph!.node.map((n) => ({ ...n, input: [...n.input] }));
  const initializer = [...model.graph!.initializer];
  const producer = new Map(nodes.flatMap((n) => n.output.map((t) => [t, n] as const)));
  const readers = (t: string) => nodes.filter((n) => n.input.includes(t));
  const only = (t: string, type: string): OnnxNode => {
    const r = readers(t);
    if (r.length !== 1 || r[0].opType !== type) throw new Error(`'${t}' is read by ${r.map((n) => n.opType).join(', ') || 'nothing'}, expected one ${type}`);
    return r[0];
  };
  const dq = (t: string): OnnxNode => {
    const n = producer.get(t);
    if (n?.opType !== 'DequantizeLinear' || readers(t).length !== 1) throw new Error(`'${t}' is not a DequantizeLinear output with one reader`);
    return n;
  };
  const constant = (name: string, dims: number[], data: ArrayLike<number>) => {
    initializer.push(float32Tensor(name, dims, Float32Array.from(data)));
    return name;
  };
  const one = constant('integer_residual.one', [], [1]);
  let bound = 0;
  let chains = 0;
  for (const layer of p.compiled.int8.layers) {
    if (layer.residualScale === undefined) continue;
    const op = p.compiled.ops.find((x) => x.kind === 'conv' && x.parts.some((q) => q.output === layer.output));
    const part = op?.kind === 'conv' ? op.parts.find((q) => q.output === layer.output) : undefined;
    const conv = nodes.find((n) => n.opType === 'Conv' && n.name === layer.name);
    if (!part?.residual || !conv || !layer.output8 || part.layer.kind !== 'conv') throw new Error(`residual layer '${layer.name}': no residual Conv of that name`);
    const { kernelH: kh, kernelW: kw } = part.layer;
    const u = unpackI8Panels(p.arena.u8(layer.panels, packedI8GemmBytes(layer.outChannels, layer.depth)), layer.outChannels, layer.depth / (kh * kw), kh, kw);
    bound = Math.max(bound, layer.depth * 255 * 127 + u.bias.reduce((m, b) => Math.max(m, Math.abs(b)), 0));
    const ones = constant(`${layer.name}.integer_residual.ones`, [layer.outChannels], new Array<number>(layer.outChannels).fill(1));
    // The export gives each reader its own DequantizeLinear, so these are the chain's alone.
    dq(conv.input[0]).input[1] = one;
    dq(conv.input[1]).input[1] = ones;
    dq(conv.input[2]).input[1] = ones;
    const mul = only(conv.output[0], 'Mul');
    mul.input[1] = constant(`${layer.name}.integer_residual.scale`, [layer.outChannels, 1, 1], u.scales);
    const add = only(mul.output[0], 'Add');
    dq(add.input[1]).input[1] = one;
    const resQuant = p.compiled.int8.values.quant(part.residual.value);
    const scaled = `${add.input[1]}/in_output_steps`;
    nodes.splice(nodes.indexOf(add), 0, {
      name: scaled, opType: 'Mul', domain: '', attribute: [], output: [scaled],
      input: [add.input[1], constant(`${layer.name}.integer_residual.res_scale`, [], [Math.fround(resQuant.scale / layer.output8.scale)])],
    });
    add.input[1] = scaled;
    const next = readers(add.output[0]);
    if (next.some((n) => n.opType === 'Clip')) throw new Error(`'${layer.name}': a Clip would need its bounds in output steps; not rewritten`);
    const last = next.length === 1 && next[0].opType === 'Relu' ? next[0] : add;
    only(last.output[0], 'QuantizeLinear').input[1] = one;
    chains++;
  }
  return { model: { ...model, graph: { ...model.graph!, node: nodes, initializer } }, bound, chains };
}
