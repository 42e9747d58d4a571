/**
 * `quantize` and `dequantize`: the engine ops an int8 program inserts where a value crosses
 * between an op that runs on u8 values and one that runs on f32 (src/graph/int8/lower-int8.ts).
 * They are not graph node kinds — a graph is always f32 — only engine ops, with one step each:
 * f32 → u8 by `f32_quantize_u8` or u8 → f32 by `u8_dequantize_f32`, split into pixel ranges.
 */

import { pixelTasks, type Step } from '../bindings/program.js';
import type { Op } from '../graph/ops.js';
import { elements, type StepContext } from '../graph/steps.js';
import { pixelsPerTaskFor } from '../graph/task-split.js';
import type { StepBuilder } from './op-def.js';

function convertSteps(op: Extract<Op, { kind: 'quantize' | 'dequantize' }>, c: StepContext): Step[] {
  const input = c.view(op.input);
  const out = c.view(op.output);
  const pixelsPerTask = pixelsPerTaskFor(out, c.tuning);
  return [{
    kind: op.kind, name: op.name, input, out, params: { scale: op.params.scale, zeroPoint: op.params.zeroPoint },
    pixelsPerTask, tasks: pixelTasks(out, pixelsPerTask), macs: elements(out),
  }];
}

export const quantizeSteps: StepBuilder<'quantize'> = (op, _inputs, c) => convertSteps(op, c);
export const dequantizeSteps: StepBuilder<'dequantize'> = (op, _inputs, c) => convertSteps(op, c);
