/**
 * The wire-format reader/writer and the onnx.proto codec: integer encodings both ways, every
 * bounds check of the reader, packed and unpacked repeated fields, a model round trip through
 * every modelled field, and tensor decoding (raw, typed fields, float16, double, size checks).
 */
import { describe, expect, it } from 'vitest';
import { decimalOfFloat32 } from '../../src/onnx/import-context.js';
import { AttrType, DataType, decodeModel, encodeModel, type OnnxModel, type OnnxTensor } from '../../src/onnx/onnx-proto.js';
import { MAX_DEPTH, ProtoReader, ProtoWriter, Wire } from '../../src/onnx/protobuf.js';
import { elementCount, float32Tensor, tensorToFloat32, tensorToInts } from '../../src/onnx/tensor.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('varints', () => {
  const values: [label: string, value: number][] = [
    ['0', 0], ['1', 1], ['127 (one byte)', 127], ['128 (two bytes)', 128], ['300', 300], ['2^31 − 1', 2 ** 31 - 1],
    ['2^32', 2 ** 32], ['2^53 − 1', 2 ** 53 - 1], ['−1 (ten bytes)', -1], ['−2^31', -(2 ** 31)], ['−(2^53 − 1)', -(2 ** 53 - 1)],
  ];
  for (const [label, value] of values) {
    it(`int64 ${label} round-trips`, () => {
      const encoded = new ProtoWriter().int(1, value).finish();
      const r = new ProtoReader(encoded, 'test');
      expect(r.tag()).toEqual({ field: 1, wire: Wire.Varint });
      expect(r.int64()).toBe(value);
      expect(r.done()).toBe(true);
      if (value < 0) expect(encoded.length).toBe(11);
    });
  }
  it('known encodings: 300 → ac 02, −1 → ff×9 01', () => {
    expect([...new ProtoWriter().int(1, 300).finish()]).toEqual([0x08, 0xac, 0x02]);
    expect([...new ProtoWriter().int(1, -1).finish()]).toEqual([0x08, ...Array(9).fill(0xff), 0x01]);
  });
});

describe('reader bounds checks', () => {
  const cases: [label: string, data: Uint8Array, read: (r: ProtoReader) => unknown, message: RegExp][] = [
    ['varint cut short', bytes(0x08, 0x80, 0x80), (r) => (r.tag(), r.int64()), /varint runs past the end/],
    ['varint of 11 bytes', bytes(0x08, ...Array(10).fill(0x80), 0x01), (r) => (r.tag(), r.int64()), /varint longer than 10 bytes/],
    ['length past the end', bytes(0x0a, 0x05, 0x01, 0x02), (r) => (r.tag(), r.bytes()), /field 1: length 5 runs past the end of the message \(2 bytes left\)/],
    ['length of 2^32', bytes(0x0a, 0x80, 0x80, 0x80, 0x80, 0x10), (r) => (r.tag(), r.bytes()), /too large for 32 bits/],
    ['float cut short', bytes(0x15, 0x00, 0x00), (r) => (r.tag(), r.float()), /float runs past the end/],
    ['deprecated group', bytes(0x0b), (r) => r.skip(r.tag().wire), /deprecated protobuf group/],
    ['wire type 7', bytes(0x0f), (r) => r.skip(r.tag().wire), /invalid wire type 7/],
    ['field number 0', bytes(0x00, 0x01), (r) => r.tag(), /field number 0/],
    ['packed floats not a multiple of 4', bytes(0x0a, 0x03, 1, 2, 3), (r) => r.repeated(r.tag().wire, 'float', []), /not a multiple of 4/],
  ];
  for (const [label, data, read, message] of cases) {
    it(`${label} → ProtoError`, () => expect(() => read(new ProtoReader(data, 'Msg'))).toThrow(message));
  }

  it(`messages nested deeper than ${MAX_DEPTH} levels are refused`, () => {
    let inner = new ProtoWriter().int(1, 1);
    for (let i = 0; i < MAX_DEPTH + 2; i++) inner = new ProtoWriter().message(1, inner);
    const data = inner.finish();
    const descend = (r: ProtoReader): void => {
      while (!r.done()) {
        const { wire } = r.tag();
        if (wire === Wire.Bytes) descend(r.message('m'));
        else r.skip(wire);
      }
    };
    expect(() => descend(new ProtoReader(data, 'Root'))).toThrow(/nested deeper than 32 levels/);
  });

  it('packed and unpacked repeated fields decode alike (int64 and float)', () => {
    const packed = new ProtoWriter().packedInts(1, [3, -2, 300]).packedFloats(2, [0.5, -1.25]).finish();
    const unpacked = new ProtoWriter().int(1, 3).int(1, -2).int(1, 300).float(2, 0.5).float(2, -1.25).finish();
    for (const data of [packed, unpacked]) {
      const ints: number[] = [];
      const floats: number[] = [];
      const r = new ProtoReader(data, 'Msg');
      while (!r.done()) {
        const { field, wire } = r.tag();
        r.repeated(wire, field === 1 ? 'int64' : 'float', field === 1 ? ints : floats);
      }
      expect(ints).toEqual([3, -2, 300]);
      expect(floats).toEqual([0.5, -1.25]);
    }
  });
});

