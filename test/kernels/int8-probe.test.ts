/**
 * The `relaxedDotI8` probe: i32x4.relaxed_dot_i8x16_i7x16_add_s may only be used where a
 * known-answer run says it is right. Node 20's V8 (11.3) compiles it but computes it wrong, so
 * here the probe must answer false although relaxed SIMD itself is on — and it must be false for
 * the wrong answer, not because the hand-assembled module fails to compile.
 */
import { describe, expect, it } from 'vitest';
import { features, relaxedDotI8Probe } from '../../src/bindings/features.js';

describe('relaxedDotI8 probe', () => {
  it('its known answer is 4·a·b + c = −1193 for a = −3 (signed operand), b = 100 (7-bit operand), c = 7', () => {
    expect(relaxedDotI8Probe().want).toBe(-1193);
  });

  it('agrees with what the runtime computes: true exactly when the module runs and gives the known answer', async () => {
    const f = await features();
    const { got, want } = relaxedDotI8Probe();
    expect(f.relaxedDotI8).toBe(f.relaxedSimd && got === want);
    expect(await features({ relaxedSimd: false })).toMatchObject({ relaxedDotI8: false });
  });

  const v8Major = Number(process.versions.v8.split('.')[0]);
  it.runIf(v8Major === 11)(`answers false in Node 20 (V8 ${process.versions.v8}): the module compiles and runs, the answer is wrong`, async () => {
    const f = await features();
    expect(f.relaxedSimd, 'relaxed SIMD is on (the f32 relaxed build runs)').toBe(true);
    const { got } = relaxedDotI8Probe();
    expect(got, 'the probe module compiles and runs').toBeTypeOf('number');
    expect(got).not.toBe(-1193);
    expect(f.relaxedDotI8).toBe(false);
  });
});
