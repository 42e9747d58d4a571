/**
 * A small protocol-buffers wire-format reader and writer, just enough for onnx.proto
 * (https://protobuf.dev/programming-guides/encoding/). No code generation, no `eval`.
 *
 * Reader contract: every read is checked against the end of the enclosing message; a length
 * prefix larger than the bytes left, a varint longer than 10 bytes, a deprecated group or an
 * unknown wire type throws a `ProtoError` naming the message path and the byte offset. Nested
 * messages are limited to `MAX_DEPTH` levels. Nothing is allocated from a count read from the
 * file: `bytes()` returns a view, packed arrays are sized by their (checked) byte length.
 *
 * 64-bit integers are returned as the nearest double (exact up to 2^53, which covers every
 * shape, size and attribute this project uses; callers check sizes with `Number.isSafeInteger`).
 *
 * Writer contract: fields are appended in call order; nested messages are kept as lists of parts
 * and copied once, by `finish()`, so large `raw_data` tensors are not copied per nesting level.
 */

export const MAX_DEPTH = 32;

export class ProtoError extends Error {
  override name = 'ProtoError';
}

export const enum Wire {
  Varint = 0,
  Fixed64 = 1,
  Bytes = 2,
  StartGroup = 3,
  EndGroup = 4,
  Fixed32 = 5,
}

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export class ProtoReader {
  pos: number;
  /** Number of the field whose tag was read last (named in length errors). */
  private field = 0;
  private readonly view: DataView;

  /** Reads `buf[start, end)` as the message `path` (named in errors) at nesting `depth`. */
  constructor(
    private readonly buf: Uint8Array,
    readonly path: string,
    start = 0,
    readonly end = buf.length,
    readonly depth = 0,
  ) {
    if (start < 0 || end > buf.length || start > end) throw new ProtoError(`${path}: bad bounds [${start}, ${end}) of ${buf.length}`);
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (depth > MAX_DEPTH) throw this.error(`messages nested deeper than ${MAX_DEPTH} levels`);
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  error(problem: string): ProtoError {
    return new ProtoError(`${this.path}: ${problem} (at byte ${this.pos} of ${this.buf.length})`);
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: Wire } {
    const at = this.pos;
    const key = this.uint32();
    const field = key >>> 3;
    const wire = (key & 7) as Wire;
    this.field = field;
    if (field === 0) {
      this.pos = at;
      throw this.error('field number 0 (the bytes are not a protobuf message here)');
    }
    return { field, wire };
  }

  /** A varint as [low 32 bits, high 32 bits], both unsigned. */
  private varint64(): [number, number] {
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (this.pos >= this.end) throw this.error('varint runs past the end of the message');
      const b = this.buf[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if ((b & 0x80) === 0) break;
      if (i === 9) throw this.error('varint longer than 10 bytes');
    }
    return [lo >>> 0, hi >>> 0];
  }

  /** An unsigned varint (uint64 as the nearest double). */
  uint64(): number {
    const [lo, hi] = this.varint64();
    return hi * 4294967296 + lo;
  }

  /** A varint that must fit 32 unsigned bits (tags, lengths). */
  uint32(): number {
    const [lo, hi] = this.varint64();
    if (hi !== 0) throw this.error('varint too large for 32 bits');
    return lo;
  }

  /** A two's-complement int64 varint as the nearest double. */
  int64(): number {
    const [lo, hi] = this.varint64();
    if ((hi & 0x80000000) === 0) return hi * 4294967296 + lo;
    return -((~hi >>> 0) * 4294967296 + (~lo >>> 0) + 1);
  }

  /** An int32/enum varint (negative values arrive sign-extended to 10 bytes). */
  int32(): number {
    const v = this.int64();
    if (v < -2147483648 || v > 2147483647) throw this.error(`int32 value ${v} out of range`);
    return v;
  }

  float(): number {
    this.need(4, 'float');
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field's bytes, as a view into the buffer (no copy). */
  bytes(): Uint8Array {
    const [start, end] = this.lengthDelimited();
    return this.buf.subarray(start, end);
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** A nested message as its own reader, one level deeper. */
  message(path: string): ProtoReader {
    const [start, end] = this.lengthDelimited();
    return new ProtoReader(this.buf, `${this.path}.${path}`, start, end, this.depth + 1);
  }

  /**
   * Values of a repeated scalar field, packed (wire type 2, any number of elements) or one
   * element (its own wire type), appended to `out`.
   */
  repeated(wire: Wire, kind: 'int64' | 'float' | 'double', out: number[]): void {
    const one = kind === 'int64' ? Wire.Varint : kind === 'float' ? Wire.Fixed32 : Wire.Fixed64;
    const readOne = (r: ProtoReader) => (kind === 'int64' ? r.int64() : kind === 'float' ? r.float() : r.double());
    if (wire !== Wire.Bytes) {
      this.expectWire(wire, one);
      out.push(readOne(this));
      return;
    }
    const [start, end] = this.lengthDelimited();
    const width = kind === 'float' ? 4 : kind === 'double' ? 8 : 1;
    if ((end - start) % width !== 0) throw this.error(`packed ${kind} field of ${end - start} bytes is not a multiple of ${width}`);
    const inner = new ProtoReader(this.buf, this.path, start, end, this.depth);
    while (!inner.done()) out.push(readOne(inner));
  }

  /** Packed float32 (wire type 2) as a typed array copy, sized by the checked byte length. */
  packedFloat32(): Float32Array {
    const [start, end] = this.lengthDelimited();
    if ((end - start) % 4 !== 0) throw this.error(`packed float field of ${end - start} bytes is not a multiple of 4`);
    const out = new Float32Array((end - start) / 4);
    for (let i = 0; i < out.length; i++) out[i] = this.view.getFloat32(start + 4 * i, true);
    return out;
  }

  /** Skips a field of wire type `wire`. */
  skip(wire: Wire): void {
    switch (wire) {
      case Wire.Varint:
        this.varint64();
        return;
      case Wire.Fixed64:
        this.need(8, 'fixed64');
        this.pos += 8;
        return;
      case Wire.Bytes:
        this.lengthDelimited();
        return;
      case Wire.Fixed32:
        this.need(4, 'fixed32');
        this.pos += 4;
        return;
      case Wire.StartGroup:
      case Wire.EndGroup:
        throw this.error('deprecated protobuf group (wire type 3/4): not an ONNX message');
      default:
        throw this.error(`invalid wire type ${wire as number}`);
    }
  }

  expectWire(actual: Wire, expected: Wire): void {
    if (actual !== expected) throw this.error(`wire type ${actual}, expected ${expected}`);
  }

  private need(bytes: number, what: string): void {
    if (this.end - this.pos < bytes) throw this.error(`${what} runs past the end of the message`);
  }

  private lengthDelimited(): [number, number] {
    const at = this.pos;
    const len = this.uint32();
    const left = this.end - this.pos;
    if (len > left) {
      this.pos = at;
      throw this.error(`field ${this.field}: length ${len} runs past the end of the message (${left} bytes left)`);
    }
    const start = this.pos;
    this.pos += len;
    return [start, this.pos];
  }
}

/** Appends protobuf fields; nested messages are kept by reference until `finish()`. */
export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private scratch = new Uint8Array(256);
  private used = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  private room(bytes: number): void {
    if (this.used + bytes <= this.scratch.length) return;
    this.flush();
    if (bytes > this.scratch.length) this.scratch = new Uint8Array(Math.max(bytes, 256));
  }

  private flush(): void {
    if (this.used === 0) return;
    this.parts.push(this.scratch.slice(0, this.used));
    this.used = 0;
  }

  private rawVarint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new ProtoError(`cannot encode ${value} as an integer`);
    this.room(10);
    const start = this.used;
    if (value < 0) {
      // Two's complement over 64 bits, always 10 bytes.
      let lo = value % 4294967296;
      let hi = Math.floor(value / 4294967296);
      lo = lo < 0 ? lo + 4294967296 : lo;
      hi = (hi + 4294967296) >>> 0;
      for (let i = 0; i < 9; i++) {
        this.scratch[this.used++] = (lo & 0x7f) | 0x80;
        lo = (lo >>> 7) | ((hi & 0x7f) << 25);
        lo >>>= 0;
        hi >>>= 7;
      }
      this.scratch[this.used++] = lo & 0x01;
    } else {
      let v = value;
      while (v >= 0x80) {
        this.scratch[this.used++] = (v % 128) | 0x80;
        v = Math.floor(v / 128);
      }
      this.scratch[this.used++] = v;
    }
    this.total += this.used - start;
  }

  private key(field: number, wire: Wire): void {
    this.rawVarint(field * 8 + wire);
  }

  int(field: number, value: number): this {
    this.key(field, Wire.Varint);
    this.rawVarint(value);
    return this;
  }

  float(field: number, value: number): this {
    this.key(field, Wire.Fixed32);
    this.room(4);
    new DataView(this.scratch.buffer).setFloat32(this.used, value, true);
    this.used += 4;
    this.total += 4;
    return this;
  }

  bytes(field: number, data: Uint8Array): this {
    this.key(field, Wire.Bytes);
    this.rawVarint(data.length);
    if (data.length <= 64) {
      this.room(data.length);
      this.scratch.set(data, this.used);
      this.used += data.length;
    } else {
      this.flush();
      this.parts.push(data);
    }
    this.total += data.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8Encoder.encode(value));
  }

  message(field: number, sub: ProtoWriter): this {
    this.key(field, Wire.Bytes);
    this.rawVarint(sub.length);
    sub.flush();
    this.flush();
    for (const part of sub.parts) this.parts.push(part); // not push(...parts): a graph has more parts than a call has arguments
    this.total += sub.length;
    return this;
  }

  /** Repeated int64 as one packed field (omitted when empty). */
  packedInts(field: number, values: readonly number[]): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.message(field, inner);
  }

  /** Repeated float as one packed field (omitted when empty). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const data = new Uint8Array(values.length * 4);
    const view = new DataView(data.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
    return this.bytes(field, data);
  }

  /** The encoded message as one buffer. */
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.total);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}