describe('onnx.proto codec', () => {
  const tensor = (over: Partial<OnnxTensor>): OnnxTensor => ({
    name: 't', dims: [2], dataType: DataType.FLOAT, int32Data: [], int64Data: [], doubleData: [], dataLocation: 0, externalData: [], ...over,
  });
  const attr = { floats: [], ints: [], strings: [], hasGraph: false };
  const model: OnnxModel = {
    irVersion: 7, opsetImport: [{ domain: '', version: 13 }, { domain: 'ai.onnx.ml', version: 2 }], producerName: 'p', producerVersion: '1',
    graph: {
      name: 'g',
      node: [{
        name: 'n', opType: 'Conv', domain: '', input: ['x', 'w', ''], output: ['y'],
        attribute: [
          { ...attr, name: 'i', type: AttrType.INT, i: -3 },
          { ...attr, name: 'f', type: AttrType.FLOAT, f: 0.25 },
          { ...attr, name: 's', type: AttrType.STRING, s: new TextEncoder().encode('SAME_UPPER') },
          { ...attr, name: 'is', type: AttrType.INTS, ints: [1, 2, -1] },
          { ...attr, name: 'fs', type: AttrType.FLOATS, floats: [0.5, 2] },
          { ...attr, name: 't', type: AttrType.TENSOR, t: tensor({ name: '', dims: [], dataType: DataType.INT64, int64Data: [-7] }) },
        ],
      }],
      initializer: [
        float32Tensor('w', [1, 2], Float32Array.of(1.5, -2)),
        tensor({ name: 'fd', floatData: Float32Array.of(3, 4) }),
        tensor({ name: 'ext', dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }, { key: 'offset', value: '4096' }] }),
      ],
      sparseInitializers: 0,
      input: [{ name: 'x', elemType: 1, shape: [{ param: 'batch' }, { value: 3 }, { value: 224 }, {}] }],
      output: [{ name: 'y', elemType: 1, shape: [{ param: 'batch' }, { value: 1000 }] }],
      valueInfo: [{ name: 'v' }],
    },
  };

  it('decodeModel(encodeModel(m)) gives m back, field by field', () => {
    const back = decodeModel(encodeModel(model));
    expect(back.irVersion).toBe(7);
    expect(back.opsetImport).toEqual(model.opsetImport);
    expect(back.graph!.node[0].attribute.map((a) => [a.name, a.type, a.i, a.f, a.ints, a.floats])).toEqual(
      model.graph!.node[0].attribute.map((a) => [a.name, a.type, a.i, a.f, a.ints, a.floats]),
    );
    expect(new TextDecoder().decode(back.graph!.node[0].attribute[2].s)).toBe('SAME_UPPER');
    expect(back.graph!.node[0].attribute[5].t!.int64Data).toEqual([-7]);
    expect(back.graph!.node[0].input).toEqual(['x', 'w', '']);
    expect([...tensorToFloat32(back.graph!.initializer[0], 'w')]).toEqual([1.5, -2]);
    expect([...tensorToFloat32(back.graph!.initializer[1], 'fd')]).toEqual([3, 4]);
    expect(back.graph!.initializer[2].externalData).toEqual(model.graph!.initializer[2].externalData);
    expect(back.graph!.input).toEqual(model.graph!.input);
    expect(back.graph!.output).toEqual(model.graph!.output);
    expect(back.graph!.valueInfo).toEqual([{ name: 'v' }]);
  });
});

