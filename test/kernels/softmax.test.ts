/**
 * f32_softmax against test/reference/softmax.ts (f64), for every build.
 *
 * Tolerance (u = 2⁻²⁴): |y − ref| ≤ u/e + (8 + ln n)·u·|ref|.
 *  - t = x − max rounds to f32: e^t is off by ≤ |t|·u relative, i.e. ≤ p·|t|·u ≤ |t|·e^−|t|·u ≤ u/e
 *    absolute (p ≤ e^−|t| since the sum is ≥ 1) — the abs term; through the sum the same
 *    roundings move it by ≤ u·(Σ p_i·|t_i|) ≤ u·ln n relative (that mean is ≤ ln n − ln sum).
 *  - the kernel's exp is within 1 ulp (≤ 2u relative; measured over every 7th f32 in [−87.34, 0]):
 *    2u for the element, 2u for the sum (accumulated in f64: no further error); rounding 1/sum
 *    and the product: 2u; 2u margin for second-order terms.
 * Values below e^−87.34 are flushed to 0 by contract; they are far below the abs term.
 */
import { expect, it } from 'vitest';
import { normalizeKernels } from '../../src/bindings/kernels/normalize.js';
import { assertKernelOutput, forEachBuild, randomArray, runOnceAndInPieces, seededRandom, StridedView, type KernelEnv } from '../helpers/kernel-env.js';
import { softmaxReference } from '../reference/softmax.js';

const U = 2 ** -24;

interface SoftmaxCase {
  name: string;
  rows: number;
  n: number;
  /** Logits drawn from [−spread, spread]. */
  spread: number;
  inExtra?: number;
  outExtra?: number;
  inPlace?: boolean;
  /** Values written over the random logits: [index, value]. */
  special?: [number, number][];
  /** Row ranges the work is split into (threads); default 2. */
  pieces?: number;
}

const CASES: SoftmaxCase[] = [
  { name: 'softmax n=1000 1 row logits ±10 (ImageNet classifier)', rows: 1, n: 1000, spread: 10, pieces: 1 },
  { name: 'softmax n=1001 batch 3 in stride 1008 (TF background class)', rows: 3, n: 1001, spread: 10, inExtra: 7 },
  { name: 'softmax n=1 3 rows (always 1)', rows: 3, n: 1, spread: 5, inExtra: 2, outExtra: 1 },
  { name: 'softmax n=2 5 rows out stride 3', rows: 5, n: 2, spread: 5, outExtra: 1 },
  { name: 'softmax n=3 4 rows in/out strides 4/6', rows: 4, n: 3, spread: 5, inExtra: 1, outExtra: 3 },
  { name: 'softmax n=5 in place stride 8', rows: 6, n: 5, spread: 3, inExtra: 3, inPlace: true },
  { name: 'softmax n=17 logits ±200 (most probabilities underflow)', rows: 4, n: 17, spread: 200, inExtra: 3 },
  { name: 'softmax n=8 with −∞ logits', rows: 2, n: 8, spread: 4, special: [[0, -Infinity], [5, -Infinity], [11, -Infinity], [15, -Infinity]] },
  { name: 'softmax n=1000 logits ±40 in place, 7 rows', rows: 7, n: 1000, spread: 40, inPlace: true, pieces: 3 },
  {
    name: 'softmax n=1000 one logit 0.1, 999 at 0.1 − 5.9 (every x − max rounds the same way: the ln n term)',
    rows: 1, n: 1000, spread: 1, pieces: 1,
    special: Array.from({ length: 1000 }, (_, i): [number, number] => [i, i === 0 ? 0.1 : 0.1 - 5.9]),
  },
  ...randomCases(8, 0x50f7),
];

function randomCases(count: number, seed: number): SoftmaxCase[] {
  const { int } = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const c: SoftmaxCase = {
      name: '', rows: int(1, 6), n: int(1, 70), spread: [1, 10, 50][int(0, 2)], inExtra: int(0, 4), outExtra: int(0, 4), pieces: int(1, 3),
    };
    c.name = `random softmax n=${c.n} ${c.rows} rows logits ±${c.spread} strides +${c.inExtra}/+${c.outExtra} in ${c.pieces} pieces`;
    return c;
  });
}

function runCase(env: KernelEnv, c: SoftmaxCase): void {
  const { arena } = env;
  const k = normalizeKernels(env.exports);
  const { rows, n } = c;
  const x = randomArray(rows * n, rows * 7 + n * 13 + c.spread, -c.spread, c.spread);
  for (const [i, v] of c.special ?? []) x[i] = v;
  const ref = softmaxReference(x, n);
  const tol = { abs: U / Math.E, rel: (8 + Math.log(n)) * U };

  runOnceAndInPieces(c.name, rows, c.pieces ?? 2, (ranges, label) => {
    const xv = new StridedView(arena, rows, n, n + (c.inExtra ?? 0), x);
    const yv = c.inPlace ? xv : new StridedView(arena, rows, n, n + (c.outExtra ?? 0));
    for (const [r0, count] of ranges) {
      k.f32_softmax(xv.ptr + r0 * xv.pixelStrideBytes, xv.pixelStrideBytes, count, n, yv.ptr + r0 * yv.pixelStrideBytes, yv.pixelStrideBytes);
    }
    return assertKernelOutput(yv, ref, label, { inputs: [xv], tol });
  });
}

forEachBuild('softmax kernel (%s)', (env) => {
  for (const c of CASES) it(c.name, () => runCase(env, c));

  it('equal logits give exactly 1/n; a NaN logit makes its row NaN', () => {
    const { arena } = env;
    const k = normalizeKernels(env.exports);
    const n = 7;
    const xv = new StridedView(arena, 2, n, n, [...Array(n).fill(3.5), 1, 2, NaN, 4, 5, 6, 7]);
    const yv = new StridedView(arena, 2, n, n);
    k.f32_softmax(xv.ptr, n * 4, 2, n, yv.ptr, n * 4);
    const y = yv.read();
    expect(Array.from(y.subarray(0, n))).toEqual(Array(n).fill(Math.fround(1 / n)));
    expect(y.subarray(n).every(Number.isNaN)).toBe(true);
  });
});
