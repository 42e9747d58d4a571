/**
 * ONNX layout ops on the data path → Graph nodes: Flatten, Reshape, Squeeze, Unsqueeze, Transpose.
 * The engine keeps feature maps NHWC, so only the forms that move no data are imported (a flatten
 * of [N, C, H, W] to [N, C·H·W], a reshape or transpose that keeps the shape, the squeeze of a
 * global pool's 1×1 axes); the same ops on constants and shapes are evaluated at load (fold.ts).
 * One Transpose that does move data is absorbed: perm [0, 3, 1, 2] on an NHWC graph input (what
 * tf2onnx writes for Keras models) is the very layout change the engine makes at its input, so the
 * input is declared NHWC and the Transpose's output is the Graph input itself.
 * Semantics: https://onnx.ai/onnx/operators/.
 */

import { formatShape } from '../graph/graph.js';
import type { ValueId } from '../graph/nodes.js';
import { FoldError } from './fold-tensor.js';
import { reshapeDims } from './fold.js';
import { AttrType, type OnnxGraph } from './onnx-proto.js';
import { AXIS, FLAG, onnxOrder, type NodeCtx } from './import-context.js';

/** Shapes equal element by element. */
const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, k) => d === b[k]);

/** The perm that turns an NHWC tensor into NCHW. */
const NHWC_TO_NCHW = [0, 3, 1, 2] as const;

/**
 * The live nodes reading graph input `name` when every one of them is a Transpose with perm
 * [0, 3, 1, 2] and the input is no graph output: the file's input is then NHWC and the NCHW
 * graph starts after those Transposes. Undefined otherwise (the input is NCHW as declared, and
 * such a Transpose on it is refused by `transposeOp` like any other that moves data).
 */
export function nhwcInputTransposes(graph: OnnxGraph, name: string, live: ReadonlySet<number>): Set<number> | undefined {
  if (graph.output.some((o) => o.name === name)) return undefined;
  const readers = new Set<number>();
  for (const i of live) {
    const node = graph.node[i]!;
    if (!node.input.includes(name)) continue;
    const perm = node.attribute.find((a) => a.name === 'perm');
    const absorbed = node.opType === 'Transpose' && (node.domain === '' || node.domain === 'ai.onnx') &&
      node.input.length === 1 && perm !== undefined && (perm.type === AttrType.INTS || perm.type === 0) &&
      sameDims(perm.ints, NHWC_TO_NCHW);
    if (!absorbed) return undefined;
    readers.add(i);
  }
  return readers.size > 0 ? readers : undefined;
}

/** A Transpose chosen by `nhwcInputTransposes`: its NCHW output is the NHWC Graph input, unmoved. */
export function nhwcInputTranspose(c: NodeCtx, input: ValueId): void {
  c.attributes(['perm']);
  c.output(0, { kind: 'value', id: input });
}

/** [N, C, H, W] → [N, C·H·W] (a 2-D input passes through). */
function flattenTo2d(c: NodeCtx, x: ValueId): void {
  if (c.g.shape(x).length === 2) return c.output(0, { kind: 'value', id: x });
  c.featureMap(x);
  c.result(c.g.flatten(c.graphName(), x));
}

export function flatten(c: NodeCtx): void {
  c.attributes(['axis']);
  const axis = c.int('axis', 1, AXIS);
  const x = c.value(0);
  const rank = c.g.shape(x).length;
  if (axis !== 1 && axis !== 1 - rank) throw c.fail(`attribute 'axis' = ${axis} is not supported; supported: 1 (→ [N, C·H·W])`);
  flattenTo2d(c, x);
}

