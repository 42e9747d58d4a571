/**
 * Constant folding of shape subgraphs: the exact nodes `torch.onnx.export` writes for
 * `x.view(x.size(0), -1)` at opsets 9, 11, 13 and 17, on a small conv net ending in
 * GlobalAveragePool → that view → Gemm, with a fixed and a free (`batch`) batch dim, at batch 1
 * and 2. onnxruntime-node runs the same file; our logits agree within 1e-4·std, and the shape
 * subgraph leaves no trace in the Graph (it folds into one flatten).
 */
import { describe, expect, it } from 'vitest';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { BOUND, OnnxModelBuilder, relativeMaxError, runOrt, runOurs, seeded, torchViewFlatten } from './helpers.js';

const C = 3;
const H = 9;
const W = 8;

/** conv 3→6 3×3 p1, Relu, conv 6→8 3×3 s2, Relu, GlobalAveragePool, view(N, -1), Gemm 8→5. */
function torchStyleNet(opset: number, batchDim: number | string): OnnxModelBuilder {
  const b = new OnnxModelBuilder(opset);
  b.input('input', [batchDim, C, H, W]);
  b.node('Conv', ['input', b.weight('conv1.weight', [6, C, 3, 3]), b.weight('conv1.bias', [6])], ['/conv1/Conv_output_0'], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }, '/conv1/Conv');
  b.node('Relu', ['/conv1/Conv_output_0'], ['/relu1/Relu_output_0'], {}, '/relu1/Relu');
  b.node('Conv', ['/relu1/Relu_output_0', b.weight('conv2.weight', [8, 6, 3, 3]), b.weight('conv2.bias', [8])], ['/conv2/Conv_output_0'], { strides: [2, 2], kernel_shape: [3, 3] }, '/conv2/Conv');
  b.node('Relu', ['/conv2/Conv_output_0'], ['/relu2/Relu_output_0'], {}, '/relu2/Relu');
  b.node('GlobalAveragePool', ['/relu2/Relu_output_0'], ['/avgpool/GlobalAveragePool_output_0'], {}, '/avgpool/GlobalAveragePool');
  torchViewFlatten(b, '/avgpool/GlobalAveragePool_output_0', '/Reshape_output_0');
  b.node('Gemm', ['/Reshape_output_0', b.weight('fc.weight', [5, 8]), b.weight('fc.bias', [5])], ['logits'], { alpha: { float: 1 }, beta: { float: 1 }, transB: 1 }, '/fc/Gemm');
  b.output('logits', [batchDim, 5]);
  return b;
}

describe('torch x.view(x.size(0), -1) folds at load (onnxruntime-node oracle)', () => {
  for (const opset of [9, 11, 13, 17]) {
    for (const dynamic of [false, true]) {
      for (const batch of [1, 2]) {
        it(`opset ${opset}, ${dynamic ? "free batch 'batch'" : 'fixed batch'}, batch ${batch}`, async () => {
          const bytes = torchStyleNet(opset, dynamic ? 'batch' : batch).bytes();
          const x = seeded(batch * C * H * W, 7 + batch);
          const expected = (await runOrt(bytes, 'input', x, [batch, C, H, W])).get('logits')!;
          const imported = importOnnxBytes(bytes, { batch });
          expect(imported.graph.nodes.map((n) => n.kind)).toEqual(['input', 'conv', 'relu', 'conv', 'relu', 'globalAvgPool', 'flatten', 'fc']);
          expect(imported.outputs[0].shape).toEqual([batch, 5]);
          const ours = await runOurs(imported.graph, imported.weights, x);
          expect(ours.length).toBe(expected.length);
          expect(relativeMaxError(ours, expected), 'max |ours − onnxruntime| / std').toBeLessThan(BOUND);
        });
      }
    }
  }
});
