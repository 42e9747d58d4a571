/**
 * The host-side arena over the engine's one `WebAssembly.Memory`. The host owns every byte
 * offset: kernels allocate nothing (`--runtime stub`), they receive offsets from here.
 *
 * A bump allocator with marks: `alloc` hands out 16-byte-aligned blocks followed by 16 bytes of
 * slack (kernels may read, never write, up to 16 bytes past an input), growing the memory as
 * needed; `mark()` / `release(mark)` free everything allocated since a mark (tests, scratch).
 * Typed-array views are re-created whenever the memory has grown (a grow replaces
 * `memory.buffer`, in every thread).
 */

export const PAGE_BYTES = 65536;
export const ALIGN_BYTES = 16;
export const SLACK_BYTES = 16;
/** Offsets below this are never handed out, so 0 can mean "no pointer". */
const FIRST_OFFSET = 1024;

export interface ArenaOptions {
  /** Maximum memory in bytes (a multiple of 64 KiB; the wasm modules declare 4 GiB). */
  maxBytes?: number;
  /** Shared memory (threads) or plain. */
  shared: boolean;
  /** Initial size in bytes. */
  initialBytes?: number;
}

export const MAX_MEMORY_BYTES = 65536 * PAGE_BYTES;
/** Smallest growth step of the memory (see `ensure`). */
const GROW_MIN_BYTES = 8 << 20;

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly maxBytes: number;
  private top = FIRST_OFFSET;
  private buffer: ArrayBufferLike;
  private f32View: Float32Array;
  private i32View: Int32Array;
  private u8View: Uint8Array;

  constructor(options: ArenaOptions) {
    this.maxBytes = Math.min(options.maxBytes ?? MAX_MEMORY_BYTES, MAX_MEMORY_BYTES);
    const initialPages = Math.max(1, Math.ceil((options.initialBytes ?? PAGE_BYTES) / PAGE_BYTES));
    this.memory = new WebAssembly.Memory({
      initial: initialPages,
      // Every module declares maximum 65536 pages; an imported memory's maximum must not exceed it.
      maximum: 65536,
      shared: options.shared,
    });
    this.buffer = this.memory.buffer;
    this.f32View = new Float32Array(this.buffer);
    this.i32View = new Int32Array(this.buffer);
    this.u8View = new Uint8Array(this.buffer);
  }

  /** Bytes handed out so far (the high-water mark of the bump pointer). */
  get usedBytes(): number {
    return this.top;
  }

  /** Allocates `bytes` (16-aligned, plus 16 bytes of slack) and returns the byte offset. */
  alloc(bytes: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`inception-wasm: cannot allocate ${bytes} bytes`);
    const offset = this.top;
    const end = offset + Math.ceil((bytes + SLACK_BYTES) / ALIGN_BYTES) * ALIGN_BYTES;
    this.ensure(end);
    this.top = end;
    return offset;
  }

  /** Allocates room for `count` float32 values and returns the byte offset. */
  allocF32(count: number): number {
    return this.alloc(count * 4);
  }

  /** A mark to `release` back to. */
  mark(): number {
    return this.top;
  }

  /** Frees everything allocated since `mark` (the memory itself never shrinks). */
  release(mark: number): void {
    if (mark < FIRST_OFFSET || mark > this.top) throw new RangeError(`inception-wasm: bad arena mark ${mark}`);
    this.top = mark;
  }

  /** Grows the memory so that bytes [0, endBytes) exist; a clear error past the maximum. */
  ensure(endBytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (endBytes <= have) return;
    if (endBytes > this.maxBytes) {
      throw new RangeError(
        `inception-wasm: memory request of ${endBytes} bytes exceeds the maximum of ${this.maxBytes} bytes ` +
          `(${have} bytes in use, ${this.maxBytes - have} available): use a smaller batch or input size` +
          (this.maxBytes < MAX_MEMORY_BYTES ? ', or raise maxMemoryBytes' : ''),
      );
    }
    // Grow by at least an eighth (and 8 MiB): each grow costs milliseconds whatever its size (on
    // a 2-vCPU Zen 3 VM 3000 one-MiB grows took 11 s), and a session's weights arrive tensor by tensor.
    const target = Math.min(this.maxBytes, Math.max(endBytes, have + Math.max(have / 8, GROW_MIN_BYTES)));
    this.memory.grow(Math.ceil((target - have) / PAGE_BYTES));
  }

  private refresh(): void {
    if (this.buffer !== this.memory.buffer || this.buffer.byteLength !== this.memory.buffer.byteLength) {
      this.buffer = this.memory.buffer;
      this.f32View = new Float32Array(this.buffer);
      this.i32View = new Int32Array(this.buffer);
      this.u8View = new Uint8Array(this.buffer);
    }
  }

  /** Float32 view of `count` values at byte offset `offset` (valid until the next grow). */
  f32(offset: number, count: number): Float32Array {
    this.refresh();
    return this.f32View.subarray(offset >>> 2, (offset >>> 2) + count);
  }

  /** Int32 view (control words, atomics). */
  i32(offset: number, count: number): Int32Array {
    this.refresh();
    return this.i32View.subarray(offset >>> 2, (offset >>> 2) + count);
  }

  /** Byte view. */
  u8(offset: number, count: number): Uint8Array {
    this.refresh();
    return this.u8View.subarray(offset, offset + count);
  }

  /** Copies `data` into a fresh block and returns its byte offset. */
  putF32(data: ArrayLike<number>): number {
    const offset = this.allocF32(data.length);
    this.f32(offset, data.length).set(data);
    return offset;
  }
}