export function reshape(c: NodeCtx): void {
  const old = c.opset < 5; // Reshape-1 takes the target as an attribute
  c.attributes(old ? ['shape', 'consumed_inputs'] : ['allowzero']);
  const x = c.value(0);
  const target = old ? c.ints('shape', undefined, { min: -1, max: Number.MAX_SAFE_INTEGER }) : c.intsOf(c.constant(1), 'shape');
  if (target === undefined) throw c.fail("attribute 'shape' is required (Reshape before opset 5)");
  const dims = onnxOrder(c.g.shape(x));
  const n = dims[0];
  const features = dims.slice(1).reduce((p, d) => p * d, 1);
  const supported = `supported: [N, -1] = ${formatShape([n, features])} (a flatten) or a reshape that keeps the shape`;
  let result: number[];
  try {
    result = reshapeDims(dims, target, c.int('allowzero', 0, FLAG) === 1);
  } catch (e) {
    throw e instanceof FoldError ? c.fail(`${e.message}; ${supported}`) : e;
  }
  if (sameDims(result, dims)) return c.output(0, { kind: 'value', id: x });
  if (!sameDims(result, [n, features])) {
    throw c.fail(`Reshape of ${c.onnxShape(x)} to [${target.join(', ')}] = ${formatShape(result)} is not supported; ${supported}`);
  }
  flattenTo2d(c, x);
}

/** Axes of Squeeze/Unsqueeze: an attribute before opset 13, an input from then on. */
function squeezeAxes(c: NodeCtx, rank: number): number[] | undefined {
  const axes = c.opset < 13 ? c.ints('axes', undefined, AXIS) : c.inputName(1) === '' ? undefined : c.intsOf(c.constant(1), 'axes');
  if (axes === undefined) return undefined;
  return axes.map((a) => {
    if (!Number.isSafeInteger(a) || a < -rank || a >= rank) throw c.fail(`axes [${axes.join(', ')}]: ${a} is out of range for rank ${rank}`);
    return a < 0 ? a + rank : a;
  });
}

/**
 * Squeeze of a feature map: only [N, C, 1, 1] → [N, C] (the spatial axes after a global pool),
 * which is a flatten and moves no data in NHWC either.
 */
export function squeeze(c: NodeCtx): void {
  c.attributes(c.opset < 13 ? ['axes'] : []);
  const x = c.value(0);
  const dims = onnxOrder(c.g.shape(x));
  const axes = squeezeAxes(c, dims.length);
  const drop = new Set(axes ?? dims.flatMap((d, k) => (d === 1 ? [k] : [])));
  for (const k of drop) if (dims[k] !== 1) throw c.fail(`axis ${k} of ${c.onnxShape(x)} has size ${dims[k]}; Squeeze removes only axes of size 1`);
  const kept = dims.filter((_, k) => !drop.has(k));
  if (kept.length === dims.length) return c.output(0, { kind: 'value', id: x });
  if (dims.length === 4 && drop.size === 2 && drop.has(2) && drop.has(3)) return flattenTo2d(c, x);
  throw c.fail(
    `Squeeze of ${c.onnxShape(x)} to ${formatShape(kept)} is not supported; supported: the 1×1 spatial axes of [N, C, 1, 1] ` +
      '(axes [2, 3]), keeping the batch axis',
  );
}

export function unsqueeze(c: NodeCtx): void {
  const x = c.value(0);
  throw c.fail(
    `Unsqueeze of the computed tensor ${c.onnxShape(x)} is not supported: the engine cannot turn [N, F] back into a feature map; ` +
      'supported: Unsqueeze of constants and shapes (evaluated at load)',
  );
}

/**
 * Transpose of a feature map: only where it moves no data — the shape stays the same and the
 * axes longer than 1 keep their order (an identity perm, or one that swaps axes of size 1).
 */
export function transposeOp(c: NodeCtx): void {
  c.attributes(['perm']);
  const x = c.value(0);
  const dims = onnxOrder(c.g.shape(x));
  const rank = dims.length;
  const perm = c.ints('perm', dims.map((_, k) => rank - 1 - k), AXIS)!;
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw c.fail(`attribute 'perm' = [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  }
  const moved = perm.filter((p) => dims[p] !== 1);
  if (sameDims(perm.map((p) => dims[p]), dims) && moved.every((p, k) => k === 0 || moved[k - 1] < p)) return c.output(0, { kind: 'value', id: x });
  const onInput = c.g.node(x).kind === 'input' && sameDims(perm, NHWC_TO_NCHW)
    ? ', or perm [0, 3, 1, 2] on an NHWC graph input when every node reading that input is such a Transpose (here another node reads it too)'
    : '';
  throw c.fail(
    `Transpose of ${c.onnxShape(x)} by perm [${perm.join(', ')}] moves data, and the engine has no transpose kernel; ` +
      `supported: a perm that moves only axes of size 1 and keeps the shape${onInput}`,
  );
}