describe('tensor contents', () => {
  const t = (over: Partial<OnnxTensor>): OnnxTensor => ({
    name: 'x', dims: [], dataType: DataType.FLOAT, int32Data: [], int64Data: [], doubleData: [], dataLocation: 0, externalData: [], ...over,
  });
  it('FLOAT16 raw and int32_data, DOUBLE raw and double_data, INT64 raw', () => {
    const half = bytes(0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00); // 1, −2, 2^-24
    expect([...tensorToFloat32(t({ dims: [3], dataType: DataType.FLOAT16, rawData: half }), 'h')]).toEqual([1, -2, 2 ** -24]);
    expect([...tensorToFloat32(t({ dims: [2], dataType: DataType.FLOAT16, int32Data: [0x3800, 0x7c00] }), 'h')]).toEqual([0.5, Infinity]);
    expect([...tensorToFloat32(t({ dims: [1], dataType: DataType.DOUBLE, rawData: new Uint8Array(Float64Array.of(0.1).buffer) }), 'd')]).toEqual([Math.fround(0.1)]);
    expect([...tensorToFloat32(t({ dims: [2], dataType: DataType.DOUBLE, doubleData: [1, 2] }), 'd')]).toEqual([1, 2]);
    expect(tensorToInts(t({ dims: [2], dataType: DataType.INT64, rawData: new Uint8Array(BigInt64Array.of(-3n, 5n).buffer) }), 'i')).toEqual([-3, 5]);
  });
  const errors: [label: string, tensor: OnnxTensor, message: RegExp][] = [
    ['raw_data shorter than dims', t({ dims: [4], rawData: new Uint8Array(12) }), /dims \[4\] of FLOAT need 16 bytes, the tensor holds 12/],
    ['float_data count off', t({ dims: [3], floatData: new Float32Array(2) }), /give 3 elements, float_data holds 2/],
    ['huge dims, 4 bytes of data (nothing allocated)', t({ dims: [100000, 100000], rawData: new Uint8Array(4) }), /need 40000000000 bytes, the tensor holds 4/],
    ['dims product past 2^53', t({ dims: [2 ** 30, 2 ** 30, 2 ** 30] }), /more elements than can be addressed/],
    ['negative dim', t({ dims: [-1] }), /bad dimension -1/],
    ['string tensor', t({ dataType: 8 }), /expected a FLOAT, FLOAT16 or DOUBLE tensor, got STRING/],
    ['external data, no reader', t({ dims: [1], dataLocation: 1, externalData: [{ key: 'location', value: 'w.bin' }] }), /stored outside the model in 'w.bin'/],
    ['external data escaping the directory', t({ dataLocation: 1, externalData: [{ key: 'location', value: '../../etc/passwd' }] }), /must be a relative path inside the model's folder: it has a '\.\.' segment/],
    ['external data absolute path', t({ dataLocation: 1, externalData: [{ key: 'location', value: '/etc/passwd' }] }), /must be a relative path/],
    ['external offset not an integer', t({ dataLocation: 1, externalData: [{ key: 'location', value: 'w' }, { key: 'offset', value: '-4' }] }), /'offset' must be a non-negative integer/],
  ];
  for (const [label, tensor, message] of errors) {
    it(`${label} → error`, () => expect(() => tensorToFloat32(tensor, 'tensor')).toThrow(message));
  }
  it('elementCount of [] is 1 (a scalar)', () => expect(elementCount(t({}), 's')).toBe(1));
});

describe('float32 attributes read as the decimal they stand for', () => {
  const cases: [number, number][] = [[Math.fround(0.001), 0.001], [Math.fround(1e-5), 1e-5], [Math.fround(0.17), 0.17], [0.75, 0.75], [Math.fround(1 / 3), 0.33333334], [0, 0]];
  for (const [stored, decimal] of cases) {
    it(`${stored} → ${decimal}`, () => {
      expect(decimalOfFloat32(stored)).toBe(decimal);
      expect(Math.fround(decimalOfFloat32(stored))).toBe(stored);
    });
  }
});
