/**
 * Byte buffers for the 8-bit kernel tests: a block between guard bytes, with an optional row
 * stride whose gaps are guards too. Any byte value is a valid output, so "every output written"
 * is checked by running a kernel twice over bodies pre-filled with complementary patterns
 * (`fillBody`): an unwritten byte keeps the fill and cannot match the expected value both times.
 */
import type { Arena } from '../../src/bindings/arena.js';
import { mulberry32 } from '../../src/util/prng.js';

export const GUARD_BYTES = 16;
export const GUARD = 0xa7;

export class ByteView {
  readonly ptr: number;
  private readonly base: number;
  private readonly total: number;

  /** `rows` rows of `cols` values at `stride` bytes (≥ cols); gaps and 16 bytes either side hold GUARD. */
  constructor(private readonly arena: Arena, readonly rows: number, readonly cols: number, readonly stride = cols, dense?: ArrayLike<number>) {
    this.total = Math.max(0, (rows - 1) * stride + cols);
    this.base = arena.alloc(this.total + 2 * GUARD_BYTES);
    this.ptr = this.base + GUARD_BYTES;
    arena.u8(this.base, this.total + 2 * GUARD_BYTES).fill(GUARD);
    if (dense) this.write(dense);
  }

  /** Copies dense `[rows][cols]` values into the rows (gaps untouched). */
  write(dense: ArrayLike<number>): void {
    const body = this.arena.u8(this.ptr, this.total);
    for (let r = 0; r < this.rows; r++) for (let c = 0; c < this.cols; c++) body[r * this.stride + c] = dense[r * this.cols + c];
  }

  /** Sets every value (not the gaps) to `value`. */
  fillBody(value: number): void {
    const body = this.arena.u8(this.ptr, this.total);
    for (let r = 0; r < this.rows; r++) body.fill(value, r * this.stride, r * this.stride + this.cols);
  }

  /** The dense `[rows][cols]` values (a copy). */
  read(): Uint8Array {
    const body = this.arena.u8(this.ptr, this.total);
    const out = new Uint8Array(this.rows * this.cols);
    for (let r = 0; r < this.rows; r++) out.set(body.subarray(r * this.stride, r * this.stride + this.cols), r * this.cols);
    return out;
  }

  /** Offsets (relative to ptr) of guard or gap bytes that no longer hold GUARD. */
  strayWrites(): number[] {
    const all = this.arena.u8(this.base, this.total + 2 * GUARD_BYTES);
    const stray: number[] = [];
    for (let i = 0; i < all.length; i++) {
      const off = i - GUARD_BYTES;
      const inValue = off >= 0 && off < this.total && off % this.stride < this.cols;
      if (!inValue && all[i] !== GUARD) stray.push(off);
    }
    return stray;
  }
}

/** Throws naming the first differing index unless `got` equals `want` byte for byte; also checks the view's guards. */
export function assertBytes(view: ByteView, want: Uint8Array, label: string): void {
  const stray = view.strayWrites();
  if (stray.length > 0) throw new Error(`${label}: wrote outside the output at offsets ${stray.slice(0, 8).join(', ')}`);
  const got = view.read();
  let bad = 0;
  let first = -1;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (bad > 0) {
    const row = Math.floor(first / view.cols);
    throw new Error(`${label}: ${bad}/${want.length} bytes differ; first at row ${row} column ${first % view.cols}: got ${got[first]}, want ${want[first]}`);
  }
}

/** Seeded integers in [lo, hi], with the extremes forced at a few positions (every 7th value alternates lo/hi). */
export function randomInts(count: number, seed: number, lo: number, hi: number): number[] {
  const next = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 7 === 3) out.push(i % 14 === 3 ? lo : hi);
    else out.push(lo + Math.floor(next() * (hi - lo + 1)));
  }
  return out;
}
