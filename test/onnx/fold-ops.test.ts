/**
 * Each op the load-time folding evaluates, in models where the folded numbers change the output
 * (a residual scale, Pad amounts, the fc weights), run by onnxruntime-node and by our engine:
 * within 1e-4·std. Then the bounds: sizes checked before allocating, exact integers, errors that
 * name the node.
 */
import { describe, expect, it } from 'vitest';
import { importOnnxBytes } from '../../src/onnx/import.js';
import { DataType } from '../../src/onnx/onnx-proto.js';
import { float32Tensor } from '../../src/onnx/tensor.js';
import { BOUND, intConstant, intTensor, OnnxModelBuilder, relativeMaxError, runOrt, runOurs, seeded, toOnnxOrder } from './helpers.js';

const SHAPE = [3, 7, 6] as const; // C, H, W

/** Imports `b` at `batch`, runs both engines and returns max |ours − onnxruntime| / std. */
async function deviation(b: OnnxModelBuilder, batch: number): Promise<number> {
  const bytes = b.bytes();
  const dims = [batch, ...SHAPE];
  const x = seeded(dims.reduce((p, d) => p * d), 11 + batch);
  const expected = (await runOrt(bytes, 'x', x, dims)).get(b.outputs[0].name)!;
  const imported = importOnnxBytes(bytes, { batch });
  const ours = toOnnxOrder(imported.graph, await runOurs(imported.graph, imported.weights, x));
  expect(ours.length).toBe(expected.length);
  return relativeMaxError(ours, expected);
}

const floatConstant = (b: OnnxModelBuilder, name: string, value: number) =>
  (b.node('Constant', [], [name], { value: float32Tensor('', [], Float32Array.of(value)) }), name);

/** An int64 [1] initializer holding INT64_MAX (raw_data: the encoder's varints stop at 2^53). */
function int64Max(b: OnnxModelBuilder, name: string): string {
  const raw = new Uint8Array(8).fill(0xff);
  raw[7] = 0x7f;
  b.initializers.push({ name, dims: [1], dataType: DataType.INT64, rawData: raw, int32Data: [], int64Data: [], doubleData: [], dataLocation: 0, externalData: [] });
  return name;
}

/** y = x + s·conv1x1(x), s a float scalar the folding computes. */
function scaledResidual(b: OnnxModelBuilder, s: string): void {
  const c = SHAPE[0];
  b.node('Conv', ['x', b.weight('w', [c, c, 1, 1]), b.weight('bias', [c])], ['conv']);
  b.node('Mul', ['conv', s], ['scaled']);
  b.node('Add', ['x', 'scaled'], ['y']);
  b.output('y', ['n', c, SHAPE[1], SHAPE[2]]);
}

