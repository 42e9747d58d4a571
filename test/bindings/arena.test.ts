import { describe, expect, it } from 'vitest';
import { ALIGN_BYTES, Arena, PAGE_BYTES, SLACK_BYTES } from '../../src/bindings/arena.js';

describe('arena', () => {
  it('hands out 16-byte aligned blocks with 16 bytes of slack, never 0', () => {
    const arena = new Arena({ shared: false });
    const a = arena.alloc(3);
    const b = arena.alloc(20);
    expect(a).toBeGreaterThan(0);
    expect(a % ALIGN_BYTES).toBe(0);
    expect(b % ALIGN_BYTES).toBe(0);
    expect(b - a).toBeGreaterThanOrEqual(3 + SLACK_BYTES);
  });

  it('grows the memory and re-creates views after growth (shared and plain)', () => {
    for (const shared of [true, false]) {
      const arena = new Arena({ shared });
      const first = arena.putF32([1, 2, 3]);
      const big = arena.alloc(5 * PAGE_BYTES);
      expect(arena.memory.buffer.byteLength).toBeGreaterThanOrEqual(big + 5 * PAGE_BYTES);
      expect(Array.from(arena.f32(first, 3))).toEqual([1, 2, 3]);
      arena.f32(big, 4).set([7, 8, 9, 10]);
      expect(new Float32Array(arena.memory.buffer, big, 4)[3]).toBe(10);
    }
  });

  it('mark/release frees what came after the mark', () => {
    const arena = new Arena({ shared: false });
    const mark = arena.mark();
    const a = arena.alloc(100);
    arena.release(mark);
    expect(arena.alloc(100)).toBe(a);
  });

  it('names the bytes asked and available when the maximum would be exceeded', () => {
    const arena = new Arena({ shared: false, maxBytes: 4 * PAGE_BYTES });
    expect(() => arena.alloc(10 * PAGE_BYTES)).toThrow(/exceeds the maximum of 262144 bytes.*available/);
    expect(() => arena.alloc(-1)).toThrow(/cannot allocate -1 bytes/);
  });
});