describe('folded values change the output as in onnxruntime', () => {
  for (const batch of [1, 2]) {
    it(`Shape, Size, Gather, int Mul/Div, Cast, float Div: a scale from the planned batch ${batch} (free batch dim)`, async () => {
      const b = new OnnxModelBuilder(13);
      b.input('x', ['batch', ...SHAPE]);
      b.node('Shape', ['x'], ['shape']);
      b.node('Size', ['x'], ['size']);
      b.node('Gather', ['shape', intConstant(b, 'zero', [], [0])], ['n'], { axis: 0 });
      b.node('Gather', ['shape', intConstant(b, 'three', [1], [3])], ['wdim'], { axis: 0 });
      b.node('Mul', ['n', 'size'], ['nsize']);
      b.node('Div', ['nsize', 'wdim'], ['q']); // integer division, exact
      b.node('Cast', ['q'], ['qf'], { to: DataType.FLOAT });
      b.node('Div', ['qf', floatConstant(b, 'hundred', 300)], ['s']);
      scaledResidual(b, 's');
      expect(await deviation(b, batch)).toBeLessThan(BOUND);
    });
  }

  for (const opset of [9, 13]) {
    const route = opset < 11 ? 'a scale (Pad takes pads as an attribute before 11)' : 'the amounts of a Pad';
    it(`ConstantOfShape, Slice (${opset < 10 ? 'attributes' : 'inputs'}), Sub, Add, Concat, Identity, ReduceProd: ${route} (opset ${opset})`, async () => {
      const b = new OnnxModelBuilder(opset);
      b.input('x', ['batch', ...SHAPE]);
      b.node('Shape', ['x'], ['shape']);
      // "To the end" is INT64_MAX in torch's exports; the test encoder writes attribute ints only up to 2^53.
      if (opset < 10) b.node('Slice', ['shape'], ['hw'], { starts: [2], ends: [Number.MAX_SAFE_INTEGER], axes: [0] });
      else b.node('Slice', ['shape', intConstant(b, 's0', [1], [-2]), int64Max(b, 's1')], ['hw']);
      b.node('Sub', ['hw', 'hw'], ['zero2']);
      b.node('Add', ['zero2', intConstant(b, 'one2', [2], [1, 2])], ['before']);
      b.node('ConstantOfShape', [intConstant(b, 'two', [1], [2])], ['zeros'], { value: intTensor('', [1], [0]) });
      b.node('Identity', [intConstant(b, 'after', [2], [2, 1])], ['after1']);
      b.node('Identity', ['after1'], ['after2']);
      b.node('Concat', ['zeros', 'before', 'zeros', 'after2'], ['pads'], { axis: 0 });
      if (opset >= 11) {
        b.node('Pad', ['x', 'pads'], ['p']);
        b.node('Conv', ['p', b.weight('w', [4, 3, 3, 3]), b.weight('bias', [4])], ['y']);
        b.output('y', ['n', 4, 'h', 'w']);
      } else {
        b.node('Add', ['pads', intConstant(b, 'one', [], [1])], ['pads1']);
        b.node('ReduceProd', ['pads1'], ['prod'], { axes: [0], keepdims: 0 });
        b.node('Cast', ['prod'], ['prodf'], { to: DataType.FLOAT });
        b.node('Div', ['prodf', floatConstant(b, 'k', 500)], ['s']);
        scaledResidual(b, 's');
      }
      expect(await deviation(b, 2)).toBeLessThan(BOUND);
    });
  }

  it('Range, ReduceProd, Squeeze, Unsqueeze, Expand, Cast on constants: a scale of 6 / 40', async () => {
    const b = new OnnxModelBuilder(13);
    b.input('x', ['batch', ...SHAPE]);
    b.node('Range', [intConstant(b, 'r0', [], [1]), intConstant(b, 'r1', [], [4]), intConstant(b, 'r2', [], [1])], ['range']); // [1, 2, 3]
    b.node('ReduceProd', ['range'], ['prod'], { keepdims: 1 }); // [6]
    b.node('Unsqueeze', ['prod', intConstant(b, 'ax', [1], [0])], ['prod2']); // [[6]]
    b.node('Expand', ['prod2', intConstant(b, 'eshape', [2], [2, 3])], ['many']); // 2×3 of 6
    b.node('ReduceProd', ['many'], ['big'], { axes: [0], keepdims: 0 }); // [36, 36, 36]
    b.node('Gather', ['big', intConstant(b, 'g', [], [-1])], ['b36']);
    b.node('Div', ['b36', intConstant(b, 'six', [], [6])], ['six2']);
    b.node('Squeeze', ['prod', intConstant(b, 'sq', [1], [0])], ['p6']);
    b.node('Sub', ['p6', 'six2'], ['zero']); // 6 − 6 = 0
    b.node('Add', ['zero', 'p6'], ['p6b']);
    b.node('Cast', ['p6b'], ['pf'], { to: DataType.FLOAT });
    b.node('Div', ['pf', floatConstant(b, 'forty', 40)], ['s']);
    scaledResidual(b, 's');
    expect(await deviation(b, 2)).toBeLessThan(BOUND);
  });

  it('Reshape, Transpose and Squeeze of float initializers (fc weights) fold without a copy where they can', async () => {
    const b = new OnnxModelBuilder(13);
    b.input('x', ['batch', ...SHAPE]);
    b.node('GlobalAveragePool', ['x'], ['gap']);
    b.node('Flatten', ['gap'], ['flat']);
    // Weights stored as [1, 15] → Reshape to [3, 5] via a folded target → Transpose to [5, 3] → Gemm transB 1.
    b.weight('wflat', [1, 15]);
    b.node('Squeeze', ['wflat', intConstant(b, 'sq0', [1], [0])], ['w15']);
    b.node('Concat', [intConstant(b, 'three', [1], [3]), intConstant(b, 'minus1', [1], [-1])], ['target'], { axis: 0 });
    b.node('Reshape', ['w15', 'target'], ['w35']);
    b.node('Transpose', ['w35'], ['w53'], { perm: [1, 0] });
    b.node('Mul', [floatConstant(b, 'half', 0.5), floatConstant(b, 'third', 0.3)], ['alpha']);
    b.node('Mul', ['w53', 'alpha'], ['wscaled']);
    b.node('Gemm', ['flat', 'wscaled', b.weight('fcb', [5])], ['y'], { transB: 1 });
    b.output('y', ['n', 5]);
    expect(await deviation(b, 2)).toBeLessThan(BOUND);
  });
});

describe('folding is bounded and names the node', () => {
  const model = (build: (b: OnnxModelBuilder) => string) => {
    const b = new OnnxModelBuilder(13);
    b.input('x', [1, ...SHAPE]);
    const s = build(b);
    scaledResidual(b, s);
    return b.bytes();
  };

  it('a ConstantOfShape of 10^12 elements is refused before anything is allocated', () => {
    const bytes = model((b) => {
      b.node('ConstantOfShape', [intConstant(b, 'huge', [2], [1_000_000, 1_000_000])], ['big'], { value: float32Tensor('', [1], Float32Array.of(1)) });
      b.node('ReduceProd', ['big'], ['s'], { keepdims: 0 });
      return 's';
    });
    expect(() => importOnnxBytes(bytes)).toThrow(/ONNX node 'big' \(ConstantOfShape\): cannot evaluate it at load: the output of 'big' would have 1000000000000 elements; constant folding allows at most 1048576 per tensor/);
  });

  it('a Range of 2^40 elements is refused before anything is allocated', () => {
    const bytes = model((b) => {
      b.node('Range', [intConstant(b, 'a', [], [0]), intConstant(b, 'z', [], [2 ** 40]), intConstant(b, 'd', [], [1])], ['r']);
      b.node('ReduceProd', ['r'], ['p'], { keepdims: 0 });
      b.node('Cast', ['p'], ['s'], { to: DataType.FLOAT });
      return 's';
    });
    expect(() => importOnnxBytes(bytes)).toThrow(/ONNX node 'r' \(Range\): .*1099511627776 elements; at most 1048576/);
  });

  it('an int64 product beyond 2^53 is an error, never a rounded number', () => {
    const bytes = model((b) => {
      b.node('Mul', [intConstant(b, 'a', [], [2 ** 52]), intConstant(b, 'four', [], [4])], ['p']);
      b.node('Cast', ['p'], ['s'], { to: DataType.FLOAT });
      return 's';
    });
    expect(() => importOnnxBytes(bytes)).toThrow(/ONNX node 'p' \(Mul\): cannot evaluate it at load: Mul result: int64 18014398509481984 is beyond ±2\^53, where folding could not compute exactly/);
  });

  it('a Gather index out of range names the node and the axis size', () => {
    const bytes = model((b) => {
      b.node('Shape', ['x'], ['shape']);
      b.node('Gather', ['shape', intConstant(b, 'i', [], [4])], ['g']);
      b.node('Cast', ['g'], ['s'], { to: DataType.FLOAT });
      return 's';
    });
    expect(() => importOnnxBytes(bytes)).toThrow(/ONNX node 'g' \(Gather\): cannot evaluate it at load: index 4 is out of range for axis 0 of size 4/);
  });

  it('Gather on the data path is refused, naming the computed input', () => {
    const b = new OnnxModelBuilder(13);
    b.input('x', [1, ...SHAPE]);
    b.node('Gather', ['x', intConstant(b, 'i', [], [0])], ['y'], { axis: 1 });
    b.output('y', [1, 7, 6]);
    expect(() => importOnnxBytes(b.bytes())).toThrow(
      /ONNX node 'y' \(Gather\): op 'Gather' is supported only on constants and tensor shapes \(it is evaluated at load\), but its input 'x' is computed from the image/,
    );
  });

  it('Cast to a type folding does not compute names the type', () => {
    const bytes = model((b) => {
      b.node('Cast', [intConstant(b, 'one', [], [1])], ['s'], { to: DataType.DOUBLE });
      return 's';
    });
    expect(() => importOnnxBytes(bytes)).toThrow(/ONNX node 's' \(Cast\): cannot evaluate it at load: Cast to DOUBLE is not supported in folding; supported: FLOAT, INT64, INT32/);
  });

});
